"""The UDP receiver engine: bind, maybe join a multicast group, log every datagram, and answer by mode."""

from __future__ import annotations

import socket
import struct
from typing import Any

from netlab.core.config import Family, format_address
from netlab.core.events import Error, Info, Listening, Sink
from netlab.core.responder import Responder
from netlab.udp.config import ReceiverMode, UdpReceiverConfig, group_problems
from netlab.udp.datagram import DatagramEngine, family_name
from netlab.udp.interfaces import find


class UdpReceiver(DatagramEngine):
    """Receives datagrams on one socket and replies as its mode says.

    Thread-safe commands: reply(conn, data), stop(), set_trace().
    """

    source = "receiver"

    def __init__(self, config: UdpReceiverConfig, sink: Sink) -> None:
        super().__init__(sink, trace=config.trace, encoding=config.encoding)
        self.config = config
        self.responder = Responder(
            config.mode.reply, rules=config.rules, quit_words=config.quit_words, encoding=config.encoding
        )
        self._quiet: set[int] = set()  # peers that sent a quit word: no more replies to them
        self.answers = config.mode is not ReceiverMode.LOG or bool(config.quit_words)
        self.groups: dict[str, str] = {}  # joined group -> interface, safe to read from any thread

    # ------------------------------------------------------------------ thread-safe commands
    def reply(self, conn: int, data: bytes) -> None:
        """Send data to the peer of conversation conn (the sender of a selected datagram)."""
        self.loop.call_soon_threadsafe(self._reply, conn, data)

    def join(self, group: str, interface: str = "") -> None:
        """Join another multicast group while running."""
        self.loop.call_soon_threadsafe(self._join_now, group, interface)

    def leave(self, group: str) -> None:
        self.loop.call_soon_threadsafe(self._leave, group)

    def _join_now(self, group: str, interface: str) -> None:
        if self.sock is not None:
            self._join(self.sock, self.sock.family, group, interface)

    # ------------------------------------------------------------------ loop thread
    def setup(self) -> bool:
        config = self.config
        family = socket.AF_INET if config.family in (Family.IPV4, Family.AUTO) else socket.AF_INET6
        host = config.host.strip("[]")
        if config.family is Family.DUAL and host in ("", "0.0.0.0"):
            host = "::"
        try:
            sock = socket.socket(family, socket.SOCK_DGRAM)
        except OSError as exc:
            self._fail(exc, "socket", host, config.port)
            return False
        self._trace(f"socket({family_name(family)}, SOCK_DGRAM)", f"fd {sock.fileno()}: no connection, ever")
        try:
            self._set_options(sock, family)
        except OSError as exc:
            sock.close()
            self._fail(exc, "setsockopt", host, config.port)
            return False
        try:
            sock.bind((host, config.port))
        except OSError as exc:
            sock.close()
            self._fail(exc, "bind", host, config.port)
            return False
        bound = sock.getsockname()
        self._trace(f"bind(({host!r}, {config.port}))", f"bound to {format_address(bound)}")
        if config.group and not self._join(sock, family, config.group, config.interface):
            sock.close()
            return False
        self.watch(sock)
        self.emit(Listening(source=self.source, host=bound[0], port=bound[1]))
        if not self.kernel_drops_reported:
            self.emit(Info(source=self.source, text="this system does not report kernel drops per socket"))
        return True

    def _set_options(self, sock: socket.socket, family: int) -> None:
        config = self.config
        if config.reuse_addr or config.group:
            # Several receivers of one group on one machine each need the port.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self._trace("setsockopt(SOL_SOCKET, SO_REUSEADDR, 1)", "other sockets may bind this port too")
        if family == socket.AF_INET6:
            v6only = 0 if config.family is Family.DUAL else 1
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, v6only)
            self._trace(f"setsockopt(IPPROTO_IPV6, IPV6_V6ONLY, {v6only})")
        if config.rcvbuf:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, config.rcvbuf)
            real = sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF)
            self._trace(
                f"setsockopt(SOL_SOCKET, SO_RCVBUF, {config.rcvbuf})",
                f"the kernel keeps {real:,} bytes (Linux doubles the request for its bookkeeping)",
            )

    def _join(self, sock: socket.socket, family: int, group: str, interface: str) -> bool:
        """Join a group on an interface (address for IPv4, name for IPv6); False after an Error event."""
        group = group.strip("[]")
        problems = group_problems(group)
        if problems:
            self.emit(Error(source=self.source, message=problems[0].message, hint=problems[0].hint))
            return False
        if (":" in group) != (family == socket.AF_INET6):
            self.emit(
                Error(
                    source=self.source,
                    message=f"The group {group} is not of the socket's address family",
                    hint="bind an IPv6 address (::) for an IPv6 group, or IPv4 (0.0.0.0) for an IPv4 one",
                )
            )
            return False
        if interface:
            known = find(interface)
            if known is not None and not known.multicast:
                self.emit(
                    Error(
                        source=self.source,
                        message=f"The interface {interface} ({known.name}) does not do multicast",
                        hint="pick an interface with multicast, or leave it empty for the default one",
                    )
                )
                return False
        try:
            level, option, request, where = _membership(family, group, interface)
            sock.setsockopt(level, option, request)
        except OSError as exc:
            self._fail(exc, "join", interface or "default", None, group=group)
            return False
        name = "IP_ADD_MEMBERSHIP" if family == socket.AF_INET else "IPV6_JOIN_GROUP"
        self._trace(
            f"setsockopt({name}, {group} on {where})", "the kernel now delivers the group's datagrams here"
        )
        self.groups[group] = interface
        self.emit(Info(source=self.source, text=f"joined multicast group {group} on {where}"))
        return True

    def _leave(self, group: str) -> None:
        group = group.strip("[]")
        if group not in self.groups or self.sock is None:
            self.emit(Error(source=self.source, message=f"This receiver is not in the group {group}"))
            return
        interface = self.groups.pop(group)
        family = self.sock.family
        level, option, request, where = _membership(family, group, interface)
        option = socket.IP_DROP_MEMBERSHIP if family == socket.AF_INET else socket.IPV6_LEAVE_GROUP
        name = "IP_DROP_MEMBERSHIP" if family == socket.AF_INET else "IPV6_LEAVE_GROUP"
        try:
            self.sock.setsockopt(level, option, request)
        except OSError as exc:
            self._fail(exc, "leave", interface or "default", None, group=group)
            return
        self._trace(f"setsockopt({name}, {group} on {where})", "the group's datagrams no longer come here")
        self.emit(Info(source=self.source, text=f"left multicast group {group}"))

    def datagram_received(self, data: bytes, address: Any, conn: int, peer: str) -> None:
        if conn in self._quiet:
            return
        answer = self.responder.respond(data, peer=peer)
        if answer.close:
            # UDP has no connection to close: "quit" means this receiver stops answering that peer.
            self._quiet.add(conn)
            self.emit(
                Info(
                    source=self.source,
                    conn=conn,
                    peer=peer,
                    text=f"{peer} sent the quit word '{answer.quit_word}': no more replies to it "
                    "(UDP has no connection to close)",
                )
            )
        elif answer.reply:
            self.send_datagram(answer.reply, address, conn, peer)

    def _reply(self, conn: int, data: bytes) -> None:
        address = self._addresses.get(conn)
        if address is None:
            self.emit(
                Error(source=self.source, message="That datagram's sender is not known to this receiver")
            )
            return
        self.send_datagram(data, address, conn, self._conns[address][1])

    def teardown(self) -> None:
        if self.sock is not None:
            for group in list(self.groups):
                self._leave(group)
            self.close_socket()
            self.emit(Info(source=self.source, text="stopped receiving"))


def _membership(family: int, group: str, interface: str) -> tuple[int, int, bytes, str]:
    """(level, join option, request, 'where' in words) for IP_ADD_MEMBERSHIP or IPV6_JOIN_GROUP."""
    if family == socket.AF_INET:
        local = interface or "0.0.0.0"
        request = socket.inet_aton(group) + socket.inet_aton(local)
        return socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, request, local
    index = socket.if_nametoindex(interface) if interface else 0
    request = socket.inet_pton(socket.AF_INET6, group) + struct.pack("@I", index)
    return socket.IPPROTO_IPV6, socket.IPV6_JOIN_GROUP, request, f"interface {interface or index}"
