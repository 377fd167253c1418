"""Follow stream as in Wireshark: joined segments, ASCII / hex dump / raw, the pane's encoding, Find,
Close, live updates while the conversation goes on, long conversations taken in over several turns,
and payloads the store drops leaving the view."""

from __future__ import annotations

import tracemalloc
from itertools import groupby, pairwise

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from PySide6.QtWidgets import QApplication, QDialogButtonBox
from pytestqt.qtbot import QtBot

import ui.common.follow as follow
from netlab.core.events import Data, Direction, Event
from netlab.core.logstore import LogStore
from ui.common.follow import FollowStreamDialog
from ui.common.logpane import LogPane


def data(direction: Direction, payload: bytes) -> Event:
    return Data(
        source="server", conn=7, peer="127.0.0.1:5", conversation="#7", direction=direction, data=payload
    )


def open_follow(qtbot: QtBot, pane: LogPane) -> FollowStreamDialog:
    pane.table.selectRow(0)
    pane.follow_selected()
    dialogs = [
        w for w in QApplication.topLevelWidgets() if isinstance(w, FollowStreamDialog) and w.isVisible()
    ]
    assert len(dialogs) == 1
    return dialogs[0]


def test_segments_views_encoding_find_close_and_live(qtbot: QtBot) -> None:
    pane = LogPane("follow")
    qtbot.addWidget(pane)
    pane.show()
    pane.encoding.setCurrentIndex(pane.encoding.findData("gbk"))
    pane.add_events(
        [
            data(Direction.RECEIVED, b"GET / HT"),
            data(Direction.RECEIVED, b"TP/1.0\r\n"),  # one request in two segments
            data(Direction.SENT, "你好".encode("gbk")),
        ]
    )
    dialog = open_follow(qtbot, pane)
    assert [s.data for s in dialog.model.segments] == [b"GET / HTTP/1.0\r\n", "你好".encode("gbk")]
    assert dialog.encoding.currentData() == "gbk"
    assert dialog.shown_text() == "GET / HTTP/1.0\r\n你好"
    dialog.view_as.setCurrentText("Raw")
    assert dialog.shown_text().split("\n") == [b"GET / HTTP/1.0\r\n".hex(), "你好".encode("gbk").hex()]
    dialog.view_as.setCurrentText("Hex dump")
    assert dialog.shown_text().startswith("00000000  47 45 54 20")
    dialog.view_as.setCurrentText("ASCII")

    dialog.find_text.setText("你好")
    dialog.find_next()
    assert dialog.text.currentIndex().row() == 1 and "segment 2" in dialog.found.text()
    dialog.find_text.setText("nowhere")
    dialog.find_next()
    assert dialog.found.text() == "not found"

    pane.add_events([data(Direction.SENT, b"!"), data(Direction.RECEIVED, b"bye")])
    qtbot.waitUntil(lambda: len(dialog.model.segments) == 3, timeout=3000)
    assert dialog.model.segments[1].data == "你好".encode("gbk") + b"!"

    close = dialog.findChild(QDialogButtonBox, "followButtons").button(QDialogButtonBox.StandardButton.Close)
    close.click()
    assert not dialog.isVisible()


def test_find_sees_a_match_across_the_cut_between_pieces_and_raw_keeps_a_segment_on_one_line(
    qtbot: QtBot,
) -> None:
    pane = LogPane("follow")
    qtbot.addWidget(pane)
    pane.show()
    cut = follow.PIECE_BYTES
    long = b"a" * (cut - 3) + b"NEEDLE" + b"b" * 100  # "NEE" ends the first piece, "DLE" starts the next
    pane.add_events([data(Direction.SENT, b"hello"), data(Direction.RECEIVED, long)])
    dialog = open_follow(qtbot, pane)
    assert [len(piece.data()) for piece in dialog.model.pieces] == [5, cut, 103]
    for view in ("ASCII", "Raw"):
        dialog.view_as.setCurrentText(view)
        dialog.text.setCurrentIndex(dialog.model.index(0))
        dialog.find_text.setText("needle" if view == "ASCII" else b"NEEDLE".hex())
        dialog.find_next()
        assert dialog.text.currentIndex().row() == 1 and dialog.found.text() == "segment 2 of 2"
    assert dialog.shown_text().split("\n") == [b"hello".hex(), long.hex()]
    dialog.view_as.setCurrentText("Hex dump")  # its lines stand alone: no match across them
    dialog.find_text.setText("45 44 4c")  # "EDL", split over two lines of the dump
    dialog.find_next()
    assert dialog.found.text() == "not found"


