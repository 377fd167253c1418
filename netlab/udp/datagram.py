"""What the UDP receiver and sender share: one socket, batched reads, sendto with plain-words failures.

Each peer address becomes one conversation: its datagrams carry the same conn number for the
engine's life, so the log groups them and "Follow stream" shows one peer's exchange.
"""

from __future__ import annotations

import socket
import time
from typing import Any

from netlab.core.config import Family, format_address
from netlab.core.conversations import udp_key
from netlab.core.engine import Engine
from netlab.core.events import Data, Direction, Error, Info, SocketCall
from netlab.core.events import Sink as Sink
from netlab.udp.config import is_multicast
from netlab.udp.drops import KernelDrops
from netlab.udp.failures import explain_udp, max_payload, oversize
from netlab.udp.seqheader import LossReport, SequenceStats, read_stamp

# Datagrams read per wake-up: enough to keep up with 100,000/s, few enough that a Stop command
# or a timer waits at most a few milliseconds behind a flood.
READ_BATCH = 256
RECV_SIZE = 65_535
REPORT_INTERVAL = 1.0


def family_of(config_family: Family, host: str) -> int:
    if config_family in (Family.IPV6, Family.DUAL) or (config_family is Family.AUTO and ":" in host):
        return socket.AF_INET6
    return socket.AF_INET


