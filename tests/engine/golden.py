"""Golden texts: a generated program compared line for line with the copy kept in tests/engine/golden/.

A change to a code generator shows here as a diff of what the user will read. When the change is meant,
rewrite the copies and read the diff in git before committing:

    NETLAB_GOLDEN=update .venv/bin/pytest tests/engine/test_code_golden.py
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path

from netlab import __version__

FOLDER = Path(__file__).parent / "golden"
# The version is in every program's docstring; the copies say {version} so a release does not touch them.
VERSION_MARK = "{version}"


def check(name: str, text: str) -> None:
    path = FOLDER / f"{name}.txt"
    kept = text.replace(f"NetLab {__version__} ", f"NetLab {VERSION_MARK} ")
    if os.environ.get("NETLAB_GOLDEN") == "update":
        FOLDER.mkdir(exist_ok=True)
        path.write_text(kept, encoding="utf-8")
        return
    assert path.exists(), f"no golden copy {path.name}: run NETLAB_GOLDEN=update pytest {__name__}"
    expected = path.read_text(encoding="utf-8")
    if kept != expected:
        diff = "".join(
            difflib.unified_diff(
                expected.splitlines(keepends=True),
                kept.splitlines(keepends=True),
                f"golden/{path.name}",
                "generated",
            )
        )
        raise AssertionError(
            f"the generated program differs from golden/{path.name} (if meant: NETLAB_GOLDEN=update):\n{diff}"
        )
