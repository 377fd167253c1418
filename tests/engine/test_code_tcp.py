"""Every generated TCP program runs as printed and exchanges the same bytes as NetLab's own engine.

Server programs: NetLab's client engine talks to the generated server and to NetLab's server with the
same config, following the same script; the two transcripts must be equal. Client programs: each runs
against NetLab's server; what it printed must be what the server sent, and the server must have received
exactly the send box's bytes. Programs start in parallel so the suite stays fast.
"""

from __future__ import annotations

import contextlib
import queue
import re
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest
import trustme
from hypothesis import given, settings
from hypothesis import strategies as st

from netlab.core.autoreply import MatchKind, Rule
from netlab.core.codec import LineEnding, Payload, PayloadKind
from netlab.core.config import Family
from netlab.core.events import Closed, Direction, Listening, Opened
from netlab.core.sendbox import PeriodicSend, SendBox
from netlab.tcp.client import TcpClients
from netlab.tcp.code import Flavour, client_program, server_program
from netlab.tcp.config import ServerMode, TcpClientConfig, TcpServerConfig, TlsServerSettings
from netlab.tcp.server import TcpServer

from .conftest import WAIT, Recorder, eventually, running
from .test_serial import configs


def has_ipv6() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError:
        return False
    return True


# A new Python process (and its first line) can take seconds on a loaded two-core machine.
PROGRAM_WAIT = 3 * WAIT


