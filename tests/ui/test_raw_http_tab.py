"""The Raw HTTP tab driven end to end against loopback servers started here."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from netlab.core.events import Data, Direction, Info, Opened
from netlab.http.raw import templates
from netlab.lab.labfile import Lab, from_data, to_data
from ui.main_window import MainWindow
from ui.tabs.raw_http import CR_MARK, RawHttpTab

from ..raw_http_servers import TrustmeTls, http_server, one_shot_server
from .conftest import WAIT_MS


@pytest.fixture
def tab(qtbot: QtBot) -> Iterator[RawHttpTab]:
    panel = RawHttpTab()
    qtbot.addWidget(panel)
    panel.resize(1200, 800)
    panel.show()
    yield panel
    runner = panel.runner
    panel.stop_all()
    if runner is not None:
        assert runner.wait(WAIT_MS)


@pytest.fixture
def port() -> Iterator[int]:
    with http_server() as found:
        yield found


def _infos(tab: RawHttpTab) -> list[str]:
    return [row.event.text for row in tab.log.model.rows if isinstance(row.event, Info)]


def _received(tab: RawHttpTab) -> bytes:
    return b"".join(
        row.event.data
        for row in tab.log.model.rows
        if isinstance(row.event, Data) and row.event.direction is Direction.RECEIVED
    )


def _send_and_wait(qtbot: QtBot, tab: RawHttpTab, responses: int = 1) -> None:
    before = sum(text.startswith("Response:") for text in _infos(tab))
    qtbot.mouseClick(tab.send_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: sum(t.startswith("Response:") for t in _infos(tab)) > before, timeout=WAIT_MS)


def _type(qtbot: QtBot, tab: RawHttpTab, *lines: str) -> None:
    tab.editor.clear()
    tab.editor.setFocus()
    for line in lines:
        qtbot.keyClicks(tab.editor, line)
        qtbot.keyClick(tab.editor, Qt.Key.Key_Return)


def test_a_student_types_a_get_by_hand_and_sees_raw_and_parsed(
    qtbot: QtBot, tab: RawHttpTab, port: int
) -> None:
    tab.port.setValue(port)
    _type(qtbot, tab, "GET /hand HTTP/1.1", f"Host: 127.0.0.1:{port}", "Connection: close", "")
    assert tab.editor.toPlainText().splitlines()[0] == f"GET /hand HTTP/1.1{CR_MARK}"  # the CR is visible
    sent = f"GET /hand HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    assert tab.config().request == sent
    _send_and_wait(qtbot, tab)
    assert _received(tab).startswith(b"HTTP/1.1 200 OK\r\n")  # raw, in the log
    assert tab.status_line.text() == "HTTP/1.1 200 OK"
    names = [tab.headers.item(row, 0).text() for row in range(tab.headers.rowCount())]
    assert "Content-Length" in names or "content-length" in [n.lower() for n in names]
    assert tab.body_text.toPlainText() == "you asked for /hand"
    timing = tab.timing.text()
    assert (
        "connect" in timing
        and "first byte" in timing
        and "total" in timing
        and f"{len(sent)} bytes up" in timing
    )
    sent_rows = [
        r.event.data
        for r in tab.log.model.rows
        if isinstance(r.event, Data) and r.event.direction is Direction.SENT
    ]
    assert b"".join(sent_rows) == sent.encode()


def test_bare_lf_looks_different_and_is_sent_as_typed_with_convert_off(qtbot: QtBot, tab: RawHttpTab) -> None:
    tab.crlf.setChecked(False)
    _type(qtbot, tab, "GET / HTTP/1.1", "")
    assert CR_MARK not in tab.editor.toPlainText()
    assert tab.config().request == "GET / HTTP/1.1\n\n"
    tab.crlf.setChecked(True)
    _type(qtbot, tab, "GET / HTTP/1.1", "")
    assert tab.config().request == "GET / HTTP/1.1\r\n\r\n"


def test_every_template_is_offered_and_the_broken_ones_stay_broken(qtbot: QtBot, tab: RawHttpTab) -> None:
    tab.port.setValue(8080)
    names = [action.text() for action in tab.template_menu.actions() if not action.isSeparator()]
    assert names == list(templates())
    for action in tab.template_menu.actions():
        if action.text() == "POST JSON":
            action.trigger()
    assert tab.config().request == templates("127.0.0.1:8080")["POST JSON"]
    tab.use_template("Broken: bare LF line ends")
    assert (
        not tab.crlf.isChecked()
        and tab.config().request == templates("127.0.0.1:8080")["Broken: bare LF line ends"]
    )
    tab.use_template("Broken: wrong Content-Length")
    assert not tab.auto_length.isChecked() and "Content-Length: 40" in tab.config().request


def test_fill_from_url_sets_host_port_tls_target_and_host_header(tab: RawHttpTab) -> None:
    tab.use_template("GET")
    tab.url.setText("https://localhost:8443/a/b?x=1")
    tab.fill.click()
    assert (tab.host.text(), tab.port.value(), tab.tls.isChecked()) == ("localhost", 8443, True)
    request = tab.config().request
    assert request.startswith("GET /a/b?x=1 HTTP/1.1\r\nHost: localhost:8443\r\n")
    tab.url.setText("ftp://nope/")
    tab.fill.click()
    assert "not HTTP" in tab.form_error.text() and tab.url.text() == "ftp://nope/"
    assert tab.config().request == request  # nothing typed is lost


def test_content_length_follows_the_body_unless_turned_off(qtbot: QtBot, tab: RawHttpTab) -> None:
    tab.use_template("POST form")
    cursor = tab.editor.textCursor()
    cursor.movePosition(cursor.MoveOperation.End)
    tab.editor.setTextCursor(cursor)
    qtbot.keyClicks(tab.editor, "&x=")
    tab.editor.insertPlainText("ü")  # two bytes in UTF-8 (QTest cannot type it)
    qtbot.waitUntil(lambda: "Content-Length: 21" in tab.config().request, timeout=WAIT_MS)
    tab.auto_length.setChecked(False)
    qtbot.keyClicks(tab.editor, "123")
    qtbot.wait(300)  # the update would come after 150 ms: it must not come at all
    assert "Content-Length: 21" in tab.config().request and tab.config().auto_length is False


def test_pipelined_requests_and_a_kept_connection_reused(qtbot: QtBot, tab: RawHttpTab, port: int) -> None:
    tab.port.setValue(port)
    tab.use_template("Two pipelined requests")
    _send_and_wait(qtbot, tab)
    assert tab.which.count() == 2 and tab.body_text.toPlainText() == "you asked for /one"
    tab.which.setCurrentIndex(1)
    assert tab.body_text.toPlainText() == "you asked for /two"

    tab.use_template("Keep-alive")
    tab.keep_open.setChecked(True)
    _send_and_wait(qtbot, tab)
    assert tab.again.isEnabled()
    tab.editor.set_request(f"GET /again HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n")
    before = sum(t.startswith("Response:") for t in _infos(tab))
    tab.again.click()
    qtbot.waitUntil(lambda: sum(t.startswith("Response:") for t in _infos(tab)) > before, timeout=WAIT_MS)
    assert tab.body_text.toPlainText() == "you asked for /again"
    assert any("Reusing connection" in text for text in _infos(tab))
    opened = [r.event.conn for r in tab.log.model.rows if isinstance(r.event, Opened)]
    assert len(opened) == 2  # the pipelined one, then the kept one: no third connect


def test_cancel_ends_a_never_ending_reply(qtbot: QtBot, tab: RawHttpTab) -> None:
    port, done = one_shot_server(b"HTTP/1.1 200 OK\r\nContent-Length: 999999\r\n\r\nstart", hold=True)
    try:
        tab.port.setValue(port)
        tab.timeout.setValue(600)
        tab.send_button.click()
        qtbot.waitUntil(lambda: _received(tab).endswith(b"start"), timeout=WAIT_MS)
        assert tab.cancel_button.isEnabled()
        tab.cancel_button.click()
        qtbot.waitUntil(lambda: any(t.startswith("Response:") for t in _infos(tab)), timeout=WAIT_MS)
    finally:
        done.set()
    assert "ended before its body was complete" in tab.status_line.text()
    assert not tab.cancel_button.isEnabled()


@pytest.mark.parametrize(
    ("path", "mode", "shown"),
    [
        ("/json", "auto", '{\n  "name": "Ada",'),
        ("/latin1", "auto", "café crème"),
        ("/gzip", "auto", "squeezed"),
        ("/gzip", "hex", "00000000  73 71 75 65"),
        ("/json", "text", '{"name": "Ada"'),
    ],
)
def test_the_body_is_decoded_and_shown_as_asked(
    qtbot: QtBot, tab: RawHttpTab, port: int, path: str, mode: str, shown: str
) -> None:
    tab.url.setText(f"http://127.0.0.1:{port}{path}")
    tab.fill_from_url()
    tab.body_mode.setCurrentIndex(tab.body_mode.findData(mode))
    _send_and_wait(qtbot, tab)
    assert tab.body_text.toPlainText().startswith(shown)
    assert tab.body_stack.currentWidget() is tab.body_text


def test_an_image_is_previewed_and_the_body_saved(
    qtbot: QtBot, tab: RawHttpTab, port: int, tmp_path: Path
) -> None:
    from ..raw_http_servers import PNG

    tab.url.setText(f"http://127.0.0.1:{port}/image")
    tab.fill_from_url()
    _send_and_wait(qtbot, tab)
    assert tab.body_stack.currentWidget() is tab.body_image
    assert tab.body_image.pixmap().width() == 2
    tab.save_body_to(str(tmp_path / "body.png"))
    assert (tmp_path / "body.png").read_bytes() == PNG
    messages: list[str] = []
    tab.status.connect(messages.append)
    tab.save_body_to(str(tmp_path / "no-such-folder" / "x"))
    assert messages and messages[-1].startswith("Cannot save the body")


def test_gzip_body_is_saved_decoded(qtbot: QtBot, tab: RawHttpTab, port: int, tmp_path: Path) -> None:
    tab.url.setText(f"http://127.0.0.1:{port}/gzip")
    tab.fill_from_url()
    _send_and_wait(qtbot, tab)
    tab.save_body_to(str(tmp_path / "b"))
    assert (tmp_path / "b").read_bytes() == b"squeezed" != gzip.compress(b"squeezed")


def test_a_reply_that_is_not_http_is_shown_raw_with_one_line(qtbot: QtBot, tab: RawHttpTab) -> None:
    port, _ = one_shot_server(b"SSH-2.0-OpenSSH_9.6\r\n")
    tab.port.setValue(port)
    _send_and_wait(qtbot, tab)
    assert tab.status_line.text().startswith("This is not valid HTTP")
    assert tab.body_text.toPlainText() == "SSH-2.0-OpenSSH_9.6\r\n".replace("\r\n", "\n")
    assert tab.headers.rowCount() == 0


def test_bad_fields_and_network_failures_are_said_in_plain_words(qtbot: QtBot, tab: RawHttpTab) -> None:
    tab.port.setText("99999")
    tab.send_button.click()
    assert "port" in tab.form_error.text().lower() and tab.runner is None
    listener_port, _ = one_shot_server(b"")  # bound, then closed below by connecting once
    import socket

    socket.create_connection(("127.0.0.1", listener_port)).close()
    qtbot.wait(50)
    tab.port.setValue(listener_port)
    tab.send_button.click()
    qtbot.waitUntil(lambda: "refused" in tab.state.text().lower(), timeout=WAIT_MS)
    tab.host.setText("no-such-host.invalid")
    tab.send_button.click()
    qtbot.waitUntil(lambda: "no-such-host.invalid" in tab.state.text(), timeout=WAIT_MS)


def test_tls_verify_fails_clearly_and_the_toggle_or_ca_file_lets_it_through(
    qtbot: QtBot, tab: RawHttpTab, tmp_path: Path
) -> None:
    pytest.importorskip("trustme")
    tls = TrustmeTls(tmp_path)
    reply = b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\nConnection: close\r\n\r\nsecret"
    tab.host.setText("localhost")
    tab.tls.setChecked(True)
    tab.port.setValue(tls.server(reply))
    tab.send_button.click()
    qtbot.waitUntil(lambda: "certificate" in tab.state.text().lower(), timeout=WAIT_MS)
    tab.verify.setChecked(False)
    tab.port.setValue(tls.server(reply))
    _send_and_wait(qtbot, tab)
    assert tab.body_text.toPlainText() == "secret"
    assert any("NOT verified ('Verify certificate' is off)" in t for t in _infos(tab))
    tab.verify.setChecked(True)
    tab.ca_file.setText(tls.ca_file)
    tab.port.setValue(tls.server(reply))
    _send_and_wait(qtbot, tab)
    assert tab.body_text.toPlainText() == "secret" and "TLS handshake" in tab.timing.text()
    assert any(t.startswith("certificate verified: subject") for t in _infos(tab))


def test_the_code_view_shows_the_socket_program_for_the_form(qtbot: QtBot, window: MainWindow) -> None:
    window.open_tab("raw_http")
    window.raw.tls.setChecked(True)
    window.raw.ca_file.setText("/labs/ca.pem")
    window.raw_page.toggle.click()
    qtbot.waitUntil(lambda: "create_connection" in window.raw_page.code.source(), timeout=WAIT_MS)
    source = window.raw_page.code.source()
    assert "sendall(REQUEST)" in source and "cafile='/labs/ca.pem'" in source


def test_the_requests_are_saved_in_lab_files(qtbot: QtBot, window: MainWindow) -> None:
    window.raw.editor.set_request("PUT /x HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc")
    window.raw.keep_open.setChecked(True)
    window.raw.port.setValue(8081)
    lab = Lab(states={"raw_http": window.raw.lab_state()})
    loaded = from_data(to_data(lab))
    fresh = RawHttpTab()
    qtbot.addWidget(fresh)
    fresh.load_lab_state(loaded.state("raw_http"))
    assert fresh.lab_state() == window.raw.lab_state()
    assert fresh.config().request.endswith("\r\n\r\nabc") and fresh.config().port == 8081


def test_a_silent_server_ends_at_the_read_timeout_in_plain_words(qtbot: QtBot, tab: RawHttpTab) -> None:
    port, done = one_shot_server(b"HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\nsome", hold=True)
    try:
        tab.port.setValue(port)
        tab.timeout.setValue(0.3)
        _send_and_wait(qtbot, tab)
    finally:
        done.set()
    assert "read timeout" in tab.state.text() and "ended before its body" in tab.status_line.text()
    assert tab.body_text.toPlainText() == "some"  # what came is kept


def test_pasted_line_ends_follow_the_convert_tick(tab: RawHttpTab) -> None:
    from PySide6.QtCore import QMimeData

    pasted = QMimeData()
    pasted.setText("GET / HTTP/1.1\nHost: a\r\n\r\n")
    tab.editor.clear()
    tab.editor.insertFromMimeData(pasted)
    assert tab.config().request == "GET / HTTP/1.1\r\nHost: a\r\n\r\n"
    tab.crlf.setChecked(False)
    tab.editor.clear()
    tab.editor.insertFromMimeData(pasted)
    assert tab.config().request == "GET / HTTP/1.1\nHost: a\r\n\r\n"  # as pasted, the bare LF included
