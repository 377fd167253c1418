"""What a send box holds: the payload as typed and the periodic-send settings, one config for every tab."""

from __future__ import annotations

from dataclasses import dataclass, field

from netlab.core.codec import Payload
from netlab.core.config import raise_if, range_problems


@dataclass(frozen=True)
class PeriodicSend:
    """Send the same bytes every interval_ms, count times (0: until stopped)."""

    interval_ms: int = 1000
    count: int = 0

    def __post_init__(self) -> None:
        problems = range_problems(self.interval_ms, 1, 86_400_000, "interval_ms", "Interval (ms)")
        problems += range_problems(self.count, 0, 10**9, "count", "Count")
        raise_if(problems)


@dataclass(frozen=True)
class SendBox:
    """The send box of a panel: what to send and how often, as the user set it."""

    payload: Payload = field(default_factory=Payload)
    periodic: PeriodicSend = field(default_factory=PeriodicSend)
    variables: bool = True  # fill in {counter}, {time} … on every send (netlab/core/variables.py)
