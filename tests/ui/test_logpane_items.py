"""Log pane review items: a bounded peer list that Clear empties, a Data column that gets the room,
and a calls filter that cannot be mistaken for the panel's recording switch."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from netlab.core.events import Data, Direction, Opened
from ui.common.logpane import PEER_CHOICES, LogPane
from ui.main_window import MainWindow


def make_pane(qtbot: QtBot) -> LogPane:
    pane = LogPane("items")
    qtbot.addWidget(pane)
    pane.resize(1000, 400)
    pane.show()
    return pane


def peers(pane: LogPane) -> list[str]:
    return [pane.peer.itemData(i) for i in range(1, pane.peer.count())]


def test_the_peer_list_keeps_the_newest_and_clear_empties_it(qtbot: QtBot) -> None:
    pane = make_pane(qtbot)
    pane.add_events([Opened(conn=1, peer="127.0.0.1:1000", local="x")])
    pane.peer.setCurrentIndex(1)  # a chosen peer stays, however many come after it
    for port in range(1001, 1001 + 3 * PEER_CHOICES):
        pane.add_events([Data(conn=port, peer=f"127.0.0.1:{port}", direction=Direction.RECEIVED, data=b"x")])
    assert len(peers(pane)) <= PEER_CHOICES + 1
    assert "127.0.0.1:1000" in peers(pane) and f"127.0.0.1:{1000 + 3 * PEER_CHOICES}" in peers(pane)
    assert "127.0.0.1:1001" not in peers(pane)
    pane.clear()
    assert peers(pane) == [] and pane.peer.currentIndex() == 0
    pane.add_events([Data(conn=9, peer="127.0.0.1:9", direction=Direction.RECEIVED, data=b"y")])
    assert peers(pane) == ["127.0.0.1:9"]
    assert len(pane.model.rows) == 1  # the filter went back to all peers


def test_data_gets_the_free_width_and_time_is_compact(qtbot: QtBot) -> None:
    pane = make_pane(qtbot)
    pane.add_events([Data(conn=1, peer="x:1", direction=Direction.SENT, data=b"socket(AF_INET6)")])
    table = pane.table
    qtbot.waitUntil(lambda: table.columnWidth(6) > 0)
    others = sum(table.columnWidth(c) for c in range(6))
    assert table.columnWidth(6) >= table.viewport().width() - others - 2
    assert table.columnWidth(6) > table.viewport().width() * 0.45  # at 1000 px, nearly half
    time_cell = pane.model.data(pane.model.index(0, 1))
    assert len(time_cell) == len("08:47:31.123") and time_cell.count(":") == 2


def test_the_calls_filter_reads_unlike_the_recording_switch(qtbot: QtBot, window: MainWindow) -> None:
    recording = window.tcp.server.trace.text()  # the panel's switch: record socket calls or not
    pane = window.tcp.server.log
    assert pane.calls.text() != recording and "Show socket calls" not in pane.calls.text()
    assert "filter" in pane.calls.toolTip().lower() and recording in pane.calls.toolTip()
