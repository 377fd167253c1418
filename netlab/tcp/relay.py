"""The TCP server's relay mode: each accepted client gets its own connection to a target server,
and bytes are copied both ways, so a student sees exactly what a program and a real server say.

One conversation per client: the log shows what the client sent (received) and what went back to it
(sent), under the client's number; the target's side of the pair (connect, TLS, close) is logged under
the same number with the target as its peer. Back-pressure comes from the streams' pairing (see
Stream.feeds): a side that stops reading pauses the other, so nothing is dropped and memory stays
bounded. A FIN from one side becomes shutdown(SHUT_WR) towards the other; the pair closes when both
directions are done, or at once when either side fails.
"""

from __future__ import annotations

import socket
import ssl
import time
from functools import partial
from typing import TYPE_CHECKING

from netlab.core.engine import Timer
from netlab.core.errors import EXPECTED, error_event
from netlab.core.events import Info, SocketCall
from netlab.core.tls import client_context
from netlab.tcp.client import Address, look_up, lookup_timed_out, resolve
from netlab.tcp.rewrite import RelayTarget, rewrite
from netlab.tcp.stream import State, Stream

if TYPE_CHECKING:
    from netlab.tcp.server import TcpServer


class Relay:
    """The relay half of a TcpServer in relay mode. Everything runs on the server's loop thread."""

    def __init__(self, server: TcpServer, target: RelayTarget) -> None:
        self.server = server
        self.target = target
        self.rewritten = [0] * len(target.rewrites)  # matches changed by each rule, for the log
        self._targets: dict[int, Stream] = {}  # client conn -> its connection to the target
        self._looking_up: dict[int, Timer] = {}  # client conn -> when its target's lookup gives up
        self._context: ssl.SSLContext | None = None

    def setup(self) -> None:
        """Raises TlsSetupError (in plain words) for a CA file that can't be read."""
        if self.target.tls:
            self._context = client_context(self.target.ca_file, verify=self.target.tls_verify)

    def pairs(self) -> dict[int, str]:
        """Client conn -> the target it is relayed to, for the client list."""
        return {conn: stream.peer for conn, stream in list(self._targets.items())}

    # ------------------------------------------------------------------ a client arrives
    def client_ready(self, client: Stream) -> None:
        """Open the client's own connection to the target; its bytes wait (paused) until it is up."""
        client.relayed = True
        client._update_interest()  # no reading until its target is there to take the bytes
        where = self.target.address
        server = self.server
        server.emit(
            Info(
                source=server.source,
                conn=client.conn,
                peer=client.peer,
                conversation=client.conversation,
                text=f"relaying client {client.peer} ⇄ NetLab {client.local} ⇄ server {where}",
            )
        )
        host = self.target.host.strip("[]")
        port = self.target.port
        if server.trace:
            server.emit(
                SocketCall(
                    source=server.source,
                    conn=client.conn,
                    peer=where,
                    conversation=client.conversation,
                    call=f"getaddrinfo({host!r}, {port})",
                    result="the relay's server, looked up on a helper thread",
                )
            )

        # The lookup has the connect timeout too: a DNS server that never answers must not hold the
        # client in limbo for as long as the system resolver keeps trying.
        deadline = time.monotonic() + self.target.connect_timeout
        self._looking_up[client.conn] = server.loop.call_at(deadline, self._lookup_timed_out, client)
        name = f"netlab-relay-{client.conn}"
        deliver = partial(self._resolved, client)
        look_up(server.loop, host, port, socket.AF_UNSPEC, deliver, name=name, resolver=resolve)

    def _lookup_timed_out(self, client: Stream) -> None:
        if self._looking_up.pop(client.conn, None) is None or client.state is State.CLOSED:
            return
        target = self.target
        server = self.server
        host = target.host.strip("[]")
        server.emit(
            lookup_timed_out(server.source, client.conn, target.address, host, target.connect_timeout)
        )
        client.close(f"the relay could not look up {host}")

    def _resolved(self, client: Stream, outcome: list[Address] | BaseException) -> None:
        timer = self._looking_up.pop(client.conn, None)
        if timer is None or client.state is State.CLOSED:
            return  # timed out, or the client left meanwhile: the answer comes too late to matter
        timer.cancel()
        if not isinstance(outcome, BaseException) and not outcome:
            outcome = socket.gaierror(socket.EAI_NONAME, "no address")
        try:
            if isinstance(outcome, BaseException):
                raise outcome
            sock = socket.socket(outcome[0][0], socket.SOCK_STREAM)
            sock.setblocking(False)
        except EXPECTED as exc:
            self._target_failed(client, exc)
            return
        target = Stream(
            self.server,
            sock,
            client.conn,
            self.target.address,
            tls=self._context,
            server_hostname=self.target.host.strip("[]"),
        )
        target.conversation = client.conversation  # one conversation: both ends under one number
        target.relayed = True
        target.log_data = False  # its bytes are the client's, logged once there
        client.feeds, target.fed_by = target, client
        target.feeds, client.fed_by = client, target
        self._targets[client.conn] = target
        client._update_interest()  # read the client now: its bytes queue for the target
        try:
            target.connect(outcome, self.target.connect_timeout)
        except EXPECTED as exc:
            target.failed(exc)

    def _target_failed(self, client: Stream, exc: BaseException) -> None:
        server = self.server
        error = error_event(
            exc, source=server.source, action="connect", conn=client.conn, peer=self.target.address
        )
        server.emit(error)
        client.close(f"the relay could not reach {self.target.address}")

    # ------------------------------------------------------------------ bytes and endings
    def is_target(self, stream: Stream) -> bool:
        return self._targets.get(stream.conn) is stream

    def ready(self, stream: Stream) -> None:
        """The target is up (TLS done): pass on a FIN the client already sent."""
        client = stream.fed_by
        if client is not None and client.eof_received:
            stream.shutdown_write()

    def data(self, stream: Stream, data: bytes) -> None:
        other = stream.feeds
        if other is None:  # the client's bytes before its target is looked up: wait for it
            return
        rules = self.target.rewrites
        if rules:
            to_server = not self.is_target(stream)
            data, counts = rewrite(rules, data, to_server=to_server)
            self._say_rewrites(stream, counts, to_server)
        other.write(data)

    def _say_rewrites(self, stream: Stream, counts: list[int], to_server: bool) -> None:
        if not any(counts):
            return
        said = []
        for index, count in enumerate(counts):
            if count:
                self.rewritten[index] += count
                said.append(f"rule {index + 1} ×{count} (total {self.rewritten[index]})")
        way = "client → server" if to_server else "server → client"
        server = self.server
        server.emit(
            Info(
                source=server.source,
                conn=stream.conn,
                peer=stream.fed_by.peer if self.is_target(stream) and stream.fed_by else stream.peer,
                conversation=stream.conversation,
                text=f"rewrote {way}: " + ", ".join(said),
            )
        )

    def eof(self, stream: Stream) -> None:
        """One side sent its FIN: send ours to the other side once its bytes are out."""
        other = stream.feeds
        if other is not None and other.state is State.OPEN:
            other.shutdown_write()
        elif other is None and not self.is_target(stream):
            return  # the target is still being looked up: ready() passes the FIN on
        self.drained(stream)

    def drained(self, stream: Stream) -> None:
        """Both ways done (each side's FIN received and passed on): close the pair."""
        other = stream.feeds
        if other is None:
            return
        done = all(s.eof_received and s.write_shut and not s.queued for s in (stream, other))
        if done:
            stream.close("both sides finished")
            other.close("both sides finished")

    def closed(self, stream: Stream) -> None:
        """One side is gone for good (reset, error, kicked): the other goes too."""
        was_target = self.is_target(stream)
        if was_target:
            del self._targets[stream.conn]
        else:
            lookup = self._looking_up.pop(stream.conn, None)
            if lookup is not None:  # the client left before its target was found
                lookup.cancel()
        other = stream.feeds
        if other is not None and other.state is not State.CLOSED:
            other.close("the server's side of the relay ended" if was_target else "the client's side ended")
