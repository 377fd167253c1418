"""The Downloads panel driven like a user: three at once, one cancelled, the rest finish, the window lives."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer
from pytestqt.qtbot import QtBot

from netlab.http.form_config import Backend, HttpFormConfig
from tests.download_servers import BODY_SHA256, Served, download_server
from ui.tabs.downloads import PERMILLE, DownloadsPanel

WAIT_MS = 10000


@pytest.fixture
def server() -> Iterator[Served]:
    with download_server() as served:
        yield served


@pytest.fixture
def panel(qtbot: QtBot, tmp_path: Path) -> Iterator[DownloadsPanel]:
    widget = DownloadsPanel(folder=str(tmp_path))
    qtbot.addWidget(widget)
    widget.show()
    yield widget
    assert widget.shutdown(), "the downloads did not stop in time"


def test_three_at_once_one_cancelled_the_others_finish_and_the_window_stays_responsive(
    qtbot: QtBot, panel: DownloadsPanel, server: Served, tmp_path: Path
) -> None:
    ticks = []
    timer = QTimer(panel)
    timer.setInterval(10)
    timer.timeout.connect(lambda: ticks.append(1))
    timer.start()
    panel.url.setText(f"{server.url}/slow")
    qtbot.mouseClick(panel.download, Qt.MouseButton.LeftButton)
    slow = max(panel.rows)
    big = [panel.start(f"{server.url}/big.bin"), panel.start(f"{server.url}/nolen")]
    assert None not in big and len(panel.rows) == 3
    slow_row = panel.rows[slow]
    # the GUI thread keeps running its timers while the slow body streams in
    qtbot.waitUntil(lambda: slow_row.bar.value() > 0 and len(ticks) >= 10, timeout=WAIT_MS)
    assert "left" in slow_row.status.text()  # bytes, percent, rate, time left
    with qtbot.waitSignal(panel.cancelled, timeout=WAIT_MS, check_params_cb=lambda job: job == slow):
        qtbot.mouseClick(slow_row.cancel, Qt.MouseButton.LeftButton)
    assert slow_row.state == "cancelled" and "deleted" in slow_row.status.text()
    assert not slow_row.cancel.isEnabled()
    qtbot.waitUntil(lambda: all(panel.rows[job].state == "finished" for job in big), timeout=WAIT_MS)  # type: ignore[index]
    for job in big:
        row = panel.rows[job]  # type: ignore[index]
        assert row.bar.value() == PERMILLE and row.status.text().startswith("Finished:")
    assert sorted(os.listdir(tmp_path)) == ["big.bin", "nolen"]
    assert all(
        hashlib.sha256((tmp_path / n).read_bytes()).hexdigest() == BODY_SHA256 for n in ["big.bin", "nolen"]
    )
    timer.stop()


def test_a_failure_is_said_in_the_row_and_a_bad_url_at_the_field(
    qtbot: QtBot, panel: DownloadsPanel, server: Served
) -> None:
    assert panel.start("ftp://nowhere/x") is None
    assert panel.message.isVisible() and "http:// or https://" in panel.message.text()
    with qtbot.waitSignal(panel.failed, timeout=WAIT_MS) as failed:
        job = panel.start(f"{server.url}/missing")
    assert not panel.message.isVisible()
    assert "404 Not Found" in failed.args[1]
    assert panel.rows[job].status.text().startswith("Failed: The server answered 404")  # type: ignore[index]


def test_the_forms_library_and_options_are_used(qtbot: QtBot, server: Served, tmp_path: Path) -> None:
    used: list[HttpFormConfig] = []

    def options() -> HttpFormConfig:
        used.append(HttpFormConfig(backend=Backend.URLLIB, timeout=5))
        return used[-1]

    widget = DownloadsPanel(options=options, folder=str(tmp_path))
    qtbot.addWidget(widget)
    try:
        with qtbot.waitSignal(widget.finished, timeout=WAIT_MS) as done:
            widget.start(f"{server.url}/big.bin")
        assert len(used) == 1 and done.args[1] == str(tmp_path / "big.bin")
        assert server.agents[-1].startswith("Python-urllib/")  # the form's library, not the default
    finally:
        assert widget.shutdown()
