"""Issue 6, engine side: periodic timing, fallback options, resolver thread, bounded queues, faults."""

from __future__ import annotations

import argparse
import errno
import queue
import socket
import threading
import time
import types
from collections.abc import Iterator
from typing import Any

import pytest

from netlab import commands
from netlab.core.errors import error_event, explain
from netlab.core.events import (
    Closed,
    Data,
    Direction,
    Error,
    Event,
    Info,
    Listening,
    Opened,
    PeriodicEnded,
    SocketCall,
    Stopped,
)
from netlab.tcp import client as client_module
from netlab.tcp import stream as stream_module
from netlab.tcp.client import Address, TcpClients
from netlab.tcp.config import PeriodicSend, TcpClientConfig, TcpServerConfig
from netlab.tcp.server import TcpServer

from .conftest import WAIT, Recorder, connect, eventually, recv_exactly, running


def free_port() -> int:
    """A port nothing listens on (connections to it are refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def echo_server() -> Iterator[int]:
    events = Recorder()
    with running(TcpServer(TcpServerConfig(port=0), events)):
        yield events.wait_for(lambda e: isinstance(e, Listening)).port  # type: ignore[attr-defined]


# ---------------------------------------------------------------------- item 3: periodic send
def test_periodic_ticks_are_one_interval_apart_from_the_first(
    recorder: Recorder, echo_server: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = TcpClients(recorder)
    with running(engine):
        conn = engine.open(TcpClientConfig(port=echo_server))
        recorder.wait_for(lambda e: isinstance(e, Opened))
        # The schedule is start + k intervals; a start in the past makes every tick due at once, so the
        # test reads the schedule without waiting for it.
        start = time.monotonic() - 60
        monkeypatch.setattr(client_module, "time", types.SimpleNamespace(monotonic=lambda: start))
        offsets: list[float] = []
        real_call_at = engine.loop.call_at

        def recording_call_at(when: float, callback: Any, *args: Any) -> Any:
            offsets.append(round(when - start, 6))
            return real_call_at(when, callback, *args)

        monkeypatch.setattr(engine.loop, "call_at", recording_call_at)
        engine.start_periodic(conn, b"tick", PeriodicSend(interval_ms=500, count=4))
        ended = recorder.wait_for(lambda e: isinstance(e, PeriodicEnded))
    # The first send goes out at once (0 s); the timers place the others at 0.5, 1.0 and 1.5 s.
    assert offsets == [0.5, 1.0, 1.5]
    assert isinstance(ended, PeriodicEnded) and ended.sends == 4 and ended.conn == conn
    assert ended.text == "periodic send finished after 4 sends"


def test_stopping_a_periodic_send_says_so_once_in_plain_words(recorder: Recorder, echo_server: int) -> None:
    engine = TcpClients(recorder)
    with running(engine):
        conn = engine.open(TcpClientConfig(port=echo_server))
        recorder.wait_for(lambda e: isinstance(e, Opened))
        engine.start_periodic(conn, b".", PeriodicSend(interval_ms=1, count=0))
        recorder.wait_for(lambda e: isinstance(e, Data) and e.direction is Direction.SENT)
        engine.stop_periodic(conn)
        ended = recorder.wait_for(lambda e: isinstance(e, PeriodicEnded))
        engine.start_periodic(conn, b".", PeriodicSend(interval_ms=1, count=0))
        recorder.wait_for(lambda e: len(recorder.of(Info)) >= 3)
        engine.close(conn)
        closed_ended = recorder.wait_for(lambda e: isinstance(e, PeriodicEnded) and e is not ended)
    assert isinstance(ended, PeriodicEnded)
    assert ended.text.startswith("periodic send stopped by you after ")
    assert ended.text.count("periodic send") == 1
    assert "the connection closed" in closed_ended.text  # type: ignore[attr-defined]


# ---------------------------------------------------------------------- item 6: CLI after a DNS error
def failing_resolver(host: str, port: int, family: int) -> list[Address]:
    raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")


def test_cli_client_stops_at_the_dns_error(capsys: pytest.CaptureFixture[str]) -> None:
    events: queue.Queue[Event] = queue.Queue()
    engine = TcpClients(events.put, resolver=failing_resolver)
    args = argparse.Namespace(file=None, wait=0.2, hexdump=False, trace=False)
    config = TcpClientConfig(host="no.such.host.invalid", port=9000, connect_timeout=0.5)
    with running(engine):
        status = commands._client_session(engine, config, events, b"hi", args)
    err = capsys.readouterr().err
    assert status == 1
    assert "The host name 'no.such.host.invalid' could not be found" in err
    assert "in time" not in err
    assert err.count("\n") == 1


# ---------------------------------------------------------------------- item 7: options on fallback
def test_every_address_tried_gets_the_socket_options_and_socket_comes_first(
    recorder: Recorder, echo_server: int
) -> None:
    dead = free_port()

    def two_addresses(host: str, port: int, family: int) -> list[Address]:
        return [(socket.AF_INET, ("127.0.0.1", dead)), (socket.AF_INET, ("127.0.0.1", echo_server))]

    engine = TcpClients(recorder, trace=True, resolver=two_addresses)
    with running(engine):
        conn = engine.open(TcpClientConfig(host="twice.test", port=echo_server, nodelay=True, keepalive=True))
        recorder.wait_for(lambda e: isinstance(e, Opened))
        sock = engine._streams[conn].sock
        nodelay = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
        keepalive = sock.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE)
        engine.send(conn, b"still there")
        recorder.wait_for(lambda e: isinstance(e, Data) and e.direction is Direction.RECEIVED)
    assert nodelay and keepalive
    calls = [e.call for e in recorder.of(SocketCall) if not e.call.startswith("getaddrinfo")]
    sockets = [i for i, call in enumerate(calls) if call.startswith("socket(")]
    assert len(sockets) == 2, calls
    for first in sockets:  # socket(), then its options, then connect()
        assert calls[first + 1 : first + 4] == [
            "setsockopt(IPPROTO_TCP, TCP_NODELAY, 1)",
            "setsockopt(SOL_SOCKET, SO_KEEPALIVE, 1)",
            f"connect({calls[first + 3][8:]}",
        ]
    assert not recorder.of(Error)


# ---------------------------------------------------------------------- item 8: no ':None'
@pytest.mark.parametrize("code", [errno.ECONNABORTED, errno.ECONNRESET, errno.EPIPE])
def test_messages_without_a_peer_address_read_plainly(code: int) -> None:
    problem = explain(OSError(code, "x"), action="accept")
    assert "None" not in problem.message and ":?" not in problem.message and " :" not in problem.message
    assert "the peer" in problem.message


def test_error_event_takes_host_and_port_from_the_peer() -> None:
    event = error_event(
        ConnectionRefusedError(errno.ECONNREFUSED, "x"), source="client", action="connect", peer="[::1]:80"
    )
    assert event.message.startswith("Connection refused by [::1]:80")
    assert event.peer == "[::1]:80" and event.hint


# ---------------------------------------------------------------------- items 9 and 11: faults
def socket_module_whose_socket_fails(code: int) -> types.SimpleNamespace:
    """The socket module as seen by one engine module, except that socket() fails with errno code."""

    def failing_socket(*_args: Any, **_kwargs: Any) -> socket.socket:
        raise OSError(code, "injected")

    fake = types.SimpleNamespace(**vars(socket))
    fake.socket = failing_socket
    return fake


def test_a_client_socket_that_cannot_be_made_is_one_error(
    recorder: Recorder, echo_server: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = TcpClients(recorder)
    with running(engine):
        monkeypatch.setattr(client_module, "socket", socket_module_whose_socket_fails(errno.EMFILE))
        failed = engine.open(TcpClientConfig(port=echo_server))
        error = recorder.wait_for(lambda e: isinstance(e, Error))
        recorder.wait_for(lambda e: isinstance(e, Closed) and e.conn == failed)
        monkeypatch.undo()
        works = engine.open(TcpClientConfig(port=echo_server))
        engine.send(works, b"ok")
        recorder.wait_for(lambda e: isinstance(e, Data) and e.direction is Direction.RECEIVED)
    assert error.message.startswith("Too many open connections")  # type: ignore[attr-defined]
    assert "Internal error" not in error.message  # type: ignore[attr-defined]


def test_a_fallback_socket_that_cannot_be_made_is_one_error(
    recorder: Recorder, echo_server: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    dead = free_port()

    def two_addresses(host: str, port: int, family: int) -> list[Address]:
        return [(socket.AF_INET, ("127.0.0.1", dead)), (socket.AF_INET, ("127.0.0.1", echo_server))]

    engine = TcpClients(recorder, resolver=two_addresses)
    with running(engine):
        monkeypatch.setattr(stream_module, "socket", socket_module_whose_socket_fails(errno.EMFILE))
        engine.open(TcpClientConfig(host="twice.test", port=echo_server))
        error = recorder.wait_for(lambda e: isinstance(e, Error))
        recorder.wait_for(lambda e: isinstance(e, Closed))
        monkeypatch.undo()
        works = engine.open(TcpClientConfig(port=echo_server))
        engine.send(works, b"ok")
        recorder.wait_for(lambda e: isinstance(e, Data) and e.direction is Direction.RECEIVED)
    assert error.message.startswith("Too many open connections")  # type: ignore[attr-defined]


FAULTS = [
    ConnectionResetError(errno.ECONNRESET, "injected"),
    __import__("ssl").SSLError(1, "injected TLS failure"),
    UnicodeDecodeError("utf-8", b"\xff", 0, 1, "injected"),
    LookupError("injected: unknown encoding"),
]


class Injector:
    """Makes one socket's recv() or send() raise, chosen by the address of the peer it talks to."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, method: str, exc: Exception) -> None:
        self.victim: tuple[str, int] | None = None
        self.raised = threading.Event()
        original = getattr(socket.socket, method)

        def faulty(sock: socket.socket, *args: Any) -> Any:
            if self.victim is not None and _peer(sock) == self.victim:
                self.raised.set()
                raise exc
            return original(sock, *args)

        monkeypatch.setattr(socket.socket, method, faulty)


