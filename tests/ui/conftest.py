"""UI tests: the real window offscreen, isolated settings, and no engine thread left behind."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QSettings
from pytestqt.qtbot import QtBot

from ui.common import bridge
from ui.main_window import MainWindow

WAIT_MS = 5000


@pytest.fixture(autouse=True)
def isolated_settings(tmp_path: Path, qapp: QCoreApplication) -> None:
    QCoreApplication.setOrganizationName("NetLabTests")
    QCoreApplication.setApplicationName("NetLabTests")
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "settings"))


@pytest.fixture(autouse=True)
def no_engine_left_running() -> Iterator[None]:
    yield
    leftover = list(bridge.RUNNING)
    for runner in leftover:  # stop them, so one bad test does not break the next
        runner.stop()
        runner.wait(WAIT_MS)
    assert not leftover, f"test left {len(leftover)} engine thread(s) running"


@pytest.fixture
def window(qtbot: QtBot) -> Iterator[MainWindow]:
    main = MainWindow()
    qtbot.addWidget(main)
    main.show()
    yield main
    assert main.shutdown(), "an engine did not stop within 2 s"
