"""Drive the TCP tab's protocol-developer tools: variables, checksums (sent and checked), a send
history, a text file sent line by line, receive to file, and the client's bind and banner options."""

from __future__ import annotations

import socket
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QSettings, Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from netlab.core.checksum import Algorithm, ByteOrder, Checksum
from netlab.core.events import Direction, Error, Info, SocketCall
from netlab.tcp.config import TcpClientConfig
from ui.common import codeview
from ui.common.logpane import ERROR_COLOUR
from ui.common.sendtools import HISTORY_MAX, SendHistory
from ui.common.widgets import select_data
from ui.main_window import MainWindow
from ui.tabs.tcp import ClientPanel, ServerPanel

from .conftest import WAIT_MS
from .test_codeview import show_code
from .test_tcp_tab import open_clients, payloads, start_server


def click(qtbot: QtBot, button: object) -> None:
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)  # type: ignore[arg-type]


def connected(qtbot: QtBot, window: MainWindow, mode: str = "Echo") -> tuple[ServerPanel, ClientPanel]:
    server, client = window.tcp.server, window.tcp.client
    open_clients(qtbot, client, start_server(qtbot, server, mode), 1)
    qtbot.waitUntil(lambda: server.clients.topLevelItemCount() == 1, timeout=WAIT_MS)
    server.clients.setCurrentItem(server.clients.topLevelItem(0))
    return server, client


def test_variables_fill_in_on_every_send_and_the_log_shows_the_bytes(
    qtbot: QtBot, window: MainWindow
) -> None:
    server, client = connected(qtbot, window)
    client.payload.text.setPlainText("n={counter:3};")
    click(qtbot, client.send_button)
    click(qtbot, client.send_button)
    qtbot.waitUntil(
        lambda: b"".join(payloads(server.log, Direction.RECEIVED)) == b"n=001;n=002;", timeout=WAIT_MS
    )
    qtbot.waitUntil(lambda: payloads(client.log, Direction.SENT) == [b"n=001;", b"n=002;"], timeout=WAIT_MS)
    # Periodic sends fill them in afresh every time, on their own count.
    client.periodic_ms.setValue(1)
    client.periodic_count.setValue(3)
    client.payload.text.setPlainText("p{counter}")
    click(qtbot, client.periodic_button)
    qtbot.waitUntil(
        lambda: payloads(client.log, Direction.SENT)[2:] == [b"p1", b"p2", b"p3"], timeout=WAIT_MS
    )
    # The server's send box has variables too: {peer} is the selected client.
    server.payload.text.setPlainText("to {peer}")
    click(qtbot, server.send_button)
    peer = server.clients.topLevelItem(0).text(1)
    qtbot.waitUntil(
        lambda: f"to {peer}".encode() in payloads(client.log, Direction.RECEIVED), timeout=WAIT_MS
    )


def test_a_bad_variable_is_said_at_the_field_with_the_list(qtbot: QtBot, window: MainWindow) -> None:
    client = window.tcp.client
    client.payload.text.setPlainText('{"a": 1}')
    error = client.payload.error.text().replace("\u200b", "")
    assert client.payload.error.isVisible() or not client.isVisible()
    assert "is not a variable NetLab knows" in error
    assert "{counter}" in error and "{random:N}" in error and "untick Variables" in error
    client.payload.variables.setChecked(False)  # JSON as typed
    assert client.payload.error.text() == ""
    assert client.payload.to_bytes() == b'{"a": 1}'


def test_checksum_appended_and_checked_good_plain_bad_red(qtbot: QtBot, window: MainWindow) -> None:
    server, client = connected(qtbot, window, "Manual (you type replies)")
    client.tools.fold.set_unfolded(True)
    client.tools.checksum.set_checksum(Checksum(Algorithm.CRC16_MODBUS, ByteOrder.LITTLE, verify=True))
    # The server checks what it receives (and answers below once rightly, once wrongly).
    server.tools.checksum.set_checksum(
        Checksum(Algorithm.CRC16_MODBUS, ByteOrder.LITTLE, append=False, verify=True)
    )
    client.payload.text.setPlainText("123456789")
    click(qtbot, client.send_button)
    qtbot.waitUntil(
        lambda: payloads(server.log, Direction.RECEIVED) == [b"123456789\x37\x4b"], timeout=WAIT_MS
    )
    server.payload.kind.setCurrentIndex(server.payload.kind.findData("hex"))
    for reply in ("31 32 33 34 35 36 37 38 39 37 4b", "31 32 33 34 35 36 37 38 39 4b 37"):
        server.payload.text.setPlainText(reply)
        click(qtbot, server.send_button)
        qtbot.waitUntil(
            lambda r=reply: bytes.fromhex(r) in payloads(client.log, Direction.RECEIVED), timeout=WAIT_MS
        )
    qtbot.waitUntil(lambda: any(isinstance(r.event, Error) for r in client.log.model.rows), timeout=WAIT_MS)
    rows = client.log.model.rows
    notes = [r.event.text for r in rows if isinstance(r.event, Info) and "checksum" in r.event.text]
    assert notes == ["CRC-16/MODBUS checksum OK: 37 4b"]
    bad = [(i, r.event) for i, r in enumerate(rows) if isinstance(r.event, Error)]
    assert len(bad) == 1 and bad[0][1].message.startswith(
        "CRC-16/MODBUS checksum BAD: the message ends in 4b 37"
    )
    model = client.log.model
    assert (
        model.data(model.index(bad[0][0], 6), Qt.ItemDataRole.ForegroundRole).color().name() == ERROR_COLOUR
    )
    server_notes = [r.event.text for r in server.log.model.rows if isinstance(r.event, Info)]
    assert "CRC-16/MODBUS checksum OK: 37 4b" in server_notes


