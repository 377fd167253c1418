"""Conversation identity: numbers that never restart, shared by both ends of a connection in this process.

A log pane keeps rows long after an engine stops, so "connection #1" of one Start must not be
mistaken for "#1" of the next. Every TCP connection gets a number from one process-wide counter,
and when both of its ends live in this process (NetLab's client talking to NetLab's server) they
meet here by their address pair and share one number, so both panes name it alike.
"""

from __future__ import annotations

import functools
import itertools
import threading
from collections import OrderedDict

from netlab.core.events import Event

_ids = itertools.count(1)
_lock = threading.Lock()
# (lower address, higher address) -> (number, the local addresses of the ends that have met it)
_meetings: OrderedDict[tuple[str, str], tuple[int, frozenset[str]]] = OrderedDict()
MEETINGS_KEPT = 4096  # ends whose partner is another program never meet it; forget the oldest


def new_number() -> int:
    """A connection number no other connection of this process has had or will have."""
    with _lock:
        return next(_ids)


def meet(local: str, peer: str, number: int = 0) -> int:
    """The shared number of the connection local <-> peer, seen from the end at `local`.

    The first end to arrive sets the number (its own `number`, or a new one); the other end
    gets the same. An end arriving a second time is a new connection on a reused address pair.
    """
    pair = (local, peer) if local <= peer else (peer, local)
    with _lock:
        known = _meetings.pop(pair, None)
        if known is not None and local not in known[1]:
            return known[0]  # the partner met it first: join; both ends are here, so it is forgotten
        chosen = number or next(_ids)
        _meetings[pair] = (chosen, frozenset((local,)))
        while len(_meetings) > MEETINGS_KEPT:
            _meetings.popitem(last=False)
        return chosen


def tcp_key(number: int) -> str:
    """The conversation key of TCP connection `number`, as rows carry it and the log shows it."""
    return f"#{number}"


@functools.lru_cache(maxsize=4096)  # one string per peer, shared by its rows
def udp_key(peer: str) -> str:
    """UDP has no connection: each peer address is one conversation."""
    return f"udp {peer}"


def key_of(event: Event) -> str:
    """The event's conversation key; engines that stamp none fall back to source and number."""
    if event.conversation:
        return event.conversation
    return f"{event.source} #{event.conn}" if event.conn else ""


def name_of(event: Event) -> str:
    """How the log names the conversation: '#17 127.0.0.1:5555' for TCP, the peer for UDP."""
    key = event.conversation
    if key.startswith("#"):
        return f"{key} {event.peer}".rstrip()
    if key or not event.conn:
        return event.peer
    return f"#{event.conn} {event.peer}".rstrip()
