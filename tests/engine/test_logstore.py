"""The log's store: bounded by rows and bytes, counts what it drops, filters, and exports."""

from __future__ import annotations

import csv
import gc
import io
import json
import os
import sys
import tracemalloc

from hypothesis import given, settings
from hypothesis import strategies as st

from netlab.core.events import Data, Direction, Info, SocketCall
from netlab.core.logstore import (
    ROW_COST,
    LogFilter,
    LogStore,
    Ring,
    Row,
    write_csv,
    write_jsonl,
    write_text,
)


def data(text: bytes, direction: Direction = Direction.RECEIVED, conn: int = 1, peer: str = "p:1") -> Data:
    return Data(source="server", conn=conn, peer=peer, direction=direction, data=text)


def test_ring_drops_from_the_front_and_indexes() -> None:
    ring: Ring[int] = Ring()
    ring.extend(range(10_000))
    ring.drop_front(6_000)
    assert len(ring) == 4_000
    assert ring[0] == 6_000 and ring[-1] == 9_999
    assert list(ring)[:2] == [6_000, 6_001]


def test_store_keeps_the_newest_rows_and_counts_drops() -> None:
    store = LogStore(max_rows=100)
    store.extend(Info(text=str(i)) for i in range(250))
    assert len(store) == 100
    assert store.dropped == 150
    assert store.rows[0].seq == 150 and store.first_seq == 150
    assert store.row(149) is None and store.row(150) is not None


def test_store_keeps_a_million_rows_by_default() -> None:
    assert LogStore().max_rows >= 1_000_000


def test_store_honours_the_byte_budget() -> None:
    store = LogStore(max_bytes=10_000)
    store.extend(data(bytes(1000)) for _ in range(50))
    assert store.payload_bytes <= 10_000
    kept = 10_000 // (1000 + ROW_COST)
    assert len(store) == kept and store.dropped == 50 - kept


def test_rows_count_in_the_byte_budget_and_carry_no_dict() -> None:
    store = LogStore(max_bytes=100 * ROW_COST)
    store.extend(Info(text="x") for _ in range(1000))  # no payload at all: still bounded
    assert len(store) == 100 and store.dropped == 900
    assert not hasattr(store.rows[0], "__dict__")
    assert 100 < ROW_COST < 400  # a row, its event, two times and a seq: a few hundred bytes


def test_a_batch_larger_than_the_store_returns_only_what_was_kept() -> None:
    store = LogStore(max_rows=5)
    added = store.extend(Info(text=str(i)) for i in range(8))
    assert [row.seq for row in added] == [3, 4, 5, 6, 7]


def test_filters_by_text_peer_and_direction() -> None:
    rows = [
        data(b"hello world", Direction.SENT, peer="a:1"),
        data(b"HELLO again", Direction.RECEIVED, peer="b:2"),
        Info(text="listening on 127.0.0.1:9"),
        SocketCall(call="recv(65536)", result="5 bytes"),
    ]
    assert [LogFilter(text="hello").matches(e) for e in rows] == [True, True, False, False]
    assert [LogFilter(peer="b:2").matches(e) for e in rows] == [False, True, False, False]
    assert [LogFilter(direction=Direction.SYSTEM).matches(e) for e in rows] == [False, False, True, True]
    assert [LogFilter(calls=False).matches(e) for e in rows] == [True, True, True, False]
    assert LogFilter(text="listening").matches(rows[2])


