"""The log pane on its own: filters, pause, detail pane, follow stream, copy, save, stream to file, bounds."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QToolButton
from pytestqt.qtbot import QtBot

from netlab.core.events import Data, Direction, Error, Event, Info, Opened
from netlab.core.logstore import LogStore
from ui.common.follow import FollowStreamDialog
from ui.common.logpane import LogPane


def conversation_events() -> list[Event]:
    return [
        Opened(source="server", conn=1, peer="127.0.0.1:5001", local="127.0.0.1:9000"),
        Data(
            source="server",
            conn=1,
            peer="127.0.0.1:5001",
            direction=Direction.RECEIVED,
            data=b"GET / HTTP/1.0\r\n\r\n",
        ),
        Data(
            source="server",
            conn=1,
            peer="127.0.0.1:5001",
            direction=Direction.SENT,
            data=b"HTTP/1.0 200 OK\r\n",
        ),
        Opened(source="server", conn=2, peer="127.0.0.1:5002", local="127.0.0.1:9000"),
        Data(
            source="server",
            conn=2,
            peer="127.0.0.1:5002",
            direction=Direction.RECEIVED,
            data="你好".encode("gbk") + b"\xff",
        ),
        Error(source="server", conn=2, peer="127.0.0.1:5002", message="boom", hint="do this"),
    ]


def make_pane(qtbot: QtBot, store: LogStore | None = None) -> LogPane:
    pane = LogPane("test", store=store)
    qtbot.addWidget(pane)
    pane.show()
    return pane


def shown_data(pane: LogPane) -> list[bytes]:
    return [r.event.data for r in pane.model.rows if isinstance(r.event, Data)]


def test_filters_by_text_peer_and_direction(qtbot: QtBot) -> None:
    pane = make_pane(qtbot)
    pane.add_events(conversation_events())
    assert pane.model.rowCount() == 6
    pane.filter_text.setText("http/1.0 200")
    qtbot.waitUntil(lambda: shown_data(pane) == [b"HTTP/1.0 200 OK\r\n"], timeout=2000)
    pane.filter_text.clear()
    pane.peer.setCurrentIndex(pane.peer.findData("127.0.0.1:5002"))
    qtbot.waitUntil(lambda: pane.model.rowCount() == 3, timeout=2000)
    pane.peer.setCurrentIndex(0)
    pane.direction.setCurrentIndex(pane.direction.findText("Sent"))
    assert shown_data(pane) == [b"HTTP/1.0 200 OK\r\n"]
    pane.add_events([Data(conn=1, peer="x:1", direction=Direction.SENT, data=b"later")])
    assert shown_data(pane) == [b"HTTP/1.0 200 OK\r\n", b"later"]  # new rows obey the filter too


def test_pause_freezes_the_view_and_loses_nothing(qtbot: QtBot) -> None:
    pane = make_pane(qtbot)
    pane.add_events(conversation_events()[:2])
    pane.pause.click()
    pane.add_events(conversation_events()[2:])
    assert pane.model.rowCount() == 2 and "paused" in pane.status.text()
    pane.pause.click()
    assert pane.model.rowCount() == 6


def test_detail_pane_shows_hexdump_and_marks_undecodable_bytes(qtbot: QtBot) -> None:
    pane = make_pane(qtbot)
    pane.add_events(conversation_events())
    pane.table.selectRow(4)
    assert pane.hex_view.toPlainText().startswith("00000000  c4 e3 ba c3 ff")
    assert "\\xff" in pane.text_view.toPlainText()  # UTF-8 cannot read GBK: marked, not a crash
    pane.encoding.setCurrentIndex(pane.encoding.findText("GBK"))
    assert pane.text_view.toPlainText().startswith("你好")
    assert "你好" in pane.model.data(pane.model.index(4, 6))
    pane.table.selectRow(5)
    assert "boom" in pane.text_view.toPlainText()


def test_a_new_encoding_redraws_the_row_just_drawn(qtbot: QtBot) -> None:
    """A row's look is kept while Qt draws its cells; choosing another encoding must not reuse it."""
    pane = make_pane(qtbot)
    pane.add_events([Data(conn=1, peer="x:1", direction=Direction.RECEIVED, data="你好".encode("gbk"))])
    cell = pane.model.index(0, 6)
    assert pane.model.data(cell) == "\\xc4\\xe3\\xba\\xc3"  # not UTF-8: each byte as an escape
    pane.encoding.setCurrentIndex(pane.encoding.findText("GBK"))
    assert pane.model.data(cell) == "你好"


def test_the_filter_offers_a_clear_button_once_it_has_text(qtbot: QtBot) -> None:
    pane = make_pane(qtbot)
    pane.add_events(conversation_events())
    qtbot.keyClicks(pane.filter_text, "boom")
    qtbot.waitUntil(lambda: pane.model.rowCount() == 1, timeout=2000)
    clear = pane.filter_text.findChild(QToolButton)
    assert clear is not None and clear.isVisible()
    qtbot.mouseClick(clear, Qt.MouseButton.LeftButton)
    assert pane.filter_text.text() == ""
    qtbot.waitUntil(lambda: pane.model.rowCount() == 6, timeout=2000)


def test_errors_reach_the_status_signal(qtbot: QtBot) -> None:
    pane = make_pane(qtbot)
    with qtbot.waitSignal(pane.problem, timeout=1000) as blocker:
        pane.add_events(conversation_events())
    assert blocker.args == ["boom: do this"]


