"""Raw HTTP engine: the TCP client's streams send a request's exact bytes and time the response."""

from __future__ import annotations

import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import msgspec

from netlab.core.config import NO_VERIFY_LABEL
from netlab.core.conversations import new_number
from netlab.core.engine import Timer
from netlab.core.events import Error, Event, Info, Opened
from netlab.core.tls import describe_certificate
from netlab.http.raw import read_responses
from netlab.http.raw_config import RawHttpConfig
from netlab.tcp.client import Address, TcpClients
from netlab.tcp.config import TcpClientConfig
from netlab.tcp.stream import Stream


@dataclass
class Exchange:
    """One connection's request(s) and what came back: timings (monotonic seconds) and the bytes kept."""

    config: RawHttpConfig
    request: bytes
    methods: tuple[str, ...]
    started: float = field(default_factory=time.monotonic)
    resolved: float = 0.0
    connected: float = 0.0
    ready: float = 0.0
    first_byte: float = 0.0
    kept: bytearray = field(default_factory=bytearray)
    received: int = 0
    sent: int = 0
    timer: Timer | None = None
    reported: bool = False  # the timing and parse lines are out (keep-open: before the close)
    number: int = 1  # which request on this connection


VERIFY_LABEL = "Verify certificate"  # the Raw HTTP tab's tick, named in the log


def methods_of(request: bytes) -> tuple[str, ...]:
    """The method of every request line in the bytes, so h11 knows a HEAD response has no body."""
    found = []
    for line in request.replace(b"\r\n", b"\n").split(b"\n"):
        word, _, rest = line.partition(b" ")
        if rest.rstrip().endswith((b"HTTP/1.1", b"HTTP/1.0")) and word.isalpha() and word.isupper():
            found.append(word.decode())
    return tuple(found) or ("GET",)


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


