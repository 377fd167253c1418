"""What a new user found wrong in the TCP tab and the window, each checked the way they met it."""

from __future__ import annotations

import socket
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st
from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QScrollArea
from pytestqt.qtbot import QtBot

from netlab.core.autoreply import MatchKind
from netlab.core.config import port_problems
from netlab.core.counters import Counters
from netlab.core.events import Direction
from ui.common.widgets import CountersBar
from ui.main_window import MainWindow
from ui.tabs.tcp import banner_as_typed, banner_from_typed

from .conftest import WAIT_MS
from .test_file_tab import start as start_file_server
from .test_tcp_tab import open_clients, payloads, start_server


def test_counters_after_a_restart_show_no_negative_rate(qtbot: QtBot) -> None:
    bar = CountersBar("bar")
    qtbot.addWidget(bar)
    bar.show_counters(Counters(bytes_in=5000, messages_in=3, bytes_out=9000))
    bar.show_counters(Counters(bytes_in=6000, bytes_out=0))  # counters went down: a new engine
    assert "-" not in bar.text()
    assert bar.text().count("(0 B/s)") == 2, bar.text()
    bar.show_counters(Counters(bytes_in=5000, bytes_out=9000))
    bar.reset()  # Stop, then Start: the new engine counts from zero
    bar.show_counters(Counters())
    assert bar.text().count("(0 B/s)") == 2, bar.text()


def test_restarting_the_server_starts_its_rates_from_zero(qtbot: QtBot, window: MainWindow) -> None:
    server, client = window.tcp.server, window.tcp.client
    port = start_server(qtbot, server)
    open_clients(qtbot, client, port, 1)
    client.connections.setCurrentItem(client.connections.topLevelItem(0))
    client.payload.text.setPlainText("x" * 4000)
    qtbot.mouseClick(client.send_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: server.runner is not None and server.runner.engine.counters().bytes_in == 4000)
    server._refresh_counters()
    qtbot.mouseClick(server.stop_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: server.runner is None, timeout=WAIT_MS)
    start_server(qtbot, server)
    server._refresh_counters()
    assert "-" not in server.counters.text()


def test_a_periodic_send_that_ends_flips_its_button_back(qtbot: QtBot, window: MainWindow) -> None:
    server, client = window.tcp.server, window.tcp.client
    open_clients(qtbot, client, start_server(qtbot, server), 1)
    client.connections.setCurrentItem(client.connections.topLevelItem(0))
    client.payload.text.setPlainText("tick")
    client.periodic_ms.setValue(20)
    client.periodic_count.setValue(3)
    qtbot.mouseClick(client.periodic_button, Qt.MouseButton.LeftButton)
    assert client.periodic_button.text() == "Stop periodic"
    qtbot.waitUntil(lambda: not client.periodic_button.isChecked(), timeout=WAIT_MS)
    assert client.periodic_button.text() == "Start periodic"
    assert payloads(client.log, Direction.SENT) == [b"tick"] * 3


def test_an_out_of_range_port_is_refused_with_the_cli_words(qtbot: QtBot, window: MainWindow) -> None:
    server = window.tcp.server
    server.port.clear()
    qtbot.keyClicks(server.port, "70000")
    assert server.port.text() == "70000"  # never quietly 7000
    assert server.port.value() == 70000
    cli_words = str(port_problems(70000)[0])
    assert server.port.toolTip() == cli_words
    qtbot.mouseClick(server.start_button, Qt.MouseButton.LeftButton)
    assert server.runner is None
    assert cli_words in server.form_error.text()
    assert window.statusBar().currentMessage() == cli_words
    client = window.tcp.client
    client.port.setValue(0)  # a client cannot connect to port 0
    assert client.port.toolTip() == str(port_problems(0, allow_zero=False)[0])


