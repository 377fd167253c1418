"""Painting the log: each visible cell crosses into Python once, with text made once per row, and
engine threads stand aside while the GUI paints (the GUI's turn)."""

from __future__ import annotations

import os
import sys
import threading
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QStyledItemDelegate, QStyleOptionViewItem
from pytestqt.qtbot import QtBot

import ui.common.bridge as bridge
import ui.common.logpane as logpane
from netlab.core.codec import preview
from netlab.core.engine import Engine
from netlab.core.events import Data, Direction, Info
from ui.common.bridge import EngineRunner
from ui.common.logpane import Brushes, LogModel, LogPane, mono_font

calls = {"data": 0, "multiData": 0, "summary": 0, "rowCount": 0}


class CountingModel(LogModel):
    def data(self, *args: Any) -> Any:
        calls["data"] += 1
        return super().data(*args)

    def rowCount(self, *args: Any) -> int:
        calls["rowCount"] += 1
        return super().rowCount(*args)

    def multiData(self, *args: Any) -> None:
        calls["multiData"] += 1
        super().multiData(*args)


def test_a_repaint_asks_each_cell_once_and_formats_each_row_once(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    pane = LogPane("paint")
    qtbot.addWidget(pane)
    pane.model = CountingModel(pane.store, pane)
    pane.table.setModel(pane.model)
    pane.resize(900, 500)
    pane.show()
    pane.add_events(
        [Data(conn=1, peer="x:1", direction=Direction.RECEIVED, data=bytes(range(256))) for _ in range(50)]
    )
    qtbot.waitExposed(pane)
    real_summary = logpane.summary

    def counting_summary(*args: Any, **kw: Any) -> str:
        calls["summary"] += 1
        return real_summary(*args, **kw)

    monkeypatch.setattr(logpane, "summary", counting_summary)
    calls.update(data=0, multiData=0, summary=0, rowCount=0)
    for _ in range(3):
        pane.table.viewport().grab()
    visible = pane.table.rowAt(pane.table.viewport().height() - 1) - pane.table.rowAt(0) + 1
    assert visible > 5
    assert calls["data"] == 0  # every role of a painted cell came through multiData
    assert calls["multiData"] >= visible * 7
    assert calls["rowCount"] < visible  # not asked again for every cell's index
    assert calls["summary"] <= visible  # made once per row, not once per repaint
    model = pane.model
    assert model.data(model.index(0, 6)) == preview(bytes(range(256)))


def test_preview_escapes_every_control_character() -> None:
    assert preview(b"a\r\n\t\x00\x01\x1f\x7f\xff") == "a\\r\\n\\t\\0\\x01\\x1f\\x7f\\xff"


def test_a_filter_over_many_rows_goes_in_chunks_and_misses_nothing(qtbot: QtBot) -> None:
    pane = LogPane("chunks")
    qtbot.addWidget(pane)
    total = 3 * logpane.REBUILD_CHUNK
    pane.add_events(
        [
            Data(
                conn=1,
                peer="x:1",
                direction=Direction.SENT,
                data=b"needle %d" % i if i % 100 == 0 else b"hay",
            )
            for i in range(total)
        ]
    )
    with qtbot.waitSignal(pane.model.rebuilt, timeout=10_000):
        pane.filter_text.setText("needle")
        pane._apply_filter()
        assert pane.model.scanning  # the first turn did one chunk and gave the event loop back
        assert len(pane.model.rows) <= logpane.REBUILD_CHUNK // 100
        pane.add_events([Data(conn=1, peer="x:1", direction=Direction.SENT, data=b"needle late")])
    shown = [r.event.data for r in pane.model.rows]  # type: ignore[attr-defined]
    assert shown == [b"needle %d" % i for i in range(0, total, 100)] + [b"needle late"]
    assert "shown" in pane.status.text() and f"{len(shown):,} shown" in pane.status.text()


def _turn_is_held() -> bool:
    return bridge._GUI_TURN._is_owned()  # type: ignore[attr-defined]


def test_the_log_paints_and_takes_batches_in_the_gui_turn(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each painted cell enters Python; in the GUI's turn no engine thread takes the GIL between them."""
    pane = LogPane("turn")
    qtbot.addWidget(pane)
    pane.resize(900, 400)
    pane.show()
    qtbot.waitExposed(pane)
    held: list[bool] = []
    real_multi_data = LogModel.multiData

    def recording(self: LogModel, *args: Any) -> None:
        held.append(_turn_is_held())
        real_multi_data(self, *args)

    monkeypatch.setattr(LogModel, "multiData", recording)
    runner = EngineRunner(lambda sink: Engine(sink))
    runner.events_arrived.connect(lambda _events: held.append(_turn_is_held()))
    runner._sink(Data(conn=1, peer="x:1", direction=Direction.RECEIVED, data=b"row"))
    runner._deliver()
    pane.add_events([Data(conn=1, peer="x:1", direction=Direction.RECEIVED, data=b"row")] * 20)
    pane.table.viewport().grab()
    assert len(held) > 20 and all(held)
    assert not _turn_is_held()


def test_an_engine_waits_for_the_gui_turn_to_end_and_no_longer(qtbot: QtBot) -> None:
    runner = EngineRunner(lambda sink: Engine(sink))
    event = Data(conn=1, peer="x:1", direction=Direction.RECEIVED, data=b"x")
    engine_thread = threading.Thread(target=runner._sink, args=(event,))
    with bridge.gui_turn():
        engine_thread.start()
        engine_thread.join(bridge.TURN_WAIT_S / 2)
        assert not runner._pending  # the engine's event waits while the GUI has its turn
    engine_thread.join(5)
    assert list(runner._pending) == [event]
    # A turn that never ends (a modal dialog opened in a slot, say) holds an engine up no longer
    # than TURN_WAIT_S: the other thread still gets its event through.
    late = threading.Thread(target=runner._sink, args=(event,))
    with bridge.gui_turn():
        late.start()
        late.join(5)
        assert not late.is_alive() and len(runner._pending) == 2


def test_each_cell_is_drawn_with_its_rows_colours_and_its_columns_font_and_alignment(qtbot: QtBot) -> None:
    """What the view's delegate takes from multiData for every cell: the row's direction colours,
    the payload in a fixed-width font, No. and Bytes aligned right (and the same through data())."""
    pane = LogPane("look")
    qtbot.addWidget(pane)
    pane.add_events(
        [
            Data(conn=1, peer="x:1", direction=Direction.SENT, data=b"hello"),
            Info(text="listening", conn=1),
            Data(conn=1, peer="x:1", direction=Direction.RECEIVED, data=b"ok"),
        ]
    )
    model, delegate, brushes = pane.model, QStyledItemDelegate(), Brushes()
    mono = mono_font().family()
    rows = [(Direction.SENT, True), (Direction.SYSTEM, False), (Direction.RECEIVED, True)]
    for row, (direction, payload) in enumerate(rows):
        for column in range(model.columnCount()):
            index = model.index(row, column)
            option = QStyleOptionViewItem()
            option.displayAlignment = Qt.AlignmentFlag.AlignLeft  # as the view starts each cell
            delegate.initStyleOption(option, index)  # asks multiData for every role at once
            assert option.backgroundBrush.color() == brushes.back[direction].color()
            assert option.palette.text().color() == brushes.text[direction].color()
            assert (option.font.family() == mono) is (payload and column == 6)
            assert bool(option.displayAlignment & Qt.AlignmentFlag.AlignRight) is (column in (0, 5))
            assert option.text == model.data(index)
            foreground = model.data(index, Qt.ItemDataRole.ForegroundRole)
            assert foreground.color() == brushes.text[direction].color()
    assert model.index(0, 2).data() == "+0.000000"  # the first row's delta


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="thread nice values are Linux's")
def test_an_engine_thread_runs_below_the_window(qtbot: QtBot) -> None:
    """During a flood the window's thread must get a core before the engine and the peer do."""
    seen: list[int] = []

    class Probe(Engine):
        def setup(self) -> bool:
            seen.append(os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))
            self.loop.call_soon(self.stop)
            return True

    runner = EngineRunner(lambda sink: Probe(sink))
    with qtbot.waitSignal(runner.finished, timeout=10_000):
        runner.start()
    window = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    assert seen == [min(19, window + bridge.ENGINE_NICE)]
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == window  # the window's own is kept
