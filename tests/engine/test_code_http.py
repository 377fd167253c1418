"""The generated file server program runs as printed and serves the same bytes as NetLab's file server."""

from __future__ import annotations

import urllib.request
from pathlib import Path

from netlab.core.events import Listening
from netlab.http.code import program
from netlab.http.file_server import FileServer, FileServerConfig

from .conftest import WAIT, Recorder, running
from .test_code_tcp import Program


def fetch(url: str, method: str = "GET") -> tuple[int, bytes, str]:
    request = urllib.request.Request(url, method=method)
    with urllib.request.urlopen(request, timeout=WAIT) as response:  # loopback only
        return response.status, response.read(), response.headers.get("Content-Length", "")


def test_file_server_program_serves_what_netlab_serves(tmp_path: Path) -> None:
    share = tmp_path / "share"
    (share / "sub").mkdir(parents=True)
    (share / "hello.txt").write_bytes(b"hello, world\n")
    (share / "sub" / "data.bin").write_bytes(bytes(range(256)) * 300)
    (share / "naïve name.txt").write_text("unicode in the path")
    config = FileServerConfig(root=str(share), port=0, idle_timeout=3.0)
    source = program(config)
    assert "timeout = 3.0" in source
    server_program = Program(source, tmp_path, "serve")
    try:
        line = server_program.wait_line(r"^serving ")
        theirs = line.split(" on ", 1)[1].strip()
        recorder = Recorder()
        with running(FileServer(config, recorder)):
            listening = recorder.wait_for(lambda e: isinstance(e, Listening))
            ours = f"http://127.0.0.1:{listening.port}/"  # type: ignore[attr-defined]
            for path in ("hello.txt", "sub/data.bin", "na%C3%AFve%20name.txt"):
                assert fetch(theirs + path) == fetch(ours + path)
                assert fetch(theirs + path, "HEAD")[::2] == fetch(ours + path, "HEAD")[::2]
            for base in (theirs, ours):
                status, listing, _ = fetch(base)
                assert status == 200 and b"hello.txt" in listing and b"sub/" in listing
    finally:
        server_program.stop()


def test_the_program_says_what_only_netlab_does() -> None:
    plain = program(FileServerConfig())
    assert "Range requests" in plain and "dot-files" in plain
    assert "upload" not in plain.lower().replace("no upload handler", "")
    full = program(FileServerConfig(upload=True, max_upload_mb=5, auth="student:secret", show_hidden=True))
    assert "uploads (up to 5 MB)" in full and "user 'student'" in full
    assert "secret" not in full.replace("user 'student'", "")  # the password never shows
    assert "dot-files" not in full
    six = program(FileServerConfig(host="::1"))
    assert "AF_INET6" in six and "HOST = '::1'" in six
