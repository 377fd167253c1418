"""Typed events that engines hand to a sink: what happened, on which connection, and when.

Events are frozen snapshots. Payloads stay bytes; nothing here formats them (see present.py).
Every event carries a wall-clock time (for dates) and a monotonic time (for deltas).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum


class Direction(str, Enum):
    """Which way a row went, from this program's point of view."""

    SENT = "sent"
    RECEIVED = "received"
    SYSTEM = "system"


@dataclass(frozen=True, slots=True, kw_only=True)
class Event:
    """Base of every event. conn 0 means the engine itself rather than one connection.

    conversation is the key of the conversation the event belongs to, unique for the life of the
    process (see netlab.core.conversations); "" for engine-wide rows.
    """

    wall: float = field(default_factory=time.time)
    mono: float = field(default_factory=time.monotonic)
    source: str = ""
    conn: int = 0
    peer: str = ""
    conversation: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Data(Event):
    """Bytes that went over a connection."""

    direction: Direction
    data: bytes


@dataclass(frozen=True, slots=True, kw_only=True)
class Info(Event):
    """A plain system line: listening, stopped, a mode's note."""

    text: str


@dataclass(frozen=True, slots=True, kw_only=True)
class PeriodicEnded(Info):
    """A periodic send on conn ended (finished its count, stopped by you, or the connection closed).

    A plain Info line in the log; a send box's Start/Stop button listens for it to flip back.
    """

    sends: int


@dataclass(frozen=True, slots=True, kw_only=True)
class SocketCall(Event):
    """One socket API call, for the socket-call trace: `call` as a student would write it."""

    call: str
    result: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Listening(Event):
    """A server is bound and listening; port is the real one (never 0)."""

    host: str
    port: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Opened(Event):
    """A connection was established (accepted by a server or connected by a client)."""

    local: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Closed(Event):
    """A connection ended; reason is in plain words."""

    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class TlsInfo(Event):
    """A TLS handshake finished."""

    version: str
    cipher: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Error(Event):
    """An expected failure in plain words, with a hint; detail holds a traceback only if unexpected."""

    message: str
    hint: str = ""
    detail: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class HttpExchange(Event):
    """One HTTP request and the response to it, as an access log shows it."""

    method: str
    target: str  # decoded for reading (/中文.txt); control characters left for printable()
    status: int
    bytes_sent: int
    duration: float  # seconds from the request head to the last byte of the response
    request_head: bytes = b""  # request line and headers as parsed, for the row's detail
    response_head: bytes = b""  # status line and headers as sent
    saved: tuple[str, ...] = ()  # names an upload was saved under


@dataclass(frozen=True, slots=True, kw_only=True)
class Stopped(Event):
    """The engine's run() is about to return."""


Sink = Callable[[Event], None]


def direction_of(event: Event) -> Direction:
    """Sent, received, or system for anything that is not payload."""
    return event.direction if isinstance(event, Data) else Direction.SYSTEM
