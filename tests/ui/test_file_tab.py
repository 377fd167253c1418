"""Drive the real File server tab: serve a folder, fetch from it, see the request log; LAN, QR, errors."""

from __future__ import annotations

import socket
import threading
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QScrollArea
from pytestqt.qtbot import QtBot

from netlab.core.events import HttpExchange
from ui.main_window import MainWindow

from .conftest import WAIT_MS


def start(qtbot: QtBot, window: MainWindow, folder: Path) -> str:
    tab = window.files
    window.open_tab("files")
    tab.folder.setText(str(folder))
    tab.port.setValue(0)
    qtbot.mouseClick(tab.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(tab.url), timeout=WAIT_MS)
    return tab.url


def fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=5) as response:
        return bytes(response.read())


def test_serve_fetch_and_see_the_request_log(qtbot: QtBot, window: MainWindow, tmp_path: Path) -> None:
    (tmp_path / "hello.txt").write_text("hello from NetLab")
    url = start(qtbot, window, tmp_path)
    assert url.startswith("http://127.0.0.1:")
    assert window.files.state.text().startswith("Serving on")
    assert fetch(url + "hello.txt") == b"hello from NetLab"
    assert b"hello.txt" in fetch(url)
    tab = window.files
    qtbot.waitUntil(
        lambda: len([r for r in tab.log.model.rows if isinstance(r.event, HttpExchange)]) == 2,
        timeout=WAIT_MS,
    )
    first = next(r.event for r in tab.log.model.rows if isinstance(r.event, HttpExchange))
    assert (first.method, first.target, first.status) == ("GET", "/hello.txt", 200)
    row = [r.event for r in tab.log.model.rows].index(first)
    assert "GET /hello.txt → 200" in tab.log.model.data(tab.log.model.index(row, 6))
    tab.log.table.setCurrentIndex(tab.log.model.index(row, 0))  # the row's detail: both heads
    text = tab.log.text_view.toPlainText()
    assert text.startswith("GET /hello.txt HTTP/1.1\r\n") or text.startswith("GET /hello.txt HTTP/1.1\n")
    assert "HTTP/1.1 200 OK" in text and "Content-Length: 17" in text
    assert "00000000  47 45 54 20" in tab.log.hex_view.toPlainText()  # "GET "
    with qtbot.waitSignal(tab.runner.finished, timeout=WAIT_MS):  # type: ignore[union-attr]
        qtbot.mouseClick(tab.stop_button, Qt.MouseButton.LeftButton)
    assert tab.state.text() == "Stopped" and tab.start_button.isEnabled()


