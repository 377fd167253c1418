"""One way to run an engine from a form: config checked at the fields, a runner, state, counters, log."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import QLabel, QSplitter, QVBoxLayout, QWidget

from netlab.core.config import ConfigError
from netlab.core.events import Event, Sink
from ui.common.bridge import EngineRunner
from ui.common.logpane import LogPane
from ui.common.widgets import CountersBar, FieldMarks

if TYPE_CHECKING:
    from netlab.core.engine import Engine

COUNTER_INTERVAL_MS = 1000


class EnginePanel(QWidget):
    """A form that starts and stops one engine. Subclasses build the widgets named below and say
    how to read the form (config), what to run (make_engine) and what to enable (set_running).

    Signals:
        status(str): a line for the window's status bar.
    """

    status = Signal(str)

    marks: FieldMarks
    state: QLabel
    counters: CountersBar
    log: LogPane

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runner: EngineRunner[Any] | None = None
        self._counter_timer = QTimer(self)
        self._counter_timer.setInterval(COUNTER_INTERVAL_MS)
        self._counter_timer.timeout.connect(self._refresh_counters)

    # ------------------------------------------------------------------ for subclasses
    def config(self) -> Any:
        """The form as a config; raises ConfigError naming the fields."""
        raise NotImplementedError

    def make_engine(self, config: Any, sink: Sink) -> Engine:
        raise NotImplementedError

    def set_running(self, running: bool) -> None:
        """Enable what can be used while the engine runs (or while it does not)."""
        raise NotImplementedError

    def on_events(self, events: list[Event]) -> None:
        """A batch has reached the log; update lists and labels."""

    def on_tick(self, engine: Any) -> None:
        """Once a second while running, after the counters."""

    # ------------------------------------------------------------------ the shared part
    @Slot()
    def start(self) -> None:
        if self.runner is not None:
            return
        try:
            config = self.config()
        except ConfigError as exc:
            self.marks.show(exc.problems)
            # The state line must not keep an older error beside the new one at the field.
            self.state.setText("Not started: fix the marked field")
            self.status.emit(str(exc.problems[0]))
            return
        self.marks.clear()
        self.counters.reset()
        self.runner = EngineRunner(lambda sink: self.make_engine(config, sink), self)
        self.log.attach(self.runner)  # Stream to file gets every event, before any drop
        self.runner.events_arrived.connect(self._on_events_arrived)
        self.runner.finished.connect(self._on_runner_finished)
        self.runner.start()
        self.state.setText("Starting…")
        self.set_running(True)
        self._counter_timer.start()

    @Slot()
    def stop(self) -> None:
        if self.runner is not None:
            self.runner.stop()
            self.state.setText("Stopping…")

    def runners(self) -> list[EngineRunner[Any]]:
        return [self.runner] if self.runner is not None else []

    @Slot(list)
    def _on_events_arrived(self, events: list[Event]) -> None:
        self.log.add_events(events)
        self.on_events(events)

    @Slot()
    def _on_runner_finished(self) -> None:
        runner, self.runner = self.runner, None
        self._counter_timer.stop()
        if runner is not None:
            self.counters.show_counters(runner.engine.counters())
            runner.deleteLater()
        if not self.state.text().startswith("Not started"):
            self.state.setText("Stopped")
        self.set_running(False)

    @Slot()
    def _refresh_counters(self) -> None:
        if self.runner is not None:
            self.counters.show_counters(self.runner.engine.counters())
            self.log.note_bridge_drops(self.runner.dropped)
            self.on_tick(self.runner.engine)


class SideBySide(QWidget):
    """A tab made of two panels, left and right, so a student sees both ends of one exchange.

    Each panel has `status` (a signal), `runner` (its engine runner, or None) and `stop()`.

    Signals:
        status(str): a line for the window's status bar, from either panel.
    """

    status = Signal(str)

    def __init__(self, object_name: str, left: Any, right: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(object_name)
        self.panels = (left, right)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(right)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(splitter)
        for panel in self.panels:
            panel.status.connect(self.status)

    def runners(self) -> list[EngineRunner[Any]]:
        return [panel.runner for panel in self.panels if panel.runner is not None]

    def stop_all(self) -> None:
        for panel in self.panels:
            panel.stop()
