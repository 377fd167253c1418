"""Drive the TCP tab's relay mode: the tab's own client talks through the relay to a real server."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox
from pytestqt.qtbot import QtBot

from netlab.core.autoreply import MatchKind, Rule
from netlab.core.events import Data, Direction
from netlab.tcp.rewrite import RelayTarget, Rewrite, RewriteKind, Toward
from ui.main_window import MainWindow
from ui.tabs.tcp import ServerPanel

from ..engine.test_tcp_relay import peer
from .conftest import WAIT_MS
from .test_codeview import show_code
from .test_tcp_tab import open_clients


def start_relay(qtbot: QtBot, server: ServerPanel, target_port: int) -> int:
    server.port.setValue(0)
    server.mode.setCurrentIndex(server.mode.findData("relay"))
    assert server.relay.isVisible() and not server.rules_box.isVisible()
    server.relay.port.setValue(target_port)
    qtbot.mouseClick(server.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: server.state.text().startswith("Listening on"), timeout=WAIT_MS)
    return int(server.state.text().rsplit(":", 1)[1])


def data_of(server: ServerPanel, direction: Direction) -> bytes:
    rows = server.log.model.rows
    return b"".join(
        r.event.data for r in rows if isinstance(r.event, Data) and r.event.direction is direction
    )


def test_a_student_watches_both_sides_through_the_relay(qtbot: QtBot, window: MainWindow) -> None:
    server, client = window.tcp.server, window.tcp.client
    with peer() as target:
        port = start_relay(qtbot, server, target.port)
        open_clients(qtbot, client, port, 1)
        client.payload.text.setPlainText("hello, real server")
        qtbot.mouseClick(client.send_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: data_of(server, Direction.SENT) == b"hello, real server", timeout=WAIT_MS)
        assert data_of(server, Direction.RECEIVED) == b"hello, real server"  # what the client said
        qtbot.waitUntil(lambda: server.clients.topLevelItemCount() == 1, timeout=WAIT_MS)
        pair = server.clients.topLevelItem(0).text(1)
        assert pair.endswith(f"⇄ 127.0.0.1:{target.port}") and pair.startswith("127.0.0.1:")
        said = [r.event for r in server.log.model.rows]
        assert len({e.conversation for e in said if isinstance(e, Data)}) == 1  # one conversation
        assert any(f"⇄ server 127.0.0.1:{target.port}" in getattr(e, "text", "") for e in said)


def test_rewrite_rules_typed_in_the_table_change_the_bytes(qtbot: QtBot, window: MainWindow) -> None:
    server, client = window.tcp.server, window.tcp.client
    server.mode.setCurrentIndex(server.mode.findData("relay"))
    server.relay.rewrites_box.add_rewrite(Rewrite(RewriteKind.TEXT, "cat", "dog", Toward.SERVER))
    server.relay.rewrites_box.add_button.click()  # a second rule, edited in the table:
    server.relay.rewrites.item(1, 1).setText("o")
    server.relay.rewrites.item(1, 2).setText("0")
    way = server.relay.rewrites.cellWidget(1, 3)
    assert isinstance(way, QComboBox)
    way.setCurrentIndex(way.findData("to client"))
    with peer() as target:
        port = start_relay(qtbot, server, target.port)
        open_clients(qtbot, client, port, 1)
        client.payload.text.setPlainText("cat food")
        qtbot.mouseClick(client.send_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: data_of(server, Direction.SENT) == b"d0g f00d", timeout=WAIT_MS)
    assert target.received == b"dog food"
    texts = [getattr(r.event, "text", "") for r in server.log.model.rows]
    assert "rewrote client → server: rule 1 ×1 (total 1)" in texts
    assert "rewrote server → client: rule 2 ×3 (total 3)" in texts


def test_a_bad_relay_target_is_marked_at_its_own_field(qtbot: QtBot, window: MainWindow) -> None:
    server = window.tcp.server
    server.mode.setCurrentIndex(server.mode.findData("relay"))
    server.relay.port.setText("70000")
    qtbot.mouseClick(server.start_button, Qt.MouseButton.LeftButton)
    assert server.runner is None
    assert "Relay to: Port 70000 is out of range" in server.form_error.text()
    assert server.relay.port.styleSheet() and not server.port.styleSheet()  # the relay's port, not ours
    server.relay.rewrites_box.add_rewrite(Rewrite())
    server.relay.rewrites.item(0, 1).setText("")
    server.relay.port.setText("8080")
    qtbot.mouseClick(server.start_button, Qt.MouseButton.LeftButton)
    assert server.runner is None and "Rewrite 1: A rewrite has an empty pattern" in server.form_error.text()
    assert "empty pattern" in server.relay.rewrites.toolTip()  # marked at the table, which checks nothing


def test_the_code_view_shows_the_relay_program(qtbot: QtBot, window: MainWindow) -> None:
    show_code(qtbot, window)
    code, server = window.tcp_page.code, window.tcp.server
    server.mode.setCurrentIndex(server.mode.findData("relay"))
    server.relay.host.setText("example.org")
    qtbot.waitUntil(lambda: "TARGET_HOST = 'example.org'" in code.source(), timeout=WAIT_MS)
    assert "def pump(" in code.source() and "half_close(sink)" in code.source()
    server.relay.tls_box.tls.setChecked(True)
    qtbot.waitUntil(lambda: "TARGET_CONTEXT = ssl.create_default_context()" in code.source(), timeout=WAIT_MS)


def test_the_rules_and_relay_boxes_are_made_in_their_modes_with_what_the_form_was_given(
    qtbot: QtBot, window: MainWindow
) -> None:
    server = window.tcp.server
    made = (server.rules_section.is_made, server.relay_section.is_made)
    assert not any(m() for m in made)  # shown only in their modes: not made at start (issue 8)
    rules = (Rule(MatchKind.EXACT, "hi", "hello"),)
    rewrite = Rewrite(RewriteKind.TEXT, "a", "b", Toward.SERVER)
    target = RelayTarget(host="127.0.0.2", port=8081, rewrites=(rewrite,))
    config = replace(server.config(), rules=rules, relay=target)
    server.set_config(config)
    assert server.config() == config and not any(m() for m in made)  # kept, as given
    server.mode.setCurrentIndex(server.mode.findData("rules"))
    assert server.rules_box.isVisible() and server.rules_box.rules() == rules
    server.rules_box.set_rules(())
    qtbot.mouseClick(server.start_button, Qt.MouseButton.LeftButton)
    assert server.runner is None and "has no rules" in server.rules.toolTip()  # marked at the table
    server.rules_box.set_rules(rules)
    server.mode.setCurrentIndex(server.mode.findData("relay"))
    assert server.relay.isVisible() and not server.rules_box.isVisible()
    assert server.relay.target() == target
