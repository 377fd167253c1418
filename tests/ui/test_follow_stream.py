"""Follow stream as in Wireshark: joined segments, ASCII / hex dump / raw, the pane's encoding, Find,
Close, and live updates while the conversation goes on."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication, QDialogButtonBox
from pytestqt.qtbot import QtBot

from netlab.core.events import Data, Direction, Event
from ui.common.logpane import FollowStreamDialog, LogPane


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
