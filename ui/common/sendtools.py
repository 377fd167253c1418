"""Tools around a send box for protocol work: a checksum row, a send history, sending a text file
line by line, and saving the received bytes to a file."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import BinaryIO

from PySide6.QtCore import QEvent, QObject, QSettings, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from netlab.core.checksum import Algorithm, ByteOrder, Checksum
from netlab.core.codec import LineEnding, Payload, PayloadKind
from netlab.core.events import Data, Direction, Error, Event, Info
from ui.common.widgets import hbox, named, select_data

HISTORY_MAX = 50  # sends remembered per send box, newest last


class ChecksumRow(QWidget):
    """Append a checksum to each send and/or check the one at the end of each received message."""

    def __init__(self, prefix: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.append = named(
            QCheckBox("Append checksum"), f"{prefix}ChecksumAppend", "Append a checksum to each send"
        )
        self.verify = named(
            QCheckBox("Check received"),
            f"{prefix}ChecksumVerify",
            "Check the checksum at the end of each received message",
            "Each received piece is checked: good ones are noted, bad ones are marked in red",
        )
        self.algorithm = named(QComboBox(), f"{prefix}ChecksumAlgorithm", "Checksum algorithm")
        for algorithm in Algorithm:
            self.algorithm.addItem(algorithm.label, algorithm.value)
        self.order = named(
            QComboBox(),
            f"{prefix}ChecksumOrder",
            "Checksum byte order",
            "The order of a 2- or 4-byte checksum on the wire: MODBUS RTU sends its CRC low byte first",
        )
        self.order.addItem("big-endian", ByteOrder.BIG.value)
        self.order.addItem("little-endian", ByteOrder.LITTLE.value)
        self.skip_first = named(
            QSpinBox(), f"{prefix}ChecksumSkipFirst", "Bytes left out at the start", "e.g. 1 for an STX byte"
        )
        self.skip_last = named(
            QSpinBox(),
            f"{prefix}ChecksumSkipLast",
            "Bytes left out at the end",
            "Bytes before the checksum it does not cover, e.g. 2 for a CRLF",
        )
        for box in (self.skip_first, self.skip_last):
            box.setRange(0, 65_535)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(hbox(self.append, self.verify, self.algorithm, None))
        layout.addLayout(
            hbox(self.order, QLabel("leave out first"), self.skip_first, QLabel("last"), self.skip_last, None)
        )
        self.append.toggled.connect(self._on_toggled)
        self.verify.toggled.connect(self._on_toggled)
        self._on_toggled()

    def checksum(self) -> Checksum | None:
        """None when neither appending nor checking."""
        if not (self.append.isChecked() or self.verify.isChecked()):
            return None
        return Checksum(
            Algorithm(self.algorithm.currentData()),
            ByteOrder(self.order.currentData()),
            self.skip_first.value(),
            self.skip_last.value(),
            append=self.append.isChecked(),
            verify=self.verify.isChecked(),
        )

    def set_checksum(self, checksum: Checksum | None) -> None:
        self.append.setChecked(checksum is not None and checksum.append)
        self.verify.setChecked(checksum is not None and checksum.verify)
        if checksum is not None:
            select_data(self.algorithm, checksum.algorithm.value)
            select_data(self.order, checksum.byte_order.value)
            self.skip_first.setValue(checksum.skip_first)
            self.skip_last.setValue(checksum.skip_last)

    @Slot()
    def _on_toggled(self) -> None:
        on = self.append.isChecked() or self.verify.isChecked()
        for widget in (self.algorithm, self.order, self.skip_first, self.skip_last):
            widget.setEnabled(on)


def with_verdicts(events: list[Event], checksum: Checksum | None, source: str) -> list[Event]:
    """events with, after each received piece, a line saying whether its trailing checksum is right:
    a plain note when it is, an Error (a red row) when it is not."""
    if checksum is None or not checksum.verify:
        return events
    out: list[Event] = []
    for event in events:
        out.append(event)
        if not isinstance(event, Data) or event.direction is not Direction.RECEIVED:
            continue
        verdict = checksum.check(event.data)
        where = {"conn": event.conn, "peer": event.peer, "conversation": event.conversation}
        label = checksum.algorithm.label
        if verdict is None:
            text = f"{len(event.data)} bytes: too short to end in a {label} checksum"
            out.append(Info(source=source, text=text, **where))  # type: ignore[arg-type]
        elif verdict.ok:
            out.append(Info(source=source, text=verdict.describe(checksum.algorithm), **where))  # type: ignore[arg-type]
        else:
            hint = (
                "the bytes changed on the way, or the sender computes it another way: "
                "check the algorithm, the byte order and the bytes left out"
            )
            out.append(Error(source=source, message=verdict.describe(checksum.algorithm), hint=hint, **where))  # type: ignore[arg-type]
    return out


class SendHistory(QObject):
    """What a send box sent, newest last: Up and Down in the box recall it, a list picks from it.

    Kept in the workspace (QSettings, under history/<prefix>), at most HISTORY_MAX entries, and a
    send like the one before it is not kept twice.

    Signals:
        recalled(Payload): an entry was put back into the send box.
    """

    recalled = Signal(Payload)

    def __init__(self, prefix: str, text: QPlainTextEdit, picker: QComboBox) -> None:
        super().__init__(text)
        self.key = f"history/{prefix}"
        self.text = text
        self.picker = picker
        self.entries: list[Payload] = self._load()
        self._position = len(self.entries)  # len: past the newest, the box holds what is being typed
        self._fill_picker()
        text.installEventFilter(self)
        picker.activated.connect(self._on_picked)

    def add(self, payload: Payload) -> None:
        if not payload.text:
            return
        if not self.entries or self.entries[-1] != payload:
            self.entries = [*self.entries, payload][-HISTORY_MAX:]
            QSettings().setValue(self.key, json.dumps([_entry(p) for p in self.entries]))
            self._fill_picker()
        self._position = len(self.entries)

    def recall(self, step: int) -> bool:
        """Move back (-1) or forward (+1) through the history; False at either end."""
        position = self._position + step
        if not 0 <= position < len(self.entries):
            return False
        self._position = position
        self.recalled.emit(self.entries[position])
        return True

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # Up on the first line and Down on the last recall, as in a shell; elsewhere they move the cursor.
        if watched is self.text and event.type() == QEvent.Type.KeyPress:
            assert isinstance(event, QKeyEvent)
            cursor = self.text.textCursor()
            if event.key() == Qt.Key.Key_Up and cursor.blockNumber() == 0:
                return self.recall(-1)
            if event.key() == Qt.Key.Key_Down and cursor.blockNumber() == self.text.blockCount() - 1:
                return self.recall(+1)
        return super().eventFilter(watched, event)

    def _load(self) -> list[Payload]:
        try:
            raw = json.loads(str(QSettings().value(self.key, "[]")))
            return [Payload(PayloadKind(kind), text) for kind, text in raw][-HISTORY_MAX:]
        except (ValueError, TypeError):
            return []  # an unreadable history is dropped, not a reason to fail

    def _fill_picker(self) -> None:
        self.picker.clear()
        self.picker.addItem(f"History ({len(self.entries)})")
        for payload in reversed(self.entries):
            shown = payload.text if len(payload.text) <= 60 else payload.text[:57] + "…"
            self.picker.addItem(shown.replace("\n", "⏎"))
        self.picker.setEnabled(bool(self.entries))

    @Slot(int)
    def _on_picked(self, index: int) -> None:
        if index > 0:
            self._position = len(self.entries) - index
            self.recalled.emit(self.entries[self._position])
        self.picker.setCurrentIndex(0)


def _entry(payload: Payload) -> list[str]:
    return [payload.kind.value, payload.text]


def file_lines(path: str, encoding: str, eol: LineEnding) -> list[bytes]:
    """A text file's lines as bytes to send: with the send box's line ending, or the file's own when
    the send box has none. Raises OSError or UnicodeError."""
    with open(path, encoding=encoding, newline="") as file:
        lines = file.read().splitlines(keepends=True)
    if eol is LineEnding.NONE:
        return [line.encode(encoding) for line in lines]
    return [line.rstrip("\r\n").encode(encoding) + eol.bytes for line in lines]


class LineSender(QWidget):
    """Sends a text file one line at a time with a pause between lines; Cancel stops it.

    Signals:
        problem(str): the file could not be read; the text says why, in plain words.
    """

    problem = Signal(str)

    def __init__(self, prefix: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.button = named(
            QPushButton("Send lines…"),
            f"{prefix}SendLines",
            "Send a text file line by line",
            "Each line is sent on its own, with the delay between lines",
        )
        self.delay = named(QSpinBox(), f"{prefix}LineDelay", "Delay between lines (ms)")
        self.delay.setRange(0, 3_600_000)
        self.delay.setValue(500)
        self.delay.setSuffix(" ms")
        self.state = named(QLabel(""), f"{prefix}LinesState", "Line-by-line progress")
        self.cancel = named(QPushButton("Cancel"), f"{prefix}LinesCancel", "Stop sending lines")
        self.cancel.hide()
        layout = hbox(self.button, QLabel("every"), self.delay, self.state, self.cancel, None)
        layout.setContentsMargins(0, 0, 0, 0)
        self.setLayout(layout)
        self._lines: list[bytes] = []
        self._next = 0
        self._send: Callable[[bytes], bool] | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._send_next)
        self.cancel.clicked.connect(self.stop)

    def running(self) -> bool:
        return self._send is not None

    def start(self, lines: list[bytes], send: Callable[[bytes], bool]) -> None:
        """send(line) sends one line and says whether it could (False: the connection is gone)."""
        self.stop()
        self._lines, self._next, self._send = lines, 0, send
        self.cancel.show()
        self._send_next()

    @Slot()
    def stop(self) -> None:
        self._timer.stop()
        if self._send is not None and self._next < len(self._lines):
            self.state.setText(f"cancelled after {self._next} of {len(self._lines)} lines")
        self._send = None
        self.cancel.hide()

    @Slot()
    def _send_next(self) -> None:
        if self._send is None:
            return
        if self._next >= len(self._lines) or not self._send(self._lines[self._next]):
            done = self._next
            self._send = None
            self.cancel.hide()
            self.state.setText(f"sent {done} of {len(self._lines)} lines")
            return
        self._next += 1
        self.state.setText(f"line {self._next} of {len(self._lines)}")
        self._timer.start(self.delay.value())


class ReceiveToFile(QWidget):
    """Appends the raw received bytes (of one connection or all) to a file: exactly the bytes.

    Signals:
        problem(str): the file could not be opened or written; saving stopped.
    """

    problem = Signal(str)

    def __init__(self, prefix: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.button = named(
            QPushButton("Receive to file…"),
            f"{prefix}ReceiveFile",
            "Append received bytes to a file",
            "The raw bytes, exactly as received: not the log's format",
        )
        self.which = named(QComboBox(), f"{prefix}ReceiveWhich", "Which connection to save")
        self.which.addItem("all connections", None)
        self.path_label = named(QLabel(""), f"{prefix}ReceivePath", "File receiving the bytes")
        self.path_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.stop_button = named(QPushButton("Stop saving"), f"{prefix}ReceiveStop", "Stop saving")
        self.stop_button.hide()
        layout = hbox(self.button, self.which, self.path_label, self.stop_button, stretch=self.path_label)
        layout.setContentsMargins(0, 0, 0, 0)
        self.setLayout(layout)
        self._file: BinaryIO | None = None
        self._conn: int | None = None
        self.path = ""
        self.written = 0
        self.button.clicked.connect(self._on_button_clicked)
        self.stop_button.clicked.connect(self.stop)

    def set_connection(self, conn: int | None) -> None:
        """The connection 'this connection' means (the one selected in the list)."""
        self.which.clear()
        self.which.addItem("all connections", None)
        if conn is not None:
            self.which.addItem(f"connection #{conn} only", conn)

    def start(self, path: str, conn: int | None) -> bool:
        self.stop()
        try:
            self._file = open(path, "ab")  # noqa: SIM115 - open until stop(), written on every batch
        except OSError as exc:
            self._fail(path, exc)
            return False
        self.path, self._conn, self.written = path, conn, 0
        which = "all connections" if conn is None else f"connection #{conn}"
        self.path_label.setText(f"saving {which} to {path}")
        self.path_label.setStyleSheet("")
        self.stop_button.show()
        return True

    @Slot()
    def stop(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
            self.path_label.setText(f"saved {self.written:,} bytes to {self.path}")
        self.stop_button.hide()

    def saving(self) -> bool:
        return self._file is not None

    def take(self, events: list[Event]) -> None:
        """Write the received bytes of a batch, in order."""
        if self._file is None:
            return
        chunks = [
            event.data
            for event in events
            if isinstance(event, Data)
            and event.direction is Direction.RECEIVED
            and (self._conn is None or event.conn == self._conn)
        ]
        if not chunks:
            return
        try:
            for chunk in chunks:
                self._file.write(chunk)
            self._file.flush()  # another program may be reading the file as it grows
        except OSError as exc:
            self._file.close()
            self._file = None
            self.stop_button.hide()
            self._fail(self.path, exc)
            return
        self.written += sum(len(chunk) for chunk in chunks)

    def _fail(self, path: str, exc: OSError) -> None:
        from netlab.core.errors import explain  # the error table needs socket: not the first paint

        problem = explain(exc, action="write")
        text = f"Could not save to {path}: {problem.message}"
        self.path_label.setText(f"{text} ({problem.hint})" if problem.hint else text)
        self.path_label.setStyleSheet("color: #c62828;")
        self.problem.emit(text)

    @Slot()
    def _on_button_clicked(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Append received bytes to", self.path)
        if path:
            self.start(path, self.which.currentData())
