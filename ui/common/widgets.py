"""Small widgets every tab shares: naming, field marks, the address row, payload editor, periodic row,
folding sections, the counters bar, and the form-above-log layout."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from PySide6.QtCore import QRegularExpression, QSize, Qt, Signal, Slot
from PySide6.QtGui import QKeySequence, QRegularExpressionValidator, QResizeEvent, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLayout,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSpinBox,
    QSplitter,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from netlab.core.codec import ENCODINGS, CodecError, LineEnding, Payload, PayloadKind, text_for_bytes
from netlab.core.config import Family, FieldProblem, port_problems
from netlab.core.counters import Counters
from netlab.core.present import human_bytes
from netlab.core.sendbox import PeriodicSend
from netlab.core.variables import VARIABLES, Expander, VariableError, convert_template, payload_bytes

W = TypeVar("W", bound=QWidget)

INVALID_STYLE = "border: 1px solid #c62828; background: #fff3f3;"
FORM_SHARE = 42  # percent of a panel's height the form starts with, above its log


def named(widget: W, object_name: str, accessible: str, tip: str = "") -> W:
    """Give a widget the stable objectName tests use and the accessible name screen readers read."""
    widget.setObjectName(object_name)
    widget.setAccessibleName(accessible)
    if tip:
        widget.setToolTip(tip)
    return widget


def breakable(text: str, every: int = 20) -> str:
    """Text a word-wrapping label can always wrap: a long word (a regex, a path, hex) gets a zero-width
    space every `every` characters, so it wraps instead of widening the form past its panel."""
    words = text.split(" ")
    for i, word in enumerate(words):
        if len(word) > every:
            words[i] = "\u200b".join(word[j : j + every] for j in range(0, len(word), every))
    return " ".join(words)


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


class PortBox(QLineEdit):
    """A port field that never changes what you typed: 70000 stays 70000 and is marked as out of
    range with the same words the CLI uses, instead of a spin box quietly keeping 7000.

    Signals:
        valueChanged(int): the digits changed (any number, in range or not).
    """

    valueChanged = Signal(int)

    def __init__(self, value: int, *, allow_zero: bool = True, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.allow_zero = allow_zero
        self._last_good = value
        self.setValidator(QRegularExpressionValidator(QRegularExpression(r"\d{0,7}"), self))
        self.setText(str(value))
        self.setMaximumWidth(110)
        self.textChanged.connect(self._on_text_changed)
        self.editingFinished.connect(self._on_editing_finished)

    def value(self) -> int:
        """The number typed (out of range included, so the config can say why); empty: the last one."""
        text = self.text()
        return int(text) if text else self._last_good

    def setValue(self, value: int) -> None:
        self.setText(str(value))

    def setMinimum(self, minimum: int) -> None:
        self.allow_zero = minimum <= 0
        self._on_text_changed(self.text())

    def problem(self) -> FieldProblem | None:
        problems = port_problems(self.value(), allow_zero=self.allow_zero)
        return problems[0] if problems else None

    @Slot(str)
    def _on_text_changed(self, text: str) -> None:
        if not text:
            return
        problem = self.problem()
        if problem is None:
            self._last_good = int(text)
        if self.property("plainTip") is None:
            self.setProperty("plainTip", self.toolTip())
        self.setStyleSheet(INVALID_STYLE if problem else "")
        self.setToolTip(str(problem) if problem else str(self.property("plainTip") or ""))
        self.valueChanged.emit(int(text))

    @Slot()
    def _on_editing_finished(self) -> None:
        if not self.text():
            self.setText(str(self._last_good))


class AddressRow(QWidget):
    """Where to listen or connect, on one line: host (editable list), port and address family."""

    def __init__(
        self,
        prefix: str,
        role: str,
        *,
        hosts: list[str],
        port: int,
        families: list[tuple[str, Family]],
        allow_zero: bool,
        host_tip: str = "",
        port_tip: str = "",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.host = named(QComboBox(), f"{prefix}Host", f"{role} address", host_tip)
        self.host.setEditable(True)
        self.host.addItems(hosts)
        self.port = named(PortBox(port, allow_zero=allow_zero), f"{prefix}Port", f"{role} port", port_tip)
        self.family = named(QComboBox(), f"{prefix}Family", "Address family")
        for label, family in families:
            self.family.addItem(label, family.value)
        layout = hbox(self.host, QLabel("Port"), self.port, self.family, stretch=self.host)
        layout.setContentsMargins(0, 0, 0, 0)
        self.setLayout(layout)

    def address(self) -> tuple[str, int, Family]:
        """As typed (trimmed); the config checks it."""
        return self.host.currentText().strip(), self.port.value(), Family(self.family.currentData())

    def set_address(self, host: str, port: int, family: Family) -> None:
        self.host.setCurrentText(host)
        self.port.setValue(port)
        select_data(self.family, family.value)


class FoldButton(QToolButton):
    """Folds a section of a form away (and back), so the log below gets the room.

    Signals:
        toggled(bool): True when the section is shown (QToolButton's own signal).
    """

    def __init__(self, title: str, section: QWidget, object_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        named(self, object_name, f"Show {title.lower()}", f"Show or fold away the {title.lower()}")
        self.section = section
        self.setText(title)
        self.setCheckable(True)
        # As the section already is: showing it again here would polish every widget in it now, even
        # in a section folded away straight after and never opened (issue 8).
        shown = not section.isHidden()
        self.setChecked(shown)
        self.setAutoRaise(True)
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.toggled.connect(self._on_toggled)
        self.setArrowType(Qt.ArrowType.DownArrow if shown else Qt.ArrowType.RightArrow)

    def unfolded(self) -> bool:
        return self.isChecked()

    def set_unfolded(self, shown: bool) -> None:
        self.setChecked(shown)

    @Slot(bool)
    def _on_toggled(self, shown: bool) -> None:
        self.section.setVisible(shown)
        self.setArrowType(Qt.ArrowType.DownArrow if shown else Qt.ArrowType.RightArrow)


class LazySection(QWidget):
    """A section whose widgets are made when it is first shown, or when `make()` is called.

    For what most sessions never open (a folded section, a mode's settings): widgets cost start-up
    time even hidden (issue 8). `fill` puts them into the section's layout. It starts hidden, and
    setVisible(True) (a FoldButton's unfolding, say) shows it. Born with a parent, like every section.

    Signals:
        made(): the widgets exist now (a form watcher looks again for fields to watch).
    """

    made = Signal()

    def __init__(self, name: str, fill: Callable[[QVBoxLayout], None], parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self._fill: Callable[[QVBoxLayout], None] | None = fill
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self.setVisible(False)  # shown along with its parent it would skip setVisible, so be empty

    def is_made(self) -> bool:
        return self._fill is None

    def make(self) -> None:
        fill, self._fill = self._fill, None
        if fill is not None:
            fill(self._layout)
            self.made.emit()

    def setVisible(self, visible: bool) -> None:
        # Made before it shows, not in showEvent: widgets added while it shows appear a turn later,
        # after a fold has already fitted the form to the empty section.
        if visible:
            self.make()
        super().setVisible(visible)


class PeriodicRow(QWidget):
    """Send every N ms, M times (0: until stopped), and one button that says what a click does.

    Signals:
        toggled(bool): the user started (True) or stopped (False) the periodic send.
    """

    toggled = Signal(bool)

    def __init__(self, prefix: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        defaults = PeriodicSend()
        self.interval = named(QSpinBox(), f"{prefix}PeriodicMs", "Periodic interval in ms")
        self.interval.setRange(1, 86_400_000)
        self.interval.setValue(defaults.interval_ms)
        self.interval.setSuffix(" ms")
        self.count = named(
            QSpinBox(), f"{prefix}PeriodicCount", "Periodic count", "0 sends until you stop it"
        )
        self.count.setRange(0, 10**9)
        self.count.setValue(defaults.count)
        self.count.setSpecialValueText("until stopped")
        self.button = named(QPushButton("Start periodic"), f"{prefix}Periodic", "Start periodic send")
        self.button.setCheckable(True)
        layout = hbox(QLabel("Every"), self.interval, QLabel("times"), self.count, self.button, None)
        layout.setContentsMargins(0, 0, 0, 0)
        self.setLayout(layout)
        self.button.toggled.connect(self._on_button_toggled)

    def periodic(self) -> PeriodicSend:
        """The settings as a config; raises ConfigError naming the field."""
        return PeriodicSend(self.interval.value(), self.count.value())

    def set_periodic(self, periodic: PeriodicSend) -> None:
        self.interval.setValue(periodic.interval_ms)
        self.count.setValue(periodic.count)

    def running(self) -> bool:
        return self.button.isChecked()

    def show_running(self, on: bool) -> None:
        """The engine started or ended it: show that, without asking anyone to start or stop."""
        self.button.blockSignals(True)
        self.button.setChecked(on)
        self.button.blockSignals(False)
        self._show_text(on)

    def _show_text(self, on: bool) -> None:
        self.button.setText("Stop periodic" if on else "Start periodic")

    @Slot(bool)
    def _on_button_toggled(self, on: bool) -> None:
        self._show_text(on)
        self.toggled.emit(on)


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
        self.message.setText(breakable("\n".join(str(p) for p in problems)))
        self.message.show()


class PayloadEditor(QWidget):
    """What to send: text (encoding, line ending, escapes) or hex, checked as you type.

    Signals:
        submitted(): the user pressed Ctrl+Enter in the data field.
    """

    submitted = Signal()

    def __init__(self, prefix: str, parent: QWidget | None = None, *, variables: bool = False) -> None:
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
        self.variables = named(
            QCheckBox("Variables"),
            f"{prefix}Variables",
            "Expand variables",
            "Fill in " + ", ".join("{" + v + "}" for v in VARIABLES) + " on every send; {{ is a brace."
            " In hex, {counter} is a byte and {random:N} N random bytes",
        )
        self.variables.setChecked(variables)
        if not variables:  # shown with the editor otherwise: showing it before it has a parent
            self.variables.hide()  # would make it a window of its own for a moment (issue 8)
        self.text = named(QPlainTextEdit(), f"{prefix}PayloadText", "Data to send")
        self.text.setPlaceholderText("Type the data to send (Ctrl+Enter sends)")
        self.text.setFixedHeight(54)
        self.text.setTabChangesFocus(True)
        send = QShortcut(QKeySequence("Ctrl+Return"), self.text, context=Qt.ShortcutContext.WidgetShortcut)
        send.activated.connect(self.submitted)
        self.error = QLabel()
        self.error.setStyleSheet("color: #c62828;")
        self.error.setWordWrap(True)
        self.error.setObjectName(f"{prefix}PayloadError")
        self.error.hide()

        options = QHBoxLayout()
        options.setContentsMargins(0, 0, 0, 0)
        for widget in (self.kind, self.encoding, self.eol, self.escapes, self.variables):
            options.addWidget(widget)
        options.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(options)
        layout.addWidget(self.text)
        layout.addWidget(self.error)
        self._shown_kind = str(self.kind.currentData())
        self.kind.currentIndexChanged.connect(self._on_kind_changed)
        self.text.textChanged.connect(self._on_text_changed)
        self.variables.toggled.connect(self._on_text_changed)
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
            data = self._trial()
        except CodecError as exc:
            self.show_problem(exc)
            return None
        if not data:
            self._show_error("There is nothing to send: type some text or hex first")
            return None
        self._show_error("")
        return data

    def _trial(self) -> bytes:
        """The bytes of a send, variables filled in by a throwaway expander (nothing is counted)."""
        if self.variables.isChecked():
            return payload_bytes(self.payload(), Expander())
        return self.payload().to_bytes()

    def show_problem(self, exc: CodecError) -> None:
        """A payload that can't be sent, said at the field (with the way out of a variable problem)."""
        hint = exc.hint
        if isinstance(exc, VariableError) and self.variables.isVisible():
            hint += ", or untick Variables to send braces as typed"
        self._show_error(f"{exc.message}: {hint}")

    def _show_error(self, text: str) -> None:
        self.error.setText(breakable(text))
        self.error.setVisible(bool(text))
        self.text.setStyleSheet(INVALID_STYLE if text else "")

    @Slot()
    def _on_kind_changed(self) -> None:
        kind = str(self.kind.currentData())
        if kind != self._shown_kind:
            self._convert(self._shown_kind, kind)
        self._shown_kind = kind
        is_text = kind == "text"
        for widget in (self.encoding, self.eol, self.escapes):
            widget.setEnabled(is_text)
        self._on_text_changed()

    def _convert(self, old: str, new: str) -> None:
        """Text <-> hex, as NetAssist does: the same bytes, shown the other way (the line ending is
        added when sending, so it is not part of the conversion). Text that doesn't make bytes stays."""
        typed = typed_text(self.text)
        if not typed:
            return
        encoding = str(self.encoding.currentData())
        try:
            if self.variables.isChecked():  # the variables stay variables; the text around them turns
                text, escapes = convert_template(
                    typed, to_hex=new == "hex", encoding=encoding, escapes=self.escapes.isChecked()
                )
                if new == "text":
                    self.escapes.setChecked(escapes)
                self.text.setPlainText(text)
            elif old == "text" and new == "hex":
                data = Payload(text=typed, encoding=encoding, escapes=self.escapes.isChecked()).to_bytes()
                self.text.setPlainText(data.hex(" "))
            elif old == "hex" and new == "text":
                text, escapes = text_for_bytes(Payload(kind=PayloadKind.HEX, text=typed).to_bytes(), encoding)
                self.escapes.setChecked(escapes)
                self.text.setPlainText(text)
        except CodecError:
            return  # kept as typed; the field says what is wrong with it

    @Slot()
    def _on_text_changed(self) -> None:
        if not self.text.toPlainText():
            self._show_error("")
            return
        try:
            self._trial()
        except CodecError as exc:
            self.show_problem(exc)
        else:
            self._show_error("")


class OneLineLabel(QLabel):
    """A one-line label that never widens its form: given less room than its text, it shows the start
    and keeps the whole text in its tooltip. (A word-wrapped label would ask for the height of its text
    wrapped narrow, which stretches a form with empty gaps.)"""

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self.setToolTip(text)

    def setText(self, text: str) -> None:
        super().setText(text)
        self.setToolTip(text)

    def minimumSizeHint(self) -> QSize:
        return QSize(self.fontMetrics().averageCharWidth() * 8, super().minimumSizeHint().height())


class CountersBar(OneLineLabel):
    """Connections, messages and bytes each way, and the current rates."""

    def __init__(self, object_name: str, parent: QWidget | None = None, *, connections: bool = True) -> None:
        super().__init__("", parent)
        # UDP has no connections: a count of them there would teach the wrong thing.
        self._connections = connections
        named(self, object_name, "Traffic counters")  # a long flood's totals never widen the form
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._last: tuple[float, Counters] | None = None
        self.show_counters(Counters())

    def reset(self) -> None:
        """A new engine starts from zero: forget the last reading, so no rate is taken across the two."""
        self._last = None
        self.show_counters(Counters())

    def show_counters(self, counters: Counters) -> None:
        now = time.monotonic()
        rate_in = rate_out = 0.0
        last = self._last
        # Counters only grow within one engine; smaller ones mean a new engine, so no rate is taken.
        if (
            last is not None
            and now > last[0]
            and counters.bytes_in >= last[1].bytes_in
            and counters.bytes_out >= last[1].bytes_out
        ):
            elapsed = now - self._last[0]
            rate_in = (counters.bytes_in - self._last[1].bytes_in) / elapsed
            rate_out = (counters.bytes_out - self._last[1].bytes_out) / elapsed
        self._last = (now, counters)
        text = (f"Connections: {counters.connections}   " if self._connections else "") + (
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


class FormAboveLog(QSplitter):
    """A form above a log, divided where the user drags. The log is what a student watches: until the
    user moves the divider, the form gets what it needs up to FORM_SHARE percent, and the log the rest."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(Qt.Orientation.Vertical, parent)
        self._divided = False
        self.share = FORM_SHARE  # a panel whose form matters more (the file server's QR code) asks for more
        self.splitterMoved.connect(self._on_splitter_moved)

    @Slot(int, int)
    def _on_splitter_moved(self, _pos: int, _index: int) -> None:
        self._divided = True  # the user's choice stands from now on

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.refit()

    def refit(self) -> None:
        """Give the form what it now needs (a section folded or unfolded), unless the user divided."""
        height = self.height()
        if not self._divided and height > 200 and self.count() == 2:
            form = self.widget(0)
            wanted = (
                form.widget().sizeHint().height()
                if isinstance(form, QScrollArea)
                else form.sizeHint().height()
            )
            first = min(wanted + 4, height * self.share // 100)
            self.setSizes([first, height - first])


def controls_above_log(
    owner: QWidget, title: str, parts: list[QWidget | QLayout], log: QWidget
) -> FormAboveLog:
    """The layout every panel shares: a title, its controls, then the log pane below a movable divider."""
    controls = QWidget()
    column = QVBoxLayout(controls)
    column.setContentsMargins(0, 0, 0, 0)
    for part in parts:
        if isinstance(part, QLayout):
            column.addLayout(part)
        else:
            column.addWidget(part)
    column.addStretch(1)  # room to spare goes below the form, not between its rows
    # The form scrolls inside its half of the divider, so a small screen (or a long error under a
    # field) never makes the window grow: drag the divider up and the log gets the room.
    scroll = QScrollArea()
    scroll.setObjectName(f"{owner.objectName() or title}Controls")
    scroll.setWidget(controls)
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QScrollArea.Shape.NoFrame)
    scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
    scroll.setMinimumHeight(60)
    splitter = FormAboveLog()
    splitter.setObjectName(f"{owner.objectName() or title}Splitter")
    splitter.addWidget(scroll)
    splitter.addWidget(log)
    splitter.setStretchFactor(0, 0)
    splitter.setStretchFactor(1, 1)
    splitter.setChildrenCollapsible(False)
    layout = QVBoxLayout(owner)
    if title:
        layout.addWidget(QLabel(f"<b>{title}</b>"))
    layout.addWidget(splitter)
    return splitter