def _peer(sock: socket.socket) -> Any:
    try:
        return sock.getpeername()[:2]
    except OSError:
        return None


@pytest.mark.parametrize("method", ["recv", "send"])
@pytest.mark.parametrize("exc", FAULTS, ids=lambda e: type(e).__name__)
def test_server_turns_socket_faults_into_errors_and_serves_the_others(
    recorder: Recorder, monkeypatch: pytest.MonkeyPatch, method: str, exc: Exception
) -> None:
    injector = Injector(monkeypatch, method, exc)
    with running(TcpServer(TcpServerConfig(port=0), recorder)):
        port = recorder.wait_for(lambda e: isinstance(e, Listening)).port  # type: ignore[attr-defined]
        victim, bystander = connect(port), connect(port)
        recorder.wait_for(lambda e: len(recorder.of(Opened)) == 2)  # numbers never restart: count
        injector.victim = victim.getsockname()[:2]
        victim.sendall(b"boom")
        error = recorder.wait_for(lambda e: isinstance(e, Error))
        recorder.wait_for(lambda e: isinstance(e, Closed) and e.conn == error.conn)
        bystander.sendall(b"still served")
        assert recv_exactly(bystander, 12) == b"still served"
    assert injector.raised.is_set()
    assert "Internal error" not in error.message  # type: ignore[attr-defined]
    assert error.hint or "failed" in error.message  # type: ignore[attr-defined]


