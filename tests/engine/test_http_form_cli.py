"""`netlab http URL`: the HTTP form from the terminal, against a real httpbin on loopback."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.http_servers import httpbin_server

RUN_TIMEOUT = 60


@pytest.fixture(scope="module")
def base() -> Iterator[str]:
    with httpbin_server() as url:
        yield url


def netlab(*words: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "netlab", "http", *words],
        capture_output=True,
        timeout=RUN_TIMEOUT,
        check=False,
    )


@pytest.mark.parametrize("backend", ["urllib", "requests"])
def test_body_to_stdout_status_and_wire_to_stderr(base: str, backend: str, tmp_path: Path) -> None:
    upload = tmp_path / "a.txt"
    upload.write_text("file body")
    done = netlab(
        f"{base}/anything?x=1",
        "-X",
        "PUT",
        "--backend",
        backend,
        "-H",
        "X-Lab: 7",
        "--multipart",
        "name=Ada",
        "--file",
        f"doc={upload}",
        "--user",
        "ada:pw",
        "--wire",
    )
    assert done.returncode == 0, done.stderr
    echoed = json.loads(done.stdout)
    assert echoed["method"] == "PUT" and echoed["args"] == {"x": "1"} and echoed["headers"]["X-Lab"] == "7"
    assert echoed["form"] == {"name": "Ada"} and echoed["files"] == {"doc": "file body"}
    assert echoed["headers"].get("Authorization", "Basic YWRhOnB3") == "Basic YWRhOnB3"
    err = done.stderr.decode()
    assert f"{backend}: 200 OK in " in err and "→ sent" in err and "PUT /anything?x=1 HTTP/1.1" in err


def test_json_body_and_a_bad_one_with_its_position(base: str) -> None:
    good = netlab(f"{base}/post", "-X", "POST", "--json", '{"a": [1, 2]}')
    assert json.loads(good.stdout)["json"] == {"a": [1, 2]}
    bad = netlab(f"{base}/post", "-X", "POST", "--json", '{"a": [1, 2}')
    assert bad.returncode == 2
    assert bad.stderr.decode().startswith("netlab: The JSON body is not valid at line 1, column 12")


def test_no_answer_is_exit_1_in_plain_words(base: str) -> None:
    done = netlab(f"{base}/redirect/12", "--backend", "urllib")
    assert done.returncode == 1
    assert done.stderr.decode().startswith("netlab: Too many redirects: urllib gave up after 10")


def test_code_prints_the_programs_and_they_run(base: str, tmp_path: Path) -> None:
    for words in (["--backend", "urllib"], ["--backend", "requests"]):
        source = netlab(f"{base}/get?q=1", *words, "--code").stdout.decode()
        path = tmp_path / "request.py"
        path.write_text(source)
        ran = subprocess.run(
            [sys.executable, str(path)], capture_output=True, timeout=RUN_TIMEOUT, check=False
        )
        assert ran.returncode == 0 and ran.stdout.startswith(b"200 OK\n")
    curl = netlab(f"{base}/get?q=1", "--code", "curl").stdout.decode()
    assert curl.startswith("curl --silent --show-error --include ") and f"'{base}/get?q=1'" in curl
