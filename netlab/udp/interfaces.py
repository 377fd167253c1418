"""This machine's interfaces for UDP: name, IPv4 address, broadcast address, and whether they do multicast.

Read with the Linux ioctls that ifconfig uses (no packet is sent). Elsewhere the list holds only
what if_nameindex() knows, without addresses.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import sys
from dataclasses import dataclass

SIOCGIFFLAGS = 0x8913
SIOCGIFADDR = 0x8915
SIOCGIFBRDADDR = 0x8919
IFF_UP = 0x1
IFF_BROADCAST = 0x2
IFF_LOOPBACK = 0x8
IFF_MULTICAST = 0x1000

LIMITED_BROADCAST = "255.255.255.255"


@dataclass(frozen=True)
class Interface:
    name: str
    index: int
    address: str = ""  # IPv4, "" if none
    broadcast: str = ""  # the subnet's broadcast address, "" if the interface has none
    flags: int = 0

    @property
    def multicast(self) -> bool:
        # Linux routes IPv4 multicast over loopback although lo lacks the flag.
        return bool(self.flags & (IFF_MULTICAST | IFF_LOOPBACK))

    @property
    def up(self) -> bool:
        return bool(self.flags & IFF_UP)


def interfaces() -> list[Interface]:
    found = []
    for index, name in socket.if_nameindex():
        address = broadcast = ""
        flags = 0
        if sys.platform.startswith("linux"):
            address, broadcast, flags = _linux_details(name)
        found.append(Interface(name, index, address, broadcast, flags))
    return found


def _linux_details(name: str) -> tuple[str, str, int]:
    import fcntl

    request = struct.pack("256s", name.encode()[:15])
    address = broadcast = ""
    flags = 0
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        with contextlib.suppress(OSError):
            flags = struct.unpack_from("H", fcntl.ioctl(probe.fileno(), SIOCGIFFLAGS, request), 16)[0]
        with contextlib.suppress(OSError):
            address = socket.inet_ntoa(fcntl.ioctl(probe.fileno(), SIOCGIFADDR, request)[20:24])
        if flags & IFF_BROADCAST:
            with contextlib.suppress(OSError):
                broadcast = socket.inet_ntoa(fcntl.ioctl(probe.fileno(), SIOCGIFBRDADDR, request)[20:24])
    return address, broadcast, flags


def broadcast_addresses() -> list[str]:
    """255.255.255.255 first, then each up interface's subnet broadcast address."""
    found = [LIMITED_BROADCAST]
    for interface in interfaces():
        if interface.up and interface.broadcast and interface.broadcast not in found:
            found.append(interface.broadcast)
    return found


def find(name_or_address: str) -> Interface | None:
    """The interface with this name or IPv4 address."""
    for interface in interfaces():
        if name_or_address in (interface.name, interface.address):
            return interface
    return None
