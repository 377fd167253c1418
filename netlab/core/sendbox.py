"""What a send box holds: the payload as typed, periodic sends and a checksum; one config for every tab.

send_bytes() is the one way a send box becomes the bytes of one send: variables filled in, then the
checksum appended, so a periodic send gets a fresh {counter} and a fresh checksum every time.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from netlab.core.checksum import Checksum
from netlab.core.codec import Payload
from netlab.core.config import raise_if, range_problems
from netlab.core.variables import Expander, payload_bytes


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
    checksum: Checksum | None = None  # appended to each send; received messages checked against it


def send_bytes(box: SendBox, expander: Expander | None, peer: str = "") -> bytes:
    """One send's bytes: the payload with its variables filled in (when the box has them on and an
    expander is given), then the checksum. Raises CodecError (VariableError) in plain words."""
    data = payload_bytes(box.payload, expander if box.variables else None, peer)
    return box.checksum.appended(data) if box.checksum is not None else data
