"""The TCP server engine: one thread, one selector, any number of clients, eight modes."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from dataclasses import replace

from netlab.core.config import Family, format_address
from netlab.core.conversations import meet, new_number
from netlab.core.errors import NetLabError, error_event
from netlab.core.events import Error, Info, Listening, SocketCall
from netlab.core.responder import Reply, Responder
from netlab.core.tls import ServerTls, server_context
from netlab.tcp.config import ServerMode, TcpServerConfig
from netlab.tcp.relay import Relay
from netlab.tcp.stream import ConnectionInfo, Stream, StreamEngine, family_name

# What each mode answers to received bytes; chat relays instead, daytime and banner also talk first.
_REPLIES = {
    ServerMode.ECHO: Reply.ECHO,
    ServerMode.BANNER: Reply.ECHO,
    ServerMode.UPPER: Reply.UPPER,
    ServerMode.RULES: Reply.RULES,
}


def daytime_text(now: float | None = None) -> bytes:
    """RFC 867 leaves the format free; this is the common human-readable one."""
    return time.strftime("%A, %B %d, %Y %H:%M:%S %Z\r\n", time.localtime(now)).encode()


class TcpServer(StreamEngine):
    """Listens and serves clients in the configured mode.

    Thread-safe commands: send(), kick(), disconnect_all(), stop(), set_trace().
    """

    source = "server"

    def __init__(self, config: TcpServerConfig, sink: Callable[..., None]) -> None:
        super().__init__(sink, trace=config.trace)
        self.config = config
        self.address: tuple[str, int] | None = None  # the real bound address, once listening
        self._listener: socket.socket | None = None
        self._tls: ServerTls | None = None
        self._clients: dict[int, Stream] = {}
        self.responder = Responder(
            _REPLIES.get(config.mode, Reply.NONE),
            rules=config.rules,
            quit_words=config.quit_words,
            encoding=config.encoding,
        )
        self.relay = Relay(self, config.relay) if config.mode is ServerMode.RELAY else None

    # ------------------------------------------------------------------ thread-safe commands
    def send(self, conn: int | None, data: bytes) -> None:
        """Send to one client, or to all when conn is None."""
        self.loop.call_soon_threadsafe(self._send, conn, data)

    def kick(self, conn: int) -> None:
        self.loop.call_soon_threadsafe(self._close, conn, "kicked by you")

    def disconnect_all(self) -> None:
        self.loop.call_soon_threadsafe(self._close_all, "disconnected by you")

    def clients(self) -> list[ConnectionInfo]:
        """A snapshot, safe from any thread; a relayed client's peer names both ends."""
        found = [s.info() for s in list(self._clients.values())]
        if self.relay is None:
            return found
        pairs = self.relay.pairs()
        return [replace(i, peer=f"{i.peer} ⇄ {pairs[i.conn]}") if i.conn in pairs else i for i in found]

    # ------------------------------------------------------------------ loop thread
    def _trace(self, call: str, result: str = "") -> None:
        if self.trace:
            self.emit(SocketCall(source=self.source, call=call, result=result))

    def setup(self) -> bool:
        config = self.config
        family = socket.AF_INET if config.family in (Family.IPV4, Family.AUTO) else socket.AF_INET6
        host = config.host.strip("[]")
        if config.family is Family.DUAL and host in ("", "0.0.0.0"):
            host = "::"
        try:
            if config.tls is not None:
                tls = config.tls
                self._tls = server_context(
                    tls.cert_file, tls.key_file, self_signed=tls.self_signed, host=host
                )
                where = " (removed when the server stops)" if self._tls.temp_folder else ""
                self.emit(Info(source=self.source, text=f"TLS on, certificate {self._tls.cert_file}{where}"))
            if self.relay is not None:
                self.relay.setup()
            sock = socket.socket(family, socket.SOCK_STREAM)
            self._trace(f"socket({family_name(family)}, SOCK_STREAM)", f"fd {sock.fileno()}")
            if config.reuse_addr:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                self._trace("setsockopt(SOL_SOCKET, SO_REUSEADDR, 1)", "reuse the port even in TIME_WAIT")
            if family == socket.AF_INET6:
                v6only = 0 if config.family is Family.DUAL else 1
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, v6only)
                self._trace(f"setsockopt(IPPROTO_IPV6, IPV6_V6ONLY, {v6only})", "")
        except (OSError, NetLabError) as exc:
            return self._setup_failed(exc, "socket")
        try:
            sock.bind((host, config.port))
            bound = sock.getsockname()
            self._trace(f"bind(({host!r}, {config.port}))", f"bound to {format_address(bound)}")
            sock.listen(config.backlog)
            self._trace(f"listen({config.backlog})", "the kernel now completes handshakes for us")
        except OSError as exc:
            sock.close()
            return self._setup_failed(exc, "bind")
        sock.setblocking(False)
        self._listener = sock
        self.address = (bound[0], bound[1])
        self.loop.selector.register(sock, 1, self._accept)  # EVENT_READ
        self.emit(Listening(source=self.source, host=bound[0], port=bound[1]))
        return True

    def _setup_failed(self, exc: BaseException, action: str) -> bool:
        self.emit(
            error_event(exc, source=self.source, action=action, host=self.config.host, port=self.config.port)
        )
        return False

    @staticmethod
    def _number(sock: socket.socket, peer: str) -> int:
        """Numbers never restart, so a log keeps one Start's #1 apart from the next's; an in-process
        client and this server share theirs."""
        try:
            return meet(format_address(sock.getsockname()), peer)
        except OSError:  # reset before we looked: established() reports it
            return new_number()

    def _accept(self, _mask: int) -> None:
        assert self._listener is not None
        for sock, address in self.accept_all(self._listener):
            peer = format_address(address)
            conn = self._number(sock, peer)
            context = self._tls.context if self._tls is not None else None
            stream = Stream(self, sock, conn, peer, tls=context, server_side=True)
            self._clients[conn] = stream
            if self.trace:
                self.emit(
                    SocketCall(
                        source=self.source,
                        conn=conn,
                        peer=peer,
                        call="accept()",
                        result=f"new socket for {peer}",
                    )
                )
            stream.established()

    def teardown(self) -> None:
        self._close_all("the server stopped")
        if self._listener is not None:
            self.loop.selector.unregister(self._listener)
            self._listener.close()
            self._trace("close()", "the listening socket is released")
            self.emit(Info(source=self.source, text="stopped listening"))
        if self._tls is not None:
            self._tls.cleanup()

    def _send(self, conn: int | None, data: bytes) -> None:
        if conn is None:
            for stream in list(self._clients.values()):
                stream.write(data, droppable=True)
        elif conn in self._clients:
            self._clients[conn].write(data, droppable=True)  # bounded: a client that never reads
        else:
            self.emit(Error(source=self.source, conn=conn, message=f"Client #{conn} is no longer connected"))

    def _close(self, conn: int, reason: str) -> None:
        stream = self._clients.get(conn)
        if stream is not None:
            stream.close(reason)

    def _close_all(self, reason: str) -> None:
        for stream in list(self._clients.values()):
            stream.close(reason)

    # ------------------------------------------------------------------ modes
    def stream_ready(self, stream: Stream) -> None:
        mode = self.config.mode
        if self.relay is not None:
            if self.relay.is_target(stream):
                self.relay.ready(stream)
            else:
                self.relay.client_ready(stream)
        elif mode is ServerMode.DAYTIME:
            stream.write(daytime_text())
            stream.shutdown_write()
        elif mode is ServerMode.BANNER:
            assert self.address is not None
            host, port = self.address
            stream.write(self.config.banner_text(host, port).encode(self.config.encoding, "replace"))

    def stream_drained(self, stream: Stream) -> None:
        if self.relay is not None:
            self.relay.drained(stream)
        elif self.config.mode is ServerMode.DAYTIME:
            stream.close("daytime sent")

    def stream_eof(self, stream: Stream) -> None:
        if self.relay is not None:
            self.relay.eof(stream)

    def stream_closed(self, stream: Stream) -> None:
        if self.relay is not None:
            self.relay.closed(stream)
        if self._clients.get(stream.conn) is stream:
            del self._clients[stream.conn]

    def stream_data(self, stream: Stream, data: bytes) -> None:
        if self.relay is not None:
            self.relay.data(stream, data)
            return
        answer = self.responder.respond(data, peer=stream.peer)
        if answer.close:
            stream.close(f"the client sent the quit word '{answer.quit_word}'")
        elif answer.reply:
            stream.write(answer.reply)
        elif self.config.mode is ServerMode.CHAT:
            line = f"[{stream.peer}] ".encode() + data
            for other in list(self._clients.values()):
                if other is not stream:
                    other.write(line, droppable=True)
