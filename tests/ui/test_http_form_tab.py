"""The HTTP form tab driven end to end against a real httpbin on loopback, with both libraries."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog
from pytestqt.qtbot import QtBot

from netlab.core.events import Data, Direction
from netlab.http.form_config import AuthKind, Backend, BodyKind, HttpFormConfig, NameValue
from tests.http_servers import httpbin_server, serving
from ui.main_window import MainWindow
from ui.tabs.http_form import HttpFormTab, ResponseView

WAIT_MS = 10_000


@pytest.fixture(scope="module")
def base() -> Iterator[str]:
    with httpbin_server() as url:
        yield url


@pytest.fixture
def tab(window: MainWindow) -> HttpFormTab:
    window.open_tab("http_form")
    return window.http_form


def answered(qtbot: QtBot, side: ResponseView, count: int = 1) -> None:
    qtbot.waitUntil(lambda: not side.busy and side.summary.text() != "Sending…", timeout=WAIT_MS)


def sent_bytes(side: ResponseView) -> bytes:
    rows = side.log.model.rows
    return b"".join(
        r.event.data for r in rows if isinstance(r.event, Data) and r.event.direction is Direction.SENT
    )


def test_send_with_both_shows_two_answers_and_two_wires(qtbot: QtBot, tab: HttpFormTab, base: str) -> None:
    tab.url.setText(f"{base}/anything?lesson=http")
    tab.method.setCurrentText("POST")
    tab.body_kind.setCurrentIndex(tab.body_kind.findData("json"))
    tab.body.setPlainText('{"student": "Ada"}')
    assert tab.body_note.text() == "Valid JSON"
    tab.both_button.click()
    for side in tab.sides.values():
        answered(qtbot, side)
        assert side.summary.text().startswith("<b>200 OK</b>")
        assert side.view.currentText() == "Pretty JSON"
        assert '"student"' in side.rich.toPlainText() and '"lesson"' in side.rich.toPlainText()
        headers = {
            side.headers.item(r, 0).text(): side.headers.item(r, 1).text()
            for r in range(side.headers.rowCount())
        }
        assert headers["Content-Type"] == "application/json"
        wire = sent_bytes(side)
        assert wire.startswith(b"POST /anything?lesson=http HTTP/1.1\r\n") and wire.endswith(
            b'{"student": "Ada"}'
        )
    assert b"User-Agent: Python-urllib/" in sent_bytes(tab.sides[Backend.URLLIB])
    assert b"User-Agent: python-requests/" in sent_bytes(tab.sides[Backend.REQUESTS])
    assert [tab.history_list.item(i).text().endswith("→ 200 OK") for i in range(2)] == [True, True]


def test_query_table_and_url_follow_each_other(qtbot: QtBot, tab: HttpFormTab) -> None:
    tab.url.setText("http://127.0.0.1:8000/get?a=1&b=two")
    assert tab.query.rows() == [("a", "1"), ("b", "two")]
    tab.query.table.item(1, 1).setText("2 & 3")
    assert tab.url.text() == "http://127.0.0.1:8000/get?a=1&b=2+%26+3"
    tab.query.add_row("", "")
    tab.query.table.item(2, 1).setText("x")  # a value typed before its name: the row stays
    tab.query.table.item(0, 1).setText("0")  # another edit changes the URL: the half-typed row stays
    assert tab.query.rows()[2] == ("", "x") and tab.url.text() == "http://127.0.0.1:8000/get?a=0&b=2+%26+3"
    tab.query.table.item(2, 0).setText("c")
    assert tab.url.text().endswith("&c=x")
    tab.query.table.setCurrentCell(0, 0)
    tab.query.remove_button.click()
    assert tab.url.text() == "http://127.0.0.1:8000/get?b=2+%26+3&c=x"


def test_invalid_json_is_refused_at_the_field_with_its_position(qtbot: QtBot, tab: HttpFormTab) -> None:
    tab.method.setCurrentText("POST")
    tab.body_kind.setCurrentIndex(tab.body_kind.findData("json"))
    tab.body.setPlainText('{"a": 1,\n "b": }')
    assert tab.body_note.text() == "The JSON body is not valid at line 2, column 7: Expecting value"
    tab.editor.setCurrentIndex(0)
    tab.send_button.click()
    assert "line 2, column 7" in tab.form_error.text()
    assert tab.editor.currentIndex() == 2  # the Body page, where the mistake is
    assert tab.runners() == [] and tab.history == []


def test_invalid_url_is_refused(qtbot: QtBot, tab: HttpFormTab) -> None:
    tab.url.setText("127.0.0.1:8000/get")
    tab.send_button.click()
    assert "must start with http:// or https://" in tab.form_error.text()
    assert tab.runners() == []


def test_redirects_cookies_and_a_new_session(qtbot: QtBot, tab: HttpFormTab, base: str) -> None:
    side = tab.sides[Backend.REQUESTS]
    tab.url.setText(f"{base}/cookies/set?flavour=oat")
    tab.send_button.click()
    answered(qtbot, side)
    assert side.redirects.rowCount() == 1 and side.redirects.item(0, 0).text() == "302"
    assert side.cookies.item(0, 0).text() == "flavour" and side.cookies.item(0, 1).text() == "oat"
    tab.session_button.click()
    assert side.cookies.rowCount() == 0
    tab.url.setText(f"{base}/cookies")
    tab.send_button.click()
    qtbot.waitUntil(lambda: len(tab.history) == 2 and tab.history[1].response is not None, timeout=WAIT_MS)
    assert json.loads(side.response.body)["cookies"] == {}  # type: ignore[union-attr]


def test_auth_from_the_form_with_urllib(qtbot: QtBot, tab: HttpFormTab, base: str) -> None:
    side = tab.sides[Backend.URLLIB]
    tab.backend.setCurrentIndex(tab.backend.findData("urllib"))
    tab.url.setText(f"{base}/digest-auth/auth/ada/pw")
    tab.auth.setCurrentIndex(tab.auth.findData("digest"))
    tab.user.setText("ada")
    tab.password.setText("pw")
    tab.send_button.click()
    answered(qtbot, side)
    assert side.summary.text().startswith("<b>200 OK</b>")
    assert sent_bytes(side).count(b"GET /digest-auth/auth/ada/pw HTTP/1.1") == 2  # challenge, then answer


def test_failure_in_plain_words(qtbot: QtBot, tab: HttpFormTab, base: str) -> None:
    side = tab.sides[Backend.REQUESTS]
    tab.url.setText(f"{base}/redirect/35")
    tab.send_button.click()
    qtbot.waitUntil(side.message.isVisible, timeout=WAIT_MS)
    assert side.message.text().startswith("Too many redirects: requests gave up after 30")
    assert tab.history[0].failure.startswith("Too many redirects")


def test_history_select_edit_and_send_again(qtbot: QtBot, tab: HttpFormTab, base: str) -> None:
    side = tab.sides[Backend.REQUESTS]
    tab.url.setText(f"{base}/get?n=1")
    qtbot.keyClick(tab.url, Qt.Key.Key_Return)  # Enter in the URL box sends
    answered(qtbot, side)
    tab.url.setText(f"{base}/status/418")
    tab.send_button.click()
    qtbot.waitUntil(lambda: len(tab.history) == 2 and tab.history[1].response is not None, timeout=WAIT_MS)
    tab.history_list.setCurrentRow(0)
    assert tab.url.text() == f"{base}/get?n=1" and side.response.status == 200  # type: ignore[union-attr]
    tab.query.table.item(0, 1).setText("2")  # edit the old request, then send it again
    tab.history_again.click()
    qtbot.waitUntil(lambda: len(tab.history) == 3 and tab.history[2].response is not None, timeout=WAIT_MS)
    assert json.loads(side.response.body)["args"] == {"n": "2"}  # type: ignore[union-attr]
    tab.history_list.itemDoubleClicked.emit(tab.history_list.item(1))  # double-click: as it was sent
    qtbot.waitUntil(lambda: len(tab.history) == 4 and tab.history[3].response is not None, timeout=WAIT_MS)
    assert side.response.status == 418 and tab.url.text() == f"{base}/status/418"  # type: ignore[union-attr]


def test_image_preview_hexdump_and_save_body(
    qtbot: QtBot, tab: HttpFormTab, base: str, tmp_path: Path
) -> None:
    side = tab.sides[Backend.REQUESTS]
    tab.url.setText(f"{base}/image/png")
    tab.send_button.click()
    answered(qtbot, side)
    assert side.view.currentText() == "Image" and not side.image.pixmap().isNull()
    side.view.setCurrentText("Hexdump")
    assert side.plain.toPlainText().startswith("00000000  89 50 4e 47")
    target = tmp_path / "picture.png"
    side.save_body(str(target))
    assert target.read_bytes() == side.response.body and target.read_bytes()[:4] == b"\x89PNG"  # type: ignore[union-attr]


def test_too_large_for_memory_offers_save_to_file(
    qtbot: QtBot, tab: HttpFormTab, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "share"
    folder.mkdir()
    (folder / "big.bin").write_bytes(bytes(range(256)) * 6000)  # 1.5 MB, past a 1 MB cap
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(folder))
    with serving(ThreadingHTTPServer(("127.0.0.1", 0), handler)) as url:
        side = tab.sides[Backend.REQUESTS]
        tab.url.setText(f"{url}/big.bin")
        tab.cap.setValue(1)
        tab.send_button.click()
        answered(qtbot, side)
        assert side.save_whole.isVisible() and "memory cap" in side.message.text()
        target = tmp_path / "whole.bin"
        monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
        side.save_whole.click()
        qtbot.waitUntil(
            lambda: side.response is not None and side.response.saved_to == str(target), timeout=WAIT_MS
        )
        assert target.read_bytes() == (folder / "big.bin").read_bytes()


def test_code_view_offers_three_programs(qtbot: QtBot, window: MainWindow, tab: HttpFormTab) -> None:
    page = window.http_form_page
    page.toggle.setChecked(True)
    tab.url.setText("http://127.0.0.1:8000/get?x=1")
    tab.auth.setCurrentIndex(tab.auth.findData("bearer"))
    tab.token.setText("t0k")
    choices = [page.code.choice.itemText(i) for i in range(page.code.choice.count())]
    assert choices == ["Python (requests)", "Python (urllib)", "curl"]
    for index, expected in ((0, "session.request("), (1, "urllib.request.Request(URL"), (2, "curl --silent")):
        page.code.choice.setCurrentIndex(index)
        qtbot.waitUntil(
            lambda expected=expected: expected in page.code.source() and "Bearer t0k" in page.code.source(),  # type: ignore[misc]
            timeout=WAIT_MS,
        )
    tab.url.setText("nonsense")
    qtbot.waitUntil(page.code.note.isVisible, timeout=WAIT_MS)
    assert "must start with http://" in page.code.note.text()


def test_lab_state_round_trip(tab: HttpFormTab) -> None:
    config = HttpFormConfig(
        backend=Backend.URLLIB,
        method="PUT",
        url="http://127.0.0.1:8000/put?a=1",
        headers=(NameValue("Accept", "application/json"),),
        body_kind=BodyKind.FORM,
        fields=(NameValue("name", "Ada"),),
        auth=AuthKind.BASIC,
        user="ada",
        password="pw",
        timeout=3.5,
        follow_redirects=False,
        verify=False,
        proxy="http://127.0.0.1:3128",
        retries=2,
        backoff=1.5,
        cap=2 * 2**20,
    )
    tab.load_lab_state(config)
    assert tab.lab_state() == config
    assert tab.query.rows() == [("a", "1")]


def test_an_empty_bearer_token_is_asked_for_at_its_field(qtbot: QtBot, tab: HttpFormTab) -> None:
    tab.auth.setCurrentIndex(tab.auth.findData("bearer"))
    tab.editor.setCurrentIndex(0)
    tab.send_button.click()
    assert tab.form_error.text().startswith("The bearer token is empty")
    assert tab.editor.currentIndex() == 3 and tab.runners() == []


def test_cancel_ends_a_hanging_request_and_the_tab_can_send_again(qtbot: QtBot, tab: HttpFormTab) -> None:
    import socket

    silent = socket.create_server(("127.0.0.1", 0))  # accepts (backlog), never answers
    try:
        side = tab.sides[Backend.URLLIB]
        tab.backend.setCurrentIndex(tab.backend.findData("urllib"))
        tab.url.setText(f"http://127.0.0.1:{silent.getsockname()[1]}/slow")
        tab.timeout.setValue(60)
        tab.send_button.click()
        qtbot.waitUntil(lambda: sent_bytes(side).startswith(b"GET /slow HTTP/1.1"), timeout=WAIT_MS)
        tab.cancel_button.click()
        qtbot.waitUntil(side.message.isVisible, timeout=WAIT_MS)
        assert side.message.text().startswith("Cancelled")
        assert tab.history[0].failure.startswith("Cancelled")
    finally:
        silent.close()


def test_downloads_use_the_forms_library_and_stop_with_the_window(
    qtbot: QtBot, window: MainWindow, tab: HttpFormTab, tmp_path: Path
) -> None:
    folder = tmp_path / "share"
    folder.mkdir()
    (folder / "big.bin").write_bytes(bytes(range(256)) * 4000)
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(folder))
    saved = tmp_path / "saved"
    saved.mkdir()
    with serving(ThreadingHTTPServer(("127.0.0.1", 0), handler)) as url:
        tab.backend.setCurrentIndex(tab.backend.findData("urllib"))
        tab.url.setText(f"{url}/big.bin")
        tab.editor.setCurrentWidget(tab.downloads)
        assert tab.downloads.url.text() == f"{url}/big.bin"  # the request's URL, ready to download
        tab.downloads.url.setText(f"{url}/big.bin?mine")
        tab.url.setText(f"{url}/other")  # a URL typed in the panel is not replaced
        assert tab.downloads.url.text() == f"{url}/big.bin?mine"
        tab.downloads.url.setText(f"{url}/big.bin")
        tab.downloads.folder.setText(str(saved))
        with qtbot.waitSignal(tab.downloads.finished, timeout=WAIT_MS) as done:
            tab.downloads.download.click()
        assert done.args[1] == str(saved / "big.bin")
        assert (saved / "big.bin").read_bytes() == (folder / "big.bin").read_bytes()
    assert window.shutdown()
