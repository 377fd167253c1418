#!/usr/bin/env bash
# Mutation testing of NetLab's pure modules with mutmut: one JSON line per module.
#
#   .venv/bin/pip install -e '.[test,mutation]' && tests/mutation.sh            # every module below
#   tests/mutation.sh netlab/core/codec.py                                      # just one
#
# Not part of CI (it takes minutes on two cores). Each module is mutated in a copy of the tree, against
# the tests that are about it, so a score says how well *those* tests guard that module. The score is
# (killed + timed out) / mutants; survivors are listed with `mutmut results` in $MUTATION_DIR/<module>,
# and the ones that cannot be killed are explained in tests/mutation-equivalent.md.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
MUTMUT=${MUTMUT:-$ROOT/.venv/bin/mutmut}
WORK=${MUTATION_DIR:-${TMPDIR:-/tmp}/netlab-mutation}
CHILDREN=${MUTATION_CHILDREN:-2}

# module -> the test files that are about it
declare -A TESTS=(
  [netlab/core/codec.py]="tests/engine/test_codec.py tests/engine/test_text_for_bytes.py tests/engine/test_codec_cases.py"
  [netlab/core/autoreply.py]="tests/engine/test_responder.py tests/engine/test_autoreply_cases.py"
  [netlab/core/responder.py]="tests/engine/test_responder.py tests/engine/test_autoreply_cases.py"
  [netlab/core/variables.py]="tests/engine/test_variables.py tests/engine/test_udp_exact.py tests/engine/test_udp_pure.py"
  [netlab/core/config.py]="tests/engine/test_config_cases.py tests/engine/test_serial.py tests/engine/test_checks_at_start.py tests/engine/test_codec_cases.py"
  [netlab/http/files.py]="tests/engine/test_http_files_cases.py tests/engine/test_file_server.py"
  [netlab/lab/serial.py]="tests/engine/test_serial_cases.py tests/engine/test_serial.py"
  [netlab/udp/seqheader.py]="tests/engine/test_udp_pure.py tests/engine/test_udp_exact.py"
  [netlab/http/raw.py]="tests/engine/test_raw_http_pure.py"
  [netlab/tcp/rewrite.py]="tests/engine/test_rewrite.py"
  [netlab/core/checksum.py]="tests/engine/test_checksum.py"
  [netlab/tcp/code.py]="tests/engine/test_code_golden.py tests/engine/test_code_cases.py"
  [netlab/udp/code.py]="tests/engine/test_code_golden.py tests/engine/test_code_cases.py"
  [netlab/http/code.py]="tests/engine/test_code_golden.py tests/engine/test_code_cases.py"
  [netlab/http/raw_code.py]="tests/engine/test_code_golden.py tests/engine/test_code_cases.py"
  [netlab/http/form.py]="tests/engine/test_http_form_pure.py tests/engine/test_http_form_cases.py"
  [netlab/http/form_code.py]="tests/engine/test_code_golden.py tests/engine/test_http_form_code.py"
  [netlab/http/download_code.py]="tests/engine/test_code_golden.py tests/engine/test_download_code.py"
)
ORDER=(netlab/core/codec.py netlab/core/autoreply.py netlab/core/responder.py netlab/core/variables.py
       netlab/core/config.py netlab/http/files.py netlab/lab/serial.py netlab/udp/seqheader.py
       netlab/http/raw.py netlab/core/checksum.py netlab/tcp/code.py netlab/udp/code.py netlab/http/code.py
       netlab/http/raw_code.py netlab/tcp/rewrite.py netlab/http/form.py netlab/http/form_code.py
       netlab/http/download_code.py)
[ $# -gt 0 ] && ORDER=("$@")

for module in "${ORDER[@]}"; do
  tests=""
  for t in ${TESTS[$module]:?"no tests listed for $module in tests/mutation.sh"}; do
    [ -f "$t" ] && tests="$tests $t"
  done
  dir="$WORK/${module//\//_}"
  rm -rf "$dir" && mkdir -p "$dir"
  git ls-files -z --cached --others --exclude-standard netlab ui tests pyproject.toml README.md |
    xargs -0 cp --parents -t "$dir"
  # This run's mutmut settings replace the [tool.mutmut] table of the copy's pyproject.toml.
  python3 - "$dir/pyproject.toml" "$module" $tests <<'PY'
import re, sys
path, module, tests = sys.argv[1], sys.argv[2], sys.argv[3:]
text = re.sub(r"\n\[tool\.mutmut\]\n(?:(?!\n\[).)*", "", open(path).read(), flags=re.S)
text += "\n[tool.mutmut]\n" + f"source_paths = [{module!r}]\n".replace("'", '"')
text += "pytest_add_cli_args_test_selection = [" + ", ".join(f'"{t}"' for t in tests) + "]\n"
text += 'pytest_add_cli_args = ["-p", "no:cacheprovider", "-x", "-q"]\nalso_copy = ["netlab", "ui", "tests"]\n'
open(path, "w").write(text)
PY
  (cd "$dir" && nice -n 10 "$MUTMUT" run --max-children "$CHILDREN" >"$dir/run.log" 2>&1 || true)
  (cd "$dir" && "$MUTMUT" export-cicd-stats >/dev/null 2>&1 || true)
  python3 - "$dir/mutants/mutmut-cicd-stats.json" "$module" <<'PY'
import json, sys
try:
    stats = json.load(open(sys.argv[1]))
except OSError:
    stats = {"total": 0}
total = stats["total"]
if not total:
    print(json.dumps({"module": sys.argv[2], "error": "mutmut did not run: see run.log in its folder"}))
    raise SystemExit(0)
caught = stats["killed"] + stats["timeout"]
print(json.dumps({"module": sys.argv[2], "mutants": total, "killed": stats["killed"],
                  "survived": stats["survived"], "timeouts": stats["timeout"],
                  "no_tests": stats["no_tests"],
                  "score": round(100 * caught / total, 1) if total else None}))
PY
done
