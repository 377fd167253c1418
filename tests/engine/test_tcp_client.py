"""The client engine against plain threaded servers: send, receive, half-close, periodic, files."""

from __future__ import annotations

import socket
import struct
import threading
from collections.abc import Iterator

import pytest

from netlab.core.events import Closed, Data, Direction, Error, Info, Opened, SocketCall
from netlab.tcp.client import TcpClients
from netlab.tcp.config import PeriodicSend, TcpClientConfig

from .conftest import WAIT, Recorder, running


class PlainServer:
    """Accepts one connection; records what it reads until EOF, and can be told to reply."""

    def __init__(self, reply: bytes = b"", close_after_eof: bool = True) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(WAIT)
        self.port = self.listener.getsockname()[1]
        self.received = b""
        self.reply = reply
        self.got_eof = threading.Event()
        self.close_after_eof = close_after_eof
        self.thread = threading.Thread(target=self._serve)
        self.thread.start()

    def _serve(self) -> None:
        try:
            conn, _ = self.listener.accept()
        except OSError:
            return
        with conn:
            conn.settimeout(WAIT)
            if self.reply:
                conn.sendall(self.reply)
            try:
                while chunk := conn.recv(65536):
                    self.received += chunk
            except OSError:
                return
            self.got_eof.set()
            if not self.close_after_eof:
                conn.sendall(b"after your FIN")

    def close(self) -> None:
        self.listener.close()
        self.thread.join(WAIT)


@pytest.fixture
def clients(recorder: Recorder) -> Iterator[TcpClients]:
    engine = TcpClients(recorder, trace=True)
    with running(engine):
        yield engine


def opened(recorder: Recorder, conn: int) -> None:
    recorder.wait_for(lambda e: (isinstance(e, Opened) and e.conn == conn) or isinstance(e, Error))
    assert not recorder.of(Error), recorder.of(Error)


def test_send_and_receive(clients: TcpClients, recorder: Recorder) -> None:
    server = PlainServer(reply=b"hello client")
    conn = clients.open(TcpClientConfig(port=server.port))
    opened(recorder, conn)
    clients.send(conn, b"hello server")
    recorder.wait_for(lambda e: isinstance(e, Data) and e.direction is Direction.RECEIVED)
    clients.close(conn)
    recorder.wait_for(lambda e: isinstance(e, Closed))
    server.close()
    assert server.received == b"hello server"
    assert recorder.payload(Direction.RECEIVED) == b"hello client"
    calls = [e.call for e in recorder.of(SocketCall)]
    assert any(c.startswith("connect(") for c in calls)
    assert "three-way handshake" in " ".join(e.result for e in recorder.of(SocketCall))


def test_half_close_sends_fin_and_still_receives(clients: TcpClients, recorder: Recorder) -> None:
    server = PlainServer(close_after_eof=False)
    conn = clients.open(TcpClientConfig(port=server.port))
    opened(recorder, conn)
    clients.send(conn, b"all I have")
    clients.half_close(conn)
    assert server.got_eof.wait(WAIT)
    recorder.wait_for(lambda e: isinstance(e, Closed))
    server.close()
    assert server.received == b"all I have"
    assert recorder.payload(Direction.RECEIVED) == b"after your FIN"
    assert any(e.call == "shutdown(SHUT_WR)" for e in recorder.of(SocketCall))


def test_periodic_send_counts_exactly(clients: TcpClients, recorder: Recorder) -> None:
    server = PlainServer()
    conn = clients.open(TcpClientConfig(port=server.port))
    opened(recorder, conn)
    clients.start_periodic(conn, b"tick;", PeriodicSend(interval_ms=5, count=7))
    recorder.wait_for(lambda e: isinstance(e, Info) and "finished after 7" in e.text)
    clients.close(conn)
    server.close()
    assert server.received == b"tick;" * 7


def test_periodic_send_until_stopped(clients: TcpClients, recorder: Recorder) -> None:
    server = PlainServer()
    conn = clients.open(TcpClientConfig(port=server.port))
    opened(recorder, conn)
    clients.start_periodic(conn, b".", PeriodicSend(interval_ms=2, count=0))
    recorder.wait_for(lambda e: len(recorder.payload(Direction.SENT)) >= 5)
    clients.stop_periodic(conn)
    recorder.wait_for(lambda e: isinstance(e, Info) and "stopped by you" in e.text)
    sent = len(recorder.payload(Direction.SENT))
    clients.close(conn)
    server.close()
    assert len(server.received) == sent


