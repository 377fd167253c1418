"""The TCP relay against real peers on loopback: both ways, half-close, back-pressure, rewrites, TLS."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import ssl
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import pytest

import netlab.tcp.relay as relay_module
from netlab.core.events import Closed, Data, Direction, Error, Info, Listening, TlsInfo
from netlab.tcp.code import Flavour, server_program
from netlab.tcp.config import ServerMode, TcpServerConfig
from netlab.tcp.rewrite import RelayTarget, Rewrite, RewriteKind, Toward, rewrite
from netlab.tcp.server import TcpServer
from netlab.tcp.stream import HIGH_WATER, MAX_QUEUED

from .conftest import WAIT, Recorder, connect, recv_exactly, recv_until_closed, running
from .test_code_tcp import Program


class Peer:
    """A real server on loopback for the relay to reach: it records what it got, and can answer,
    half-close, or stop reading, as each test needs."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.tls = tls
        self.received = bytearray()  # += on bytes would copy everything so far, every read
        self.got_fin = threading.Event()
        self.accepted = threading.Event()
        self.conn: socket.socket | None = None

    def accept(self) -> socket.socket:
        self.listener.settimeout(WAIT)
        conn, _ = self.listener.accept()
        conn.settimeout(WAIT)
        if self.tls is not None:
            conn = self.tls.wrap_socket(conn, server_side=True)
        self.conn = conn
        self.accepted.set()
        return conn

    def echo_until_fin(self) -> None:
        """Echo every byte; on the client's FIN, half-close too (after a last word)."""
        conn = self.accept()
        while data := conn.recv(65536):
            self.received += data
            conn.sendall(data)
        self.got_fin.set()
        conn.sendall(b"bye after your FIN\n")
        if self.tls is None:
            conn.shutdown(socket.SHUT_WR)
        conn.close()

    def close(self) -> None:
        self.listener.close()
        if self.conn is not None:
            self.conn.close()


@contextmanager
def peer(
    tls: ssl.SSLContext | None = None, serve: Callable[[Peer], None] = Peer.echo_until_fin
) -> Iterator[Peer]:
    server = Peer(tls)

    def run() -> None:
        with contextlib.suppress(OSError):  # the relay (or the test) hung up first: that's the test's to say
            serve(server)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.close()
        thread.join(WAIT)


@contextmanager
def relay(target: RelayTarget, recorder: Recorder, trace: bool = False) -> Iterator[int]:
    config = TcpServerConfig(port=0, mode=ServerMode.RELAY, relay=target, trace=trace)
    with running(TcpServer(config, recorder)):
        yield recorder.wait_for(lambda e: isinstance(e, Listening)).port  # type: ignore[attr-defined]


def test_bytes_pass_both_ways_and_one_conversation_names_both_ends(recorder: Recorder) -> None:
    with peer() as target, relay(RelayTarget(port=target.port), recorder) as port, connect(port) as client:
        client.sendall(b"hello through the relay\n")
        assert recv_exactly(client, 24) == b"hello through the relay\n"
        client.shutdown(socket.SHUT_WR)
        assert recv_until_closed(client) == b"bye after your FIN\n"
    assert target.received == b"hello through the relay\n"
    data = recorder.of(Data)
    assert {e.conversation for e in data} == {data[0].conversation}  # one conversation
    assert recorder.payload(Direction.RECEIVED) == b"hello through the relay\n"  # what the client said
    assert recorder.payload(Direction.SENT) == b"hello through the relay\nbye after your FIN\n"
    said = " ".join(e.text for e in recorder.of(Info))
    assert f"⇄ server 127.0.0.1:{target.port}" in said and "relaying client 127.0.0.1:" in said
    recorder.wait_for(lambda e: isinstance(e, Closed) and e.reason == "both sides finished")


def test_half_close_passes_through_and_the_other_way_goes_on(recorder: Recorder) -> None:
    with peer() as target, relay(RelayTarget(port=target.port), recorder) as port, connect(port) as client:
        client.sendall(b"last words")
        client.shutdown(socket.SHUT_WR)  # our FIN: the server must see it, and may still talk
        assert target.got_fin.wait(WAIT), "the FIN did not reach the server"
        assert recv_until_closed(client) == b"last wordsbye after your FIN\n"


