"""The HTTP form's "Copy as" programs run as printed, against the same httpbin, and get what the tab got."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from netlab.http.form_client import FormResponse, HttpFormClient
from netlab.http.form_code import curl_command, requests_program, urllib_program
from netlab.http.form_config import AuthKind, Backend, BodyKind, HttpFormConfig, NameValue, Upload
from tests.engine.conftest import Recorder, running
from tests.http_servers import httpbin_server

RUN_TIMEOUT = 60  # seconds: a new Python process on a loaded machine; the request itself is loopback
COMPARED = ("args", "data", "form", "json", "files", "method", "url", "authenticated", "token", "gzipped")


@pytest.fixture(scope="module")
def base() -> Iterator[str]:
    with httpbin_server() as url:
        yield url


def cases(base: str, upload: Path) -> dict[str, HttpFormConfig]:
    form = (NameValue("name", "Ada Lovelace"), NameValue("city", "Zürich & co"))
    return {
        "get": HttpFormConfig(url=f"{base}/anything?x=1&y=two", headers=(NameValue("X-Lab", "1"),)),
        "json": HttpFormConfig(
            method="POST", url=f"{base}/anything", body_kind=BodyKind.JSON, body='{"a": [1, true]}'
        ),
        "form": HttpFormConfig(method="PUT", url=f"{base}/anything", body_kind=BodyKind.FORM, fields=form),
        "multipart": HttpFormConfig(
            method="POST",
            url=f"{base}/anything",
            body_kind=BodyKind.MULTIPART,
            fields=form[:1],
            files=(Upload("doc", str(upload), "text/plain"),),
        ),
        "raw": HttpFormConfig(
            method="PATCH",
            url=f"{base}/anything",
            body_kind=BodyKind.RAW,
            body="line one\nline 'two'",
            headers=(NameValue("Content-Type", "text/plain"),),
        ),
        "delete": HttpFormConfig(method="DELETE", url=f"{base}/anything"),
        "head": HttpFormConfig(method="HEAD", url=f"{base}/get"),
        "basic": HttpFormConfig(
            url=f"{base}/basic-auth/ada/pw", auth=AuthKind.BASIC, user="ada", password="pw"
        ),
        "digest": HttpFormConfig(
            url=f"{base}/digest-auth/auth/ada/pw", auth=AuthKind.DIGEST, user="ada", password="pw"
        ),
        "bearer": HttpFormConfig(url=f"{base}/bearer", auth=AuthKind.BEARER, token="t0k"),
        "redirects": HttpFormConfig(url=f"{base}/redirect/2"),
        "no-follow": HttpFormConfig(url=f"{base}/redirect/2", follow_redirects=False),
        "gzip": HttpFormConfig(url=f"{base}/gzip", headers=(NameValue("Accept-Encoding", "gzip"),)),
        "retries": HttpFormConfig(url=f"{base}/status/503", retries=1, backoff=0.01),
    }


CASES = list(cases("http://x", Path("/x")))


def tab_result(config: HttpFormConfig) -> FormResponse:
    events = Recorder()
    client = HttpFormClient(events)
    with running(client):
        client.send(config)
        response = events.wait_for(lambda e: isinstance(e, FormResponse), 15)
    assert isinstance(response, FormResponse)
    return response


def parse_program_output(text: str) -> tuple[int, list[int], Any]:
    """Status, redirect statuses and body JSON (or text) from a generated Python program's output."""
    lines = text.split("\n")
    redirects = [int(line.split()[1]) for line in lines if line.startswith("redirect:")]
    lines = [line for line in lines if not line.startswith("redirect:")]
    status = int(lines[0].split()[0])
    body = "\n".join(lines[lines.index("") + 1 :]).rstrip("\n")
    return status, redirects, body


def parse_curl_output(text: str) -> tuple[int, Any]:
    status = 0
    while text.startswith("HTTP/"):
        head, _, text = text.partition("\r\n\r\n")
        status = int(head.split()[1])
    return status, text


def same(theirs: str, ours: FormResponse) -> None:
    if not ours.body:
        assert theirs.strip() == ""
        return
    if not ours.content_type.startswith("application/json"):
        assert theirs.strip() == ours.body.decode().strip()
        return
    mine, got = json.loads(ours.body), json.loads(theirs)
    assert {k: got.get(k) for k in COMPARED} == {k: mine.get(k) for k in COMPARED}


def run_python(source: str, folder: Path) -> str:
    path = folder / "request.py"
    path.write_text(source, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(path)], capture_output=True, text=True, timeout=RUN_TIMEOUT, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("backend", list(Backend), ids=[b.value for b in Backend])
def test_python_program_gets_what_the_tab_got(base: str, tmp_path: Path, name: str, backend: Backend) -> None:
    upload = tmp_path / "notes.txt"
    upload.write_text("uploaded text\n")
    config = HttpFormConfig(**{**cases(base, upload)[name].__dict__, "backend": backend})
    ours = tab_result(config)
    source = requests_program(config) if backend == Backend.REQUESTS else urllib_program(config)
    status, redirects, body = parse_program_output(run_python(source, tmp_path))
    assert status == ours.status
    assert redirects == [r.status for r in ours.redirects]
    same(body, ours)


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed on this machine")
@pytest.mark.parametrize("name", CASES)
def test_curl_command_gets_what_the_tab_got(base: str, tmp_path: Path, name: str) -> None:
    upload = tmp_path / "notes.txt"
    upload.write_text("uploaded text\n")
    config = cases(base, upload)[name]
    ours = tab_result(config)
    done = subprocess.run(
        ["sh", "-c", curl_command(config)], capture_output=True, timeout=RUN_TIMEOUT, check=False
    )
    assert done.returncode == 0, done.stderr
    status, body = parse_curl_output(done.stdout.decode("utf-8"))
    assert status == ours.status
    same(body, ours)


def test_programs_read_like_the_lesson() -> None:
    config = HttpFormConfig(
        url="https://127.0.0.1:8443/x",
        verify=False,
        proxy="http://127.0.0.1:3128",
        auth=AuthKind.BEARER,
        token="t",
    )
    assert "verify=False" in requests_program(config)
    assert "context.verify_mode = ssl.CERT_NONE" in urllib_program(config)
    assert "--insecure" in curl_command(config) and "--proxy http://127.0.0.1:3128" in curl_command(config)
    assert "'Authorization': 'Bearer t'" in urllib_program(config)