@pytest.mark.parametrize("exc", FAULTS, ids=lambda e: type(e).__name__)
def test_client_turns_socket_faults_into_errors_and_serves_the_others(
    recorder: Recorder, echo_server: int, monkeypatch: pytest.MonkeyPatch, exc: Exception
) -> None:
    injector = Injector(monkeypatch, "recv", exc)
    engine = TcpClients(recorder)
    with running(engine):
        victim, bystander = (
            engine.open(TcpClientConfig(port=echo_server)),
            engine.open(TcpClientConfig(port=echo_server)),
        )
        recorder.wait_for(lambda e: isinstance(e, Opened) and e.conn == bystander)
        recorder.wait_for(lambda e: isinstance(e, Opened) and e.conn == victim)
        injector.victim = ("127.0.0.1", echo_server)  # both talk to it: the first recv() gets the fault
        engine.send(victim, b"boom")
        error = recorder.wait_for(lambda e: isinstance(e, Error))
        injector.victim = None
        engine.send(bystander, b"fine")
        recorder.wait_for(
            lambda e: isinstance(e, Data) and e.direction is Direction.RECEIVED and e.conn == bystander
        )
    assert error.conn == victim  # type: ignore[attr-defined]
    assert "Internal error" not in error.message  # type: ignore[attr-defined]