def test_send_history_up_down_and_the_list(qtbot: QtBot, window: MainWindow) -> None:
    _server, client = connected(qtbot, window)
    for text in ("one", "two", "two", "three"):
        client.payload.text.setPlainText(text)
        click(qtbot, client.send_button)
    assert [p.text for p in client.tools.history.entries] == ["one", "two", "three"]  # no repeat in a row
    client.payload.text.setPlainText("")
    client.payload.text.setFocus()
    QTest.keyClick(client.payload.text, Qt.Key.Key_Up)
    assert client.payload.text.toPlainText() == "three"
    QTest.keyClick(client.payload.text, Qt.Key.Key_Up)
    QTest.keyClick(client.payload.text, Qt.Key.Key_Up)
    assert client.payload.text.toPlainText() == "one"
    QTest.keyClick(client.payload.text, Qt.Key.Key_Down)
    assert client.payload.text.toPlainText() == "two"
    picker = client.tools.picker
    assert [picker.itemText(i) for i in range(picker.count())] == ["History (3)", "three", "two", "one"]
    picker.activated.emit(3)
    assert client.payload.text.toPlainText() == "one"
    # Saved in the workspace: a new send box over the same settings has it.
    fresh = SendHistory("tcpClient", client.payload.text, type(picker)())
    assert [p.text for p in fresh.entries] == ["one", "two", "three"]
    assert "three" in str(QSettings().value("history/tcpClient"))


def test_history_is_bounded(qtbot: QtBot, window: MainWindow) -> None:
    history = window.tcp.server.tools.history
    for n in range(HISTORY_MAX + 5):
        from netlab.core.codec import Payload

        history.add(Payload(text=str(n)))
    assert len(history.entries) == HISTORY_MAX
    assert history.entries[0].text == "5" and history.entries[-1].text == str(HISTORY_MAX + 4)


def test_send_a_text_file_line_by_line(qtbot: QtBot, window: MainWindow, tmp_path: Path) -> None:
    server, client = connected(qtbot, window, "Discard")
    script = tmp_path / "script.txt"
    script.write_bytes(b"HELO\nMAIL FROM:<a>\r\nQUIT")
    select_data(client.payload.eol, "crlf")
    client.tools.lines.delay.setValue(1)
    client.tools.send_lines_of(str(script), client._send_line)
    qtbot.waitUntil(lambda: not client.tools.lines.running(), timeout=WAIT_MS)
    qtbot.waitUntil(
        lambda: payloads(client.log, Direction.SENT) == [b"HELO\r\n", b"MAIL FROM:<a>\r\n", b"QUIT\r\n"],
        timeout=WAIT_MS,
    )
    assert client.tools.lines.state.text() == "sent 3 of 3 lines"
    qtbot.waitUntil(
        lambda: b"".join(payloads(server.log, Direction.RECEIVED)) == b"HELO\r\nMAIL FROM:<a>\r\nQUIT\r\n",
        timeout=WAIT_MS,
    )
    # Cancel stops it between lines.
    client.tools.lines.delay.setValue(60_000)
    client.tools.send_lines_of(str(script), client._send_line)
    assert client.tools.lines.running()
    click(qtbot, client.tools.lines.cancel)
    assert not client.tools.lines.running()
    assert client.tools.lines.state.text() == "cancelled after 1 of 3 lines"
    # The server's send box sends lines too.
    server.tools.lines.delay.setValue(0)
    server.tools.send_lines_of(str(script), server._send_bytes)
    qtbot.waitUntil(lambda: len(payloads(server.log, Direction.SENT)) == 3, timeout=WAIT_MS)
    server.tools.send_lines_of(str(tmp_path / "missing.txt"), server._send_bytes)