def test_the_server_half_closing_first_reaches_the_client(recorder: Recorder) -> None:
    def speak_then_fin(self: Peer) -> None:
        conn = self.accept()
        conn.sendall(b"220 ready\r\n")
        conn.shutdown(socket.SHUT_WR)
        while data := conn.recv(65536):
            self.received += data
        self.got_fin.set()
        conn.close()

    with (
        peer(serve=speak_then_fin) as target,
        relay(RelayTarget(port=target.port), recorder) as port,
        connect(port) as client,
    ):
        assert recv_exactly(client, 11) == b"220 ready\r\n"
        assert client.recv(10) == b""  # the server's FIN, passed on
        client.sendall(b"still heard")  # our way is still open
        client.shutdown(socket.SHUT_WR)
        assert target.got_fin.wait(WAIT)
        assert target.received == b"still heard"


def test_a_server_that_stops_reading_pauses_the_client_and_nothing_is_dropped(recorder: Recorder) -> None:
    release = threading.Event()

    def read_later(self: Peer) -> None:
        conn = self.accept()
        release.wait(WAIT * 2)
        while data := conn.recv(1 << 20):
            self.received += data
        self.got_fin.set()
        conn.close()

    total = 3 * MAX_QUEUED // 4 + 8 * HIGH_WATER  # more than the kernel buffers and the relay's window
    blob = bytes(range(256)) * (total // 256)
    with (
        peer(serve=read_later) as target,
        relay(RelayTarget(port=target.port), recorder) as port,
        connect(port) as client,
    ):
        client.settimeout(0.2)
        sent = 0
        try:  # the client pushes until its own send buffer is full: the relay stopped reading
            while sent < len(blob):
                sent += client.send(blob[sent : sent + 65536])
        except (TimeoutError, BlockingIOError):
            pass
        assert sent < len(blob), "the relay read everything: no back-pressure"
        release.set()
        client.settimeout(WAIT * 6)  # the whole rest, on a busy machine: a bound, not a speed target
        client.sendall(blob[sent:])
        client.shutdown(socket.SHUT_WR)
        assert target.got_fin.wait(WAIT * 2)
    assert target.received == blob  # every byte, in order


def test_rewrite_rules_change_bytes_and_the_log_counts_them(recorder: Recorder) -> None:
    rules = (
        Rewrite(RewriteKind.TEXT, "password", "********", Toward.SERVER),
        Rewrite(RewriteKind.HEX, "0d0a", "0a", Toward.CLIENT),
        Rewrite(RewriteKind.REGEX, r"(\d+)", r"<\1>", Toward.BOTH),
    )
    with (
        peer() as target,
        relay(RelayTarget(port=target.port, rewrites=rules), recorder) as port,
        connect(port) as client,
    ):
        client.sendall(b"password id=42\r\n")
        echoed = b"******** id=<<42>>\n"  # rule 1 and 3 on the way in; 2 and 3 on the way back
        assert recv_exactly(client, len(echoed)) == echoed
        client.shutdown(socket.SHUT_WR)
        recv_until_closed(client)
    assert target.received == b"******** id=<42>\r\n"
    said = [e.text for e in recorder.of(Info) if e.text.startswith("rewrote")]
    assert said[:2] == [
        "rewrote client → server: rule 1 ×1 (total 1), rule 3 ×1 (total 1)",
        "rewrote server → client: rule 2 ×1 (total 1), rule 3 ×1 (total 2)",
    ]


def test_an_unreachable_server_is_said_plainly_and_the_client_is_closed(recorder: Recorder) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        refused = probe.getsockname()[1]
    with relay(RelayTarget(port=refused), recorder) as port, connect(port) as client:
        assert recv_until_closed(client) == b""
    error = recorder.wait_for(lambda e: isinstance(e, Error))
    assert "refused" in error.message.lower() and f"127.0.0.1:{refused}" in error.message  # type: ignore[attr-defined]
    recorder.wait_for(lambda e: isinstance(e, Closed) and e.reason == "the server's side of the relay ended")


def test_a_lookup_slower_than_the_connect_timeout_closes_the_client_in_plain_words(
    recorder: Recorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    release = threading.Event()

    def hanging(host: str, port: int, family: int) -> list[tuple[int, tuple[str, int]]]:
        release.wait(60)  # a DNS server that never answers (let go at the end of the test)
        return [(socket.AF_INET, ("127.0.0.1", port))]

    monkeypatch.setattr(relay_module, "resolve", hanging)
    target = RelayTarget(host="slow.example", port=9, connect_timeout=0.2)
    try:
        with relay(target, recorder) as port, connect(port) as client:
            assert recv_until_closed(client) == b""
            error = recorder.wait_for(lambda e: isinstance(e, Error))
            closed = recorder.wait_for(lambda e: isinstance(e, Closed))
    finally:
        release.set()
    assert error.message == "The name lookup for 'slow.example' took longer than 0.2 s"  # type: ignore[attr-defined]
    assert closed.reason == "the relay could not look up slow.example"  # type: ignore[attr-defined]
    assert [e for e in recorder.events if isinstance(e, Error)] == [error]


@pytest.fixture(scope="module")
def ca() -> object:
    trustme = pytest.importorskip("trustme")
    return trustme.CA()


def tls_server_context(ca: object) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("localhost", "127.0.0.1").configure_cert(context)  # type: ignore[attr-defined]
    return context


def test_tls_to_the_server_is_verified_against_the_ca_file(
    recorder: Recorder, ca: object, tmp_path: Path
) -> None:
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))  # type: ignore[attr-defined]
    target_config = RelayTarget(host="127.0.0.1", tls=True, ca_file=str(ca_file))
    with peer(tls_server_context(ca)) as target:
        with relay(replace(target_config, port=target.port), recorder) as port, connect(port) as client:
            client.sendall(b"secret over TLS")
            assert recv_exactly(client, 15) == b"secret over TLS"  # plain to us, TLS to the server
        assert target.received.startswith(b"secret over TLS")
    assert recorder.of(TlsInfo), "the TLS version and cipher are logged"