def test_a_fault_in_a_command_is_one_error_and_the_engine_goes_on(
    recorder: Recorder, echo_server: int
) -> None:
    engine = TcpClients(recorder)
    with running(engine):

        def broken_command() -> None:
            raise UnicodeEncodeError("ascii", "é", 0, 1, "injected")

        engine.loop.call_soon_threadsafe(broken_command)
        error = recorder.wait_for(lambda e: isinstance(e, Error))
        conn = engine.open(TcpClientConfig(port=echo_server))
        engine.send(conn, b"ok")
        recorder.wait_for(lambda e: isinstance(e, Data) and e.direction is Direction.RECEIVED)
    assert "Internal error" not in error.message  # type: ignore[attr-defined]
    assert error.hint  # type: ignore[attr-defined]


# ---------------------------------------------------------------------- item 12: resolver thread
def test_a_hanging_name_lookup_blocks_nothing_and_shutdown_ends_cleanly(
    recorder: Recorder, echo_server: int
) -> None:
    release = threading.Event()
    asked = threading.Event()

    def hanging(host: str, port: int, family: int) -> list[Address]:
        asked.set()
        release.wait(60)  # a DNS server that never answers (let go at the end of the test)
        raise socket.gaierror(socket.EAI_AGAIN, "gave up")

    engine = TcpClients(recorder, resolver=hanging)
    try:
        with running(engine):  # asserts that the engine's thread ends within WAIT seconds of stop()
            slow = engine.open(TcpClientConfig(host="slow.example", port=echo_server, connect_timeout=3600))
            assert asked.wait(WAIT)
            fast = engine.open(TcpClientConfig(port=echo_server))
            engine.send(fast, b"not blocked")
            recorder.wait_for(lambda e: isinstance(e, Data) and e.direction is Direction.RECEIVED)
            engine.close(slow)
            closed = recorder.wait_for(lambda e: isinstance(e, Closed) and e.conn == slow)
    finally:
        release.set()
    assert "name lookup" in closed.reason  # type: ignore[attr-defined]
    stopped_at = recorder.events.index(recorder.of(Closed)[-1])
    assert not any(isinstance(e, Error) for e in recorder.events[stopped_at:])


