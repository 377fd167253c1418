"""The CLI against plain sockets written here, in both directions; Qt is never imported."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading

from .conftest import WAIT, recv_exactly

NETLAB = [sys.executable, "-m", "netlab"]


def run_cli(*args: str, timeout: float = 20) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([*NETLAB, *args], capture_output=True, timeout=timeout, check=False)


def start_server(*args: str) -> tuple[subprocess.Popen[bytes], int]:
    process = subprocess.Popen(
        [*NETLAB, "tcp-server", "--port", "0", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert process.stdout is not None
    first = process.stdout.readline().decode()
    assert first.startswith("listening on 127.0.0.1:"), first
    return process, int(first.rsplit(":", 1)[1])


def test_cli_server_echoes_and_stops_cleanly_on_sigterm() -> None:
    process, port = start_server("--mode", "upper")
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=WAIT) as client:
            client.sendall(b"shout\n")
            assert recv_exactly(client, 6) == b"SHOUT\n"
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=WAIT)
    assert process.returncode == 0, err
    assert b"received 6 bytes: shout\\n" in out
    assert b"sent" in out


def test_cli_server_stops_cleanly_on_ctrl_c() -> None:
    process, _ = start_server()
    process.send_signal(signal.SIGINT)
    process.communicate(timeout=WAIT)
    assert process.returncode == 0


def test_cli_server_reports_a_taken_port() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_cli("tcp-server", "--port", str(port))
    assert result.returncode == 1
    assert f"Port {port} is already in use".encode() in result.stderr
    assert b"Traceback" not in result.stderr


def serve_once(reply: bytes) -> tuple[int, threading.Thread, list[bytes]]:
    """A plain threaded server: reads one message, answers, closes."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(WAIT)
    got: list[bytes] = []

    def serve() -> None:
        with listener:
            conn, _ = listener.accept()
            with conn:
                conn.settimeout(WAIT)
                got.append(conn.recv(65536))
                conn.sendall(reply)

    thread = threading.Thread(target=serve)
    thread.start()
    return listener.getsockname()[1], thread, got


def test_cli_client_sends_text_with_crlf_and_prints_the_reply() -> None:
    port, thread, got = serve_once(b"pong\n")
    result = run_cli("tcp-client", "127.0.0.1", str(port), "--send", "ping", "--eol", "crlf", "--wait", "3")
    thread.join(WAIT)
    assert result.returncode == 0, result.stderr
    assert got == [b"ping\r\n"]
    assert result.stdout == b"pong\n"


def test_cli_client_sends_hex_and_prints_a_hexdump() -> None:
    port, thread, got = serve_once(b"\x00\x01AB")
    result = run_cli("tcp-client", "127.0.0.1", str(port), "--hex", "0xde,0xad be:ef", "--hexdump")
    thread.join(WAIT)
    assert got == [b"\xde\xad\xbe\xef"]
    assert result.stdout.decode().startswith("00000000  00 01 41 42")


def test_cli_client_sends_a_file(tmp_path: object) -> None:
    path = os.path.join(str(tmp_path), "request.txt")
    with open(path, "wb") as out:
        out.write(b"from a file")
    port, thread, got = serve_once(b"ok")
    result = run_cli("tcp-client", "127.0.0.1", str(port), "--file", path)
    thread.join(WAIT)
    assert got == [b"from a file"] and result.stdout == b"ok"


def test_cli_client_failure_is_one_plain_line() -> None:
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    result = run_cli("tcp-client", "127.0.0.1", str(port), "--send", "x")
    assert result.returncode != 0
    assert result.stderr.decode().strip().count("\n") == 0
    assert "Connection refused" in result.stderr.decode()


def test_cli_rejects_bad_input_with_the_configs_words() -> None:
    result = run_cli("tcp-client", "127.0.0.1", "70000", "--send", "x")
    assert result.returncode == 2
    assert "Port 70000 is out of range" in result.stderr.decode()
    bad_hex = run_cli("tcp-client", "127.0.0.1", "9", "--hex", "4")
    assert "odd number of hex digits" in bad_hex.stderr.decode()


def test_cli_never_imports_qt() -> None:
    code = "import sys, netlab.cli, netlab.commands, ui.launch; sys.exit('PySide6' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], timeout=WAIT * 4, check=False).returncode == 0


def test_version_and_help() -> None:
    assert run_cli("--version").stdout.startswith(b"netlab ")
    helptext = run_cli("--help").stdout
    assert b"tcp-server" in helptext and b"tcp-client" in helptext


def test_cli_serve_prints_its_url_then_an_access_line_per_request(tmp_path: object) -> None:
    import urllib.request

    folder = os.path.join(str(tmp_path), "share")
    os.mkdir(folder)
    with open(os.path.join(folder, "hi.txt"), "w") as out:
        out.write("hi")
    process = subprocess.Popen(
        [*NETLAB, "serve", folder, "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert process.stdout is not None
    try:
        first = process.stdout.readline().decode()
        assert first.startswith(f"serving {folder} on http://127.0.0.1:")
        url = first.split(" on ", 1)[1].strip()
        with urllib.request.urlopen(url + "hi.txt", timeout=WAIT) as response:
            assert response.read() == b"hi"
    finally:
        process.send_signal(signal.SIGTERM)
        out, _ = process.communicate(timeout=WAIT)
    assert process.returncode == 0
    assert b'"GET /hi.txt"  200' in out


def test_cli_serve_refuses_a_missing_folder() -> None:
    result = run_cli("serve", "/no/such/folder", "--port", "0")
    assert result.returncode == 1  # the config is fine; the machine lacks the folder, found at start
    assert b"The folder /no/such/folder does not exist" in result.stderr


def test_code_prints_the_program_instead_of_running() -> None:
    server = run_cli("tcp-server", "--mode", "upper", "--port", "0", "--code")
    assert server.returncode == 0 and not server.stderr
    source = server.stdout.decode()
    compile(source, "server.py", "exec")
    assert "conn.sendall(data.upper())" in source and "PORT = 0" in source
    assert "listening" not in source.splitlines()[0]  # a program, not the server's own output
    client = run_cli("tcp-client", "::1", "7", "--send", "hi", "--eol", "crlf", "--tls", "--code")
    source = client.stdout.decode()
    compile(source, "client.py", "exec")
    assert "HOST = '::1'" in source and "DATA = TEXT.encode('utf-8') + b'\\r\\n'" in source
    assert "wrap_socket" in source
    serve = run_cli("serve", "/somewhere/else", "--idle-timeout", "4", "--code")
    source = serve.stdout.decode()
    compile(source, "serve.py", "exec")
    assert "FOLDER = '/somewhere/else'" in source and "timeout = 4.0" in source


def test_code_refuses_a_bad_config_like_the_command_does() -> None:
    result = run_cli("tcp-server", "--port", "70000", "--code")
    assert result.returncode == 2 and b"Port 70000 is out of range" in result.stderr


def test_cli_client_takes_a_ca_file() -> None:
    result = run_cli("tcp-client", "127.0.0.1", "9", "--tls", "--ca-file", "/nowhere/ca.pem")
    assert result.returncode == 1
    assert b"The CA file /nowhere/ca.pem does not exist on this machine" in result.stderr


def test_every_command_can_print_its_program() -> None:
    """--code is on every command, so a new command cannot forget it."""
    import argparse

    from netlab.commands import build_parser

    commands = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    missing = [name for name, sub in commands.choices.items() if "--code" not in sub._option_string_actions]
    assert commands.choices and not missing