def test_a_long_conversation_comes_in_over_several_turns_and_all_of_it_shows(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(follow, "FOLLOW_CHUNK", 10)
    pane = LogPane("follow")
    qtbot.addWidget(pane)
    pane.show()
    payloads = [(Direction.SENT if i % 3 == 0 else Direction.RECEIVED, b"m%d;" % i) for i in range(35)]
    pane.add_events([data(direction, payload) for direction, payload in payloads])
    dialog = open_follow(qtbot, pane)
    assert not dialog.complete  # the first turn took ten payloads, the rest follow
    assert sum(len(s.parts) for s in dialog.model.segments) == 10
    qtbot.waitUntil(lambda: dialog.complete, timeout=3000)
    expected = [b"".join(p for _, p in group) for _, group in groupby(payloads, key=lambda dp: dp[0])]
    assert [s.data for s in dialog.model.segments] == expected
    assert dialog.summary.text().startswith(f"sent {sum(len(p) for d, p in payloads if d is Direction.SENT)}")


def test_what_the_store_drops_leaves_the_view_and_offsets_keep_counting(qtbot: QtBot) -> None:
    pane = LogPane("follow", store=LogStore(max_rows=4))
    qtbot.addWidget(pane)
    pane.show()
    big = bytes(range(256)) * 10  # 2,560 bytes: two pieces
    pane.add_events([data(Direction.SENT, b"hello"), data(Direction.RECEIVED, big)])
    dialog = open_follow(qtbot, pane)
    assert [len(s.data) for s in dialog.model.segments] == [5, 2560]
    assert len(dialog.model.pieces) == 3
    pane.add_events([data(Direction.RECEIVED, b"x" * 100) for _ in range(3)])  # "hello" leaves
    dialog.render()
    assert [s.data for s in dialog.model.segments] == [big + b"x" * 300]
    pane.add_events([data(Direction.SENT, b"bye")])  # the first 2,560 bytes of the segment leave
    dialog.render()
    assert [s.data for s in dialog.model.segments] == [b"x" * 300, b"bye"]
    dialog.view_as.setCurrentText("Hex dump")
    # The kept bytes of the long segment start at offset 2,560 of it (0xa00), as before the drop.
    assert dialog.model.text(0).startswith("00000a00  78 78")
    assert dialog.found.text() == "" and dialog.model.number(0) == 1


@settings(max_examples=400, deadline=None)
@example(steps=[[(False, 0), (False, 0), (False, 0), (False, 1), (False, 0)], 4])  # only b"" left
@example(steps=[[(True, 5), (False, 0)], 1])  # a segment of one empty payload is still kept
@given(
    st.lists(
        st.one_of(
            st.lists(st.tuples(st.booleans(), st.integers(0, 3000)), min_size=1, max_size=6),
            st.integers(1, 5),
        ),
        max_size=12,
    )
)
def test_the_pieces_always_cover_exactly_the_kept_payloads(steps: list[list[tuple[bool, int]] | int]) -> None:
    """Payloads added at the end and dropped from the front in any order: the segments are the runs
    of the kept payloads, and the pieces tile each one in PIECE_BYTES steps."""
    model = follow.SegmentModel()
    kept: list[Data] = []
    made = 0
    for step in steps:
        if isinstance(step, int):
            count = min(step, len(kept))
            model.drop_oldest(count)
            del kept[:count]
            continue
        batch = []
        for sent, size in step:
            made += 1
            batch.append(data(Direction.SENT if sent else Direction.RECEIVED, bytes([made % 256]) * size))
        model.add(batch)  # type: ignore[arg-type]
        kept.extend(batch)  # type: ignore[arg-type]
    runs = [b"".join(m.data for m in group) for _, group in groupby(kept, key=lambda m: m.direction)]
    assert [s.data for s in model.segments] == runs
    for segment in model.segments:
        pieces = [p for p in model.pieces if p.segment is segment]
        assert b"".join(p.data() for p in pieces) == segment.data
        assert pieces[0].start == segment.start and pieces[-1].end == segment.end
        assert all(a.end == b.start for a, b in pairwise(pieces))
        assert all(p.end - 1 < (p.start // follow.PIECE_BYTES + 1) * follow.PIECE_BYTES for p in pieces)
    assert len({id(p.segment) for p in model.pieces}) == len(model.segments)


def test_a_request_reply_conversation_costs_the_view_little_beyond_its_payloads() -> None:
    """Each payload of a ping-pong conversation is a segment of its own: the view keeps the store's
    bytes and adds a few small objects each, not a list per segment (issue 8: log_rows' peak RSS)."""
    messages = [data(Direction.SENT if i % 2 else Direction.RECEIVED, bytes(64)) for i in range(20_000)]
    model = follow.SegmentModel()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        model.add(messages)  # type: ignore[arg-type]
        per_payload = (tracemalloc.get_traced_memory()[0] - before) / len(messages)
    finally:
        tracemalloc.stop()
    assert len(model.segments) == 20_000
    assert per_payload < 200  # a segment, its piece, its number and the view's slots; a list was 88 more
