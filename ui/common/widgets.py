"""Small widgets every tab shares: naming, field error marks, the payload editor, the counters bar."""

from __future__ import annotations

import time
from typing import TypeVar

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLayout,
    QPlainTextEdit,
    QSizePolicy,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from netlab.core.codec import ENCODINGS, CodecError, LineEnding, Payload, PayloadKind
from netlab.core.config import FieldProblem
from netlab.core.engine import Counters
from netlab.core.present import human_bytes

W = TypeVar("W", bound=QWidget)

INVALID_STYLE = "border: 1px solid #c62828; background: #fff3f3;"


def named(widget: W, object_name: str, accessible: str, tip: str = "") -> W:
    """Give a widget the stable objectName tests use and the accessible name screen readers read."""
    widget.setObjectName(object_name)
    widget.setAccessibleName(accessible)
    if tip:
        widget.setToolTip(tip)
    return widget


def typed_text(edit: QPlainTextEdit) -> str:
    """The text exactly as typed. toPlainText() turns a no-break space into a space, which would
    change the bytes sent (c2 a0 -> 20); the raw text keeps it, with paragraph breaks as U+2029."""
    return edit.document().toRawText().replace("\u2029", "\n")


def select_data(combo: QComboBox, value: str) -> None:
    """Select the item whose data is `value`; a value the list lacks (from a lab file) is added."""
    index = combo.findData(value)
    if index < 0:
        combo.addItem(value, value)
        index = combo.count() - 1
    combo.setCurrentIndex(index)


class FieldMarks:
    """Shows config problems at the fields they belong to, and in one message label."""

    def __init__(self, fields: dict[str, QWidget], message: QLabel) -> None:
        self.fields = fields
        self.message = message
        message.setWordWrap(True)
        message.setStyleSheet("color: #c62828;")
        message.hide()
        self._marked: list[QWidget] = []

    def clear(self) -> None:
        for widget in self._marked:
            widget.setStyleSheet("")
            widget.setToolTip(widget.property("plainTip") or "")
        self._marked.clear()
        self.message.clear()
        self.message.hide()

    def show(self, problems: tuple[FieldProblem, ...] | list[FieldProblem]) -> None:
        self.clear()
        for problem in problems:
            widget = self.fields.get(problem.field)
            if widget is not None:
                if widget.property("plainTip") is None:
                    widget.setProperty("plainTip", widget.toolTip())
                widget.setStyleSheet(INVALID_STYLE)
                widget.setToolTip(str(problem))
                self._marked.append(widget)
        self.message.setText("\n".join(str(p) for p in problems))
        self.message.show()