def test_follow_stream_shows_one_conversation_in_red_and_blue(qtbot: QtBot) -> None:
    pane = make_pane(qtbot)
    pane.add_events(conversation_events())
    dialog = FollowStreamDialog(pane.store, "server #1", "server #1")
    qtbot.addWidget(dialog)
    text = dialog.shown_text()
    assert "GET / HTTP/1.0" in text and "200 OK" in text and "你好" not in text
    model = dialog.model
    colours = {model.data(model.index(i), Qt.ItemDataRole.ForegroundRole).color().name() for i in range(2)}
    assert colours == {"#9b1c1c", "#1a3a9b"}
    assert "sent 17 bytes" in dialog.summary.text() and "received 18 bytes" in dialog.summary.text()
    pane.table.selectRow(1)
    pane.follow_selected()
    opened = [
        w for w in QApplication.topLevelWidgets() if isinstance(w, FollowStreamDialog) and w.isVisible()
    ]
    assert opened
    for window in opened:
        window.close()


def test_copy_save_and_stream(qtbot: QtBot, tmp_path: Path) -> None:
    pane = make_pane(qtbot)
    pane.stream_to(str(tmp_path / "stream.jsonl"))
    pane.add_events(conversation_events())
    pane.table.selectRow(1)
    pane.copy_selection()
    assert "GET / HTTP/1.0" in QGuiApplication.clipboard().text()
    assert pane.save_to(str(tmp_path / "log.csv"), "CSV (*.csv)") == 6
    assert pane.save_to(str(tmp_path / "log.jsonl"), "JSON Lines (*.jsonl)") == 6
    assert pane.save_to(str(tmp_path / "log.txt"), "Text (*.txt)") == 6
    rows = list(csv.reader((tmp_path / "log.csv").open(encoding="utf-8", newline="")))
    assert rows[2][3] == "received" and rows[2][6] == "GET / HTTP/1.0\r\n\r\n"
    pane.add_events([Info(text="after")])
    pane.stop_streaming()
    streamed = [
        json.loads(line) for line in (tmp_path / "stream.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    assert len(streamed) == 7 and streamed[-1]["text"] == "after"


def test_the_bound_drops_the_oldest_and_says_so(qtbot: QtBot) -> None:
    pane = make_pane(qtbot, LogStore(max_rows=1000))
    for start in range(0, 5000, 500):
        pane.add_events([Info(text=str(i)) for i in range(start, start + 500)])
    assert pane.model.rowCount() == 1000
    assert pane.model.rows[0].event.text == "4000"  # type: ignore[attr-defined]
    qtbot.waitUntil(lambda: "4,000 dropped" in pane.status.text())  # counts redrawn within STATUS_MS
    assert pane.model.data(pane.model.index(0, 0)) == "4001"


def test_clear_empties_the_log(qtbot: QtBot) -> None:
    pane = make_pane(qtbot)
    pane.add_events(conversation_events())
    pane.clear_button.click()
    assert pane.model.rowCount() == 0 and len(pane.store) == 0


def test_http_requests_show_their_bytes_and_failures_stand_out(qtbot: QtBot) -> None:
    from netlab.core.events import HttpExchange
    from ui.common.logpane import ERROR_COLOUR

    pane = make_pane(qtbot)
    ok = HttpExchange(
        conn=1, peer="127.0.0.1:5", method="GET", target="/a", status=200, bytes_sent=321, duration=0.001
    )
    missing = HttpExchange(
        conn=1, peer="127.0.0.1:5", method="GET", target="/b", status=404, bytes_sent=99, duration=0.001
    )
    pane.add_events([ok, missing])
    model = pane.model
    assert [model.data(model.index(row, 5)) for row in (0, 1)] == ["321", "99"]
    assert model.data(model.index(0, 3)) == "request"
    colour = model.data(model.index(1, 6), Qt.ItemDataRole.ForegroundRole).color().name()
    assert colour == ERROR_COLOUR
    assert model.data(model.index(0, 6), Qt.ItemDataRole.ForegroundRole).color().name() != ERROR_COLOUR


def test_a_burst_of_batches_redraws_the_counts_at_once_then_at_most_every_status_ms(qtbot: QtBot) -> None:
    pane = make_pane(qtbot)
    redraws: list[str] = []
    original = pane.status.setText
    pane.status.setText = lambda text: (redraws.append(text), original(text))  # type: ignore[method-assign]
    for start in range(0, 1000, 100):
        pane.add_events([Info(text=str(i)) for i in range(start, start + 100)])
    assert redraws == ["100 shown · 100 kept"]  # the first batch at once, the next nine wait
    qtbot.waitUntil(lambda: pane.status.text() == "1,000 shown · 1,000 kept")
    assert len(redraws) == 2  # one more redraw, with the counts of the last batch


def test_the_counts_never_widen_the_window(qtbot: QtBot) -> None:
    """A label asking for room for all its text would re-lay out the window as the counts grow."""
    pane = make_pane(qtbot, LogStore(max_rows=10))
    narrow = pane.status.minimumSizeHint().width()
    for start in range(0, 100_000, 5000):
        pane.add_events([Info(text=str(i)) for i in range(start, start + 5000)])
    qtbot.waitUntil(lambda: "dropped" in pane.status.text())
    assert pane.status.minimumSizeHint().width() == narrow