class RawHttpClient(TcpClients):
    """Sends raw requests over the TCP client's streams; each exchange ends with a timing and a parse line.

    Thread-safe commands: request() (returns the connection number), cancel(), stop().
    """

    source = "raw-http"

    def __init__(self, sink: Callable[..., None], trace: bool = False) -> None:
        super().__init__(sink, trace=trace)
        self._exchanges: dict[int, Exchange] = {}

    def request(self, config: RawHttpConfig, data: bytes) -> int:
        tcp = TcpClientConfig(
            host=config.host,
            port=config.port,
            connect_timeout=config.timeout,
            tls=config.tls,
            tls_verify=config.verify,
            ca_file=config.ca_file,
        )
        conn = new_number()
        self.loop.call_soon_threadsafe(self._start, conn, tcp, Exchange(config, data, methods_of(data)))
        return conn

    def cancel(self, conn: int) -> None:
        self.close(conn)

    def send_more(self, conn: int, data: bytes) -> None:
        """Send the next request on connection conn, if it is still open (keep-alive reuse)."""
        self.loop.call_soon_threadsafe(self._send_more, conn, data)

    # ------------------------------------------------------------------ loop thread
    def _send_more(self, conn: int, data: bytes) -> None:
        stream = self._streams.get(conn)
        old = self._exchanges.get(conn)
        if stream is None or old is None:
            self.emit(
                Error(
                    source=self.source,
                    conn=conn,
                    message=f"Connection #{conn} is closed",
                    hint="Send opens a new connection; tick 'keep connection open' to reuse one",
                )
            )
            return
        if old.timer is not None:
            old.timer.cancel()
        exchange = Exchange(old.config, data, methods_of(data), number=old.number + 1)
        exchange.connected = exchange.ready = exchange.started
        self._exchanges[conn] = exchange
        text = (
            f"Reusing connection #{conn} (keep-alive): request {exchange.number} goes on the same socket,"
            " no new connect or TLS handshake"
        )
        self.emit(Info(source=self.source, conn=conn, peer=stream.peer, text=text))
        exchange.sent = len(data)
        stream.write(data)
        self._arm_timeout(conn, exchange)

    def _start(self, conn: int, tcp: TcpClientConfig, exchange: Exchange) -> None:
        # The exchange is known before _open: a loopback connect can be ready at once.
        self._exchanges[conn] = exchange
        self._open(conn, tcp)

    def _resolved(
        self,
        conn: int,
        config: TcpClientConfig,
        tls: ssl.SSLContext | None,
        outcome: list[Address] | BaseException,
        deadline: float,
    ) -> None:
        exchange = self._exchanges.get(conn)
        if exchange is not None:
            exchange.resolved = time.monotonic()
        super()._resolved(conn, config, tls, outcome, deadline)

    def _connect(
        self,
        conn: int,
        config: TcpClientConfig,
        tls: ssl.SSLContext | None,
        addresses: list[Address],
        timeout: float,
    ) -> None:
        super()._connect(conn, config, tls, addresses, timeout)
        exchange = self._exchanges.get(conn)
        stream = self._streams.get(conn)
        if exchange is not None and stream is not None and exchange.config.sni:
            # The TLS wrap happens once connect() completes, always on a later turn of the loop,
            # so the name sent in the handshake can still be changed here.
            stream._server_hostname = exchange.config.sni

    def emit(self, event: Event) -> None:
        if isinstance(event, Opened):  # TCP is up; TLS (if any) comes next
            exchange = self._exchanges.get(event.conn)
            if exchange is not None:
                exchange.connected = time.monotonic()
        elif isinstance(event, Info) and NO_VERIFY_LABEL in event.text:
            # The stream names the TCP client's tick; this tab's tick says it the other way round.
            text = event.text.replace(f"('{NO_VERIFY_LABEL}' is on)", f"('{VERIFY_LABEL}' is off)")
            event = msgspec.structs.replace(event, text=text)
        super().emit(event)

    def stream_ready(self, stream: Stream) -> None:
        super().stream_ready(stream)
        exchange = self._exchanges.get(stream.conn)
        if exchange is None:
            return
        if exchange.config.tls and exchange.config.verify:
            self._show_verified_certificate(stream)
        exchange.ready = time.monotonic()
        exchange.sent = len(exchange.request)
        stream.write(exchange.request)
        self._arm_timeout(stream.conn, exchange)

    def _show_verified_certificate(self, stream: Stream) -> None:
        """The stream says only the version and cipher when the check passed: say whom we trusted too."""
        sock = stream.sock
        der = sock.getpeercert(binary_form=True) if isinstance(sock, ssl.SSLSocket) else None
        about = describe_certificate(der) if der else "the server sent no certificate"
        self.emit(
            Info(
                source=self.source, conn=stream.conn, peer=stream.peer, text=f"certificate verified: {about}"
            )
        )

    def stream_data(self, stream: Stream, data: bytes) -> None:
        super().stream_data(stream, data)
        exchange = self._exchanges.get(stream.conn)
        if exchange is None:
            return
        if not exchange.first_byte:
            exchange.first_byte = time.monotonic()
        exchange.received += len(data)
        room = exchange.config.cap - len(exchange.kept)
        if room > 0:
            exchange.kept += data[:room]
        self._arm_timeout(stream.conn, exchange)
        if exchange.config.keep_open and not exchange.reported:
            reading = read_responses(bytes(exchange.kept), exchange.methods, closed=False)
            if len(reading.responses) == len(exchange.methods) and all(r.complete for r in reading.responses):
                self._report(stream, exchange)  # every response is in: say so without waiting for a close

    def _arm_timeout(self, conn: int, exchange: Exchange) -> None:
        if exchange.timer is not None:
            exchange.timer.cancel()
        exchange.timer = self.loop.call_later(exchange.config.timeout, self._read_timed_out, conn)

    def _read_timed_out(self, conn: int) -> None:
        exchange = self._exchanges.get(conn)
        stream = self._streams.get(conn)
        if exchange is None or stream is None:
            return
        seconds = f"{exchange.config.timeout:g}"
        stream.close(f"no bytes for {seconds} s - the read timeout ended the wait")

    def stream_closed(self, stream: Stream) -> None:
        super().stream_closed(stream)
        exchange = self._exchanges.pop(stream.conn, None)
        if exchange is None:
            return
        if not exchange.reported:
            self._report(stream, exchange)

    def _report(self, stream: Stream, exchange: Exchange) -> None:
        exchange.reported = True
        if exchange.timer is not None:
            exchange.timer.cancel()
        self.emit(Info(source=self.source, conn=stream.conn, peer=stream.peer, text=timing_line(exchange)))
        self.emit(Info(source=self.source, conn=stream.conn, peer=stream.peer, text=parse_line(exchange)))


def timing_line(exchange: Exchange) -> str:
    """DNS, connect, TLS, first byte and total, and bytes each way, in one line."""
    now = time.monotonic()
    parts = []
    start = exchange.started
    if exchange.resolved:
        parts.append(f"DNS {_ms(exchange.resolved - start)}")
        start = exchange.resolved
    if exchange.connected:
        parts.append(f"connect {_ms(exchange.connected - start)}")
    if exchange.ready and exchange.connected and exchange.config.tls:
        parts.append(f"TLS handshake {_ms(exchange.ready - exchange.connected)}")
    if exchange.first_byte and exchange.ready:
        parts.append(f"first byte {_ms(exchange.first_byte - exchange.ready)}")
    parts.append(f"total {_ms(now - exchange.started)}")
    parts.append(f"{exchange.sent} bytes up, {exchange.received} down")
    if exchange.received > len(exchange.kept):
        parts.append(f"{exchange.received - len(exchange.kept)} past the cap counted, not kept")
    return "Timing: " + ", ".join(parts)


def parse_line(exchange: Exchange) -> str:
    """What h11 made of the bytes kept: the status line(s), or one plain line saying what is wrong."""
    reading = read_responses(bytes(exchange.kept), exchange.methods)
    shown = "; ".join(r.status_line for r in reading.responses)
    if reading.problem:
        return f"Response: {shown + ' - ' if shown else ''}{reading.problem}"
    return f"Response: {shown}"