def test_conversation_is_one_connections_payloads() -> None:
    store = LogStore()
    store.extend([data(b"a", conn=1), data(b"b", conn=2), data(b"c", Direction.SENT, conn=1)])
    found = store.conversation("server #1")
    assert [e.data for e in found.messages] == [b"a", b"c"]
    assert (found.sent, found.received) == (1, 1)
    assert not len(store.conversation("server #9").messages)
    store.clear()
    assert not len(store.conversation("server #1").messages)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 3), st.integers(0, 2), st.binary(max_size=40)), max_size=80),
    st.integers(1, 30),
    st.integers(1, 6),
)
def test_the_conversation_index_matches_a_pass_over_the_rows(
    rows: list[tuple[int, int, bytes]], max_rows: int, batch: int
) -> None:
    """Whatever is dropped (by rows or bytes), each conversation's index is exactly its payloads
    still in the store, in order, with their totals; conn 0 is no conversation."""
    store = LogStore(max_rows=max_rows, max_bytes=ROW_COST * max_rows + 200)
    events = [
        Info(text="x") if conn == 0 and way == 2 else data(payload, list(Direction)[way], conn=conn)
        for conn, way, payload in rows
    ]
    for start in range(0, len(events), batch):
        store.extend(events[start : start + batch])
        for conn in range(4):
            key = f"server #{conn}"
            expected = [r.event for r in store.rows if isinstance(r.event, Data) and r.event.conn == conn]
            found = store.conversation(key)
            assert found.messages.to_list() == (expected if conn else [])
            sent = sum(len(e.data) for e in expected if e.direction is Direction.SENT)
            received = sum(len(e.data) for e in expected if e.direction is Direction.RECEIVED)
            assert (found.sent, found.received) == ((sent, received) if conn else (0, 0))
    assert set(store._conversations) <= {f"server #{conn}" for conn in range(1, 4)}
    assert all(len(c.messages) for c in store._conversations.values())  # none left empty


def test_exports_text_csv_and_jsonl() -> None:
    store = LogStore()
    store.extend([data(b"caf\xc3\xa9\r\n", Direction.SENT), data(b"\xff\x00", Direction.RECEIVED)])
    text, table, lines = io.StringIO(), io.StringIO(), io.StringIO()
    assert write_text(store.rows, text) == 2
    assert write_csv(store.rows, table) == 2
    assert write_jsonl(store.rows, lines) == 2
    assert "café" in text.getvalue() and "\\xff" in text.getvalue()
    parsed = list(csv.reader(io.StringIO(table.getvalue())))
    assert parsed[0][:4] == ["No.", "Time", "Delta", "Direction"]
    assert parsed[1][3] == "sent" and parsed[1][6] == "café\r\n"
    # The bytes survive whatever encoding decoded the Data column (issue 6, item 30).
    assert [bytes.fromhex(row[7]) for row in parsed[1:]] == [b"caf\xc3\xa9\r\n", b"\xff\x00"]
    assert "hex: ff 00" in text.getvalue()
    records = [json.loads(line) for line in lines.getvalue().splitlines()]
    assert records[1]["hex"] == "ff00" and records[1]["direction"] == "received"
    assert bytes.fromhex(records[0]["hex"]).decode() == "café\r\n"


def test_dropped_rows_release_their_payload_at_once() -> None:
    payload = bytes(1000) + b"unique"
    alone = sys.getrefcount(payload)
    store = LogStore(max_rows=10)
    store.extend([data(payload)])
    assert sys.getrefcount(payload) > alone
    store.extend(data(b"y") for _ in range(20))  # far fewer than the Ring's compaction point
    assert sys.getrefcount(payload) == alone


def test_the_row_cost_counted_against_the_bound_is_what_a_row_really_takes() -> None:
    """max_bytes counts each row as its payload plus ROW_COST: that must not be less than the memory
    a row of the store really holds (else a 128 MB bound keeps far more than 128 MB)."""
    count = 20_000
    payloads = [os.urandom(64) for _ in range(count)]  # made before: counted by their length only
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        store = LogStore(max_bytes=10**12)
        store.extend(
            # as an engine makes them: a new bytes object per payload, times and numbers per event
            Data(
                source="server",
                conn=1,
                peer="127.0.0.1:5001",
                direction=Direction.SENT,
                data=bytes(memoryview(d)),
            )
            for d in payloads
        )
        per_row = (tracemalloc.get_traced_memory()[0] - before) / count + 8  # + one view's slot
    finally:
        tracemalloc.stop()
    counted = store.payload_bytes / count
    assert per_row <= counted <= per_row * 1.2, (per_row, counted)


def test_a_full_log_gives_the_garbage_collector_nothing_to_walk() -> None:
    """Rows and their events are outside the collector: with a million rows in the log, a full
    collection took 106 ms while a flood ran (a stall in the window), and takes 18 ms now."""
    rows = LogStore(max_rows=100).extend(
        [data(b"x"), Info(text="y"), SocketCall(call="recv(4096)", result="")]
    )
    assert len(rows) == 3 and not any(gc.is_tracked(row) or gc.is_tracked(row.event) for row in rows)
    assert Row.__struct_config__.gc is False  # not only while the fields happen to hold no tracked object