def test_a_lookup_slower_than_the_connect_timeout_is_explained(recorder: Recorder) -> None:
    release = threading.Event()

    def hanging(host: str, port: int, family: int) -> list[Address]:
        release.wait(60)
        return []

    try:
        with running(TcpClients(recorder, resolver=hanging)) as engine:
            assert isinstance(engine, TcpClients)
            conn = engine.open(TcpClientConfig(host="slow.example", port=9, connect_timeout=0.05))
            error = recorder.wait_for(lambda e: isinstance(e, Error))
            recorder.wait_for(lambda e: isinstance(e, Closed) and e.conn == conn)
    finally:
        release.set()
    assert error.message == "The name lookup for 'slow.example' took longer than 0.05 s"  # type: ignore[attr-defined]


def test_names_are_resolved_off_the_engine_thread(recorder: Recorder, echo_server: int) -> None:
    threads: list[str] = []

    def local(host: str, port: int, family: int) -> list[Address]:
        threads.append(threading.current_thread().name)
        return [(socket.AF_INET, ("127.0.0.1", port))]

    with running(TcpClients(recorder, resolver=local)) as engine:
        assert isinstance(engine, TcpClients)
        engine.open(TcpClientConfig(host="echo.test", port=echo_server))
        recorder.wait_for(lambda e: isinstance(e, Opened))
    assert threads and threads[0].startswith("netlab-resolve-")


# ---------------------------------------------------------------------- item 13: bounded queues
@pytest.fixture
def deaf_server() -> Iterator[socket.socket]:
    """Accepts and never reads, with a small receive buffer: the client's output backs up."""
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    yield listener
    listener.close()