def test_tls_verification_refuses_an_unknown_ca_and_the_toggle_lets_it_through(
    recorder: Recorder, ca: object
) -> None:
    with peer(tls_server_context(ca)) as target:
        with relay(RelayTarget(port=target.port, tls=True), recorder) as port, connect(port) as client:
            assert recv_until_closed(client) == b""
        error = recorder.wait_for(lambda e: isinstance(e, Error))
        assert "certificate" in error.message.lower()  # type: ignore[attr-defined]
    other = Recorder()
    with peer(tls_server_context(ca)) as target:
        unverified = RelayTarget(port=target.port, tls=True, tls_verify=False)
        with relay(unverified, other) as port, connect(port) as client:
            client.sendall(b"anyway")
            assert recv_exactly(client, 6) == b"anyway"
    assert any("NOT verified" in e.text for e in other.of(Info))


# ---------------------------------------------------------------------- the code view's program
def _play(port: int, script: list[bytes], sizes: list[int]) -> bytes:
    """Send each piece and wait for its (rewritten) echo; half-close; all that came back."""
    got = b""
    with connect(port) as client:
        for piece, size in zip(script, sizes, strict=True):
            client.sendall(piece)
            got += recv_exactly(client, size)
        client.shutdown(socket.SHUT_WR)
        return got + recv_until_closed(client)


