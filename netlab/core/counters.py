"""An engine's totals as one snapshot, apart from the engine so a window can show them without sockets."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Counters:
    """A snapshot of an engine's totals; rates come from the difference of two snapshots."""

    connections: int = 0
    messages_in: int = 0
    messages_out: int = 0
    bytes_in: int = 0
    bytes_out: int = 0
    dropped_bytes: int = 0
