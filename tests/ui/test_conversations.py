"""Conversation identity in the log: a new Start never reuses a number, and both ends share one."""

from __future__ import annotations

import socket

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from netlab.core.conversations import key_of
from netlab.core.events import Data, Direction
from ui.common.follow import FollowStreamDialog
from ui.common.logpane import LogPane
from ui.main_window import MainWindow
from ui.tabs.tcp import ServerPanel

from .conftest import WAIT_MS
from .test_tcp_tab import open_clients, payloads, start_server


def send_and_close(qtbot: QtBot, pane: LogPane, port: int, data: bytes) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=WAIT_MS / 1000) as sock:
        sock.sendall(data)
        qtbot.waitUntil(lambda: data in payloads(pane, Direction.RECEIVED), timeout=WAIT_MS)


def restart(qtbot: QtBot, server: ServerPanel) -> int:
    with qtbot.waitSignal(server.runner.finished, timeout=WAIT_MS):  # type: ignore[union-attr]
        qtbot.mouseClick(server.stop_button, Qt.MouseButton.LeftButton)
    return start_server(qtbot, server)


def followed(pane: LogPane, data: bytes) -> FollowStreamDialog:
    row = next(i for i, r in enumerate(pane.model.rows) if isinstance(r.event, Data) and r.event.data == data)
    pane.table.selectRow(row)
    pane.follow_selected()
    dialogs = [
        w for w in QApplication.topLevelWidgets() if isinstance(w, FollowStreamDialog) and w.isVisible()
    ]
    assert len(dialogs) == 1
    return dialogs[0]


def test_follow_stream_after_a_restart_shows_only_that_connection(qtbot: QtBot, window: MainWindow) -> None:
    server = window.tcp.server
    send_and_close(qtbot, server.log, start_server(qtbot, server), b"first")
    send_and_close(qtbot, server.log, restart(qtbot, server), b"second")
    dialog = followed(server.log, b"second")
    try:
        text = dialog.shown_text()
        assert "second" in text and "first" not in text
    finally:
        dialog.close()
    keys = {key_of(r.event) for r in server.log.model.rows if isinstance(r.event, Data)}
    assert len(keys) == 2  # one per connection, though each was the first of its Start


def test_both_panes_name_one_connection_alike(qtbot: QtBot, window: MainWindow) -> None:
    server, client = window.tcp.server, window.tcp.client
    open_clients(qtbot, client, start_server(qtbot, server), 1)
    client.connections.setCurrentItem(client.connections.topLevelItem(0))
    client.payload.text.setPlainText("both sides")
    qtbot.mouseClick(client.send_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: b"both sides" in payloads(client.log, Direction.RECEIVED), timeout=WAIT_MS)

    def names(pane: LogPane) -> set[str]:
        model = pane.model
        return {model.data(model.index(i, 4)) for i, r in enumerate(model.rows) if isinstance(r.event, Data)}

    keys = {key_of(r.event) for pane in (server.log, client.log) for r in pane.model.rows if r.event.conn}
    assert len(keys) == 1
    (key,) = keys
    assert {name.split()[0] for name in names(server.log) | names(client.log)} == {key}