def test_manual_sends_to_a_peer_that_never_reads_are_bounded_and_counted(
    recorder: Recorder, deaf_server: socket.socket, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(stream_module, "MAX_QUEUED", 1024 * 1024)
    engine = TcpClients(recorder)
    chunk = b"x" * 65536
    with running(engine):
        conn = engine.open(TcpClientConfig(port=deaf_server.getsockname()[1], sndbuf=4096))
        recorder.wait_for(lambda e: isinstance(e, Opened))
        for _ in range(64):  # 4 MiB, four times the bound
            engine.send(conn, chunk)
        warning = recorder.wait_for(lambda e: isinstance(e, Error) and "too slowly" in e.message)
        eventually(lambda: engine.counters().dropped_bytes > 0)
        eventually(lambda: engine._streams[conn].queued <= 1024 * 1024)
    assert warning.conn == conn
    assert engine.counters().dropped_bytes % len(chunk) == 0


def test_periodic_sending_pauses_while_output_backs_up(
    recorder: Recorder, deaf_server: socket.socket, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(client_module, "HIGH_WATER", 256 * 1024)
    engine = TcpClients(recorder)
    with running(engine):
        conn = engine.open(TcpClientConfig(port=deaf_server.getsockname()[1], sndbuf=4096))
        recorder.wait_for(lambda e: isinstance(e, Opened))
        engine.start_periodic(conn, b"y" * 65536, PeriodicSend(interval_ms=1, count=0))
        paused = recorder.wait_for(lambda e: isinstance(e, Info) and "paused" in e.text)
        engine.stop_periodic(conn)
        recorder.wait_for(lambda e: isinstance(e, PeriodicEnded))
    assert "is not reading" in paused.text  # type: ignore[attr-defined]
    assert engine.counters().dropped_bytes == 0


# ---------------------------------------------------------------------- items 9 and 11: the file server
def http_get(port: int) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=WAIT) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
        return data


@pytest.mark.parametrize("method", ["setsockopt", "getsockname"])
def test_file_server_survives_a_client_that_vanishes_while_accepted(
    recorder: Recorder, tmp_path: Any, monkeypatch: pytest.MonkeyPatch, method: str
) -> None:
    from netlab.http.file_server import FileServer, FileServerConfig

    server = FileServer(FileServerConfig(root=str(tmp_path), port=0), recorder)
    with running(server):
        port = recorder.wait_for(lambda e: isinstance(e, Listening)).port  # type: ignore[attr-defined]
        original = getattr(socket.socket, method)
        local = socket.socket.getsockname
        fail_once = threading.Event()
        fail_once.set()

        def reset(sock: socket.socket, *args: Any) -> Any:
            accepted = sock.fileno() != -1 and _peer(sock) is not None and local(sock)[1] == port
            if accepted and threading.current_thread().name == "test-engine" and fail_once.is_set():
                fail_once.clear()
                raise ConnectionResetError(errno.ECONNRESET, "injected")
            return original(sock, *args)

        monkeypatch.setattr(socket.socket, method, reset)
        with socket.create_connection(("127.0.0.1", port), timeout=WAIT):
            error = recorder.wait_for(lambda e: isinstance(e, Error))
        monkeypatch.undo()
        assert http_get(port).startswith(b"HTTP/1.1 200")
    assert error.message.startswith("The connection to 127.0.0.1:")  # type: ignore[attr-defined]
    assert "Internal error" not in error.message  # type: ignore[attr-defined]


@pytest.mark.parametrize("exc", FAULTS, ids=lambda e: type(e).__name__)
def test_file_server_turns_socket_faults_into_errors_and_serves_the_others(
    recorder: Recorder, tmp_path: Any, monkeypatch: pytest.MonkeyPatch, exc: Exception
) -> None:
    from netlab.http.file_server import FileServer, FileServerConfig

    injector = Injector(monkeypatch, "recv", exc)
    with running(FileServer(FileServerConfig(root=str(tmp_path), port=0), recorder)):
        port = recorder.wait_for(lambda e: isinstance(e, Listening)).port  # type: ignore[attr-defined]
        victim = connect(port)
        injector.victim = victim.getsockname()[:2]
        victim.sendall(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n")
        assert injector.raised.wait(WAIT)
        injector.victim = None
        assert http_get(port).startswith(b"HTTP/1.1 200")
        victim.close()
    assert not [e for e in recorder.of(Error) if "Internal error" in e.message]


@pytest.mark.parametrize("where", ["setup", "teardown"])
@pytest.mark.parametrize("exc", FAULTS, ids=lambda e: type(e).__name__)
def test_faults_while_starting_or_stopping_are_one_error(
    recorder: Recorder, monkeypatch: pytest.MonkeyPatch, where: str, exc: Exception
) -> None:
    def faulty(_engine: TcpServer) -> bool:
        raise exc

    monkeypatch.setattr(TcpServer, where, faulty)
    server = TcpServer(TcpServerConfig(port=0), recorder)
    if where == "teardown":
        server.loop.call_soon(server.stop)
    server.run()  # on this thread: returns, never raises
    errors = recorder.of(Error)
    assert len(errors) == 1 and "Internal error" not in errors[0].message
    assert isinstance(recorder.events[-1], Stopped)


def test_a_refused_socket_option_ends_only_that_connection(
    recorder: Recorder, echo_server: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = socket.socket.setsockopt

    def refuse_keepalive(sock: socket.socket, level: int, option: int, value: Any) -> None:
        if option == socket.SO_KEEPALIVE:
            raise OSError(errno.ENOPROTOOPT, "Protocol not available")
        original(sock, level, option, value)

    engine = TcpClients(recorder)
    with running(engine):
        monkeypatch.setattr(socket.socket, "setsockopt", refuse_keepalive)
        refused = engine.open(TcpClientConfig(port=echo_server, keepalive=True))
        error = recorder.wait_for(lambda e: isinstance(e, Error))
        recorder.wait_for(lambda e: isinstance(e, Closed) and e.conn == refused)
        monkeypatch.undo()
        works = engine.open(TcpClientConfig(port=echo_server))
        engine.send(works, b"ok")
        recorder.wait_for(lambda e: isinstance(e, Data) and e.direction is Direction.RECEIVED)
    assert error.conn == refused and "Protocol not available" in error.message  # type: ignore[attr-defined]
    assert not engine.connection_list() or all(c.conn != refused for c in engine.connection_list())
