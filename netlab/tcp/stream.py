"""One TCP connection (plain or TLS) driven by an engine's loop: connect, handshake, read, write, close."""

from __future__ import annotations

import errno
import os
import selectors
import socket
import ssl
import time
from collections import deque
from dataclasses import dataclass
from enum import Enum
from typing import BinaryIO

from netlab.core.config import NO_VERIFY_LABEL, format_address
from netlab.core.conversations import meet, tcp_key
from netlab.core.engine import Engine, Registered, Timer
from netlab.core.errors import EXPECTED, error_event
from netlab.core.events import Closed, Data, Direction, Error, Info, Opened, SocketCall, TlsInfo
from netlab.core.tls import describe_certificate

RECV_SIZE = 256 * 1024
HIGH_WATER = 4 * 1024 * 1024  # stop reading a peer while this much of our output waits for it
LOW_WATER = 1024 * 1024  # ... and start again below this
MAX_QUEUED = 64 * 1024 * 1024  # past this, droppable data to a slow peer is dropped and counted
FILE_CHUNK = 256 * 1024

READ, WRITE = selectors.EVENT_READ, selectors.EVENT_WRITE


class State(Enum):
    CONNECTING = "connecting"
    HANDSHAKE = "handshake"
    OPEN = "open"
    CLOSED = "closed"


@dataclass(frozen=True)
class SocketOption:
    """A setsockopt() a client asks for on every socket it tries; text is how the trace writes it."""

    level: int
    option: int
    value: int
    text: str


@dataclass(frozen=True)
class ConnectionInfo:
    """One connection as a list shows it: who, since when, bytes each way."""

    conn: int
    peer: str
    since: float
    bytes_in: int
    bytes_out: int


class StreamEngine(Engine):
    """An engine whose connections are Streams; it hears about them through these hooks."""

    # A client that connects and never finishes the TLS handshake would hold its socket forever.
    handshake_timeout = 10.0

    def stream_ready(self, stream: Stream) -> None:
        """The connection (and its TLS handshake, if any) is up."""

    def stream_data(self, stream: Stream, data: bytes) -> None:
        """Bytes arrived."""

    def stream_closed(self, stream: Stream) -> None:
        """The connection is gone; the stream has already said why."""

    def stream_drained(self, stream: Stream) -> None:
        """Everything queued has been sent."""

    def stream_eof(self, stream: Stream) -> None:
        """A relayed stream's peer closed its side (FIN): the engine decides what follows."""


