"""The shell: title, accessible names on every control, the error dialog, and the bridge's batching."""

from __future__ import annotations

import time

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QTextEdit,
    QWidget,
)
from pytestqt.qtbot import QtBot

from netlab.core.engine import Engine
from netlab.core.events import Data, Direction, Info, Sink
from ui.app import end, show_unexpected_error
from ui.common.bridge import BATCH_INTERVAL_MS, MAX_BATCH_EVENTS, EngineRunner
from ui.main_window import MainWindow

from .conftest import WAIT_MS

INTERACTIVE = (
    QAbstractButton,
    QLineEdit,
    QComboBox,
    QAbstractSpinBox,
    QPlainTextEdit,
    QTextEdit,
    QAbstractItemView,
)


def is_part_of_a_composite(widget: QWidget, top: QWidget) -> bool:
    """A combo's popup list, a spin box's line edit, a table's scroll arrows: Qt names those itself."""
    if widget.objectName().startswith("qt_") or (
        type(widget).__name__ == "QToolButton" and not widget.objectName()
    ):
        return True  # Qt's own: the menu bar's overflow button, a tab bar's scroll arrows
    parent = widget.parentWidget()
    while parent is not None and parent is not top:
        if (
            isinstance(parent, (QComboBox, QAbstractSpinBox, QAbstractItemView))
            or "Container" in type(parent).__name__
        ):
            return True
        parent = parent.parentWidget()
    return False


def test_title_names_netlab(window: MainWindow) -> None:
    assert "NetLab" in window.windowTitle()


def test_every_control_has_an_object_name_and_an_accessible_name(window: MainWindow) -> None:
    window.tcp.server.mode.setCurrentIndex(window.tcp.server.mode.findData("rules"))  # shows the rules
    controls = [
        w
        for w in window.findChildren(QWidget)
        if isinstance(w, INTERACTIVE) and not is_part_of_a_composite(w, window)
    ]
    missing = [
        f"{type(w).__name__} {w.objectName()!r}"
        for w in controls
        if not (w.objectName() and w.accessibleName())
    ]
    assert len(controls) > 50
    assert not missing, missing


def test_unexpected_errors_show_copyable_details_and_the_app_goes_on(
    qtbot: QtBot, monkeypatch: object
) -> None:
    shown: list[QMessageBox] = []
    monkeypatch.setattr(QMessageBox, "exec", lambda box: shown.append(box) or 0)  # type: ignore[attr-defined]
    try:
        raise RuntimeError("boom")
    except RuntimeError as exc:
        show_unexpected_error(RuntimeError, exc, exc.__traceback__)
    assert "boom" in shown[0].text()
    assert "Traceback" in shown[0].detailedText()


class Firehose(Engine):
    """Emits events as fast as it can until stopped: to watch the bridge batch them."""

    def __init__(self, sink: Sink) -> None:
        super().__init__(sink)
        self.sent = 0

    def setup(self) -> bool:
        self.loop.call_soon(self._burst)
        return True

    def _burst(self) -> None:
        for _ in range(2000):
            self.emit(Data(conn=1, direction=Direction.RECEIVED, data=b"x"))
            self.sent += 1
        if self.sent < 100_000:
            self.loop.call_soon(self._burst)
        else:
            self.emit(Info(text="done"))


def test_bridge_batches_at_most_once_per_interval(qtbot: QtBot) -> None:
    runner = EngineRunner(Firehose)
    batches: list[int] = []
    runner.events_arrived.connect(lambda events: batches.append(len(events)))
    started = time.monotonic()
    runner.start()
    qtbot.waitUntil(lambda: sum(batches) + runner.dropped >= 100_001, timeout=WAIT_MS * 4)
    elapsed_ms = (time.monotonic() - started) * 1000
    with qtbot.waitSignal(runner.finished, timeout=WAIT_MS):
        runner.stop()
    # A batch leaves on the GUI timer, at most one per interval (Qt's coarse timers may fire up to
    # 5% early, hence 0.95), plus the chunks that drain a backlog: no batch is over MAX_BATCH_EVENTS,
    # so no single one stalls the window.
    assert max(batches) <= MAX_BATCH_EVENTS
    backlog_chunks = sum(batches) // MAX_BATCH_EVENTS + 1
    assert len(batches) <= elapsed_ms / (BATCH_INTERVAL_MS * 0.95) + 2 + backlog_chunks
    assert len(batches) < 1000


def test_engine_threads_never_run_the_garbage_collector(qtbot: QtBot) -> None:
    import gc

    runner = EngineRunner(Firehose)
    assert not gc.isenabled()  # collection happens on the GUI thread's timer instead
    with qtbot.waitSignal(runner.finished, timeout=WAIT_MS * 4):
        runner.start()
        qtbot.waitUntil(lambda: runner.engine.sent >= 100_000, timeout=WAIT_MS * 4)
        runner.stop()


def test_qt_calls_keep_their_references(qtbot: QtBot) -> None:
    """PySide6 6.12.0 on Python < 3.12 lost a reference to None per void call, until the app aborted."""
    import sys

    from PySide6.QtWidgets import QCheckBox

    box = QCheckBox()
    qtbot.addWidget(box)
    before = sys.getrefcount(None)
    for _ in range(500):
        box.setChecked(not box.isChecked())
    assert abs(sys.getrefcount(None) - before) < 50


def test_the_app_ends_as_usual_while_its_window_is_still_open(window: MainWindow) -> None:
    assert end(window, 3) == 3  # nothing saved yet: Python ends the program in its own time


def test_building_the_window_opens_no_window_of_its_own(qtbot: QtBot) -> None:
    # A part shown before it has a parent is made a window (a platform window, then dropped when a
    # layout takes it): a cost to the first paint for nothing (issue 8).
    shown: list[str] = []

    class Watch(QObject):
        def eventFilter(self, watched: QObject, event: QEvent) -> bool:
            if event.type() == QEvent.Type.Show and isinstance(watched, QWidget) and watched.isWindow():
                shown.append(watched.objectName() or type(watched).__name__)
            return False

    watch = Watch()
    app = QApplication.instance()
    assert app is not None
    app.installEventFilter(watch)
    try:
        main = MainWindow()
    finally:
        app.removeEventFilter(watch)
    qtbot.addWidget(main)
    assert shown == []
