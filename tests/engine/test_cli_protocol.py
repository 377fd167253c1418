"""`netlab tcp-client` with the protocol-developer options: variables, a checksum, bind, banner wait."""

from __future__ import annotations

import socket

from netlab.core.checksum import Algorithm, ByteOrder, Checksum
from netlab.core.events import Direction, Listening, Opened
from netlab.tcp.config import ServerMode, TcpServerConfig
from netlab.tcp.server import TcpServer

from .conftest import Recorder, eventually, running
from .test_cli import run_cli


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_cli_client_binds_waits_for_the_banner_and_appends_the_checksum() -> None:
    recorder = Recorder()
    config = TcpServerConfig(port=0, mode=ServerMode.BANNER, banner="220 hi\r\n", trace=True)
    with running(TcpServer(config, recorder)):
        port = recorder.wait_for(lambda e: isinstance(e, Listening)).port  # type: ignore[attr-defined]
        local = free_port()
        args = ["tcp-client", "127.0.0.1", str(port), "--send", "n={counter:2}", "--wait", "0.5"]
        args += ["--checksum", "crc16-modbus", "--checksum-order", "little"]
        args += ["--bind", f"127.0.0.1:{local}", "--wait-banner", "3", "--delay", "0.05"]
        result = run_cli(*args)
        assert result.returncode == 0, result.stderr
        sent = b"n=01" + Checksum(Algorithm.CRC16_MODBUS, ByteOrder.LITTLE).of(b"n=01")
        eventually(lambda: recorder.payload(Direction.RECEIVED) == sent)
        assert result.stdout == b"220 hi\r\n" + sent  # the banner, then the echo
        opened = recorder.wait_for(lambda e: isinstance(e, Opened))
        assert opened.peer == f"127.0.0.1:{local}"
        code = run_cli(*args, "--code")
        assert f"LOCAL_PORT = {local}" in code.stdout.decode()
        assert "SERVER_FIRST_TIMEOUT_S = 3.0" in code.stdout.decode()


def test_cli_client_can_send_braces_as_typed_and_says_a_bad_variable_plainly() -> None:
    bad = run_cli("tcp-client", "127.0.0.1", "9", "--send", "{nope}")
    assert bad.returncode == 2
    assert b"'{nope}' is not a variable NetLab knows" in bad.stderr and b"Traceback" not in bad.stderr
    bad_bind = run_cli("tcp-client", "127.0.0.1", "9", "--send", "x", "--bind", "127.0.0.1")
    assert bad_bind.returncode == 2 and b"no port after the colon" in bad_bind.stderr
    recorder = Recorder()
    with running(TcpServer(TcpServerConfig(port=0, mode=ServerMode.DISCARD), recorder)):
        port = recorder.wait_for(lambda e: isinstance(e, Listening)).port  # type: ignore[attr-defined]
        plain = run_cli(
            "tcp-client", "127.0.0.1", str(port), "--send", '{"a": 1}', "--no-variables", "--wait", "0.2"
        )
        assert plain.returncode == 0, plain.stderr
        eventually(lambda: recorder.payload(Direction.RECEIVED) == b'{"a": 1}')
