"""The traffic log's memory: a bounded store of events, filters over it, and exports to files."""

from __future__ import annotations

import functools
import itertools
import json
import queue
import sys
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Generic, TypeVar

import msgspec

from netlab.core.conversations import key_of
from netlab.core.events import Data, Direction, Event, direction_of
from netlab.core.present import byte_count, connection_label, format_time, full_text, kind, summary

T = TypeVar("T")


class Ring(Generic[T]):
    """A list that drops from the front in amortised O(1) and still indexes in O(1).

    Dropped slots are released at once (a dropped row may hold a large payload); the list itself
    is compacted once most of it is dropped slots.
    """

    def __init__(self) -> None:
        self._items: list[T | None] = []
        self._start = 0

    def __len__(self) -> int:
        return len(self._items) - self._start

    def __getitem__(self, index: int) -> T:
        items, start = self._items, self._start  # called for every painted cell: one len() only
        size = len(items) - start
        if index < 0:
            index += size
        if not 0 <= index < size:
            raise IndexError(index)
        return items[start + index]  # type: ignore[return-value]

    def __iter__(self) -> Iterator[T]:
        return itertools.islice(self._items, self._start, None)  # type: ignore[arg-type]

    def extend(self, items: Iterable[T]) -> None:
        self._items.extend(items)

    def append(self, item: T) -> None:
        self._items.append(item)

    def to_list(self, start: int = 0, stop: int | None = None) -> list[T]:
        """Items start..stop as a new list, copied in one step."""
        end = len(self._items) if stop is None else self._start + min(stop, len(self))
        return self._items[self._start + start : end]  # type: ignore[return-value]

    def drop_front(self, count: int) -> None:
        end = self._start + min(count, len(self))
        self._items[self._start : end] = [None] * (end - self._start)
        self._start = end
        if self._start > 4096 and self._start * 2 > len(self._items):
            del self._items[: self._start]
            self._start = 0

    def clear(self) -> None:
        self._items.clear()
        self._start = 0


class Row(msgspec.Struct, frozen=True, gc=False):
    """An event with its place in the log: seq never repeats, even after rows are dropped.

    A Struct, as events are: no __dict__ (a million rows would spend ~290 MB on dicts alone), made
    in a quarter of the time of a slotted dataclass, and outside the garbage collector, which with
    a million rows in the log took 106 ms for a full collection and now takes 18 ms. It holds only
    a number and an event, so it can be part of no reference cycle.
    """

    seq: int
    event: Event