def test_send_file(clients: TcpClients, recorder: Recorder, tmp_path: object) -> None:
    path = f"{tmp_path}/data.bin"
    content = bytes(range(256)) * 4096  # 1 MiB: more than one chunk
    with open(path, "wb") as out:
        out.write(content)
    server = PlainServer()
    conn = clients.open(TcpClientConfig(port=server.port))
    opened(recorder, conn)
    clients.send_file(conn, path)
    clients.half_close(conn)
    assert server.got_eof.wait(WAIT)
    server.close()
    assert server.received == content


def test_missing_file_is_explained(clients: TcpClients, recorder: Recorder) -> None:
    server = PlainServer()
    conn = clients.open(TcpClientConfig(port=server.port))
    opened(recorder, conn)
    clients.send_file(conn, "/no/such/file.bin")
    error = recorder.wait_for(lambda e: isinstance(e, Error))
    clients.close(conn)
    server.close()
    assert error.message == "File not found: /no/such/file.bin"  # type: ignore[attr-defined]


def test_socket_options_are_applied(clients: TcpClients, recorder: Recorder) -> None:
    server = PlainServer()
    config = TcpClientConfig(port=server.port, nodelay=True, keepalive=True, rcvbuf=65536, sndbuf=65536)
    conn = clients.open(config)
    opened(recorder, conn)
    clients.close(conn)
    server.close()
    calls = " ".join(e.call for e in recorder.of(SocketCall))
    for option in ("TCP_NODELAY", "SO_KEEPALIVE", "SO_RCVBUF, 65536", "SO_SNDBUF, 65536"):
        assert option in calls


def test_several_connections_at_once(clients: TcpClients, recorder: Recorder) -> None:
    servers = [PlainServer() for _ in range(3)]
    conns = [clients.open(TcpClientConfig(port=s.port)) for s in servers]
    for conn in conns:
        recorder.wait_for(lambda e, c=conn: isinstance(e, Opened) and e.conn == c)
    for conn in conns:
        clients.send(conn, f"to {conn}".encode())
        clients.half_close(conn)
    for server, conn in zip(servers, conns, strict=False):
        assert server.got_eof.wait(WAIT)
        server.close()
        assert server.received == f"to {conn}".encode()


def test_connection_refused_is_explained(clients: TcpClients, recorder: Recorder) -> None:
    free = socket.socket()
    free.bind(("127.0.0.1", 0))
    port = free.getsockname()[1]
    free.close()
    clients.open(TcpClientConfig(port=port))
    error = recorder.wait_for(lambda e: isinstance(e, Error))
    assert error.message == f"Connection refused by 127.0.0.1:{port}: nothing is listening on that port"  # type: ignore[attr-defined]
    assert error.hint == "start the server first, or check the host and port"  # type: ignore[attr-defined]


def test_connect_timeout_is_explained(clients: TcpClients, recorder: Recorder) -> None:
    # A listener whose backlog is full drops further SYNs, so connect() waits: a timeout on loopback.
    full = socket.socket()
    full.bind(("127.0.0.1", 0))
    full.listen(0)
    port = full.getsockname()[1]
    fillers = []
    for _ in range(4):
        filler = socket.socket()
        filler.setblocking(False)
        filler.connect_ex(("127.0.0.1", port))
        fillers.append(filler)
    try:
        clients.open(TcpClientConfig(port=port, connect_timeout=0.5))
        error = recorder.wait_for(lambda e: isinstance(e, Error), timeout=WAIT)
    finally:
        for filler in fillers:
            filler.close()
        full.close()
    assert error.message == f"No answer from 127.0.0.1:{port} within the time limit"  # type: ignore[attr-defined]


def test_reset_by_peer_is_explained(clients: TcpClients, recorder: Recorder) -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    conn = clients.open(TcpClientConfig(port=listener.getsockname()[1]))
    listener.settimeout(WAIT)
    accepted, _ = listener.accept()
    opened(recorder, conn)
    accepted.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    accepted.close()  # linger 0: close sends RST
    listener.close()
    error = recorder.wait_for(lambda e: isinstance(e, Error))
    assert "reset by the peer" in error.message  # type: ignore[attr-defined]


def test_commands_on_a_closed_connection_say_so(clients: TcpClients, recorder: Recorder) -> None:
    clients.send(99, b"x")
    error = recorder.wait_for(lambda e: isinstance(e, Error))
    assert error.message == "Connection #99 is already closed"  # type: ignore[attr-defined]
