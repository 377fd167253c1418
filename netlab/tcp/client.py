"""The TCP client engine: many client connections on one thread, each with its own settings."""

from __future__ import annotations

import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from netlab.core.codec import CodecError
from netlab.core.config import Family
from netlab.core.conversations import new_number
from netlab.core.engine import Loop, Timer
from netlab.core.errors import EXPECTED, error_event
from netlab.core.events import Closed, Error, Info, PeriodicEnded, SocketCall
from netlab.core.tls import client_context
from netlab.tcp.config import PeriodicSend, TcpClientConfig
from netlab.tcp.stream import HIGH_WATER, ConnectionInfo, SocketOption, State, Stream, StreamEngine

_FAMILIES = {
    Family.AUTO: socket.AF_UNSPEC,
    Family.DUAL: socket.AF_UNSPEC,
    Family.IPV4: socket.AF_INET,
    Family.IPV6: socket.AF_INET6,
}

Address = tuple[socket.AddressFamily, tuple[str, int]]
Resolver = Callable[[str, int, int], list[Address]]


def resolve(host: str, port: int, family: int) -> list[Address]:
    """getaddrinfo() for a TCP connection: every address of host, in the order the system prefers."""
    found = socket.getaddrinfo(host, port, family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    return [(info[0], (str(info[4][0]), int(info[4][1]))) for info in found]


def look_up(
    loop: Loop,
    host: str,
    port: int,
    family: int,
    deliver: Callable[[list[Address] | BaseException], None],
    *,
    name: str,
    resolver: Resolver = resolve,
) -> None:
    """resolve() on a thread of its own, so a slow DNS server holds up no loop; the addresses (or the
    failure) reach `deliver` on the loop's thread."""

    def run() -> None:
        try:
            outcome: list[Address] | BaseException = resolver(host, port, family)
        except Exception as exc:  # handed to the loop thread, which says it in plain words
            outcome = exc
        loop.call_soon_threadsafe(deliver, outcome)

    # A daemon thread: a lookup that never returns must not keep the program from exiting.
    threading.Thread(target=run, name=name, daemon=True).start()


def lookup_timed_out(source: str, conn: int, peer: str, host: str, seconds: float) -> Error:
    """The error for a name lookup that outlasted the connect timeout, in plain words."""
    return Error(
        source=source,
        conn=conn,
        peer=peer,
        message=f"The name lookup for '{host}' took longer than {seconds:g} s",
        hint="the DNS server is slow or unreachable: check the network, or type an IP address",
    )


Render = Callable[[], bytes]  # one periodic send's bytes, made afresh each time ({counter} runs on)


@dataclass
class _Gate:
    """Sends held back until the server has spoken first or the delay after connect is over."""

    held: list[Callable[[], None]]
    timer: Timer | None = None
    waiting_for_server: bool = False


@dataclass
class _Periodic:
    """One connection's periodic send: the next tick's timer, sends so far, and whether it waits."""

    timer: Timer | None = None
    done: int = 0
    paused: bool = False


class TcpClients(StreamEngine):
    """Opens and drives any number of client connections.

    Names are resolved on a helper thread, so a slow DNS server holds up neither this loop nor the
    GUI; a lookup that never returns is abandoned at the connect timeout, and stop() never waits for it.

    Thread-safe commands: open() (returns the new connection's number at once), send(), send_file(),
    start_periodic(), stop_periodic(), half_close(), close(), stop(), set_trace().
    Every open() ends with a Closed event for its number, whether or not it ever connected.
    """

    source = "client"

    def __init__(
        self, sink: Callable[..., None], trace: bool = False, resolver: Resolver | None = None
    ) -> None:
        super().__init__(sink, trace=trace)
        self._streams: dict[int, Stream] = {}
        self._resolving: dict[int, Timer] = {}  # conn -> its connect timeout, while its name is looked up
        self._periodic: dict[int, _Periodic] = {}
        self._configs: dict[int, TcpClientConfig] = {}  # each connection's settings, while it lives
        self._gates: dict[int, _Gate] = {}  # connections whose sends wait for a banner or a delay
        self._resolver = resolver  # None: resolve(), the system's getaddrinfo()

    # ------------------------------------------------------------------ thread-safe commands
    def open(self, config: TcpClientConfig) -> int:
        conn = new_number()  # never restarts: see netlab.core.conversations
        self.loop.call_soon_threadsafe(self._open, conn, config)
        return conn

    def send(self, conn: int, data: bytes) -> None:
        self.loop.call_soon_threadsafe(self._send, conn, data)

    def send_file(self, conn: int, path: str) -> None:
        self.loop.call_soon_threadsafe(self._send_file, conn, path)

    def start_periodic(self, conn: int, data: bytes | Render, every: PeriodicSend) -> None:
        """Send data every interval; a callable is called for each send, on the engine's thread."""
        self.loop.call_soon_threadsafe(self._start_periodic, conn, data, every)

    def stop_periodic(self, conn: int) -> None:
        self.loop.call_soon_threadsafe(self._stop_periodic, conn, "stopped by you")

    def half_close(self, conn: int) -> None:
        self.loop.call_soon_threadsafe(self._with_stream, conn, Stream.shutdown_write)

    def close(self, conn: int) -> None:
        self.loop.call_soon_threadsafe(self._close, conn)

    def connection_list(self) -> list[ConnectionInfo]:
        """A snapshot of the open connections, safe from any thread."""
        return [s.info() for s in list(self._streams.values())]

    # ------------------------------------------------------------------ loop thread: opening
    def _open(self, conn: int, config: TcpClientConfig) -> None:
        self.trace = self.trace or config.trace
        self._configs[conn] = config
        host = config.host.strip("[]")
        where = f"{host}:{config.port}"
        try:
            tls = client_context(config.ca_file, verify=config.tls_verify) if config.tls else None
        except EXPECTED as exc:  # TlsSetupError included: a missing or unreadable CA file
            self._not_opened(conn, where, exc, "TLS setup")
            return
        family = _FAMILIES[config.family]
        if _is_address(host):  # nothing to look up: no thread needed
            try:
                addresses = resolve(host, config.port, family)
            except OSError as exc:
                self._not_opened(conn, where, exc, "connect")
                return
            self._connect(conn, config, tls, addresses, config.connect_timeout)
            return
        deadline = time.monotonic() + config.connect_timeout
        self._resolving[conn] = self.loop.call_at(deadline, self._lookup_timed_out, conn, config)
        self._trace_call(
            conn,
            where,
            f"getaddrinfo({host!r}, {config.port})",
            "DNS lookup on a helper thread: nothing else waits for it",
        )

        look_up(
            self.loop,
            host,
            config.port,
            family,
            lambda outcome: self._resolved(conn, config, tls, outcome, deadline),
            name=f"netlab-resolve-{conn}",
            resolver=self._resolver or resolve,
        )

    def _resolved(
        self,
        conn: int,
        config: TcpClientConfig,
        tls: ssl.SSLContext | None,
        outcome: list[Address] | BaseException,
        deadline: float,
    ) -> None:
        timer = self._resolving.pop(conn, None)
        if timer is None:
            return  # closed, timed out or stopped meanwhile: the answer comes too late to matter
        timer.cancel()
        where = f"{config.host.strip('[]')}:{config.port}"
        if isinstance(outcome, BaseException):
            self._not_opened(conn, where, outcome, "connect")
            return
        if not outcome:
            self._not_opened(conn, where, socket.gaierror(socket.EAI_NONAME, "no address"), "connect")
            return
        shown = ", ".join(address[0] for _family, address in outcome[:4])
        count = "1 address" if len(outcome) == 1 else f"{len(outcome)} addresses, tried in this order"
        self._trace_call(conn, where, "getaddrinfo() returned", f"{count}: {shown}")
        self._connect(conn, config, tls, outcome, max(0.001, deadline - time.monotonic()))

    def _lookup_timed_out(self, conn: int, config: TcpClientConfig) -> None:
        if self._resolving.pop(conn, None) is None:
            return
        self._configs.pop(conn, None)
        host = config.host.strip("[]")
        where = f"{host}:{config.port}"
        self.emit(lookup_timed_out(self.source, conn, where, host, config.connect_timeout))
        self.emit(Closed(source=self.source, conn=conn, peer=where, reason="the name lookup timed out"))

    def _connect(
        self,
        conn: int,
        config: TcpClientConfig,
        tls: ssl.SSLContext | None,
        addresses: list[Address],
        timeout: float,
    ) -> None:
        where = f"{config.host.strip('[]')}:{config.port}"
        local = config.local_address
        if local is not None and local[0]:
            # A bound IPv4 socket can't reach an IPv6 address (nor the other way): try the matching ones.
            family = socket.AF_INET6 if ":" in local[0] else socket.AF_INET
            addresses = [address for address in addresses if address[0] == family]
            if not addresses:
                self._not_opened_plainly(
                    conn,
                    where,
                    f"{where} has no {'IPv6' if family == socket.AF_INET6 else 'IPv4'} address "
                    f"to reach from the local address {local[0]}",
                    "choose a local address of the same IP version as the server, or leave it empty",
                )
                return
        try:
            sock = socket.socket(addresses[0][0], socket.SOCK_STREAM)
            sock.setblocking(False)
        except OSError as exc:
            self._not_opened(conn, where, exc, "socket")
            return
        stream = Stream(self, sock, conn, where, tls=tls, server_hostname=config.host.strip("[]"))
        self._streams[conn] = stream
        try:
            stream.connect(addresses, timeout, _options(config), bind=local)
        except EXPECTED as exc:  # a socket option the system refuses, say: this connection ends
            stream.failed(exc)

    def _not_opened(self, conn: int, where: str, exc: BaseException, action: str) -> None:
        self._configs.pop(conn, None)
        error = error_event(exc, source=self.source, action=action, conn=conn, peer=where)
        self.emit(error)
        self.emit(Closed(source=self.source, conn=conn, peer=where, reason=error.message))

    def _not_opened_plainly(self, conn: int, where: str, message: str, hint: str) -> None:
        self._configs.pop(conn, None)
        self.emit(Error(source=self.source, conn=conn, peer=where, message=message, hint=hint))
        self.emit(Closed(source=self.source, conn=conn, peer=where, reason=message))

    def _trace_call(self, conn: int, where: str, call: str, result: str) -> None:
        if self.trace:
            self.emit(SocketCall(source=self.source, conn=conn, peer=where, call=call, result=result))

    # ------------------------------------------------------------------ loop thread: commands
    def _with_stream(self, conn: int, action: Callable[[Stream], None]) -> None:
        stream = self._streams.get(conn)
        if stream is None:
            what = "is still looking up its host name" if conn in self._resolving else "is already closed"
            self.emit(Error(source=self.source, conn=conn, message=f"Connection #{conn} {what}"))
            return
        action(stream)

    def _close(self, conn: int) -> None:
        timer = self._resolving.pop(conn, None)
        if timer is not None:
            timer.cancel()
            self._configs.pop(conn, None)
            self.emit(Closed(source=self.source, conn=conn, reason="closed by you during the name lookup"))
            return
        self._with_stream(conn, lambda s: s.close("closed by you"))

    def _send(self, conn: int, data: bytes) -> None:
        # Bounded like a relay: a peer that never reads costs at most MAX_QUEUED, the rest is counted.
        if not self._held(conn, lambda: self._send(conn, data)):
            self._with_stream(conn, lambda s: s.write(data, droppable=True))

    # ------------------------------------------------------------------ loop thread: banner and delay
    def _held(self, conn: int, action: Callable[[], None]) -> bool:
        """True if conn's sends wait (for the server's first bytes or the delay): action runs later."""
        gate = self._gates.get(conn)
        if gate is None:
            return False
        gate.held.append(action)
        if len(gate.held) == 1:
            what = "the server's first bytes" if gate.waiting_for_server else "the delay after connect"
            self.emit(Info(source=self.source, conn=conn, text=f"send held until {what}"))
        return True

    def stream_ready(self, stream: Stream) -> None:
        config = self._configs.get(stream.conn)
        if config is None:
            return
        if config.wait_for_server:
            gate = _Gate([], waiting_for_server=True)
            gate.timer = self.loop.call_later(
                config.server_first_timeout, self._server_silent, stream.conn, config
            )
            self._gates[stream.conn] = gate
            self.emit(
                Info(
                    source=self.source,
                    conn=stream.conn,
                    peer=stream.peer,
                    text=f"waiting up to {config.server_first_timeout:g} s for the server to speak first",
                )
            )
        elif config.connect_delay:
            self._delay(stream.conn, config, _Gate([]))

    def _delay(self, conn: int, config: TcpClientConfig, gate: _Gate) -> None:
        gate.waiting_for_server = False
        gate.timer = self.loop.call_later(config.connect_delay, self._open_gate, conn)
        self._gates[conn] = gate
        self.emit(
            Info(source=self.source, conn=conn, text=f"waiting {config.connect_delay:g} s before sending")
        )

    def stream_data(self, stream: Stream, data: bytes) -> None:
        gate = self._gates.get(stream.conn)
        if gate is None or not gate.waiting_for_server:
            return
        if gate.timer is not None:
            gate.timer.cancel()
        config = self._configs[stream.conn]
        if config.connect_delay:
            self._delay(stream.conn, config, gate)
        else:
            self._open_gate(stream.conn)

    def _server_silent(self, conn: int, config: TcpClientConfig) -> None:
        gate = self._gates.get(conn)
        if gate is None or not gate.waiting_for_server:
            return
        self.emit(
            Error(
                source=self.source,
                conn=conn,
                message=f"The server said nothing within {config.server_first_timeout:g} s; sending anyway",
                hint="this server may wait for the client to speak first: untick "
                "'Wait for the server to speak first', or wait longer",
            )
        )
        if config.connect_delay:
            self._delay(conn, config, gate)
        else:
            self._open_gate(conn)

    def _open_gate(self, conn: int) -> None:
        gate = self._gates.pop(conn, None)
        if gate is None:
            return
        if gate.held:
            self.emit(Info(source=self.source, conn=conn, text=f"sending what was held ({len(gate.held)})"))
        for action in gate.held:
            action()

    def _send_file(self, conn: int, path: str) -> None:
        try:
            file = open(path, "rb")  # noqa: SIM115 - the stream closes it when it is sent
        except OSError as exc:
            self.emit(error_event(exc, source=self.source, action="open file", conn=conn))
            return
        if conn not in self._streams:
            file.close()
        if not self._held(conn, lambda: self._with_stream(conn, lambda s: s.send_file(file))):
            self._with_stream(conn, lambda s: s.send_file(file))

    # ------------------------------------------------------------------ loop thread: periodic sends
    def _start_periodic(self, conn: int, data: bytes | Render, every: PeriodicSend) -> None:
        self._end_periodic(conn, "")
        self.emit(
            Info(
                source=self.source,
                conn=conn,
                text=f"periodic send every {every.interval_ms} ms, "
                + (f"{every.count} times" if every.count else "until stopped"),
            )
        )
        self._periodic[conn] = _Periodic()
        render = data if callable(data) else (lambda: data)
        self._periodic_tick(conn, render, every, time.monotonic(), 0)

    def _periodic_tick(self, conn: int, render: Render, every: PeriodicSend, start: float, tick: int) -> None:
        """Tick k goes out at start + k intervals: 500 ms x 4 sends at 0, 0.5, 1.0 and 1.5 s."""
        periodic = self._periodic.get(conn)
        stream = self._streams.get(conn)
        if periodic is None or stream is None or stream.state is State.CLOSED:
            return
        if stream.state is State.OPEN and conn not in self._gates:  # a held send box skips its ticks
            if stream.queued >= HIGH_WATER:  # the peer is not reading: sending more only piles up
                if not periodic.paused:
                    periodic.paused = True
                    self.emit(
                        Info(
                            source=self.source,
                            conn=conn,
                            peer=stream.peer,
                            text=f"periodic send paused: {stream.peer} is not reading, "
                            f"{stream.queued:,} bytes wait in our send queue",
                        )
                    )
            else:
                if periodic.paused:
                    periodic.paused = False
                    self.emit(Info(source=self.source, conn=conn, text="periodic send resumed"))
                try:
                    data = render()
                except CodecError as exc:  # say, {counter} text the encoding can't write
                    self.emit(Error(source=self.source, conn=conn, message=exc.message, hint=exc.hint))
                    self._end_periodic(conn, f"stopped after {_sends(periodic.done)}")
                    return
                stream.write(data, droppable=True)
                periodic.done += 1
        if every.count and periodic.done >= every.count:
            self._end_periodic(conn, f"finished after {_sends(periodic.done)}")
            return
        # Scheduled from the start time, so the interval does not drift with the loop's work.
        when = start + (tick + 1) * every.interval_ms / 1000
        periodic.timer = self.loop.call_at(when, self._periodic_tick, conn, render, every, start, tick + 1)

    def _stop_periodic(self, conn: int, why: str) -> None:
        periodic = self._periodic.get(conn)
        if periodic is not None:
            self._end_periodic(conn, f"{why} after {_sends(periodic.done)}")

    def _end_periodic(self, conn: int, why: str) -> None:
        """End conn's periodic send; with a reason, say so (the send box flips its button on this)."""
        periodic = self._periodic.pop(conn, None)
        if periodic is None:
            return
        if periodic.timer is not None:
            periodic.timer.cancel()
        if why:
            self.emit(
                PeriodicEnded(source=self.source, conn=conn, text=f"periodic send {why}", sends=periodic.done)
            )

    def stream_closed(self, stream: Stream) -> None:
        self._streams.pop(stream.conn, None)
        self._configs.pop(stream.conn, None)
        gate = self._gates.pop(stream.conn, None)
        if gate is not None and gate.timer is not None:
            gate.timer.cancel()
        self._stop_periodic(stream.conn, "stopped: the connection closed")

    def teardown(self) -> None:
        for timer in self._resolving.values():
            timer.cancel()
        self._resolving.clear()  # their helper threads are daemons; their answers go nowhere
        for stream in list(self._streams.values()):
            stream.close("the client engine stopped")


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _sends(count: int) -> str:
    return "1 send" if count == 1 else f"{count} sends"


def _options(config: TcpClientConfig) -> tuple[SocketOption, ...]:
    """The socket options the config asks for, applied to every address the client tries."""
    wanted = [
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
    return tuple(SocketOption(level, option, value, text) for on, level, option, value, text in wanted if on)
