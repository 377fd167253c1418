"""The UDP sender engine: one bound socket that sends once, periodically, or as a paced traffic generator."""

from __future__ import annotations

import ipaddress
import os
import socket
import time
from typing import Any

from netlab.core.codec import CodecError
from netlab.core.config import format_address
from netlab.core.engine import Timer
from netlab.core.events import Error, Info, Listening, Sink
from netlab.core.sendbox import SendBox, send_bytes
from netlab.core.variables import Expander
from netlab.udp.config import TrafficConfig, UdpSenderConfig
from netlab.udp.datagram import DatagramEngine, family_name, family_of
from netlab.udp.failures import explain_udp, max_payload, oversize
from netlab.udp.seqheader import HEADER_SIZE, stamp

# Datagrams sent per loop turn when the generator is behind: Stop and incoming replies wait at
# most this many sendto() calls.
SEND_BATCH = 256
FILLER = b"NetLab traffic generator. " * 2600  # longer than any datagram


class UdpSender(DatagramEngine):
    """Sends to one target from one bound source port, and logs what comes back.

    Thread-safe commands: send(box), generate(traffic), stop_sending(), stop(), set_trace().
    """

    source = "sender"

    def __init__(self, config: UdpSenderConfig, sink: Sink) -> None:
        super().__init__(sink, trace=config.trace, encoding=config.encoding)
        self.config = config
        self.target: tuple[Any, ...] | None = None
        self.expander = Expander()
        self._periodic: Timer | None = None
        self._generator: Timer | None = None
        # The generator's progress, readable from any thread.
        self.generated = 0
        self.generator_started = 0.0
        self.generator_running = False
        self.generator_elapsed = 0.0
        self.connected = False

    # ------------------------------------------------------------------ thread-safe commands
    def send(self, box: SendBox, repeat: bool = False) -> None:
        """Send what the box holds once or, with repeat, as box.periodic says (count 0: until stopped)."""
        self.loop.call_soon_threadsafe(self._start_sending, box, repeat)

    def generate(self, traffic: TrafficConfig) -> None:
        self.loop.call_soon_threadsafe(self._start_generator, traffic)

    def stop_sending(self) -> None:
        """Stop periodic sends and the generator; takes effect before the next datagram."""
        self.loop.call_soon_threadsafe(self._stop_sending, "stopped by you")

    # ------------------------------------------------------------------ set-up
    def setup(self) -> bool:
        config = self.config
        family = family_of(config.family, config.bind_host or config.host)
        try:
            infos = socket.getaddrinfo(config.host.strip("[]"), config.port, family, socket.SOCK_DGRAM)
        except OSError as exc:
            self._fail(exc, "getaddrinfo", config.host, config.port)
            return False
        self.target = infos[0][4]
        family = infos[0][0]
        try:
            sock = socket.socket(family, socket.SOCK_DGRAM)
        except OSError as exc:
            self._fail(exc, "socket", config.host, config.port)
            return False
        self._trace(f"socket({family_name(family)}, SOCK_DGRAM)", f"fd {sock.fileno()}: no connection, ever")
        try:
            self._set_options(sock, family)
            local = (config.bind_host.strip("[]") or ("::" if family == socket.AF_INET6 else "0.0.0.0"),)
            sock.bind((*local, config.source_port))
        except OSError as exc:
            sock.close()
            self._fail(exc, "bind", config.bind_host or "", config.source_port, group=self._group())
            return False
        bound = sock.getsockname()
        self._trace(
            f"bind(({local[0]!r}, {config.source_port}))",
            f"sending from {format_address(bound)}: replies come back to this port",
        )
        if config.connect and not config.broadcast and not self._group():
            try:
                sock.connect(self.target)
            except OSError as exc:
                sock.close()
                self._fail(exc, "sendto", config.host, config.port)
                return False
            self.connected = True
            self._trace(
                f"connect({format_address(self.target)})",
                "no packet is sent: the kernel notes the peer, reports its ICMP errors, "
                "and passes on only its replies",
            )
        self.watch(sock)
        self.emit(Listening(source=self.source, host=bound[0], port=bound[1]))
        return True

    def _group(self) -> str:
        host = self.config.host.strip("[]")
        try:
            return host if ipaddress.ip_address(host).is_multicast else ""
        except ValueError:
            return ""

    def _set_options(self, sock: socket.socket, family: int) -> None:
        config = self.config
        if config.broadcast:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
            self._trace(
                "setsockopt(SOL_SOCKET, SO_BROADCAST, 1)", "this socket may send to broadcast addresses"
            )
        if not self._group():
            return
        if family == socket.AF_INET:
            sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, config.multicast_ttl)
            sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, int(config.multicast_loop))
            self._trace(
                f"setsockopt(IPPROTO_IP, IP_MULTICAST_TTL, {config.multicast_ttl})",
                "how many routers it may cross",
            )
            self._trace(f"setsockopt(IPPROTO_IP, IP_MULTICAST_LOOP, {int(config.multicast_loop)})", "")
            if config.multicast_interface:
                address = socket.inet_aton(config.multicast_interface)
                sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, address)
                self._trace(f"setsockopt(IPPROTO_IP, IP_MULTICAST_IF, {config.multicast_interface})", "")
        else:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, config.multicast_ttl)
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_LOOP, int(config.multicast_loop))
            self._trace(f"setsockopt(IPPROTO_IPV6, IPV6_MULTICAST_HOPS, {config.multicast_ttl})", "")
            if config.multicast_interface:
                index = socket.if_nametoindex(config.multicast_interface)
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, index)
                self._trace(f"setsockopt(IPPROTO_IPV6, IPV6_MULTICAST_IF, {index})", "")

    def _target(self) -> tuple[str, int | None]:
        return self.config.host, self.config.port

    def _target_conn(self) -> tuple[int, str]:
        return self._conn_of(self.target)

    # ------------------------------------------------------------------ periodic sends
    def _start_sending(self, box: SendBox, repeat: bool) -> None:
        self._stop_sending("")
        fixed: bytes | None = None
        if box.payload.kind == "file":
            fixed = self._read_file(box.payload.text)
            if fixed is None:
                return
        count = box.periodic.count if repeat else 1
        if count != 1:
            forever = "until you stop it" if count == 0 else f"{count:,} times"
            every = box.periodic.interval_ms
            self.emit(Info(source=self.source, text=f"sending every {every} ms, {forever}"))
        self._send_next(box, count, fixed, 0)

    def _read_file(self, path: str) -> bytes | None:
        limit = max_payload(self.target is not None and len(self.target) == 4)
        try:
            size = os.path.getsize(path)
            if size > limit:
                problem = oversize(size, limit != max_payload(False))
                self.emit(
                    Error(
                        source=self.source, message=f"The file {path}: {problem.message}", hint=problem.hint
                    )
                )
                return None
            with open(path, "rb") as file:
                return file.read()
        except OSError as exc:
            problem = explain_udp(exc, action="open")
            self.emit(Error(source=self.source, message=problem.message, hint=problem.hint))
            return None

    def _send_next(self, box: SendBox, count: int, fixed: bytes | None, done: int) -> None:
        self._periodic = None
        conn, peer = self._target_conn()
        try:
            data = fixed if fixed is not None else send_bytes(box, self.expander, peer)
        except CodecError as exc:
            self.emit(Error(source=self.source, message=exc.message, hint=exc.hint))
            return
        ok = self.send_datagram(data, None if self.connected else self.target, conn, peer)
        done += 1
        if ok and (count == 0 or done < count):
            delay = box.periodic.interval_ms / 1000
            self._periodic = self.loop.call_later(delay, self._send_next, box, count, fixed, done)
        elif count != 1:
            self.emit(Info(source=self.source, text=f"periodic send finished: {done:,} datagrams"))

    def _stop_sending(self, reason: str) -> None:
        if self._periodic is not None:
            self._periodic.cancel()
            self._periodic = None
            if reason:
                self.emit(Info(source=self.source, text=f"periodic send {reason}"))
        if self._generator is not None:
            self._generator.cancel()
            self._generator = None
            self._generator_done(reason)

    # ------------------------------------------------------------------ traffic generator
    def _start_generator(self, traffic: TrafficConfig) -> None:
        self._stop_sending("")
        assert self.sock is not None and self.target is not None
        ipv6 = self.sock.family == socket.AF_INET6
        if traffic.size > max_payload(ipv6):
            problem = oversize(traffic.size, ipv6)
            self.emit(Error(source=self.source, message=problem.message, hint=problem.hint))
            return
        rate = traffic.datagrams_per_s
        self.generated = 0
        self.generator_started = time.monotonic()
        self.generator_running = True
        run = int.from_bytes(os.urandom(4), "big")
        filler = FILLER[: traffic.size - (HEADER_SIZE if traffic.sequence else 0)]
        limit = traffic.count or None
        if traffic.duration_s:
            by_time = int(rate * traffic.duration_s)
            limit = min(limit, by_time) if limit else by_time
        what = f"{limit:,} datagrams" if limit else "until you stop it"
        stamped = f", stamped with sequence run {run:08x}" if traffic.sequence else ""
        self.emit(
            Info(
                source=self.source,
                text=f"generator: {traffic.size}-byte datagrams at {rate:,.0f}/s, {what}{stamped}",
            )
        )
        self._generator = self.loop.call_at(
            time.monotonic(), self._generate, traffic, rate, run, filler, limit
        )

    def _generate(
        self, traffic: TrafficConfig, rate: float, run: int, filler: bytes, limit: int | None
    ) -> None:
        sock, target = self.sock, self.target
        assert sock is not None and target is not None
        now = time.monotonic()
        due = int((now - self.generator_started) * rate) + 1
        if limit is not None:
            due = min(due, limit)
        batch = min(due - self.generated, SEND_BATCH)
        sequence = traffic.sequence
        send = sock.send if self.connected else lambda data: sock.sendto(data, target)
        sent = self.generated
        sent_bytes = 0
        try:
            for _ in range(batch):
                data = stamp(run, sent, time.time_ns(), filler) if sequence else filler
                send(data)
                sent += 1
                sent_bytes += len(data)
        except BlockingIOError:
            pass  # the send buffer is full: try again on the next turn
        except OSError as exc:
            self._account(sent, sent_bytes)
            self._fail(exc, "sendto", self.config.host, self.config.port, group=self._group())
            self._generator = None
            self._generator_done("stopped by the error above")
            return
        self._account(sent, sent_bytes)
        if limit is not None and sent >= limit:
            self._generator = None
            self._generator_done("")
            return
        if sent < int((time.monotonic() - self.generator_started) * rate) + 1:
            when = time.monotonic()  # behind: carry on at once, after the loop's other work
        else:
            when = self.generator_started + sent / rate
        self._generator = self.loop.call_at(when, self._generate, traffic, rate, run, filler, limit)

    def _account(self, sent: int, sent_bytes: int) -> None:
        self.messages_out += sent - self.generated
        self.bytes_out += sent_bytes
        self.generated = sent

    def achieved_rate(self) -> float:
        """Datagrams per second since the generator started (safe from any thread)."""
        elapsed = time.monotonic() - self.generator_started
        return self.generated / elapsed if self.generator_running and elapsed > 0 else 0.0

    def _generator_done(self, reason: str) -> None:
        elapsed = max(1e-9, time.monotonic() - self.generator_started)
        self.generator_running = False
        self.generator_elapsed = elapsed
        how = f" ({reason})" if reason else ""
        self.emit(
            Info(
                source=self.source,
                text=f"generator finished{how}: {self.generated:,} datagrams in {elapsed:.2f} s, "
                f"{self.generated / elapsed:,.0f}/s achieved",
            )
        )

    def teardown(self) -> None:
        self._stop_sending("stopped with the sender")
        if self.sock is not None:
            self.close_socket()
