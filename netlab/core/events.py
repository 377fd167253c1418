"""Typed events that engines hand to a sink: what happened, on which connection, and when.

Events are frozen snapshots. Payloads stay bytes; nothing here formats them (see present.py).
Every event carries a wall-clock time (for dates) and a monotonic time (for deltas).

They are frozen msgspec Structs, not dataclasses: an engine makes one for every read, and a Struct
is made in 0.14 us against 1.4 us for a frozen slotted dataclass (12 classes also take 0.9 ms to
define instead of 6.3 ms at start-up, issue 8). Their fields never hold a container that could lead
back to an event, so they cannot form a reference cycle: gc=False keeps the garbage collector from
walking the million events a long capture holds. Change one with msgspec.structs.replace().
"""

from __future__ import annotations

import time
from collections.abc import Callable
from enum import Enum

import msgspec


class Direction(str, Enum):
    """Which way a row went, from this program's point of view."""

    SENT = "sent"
    RECEIVED = "received"
    SYSTEM = "system"


class Event(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """Base of every event. conn 0 means the engine itself rather than one connection.

    conversation is the key of the conversation the event belongs to, unique for the life of the
    process (see netlab.core.conversations); "" for engine-wide rows.
    """

    wall: float = msgspec.field(default_factory=time.time)
    mono: float = msgspec.field(default_factory=time.monotonic)
    source: str = ""
    conn: int = 0
    peer: str = ""
    conversation: str = ""


class Data(Event, frozen=True, kw_only=True):
    """Bytes that went over a connection."""

    direction: Direction
    data: bytes


class Info(Event, frozen=True, kw_only=True):
    """A plain system line: listening, stopped, a mode's note."""

    text: str


class PeriodicEnded(Info, frozen=True, kw_only=True):
    """A periodic send on conn ended (finished its count, stopped by you, or the connection closed).

    A plain Info line in the log; a send box's Start/Stop button listens for it to flip back.
    """

    sends: int


class SocketCall(Event, frozen=True, kw_only=True):
    """One socket API call, for the socket-call trace: `call` as a student would write it."""

    call: str
    result: str


class Listening(Event, frozen=True, kw_only=True):
    """A server is bound and listening; port is the real one (never 0)."""

    host: str
    port: int


class Opened(Event, frozen=True, kw_only=True):
    """A connection was established (accepted by a server or connected by a client)."""

    local: str


class Closed(Event, frozen=True, kw_only=True):
    """A connection ended; reason is in plain words."""

    reason: str


class TlsInfo(Event, frozen=True, kw_only=True):
    """A TLS handshake finished."""

    version: str
    cipher: str


class Error(Event, frozen=True, kw_only=True):
    """An expected failure in plain words, with a hint; detail holds a traceback only if unexpected."""

    message: str
    hint: str = ""
    detail: str = ""


class HttpExchange(Event, frozen=True, kw_only=True):
    """One HTTP request and the response to it, as an access log shows it."""

    method: str
    target: str  # decoded for reading (/中文.txt); control characters left for printable()
    status: int
    bytes_sent: int
    duration: float  # seconds from the request head to the last byte of the response
    request_head: bytes = b""  # request line and headers as parsed, for the row's detail
    response_head: bytes = b""  # status line and headers as sent
    saved: tuple[str, ...] = ()  # names an upload was saved under


class Stopped(Event, frozen=True, kw_only=True):
    """The engine's run() is about to return."""


Sink = Callable[[Event], None]


def direction_of(event: Event) -> Direction:
    """Sent, received, or system for anything that is not payload."""
    return event.direction if isinstance(event, Data) else Direction.SYSTEM
