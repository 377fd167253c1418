"""Datagrams the kernel dropped for one socket, read from the drops column of /proc/net/udp (Linux).

A full receive buffer makes Linux throw datagrams away before any program sees them. It counts
them per socket in the last column of /proc/net/udp (and udp6), so NetLab can show a loss that
would otherwise be silent. Reading the file once a second costs nothing on the receive path, which
SO_RXQ_OVFL (a cmsg on every recvmsg) would not.
"""

from __future__ import annotations

import os
import socket


def drops_in_table(table: str, inode: int) -> int | None:
    """The drops column of the row whose inode matches, in the text of /proc/net/udp; None if absent."""
    wanted = str(inode)
    for line in table.splitlines()[1:]:
        columns = line.split()
        # sl local rem st tx:rx tr:when retrnsmt uid timeout inode ref pointer drops
        if len(columns) >= 13 and columns[9] == wanted:
            return int(columns[12])
    return None


class KernelDrops:
    """Reads this socket's drop count; available is False where the kernel doesn't report it."""

    def __init__(self, sock: socket.socket) -> None:
        self._inode = os.fstat(sock.fileno()).st_ino
        name = "udp6" if sock.family == socket.AF_INET6 else "udp"
        self._path = f"/proc/net/{name}"
        self.available = self.read() is not None

    def read(self) -> int | None:
        try:
            with open(self._path, encoding="ascii") as table:
                return drops_in_table(table.read(), self._inode)
        except (OSError, ValueError):
            return None
