"""Drive the real TCP tab: a server, two clients from the tab, messages both ways, kick, stop."""

from __future__ import annotations

import socket

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QTreeWidget
from pytestqt.qtbot import QtBot

from netlab.core.events import Data, Direction, Error
from ui.common.logpane import TEXT_COLOURS, LogPane
from ui.main_window import MainWindow
from ui.tabs.tcp import ClientPanel, ServerPanel

from .conftest import WAIT_MS


def start_server(qtbot: QtBot, server: ServerPanel, mode_label: str = "Echo") -> int:
    server.port.setValue(0)
    server.mode.setCurrentIndex(server.mode.findText(mode_label))
    qtbot.mouseClick(server.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: server.state.text().startswith("Listening on"), timeout=WAIT_MS)
    return int(server.state.text().rsplit(":", 1)[1])


def open_clients(qtbot: QtBot, client: ClientPanel, port: int, count: int) -> None:
    client.port.setValue(port)
    for _ in range(count):
        qtbot.mouseClick(client.connect_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: states(client.connections) == ["open"] * count, timeout=WAIT_MS)


def states(tree: QTreeWidget) -> list[str]:
    return [tree.topLevelItem(i).text(3) for i in range(tree.topLevelItemCount())]


def payloads(pane: LogPane, direction: Direction) -> list[bytes]:
    return [
        r.event.data for r in pane.model.rows if isinstance(r.event, Data) and r.event.direction is direction
    ]


def test_server_two_clients_messages_kick_and_stop(qtbot: QtBot, window: MainWindow) -> None:
    server, client = window.tcp.server, window.tcp.client
    port = start_server(qtbot, server)
    open_clients(qtbot, client, port, 2)
    qtbot.waitUntil(lambda: server.clients.topLevelItemCount() == 2, timeout=WAIT_MS)

    client.connections.setCurrentItem(client.connections.topLevelItem(0))
    client.payload.text.setPlainText("hello from one")
    qtbot.mouseClick(client.send_button, Qt.MouseButton.LeftButton)
    client.connections.setCurrentItem(client.connections.topLevelItem(1))
    client.payload.kind.setCurrentIndex(client.payload.kind.findData("hex"))
    client.payload.text.setPlainText("0x74 77 6f")
    qtbot.mouseClick(client.send_button, Qt.MouseButton.LeftButton)

    qtbot.waitUntil(
        lambda: sorted(payloads(client.log, Direction.RECEIVED)) == [b"hello from one", b"two"],
        timeout=WAIT_MS,
    )
    assert sorted(payloads(client.log, Direction.SENT)) == [b"hello from one", b"two"]
    qtbot.waitUntil(lambda: len(payloads(server.log, Direction.SENT)) == 2, timeout=WAIT_MS)
    assert sorted(payloads(server.log, Direction.RECEIVED)) == [b"hello from one", b"two"]

    # Wireshark colours: sent red, received blue, system grey.
    model = client.log.model
    colour = {
        r.event.direction if isinstance(r.event, Data) else Direction.SYSTEM: model.data(
            model.index(i, 6), Qt.ItemDataRole.ForegroundRole
        )
        .color()
        .name()
        for i, r in enumerate(model.rows)
        if not isinstance(r.event, Error)
    }
    assert colour == TEXT_COLOURS

    # The server sends to one selected client, then kicks it.
    server.clients.setCurrentItem(server.clients.topLevelItem(0))
    server.payload.text.setPlainText("just for you")
    qtbot.mouseClick(server.send_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: b"just for you" in payloads(client.log, Direction.RECEIVED), timeout=WAIT_MS)
    qtbot.mouseClick(server.kick_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: client.connections.topLevelItemCount() == 1, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: server.clients.topLevelItemCount() == 1, timeout=WAIT_MS)

    with qtbot.waitSignal(server.runner.finished, timeout=WAIT_MS):  # type: ignore[union-attr]
        qtbot.mouseClick(server.stop_button, Qt.MouseButton.LeftButton)
    assert server.state.text() == "Stopped"
    assert server.start_button.isEnabled()
    qtbot.waitUntil(lambda: client.connections.topLevelItemCount() == 0, timeout=WAIT_MS)