def test_receive_to_file_holds_exactly_the_received_bytes(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    server, client = connected(qtbot, window, "Manual (you type replies)")
    target = tmp_path / "received.bin"
    target.write_bytes(b"old:")  # appended to, not replaced
    receive = client.tools.receive
    assert receive.start(str(target), None)
    assert str(target) in receive.path_label.text() and receive.stop_button.isVisibleTo(receive)
    server.payload.kind.setCurrentIndex(server.payload.kind.findData("hex"))
    sent = bytes(range(256))
    server.payload.text.setPlainText(sent.hex(" "))
    click(qtbot, server.send_button)
    qtbot.waitUntil(lambda: receive.written == 256, timeout=WAIT_MS)
    click(qtbot, receive.stop_button)
    assert target.read_bytes() == b"old:" + sent
    assert f"saved 256 bytes to {target}" == receive.path_label.text()


def test_the_tools_rows_are_made_when_first_unfolded_with_what_was_set_meanwhile(
    qtbot: QtBot, window: MainWindow
) -> None:
    client = window.tcp.client
    tools = client.tools
    assert not tools.section.is_made()  # folded at start: none of their widgets exist (issue 8)
    # Folded, they still hold what a lab and the panel give them, and the panel reads it back.
    kept = Checksum(Algorithm.CRC16_MODBUS, ByteOrder.LITTLE, skip_first=1, append=True)
    client.set_send_box(replace(client.send_box(), checksum=kept))
    tools.set_connection(7)
    tools.set_lines_enabled(False)
    assert client.send_box().checksum == kept and window.tcp.lab_state().client_send.checksum == kept
    assert not tools.section.is_made()
    click(qtbot, tools.fold)
    assert tools.section.is_made() and tools.checksum.isVisible()
    assert tools.checksum.checksum() == kept and tools.checksum.skip_first.value() == 1
    assert tools.receive.which.itemText(1) == "connection #7 only"
    assert not tools.lines.button.isEnabled()
    # Made, the rows are what the panel reads.
    tools.checksum.append.setChecked(False)
    assert client.send_box().checksum is None


def test_the_code_follows_tools_rows_made_after_it_showed(qtbot: QtBot, window: MainWindow) -> None:
    show_code(qtbot, window)  # its form watcher looks at the panels now, before the rows exist
    code = window.tcp_page.code
    code.choice.setCurrentText("Client")
    tools = window.tcp.client.tools
    click(qtbot, tools.fold)
    qtbot.wait(2 * codeview.UPDATE_DELAY_MS)  # the fold's own click is a change: let its redraw pass
    assert "checksum" not in code.source()
    tools.checksum.append.setChecked(True)
    qtbot.waitUntil(lambda: "return data + checksum(data)" in code.source(), timeout=WAIT_MS)


def test_receive_to_file_failure_is_a_plain_message(qtbot: QtBot, window: MainWindow, tmp_path: Path) -> None:
    receive = window.tcp.client.tools.receive
    with qtbot.waitSignal(receive.problem) as said:
        assert not receive.start(str(tmp_path / "no" / "such" / "dir" / "f.bin"), None)
    assert said.args[0].startswith(f"Could not save to {tmp_path}")
    assert "Traceback" not in receive.path_label.text()


def test_local_bind_and_banner_wait_from_the_tab(qtbot: QtBot, window: MainWindow) -> None:
    server, client = window.tcp.server, window.tcp.client
    server.banner.setText("220 hello\\r\\n")
    port = start_server(qtbot, server, "Banner, then echo")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        local_port = probe.getsockname()[1]
    client.trace.setChecked(True)
    client.options.local_host.setText("127.0.0.1")
    client.options.local_port.setValue(local_port)
    client.options.wait_for_server.setChecked(True)
    assert client.config().local_address == ("127.0.0.1", local_port)
    open_clients(qtbot, client, port, 1)
    qtbot.waitUntil(lambda: server.clients.topLevelItemCount() == 1, timeout=WAIT_MS)
    assert server.clients.topLevelItem(0).text(1) == f"127.0.0.1:{local_port}"
    calls = [r.event.call for r in client.log.model.rows if isinstance(r.event, SocketCall)]
    assert f"bind(('127.0.0.1', {local_port}))" in calls
    client.payload.text.setPlainText("after the banner")
    click(qtbot, client.send_button)
    qtbot.waitUntil(
        lambda: payloads(client.log, Direction.RECEIVED)[-1:] == [b"after the banner"], timeout=WAIT_MS
    )
    assert payloads(client.log, Direction.RECEIVED)[0] == b"220 hello\r\n"


def test_a_bad_local_address_is_marked_at_its_field(qtbot: QtBot, window: MainWindow) -> None:
    client = window.tcp.client
    client.options.local_host.setText("my-laptop")
    assert client.open_connection() is None
    assert "is not an IP address" in client.form_error.text().replace("\u200b", "")
    assert client.options.local_host.toolTip().startswith("'my-laptop' is not an IP address")
    client.set_config(
        TcpClientConfig(local_host="::1", local_port=5, wait_for_server=True, connect_delay=1.5)
    )
    assert client.config() == TcpClientConfig(
        local_host="::1", local_port=5, wait_for_server=True, connect_delay=1.5
    )
