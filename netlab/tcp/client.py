"""The TCP client engine: many client connections on one thread, each with its own settings."""

from __future__ import annotations

import itertools
import socket
import time
from collections.abc import Callable

from netlab.core.config import Family
from netlab.core.engine import Timer
from netlab.core.errors import NetLabError, explain
from netlab.core.events import Error, Info
from netlab.core.tls import client_context
from netlab.tcp.config import PeriodicSend, TcpClientConfig
from netlab.tcp.stream import ConnectionInfo, State, Stream, StreamEngine

_FAMILIES = {
    Family.AUTO: socket.AF_UNSPEC,
    Family.DUAL: socket.AF_UNSPEC,
    Family.IPV4: socket.AF_INET,
    Family.IPV6: socket.AF_INET6,
}


class TcpClients(StreamEngine):
    """Opens and drives any number of client connections.

    Thread-safe commands: open() (returns the new connection's number at once), send(), send_file(),
    start_periodic(), stop_periodic(), half_close(), close(), stop(), set_trace().
    """

    source = "client"

    def __init__(self, sink: Callable[..., None], trace: bool = False) -> None:
        super().__init__(sink, trace=trace)
        self._ids = itertools.count(1)
        self._streams: dict[int, Stream] = {}
        self._periodic: dict[int, Timer] = {}

    # ------------------------------------------------------------------ thread-safe commands
    def open(self, config: TcpClientConfig) -> int:
        conn = next(self._ids)
        self.loop.call_soon_threadsafe(self._open, conn, config)
        return conn

    def send(self, conn: int, data: bytes) -> None:
        self.loop.call_soon_threadsafe(self._send, conn, data)

    def send_file(self, conn: int, path: str) -> None:
        self.loop.call_soon_threadsafe(self._send_file, conn, path)

    def start_periodic(self, conn: int, data: bytes, every: PeriodicSend) -> None:
        self.loop.call_soon_threadsafe(self._start_periodic, conn, data, every)

    def stop_periodic(self, conn: int) -> None:
        self.loop.call_soon_threadsafe(self._stop_periodic, conn, "stopped by you")

    def half_close(self, conn: int) -> None:
        self.loop.call_soon_threadsafe(self._with_stream, conn, Stream.shutdown_write)

    def close(self, conn: int) -> None:
        self.loop.call_soon_threadsafe(self._with_stream, conn, lambda s: s.close("closed by you"))

    def connection_list(self) -> list[ConnectionInfo]:
        """A snapshot of the open connections, safe from any thread."""
        return [s.info() for s in list(self._streams.values())]

    # ------------------------------------------------------------------ loop thread
    def _open(self, conn: int, config: TcpClientConfig) -> None:
        self.trace = self.trace or config.trace
        host = config.host.strip("[]")
        where = f"{host}:{config.port}"
        try:
            tls = client_context(config) if config.tls else None
            addresses = socket.getaddrinfo(
                host, config.port, _FAMILIES[config.family], socket.SOCK_STREAM, socket.IPPROTO_TCP
            )
        except (OSError, NetLabError) as exc:
            problem = explain(exc, action="connect", host=host, port=config.port)
            self.emit(
                Error(source=self.source, conn=conn, peer=where, message=problem.message, hint=problem.hint)
            )
            return
        family = addresses[0][0]
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setblocking(False)
        stream = Stream(self, sock, conn, where, tls=tls, server_hostname=host)
        self._streams[conn] = stream
        self._apply_options(stream, config)
        stream.connect([(a[0], (str(a[4][0]), int(a[4][1]))) for a in addresses], config.connect_timeout)

    def _apply_options(self, stream: Stream, config: TcpClientConfig) -> None:
        options = [
            (config.nodelay, socket.IPPROTO_TCP, socket.TCP_NODELAY, 1, "IPPROTO_TCP, TCP_NODELAY, 1"),
            (config.keepalive, socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1, "SOL_SOCKET, SO_KEEPALIVE, 1"),
            (
                config.rcvbuf > 0,
                socket.SOL_SOCKET,
                socket.SO_RCVBUF,
                config.rcvbuf,
                f"SOL_SOCKET, SO_RCVBUF, {config.rcvbuf}",
            ),
            (
                config.sndbuf > 0,
                socket.SOL_SOCKET,
                socket.SO_SNDBUF,
                config.sndbuf,
                f"SOL_SOCKET, SO_SNDBUF, {config.sndbuf}",
            ),
        ]
        for wanted, level, option, value, text in options:
            if wanted:
                stream.sock.setsockopt(level, option, value)
                stream._trace(f"setsockopt({text})", "")

    def _with_stream(self, conn: int, action: Callable[[Stream], None]) -> None:
        stream = self._streams.get(conn)
        if stream is None:
            self.emit(Error(source=self.source, conn=conn, message=f"Connection #{conn} is already closed"))
            return
        action(stream)

    def _send(self, conn: int, data: bytes) -> None:
        self._with_stream(conn, lambda s: s.write(data))

    def _send_file(self, conn: int, path: str) -> None:
        try:
            file = open(path, "rb")  # noqa: SIM115 - the stream closes it when it is sent
        except OSError as exc:
            problem = explain(exc, action="open file")
            self.emit(Error(source=self.source, conn=conn, message=problem.message, hint=problem.hint))
            return
        if conn not in self._streams:
            file.close()
        self._with_stream(conn, lambda s: s.send_file(file))

    def _start_periodic(self, conn: int, data: bytes, every: PeriodicSend) -> None:
        self._stop_periodic(conn, "")
        start = time.monotonic()
        self.emit(
            Info(
                source=self.source,
                conn=conn,
                text=f"periodic send every {every.interval_ms} ms, "
                + (f"{every.count} times" if every.count else "until stopped"),
            )
        )
        self._periodic_tick(conn, data, every, start, 0)

    def _periodic_tick(self, conn: int, data: bytes, every: PeriodicSend, start: float, done: int) -> None:
        stream = self._streams.get(conn)
        if stream is None or stream.state is State.CLOSED:
            self._periodic.pop(conn, None)
            return
        if stream.state is State.OPEN:
            stream.write(data)
            done += 1
        if every.count and done >= every.count:
            self._stop_periodic(conn, f"periodic send finished after {done} sends")
            return
        # Scheduled from the start time, so the interval does not drift with the loop's work.
        when = start + (done + 1) * every.interval_ms / 1000
        self._periodic[conn] = self.loop.call_at(when, self._periodic_tick, conn, data, every, start, done)

    def _stop_periodic(self, conn: int, why: str) -> None:
        timer = self._periodic.pop(conn, None)
        if timer is not None:
            timer.cancel()
            if why:
                self.emit(Info(source=self.source, conn=conn, text=f"periodic send: {why}"))

    def stream_closed(self, stream: Stream) -> None:
        self._streams.pop(stream.conn, None)
        self._stop_periodic(stream.conn, "")

    def teardown(self) -> None:
        for stream in list(self._streams.values()):
            stream.close("the client engine stopped")