def _block(size: int) -> int:
    """What an object of `size` bytes takes on the heap: Python's allocator hands out 16-byte steps."""
    return -(-size // 16) * 16


def _row_cost() -> int:
    """Bytes a row costs beyond its payload's length: the row, its event, the payload's own object
    header, their numbers (wall, mono, seq) and the list slots of the store, of its conversation's
    index and of one view. Counted against max_bytes, so the bound means what it says (checked with
    tracemalloc in the tests)."""
    event = Data(direction=Direction.SENT, data=b"")
    objects = (Row(0, event), event, 0.0, 0.0, 2**40)  # the row, its event, wall, mono, seq
    payload_header = sys.getsizeof(b"") + 8  # the bytes object around a payload, rounded on average
    return sum(_block(sys.getsizeof(o)) for o in objects) + payload_header + 3 * 8


ROW_COST = _row_cost()


class Conversation:
    """One conversation's payloads in the store, oldest first, and their byte totals: what Follow
    stream reads, without a pass over the whole log (a million rows took over 100 ms)."""

    __slots__ = ("dropped", "messages", "received", "sent")

    def __init__(self) -> None:
        self.messages: Ring[Data] = Ring()
        self.dropped = 0  # its payloads that have left the store: the first kept one is number `dropped`
        self.sent = 0
        self.received = 0

    def _count(self, message: Data, sign: int) -> None:
        if message.direction is Direction.SENT:
            self.sent += sign * len(message.data)
        elif message.direction is Direction.RECEIVED:
            self.received += sign * len(message.data)


class LogStore:
    """Keeps the newest rows within max_rows and max_bytes, counting what it drops, and an index of
    each conversation's payloads (see conversations.key_of) that drops with them.

    max_bytes counts each row's payload plus ROW_COST, what the row itself takes in memory.
    """

    def __init__(self, max_rows: int = 1_000_000, max_bytes: int = 256 * 1024 * 1024) -> None:
        self.max_rows = max_rows
        self.max_bytes = max_bytes
        self.rows: Ring[Row] = Ring()
        self.payload_bytes = 0  # payloads plus ROW_COST per row: what max_bytes bounds
        self.dropped = 0
        self._next_seq = 0
        self._conversations: dict[str, Conversation] = {}

    def __len__(self) -> int:
        return len(self.rows)

    @property
    def first_seq(self) -> int:
        return self._next_seq - len(self.rows)

    def extend(self, events: Iterable[Event]) -> list[Row]:
        """Add events; return the new rows. Old rows beyond the limits are dropped from the front."""
        added = []
        conversations = self._conversations
        for event in events:
            added.append(Row(self._next_seq, event))
            self._next_seq += 1
            if isinstance(event, Data):
                self.payload_bytes += ROW_COST + len(event.data)
                key = key_of(event)
                if key:
                    found = conversations.get(key)
                    if found is None:
                        found = conversations[key] = Conversation()
                    found.messages.append(event)
                    found._count(event, 1)
            else:
                self.payload_bytes += ROW_COST
        self.rows.extend(added)
        self._trim()
        kept = min(len(added), len(self.rows))
        return added[len(added) - kept :]

    def _trim(self) -> None:
        over_rows = len(self.rows) - self.max_rows
        bytes_left = self.payload_bytes
        limit = self.max_bytes
        count = 0
        for row in self.rows:  # oldest first, until the rest fits
            if count >= over_rows and bytes_left <= limit:
                break
            event = row.event
            bytes_left -= ROW_COST + (len(event.data) if isinstance(event, Data) else 0)
            count += 1
        if count:
            self._drop(count)

    def _drop(self, count: int) -> None:
        gone: dict[str, int] = {}  # conversation -> how many of its oldest payloads go
        for row in self.rows.to_list(0, count):
            event = row.event
            if isinstance(event, Data):
                self.payload_bytes -= ROW_COST + len(event.data)
                key = key_of(event)
                if key:
                    gone[key] = gone.get(key, 0) + 1
                    self._conversations[key]._count(event, -1)
            else:
                self.payload_bytes -= ROW_COST
        self.rows.drop_front(count)
        self.dropped += count
        for key, number in gone.items():
            found = self._conversations[key]
            found.messages.drop_front(number)
            found.dropped += number
            if not len(found.messages):
                del self._conversations[key]

    def conversation(self, key: str) -> Conversation:
        """One conversation's payloads still in the store (empty if none)."""
        return self._conversations.get(key) or Conversation()

    def row(self, seq: int) -> Row | None:
        index = seq - self.first_seq
        return self.rows[index] if 0 <= index < len(self.rows) else None

    def clear(self) -> None:
        self.dropped = 0
        self.rows.clear()
        self._conversations.clear()
        self.payload_bytes = 0


@dataclass(frozen=True)
class LogFilter:
    """Which rows to show: text anywhere in the row, one peer, one direction. Empty means all."""

    text: str = ""
    peer: str = ""
    direction: Direction | None = None
    encoding: str = "utf-8"
    calls: bool = True  # show socket-call rows

    @property
    def is_empty(self) -> bool:
        return not self.text and not self.peer and self.direction is None and self.calls

    def matches(self, event: Event) -> bool:
        if self.direction is not None and direction_of(event) is not self.direction:
            return False
        if self.peer and event.peer != self.peer:
            return False
        if not self.calls and kind(event) == "call":
            return False
        if not self.text:
            return True
        if isinstance(event, Data):
            # The payload itself, not its one-line preview: searching bytes runs in C, and a
            # preview per row made filtering a million rows take seconds.
            return self._needle in event.data.lower() or self._lowered in connection_label(event).lower()
        return self._lowered in f"{connection_label(event)} {summary(event, self.encoding)}".lower()

    @functools.cached_property
    def _needle(self) -> bytes:
        return self.text.lower().encode(self.encoding, "replace").lower()

    @functools.cached_property
    def _lowered(self) -> str:
        return self.text.lower()


# ---------------------------------------------------------------------- exports
COLUMNS = ("No.", "Time", "Delta", "Direction", "Connection", "Bytes", "Data")


def _fields(row: Row, previous: Event | None, encoding: str) -> list[str]:
    event = row.event
    delta = event.mono - previous.mono if previous is not None else 0.0
    count = byte_count(event)
    return [
        str(row.seq + 1),
        format_time(event.wall),
        f"{delta:.6f}",
        direction_of(event).value,
        connection_label(event),
        "" if count is None else str(count),
        full_text(event, encoding),
    ]


def _hex(row: Row) -> str:
    """The payload's bytes as hex: what a save keeps exactly, whatever encoding is on show."""
    return row.event.data.hex(" ") if isinstance(row.event, Data) else ""


def write_text(rows: Iterable[Row], out: IO[str], encoding: str = "utf-8") -> int:
    """One line per row; a payload row is followed by a line with its bytes in hex."""
    count, previous = 0, None
    for row in rows:
        no, when, delta, direction, conn, size, text = _fields(row, previous, encoding)
        size = f"{size} B" if size else ""
        out.write(f"{no}\t{when}\t+{delta}\t{direction}\t{conn}\t{size}\t{text}\n")
        if isinstance(row.event, Data):
            out.write(f"\t\t\t\t\t\thex: {_hex(row)}\n")
        previous, count = row.event, count + 1
    return count


def write_csv(rows: Iterable[Row], out: IO[str], encoding: str = "utf-8") -> int:
    """The table's columns plus Hex, the payload's bytes (Data decodes them in the shown encoding)."""
    import csv  # only for an export, not at every start

    writer = csv.writer(out)
    writer.writerow((*COLUMNS, "Hex"))
    count, previous = 0, None
    for row in rows:
        writer.writerow((*_fields(row, previous, encoding), _hex(row)))
        previous, count = row.event, count + 1
    return count


def jsonl_record(row: Row, encoding: str = "utf-8") -> dict[str, object]:
    event = row.event
    record: dict[str, object] = {
        "seq": row.seq + 1,
        "time": format_time(event.wall),
        "wall": event.wall,
        "mono": event.mono,
        "kind": kind(event),
        "direction": direction_of(event).value,
        "source": event.source,
        "conn": event.conn,
        "peer": event.peer,
        "text": full_text(event, encoding),
    }
    if isinstance(event, Data):
        record["bytes"] = len(event.data)
        record["hex"] = event.data.hex()
    return record


def write_jsonl(rows: Iterable[Row], out: IO[str], encoding: str = "utf-8") -> int:
    count = 0
    for row in rows:
        out.write(json.dumps(jsonl_record(row, encoding), ensure_ascii=False) + "\n")
        count += 1
    return count


class StreamWriter:
    """Appends every event it is given to a JSON Lines file, on its own thread.

    put() is cheap and safe from any thread (an engine's, before any drop decision), so the file
    gets every event even when the log pane keeps only the newest. "seq" in the file counts the
    file's own lines. The queue is unbounded: a disk slower than the traffic costs memory, never
    an event.
    """

    def __init__(self, path: str, encoding: str = "utf-8") -> None:
        self._out = open(path, "a", encoding="utf-8")  # noqa: SIM115 - open until close()
        self.encoding = encoding
        self.written = 0
        self._queue: queue.SimpleQueue[Event | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._write_all, name="netlab-stream-file", daemon=True)
        self._thread.start()

    def put(self, event: Event) -> None:
        self._queue.put(event)

    def close(self) -> None:
        """Write what is queued, then close the file."""
        self._queue.put(None)
        self._thread.join()

    def _write_all(self) -> None:
        out, get = self._out, self._queue.get
        try:
            while (event := get()) is not None:
                lines = [event]
                while not self._queue.empty() and len(lines) < 10_000:
                    more = get()
                    if more is None:
                        self._write(lines)
                        return
                    lines.append(more)
                self._write(lines)
        finally:
            out.close()

    def _write(self, events: list[Event]) -> None:
        first = self.written
        self._out.writelines(
            json.dumps(jsonl_record(Row(first + i, event), self.encoding), ensure_ascii=False) + "\n"
            for i, event in enumerate(events)
        )
        self._out.flush()
        self.written += len(events)
