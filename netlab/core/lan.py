"""Sharing on a LAN: this machine's own addresses, and a QR code for a URL."""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import struct
import sys

SIOCGIFADDR = 0x8915  # Linux: an interface's IPv4 address


def local_addresses() -> list[str]:
    """This machine's IPv4 addresses other than loopback, e.g. ['192.168.1.20']. Sends no packets."""
    found: set[str] = set()
    if sys.platform.startswith("linux"):
        import fcntl

        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            for _, name in socket.if_nameindex():
                request = struct.pack("256s", name.encode()[:15])
                with contextlib.suppress(OSError):
                    reply = fcntl.ioctl(probe.fileno(), SIOCGIFADDR, request)
                    found.add(socket.inet_ntoa(reply[20:24]))
    with contextlib.suppress(OSError):
        for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET):
            found.add(str(info[4][0]))
    return sorted(a for a in found if not ipaddress.ip_address(a).is_loopback)


def share_urls(port: int) -> list[str]:
    return [f"http://{address}:{port}/" for address in local_addresses()]


def qr_matrix(text: str) -> list[list[bool]]:
    """The QR code's modules, dark = True, with the quiet zone around them."""
    import segno  # only when a QR code is drawn: not on the start-up path

    return [[bool(module) for module in row] for row in segno.make(text, error="m").matrix_iter(border=4)]