class Program:
    """A generated program in a subprocess; its stdout lines arrive on a queue (reads never block us)."""

    def __init__(self, source: str, folder: Path, name: str, stdin: bool = False) -> None:
        path = folder / f"{name}.py"
        path.write_text(source)
        compile(source, str(path), "exec")  # a program that does not compile fails here, plainly
        self.process = subprocess.Popen(
            [sys.executable, str(path)],
            cwd=folder,
            stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        self.raw = bytearray()  # everything printed, byte for byte
        self._stderr: str | None = None
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.raw += line
            self.lines.put(line.decode(errors="replace"))

    def output(self) -> bytes:
        """All of stdout, once the program has ended by itself."""
        self.process.wait(WAIT)
        self._reader.join(WAIT)
        return bytes(self.raw)

    def wait_line(self, pattern: str, count: int = 1) -> str:
        """The count-th line matching pattern, within WAIT seconds."""
        found = [line for line in self.seen if re.search(pattern, line)]
        while len(found) < count:
            try:
                line = self.lines.get(timeout=PROGRAM_WAIT)
            except queue.Empty:
                self.stop()  # ended, so its stderr can be read whole
                raise AssertionError(f"no line like {pattern!r}; stderr: {self.stderr()}") from None
            self.seen.append(line)
            if re.search(pattern, line):
                found.append(line)
        return found[count - 1]

    def port(self) -> int:
        return int(self.wait_line(r"^listening on ").rsplit(":", 1)[1])

    def type(self, text: bytes) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(text)
        self.process.stdin.flush()

    def stderr(self) -> str:
        if self.process.poll() is None:
            return "(still running)"
        if self._stderr is None:
            assert self.process.stderr is not None
            self._stderr = self.process.stderr.read().decode(errors="replace")
        return self._stderr

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(WAIT)
        self.stderr()  # read before the pipe is closed, for the failure message
        for stream in (self.process.stdin, self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()


# A script step: ("open",), ("ready", n clients), ("send", i, data), ("lines", i, n), ("type", data),
# ("eof", i) (half-close, then wait for the server to close), ("closed", i).
Step = tuple[Any, ...]


@dataclass
class Case:
    config: TcpServerConfig
    script: list[Step]
    client_tls: dict[str, Any] = field(default_factory=dict)


RULES = (
    Rule(MatchKind.EXACT, "ping", r"pong {counter}\r\n"),
    Rule(MatchKind.REGEX, r"^who(ami)?$", r"you are {peer}\n"),
    Rule(MatchKind.CONTAINS, "é", r"accent \x41\n"),
    Rule(
        MatchKind.STARTS_WITH,
        "vars",
        r"{{n}}={counter:3} seq={seq} {random:4} at {time} on {date}{hex:0d 0a}",
    ),
)

CASES: dict[str, Case] = {
    "echo": Case(
        TcpServerConfig(port=0),
        [("open",), ("send", 0, b"hello\r\n"), ("send", 0, "Grüße".encode() + bytes(range(256))), ("eof", 0)],
    ),
    "upper": Case(
        TcpServerConfig(port=0, mode=ServerMode.UPPER),
        [("open",), ("send", 0, "Hello wörld\n".encode()), ("eof", 0)],
    ),
    "daytime": Case(TcpServerConfig(port=0, mode=ServerMode.DAYTIME), [("open",), ("closed", 0)]),
    "banner": Case(
        TcpServerConfig(port=0, mode=ServerMode.BANNER),
        [("open",), ("lines", 0, 1), ("send", 0, b"hi\n"), ("eof", 0)],
    ),
    "banner text": Case(
        TcpServerConfig(port=0, mode=ServerMode.BANNER, banner="Grüß dich\r\n", encoding="latin-1"),
        [("open",), ("lines", 0, 1), ("send", 0, b"hi\n"), ("eof", 0)],
    ),
    "chat": Case(
        TcpServerConfig(port=0, mode=ServerMode.CHAT),
        [
            ("open",),
            ("open",),
            ("ready", 2),
            ("send", 0, b"hello all\n"),
            ("lines", 1, 1),
            ("send", 1, b"hi back\n"),
            ("lines", 0, 1),
            ("eof", 0),
            ("eof", 1),
        ],
    ),
    "discard": Case(
        TcpServerConfig(port=0, mode=ServerMode.DISCARD), [("open",), ("send", 0, b"gone\n"), ("eof", 0)]
    ),
    "manual": Case(
        TcpServerConfig(port=0, mode=ServerMode.MANUAL),
        [("open",), ("ready", 1), ("type", b"typed by hand\n"), ("lines", 0, 1), ("eof", 0)],
    ),
    "rules": Case(
        TcpServerConfig(port=0, mode=ServerMode.RULES, rules=RULES),
        [
            ("open",),
            ("send", 0, b"ping\n"),
            ("lines", 0, 1),
            ("send", 0, b"whoami\n"),
            ("lines", 0, 2),
            ("send", 0, "café\n".encode()),
            ("lines", 0, 3),
            ("send", 0, b"vars?\n"),
            ("lines", 0, 4),
            ("send", 0, b"no rule for this\n"),
            ("eof", 0),
        ],
    ),
    "quit words": Case(
        TcpServerConfig(port=0, quit_words=("bye", "exit")),
        [("open",), ("send", 0, b"hello\n"), ("lines", 0, 1), ("send", 0, b"BYE\r\n"), ("closed", 0)],
    ),
    "tls": Case(
        TcpServerConfig(port=0, tls=TlsServerSettings(cert_file="CERT", key_file="KEY")),
        [("open",), ("send", 0, b"secret\n"), ("eof", 0)],
        {"tls": True},
    ),
    "tls self-signed": Case(
        TcpServerConfig(port=0, mode=ServerMode.UPPER, tls=TlsServerSettings(self_signed=True)),
        [("open",), ("send", 0, b"quiet\n"), ("eof", 0)],
        {"tls": True, "tls_verify": False},
    ),
    "ipv6": Case(
        TcpServerConfig(host="::1", port=0, family=Family.IPV6, mode=ServerMode.BANNER),
        [("open",), ("lines", 0, 1), ("send", 0, b"six\n"), ("eof", 0)],
    ),
    "dual-stack": Case(
        TcpServerConfig(host="::", port=0, family=Family.DUAL, backlog=5, reuse_addr=False),
        [("open",), ("send", 0, b"four\n"), ("eof", 0)],
    ),
}


def _with_files(config: TcpServerConfig, cert: str, key: str) -> TcpServerConfig:
    if config.tls is None or config.tls.self_signed:
        return config
    return replace(config, tls=TlsServerSettings(cert_file=cert, key_file=key))


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str, str]:
    folder = tmp_path_factory.mktemp("programs")
    authority = trustme.CA()
    issued = authority.issue_cert("127.0.0.1", "localhost")
    cert, key, ca = folder / "cert.pem", folder / "key.pem", folder / "ca.pem"
    issued.private_key_and_cert_chain_pem.write_to_path(str(cert))
    issued.private_key_pem.write_to_path(str(key))
    authority.cert_pem.write_to_path(str(ca))
    return folder, str(cert), str(key), str(ca)


@pytest.fixture(scope="module")
def servers(certificate: tuple[Path, str, str, str]) -> Iterator[dict[tuple[str, Flavour], Program]]:
    """Every case's server program in both flavours, all started at once."""
    folder, cert, key, _ = certificate
    programs = {}
    for name, case in CASES.items():
        if ("ipv6" in name or "dual" in name) and not has_ipv6():
            continue
        for flavour in Flavour:
            source = server_program(_with_files(case.config, cert, key), flavour)
            slug = re.sub(r"\W", "_", f"server_{name}_{flavour.value}")
            programs[name, flavour] = Program(
                source, folder, slug, stdin=case.config.mode is ServerMode.MANUAL
            )
    yield programs
    for program in programs.values():
        program.stop()


def _mask(data: bytes) -> bytes:
    """Ports and clock digits differ between two runs; everything else must not."""
    return re.sub(rb"\d", b"0", data)


def _play(case: Case, port: int, host: str, ready: Any, type_: Any, ca: str) -> list[bytes]:
    """Follow the script with NetLab's client engine; return what each connection received."""
    recorder = Recorder()
    options = dict(case.client_tls)
    if options.get("tls") and options.get("tls_verify", True):
        options["ca_file"] = ca
    connect_to = "127.0.0.1" if host in ("::", "0.0.0.0") else host
    config = TcpClientConfig(host=connect_to, port=port, **options)
    conns: list[int] = []

    def received(i: int) -> bytes:
        return recorder.payload(Direction.RECEIVED, conns[i])

    def closed(i: int) -> None:
        recorder.wait_for(lambda e: isinstance(e, Closed) and e.conn == conns[i])

    with running(TcpClients(recorder)) as clients:
        assert isinstance(clients, TcpClients)
        for step in case.script:
            kind = step[0]
            if kind == "open":
                conn = clients.open(config)
                conns.append(conn)
                recorder.wait_for(lambda e, c=conn: isinstance(e, Opened) and e.conn == c)
            elif kind == "ready":
                ready(step[1])
            elif kind == "send":
                clients.send(conns[step[1]], step[2])
            elif kind == "type":
                type_(step[1])
            elif kind == "lines":
                i, count = step[1], step[2]
                recorder.wait_for(lambda e, i=i, n=count: received(i).count(b"\n") >= n)
            elif kind == "eof":
                clients.half_close(conns[step[1]])
                closed(step[1])
            elif kind == "closed":
                closed(step[1])
        return [received(i) for i in range(len(conns))]


def _reference(case: Case, cert: str, key: str, ca: str) -> list[bytes]:
    """The same script against NetLab's own server."""
    recorder = Recorder()
    server = TcpServer(_with_files(case.config, cert, key), recorder)

    def ready(count: int) -> None:
        recorder.wait_for(lambda e: len(recorder.of(Opened)) >= count)

    with running(server):
        listening = recorder.wait_for(lambda e: isinstance(e, Listening))
        port = listening.port  # type: ignore[attr-defined]
        return _play(case, port, case.config.host, ready, lambda data: server.send(None, data), ca)


@pytest.mark.parametrize("flavour", list(Flavour), ids=lambda f: f.value)
@pytest.mark.parametrize("name", list(CASES))
def test_server_program_talks_like_netlab(
    name: str,
    flavour: Flavour,
    servers: dict[tuple[str, Flavour], Program],
    certificate: tuple[Path, str, str, str],
) -> None:
    if (name, flavour) not in servers:
        pytest.skip("no IPv6 on this machine")
    _, cert, key, ca = certificate
    case = CASES[name]
    program = servers[name, flavour]

    def ready(count: int) -> None:
        program.wait_line(r" connected$", count)

    got = _play(case, program.port(), case.config.host, ready, program.type, ca)
    expected = _reference(case, cert, key, ca)
    assert [_mask(g) for g in got] == [_mask(e) for e in expected]
    if name not in ("daytime", "banner", "ipv6", "chat", "rules"):
        assert got == expected  # nothing to mask: byte for byte
    assert any(got) or name == "discard"


# ---------------------------------------------------------------------- client programs

CLIENT_CASES: dict[str, tuple[TcpServerConfig, TcpClientConfig, SendBox]] = {
    **{
        mode.value: (
            TcpServerConfig(port=0, mode=mode, rules=RULES if mode is ServerMode.RULES else ()),
            TcpClientConfig(),
            # A daytime server closes at once: data sent to it would only draw a reset (RST).
            SendBox(Payload(text="" if mode is ServerMode.DAYTIME else "ping", eol=LineEnding.LF)),
        )
        for mode in ServerMode
        if mode is not ServerMode.RELAY  # a relay needs a server behind it: see test_tcp_relay.py
    },
    "quit word": (
        TcpServerConfig(port=0, quit_words=("bye",)),
        TcpClientConfig(),
        SendBox(Payload(text="bye", eol=LineEnding.CRLF)),
    ),
    "hex": (TcpServerConfig(port=0), TcpClientConfig(), SendBox(Payload(PayloadKind.HEX, "00 ff 0d 0a"))),
    "escapes": (
        TcpServerConfig(port=0, mode=ServerMode.UPPER),
        TcpClientConfig(nodelay=True, keepalive=True, rcvbuf=65536, sndbuf=65536, family=Family.IPV4),
        SendBox(Payload(text=r"a\tb\x00\\", escapes=True, eol=LineEnding.CRLF)),
    ),
    "gbk": (
        TcpServerConfig(port=0),
        TcpClientConfig(),
        SendBox(Payload(text="你好", encoding="gbk", eol=LineEnding.LF)),
    ),
    "file": (TcpServerConfig(port=0), TcpClientConfig(), SendBox(Payload(PayloadKind.FILE, "FILE"))),
    "tls": (
        TcpServerConfig(port=0, tls=TlsServerSettings(cert_file="CERT", key_file="KEY")),
        TcpClientConfig(tls=True, ca_file="CA"),
        SendBox(Payload(text="over tls\n")),
    ),
    "tls insecure": (
        TcpServerConfig(port=0, tls=TlsServerSettings(self_signed=True)),
        TcpClientConfig(tls=True, tls_verify=False),
        SendBox(Payload(text="trust me\n")),
    ),
    "nothing to send": (TcpServerConfig(port=0, mode=ServerMode.BANNER), TcpClientConfig(), SendBox()),
    "periodic": (TcpServerConfig(port=0), TcpClientConfig(), SendBox(Payload(text="tick\n"))),
}


@dataclass
class ClientRun:
    name: str
    recorder: Recorder
    box: SendBox
    program: Program


def test_client_programs_send_the_send_box_and_print_what_netlab_sent(
    certificate: tuple[Path, str, str, str],
) -> None:
    folder, cert, key, ca = certificate
    payload_file = folder / "payload.bin"
    payload_file.write_bytes(bytes(range(256)) * 4)
    runs: list[ClientRun] = []
    with contextlib.ExitStack() as stack:
        for name, (server_config, client_config, box) in CLIENT_CASES.items():
            recorder = Recorder()
            stack.enter_context(running(TcpServer(_with_files(server_config, cert, key), recorder)))
            port = recorder.wait_for(lambda e: isinstance(e, Listening)).port  # type: ignore[attr-defined]
            client_config = replace(client_config, port=port, ca_file=ca if client_config.ca_file else "")
            if box.payload.kind is PayloadKind.FILE:
                box = SendBox(Payload(PayloadKind.FILE, str(payload_file)))
            if name == "periodic":
                box = replace(box, periodic=PeriodicSend(interval_ms=10, count=3))
            source = client_program(client_config, box, wait=0.5)
            if name == "periodic":
                source = source.replace("REPEAT = False", "REPEAT = True")
            program = Program(source, folder, re.sub(r"\W", "_", f"client_{name}"))
            stack.callback(program.stop)
            runs.append(ClientRun(name, recorder, box, program))
        for run in runs:
            printed = run.program.output()
            assert run.program.process.returncode == 0, f"{run.name}: {run.program.stderr()}"
            if run.box.payload.kind is PayloadKind.FILE:
                expected = payload_file.read_bytes()
            else:
                expected = run.box.payload.to_bytes() if run.box.payload.text else b""
            if run.name == "periodic":
                expected *= 3
            received = lambda run=run: run.recorder.payload(Direction.RECEIVED)  # noqa: E731
            try:
                eventually(lambda received=received, expected=expected: received() == expected)
            except AssertionError:
                raise AssertionError(f"{run.name}: NetLab got {received()!r}, not {expected!r}") from None
            assert printed == run.recorder.payload(Direction.SENT), run.name
            assert printed or run.name in ("chat", "discard", "manual", "quit word", "nothing to send")


@settings(max_examples=40, deadline=None)
@given(
    server=configs(TcpServerConfig),
    client=configs(TcpClientConfig),
    box=configs(SendBox),
    flavour=st.sampled_from(list(Flavour)),
)
def test_every_config_makes_a_program_that_compiles(
    server: TcpServerConfig, client: TcpClientConfig, box: SendBox, flavour: Flavour
) -> None:
    """Whatever the user typed (quotes, backslashes, odd encodings), the program is valid Python."""
    compile(server_program(server, flavour), "server.py", "exec")
    compile(client_program(client, box), "client.py", "exec")
