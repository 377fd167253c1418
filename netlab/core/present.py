"""How events read as text: times, kinds and one-line summaries, for the GUI, the CLI and exports."""

from __future__ import annotations

import functools
import re
import time

from netlab.core.codec import decode_lossless, preview
from netlab.core.config import format_address
from netlab.core.conversations import name_of
from netlab.core.events import (
    Closed,
    Data,
    Direction,
    Error,
    Event,
    HttpExchange,
    Info,
    Listening,
    Opened,
    PeriodicEnded,
    SocketCall,
    Stopped,
    TlsInfo,
)

_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """Control characters as \\xNN, so what a peer sends cannot forge a log line."""
    return _CONTROLS.sub(lambda m: f"\\x{ord(m[0]):02x}", text)


def format_time(wall: float) -> str:
    """2026-11-21 08:47:31.123 in local time."""
    return f"{_whole_second(int(wall))}.{int(wall * 1000) % 1000:03d}"


def format_clock(wall: float) -> str:
    """08:47:31.123 in local time: the log's Time column (the date is in exports and the tooltip)."""
    return format_time(wall)[11:]


@functools.lru_cache(maxsize=1024)
def _whole_second(second: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(second))


def format_delta(seconds: float) -> str:
    return f"+{seconds:.6f}"


def human_bytes(count: float) -> str:
    """1023 B, 1.5 KB, 12.0 MB, 3.2 GB."""
    if abs(count) < 1024:
        return f"{count:.0f} B"
    for unit in ("KB", "MB"):
        count /= 1024
        if abs(count) < 1024:
            return f"{count:.1f} {unit}"
    return f"{count / 1024:.1f} GB"


def arrow(direction: Direction) -> str:
    return {Direction.SENT: "sent →", Direction.RECEIVED: "← received", Direction.SYSTEM: "system"}[direction]


def connection_label(event: Event) -> str:
    """'server #3 127.0.0.1:5555', or just 'server' for engine-wide rows."""
    return f"{event.source} {name_of(event)}".strip()


def summary(event: Event, encoding: str = "utf-8", limit: int = 120) -> str:
    """One line that says what happened; payload as escaped text."""
    if isinstance(event, Data):
        return preview(event.data, encoding, limit)
    if isinstance(event, Info):
        return event.text
    if isinstance(event, SocketCall):
        return f"{event.call} → {event.result}" if event.result else event.call
    if isinstance(event, Listening):
        return f"listening on {format_address((event.host, event.port))}"
    if isinstance(event, Opened):
        return f"connected: {event.peer} ↔ {event.local}"
    if isinstance(event, Closed):
        return f"closed: {event.reason}"
    if isinstance(event, TlsInfo):
        return f"TLS handshake done: {event.version}, cipher {event.cipher}"
    if isinstance(event, Error):
        return f"error: {event.message}" + (f" — {event.hint}" if event.hint else "")
    if isinstance(event, HttpExchange):
        saved = f", saved as {', '.join(printable(name) for name in event.saved)}" if event.saved else ""
        return (
            f"{printable(event.method)} {printable(event.target)} → {event.status}, "
            f"{event.bytes_sent:,} bytes, {event.duration * 1000:.1f} ms{saved}"
        )
    if isinstance(event, Stopped):
        return "stopped"
    return type(event).__name__


def full_text(event: Event, encoding: str = "utf-8") -> str:
    """All of it: the whole payload decoded (undecodable bytes as \\xNN), or the summary."""
    if isinstance(event, Data):
        return decode_lossless(event.data, encoding)
    return summary(event, encoding, limit=10**9)


def access_line(event: HttpExchange) -> str:
    """One access-log line: time, client, "METHOD target", status, bytes, milliseconds (and saved names)."""
    saved = f"  saved as {', '.join(printable(name) for name in event.saved)}" if event.saved else ""
    return (
        f'{format_time(event.wall)}  {event.peer}  "{printable(event.method)} {printable(event.target)}"  '
        f"{event.status}  {event.bytes_sent}  {event.duration * 1000:.1f} ms{saved}"
    )


def kind(event: Event) -> str:
    """data, info, call, listening, opened, closed, tls, error or stopped."""
    return _KINDS.get(type(event), type(event).__name__.lower())


_KINDS = {
    Data: "data",
    Info: "info",
    PeriodicEnded: "info",
    SocketCall: "call",
    Listening: "listening",
    Opened: "opened",
    Closed: "closed",
    TlsInfo: "tls",
    Error: "error",
    HttpExchange: "http",
    Stopped: "stopped",
}


def byte_count(event: Event) -> int | None:
    """Payload bytes, or for an HTTP exchange the bytes of the response."""
    if isinstance(event, Data):
        return len(event.data)
    return event.bytes_sent if isinstance(event, HttpExchange) else None