def test_share_on_lan_lists_addresses_and_draws_a_qr_code(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    tab = window.files
    tab.lan.setChecked(True)
    assert tab.host.currentText() == "0.0.0.0" and not tab.host.isEnabled()
    start(qtbot, window, tmp_path)
    assert tab.lan_box.isVisible()
    # Bound to every address, so the status says so; 127.0.0.1 is only this machine's way in.
    assert tab.state.text().startswith(f"Serving on every address (0.0.0.0:{tab.url.rsplit(':', 1)[1][:-1]})")
    qtbot.waitUntil(lambda: "Looking up" not in tab.urls.text(), timeout=WAIT_MS)
    assert tab.qr_choice.count() >= 1
    pixmap = tab.qr.pixmap()
    assert not pixmap.isNull() and pixmap.width() >= 21 * 4
    assert fetch(tab.url).startswith(b"<!DOCTYPE html>")  # the loopback URL works too


def test_sharing_on_a_small_laptop_screen_needs_no_scroll(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    tab = window.files
    window.resize(1366, 728)  # 1366x768 less a taskbar
    tab.lan.setChecked(True)
    start(qtbot, window, tmp_path)
    qtbot.waitUntil(lambda: "Looking up" not in tab.urls.text(), timeout=WAIT_MS)
    controls = tab.findChild(QScrollArea, "fileTabControls")
    qtbot.waitUntil(lambda: controls.verticalScrollBar().maximum() == 0, timeout=WAIT_MS)
    assert tab.qr.isVisible() and tab.qr.height() >= tab.qr.pixmap().height()
    assert tab.counters.isVisible() and tab.counters.visibleRegion().boundingRect().height() > 0
    shown_url = tab.qr_choice.currentText()
    assert tab.qr_choice.width() >= tab.qr_choice.fontMetrics().horizontalAdvance(shown_url)


def test_a_hanging_host_name_lookup_never_blocks_the_window(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = socket.getaddrinfo
    released = threading.Event()
    callers: list[threading.Thread] = []

    def hanging(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host == socket.gethostname():  # this machine's own name; the test's own fetches pass
            callers.append(threading.current_thread())
            released.wait(WAIT_MS / 1000)
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", hanging)
    tab = window.files
    tab.lan.setChecked(True)
    start(qtbot, window, tmp_path)
    qtbot.waitUntil(lambda: bool(callers), timeout=WAIT_MS)
    assert threading.main_thread() not in callers
    assert tab.urls.text() == "Looking up this machine's addresses…" and tab.qr_choice.count() == 1
    assert fetch(tab.url).startswith(b"<!DOCTYPE html>")  # serving while the lookup hangs
    released.set()
    qtbot.waitUntil(lambda: "Looking up" not in tab.urls.text(), timeout=WAIT_MS)


def test_bad_folder_and_login_are_flagged_at_the_field(qtbot: QtBot, window: MainWindow) -> None:
    tab = window.files
    tab.folder.setText("/no/such/folder")
    tab.password.setText("secret")  # a password with no user
    qtbot.mouseClick(tab.start_button, Qt.MouseButton.LeftButton)
    assert tab.runner is None
    assert "user:password" in tab.form_error.text() and "border" in tab.user.styleSheet()


def test_a_missing_folder_is_reported_at_start(qtbot: QtBot, window: MainWindow) -> None:
    tab = window.files
    tab.folder.setText("/no/such/folder")  # a lab from another machine: the config is fine
    qtbot.mouseClick(tab.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: tab.runner is None, timeout=WAIT_MS)
    assert tab.state.text() == "Not started: The folder /no/such/folder does not exist on this machine"


def test_uploads_and_login_from_the_tab(qtbot: QtBot, window: MainWindow, tmp_path: Path) -> None:
    tab = window.files
    tab.upload.setChecked(True)
    tab.user.setText("student")
    tab.password.setText("pw")
    url = start(qtbot, window, tmp_path)
    login = {"Authorization": "Basic c3R1ZGVudDpwdw=="}
    request = urllib.request.Request(url, headers=login)
    with urllib.request.urlopen(request, timeout=5) as response:
        assert b'enctype="multipart/form-data"' in response.read()
    body = (
        b'--XyZ\r\nContent-Disposition: form-data; name="file"; filename="report.txt"\r\n\r\n'
        b"uploaded from a test\r\n--XyZ--\r\n"
    )
    posted = urllib.request.Request(
        url, data=body, headers={**login, "Content-Type": "multipart/form-data; boundary=XyZ"}
    )
    with urllib.request.urlopen(posted, timeout=5) as response:  # follows the 303 back to the listing
        assert b"report.txt" in response.read()
    assert (tmp_path / "report.txt").read_bytes() == b"uploaded from a test"
    try:
        fetch(url)
    except urllib.error.HTTPError as refused:
        assert refused.code == 401
    else:
        raise AssertionError("no password, yet served")


def test_qr_code_is_drawn_right_and_leaks_no_references(qtbot: QtBot) -> None:
    import sys

    from netlab.core.lan import qr_matrix
    from ui.tabs.files import QR_SCALE, qr_pixmap

    matrix = qr_matrix("http://127.0.0.1:8000/")
    image = qr_pixmap("http://127.0.0.1:8000/").toImage()
    assert image.width() == len(matrix) * QR_SCALE
    for y in range(0, len(matrix), 3):
        for x in range(0, len(matrix), 3):
            colour = image.pixelColor(x * QR_SCALE + 1, y * QR_SCALE + 1).name()
            assert colour == ("#000000" if matrix[y][x] else "#ffffff")
    before = sys.getrefcount(None)
    for _ in range(50):
        qr_pixmap("http://127.0.0.1:8000/")
    assert sys.getrefcount(None) - before < 10


def test_port_in_use_says_so_and_the_tab_can_start_again(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    import socket

    tab = window.files
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        tab.folder.setText(str(tmp_path))
        tab.port.setValue(port)
        with qtbot.waitSignal(
            tab.status, timeout=WAIT_MS, check_params_cb=lambda text: "already in use" in text
        ):
            qtbot.mouseClick(tab.start_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: tab.runner is None, timeout=WAIT_MS)
    assert tab.state.text() == f"Not started: Port {port} is already in use by another program"
    assert tab.start_button.isEnabled() and tab.folder.isEnabled()
    assert start(qtbot, window, tmp_path).startswith("http://127.0.0.1:")