@pytest.mark.parametrize("flavour", list(Flavour), ids=lambda f: f.value)
@pytest.mark.parametrize(
    "rules",
    [
        (),
        (
            Rewrite(RewriteKind.TEXT, r"secret\r\n", "XXXXXX\r\n", Toward.SERVER),
            Rewrite(RewriteKind.REGEX, r"(\d)", r"<\1>", Toward.CLIENT),
            Rewrite(RewriteKind.HEX, "ff", "ee", Toward.BOTH),
        ),
    ],
    ids=["plain", "rewrites"],
)
def test_the_relay_program_relays_like_netlab(
    flavour: Flavour, rules: tuple[Rewrite, ...], tmp_path: Path, recorder: Recorder
) -> None:
    script = [b"secret\r\n", b"abc\xff\n"]
    sizes = [len(rewrite(rules, rewrite(rules, p, to_server=True)[0], to_server=False)[0]) for p in script]
    with peer() as target:
        config = TcpServerConfig(
            port=0, mode=ServerMode.RELAY, relay=RelayTarget(port=target.port, rewrites=rules)
        )
        program = Program(server_program(config, flavour), tmp_path, "relay")
        try:
            got = _play(program.port(), script, sizes)
            program.wait_line(r"both sides finished$")
        finally:
            program.stop()
    with peer() as target, relay(RelayTarget(port=target.port, rewrites=rules), recorder) as port:
        expected = _play(port, script, sizes)
    assert got == expected
    assert got.endswith(b"bye after your FIN\n")  # the FIN went through, and the answer came back
    if rules:
        assert got.startswith(b"XXXXXX\r\nabc\xee\n")


# ---------------------------------------------------------------------- the CLI
def test_netlab_tcp_relay_relays_and_prints_both_sides() -> None:
    with peer() as target:
        process = subprocess.Popen(
            [sys.executable, "-m", "netlab", "tcp-relay", "0", "127.0.0.1", str(target.port)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        try:
            assert process.stdout is not None
            first = process.stdout.readline().decode()
            assert first.startswith("listening on 127.0.0.1:"), first
            port = int(first.rsplit(":", 1)[1])
            assert _play(port, [b"via the CLI\n"], [12]) == b"via the CLI\nbye after your FIN\n"
        finally:
            process.send_signal(signal.SIGTERM)
            out, err = process.communicate(timeout=WAIT)
    assert process.returncode == 0, err
    assert f"⇄ server 127.0.0.1:{target.port}".encode() in out
    assert b"received 12 bytes: via the CLI\\n" in out  # the client's words
    assert b"bye after your FIN" in out  # the server's


def test_netlab_tcp_relay_refuses_a_bad_target_in_plain_words() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "netlab", "tcp-relay", "0", "127.0.0.1", "0"],
        capture_output=True,
        timeout=WAIT * 4,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.decode().strip() == (
        "netlab: Relay to: Port 0 is out of range: use a port from 1 to 65535"
    )


# ---------------------------------------------------------------------- lab files
def test_a_relay_round_trips_through_a_lab_file_as_plain_words() -> None:
    from netlab.lab.labfile import Lab, dumps, loads
    from netlab.tcp.config import TcpTabState

    relay_config = RelayTarget(
        host="example.org",
        port=443,
        tls=True,
        tls_verify=False,
        rewrites=(Rewrite(RewriteKind.REGEX, r"(\d+)", r"<\1>", Toward.CLIENT),),
    )
    state = TcpTabState(server=TcpServerConfig(mode=ServerMode.RELAY, relay=relay_config))
    text = dumps(Lab(states={"tcp": state}))
    assert loads(text).state("tcp") == state
    assert '"mode": "relay"' in text and '"toward": "to client"' in text and '"host": "example.org"' in text
    broken = text.replace('"toward": "to client"', '"toward": "sideways"')
    with pytest.raises(Exception, match=r"tcp\.server\.relay\.rewrites\[0\]\.toward"):
        loads(broken)


def test_a_flood_to_a_server_that_echoes_never_deadlocks(recorder: Recorder) -> None:
    """Both ways full at once: the relay must keep reading the server while its bytes for it wait,
    or neither would read until the other did."""
    blob = os.urandom(8 * HIGH_WATER)
    with peer() as target, relay(RelayTarget(port=target.port), recorder) as port, connect(port) as client:
        sender = threading.Thread(target=lambda: (client.sendall(blob), client.shutdown(socket.SHUT_WR)))
        sender.start()
        client.settimeout(WAIT * 6)  # a bound for a busy machine; a deadlock never ends
        assert recv_exactly(client, len(blob)) == blob
        sender.join(WAIT)
    assert target.received == blob