class Stream(Registered):
    """A non-blocking socket in its engine's selector. All methods run on the loop thread."""

    def __init__(
        self,
        engine: StreamEngine,
        sock: socket.socket,
        conn: int,
        peer: str,
        *,
        tls: ssl.SSLContext | None = None,
        server_side: bool = False,
        server_hostname: str | None = None,
    ) -> None:
        super().__init__(engine.loop, sock)
        self.engine = engine
        self.conn = conn
        self.peer = peer
        self.conversation = tcp_key(conn)  # the client's may change when it meets its server
        self.local = ""
        self.since = time.time()
        self.bytes_in = 0
        self.bytes_out = 0
        self.state = State.CONNECTING
        self.eof_received = False
        self.write_shut = False
        self._tls = tls
        self._server_side = server_side
        self._server_hostname = server_hostname
        self._handshake_wants = READ
        self._out: deque[bytes] = deque()
        self._out_offset = 0
        self.queued = 0
        self._dropped_warned = False
        self._shutdown_pending = False
        self._file: BinaryIO | None = None
        self._timeout: Timer | None = None
        self._addresses: list[tuple[socket.AddressFamily, tuple[str, int]]] = []
        self._options: tuple[SocketOption, ...] = ()
        self._bind: tuple[str, int] | None = None  # a client's chosen local address, bound before connect()
        self._fresh_socket = True  # the socket given to __init__ has not tried an address yet
        # A relay pairs two streams: what one receives, the other sends. `feeds` is the stream our
        # received bytes are written to: we stop reading while it has HIGH_WATER bytes waiting, so a
        # slow side pauses the other and nothing is dropped. `fed_by` is the one that writes to us.
        self.feeds: Stream | None = None
        self.fed_by: Stream | None = None
        self.relayed = False  # a FIN goes to the engine (stream_eof), which passes it on
        self.log_data = True  # False: this stream's bytes are logged on its partner, not twice

    def info(self) -> ConnectionInfo:
        return ConnectionInfo(self.conn, self.peer, self.since, self.bytes_in, self.bytes_out)

    # ------------------------------------------------------------------ helpers
    def _trace(self, call: str, result: str = "") -> None:
        if self.engine.trace:
            self.engine.emit(
                SocketCall(
                    source=self.engine.source,
                    conn=self.conn,
                    peer=self.peer,
                    conversation=self.conversation,
                    call=call,
                    result=result,
                )
            )

    def _update_interest(self) -> None:
        if self.state is State.CLOSED:
            return
        if self.state is State.CONNECTING:
            self._set_interest(WRITE)
        elif self.state is State.HANDSHAKE:
            self._set_interest(self._handshake_wants)
        else:
            wanted = 0
            if not self.eof_received and not self._output_full() and not self._feeds_full():
                wanted |= READ
            if self.queued:
                wanted |= WRITE
            self._set_interest(wanted)

    def _output_full(self) -> bool:
        """A server answers the bytes it reads on the same stream: stop reading while its answers pile up.
        A relayed stream's reads go to its partner instead (_feeds_full); waiting on its own output too
        would deadlock against a server that echoes: neither side would read until the other did."""
        return not self.relayed and self.queued >= HIGH_WATER

    def _feeds_full(self) -> bool:
        """A relayed stream reads only into a partner with room (none yet: its target is looked up)."""
        if not self.relayed:
            return False
        return self.feeds is None or self.feeds.queued >= HIGH_WATER

    def _on_ready(self, mask: int) -> None:
        if self.state is State.CONNECTING:
            self._finish_connect()
        elif self.state is State.HANDSHAKE:
            self._handshake()
        elif self.state is State.OPEN:
            if mask & WRITE:
                self._flush()
            if mask & READ and self.state is State.OPEN:
                self._read()

    # ------------------------------------------------------------------ connecting (clients)
    def connect(
        self,
        addresses: list[tuple[socket.AddressFamily, tuple[str, int]]],
        timeout: float,
        options: tuple[SocketOption, ...] = (),
        bind: tuple[str, int] | None = None,
    ) -> None:
        """Try each resolved address in turn, within `timeout` seconds in all; every socket gets options,
        and with bind, is bound to that local (host, port) first ('' host: any address of its family)."""
        self._addresses = list(addresses)
        self._options = options
        self._bind = bind
        self._timeout = self.engine.loop.call_later(timeout, self._connect_timed_out)
        self._try_next_address()

    def _try_next_address(self) -> None:
        family, address = self._addresses.pop(0)
        self.peer = format_address(address)
        if not self._fresh_socket:
            self.sock = socket.socket(family, socket.SOCK_STREAM)
            self.sock.setblocking(False)
        self._fresh_socket = False
        self._trace(
            f"socket({_FAMILY_NAMES.get(family, str(family))}, SOCK_STREAM)", f"fd {self.sock.fileno()}"
        )
        for option in self._options:
            self.sock.setsockopt(option.level, option.option, option.value)
            self._trace(f"setsockopt({option.text})")
        if self._bind is not None and not self._bind_local(family):
            return
        code = self.sock.connect_ex(address)
        if code in (0, errno.EINPROGRESS, errno.EWOULDBLOCK):
            self._meet_the_other_end()
            self._trace(
                f"connect({address[:2]!r})",
                "in progress: the three-way handshake (SYN, SYN-ACK, ACK) happens inside connect()",
            )
            self._update_interest()
            return
        self._connect_failed(OSError(code, os.strerror(code)))

    def _bind_local(self, family: socket.AddressFamily) -> bool:
        """bind() before connect(), as the user chose; False after saying why it failed (the stream ends)."""
        assert self._bind is not None
        host, port = self._bind
        local = (host or ("::" if family == socket.AF_INET6 else "0.0.0.0"), port)
        try:
            if port:
                # A fixed port is often still in TIME_WAIT from the last run: allow reusing it.
                self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                self._trace("setsockopt(SOL_SOCKET, SO_REUSEADDR, 1)", "the port may be reused at once")
            self.sock.bind(local)
        except OSError as exc:
            self._fail(exc, "bind")
            return False
        self._trace(f"bind({local!r})", "our end's address is chosen by us, not by connect()")
        return True

    def _meet_the_other_end(self) -> None:
        """The local port is known once connect() has started: share one number with an in-process server."""
        try:
            local = format_address(self.sock.getsockname())
        except OSError:
            return  # already reset; the connect result will say so
        self.conversation = tcp_key(meet(local, self.peer, self.conn))

    def _finish_connect(self) -> None:
        code = self.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if code:
            self._connect_failed(OSError(code, os.strerror(code)))
            return
        if self._timeout:
            self._timeout.cancel()
        self._trace("connect() completed", "handshake done: the connection is ESTABLISHED")
        self.established()

    def _connect_failed(self, exc: OSError) -> None:
        if self._addresses:
            self._set_interest(0)
            self.sock.close()
            self._trace("close()", f"{exc.strerror or exc}: trying the next address")
            try:
                self._try_next_address()
            except OSError as error:  # out of file descriptors, say: this connection ends, others go on
                self._fail(error, "connect")
            return
        self._fail(exc, "connect")

    def _handshake_timed_out(self) -> None:
        if self.state is State.HANDSHAKE:
            seconds = f"{self.engine.handshake_timeout:g}"
            self.engine.emit(
                Error(
                    source=self.engine.source,
                    conn=self.conn,
                    peer=self.peer,
                    conversation=self.conversation,
                    message=f"{self.peer} did not finish the TLS handshake within {seconds} s",
                    hint="the client may not speak TLS (try it without TLS), or it stalled; "
                    "the server closes such connections so they cannot pile up",
                )
            )
            self.close("TLS handshake timed out")

    def _connect_timed_out(self) -> None:
        if self.state in (State.CONNECTING, State.HANDSHAKE):
            self._fail(TimeoutError(), "connect")

    # ------------------------------------------------------------------ established
    def established(self) -> None:
        """TCP is up (accepted, or connect() finished): say so, then start TLS or go straight to OPEN."""
        try:
            self.local = format_address(self.sock.getsockname())
        except OSError as exc:  # reset by the peer before we looked
            self._fail(exc, "accept" if self._server_side else "connect")
            return
        self.engine.connections += 1
        self.engine.emit(
            Opened(
                source=self.engine.source,
                conn=self.conn,
                peer=self.peer,
                conversation=self.conversation,
                local=self.local,
            )
        )
        if self._tls is None:
            self._open()
            return
        self.state = State.HANDSHAKE
        if self._server_side:
            self._timeout = self.engine.loop.call_later(
                self.engine.handshake_timeout, self._handshake_timed_out
            )
        try:
            self.sock = self._tls.wrap_socket(
                self.sock,
                server_side=self._server_side,
                do_handshake_on_connect=False,
                server_hostname=None if self._server_side else self._server_hostname,
            )
        except EXPECTED as exc:
            self._fail(exc, "TLS")
            return
        self._handshake()

    def _handshake(self) -> None:
        assert isinstance(self.sock, ssl.SSLSocket)
        try:
            self.sock.do_handshake()
        except ssl.SSLWantReadError:
            self._handshake_wants = READ
            self._update_interest()
            return
        except ssl.SSLWantWriteError:
            self._handshake_wants = WRITE
            self._update_interest()
            return
        except EXPECTED as exc:
            self._fail(exc, "TLS handshake")
            return
        if self._timeout:
            self._timeout.cancel()
        cipher = self.sock.cipher()
        self.engine.emit(
            TlsInfo(
                source=self.engine.source,
                conn=self.conn,
                peer=self.peer,
                conversation=self.conversation,
                version=self.sock.version() or "?",
                cipher=cipher[0] if cipher else "?",
            )
        )
        if not self._server_side and self._tls is not None and self._tls.verify_mode == ssl.CERT_NONE:
            self._show_unverified_certificate()
        self._open()

    def _show_unverified_certificate(self) -> None:
        """Nobody checked who answered: show what the certificate claims, so the user can check it."""
        assert isinstance(self.sock, ssl.SSLSocket)
        der = self.sock.getpeercert(binary_form=True)
        about = describe_certificate(der) if der else "the server sent no certificate"
        self.engine.emit(
            Info(
                source=self.engine.source,
                conn=self.conn,
                peer=self.peer,
                conversation=self.conversation,
                text=f"certificate NOT verified ('{NO_VERIFY_LABEL}' is on): {about}",
            )
        )

    def _open(self) -> None:
        self.state = State.OPEN
        self._update_interest()
        self.engine.stream_ready(self)
        if self.state is State.OPEN and self._tls is not None:
            self._read()  # the handshake may have brought application data along

    # ------------------------------------------------------------------ reading
    def _read(self) -> None:
        engine = self.engine
        if self._feeds_full():
            self._update_interest()
            return
        for _ in range(16):
            try:
                data = self.sock.recv(RECV_SIZE)
            except (BlockingIOError, ssl.SSLWantReadError, ssl.SSLWantWriteError):
                break
            except (ssl.SSLZeroReturnError, ssl.SSLEOFError):
                data = b""
            except EXPECTED as exc:
                self._fail(exc, "recv")
                return
            if not data:
                self._trace(f"recv({RECV_SIZE})", "b'' - the peer closed its side (FIN received)")
                self._on_eof()
                return
            self.bytes_in += len(data)
            engine.bytes_in += len(data)
            engine.messages_in += 1
            self._trace(f"recv({RECV_SIZE})", f"{len(data)} bytes")
            if self.log_data:
                engine.emit(
                    Data(
                        source=engine.source,
                        conn=self.conn,
                        peer=self.peer,
                        conversation=self.conversation,
                        direction=Direction.RECEIVED,
                        data=data,
                    )
                )
            engine.stream_data(self, data)
            if self.state is not State.OPEN or self._output_full() or self._feeds_full():
                break
        if isinstance(self.sock, ssl.SSLSocket) and self.state is State.OPEN and self.sock.pending():
            engine.loop.call_soon(self._read)  # TLS bytes already decrypted: the selector won't say so
        self._update_interest()

    def _on_eof(self) -> None:
        self.eof_received = True
        if self.relayed:
            self._update_interest()
            self.engine.stream_eof(self)
            return
        if not self.queued:
            self.close("the peer closed the connection")
        else:
            self._update_interest()  # finish sending what is queued, then close

    # ------------------------------------------------------------------ writing
    def write(self, data: bytes, *, droppable: bool = False) -> None:
        """Queue bytes. droppable: a relay to a slow peer, dropped and counted past MAX_QUEUED."""
        if self.state is State.CLOSED or self.write_shut or not data:
            return
        if droppable and self.queued + len(data) > MAX_QUEUED:
            self.engine.dropped_bytes += len(data)
            if not self._dropped_warned:
                self._dropped_warned = True
                self.engine.emit(
                    Error(
                        source=self.engine.source,
                        conn=self.conn,
                        peer=self.peer,
                        conversation=self.conversation,
                        message=f"{self.peer} is reading too slowly; data for it is being dropped",
                        hint="the dropped byte count is in the counters",
                    )
                )
            return
        self._out.append(data)
        self.queued += len(data)
        if self.state is State.OPEN:
            self._flush()

    def send_file(self, file: BinaryIO) -> None:
        """Stream a file's contents, reading more only as the socket drains."""
        self._file = file
        self._refill()
        if self.state is State.OPEN:
            self._flush()

    def _refill(self) -> None:
        while self._file is not None and self.queued < LOW_WATER:
            chunk = self._file.read(FILE_CHUNK)
            if not chunk:
                self._file.close()
                self._file = None
                break
            self._out.append(chunk)
            self.queued += len(chunk)

    def _flush(self) -> None:
        engine = self.engine
        while self._out:
            chunk = self._out[0]
            view = memoryview(chunk)[self._out_offset :]
            try:
                sent = self.sock.send(view)
            except (BlockingIOError, ssl.SSLWantWriteError, ssl.SSLWantReadError):
                break
            except EXPECTED as exc:
                self._fail(exc, "send")
                return
            self._trace(f"send({len(view)} bytes)", f"{sent} bytes")
            piece = chunk if sent == len(chunk) and self._out_offset == 0 else bytes(view[:sent])
            self._out_offset += sent
            if self._out_offset == len(chunk):
                self._out.popleft()
                self._out_offset = 0
            self.queued -= sent
            self.bytes_out += sent
            engine.bytes_out += sent
            engine.messages_out += 1
            if self.log_data:
                engine.emit(
                    Data(
                        source=engine.source,
                        conn=self.conn,
                        peer=self.peer,
                        conversation=self.conversation,
                        direction=Direction.SENT,
                        data=piece,
                    )
                )
            if not self._out:
                self._refill()
        fed_by = self.fed_by
        if fed_by is not None and self.queued < LOW_WATER and fed_by.state is State.OPEN:
            fed_by._update_interest()  # room again: the other side may read on
        if not self.queued:
            if self._shutdown_pending:
                self._do_shutdown()
            if self.eof_received and self.state is State.OPEN and not self.relayed:
                self.close("the peer closed the connection")
                return
            engine.stream_drained(self)
        self._update_interest()

    # ------------------------------------------------------------------ ending
    def shutdown_write(self) -> None:
        """Half-close: send our FIN once everything queued is out; we can still receive."""
        if self.state is State.CLOSED or self.write_shut:
            return
        self._shutdown_pending = True
        if not self.queued and self.state is State.OPEN:
            self._do_shutdown()

    def _do_shutdown(self) -> None:
        self._shutdown_pending = False
        self.write_shut = True
        try:
            if isinstance(self.sock, ssl.SSLSocket):
                # SSLSocket.shutdown() drops the TLS state, so half-close the TCP socket underneath.
                with socket.socket(fileno=os.dup(self.sock.fileno())) as raw:
                    raw.shutdown(socket.SHUT_WR)
            else:
                self.sock.shutdown(socket.SHUT_WR)
        except OSError as exc:
            self._fail(exc, "shutdown")
            return
        self._trace("shutdown(SHUT_WR)", "our FIN is sent: we can still receive")

    def close(self, reason: str) -> None:
        if self.state is State.CLOSED:
            return
        was_connected = self.state is not State.CONNECTING
        self._set_interest(0)
        self.state = State.CLOSED
        if self._timeout:
            self._timeout.cancel()
        if self._file is not None:
            self._file.close()
            self._file = None
        self.sock.close()
        self._trace("close()", "the socket is released")
        if was_connected:
            self.engine.connections -= 1
        self.engine.emit(
            Closed(
                source=self.engine.source,
                conn=self.conn,
                peer=self.peer,
                conversation=self.conversation,
                reason=reason,
            )
        )
        self.engine.stream_closed(self)

    def failed(self, exc: Exception) -> None:
        """An expected failure escaped a socket call (the loop caught it): this connection ends."""
        self._fail(exc, _ACTIONS[self.state])

    def _fail(self, exc: BaseException, action: str) -> None:
        error = error_event(exc, source=self.engine.source, action=action, conn=self.conn, peer=self.peer)
        self.engine.emit(error)
        self.close(error.message)


_ACTIONS = {
    State.CONNECTING: "connect",
    State.HANDSHAKE: "TLS handshake",
    State.OPEN: "the connection",
    State.CLOSED: "close",
}

_FAMILY_NAMES: dict[int, str] = {socket.AF_INET: "AF_INET", socket.AF_INET6: "AF_INET6"}


def family_name(family: int) -> str:
    return _FAMILY_NAMES.get(family, str(family))
