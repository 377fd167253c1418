"""Client options for protocol developers: a chosen local address, waiting for a banner, a delay
after connect, and periodic sends whose bytes are made afresh each time."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator

import pytest

from netlab.core.codec import CodecError, Payload
from netlab.core.config import ConfigError
from netlab.core.events import Closed, Data, Direction, Error, Info, Opened, SocketCall
from netlab.core.sendbox import SendBox, send_bytes
from netlab.core.variables import Expander
from netlab.tcp.client import TcpClients
from netlab.tcp.config import PeriodicSend, TcpClientConfig

from .conftest import WAIT, Recorder, running


class BannerServer:
    """Accepts one client; first checks that nothing arrives for `quiet` seconds, then sends the banner
    (if any) and records everything until EOF."""

    def __init__(self, banner: bytes, quiet: float = 0.3) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(WAIT)
        self.port = self.listener.getsockname()[1]
        self.banner, self.quiet = banner, quiet
        self.early = b""  # what the client sent before the banner: should stay empty
        self.received = b""
        self.peer: tuple[str, int] | None = None
        self.thread = threading.Thread(target=self._serve)
        self.thread.start()

    def _serve(self) -> None:
        try:
            conn, self.peer = self.listener.accept()
        except OSError:
            return
        with conn:
            conn.settimeout(self.quiet)
            with contextlib.suppress(TimeoutError):
                self.early = conn.recv(100)
            conn.settimeout(WAIT)
            if self.banner:
                conn.sendall(self.banner)
            try:
                while chunk := conn.recv(65536):
                    self.received += chunk
            except OSError:
                return

    def close(self) -> None:
        self.listener.close()
        self.thread.join(WAIT)


@pytest.fixture
def clients(recorder: Recorder) -> Iterator[TcpClients]:
    engine = TcpClients(recorder, trace=True)
    with running(engine):
        yield engine


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_local_bind_shows_in_the_trace_and_the_server_sees_that_port(
    clients: TcpClients, recorder: Recorder
) -> None:
    server = BannerServer(b"", quiet=0.01)
    local_port = free_port()
    conn = clients.open(TcpClientConfig(port=server.port, local_host="127.0.0.1", local_port=local_port))
    opened = recorder.wait_for(lambda e: isinstance(e, (Opened, Error)))
    assert isinstance(opened, Opened), opened
    clients.close(conn)
    recorder.wait_for(lambda e: isinstance(e, Closed))
    server.close()
    assert server.peer == ("127.0.0.1", local_port)
    assert opened.local == f"127.0.0.1:{local_port}"
    calls = [e.call for e in recorder.of(SocketCall)]
    assert f"bind(('127.0.0.1', {local_port}))" in calls
    assert "setsockopt(SOL_SOCKET, SO_REUSEADDR, 1)" in calls
    assert calls.index(f"bind(('127.0.0.1', {local_port}))") < next(
        i for i, c in enumerate(calls) if c.startswith("connect(")
    )


def test_a_local_port_in_use_is_a_plain_bind_error(clients: TcpClients, recorder: Recorder) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        conn = clients.open(TcpClientConfig(port=port, local_host="127.0.0.1", local_port=port))
        error = recorder.wait_for(lambda e: isinstance(e, Error))
        recorder.wait_for(lambda e: isinstance(e, Closed) and e.conn == conn)
    assert isinstance(error, Error)
    assert str(port) in error.message and "in use" in error.message


def test_an_ipv6_local_address_for_an_ipv4_server_says_why(clients: TcpClients, recorder: Recorder) -> None:
    clients.open(TcpClientConfig(port=9, local_host="::1"))
    error = recorder.wait_for(lambda e: isinstance(e, Error))
    assert isinstance(error, Error)
    assert "no IPv6 address" in error.message and error.hint


def test_wait_for_the_server_to_speak_first(clients: TcpClients, recorder: Recorder) -> None:
    server = BannerServer(b"220 ready\r\n")
    conn = clients.open(TcpClientConfig(port=server.port, wait_for_server=True))
    recorder.wait_for(lambda e: isinstance(e, Opened))
    clients.send(conn, b"HELO\r\n")  # held: the server has not spoken yet
    recorder.wait_for(lambda e: isinstance(e, Data) and e.direction is Direction.SENT)
    clients.close(conn)
    recorder.wait_for(lambda e: isinstance(e, Closed))
    server.close()
    assert server.early == b""
    assert server.received == b"HELO\r\n"
    texts = [e.text for e in recorder.of(Info)]
    assert "waiting up to 5 s for the server to speak first" in texts
    assert "send held until the server's first bytes" in texts
    assert "sending what was held (1)" in texts
    assert not recorder.of(Error)


def test_a_silent_server_gets_a_message_then_the_send(clients: TcpClients, recorder: Recorder) -> None:
    server = BannerServer(b"", quiet=0.01)
    conn = clients.open(TcpClientConfig(port=server.port, wait_for_server=True, server_first_timeout=0.05))
    recorder.wait_for(lambda e: isinstance(e, Opened))
    clients.send(conn, b"anyone?")
    error = recorder.wait_for(lambda e: isinstance(e, Error))
    recorder.wait_for(lambda e: isinstance(e, Data) and e.direction is Direction.SENT)
    clients.close(conn)
    recorder.wait_for(lambda e: isinstance(e, Closed))
    server.close()
    assert isinstance(error, Error)
    assert error.message == "The server said nothing within 0.05 s; sending anyway"
    assert "Wait for the server to speak first" in error.hint
    assert server.received == b"anyone?"


def test_delay_after_connect_holds_the_first_send(clients: TcpClients, recorder: Recorder) -> None:
    server = BannerServer(b"")
    conn = clients.open(TcpClientConfig(port=server.port, connect_delay=0.5))
    recorder.wait_for(lambda e: isinstance(e, Opened))
    clients.send(conn, b"later")
    recorder.wait_for(lambda e: isinstance(e, Data) and e.direction is Direction.SENT)
    clients.close(conn)
    recorder.wait_for(lambda e: isinstance(e, Closed))
    server.close()
    assert server.early == b""  # nothing in the first 0.3 s of the 0.5 s delay
    assert server.received == b"later"
    texts = [e.text for e in recorder.of(Info)]
    assert texts.index("waiting 0.5 s before sending") < texts.index("sending what was held (1)")


def test_periodic_sends_fill_in_the_variables_every_time(clients: TcpClients, recorder: Recorder) -> None:
    server = BannerServer(b"", quiet=0.01)
    conn = clients.open(TcpClientConfig(port=server.port))
    recorder.wait_for(lambda e: isinstance(e, Opened))
    box = SendBox(Payload("text", "n={counter};"))
    expander = Expander()
    clients.start_periodic(conn, lambda: send_bytes(box, expander), PeriodicSend(1, 3))
    recorder.wait_for(lambda e: isinstance(e, Info) and "finished after 3 sends" in e.text)
    clients.close(conn)
    recorder.wait_for(lambda e: isinstance(e, Closed))
    server.close()
    assert server.early + server.received == b"n=1;n=2;n=3;"
    assert recorder.payload(Direction.SENT) == b"n=1;n=2;n=3;"  # the log shows the bytes actually sent


def test_a_periodic_send_that_cannot_be_made_stops_with_a_plain_message(
    clients: TcpClients, recorder: Recorder
) -> None:
    server = BannerServer(b"", quiet=0.01)
    conn = clients.open(TcpClientConfig(port=server.port))
    recorder.wait_for(lambda e: isinstance(e, Opened))

    def broken() -> bytes:
        raise CodecError("'é' cannot be written in ascii", "choose another encoding")

    clients.start_periodic(conn, broken, PeriodicSend(1, 3))
    error = recorder.wait_for(lambda e: isinstance(e, Error))
    recorder.wait_for(lambda e: isinstance(e, Info) and "stopped after 0 sends" in e.text)
    clients.close(conn)
    server.close()
    assert isinstance(error, Error) and error.hint == "choose another encoding"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"local_host": "localhost"}, "local_host"),
        ({"local_port": 70000}, "local_port"),
        ({"server_first_timeout": 0}, "server_first_timeout"),
        ({"connect_delay": -1}, "connect_delay"),
    ],
)
def test_bad_client_options_name_their_field(fields: dict[str, object], field: str) -> None:
    with pytest.raises(ConfigError) as caught:
        TcpClientConfig(**fields)  # type: ignore[arg-type]
    assert caught.value.problems[0].field == field


def test_local_address() -> None:
    assert TcpClientConfig().local_address is None
    assert TcpClientConfig(local_port=4000).local_address == ("", 4000)
    assert TcpClientConfig(local_host="[::1]").local_address == ("::1", 0)
