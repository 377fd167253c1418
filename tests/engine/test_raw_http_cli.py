"""`netlab raw-http` and its --code program, run against servers started here on loopback."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from netlab.http.raw_code import program
from netlab.http.raw_config import RawHttpConfig

from ..raw_http_servers import TrustmeTls, http_server


@pytest.fixture
def port() -> Iterator[int]:
    with http_server() as port:
        yield port


def _netlab(*words: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "netlab", *words], capture_output=True, timeout=30, check=False
    )


def test_request_text_with_crlf_gives_raw_reply_on_stdout_and_timing_on_stderr(port: int) -> None:
    done = _netlab(
        "raw-http",
        "127.0.0.1",
        str(port),
        "--crlf",
        "--request",
        "GET /x HTTP/1.1\nHost: a\nConnection: close\n\n",
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(b"HTTP/1.1 200 OK\r\n") and done.stdout.endswith(b"you asked for /x")
    assert b"Timing: " in done.stderr and b"Response: HTTP/1.1 200 OK" in done.stderr


def test_crlf_converts_and_without_it_the_bytes_go_as_given() -> None:
    for flag, expected in (
        ("--crlf", b"GET / HTTP/1.1\r\nHost: a\r\n\r\n"),
        ("", b"GET / HTTP/1.1\nHost: a\n\n"),
    ):
        listener = socket.create_server(("127.0.0.1", 0))
        got: list[bytes] = []

        def serve(listener: socket.socket = listener, got: list[bytes] = got) -> None:
            conn, _ = listener.accept()
            conn.settimeout(5)
            got.append(conn.recv(65536))
            conn.sendall(b"HTTP/1.1 204 No Content\r\n\r\n")
            conn.close()
            listener.close()

        server = threading.Thread(target=serve, daemon=True)
        server.start()
        port = str(listener.getsockname()[1])
        words = ["raw-http", "127.0.0.1", port, "--request", "GET / HTTP/1.1\nHost: a\n\n"]
        done = _netlab(*words, *([flag] if flag else []))
        server.join(5)
        assert got == [expected] and done.returncode == 0, done.stderr


def test_request_file_is_sent_as_given(port: int, tmp_path: Path) -> None:
    request = tmp_path / "req.http"
    request.write_bytes(b"GET /file HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
    done = _netlab("raw-http", "127.0.0.1", str(port), "--file", str(request))
    assert done.returncode == 0 and done.stdout.endswith(b"you asked for /file")


def test_refused_connection_and_missing_file_say_so_in_plain_words(tmp_path: Path) -> None:
    free = socket.create_server(("127.0.0.1", 0))
    unused = free.getsockname()[1]
    free.close()
    done = _netlab("raw-http", "127.0.0.1", str(unused), "--request", "GET / HTTP/1.1\r\n\r\n")
    assert done.returncode == 1 and b"netlab: " in done.stderr and b"Traceback" not in done.stderr
    missing = _netlab("raw-http", "127.0.0.1", "80", "--file", str(tmp_path / "nope"))
    assert missing.returncode == 2 and b"Cannot read" in missing.stderr


def test_code_program_runs_as_printed_against_the_server(port: int, tmp_path: Path) -> None:
    done = _netlab(
        "raw-http",
        "127.0.0.1",
        str(port),
        "--crlf",
        "--request",
        "GET /code HTTP/1.1\nHost: a\n\n",
        "--timeout",
        "60",
        "--code",
    )
    assert done.returncode == 0
    script = tmp_path / "raw.py"
    script.write_bytes(done.stdout)
    # Keep-alive request: the program must stop at Content-Length, not wait for the 60 s timeout.
    ran = subprocess.run([sys.executable, str(script)], capture_output=True, timeout=20, check=False)
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.decode().startswith("HTTP/1.1 200 OK") and "you asked for /code" in ran.stdout.decode()


def test_code_program_wraps_tls_and_says_when_verification_is_off() -> None:
    text = program(RawHttpConfig(tls=True, verify=False, sni="example.org"))
    assert "context.wrap_socket(sock, server_hostname='example.org')" in text
    assert "ssl.CERT_NONE" in text
    assert "import ssl" not in program(RawHttpConfig())
    compile(text, "raw.py", "exec")


@pytest.mark.parametrize("verify", [True, False])
def test_code_program_runs_under_tls_with_the_ca_file_or_insecure(tmp_path: Path, verify: bool) -> None:
    pytest.importorskip("trustme")
    tls = TrustmeTls(tmp_path)
    port = tls.server(b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\nConnection: close\r\n\r\nover TLS!")
    config = RawHttpConfig(
        host="localhost",
        port=port,
        tls=True,
        verify=verify,
        ca_file=tls.ca_file if verify else "",
        request="GET / HTTP/1.1\r\nHost: localhost\r\n\r\n",
    )
    script = tmp_path / "raw_tls.py"
    script.write_text(program(config))
    ran = subprocess.run([sys.executable, str(script)], capture_output=True, timeout=20, check=False)
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.decode().startswith("HTTP/1.1 200 OK") and "over TLS!" in ran.stdout.decode()


def test_code_program_without_the_ca_file_refuses_the_lab_certificate(tmp_path: Path) -> None:
    pytest.importorskip("trustme")
    tls = TrustmeTls(tmp_path)
    port = tls.server(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
    script = tmp_path / "raw_tls.py"
    script.write_text(program(RawHttpConfig(host="localhost", port=port, tls=True)))
    ran = subprocess.run([sys.executable, str(script)], capture_output=True, timeout=20, check=False)
    assert ran.returncode != 0 and b"CERTIFICATE_VERIFY_FAILED" in ran.stderr


def test_ca_file_lets_the_cli_verify_a_lab_certificate(tmp_path: Path) -> None:
    pytest.importorskip("trustme")
    tls = TrustmeTls(tmp_path)
    port = tls.server(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
    request = "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"
    done = _netlab(
        "raw-http", "localhost", str(port), "--tls", "--ca-file", tls.ca_file, "--request", request
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.endswith(b"\r\n\r\nok") and b"certificate verified: subject" in done.stderr
