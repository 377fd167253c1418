"""The UDP code view's programs run as printed and exchange the same bytes with NetLab's engines."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from netlab.core.autoreply import MatchKind, Rule
from netlab.core.codec import Payload, PayloadKind
from netlab.core.config import Family
from netlab.core.events import Data, Direction, Listening
from netlab.core.sendbox import PeriodicSend, SendBox
from netlab.udp.code import program
from netlab.udp.config import ReceiverMode, UdpReceiverConfig, UdpSenderConfig
from netlab.udp.receiver import UdpReceiver
from netlab.udp.sender import UdpSender
from tests.engine.conftest import WAIT, Recorder, eventually, running


@contextmanager
def run_program(source: str, tmp_path: Path) -> Iterator[subprocess.Popen[str]]:
    path = tmp_path / "program.py"
    path.write_text(source)
    process = subprocess.Popen(
        [sys.executable, str(path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=WAIT)


def bound_port(process: subprocess.Popen[str]) -> int:
    assert process.stdout is not None
    line = process.stdout.readline()
    assert line.startswith("listening on"), line
    return int(line.rsplit(",", 1)[1].strip(" )\n"))


@pytest.mark.parametrize(
    ("mode", "rules", "sent", "expected"),
    [
        (ReceiverMode.ECHO, (), b"hello", b"hello"),
        (ReceiverMode.UPPER, (), b"hello", b"HELLO"),
        (
            ReceiverMode.RULES,
            (Rule(MatchKind.STARTS_WITH, "pi", r"pong {counter}\r\n"),),
            b"ping",
            b"pong 1\r\n",
        ),
    ],
)
def test_receiver_program_answers_netlabs_sender_like_the_engine(
    tmp_path: Path, mode: ReceiverMode, rules: tuple[Rule, ...], sent: bytes, expected: bytes
) -> None:
    config = UdpReceiverConfig(port=0, mode=mode, rules=rules)
    # The engine itself, for the bytes to compare with.
    engine_events = Recorder()
    with (
        running(UdpReceiver(config, engine_events)) as engine,
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as peer,
    ):
        peer.settimeout(WAIT)
        assert isinstance(engine, UdpReceiver) and engine.address is not None
        peer.sendto(sent, engine.address)
        from_engine = peer.recvfrom(100)[0]
    with run_program(program(config), tmp_path) as process:
        port = bound_port(process)
        events = Recorder()
        with running(UdpSender(UdpSenderConfig(port=port), events)) as sender:
            assert isinstance(sender, UdpSender)
            sender.send(SendBox(payload=Payload(PayloadKind.TEXT, sent.decode())))
            reply = events.wait_for(lambda e: isinstance(e, Data) and e.direction is Direction.RECEIVED)
    assert isinstance(reply, Data)
    assert reply.data == from_engine == expected


@pytest.mark.parametrize(
    ("box", "repeat"),
    [
        (SendBox(payload=Payload(PayloadKind.TEXT, r"hi\n", escapes=True)), False),
        (SendBox(payload=Payload(PayloadKind.HEX, "00 ff 41")), False),
        (SendBox(payload=Payload(PayloadKind.TEXT, "tick"), periodic=PeriodicSend(10, 3)), True),
    ],
)
def test_sender_program_reaches_netlabs_receiver_and_prints_its_echo(
    tmp_path: Path, box: SendBox, repeat: bool
) -> None:
    events = Recorder()
    with running(UdpReceiver(UdpReceiverConfig(port=0, mode=ReceiverMode.ECHO), events)):
        listening = events.wait_for(lambda e: isinstance(e, Listening))
        assert isinstance(listening, Listening)
        source = program(UdpSenderConfig(port=listening.port), box, repeat)
        with run_program(source, tmp_path) as process:
            out, err = process.communicate(timeout=WAIT + 5)
        assert process.returncode == 0, err
        count = box.periodic.count if repeat else 1
        data = box.payload.to_bytes()
        eventually(
            lambda: [e.data for e in events.of(Data) if e.direction is Direction.RECEIVED] == [data] * count
        )
        assert out.count(f"bytes: {data!r}") == count


def test_programs_for_every_option_compile() -> None:
    configs: list[UdpReceiverConfig | UdpSenderConfig] = [
        UdpReceiverConfig(group="239.1.2.3", interface="127.0.0.1", rcvbuf=65536, quit_words=("bye",)),
        UdpReceiverConfig(host="::", family=Family.IPV6, group="ff02::1:3", interface="lo"),
        UdpReceiverConfig(host="::", family=Family.DUAL, reuse_addr=True),
        UdpSenderConfig(host="255.255.255.255", broadcast=True),
        UdpSenderConfig(host="239.1.2.3", multicast_ttl=4, multicast_interface="127.0.0.1"),
        UdpSenderConfig(host="ff02::1:3", multicast_interface="lo", multicast_loop=False),
        UdpSenderConfig(host="::1", bind_host="::1", source_port=5000),
    ]
    boxes = [
        SendBox(payload=Payload(PayloadKind.TEXT, "n={counter}")),
        SendBox(payload=Payload(PayloadKind.FILE, "/tmp/x.bin")),
        SendBox(payload=Payload(PayloadKind.HEX, "zz")),
    ]
    for config in configs:
        for box in boxes:
            source = program(config, box)
            compile(source, "program.py", "exec")
    assert "IP_ADD_MEMBERSHIP" in program(configs[0]) and "IPV6_JOIN_GROUP" in program(configs[1])
    assert "SO_BROADCAST" in program(configs[3]) and "IP_MULTICAST_TTL, 4" in program(configs[4])
    assert "NetLab fills in the {variables}" in program(configs[6], boxes[0])


def test_generator_program_stamps_what_netlabs_receiver_counts(tmp_path: Path) -> None:
    from netlab.udp.code import generator_program
    from netlab.udp.config import TrafficConfig

    events = Recorder()
    with running(UdpReceiver(UdpReceiverConfig(port=0), events)) as engine:
        assert isinstance(engine, UdpReceiver) and engine.address is not None
        traffic = TrafficConfig(rate=2000, count=50, duration_s=0, size=40)
        source = generator_program(UdpSenderConfig(port=engine.address[1]), traffic)
        with run_program(source, tmp_path) as process:
            out, err = process.communicate(timeout=WAIT + 5)
        assert process.returncode == 0, err
        assert out.startswith("50 datagrams in")
        eventually(lambda: [r.unique for r in engine.loss_reports().values()] == [50])
        (report,) = engine.loss_reports().values()
        assert (report.lost, report.duplicated, report.reordered) == (0, 0, 0)
        assert {len(e.data) for e in events.of(Data)} == {40}
