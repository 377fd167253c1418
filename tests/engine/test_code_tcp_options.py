"""The client program with the protocol-developer options runs as printed: bind, banner, delay,
variables and checksums, against NetLab's own server, and sends what NetLab would send."""

from __future__ import annotations

import re
import socket
from pathlib import Path

import pytest

from netlab.core.checksum import Algorithm, ByteOrder, Checksum
from netlab.core.codec import LineEnding, Payload, PayloadKind
from netlab.core.events import Direction, Listening, Opened
from netlab.core.sendbox import PeriodicSend, SendBox, send_bytes
from netlab.core.variables import Expander
from netlab.tcp.code import client_program
from netlab.tcp.config import ServerMode, TcpClientConfig, TcpServerConfig
from netlab.tcp.server import TcpServer

from .conftest import Recorder, eventually, running
from .test_code_tcp import Program


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize("algorithm", list(Algorithm))
def test_banner_bind_variables_and_checksum_run_as_printed(tmp_path: Path, algorithm: Algorithm) -> None:
    recorder = Recorder()
    server = TcpServer(TcpServerConfig(port=0, mode=ServerMode.BANNER, banner="220 hi\r\n"), recorder)
    box = SendBox(
        Payload(text="n={counter:3} {hex:2a}", eol=LineEnding.CRLF),
        PeriodicSend(interval_ms=10, count=3),
        checksum=Checksum(algorithm, ByteOrder.LITTLE, skip_first=2, skip_last=1),
    )
    local_port = free_port()
    with running(server):
        port = recorder.wait_for(lambda e: isinstance(e, Listening)).port  # type: ignore[attr-defined]
        config = TcpClientConfig(
            port=port,
            local_host="127.0.0.1",
            local_port=local_port,
            wait_for_server=True,
            connect_delay=0.01,
        )
        source = client_program(config, box, wait=0.5).replace("REPEAT = False", "REPEAT = True")
        assert "sock.bind((LOCAL_HOST or any_address, LOCAL_PORT))" in source
        program = Program(source, tmp_path, f"client_{algorithm.name.lower()}")
        try:
            printed = program.output()
        finally:
            program.stop()
        assert program.process.returncode == 0, program.stderr()
        expander = Expander()
        expected = b"".join(send_bytes(box, expander) for _ in range(3))
        eventually(lambda: recorder.payload(Direction.RECEIVED) == expected)
    opened = recorder.wait_for(lambda e: isinstance(e, Opened))
    assert opened.peer == f"127.0.0.1:{local_port}"  # the server saw the port we bound
    assert printed.startswith(b"220 hi\r\n")
    assert printed == b"220 hi\r\n" + expected  # the banner, then the echo of every send


def test_a_silent_server_gets_the_message_and_the_send(tmp_path: Path) -> None:
    recorder = Recorder()
    with running(TcpServer(TcpServerConfig(port=0, mode=ServerMode.DISCARD), recorder)):
        port = recorder.wait_for(lambda e: isinstance(e, Listening)).port  # type: ignore[attr-defined]
        config = TcpClientConfig(port=port, wait_for_server=True, server_first_timeout=0.2, local_port=0)
        program = Program(client_program(config, SendBox(Payload(text="x")), wait=0.3), tmp_path, "silent")
        try:
            program.output()
        finally:
            program.stop()
        assert "the server said nothing within 0.2 s; sending anyway" in program.stderr()
        eventually(lambda: recorder.payload(Direction.RECEIVED) == b"x")


@pytest.mark.parametrize(
    "payload",
    [
        Payload(PayloadKind.HEX, "01 03 {counter:2} {hex:ff} {seq}"),
        Payload(text=r"{date} {time} #{seq:4}\t{peer}", escapes=True, eol=LineEnding.LF),
    ],
    ids=["hex", "text"],
)
def test_variables_in_the_program_are_the_tabs(tmp_path: Path, payload: Payload) -> None:
    recorder = Recorder()
    box = SendBox(payload, PeriodicSend(interval_ms=10, count=3), checksum=Checksum(Algorithm.CRC32))
    with running(TcpServer(TcpServerConfig(port=0, mode=ServerMode.DISCARD), recorder)):
        port = recorder.wait_for(lambda e: isinstance(e, Listening)).port  # type: ignore[attr-defined]
        source = client_program(TcpClientConfig(port=port), box, wait=0.3).replace(
            "REPEAT = False", "REPEAT = True"
        )
        program = Program(source, tmp_path, f"vars_{payload.kind.value}")
        try:
            program.output()
        finally:
            program.stop()
        assert program.process.returncode == 0, program.stderr()
        expander = Expander()
        peer = f"127.0.0.1:{port}"
        expected = b"".join(send_bytes(box, expander, peer) for _ in range(3))
        if payload.kind is PayloadKind.TEXT:  # the clock may tick between the two: compare the shape
            eventually(lambda: len(recorder.payload(Direction.RECEIVED)) == len(expected))
            got = recorder.payload(Direction.RECEIVED)
            size = len(expected) // 3
            for n in range(3):
                send = got[n * size : (n + 1) * size]
                shape = rb"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d #%04d\t" % n + re.escape(peer.encode()) + b"\n"
                assert re.fullmatch(shape, send[:-4]), send
                assert send[-4:] == Checksum(Algorithm.CRC32).of(send[:-4])
        else:
            eventually(lambda: recorder.payload(Direction.RECEIVED) == expected)