class DatagramEngine(Engine):
    """One UDP socket in a selector loop. Subclasses open it in setup() and call watch()."""

    def __init__(self, sink: Sink, *, trace: bool, encoding: str) -> None:
        super().__init__(sink, trace=trace)
        self.encoding = encoding
        self.sock: socket.socket | None = None
        self.address: tuple[str, int] | None = None  # the real bound address
        self.kernel_dropped = 0
        self.kernel_drops_reported = False
        self._drops: KernelDrops | None = None
        self._conns: dict[Any, tuple[int, str, str]] = {}  # address -> (conn, "host:port", conversation)
        self._addresses: dict[int, Any] = {}  # conn -> peer address, for replies
        self._streams: dict[tuple[int, int], SequenceStats] = {}  # (conn, run) -> stats
        self._reported: dict[tuple[int, int], int] = {}
        self._buffer = bytearray(RECV_SIZE)
        self._view = memoryview(self._buffer)
        self.answers = True  # False: datagram_received() has nothing to do, so the hot path skips it

    # ------------------------------------------------------------------ thread-safe
    def peer_address(self, conn: int) -> Any:
        return self._addresses.get(conn)

    def loss_reports(self) -> dict[str, LossReport]:
        """'peer (run 1a2b3c4d)' -> its report, for every stamped stream seen. Safe from any thread."""
        reports = {}
        for (conn, run), stats in list(self._streams.items()):
            peer = self._conns_by_id().get(conn, "?")
            reports[f"{peer} (run {run:08x})"] = stats.report()
        return reports

    def _conns_by_id(self) -> dict[int, str]:
        return {conn: peer for conn, peer, _key in list(self._conns.values())}

    # ------------------------------------------------------------------ loop thread
    def _trace(self, call: str, result: str = "", conn: int = 0, peer: str = "") -> None:
        if self.trace:
            self.emit(SocketCall(source=self.source, call=call, result=result, conn=conn, peer=peer))

    def _fail(
        self, exc: BaseException, action: str, host: str = "", port: int | None = None, **kw: str
    ) -> None:
        problem = explain_udp(exc, action=action, host=host, port=port, **kw)
        self.emit(Error(source=self.source, message=problem.message, hint=problem.hint))

    def _conn_of(self, address: Any) -> tuple[int, str]:
        known = self._known(address)
        return known[0], known[1]

    def _known(self, address: Any) -> tuple[int, str, str]:
        """conn, "host:port" and conversation key of a peer address, made on first sight."""
        known = self._conns.get(address)
        if known is None:
            conn = len(self._conns) + 1
            peer = format_address(address)
            known = (conn, peer, udp_key(peer))
            self._conns[address] = known
            self._addresses[conn] = address
        return known

    def watch(self, sock: socket.socket) -> None:
        """Start reading the bound socket, counting kernel drops and reporting stamped streams."""
        sock.setblocking(False)
        self.sock = sock
        bound = sock.getsockname()
        self.address = (bound[0], bound[1])
        self.loop.selector.register(sock, 1, self._on_readable)  # EVENT_READ
        self._drops = KernelDrops(sock)
        self.kernel_drops_reported = self._drops.available
        self.loop.call_later(REPORT_INTERVAL, self._report)

    def _on_readable(self, _mask: int) -> None:
        # The hot path: up to READ_BATCH datagrams per wake-up. recvfrom_into a reused buffer and one
        # copy is twice as fast as recvfrom(65535), which allocates 64 KiB per call and shrinks it.
        sock = self.sock
        assert sock is not None
        emit, source, received = self.emit, self.source, Direction.RECEIVED
        view, recv_into, conns = self._view, sock.recvfrom_into, self._conns
        answers = self.answers
        # One read time per wake-up: these datagrams were already queued together, and shared time
        # objects save two floats per row in a log that may hold a million of them.
        wall, mono = time.time(), time.monotonic()
        count = size = 0
        try:
            for _ in range(READ_BATCH):
                length, address = recv_into(self._buffer)
                data = bytes(view[:length])
                known = conns.get(address) or self._known(address)
                count += 1
                size += length
                emit(
                    Data(
                        wall=wall,
                        mono=mono,
                        source=source,
                        conn=known[0],
                        peer=known[1],
                        conversation=known[2],
                        direction=received,
                        data=data,
                    )
                )
                if data.startswith(b"NLSQ"):
                    self._note_stamp(known[0], data)
                if answers:
                    self.datagram_received(data, address, known[0], known[1])
        except BlockingIOError:
            pass
        except OSError as exc:
            self._fail(exc, "recvfrom", *self._target())
        finally:
            self.messages_in += count
            self.bytes_in += size

    def _note_stamp(self, conn: int, data: bytes) -> None:
        stamp = read_stamp(data)
        if stamp is None:
            return
        stats = self._streams.get((conn, stamp.run))
        if stats is None:
            stats = self._streams[(conn, stamp.run)] = SequenceStats()
        stats.add(stamp.seq, stamp.sent_ns, time.time_ns())

    def _target(self) -> tuple[str, int | None]:
        """The host and port an ICMP error is most likely about."""
        return "", None

    def datagram_received(self, data: bytes, address: Any, conn: int, peer: str) -> None:
        """Called for every datagram, after it is logged."""

    def send_datagram(self, data: bytes, address: Any, conn: int = 0, peer: str = "") -> bool:
        """sendto(), logged as a sent row; a failure becomes an Error event. True if it went out."""
        sock = self.sock
        assert sock is not None
        if len(data) > max_payload(sock.family == socket.AF_INET6):
            problem = oversize(len(data), sock.family == socket.AF_INET6)
            self.emit(
                Error(source=self.source, conn=conn, peer=peer, message=problem.message, hint=problem.hint)
            )
            return False
        try:
            if address is None:
                sock.send(data)
            else:
                sock.sendto(data, address)
        except OSError as exc:
            host, port = (address[0], address[1]) if address is not None else self._target()
            group = host if host and is_multicast(host) else ""
            self._fail(exc, "sendto", host, port, group=group)
            return False
        self.messages_out += 1
        self.bytes_out += len(data)
        key = udp_key(peer) if peer else ""
        self.emit(
            Data(
                source=self.source,
                conn=conn,
                peer=peer,
                conversation=key,
                direction=Direction.SENT,
                data=data,
            )
        )
        return True

    def _report(self) -> None:
        """Once a second: new kernel drops, and the loss figures of each stamped stream that moved."""
        if self._drops is not None and self._drops.available:
            count = self._drops.read()
            if count is not None and count > self.kernel_dropped:
                new = count - self.kernel_dropped
                self.kernel_dropped = count
                self.emit(
                    Info(
                        source=self.source,
                        text=f"the kernel dropped {new:,} datagrams ({count:,} in all): the receive "
                        "buffer was full before NetLab could read them",
                    )
                )
        peers = self._conns_by_id()
        for key, stats in list(self._streams.items()):
            if self._reported.get(key) != stats.received:
                self._reported[key] = stats.received
                conn, run = key
                self.emit(
                    Info(
                        source=self.source,
                        conn=conn,
                        peer=peers.get(conn, ""),
                        text=f"sequence run {run:08x}: {stats.report().line()}",
                    )
                )
        self.loop.call_later(REPORT_INTERVAL, self._report)

    def close_socket(self) -> None:
        if self.sock is None:
            return
        self._report_final_drops()
        self.loop.selector.unregister(self.sock)
        self.sock.close()
        self._trace("close()", "the port is free again")

    def _report_final_drops(self) -> None:
        if self._drops is not None and self._drops.available:
            count = self._drops.read()
            if count is not None:
                self.kernel_dropped = max(self.kernel_dropped, count)


def family_name(family: int) -> str:
    return "AF_INET6" if family == socket.AF_INET6 else "AF_INET"
