"""Checksums a send box appends and a receive side verifies: sum8, XOR8, CRC-16 (three kinds), CRC-32.

Pure functions over bytes. Each algorithm is the one of the CRC catalogue (reveng.sourceforge.io)
of the same name, and its check value (the checksum of b"123456789") is listed with it, so a test
can hold each to its published number. The CRC-16s of the XMODEM family and CRC-32 come from
binascii (crc_hqx, crc32), which computes them in C; only CRC-16/MODBUS has no stdlib helper.
"""

from __future__ import annotations

import binascii
from dataclasses import dataclass
from enum import Enum

from netlab.core.config import FieldProblem, coerce_enum, raise_if, range_problems


class Algorithm(str, Enum):
    """The checksums on offer, by their catalogue names (value: how lab files write them)."""

    SUM8 = "sum8"
    XOR8 = "xor8"
    CRC16_MODBUS = "crc16-modbus"
    CRC16_IBM_3740 = "crc16-ibm-3740"
    CRC16_XMODEM = "crc16-xmodem"
    CRC32 = "crc32"

    @property
    def label(self) -> str:
        return _LABELS[self]

    @property
    def width(self) -> int:
        """How many bytes the checksum takes on the wire."""
        return _WIDTHS[self]


_LABELS = {
    Algorithm.SUM8: "sum8 (sum of the bytes, mod 256)",
    Algorithm.XOR8: "XOR8 (every byte XORed)",
    Algorithm.CRC16_MODBUS: "CRC-16/MODBUS",
    Algorithm.CRC16_IBM_3740: "CRC-16/IBM-3740 (CCITT-FALSE)",
    Algorithm.CRC16_XMODEM: "CRC-16/XMODEM",
    Algorithm.CRC32: "CRC-32 (zlib, Ethernet)",
}
_WIDTHS = {
    Algorithm.SUM8: 1,
    Algorithm.XOR8: 1,
    Algorithm.CRC16_MODBUS: 2,
    Algorithm.CRC16_IBM_3740: 2,
    Algorithm.CRC16_XMODEM: 2,
    Algorithm.CRC32: 4,
}

# The catalogue's check values: each algorithm over b"123456789".
CHECK_VALUES = {
    Algorithm.SUM8: 0xDD,
    Algorithm.XOR8: 0x31,
    Algorithm.CRC16_MODBUS: 0x4B37,
    Algorithm.CRC16_IBM_3740: 0x29B1,
    Algorithm.CRC16_XMODEM: 0x31C3,
    Algorithm.CRC32: 0xCBF43926,
}


def crc16_modbus(data: bytes) -> int:
    """CRC-16/MODBUS: polynomial 0x8005 reflected (0xA001), initial 0xFFFF, no final XOR."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc


def checksum(algorithm: Algorithm, data: bytes) -> int:
    """The checksum of data as a number (the wire bytes are Checksum.of())."""
    if algorithm is Algorithm.SUM8:
        return sum(data) & 0xFF
    if algorithm is Algorithm.XOR8:
        value = 0
        for byte in data:
            value ^= byte
        return value
    if algorithm is Algorithm.CRC16_MODBUS:
        return crc16_modbus(data)
    if algorithm is Algorithm.CRC16_IBM_3740:
        return binascii.crc_hqx(data, 0xFFFF)  # crc_hqx is CRC-16/XMODEM with a chosen initial value
    if algorithm is Algorithm.CRC16_XMODEM:
        return binascii.crc_hqx(data, 0)
    return binascii.crc32(data)


class ByteOrder(str, Enum):
    """How a checksum wider than a byte goes on the wire. MODBUS RTU sends its CRC low byte first."""

    BIG = "big"
    LITTLE = "little"


@dataclass(frozen=True)
class Verdict:
    """A received message's trailing checksum against the one computed over its covered bytes."""

    ok: bool
    found: bytes
    expected: bytes

    def describe(self, algorithm: Algorithm) -> str:
        """One plain line for the log."""
        if self.ok:
            return f"{algorithm.label} checksum OK: {self.found.hex(' ')}"
        return f"{algorithm.label} checksum BAD: the message ends in {self.found.hex(' ')}, " + (
            f"its bytes give {self.expected.hex(' ')}"
        )


@dataclass(frozen=True)
class Checksum:
    """A checksum appended to each send (append) and checked at the end of each receive (verify).

    It covers the message from skip_first bytes in up to skip_last bytes before its end (before
    the checksum itself when verifying), so a start byte or a trailing line ending can be left out.
    """

    algorithm: Algorithm = Algorithm.CRC16_MODBUS
    byte_order: ByteOrder = ByteOrder.BIG
    skip_first: int = 0
    skip_last: int = 0
    append: bool = True
    verify: bool = False

    def __post_init__(self) -> None:
        problems: list[FieldProblem] = []
        coerce_enum(self, "algorithm", Algorithm, problems)
        coerce_enum(self, "byte_order", ByteOrder, problems)
        problems += range_problems(self.skip_first, 0, 65_535, "skip_first", "Skip first")
        problems += range_problems(self.skip_last, 0, 65_535, "skip_last", "Skip last")
        raise_if(problems)

    def of(self, data: bytes) -> bytes:
        """The checksum bytes over data's covered range, in the chosen byte order."""
        covered = data[self.skip_first : len(data) - self.skip_last]
        value = checksum(self.algorithm, covered)
        return value.to_bytes(self.algorithm.width, self.byte_order.value)

    def appended(self, data: bytes) -> bytes:
        """data with its checksum after it (unchanged when append is off)."""
        return data + self.of(data) if self.append else data

    def check(self, message: bytes) -> Verdict | None:
        """The verdict on message's trailing checksum; None if it is too short to hold one."""
        width = self.algorithm.width
        if len(message) < width + self.skip_first + self.skip_last:
            return None
        body, found = message[:-width], message[-width:]
        expected = self.of(body)
        return Verdict(found == expected, found, expected)