def test_half_close_from_the_tab_gets_the_echo_back(qtbot: QtBot, window: MainWindow) -> None:
    server, client = window.tcp.server, window.tcp.client
    open_clients(qtbot, client, start_server(qtbot, server), 1)
    client.connections.setCurrentItem(client.connections.topLevelItem(0))
    client.trace.setChecked(True)
    client.payload.text.setPlainText("bye")
    qtbot.mouseClick(client.send_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(client.half_close_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: client.connections.topLevelItemCount() == 0, timeout=WAIT_MS)
    assert payloads(client.log, Direction.RECEIVED) == [b"bye"]
    calls = [r.event.call for r in client.log.model.rows if hasattr(r.event, "call")]
    assert "shutdown(SHUT_WR)" in calls


def test_periodic_send_from_the_tab(qtbot: QtBot, window: MainWindow) -> None:
    server, client = window.tcp.server, window.tcp.client
    open_clients(qtbot, client, start_server(qtbot, server), 1)
    client.connections.setCurrentItem(client.connections.topLevelItem(0))
    client.payload.text.setPlainText("tick")
    client.periodic_ms.setValue(10)
    client.periodic_count.setValue(5)
    qtbot.mouseClick(client.periodic_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: sum(len(p) for p in payloads(server.log, Direction.RECEIVED)) == 20, timeout=WAIT_MS
    )


def test_bad_form_input_is_flagged_at_the_field(qtbot: QtBot, window: MainWindow) -> None:
    server = window.tcp.server
    server.host.setCurrentText("not a host!")
    qtbot.mouseClick(server.start_button, Qt.MouseButton.LeftButton)
    assert server.runner is None
    assert server.form_error.isVisible()
    assert "neither an IP address nor a host name" in server.form_error.text()
    assert "border" in server.host.styleSheet()
    assert "type an address" in server.host.toolTip()
    server.host.setCurrentText("127.0.0.1")
    server.port.setValue(0)
    qtbot.mouseClick(server.start_button, Qt.MouseButton.LeftButton)
    assert not server.form_error.isVisible() and server.host.styleSheet() == ""
    qtbot.waitUntil(lambda: server.state.text().startswith("Listening"), timeout=WAIT_MS)


def test_bad_hex_is_flagged_and_nothing_is_sent(qtbot: QtBot, window: MainWindow) -> None:
    server, client = window.tcp.server, window.tcp.client
    open_clients(qtbot, client, start_server(qtbot, server), 1)
    client.connections.setCurrentItem(client.connections.topLevelItem(0))
    client.payload.kind.setCurrentIndex(client.payload.kind.findData("hex"))
    client.payload.text.setPlainText("41 4")
    assert "odd number of hex digits" in client.payload.error.text()
    qtbot.mouseClick(client.send_button, Qt.MouseButton.LeftButton)
    assert client.payload.text.toPlainText() == "41 4"  # what the user typed is kept
    # A good send after the bad one: once it is logged, anything the bad one sent would be too.
    client.payload.text.setPlainText("41 42")
    qtbot.mouseClick(client.send_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: payloads(client.log, Direction.SENT) != [], timeout=WAIT_MS)
    assert payloads(client.log, Direction.SENT) == [b"AB"]


def test_port_in_use_shows_plain_words_in_log_and_status_bar(qtbot: QtBot, window: MainWindow) -> None:
    server = window.tcp.server
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        server.port.setValue(port)
        server.reuse.setChecked(False)
        with qtbot.waitSignal(
            server.status, timeout=WAIT_MS, check_params_cb=lambda text: "already in use" in text
        ):
            qtbot.mouseClick(server.start_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: server.runner is None, timeout=WAIT_MS)
    errors = [r.event for r in server.log.model.rows if isinstance(r.event, Error)]
    assert errors[0].message == f"Port {port} is already in use by another program"
    assert "already in use" in window.statusBar().currentMessage()
    assert server.state.text().startswith("Not started")


def test_refused_connection_is_explained(qtbot: QtBot, window: MainWindow) -> None:
    client = window.tcp.client
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    client.port.setValue(port)
    with qtbot.waitSignal(client.status, timeout=WAIT_MS, check_params_cb=lambda text: "refused" in text):
        qtbot.mouseClick(client.connect_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: client.connections.topLevelItemCount() == 0, timeout=WAIT_MS)


def test_auto_reply_rules_from_the_tab(qtbot: QtBot, window: MainWindow) -> None:
    server, client = window.tcp.server, window.tcp.client
    port = start_server(qtbot, server, "Auto-reply rules")  # comes with a ping -> pong rule
    open_clients(qtbot, client, port, 1)
    client.connections.setCurrentItem(client.connections.topLevelItem(0))
    client.payload.text.setPlainText("ping")
    qtbot.mouseClick(client.send_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: payloads(client.log, Direction.RECEIVED) == [b"pong 1\r\n"], timeout=WAIT_MS)


def test_closing_the_window_stops_every_engine(qtbot: QtBot) -> None:
    from ui.common import bridge

    main = MainWindow()
    qtbot.addWidget(main)
    main.show()
    open_clients(qtbot, main.tcp.client, start_server(qtbot, main.tcp.server), 2)
    assert len(bridge.RUNNING) == 2
    main.close()
    assert not bridge.RUNNING


def test_settings_remember_hosts_and_ports(qtbot: QtBot) -> None:
    first = MainWindow()
    qtbot.addWidget(first)
    first.tcp.server.port.setValue(12345)
    first.tcp.client.host.setCurrentText("::1")
    first.tcp.client.port.setValue(23456)
    first.close()
    second = MainWindow()
    qtbot.addWidget(second)
    assert second.tcp.server.port.value() == 12345
    assert second.tcp.client.host.currentText() == "::1"
    assert second.tcp.client.port.value() == 23456
    second.close()