class PayloadEditor(QWidget):
    """What to send: text (encoding, line ending, escapes) or hex, checked as you type.

    Signals:
        submitted(): the user pressed Ctrl+Enter in the data field.
    """

    submitted = Signal()

    def __init__(self, prefix: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.kind = named(QComboBox(), f"{prefix}PayloadKind", "Payload format")
        self.kind.addItem("Text", "text")
        self.kind.addItem("Hex", "hex")
        self.encoding = named(QComboBox(), f"{prefix}PayloadEncoding", "Text encoding")
        for label, codec in ENCODINGS.items():
            self.encoding.addItem(label, codec)
        self.eol = named(QComboBox(), f"{prefix}PayloadEol", "Line ending")
        for label, value in (
            ("No line ending", LineEnding.NONE),
            ("LF \\n", LineEnding.LF),
            ("CRLF \\r\\n", LineEnding.CRLF),
        ):
            self.eol.addItem(label, value.value)
        self.escapes = named(
            QCheckBox("Escapes"),
            f"{prefix}PayloadEscapes",
            "Read escapes",
            r"Read \r \n \t \0 \\ and \xNN in the text",
        )
        self.text = named(QPlainTextEdit(), f"{prefix}PayloadText", "Data to send")
        self.text.setPlaceholderText("Type the data to send (Ctrl+Enter sends)")
        self.text.setFixedHeight(54)
        self.text.setTabChangesFocus(True)
        send = QShortcut(QKeySequence("Ctrl+Return"), self.text, context=Qt.ShortcutContext.WidgetShortcut)
        send.activated.connect(self.submitted)
        self.error = QLabel()
        self.error.setStyleSheet("color: #c62828;")
        self.error.setObjectName(f"{prefix}PayloadError")
        self.error.hide()

        options = QHBoxLayout()
        options.setContentsMargins(0, 0, 0, 0)
        for widget in (self.kind, self.encoding, self.eol, self.escapes):
            options.addWidget(widget)
        options.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(options)
        layout.addWidget(self.text)
        layout.addWidget(self.error)
        self.kind.currentIndexChanged.connect(self._on_kind_changed)
        self.text.textChanged.connect(self._on_text_changed)
        self._on_kind_changed()

    def payload(self) -> Payload:
        return Payload(
            kind=str(self.kind.currentData()),
            text=typed_text(self.text),
            encoding=str(self.encoding.currentData()),
            eol=LineEnding(self.eol.currentData()),
            escapes=self.escapes.isChecked(),
        )

    def set_payload(self, payload: Payload) -> None:
        """Show a payload config. A file payload is sent with "Send file…", so the editor keeps text."""
        is_file = payload.kind is PayloadKind.FILE
        select_data(self.kind, PayloadKind.TEXT.value if is_file else payload.kind.value)
        self.text.setPlainText("" if is_file else payload.text)
        select_data(self.encoding, payload.encoding)
        select_data(self.eol, payload.eol.value)
        self.escapes.setChecked(payload.escapes)

    def to_bytes(self) -> bytes | None:
        """The bytes, or None after showing why not at the field."""
        try:
            data = self.payload().to_bytes()
        except CodecError as exc:
            self._show_error(f"{exc.message}: {exc.hint}")
            return None
        if not data:
            self._show_error("There is nothing to send: type some text or hex first")
            return None
        self._show_error("")
        return data

    def _show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.setVisible(bool(text))
        self.text.setStyleSheet(INVALID_STYLE if text else "")

    @Slot()
    def _on_kind_changed(self) -> None:
        is_text = self.kind.currentData() == "text"
        for widget in (self.encoding, self.eol, self.escapes):
            widget.setEnabled(is_text)
        self._on_text_changed()

    @Slot()
    def _on_text_changed(self) -> None:
        if not self.text.toPlainText():
            self._show_error("")
            return
        try:
            self.payload().to_bytes()
        except CodecError as exc:
            self._show_error(f"{exc.message}: {exc.hint}")
        else:
            self._show_error("")


class CountersBar(QLabel):
    """Connections, messages and bytes each way, and the current rates."""

    def __init__(self, object_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        named(self, object_name, "Traffic counters")
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._last: tuple[float, Counters] | None = None
        self.show_counters(Counters())

    def show_counters(self, counters: Counters) -> None:
        now = time.monotonic()
        rate_in = rate_out = 0.0
        if self._last is not None and now > self._last[0]:
            elapsed = now - self._last[0]
            rate_in = (counters.bytes_in - self._last[1].bytes_in) / elapsed
            rate_out = (counters.bytes_out - self._last[1].bytes_out) / elapsed
        self._last = (now, counters)
        text = (
            f"Connections: {counters.connections}   "
            f"In: {counters.messages_in:,} msgs, {human_bytes(counters.bytes_in)} "
            f"({human_bytes(rate_in)}/s)   "
            f"Out: {counters.messages_out:,} msgs, {human_bytes(counters.bytes_out)} "
            f"({human_bytes(rate_out)}/s)"
        )
        if counters.dropped_bytes:
            text += f"   Dropped for slow peers: {human_bytes(counters.dropped_bytes)}"
        self.setText(text)


def hbox(*items: QWidget | None, stretch: QWidget | None = None) -> QHBoxLayout:
    """Widgets left to right; None leaves a stretch there, and `stretch` takes the spare room."""
    layout = QHBoxLayout()
    for item in items:
        if item is None:
            layout.addStretch(1)
        else:
            layout.addWidget(item, 1 if item is stretch else 0)
    return layout


def controls_above_log(owner: QWidget, title: str, parts: list[QWidget | QLayout], log: QWidget) -> None:
    """The layout every panel shares: a title, its controls, then the log pane below a movable divider."""
    controls = QWidget()
    column = QVBoxLayout(controls)
    column.setContentsMargins(0, 0, 0, 0)
    for part in parts:
        if isinstance(part, QLayout):
            column.addLayout(part)
        else:
            column.addWidget(part)
    splitter = QSplitter(Qt.Orientation.Vertical)
    splitter.addWidget(controls)
    splitter.addWidget(log)
    splitter.setStretchFactor(1, 1)
    layout = QVBoxLayout(owner)
    if title:
        layout.addWidget(QLabel(f"<b>{title}</b>"))
    layout.addWidget(splitter)
