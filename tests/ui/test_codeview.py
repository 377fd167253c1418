"""The code view beside the TCP and File server panels: in step with the form, coloured, Copy and Save."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog
from pytestqt.qtbot import QtBot

from netlab.core.autoreply import MatchKind
from netlab.http.code import program as file_program
from netlab.tcp.code import Flavour, client_program, server_program
from ui.common import codeview
from ui.main_window import MainWindow

from .conftest import WAIT_MS


def show_code(qtbot: QtBot, window: MainWindow, page: str = "tcp") -> None:  # page: a lab key
    window.open_tab(page)
    beside = window.tcp_page if page == "tcp" else window.files_page
    assert beside.toggle.isVisible()  # this tab's toggle, in the tab bar's corner
    qtbot.mouseClick(beside.toggle, Qt.MouseButton.LeftButton)
    assert beside.code.isVisible() and beside.code.width() > 200  # room to read, not a collapsed pane


def test_the_tcp_code_follows_the_form(qtbot: QtBot, window: MainWindow) -> None:
    show_code(qtbot, window)
    code, server = window.tcp_page.code, window.tcp.server
    assert code.source() == server_program(server.config())
    server.mode.setCurrentIndex(server.mode.findData("upper"))
    qtbot.waitUntil(lambda: "conn.sendall(data.upper())" in code.source(), timeout=WAIT_MS)
    server.quit_words.setText("bye, exit")
    qtbot.waitUntil(lambda: "QUIT_WORDS = ('bye', 'exit')" in code.source(), timeout=WAIT_MS)
    code.choice.setCurrentIndex(code.choice.findText("Server (socketserver)"))
    assert code.source() == server_program(server.config(), Flavour.SOCKETSERVER)
    code.choice.setCurrentIndex(code.choice.findText("Client"))
    window.tcp.client.payload.text.setPlainText("hello")
    qtbot.waitUntil(lambda: "TEXT = 'hello'" in code.source(), timeout=WAIT_MS)
    assert code.source() == client_program(window.tcp.client.config(), window.tcp.client.send_box())


def test_rules_added_later_still_update_the_code(qtbot: QtBot, window: MainWindow) -> None:
    show_code(qtbot, window)
    code, server = window.tcp_page.code, window.tcp.server
    server.mode.setCurrentIndex(server.mode.findData("rules"))
    server.add_rule(MatchKind.EXACT, "hi", "there")
    qtbot.waitUntil(lambda: "('exact', 'hi', [b'there'])" in code.source(), timeout=WAIT_MS)
    last = server.rules.rowCount() - 1
    server.rules.cellWidget(last, 0).setCurrentIndex(list(MatchKind).index(MatchKind.CONTAINS))  # type: ignore[attr-defined]
    qtbot.waitUntil(lambda: "('contains', 'hi', [b'there'])" in code.source(), timeout=WAIT_MS)


def test_a_bad_form_says_why_and_keeps_the_last_program(qtbot: QtBot, window: MainWindow) -> None:
    show_code(qtbot, window)
    code = window.tcp_page.code
    before = code.source()
    window.tcp.server.host.setCurrentText("not a host!")
    qtbot.waitUntil(lambda: code.note.isVisible(), timeout=WAIT_MS)
    assert "Not a program yet: 'not a host!' is neither an IP address nor a host name" in code.note.text()
    assert code.source() == before and not code.copy_button.isEnabled()
    window.tcp.server.host.setCurrentText("127.0.0.1")
    qtbot.waitUntil(lambda: not code.note.isVisible(), timeout=WAIT_MS)
    assert code.copy_button.isEnabled()


def test_copy_save_and_colours(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    show_code(qtbot, window)
    code = window.tcp_page.code
    copied: list[str] = []

    class Clipboard:  # the offscreen platform has no clipboard to read back
        def setText(self, text: str) -> None:
            copied.append(text)

    class App:
        @staticmethod
        def clipboard() -> Clipboard:
            return Clipboard()

    monkeypatch.setattr(codeview, "QGuiApplication", App)
    qtbot.mouseClick(code.copy_button, Qt.MouseButton.LeftButton)
    assert copied == [code.source()]
    target = tmp_path / "server.py"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *args: (str(target), ""))
    with qtbot.waitSignal(code.saved, timeout=WAIT_MS):
        qtbot.mouseClick(code.save_button, Qt.MouseButton.LeftButton)
    assert target.read_text() == code.source()
    html = code.text.toHtml()
    assert "color:#008000" in html.replace(" ", "")  # keywords such as import are coloured
    assert code.text.toPlainText().rstrip() == code.source().rstrip()


def test_the_file_server_code_follows_the_form(qtbot: QtBot, window: MainWindow, tmp_path: Path) -> None:
    show_code(qtbot, window, "files")
    code = window.files_page.code
    window.files.folder.setText(str(tmp_path))
    qtbot.waitUntil(lambda: f"FOLDER = {str(tmp_path)!r}" in code.source(), timeout=WAIT_MS)
    window.files.upload.setChecked(True)
    qtbot.waitUntil(lambda: "uploads (up to" in code.source(), timeout=WAIT_MS)
    assert code.source() == file_program(window.files.config())
    assert not code.choice.isVisible()  # one program, no choice to make


def test_the_form_is_watched_from_when_the_code_is_first_shown(qtbot: QtBot, window: MainWindow) -> None:
    assert window.tcp_page.watcher is None  # nothing connected before the first paint (issue 8)
    window.tcp.server.port.setValue(9444)  # an edit while the code is hidden still shows
    show_code(qtbot, window)
    assert "PORT = 9444" in window.tcp_page.code.source()
    window.tcp.server.port.setValue(9555)
    qtbot.waitUntil(lambda: "PORT = 9555" in window.tcp_page.code.source(), timeout=WAIT_MS)
