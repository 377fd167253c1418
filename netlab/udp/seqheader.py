"""The sequence header the traffic generator stamps on datagrams, and the receiver's loss statistics.

The header is 20 bytes at the start of the payload, all big-endian (network order):

    offset  size  field
    0       4     magic b"NLSQ" (so a receiver can tell a stamped datagram from any other)
    4       4     run id: random per generator run, so a restarted sender is a new stream
    8       4     sequence number, 0, 1, 2 … (wraps at 2**32)
    12      8     send time, nanoseconds since the Unix epoch (time.time_ns())

The rest of the datagram is filler up to the chosen size. One-way delay is receive time minus
send time, so it is only meaningful when both clocks agree (the same machine, or NTP-synced).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

MAGIC = b"NLSQ"
HEADER = struct.Struct("!4sIIQ")
HEADER_SIZE = HEADER.size  # 20
# Sequence numbers this far below the highest seen are "too late to judge": memory stays bounded.
WINDOW = 65_536


@dataclass(frozen=True)
class Stamp:
    """What a header carries."""

    run: int
    seq: int
    sent_ns: int


def stamp(run: int, seq: int, sent_ns: int, filler: bytes = b"") -> bytes:
    """A datagram: the header, then the filler."""
    return HEADER.pack(MAGIC, run & 0xFFFFFFFF, seq & 0xFFFFFFFF, sent_ns) + filler


def read_stamp(data: bytes) -> Stamp | None:
    """The header of a stamped datagram, or None for any other datagram."""
    if len(data) < HEADER_SIZE or data[:4] != MAGIC:
        return None
    _, run, seq, sent_ns = HEADER.unpack_from(data)
    return Stamp(run, seq, sent_ns)


@dataclass(frozen=True)
class LossReport:
    """A snapshot of one stamped stream, as the receiver shows it live."""

    received: int  # every stamped datagram, duplicates included
    unique: int
    lost: int  # gaps below the highest sequence number seen; a late arrival fills its gap again
    duplicated: int
    reordered: int  # arrived after a higher sequence number
    too_late: int  # more than WINDOW behind: counted as received, not judged
    delay_ms: float  # the last one-way delay
    min_delay_ms: float
    max_delay_ms: float
    jitter_ms: float  # RFC 3550 interarrival jitter

    def line(self) -> str:
        """One plain line for the log and the CLI."""
        return (
            f"{self.unique:,} received, {self.lost:,} lost, {self.duplicated:,} duplicated, "
            f"{self.reordered:,} out of order; delay {self.delay_ms:.3f} ms "
            f"(min {self.min_delay_ms:.3f}, max {self.max_delay_ms:.3f}), jitter {self.jitter_ms:.3f} ms"
        )


class SequenceStats:
    """Loss, duplicates, reordering, delay and jitter of one stream of stamped datagrams."""

    def __init__(self) -> None:
        self.received = 0
        self.duplicated = 0
        self.reordered = 0
        self.too_late = 0
        self.highest = -1
        self._seen: set[int] = set()
        self._last_transit: int | None = None
        self._jitter_ns = 0.0
        self._delay_ns = 0
        self._min_ns: int | None = None
        self._max_ns: int | None = None

    def add(self, seq: int, sent_ns: int, received_ns: int) -> None:
        self.received += 1
        transit = received_ns - sent_ns
        self._delay_ns = transit
        self._min_ns = transit if self._min_ns is None else min(self._min_ns, transit)
        self._max_ns = transit if self._max_ns is None else max(self._max_ns, transit)
        if self._last_transit is not None:
            # RFC 3550 section 6.4.1: J += (|D| - J) / 16, D the change in transit time.
            self._jitter_ns += (abs(transit - self._last_transit) - self._jitter_ns) / 16
        self._last_transit = transit
        if seq <= self.highest - WINDOW:
            self.too_late += 1
            return
        if seq in self._seen:
            self.duplicated += 1
            return
        self._seen.add(seq)
        if seq < self.highest:
            self.reordered += 1
        else:
            self.highest = seq
            if len(self._seen) > 2 * WINDOW:
                floor = self.highest - WINDOW
                self._seen = {s for s in self._seen if s > floor}

    @property
    def unique(self) -> int:
        return self.received - self.duplicated

    def report(self) -> LossReport:
        expected = self.highest + 1
        return LossReport(
            received=self.received,
            unique=self.unique,
            lost=max(0, expected - self.unique),
            duplicated=self.duplicated,
            reordered=self.reordered,
            too_late=self.too_late,
            delay_ms=self._delay_ns / 1e6,
            min_delay_ms=(self._min_ns or 0) / 1e6,
            max_delay_ms=(self._max_ns or 0) / 1e6,
            jitter_ms=self._jitter_ns / 1e6,
        )
