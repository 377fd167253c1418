"""What UDP failures mean, in plain words: the errno table read with a datagram's eyes.

The same errno means something else for UDP than for TCP (ECONNREFUSED is an ICMP message about
an earlier datagram, EACCES is a missing SO_BROADCAST), so these come first and everything else
falls through to the one shared table in netlab.core.errors.
"""

from __future__ import annotations

import errno

from netlab.core.config import format_address
from netlab.core.errors import Problem, explain

MAX_IPV4_PAYLOAD = 65_507
MAX_IPV6_PAYLOAD = 65_527


def max_payload(ipv6: bool) -> int:
    """The most one datagram can carry: 65,535 less the IP and UDP headers."""
    return MAX_IPV6_PAYLOAD if ipv6 else MAX_IPV4_PAYLOAD


def oversize(size: int, ipv6: bool) -> Problem:
    limit = max_payload(ipv6)
    return Problem(
        f"A datagram of {size:,} bytes is over the limit of {limit:,} bytes on "
        f"{'IPv6' if ipv6 else 'IPv4'}, so it was not sent",
        "send less in one datagram (split it up), or use TCP for larger data",
    )


def explain_udp(
    exc: BaseException, *, action: str, host: str = "", port: int | None = None, group: str = ""
) -> Problem:
    """A UDP socket call failed: say why, and what to do about it."""
    where = format_address((host, port)) if host else "The peer"
    code = exc.errno if isinstance(exc, OSError) else None
    if isinstance(exc, ConnectionRefusedError) or code == errno.ECONNREFUSED:
        return Problem(
            f"{where} answered an earlier datagram with ICMP 'port unreachable': nothing receives UDP there",
            "start a receiver on that port, or check the host and port; UDP only learns of this "
            "from an ICMP message, reported on the next call",
        )
    if code == errno.EMSGSIZE:
        return Problem(
            "The datagram is too large to send (EMSGSIZE)",
            "one datagram carries at most 65,507 bytes on IPv4 (less over a smaller MTU with "
            "don't-fragment set); send less",
        )
    if code == errno.EACCES and action == "sendto":
        return Problem(
            f"Sending to {host} needs permission to broadcast",
            "tick Broadcast (it sets SO_BROADCAST) to send to a broadcast address",
        )
    if action == "join":
        if code == errno.EINVAL:
            return Problem(
                f"{group} is not a multicast group address",
                "groups are 224.0.0.0 to 239.255.255.255 (IPv4) or start with ff (IPv6)",
            )
        if code in (errno.ENODEV, errno.EADDRNOTAVAIL):
            return Problem(
                f"There is no interface '{host}' to join {group} on",
                "pick an interface from the list, or leave it empty for the default one",
            )
        if code == errno.ENOBUFS:
            return Problem(
                f"This socket has joined too many groups to join {group}",
                "leave a group first (Linux allows 20 per socket by default)",
            )
    if code == errno.EADDRNOTAVAIL and group and action == "sendto":
        return Problem(
            f"The interface has no address to send to {group} from",
            "IPv6 needs a link-local address on the interface, ready a second or two after it comes "
            "up; wait and send again, or choose another interface",
        )
    if code in (errno.ENETUNREACH, errno.ENODEV) and group:
        return Problem(
            f"The interface cannot carry multicast to {group}: it has no multicast route",
            "choose an interface with multicast; on Linux, loopback has none for IPv6 groups",
        )
    if code == errno.ENOBUFS or code == errno.EAGAIN:
        return Problem(
            "The kernel's send queue is full, so the datagram was not sent",
            "send at a lower rate, or raise the send buffer",
        )
    return explain(exc, action=action, host=host, port=port)