def test_a_new_field_error_replaces_the_old_state_line(qtbot: QtBot, window: MainWindow) -> None:
    server = window.tcp.server
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        server.port.setValue(taken.getsockname()[1])
        server.reuse.setChecked(False)
        qtbot.mouseClick(server.start_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(
            lambda: server.runner is None and "already in use" in server.state.text(), timeout=WAIT_MS
        )
    server.host.setCurrentText("not a host!")
    qtbot.mouseClick(server.start_button, Qt.MouseButton.LeftButton)
    assert "already in use" not in server.state.text()
    assert server.state.text().startswith("Not started")


def test_the_window_opens_inside_the_screen(qtbot: QtBot, window: MainWindow) -> None:
    screen = window.screen().availableGeometry()  # offscreen: 800x800
    assert window.height() <= screen.height()
    # As wide as the screen allows, never under what the forms need (and that fits 1366 px).
    assert window.width() == max(min(1440, screen.width()), window.minimumSizeHint().width())
    assert window.minimumSizeHint().width() <= 1366 and window.minimumSizeHint().height() <= 700


def test_field_errors_never_grow_the_window(qtbot: QtBot, window: MainWindow) -> None:
    server = window.tcp.server
    before = window.size()
    server.mode.setCurrentIndex(server.mode.findData("rules"))
    server.add_rule(MatchKind.REGEX, "(unclosed" * 20, "x")  # a long error under the table
    qtbot.mouseClick(server.start_button, Qt.MouseButton.LeftButton)
    assert server.form_error.isVisible()
    qtbot.waitUntil(lambda: window.minimumSizeHint().height() <= before.height(), timeout=WAIT_MS)
    assert window.size() == before
    assert window.minimumSizeHint().width() <= before.width()


def test_client_lists_show_the_whole_port(qtbot: QtBot, window: MainWindow) -> None:
    server, client = window.tcp.server, window.tcp.client
    open_clients(qtbot, client, start_server(qtbot, server), 1)
    qtbot.waitUntil(lambda: server.clients.topLevelItemCount() == 1, timeout=WAIT_MS)
    # A long IPv6 peer and a large byte count, as a dual-stack server shows them.
    server.clients.topLevelItem(0).setText(1, "[::ffff:192.168.100.200]:54321")
    server.clients.topLevelItem(0).setText(3, "1023.9 MB")
    client.connections.topLevelItem(0).setText(2, "[fe80::1234:5678:9abc:def0]:54321")
    window.resize(window.minimumSizeHint())  # the narrowest the window goes
    qtbot.waitUntil(lambda: window.size() == window.minimumSizeHint())
    for tree in (server.clients, client.connections):
        item, header = tree.topLevelItem(0), tree.headerItem()
        for column in range(tree.columnCount()):
            for text in (item.text(column), header.text(column)):
                needed = QFontMetrics(tree.font()).horizontalAdvance(text)
                assert tree.columnWidth(column) >= needed, f"{text!r} is cut off in {tree.objectName()}"


def test_the_log_gets_the_room_at_1366x768(qtbot: QtBot, window: MainWindow) -> None:
    window.resize(1366, 728)
    qtbot.waitUntil(lambda: window.height() == 728)
    for panel in (window.tcp.server, window.tcp.client):
        rows_visible = (
            panel.log.table.viewport().height() // panel.log.table.verticalHeader().defaultSectionSize()
        )
        assert rows_visible >= 6, f"{panel.objectName()}: only {rows_visible} log rows"


def test_kick_needs_a_client_and_the_real_port_is_offered(qtbot: QtBot, window: MainWindow) -> None:
    server, client = window.tcp.server, window.tcp.client
    client.port.setValue(9000)
    port = start_server(qtbot, server)  # asked for port 0
    assert not server.kick_button.isEnabled() and not server.kick_all_button.isEnabled()
    assert client.port.value() == port  # offered: Connect reaches our own server
    qtbot.mouseClick(client.connect_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: server.clients.topLevelItemCount() == 1, timeout=WAIT_MS)
    assert server.kick_all_button.isEnabled() and not server.kick_button.isEnabled()
    server.clients.setCurrentItem(server.clients.topLevelItem(0))
    assert server.kick_button.isEnabled()
    qtbot.mouseClick(server.kick_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: server.clients.topLevelItemCount() == 0, timeout=WAIT_MS)
    assert not server.kick_button.isEnabled() and not server.kick_all_button.isEnabled()


def test_hex_mode_converts_the_text_already_typed(qtbot: QtBot, window: MainWindow) -> None:
    payload = window.tcp.client.payload
    payload.text.setPlainText("Hi\\r\\n")
    payload.escapes.setChecked(True)
    payload.kind.setCurrentIndex(payload.kind.findData("hex"))
    assert payload.text.toPlainText() == "48 69 0d 0a"
    payload.text.setPlainText("e4 b8 ad 41")
    payload.kind.setCurrentIndex(payload.kind.findData("text"))
    assert payload.text.toPlainText() == "中A"
    assert not payload.escapes.isChecked()
    assert payload.payload().to_bytes() == b"\xe4\xb8\xadA"


def test_hex_mode_keeps_the_variables_typed(qtbot: QtBot, window: MainWindow) -> None:
    payload = window.tcp.client.payload
    assert payload.variables.isChecked()
    payload.text.setPlainText("id {counter:2} at {time}")
    payload.kind.setCurrentIndex(payload.kind.findData("hex"))
    assert payload.text.toPlainText() == "69 64 20 {counter:2} 20 61 74 20 {time}"
    payload.kind.setCurrentIndex(payload.kind.findData("text"))
    assert payload.text.toPlainText() == "id {counter:2} at {time}"
    payload.variables.setChecked(False)  # without variables, braces are just text: their bytes
    payload.kind.setCurrentIndex(payload.kind.findData("hex"))
    assert payload.text.toPlainText().startswith("69 64 20 7b 63 6f 75 6e")


def test_the_qr_panel_never_widens_the_window(qtbot: QtBot, window: MainWindow, tmp_path: Path) -> None:
    window.open_tab("files")
    window.resize(1366, 728)
    qtbot.waitUntil(lambda: window.size() == QSize(1366, 728))
    window.files.lan.setChecked(True)
    start_file_server(qtbot, window, tmp_path)
    qtbot.waitUntil(lambda: not window.files.qr.pixmap().isNull(), timeout=WAIT_MS)
    assert window.size() == QSize(1366, 728)
    assert window.minimumSizeHint().width() <= 1366


def test_a_tab_not_yet_opened_keeps_its_lab_state_and_gets_it_when_opened(qtbot: QtBot) -> None:
    from netlab.udp.config import UdpReceiverConfig, UdpTabState

    main = MainWindow()
    qtbot.addWidget(main)
    assert not main.udp_slot.is_built and not main.files_slot.is_built
    state = UdpTabState(receiver=UdpReceiverConfig(port=4321))
    main.udp_slot.load_lab_state(state)
    assert main.udp_slot.lab_state() == state and not main.udp_slot.is_built  # handed back unchanged
    assert main.runners() == []
    main.open_tab("udp")
    assert main.udp_slot.is_built and main.udp.receiver_panel.port.value() == 4321
    assert main.udp_slot.lab_state().receiver.port == 4321


def test_settings_fold_away_while_running_so_send_stays_in_sight(qtbot: QtBot, window: MainWindow) -> None:
    window.resize(1366, 728)
    qtbot.waitUntil(lambda: window.size() == QSize(1366, 728))
    server, client = window.tcp.server, window.tcp.client
    open_clients(qtbot, client, start_server(qtbot, server), 1)
    assert not server.settings.isVisible() and not client.settings.isVisible()
    for button in (server.send_button, client.send_button, server.kick_all_button, client.close_button):
        qtbot.waitUntil(lambda b=button: not b.visibleRegion().isEmpty())  # not scrolled out of sight
    qtbot.mouseClick(server.stop_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: server.runner is None, timeout=WAIT_MS)
    assert server.settings.isVisible() and server.port.isEnabled()  # stopped: settings back, usable
    qtbot.mouseClick(client.fold, Qt.MouseButton.LeftButton)
    assert client.settings.isVisible()
    qtbot.mouseClick(client.fold, Qt.MouseButton.LeftButton)
    client.port.setValue(70000)
    qtbot.mouseClick(client.connect_button, Qt.MouseButton.LeftButton)
    assert client.settings.isVisible() and client.port.visibleRegion().isEmpty() is False  # the marked field


def test_big_counters_never_widen_the_window(qtbot: QtBot, window: MainWindow) -> None:
    window.resize(1366, 728)
    qtbot.waitUntil(lambda: window.size() == QSize(1366, 728))
    widest = window.minimumSizeHint().width()
    busy = Counters(12_345, 10**9, 10**9, 10**12, 10**12, 10**11)  # a long flood with slow peers
    for bar in (window.tcp.server.counters, window.tcp.client.counters):
        bar.show_counters(busy)
        assert "Dropped for slow peers" in bar.text()
    window.tcp.server.state.setText("Not started: " + "a long reason " * 20)
    assert window.minimumSizeHint().width() <= widest
    assert window.size() == QSize(1366, 728)
    for panel in (window.tcp.server, window.tcp.client):  # nor push the form sideways in its panel
        scroll = panel.splitter.widget(0)
        assert isinstance(scroll, QScrollArea)
        assert scroll.widget().minimumSizeHint().width() <= scroll.viewport().width()
    assert window.tcp.server.counters.toolTip() == window.tcp.server.counters.text()  # all of it


def test_a_long_field_error_wraps_and_keeps_the_fields_in_sight(qtbot: QtBot, window: MainWindow) -> None:
    window.resize(1366, 728)
    qtbot.waitUntil(lambda: window.size() == QSize(1366, 728))
    server = window.tcp.server
    server.mode.setCurrentIndex(server.mode.findData("rules"))
    server.add_rule(MatchKind.REGEX, "(unclosed" * 20, "x")  # one long word: no space to wrap at
    qtbot.mouseClick(server.start_button, Qt.MouseButton.LeftButton)
    assert "(unclosed" * 20 in server.form_error.text().replace("\u200b", "")  # all of it, to copy
    scroll = server.splitter.widget(0)
    assert isinstance(scroll, QScrollArea)
    needed = scroll.widget().minimumSizeHint().width()
    assert needed <= scroll.viewport().width(), "the form scrolls sideways: fields are off to the right"
    for widget in (server.form_error, server.port, server.start_button):
        qtbot.waitUntil(lambda w=widget: not w.visibleRegion().isEmpty())


def test_settings_are_read_only_while_the_server_runs(qtbot: QtBot, window: MainWindow) -> None:
    server = window.tcp.server
    server.mode.setCurrentIndex(server.mode.findData("rules"))
    start_server(qtbot, server, "Auto-reply rules")
    qtbot.mouseClick(server.fold, Qt.MouseButton.LeftButton)  # look at them anyway
    assert server.settings.isVisible()
    changeable = (server.port, server.host, server.mode, server.tls, server.rules_box.add_button)
    assert not any(widget.isEnabled() for widget in changeable)  # they would not apply until a restart
    qtbot.mouseClick(server.stop_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: server.runner is None, timeout=WAIT_MS)
    assert all(widget.isEnabled() for widget in changeable)
    assert not server.cert_file.isEnabled()  # still follows the TLS box: no TLS, no files


@given(st.text(alphabet="ab\\rn\r\n ", max_size=12))
def test_any_banner_goes_into_the_form_and_comes_back_the_same(banner: str) -> None:
    assert banner_from_typed(banner_as_typed(banner)) == banner


def test_a_banner_with_a_typed_backslash_is_kept() -> None:
    assert banner_from_typed(r"Hi\r\n") == "Hi\r\n"
    assert banner_as_typed("C:\\r\\n dir\r\n") == r"C:\\r\\n dir\r\n"
    assert banner_from_typed(r"C:\\r\\n dir\r\n") == "C:\\r\\n dir\r\n"


def test_the_exercise_is_readable_on_a_laptop_and_beside_the_tabs_on_a_big_screen(
    qtbot: QtBot, window: MainWindow
) -> None:
    from netlab.lab import labfile

    sample = next(iter(labfile.samples().values()))
    window.resize(1366, 728)
    qtbot.waitUntil(lambda: window.width() == 1366)
    window.labs.open_from_menu(sample, sample=True)
    qtbot.waitUntil(lambda: window.exercise.isVisible(), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: window.dockWidgetArea(window.exercise) == Qt.DockWidgetArea.BottomDockWidgetArea)
    qtbot.waitUntil(lambda: window.width() <= 1366 and window.exercise.height() >= 150, timeout=WAIT_MS)

    wide = MainWindow()
    qtbot.addWidget(wide)
    wide.show()
    wide.resize(1900, 1000)
    qtbot.waitUntil(lambda: wide.width() == 1900)
    wide.labs.open_from_menu(sample, sample=True)
    qtbot.waitUntil(lambda: wide.exercise.isVisible(), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: wide.exercise.width() >= 300, timeout=WAIT_MS)
    assert wide.dockWidgetArea(wide.exercise) == Qt.DockWidgetArea.RightDockWidgetArea
    assert wide.shutdown()
