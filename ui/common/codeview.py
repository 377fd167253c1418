"""The code view: the current settings as a runnable Python program, coloured, with Copy and Save.

`CodeView` shows one program; `CodeBeside` puts a panel and its code view side by side and keeps the
program in step with the form: any edit in the panel regenerates it (debounced, and only while shown).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QModelIndex, QObject, Qt, QTimer, Signal, SignalInstance, Slot
from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTableWidget,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from netlab.core.config import ConfigError
from ui.common.widgets import LazySection, named

UPDATE_DELAY_MS = 150  # typing a word regenerates once, not once per key


def program_html(source: str) -> str:
    """Python source as HTML with inline colours, which QTextEdit renders without a style sheet."""
    from pygments import highlight

    return str(highlight(source, *_pygments()))


@functools.cache
def _pygments() -> tuple[Any, Any]:
    """The lexer and formatter, made on first use: pygments is not needed for the first paint."""
    from pygments.formatters import HtmlFormatter
    from pygments.lexers import PythonLexer

    return PythonLexer(), HtmlFormatter(noclasses=True, nobackground=True, style="default")


class CodeView(QWidget):
    """A read-only, coloured Python program with Copy and Save.

    Signals:
        saved(str): the program was written to this path.
    """

    saved = Signal(str)

    def __init__(self, prefix: str, filename: str = "program.py", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.filename = filename
        self._source = ""
        self.title = QLabel("<b>Python program</b>")
        self.choice = named(QComboBox(), f"{prefix}CodeChoice", "Which program")
        self.choice.hide()
        self.copy_button = named(QPushButton("Copy"), f"{prefix}CodeCopy", "Copy the program")
        self.save_button = named(QPushButton("Save…"), f"{prefix}CodeSave", "Save the program to a file")
        self.text = named(QTextEdit(), f"{prefix}Code", "Python program for these settings")
        self.text.setReadOnly(True)
        self.text.setLineWrapMode(QTextEdit.LineWrapMode.NoWrap)
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.note = QLabel()
        self.note.setObjectName(f"{prefix}CodeNote")
        self.note.setWordWrap(True)
        self.note.hide()

        header = QHBoxLayout()
        header.addWidget(self.title)
        header.addWidget(self.choice)
        header.addStretch(1)
        header.addWidget(self.copy_button)
        header.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(header)
        layout.addWidget(self.note)
        layout.addWidget(self.text, 1)
        self.copy_button.clicked.connect(self.copy)
        self.save_button.clicked.connect(self._on_save_clicked)

    def set_source(self, source: str, filename: str | None = None) -> None:
        if filename:
            self.filename = filename
        self.note.hide()
        self.copy_button.setEnabled(True)
        self.save_button.setEnabled(True)
        if source == self._source:
            return
        self._source = source
        scroll = self.text.verticalScrollBar().value()
        self.text.setHtml(program_html(source))
        self.text.verticalScrollBar().setValue(scroll)  # an edit must not jump the reader to the top

    def set_problem(self, text: str) -> None:
        """The settings make no program yet: say why above the last good one, which stays readable."""
        self.note.setText(f"<span style='color:#c62828'>Not a program yet: {text}</span>")
        self.note.show()
        self.copy_button.setEnabled(False)
        self.save_button.setEnabled(False)

    def source(self) -> str:
        return self._source

    @Slot()
    def copy(self) -> None:
        QGuiApplication.clipboard().setText(self._source)

    def save_to(self, path: str) -> None:
        Path(path).write_text(self._source, encoding="utf-8")
        self.saved.emit(path)

    @Slot()
    def _on_save_clicked(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save the program", self.filename, "Python (*.py)")
        if path:
            try:
                self.save_to(path)
            except OSError as exc:
                self.set_problem(f"could not save {path} ({exc.strerror or exc})")


class FormWatcher(QObject):
    """Calls back (debounced) whenever any input widget inside `root` changes, including ones added
    later: cell widgets of a table's new row, the fields of a folded section made when unfolded.

    Signals:
        changed(): the form changed; read the config again.
    """

    changed = Signal()

    def __init__(self, root: QWidget, delay_ms: int = UPDATE_DELAY_MS) -> None:
        super().__init__(root)
        self._root = root
        self._watched: set[int] = set()
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(delay_ms)
        self._timer.timeout.connect(self.changed)
        self.rescan()

    @Slot()
    def poke(self) -> None:
        self._timer.start()

    def rescan(self) -> None:
        """Connect every input widget not yet watched (a table may have grown a combo box per row)."""
        for widget in self._root.findChildren(QWidget):
            if id(widget) in self._watched:
                continue
            if isinstance(widget, LazySection) and not widget.is_made():
                self._watched.add(id(widget))
                widget.made.connect(self.rescan)  # its fields, once they exist
                continue
            signal = _change_signal(widget)
            if signal is None:
                continue
            self._watched.add(id(widget))
            signal.connect(self.poke)
            if isinstance(widget, QAbstractItemView) and widget.model() is not None:
                widget.model().rowsInserted.connect(self._on_rows_inserted)
                widget.model().rowsRemoved.connect(self.poke)

    @Slot(QModelIndex, int, int)
    def _on_rows_inserted(self, _parent: QModelIndex, _first: int, _last: int) -> None:
        # Cell widgets are set right after the row exists: scan once the caller has finished.
        QTimer.singleShot(0, self.rescan)
        self.poke()


def _change_signal(widget: QWidget) -> SignalInstance | None:
    if isinstance(widget, (QLineEdit, QPlainTextEdit)):
        return widget.textChanged
    if isinstance(widget, QComboBox):
        return widget.currentTextChanged
    if isinstance(widget, (QSpinBox, QDoubleSpinBox)):
        return widget.valueChanged
    if isinstance(widget, QAbstractButton) and widget.isCheckable():
        return widget.toggled
    if isinstance(widget, QTableWidget):
        return widget.itemChanged
    return None


class CodeBeside(QWidget):
    """A panel with its code view to the right, behind a "Show code" toggle so narrow screens keep the room.

    The toggle is not laid out here: the window puts it where it costs no height (NetLab: in the tab
    bar's corner, one per tab).

    `programs` maps a choice (e.g. "Server (socket)") to (filename, function building the program);
    a function may raise ConfigError, which the view shows in plain words.
    """

    def __init__(
        self,
        panel: QWidget,
        prefix: str,
        programs: Sequence[tuple[str, str, Callable[[], str]]],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.panel = panel
        self.prefix = prefix
        self.programs = list(programs)
        self.toggle = named(
            QPushButton("Show code"), f"{prefix}ShowCode", "Show the Python program for these settings"
        )
        self.toggle.setCheckable(True)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(panel)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.splitter, 1)
        # The view and the form watcher are made when the code is first shown: while hidden, nothing
        # needs to know of each edit, and the view's widgets and connecting every field of a big form
        # are a few ms of the window's start (issue 8).
        self._code: CodeView | None = None
        self.watcher: FormWatcher | None = None
        self.toggle.toggled.connect(self._on_toggle_toggled)

    @property
    def code(self) -> CodeView:
        if self._code is None:
            code = CodeView(self.prefix)
            code.setObjectName(f"{self.prefix}CodeView")
            for label, _, _ in self.programs:
                code.choice.addItem(label)
            code.choice.setVisible(len(self.programs) > 1)
            code.hide()
            self.splitter.addWidget(code)
            self.splitter.setStretchFactor(0, 3)
            self.splitter.setStretchFactor(1, 2)
            code.choice.currentIndexChanged.connect(self.refresh)
            self._code = code
        return self._code

    @Slot(bool)
    def _on_toggle_toggled(self, on: bool) -> None:
        self.code.setVisible(on)
        self.toggle.setText("Hide code" if on else "Show code")
        if on:
            if self.watcher is None:
                self.watcher = FormWatcher(self.panel)
                self.watcher.changed.connect(self.refresh)
            sizes = self.splitter.sizes()
            if sizes[1] == 0:  # added while hidden, the splitter gave it no room: share 3:2
                total = sum(sizes)
                self.splitter.setSizes([total * 3 // 5, total - total * 3 // 5])
            self.refresh()

    @Slot()
    def refresh(self) -> None:
        if self._code is None or not self._code.isVisible():
            return  # nobody is reading it: regenerate when shown
        _, filename, build = self.programs[max(0, self.code.choice.currentIndex())]
        try:
            source = build()
        except ConfigError as exc:
            self.code.set_problem(str(exc.problems[0]) if exc.problems else str(exc))
            return
        self.code.set_source(source, filename)
