"""The live log pane, one widget for every tab: a table over a bounded store, a row's hexdump and text.

Its Follow stream dialog is in ui/common/follow.py."""

from __future__ import annotations

import functools
import io
import weakref
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QModelRoleDataSpan,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
    Slot,
)
from PySide6.QtGui import QBrush, QColor, QFont, QFontDatabase, QGuiApplication, QPaintEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QSplitter,
    QTableView,
    QTabWidget,
    QTextEdit,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from netlab.core.codec import ENCODINGS, decode_marked, hexdump
from netlab.core.conversations import key_of, name_of
from netlab.core.events import Data, Direction, Error, Event, HttpExchange, Opened, direction_of
from netlab.core.logstore import (
    COLUMNS,
    LogFilter,
    LogStore,
    Ring,
    Row,
    StreamWriter,
    write_csv,
    write_jsonl,
    write_text,
)
from netlab.core.present import (
    arrow,
    byte_count,
    connection_label,
    format_clock,
    format_delta,
    format_time,
    summary,
)
from ui.common.bridge import EngineRunner, gui_turn
from ui.common.widgets import OneLineLabel, named

# Wireshark's Follow Stream colours: sent red, received blue; system rows grey.
TEXT_COLOURS = {Direction.SENT: "#9b1c1c", Direction.RECEIVED: "#1a3a9b", Direction.SYSTEM: "#666666"}
BACK_COLOURS = {Direction.SENT: "#fbeded", Direction.RECEIVED: "#ededfb", Direction.SYSTEM: "#ffffff"}
ERROR_COLOUR = "#b3261e"


class Brushes:
    """The log's colours as Qt brushes, for the table's foreground and background roles."""

    def __init__(self) -> None:
        self.text = {d: QBrush(QColor(c)) for d, c in TEXT_COLOURS.items()}
        self.back = {d: QBrush(QColor(c)) for d, c in BACK_COLOURS.items()}
        self.error = QBrush(QColor(ERROR_COLOUR))


DETAIL_LIMIT = 1024 * 1024  # bytes of one payload shown in the detail pane

COLUMN_COUNT = len(COLUMNS)
PEER_CHOICES = 50  # peers offered in the filter list: the most recent ones
REBUILD_CHUNK = 10_000  # rows a rebuild filters per turn of the event loop: about 20 ms here (issue 8)
CELL_CACHE_ROWS = 4096  # rows whose cell texts are kept: a few screens' worth
STATUS_MS = 250  # during traffic the row counts are redrawn at most 4 times a second

# Plain ints: Qt passes roles as ints, and comparing an int with an enum member costs more.
_DISPLAY = int(Qt.ItemDataRole.DisplayRole)
_FOREGROUND = int(Qt.ItemDataRole.ForegroundRole)
_BACKGROUND = int(Qt.ItemDataRole.BackgroundRole)
_FONT = int(Qt.ItemDataRole.FontRole)
_ALIGNMENT = int(Qt.ItemDataRole.TextAlignmentRole)
_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
_RIGHT_COLUMNS = (0, 5)  # No. and Bytes
_DELTA_COLUMN = 2
_DATA_COLUMN = 6

# How a row is drawn: its cell texts, text and back colours, and whether it is a payload (fixed-width).
Look = tuple[tuple[str, ...], QBrush, QBrush, bool]

SAVE_FORMATS = {"Text (*.txt)": write_text, "CSV (*.csv)": write_csv, "JSON Lines (*.jsonl)": write_jsonl}


def mono_font() -> QFont:
    return QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)


class LogModel(QAbstractTableModel):
    """The rows the view shows: the store's rows that pass the filter, formatted only when asked for.

    Signals:
        rebuilt(): a rebuild (new filter, resume) has gone through the whole store.
    """

    rebuilt = Signal()

    def __init__(self, store: LogStore, parent: Any = None) -> None:
        super().__init__(parent)
        self.store = store
        self.rows: Ring[Row] = Ring()
        self.filter = LogFilter()
        self.paused = False
        self._mono = mono_font()
        self._cache: dict[int, Look] = {}  # seq -> _look()
        self._last: tuple[Row, Look] | None = None  # the row _look() answered last, and its look
        self._scan: int | None = None  # next store seq a rebuild looks at, while one is going
        self._generation = 0  # which rebuild a scheduled chunk belongs to

    @functools.cached_property
    def _brushes(self) -> Brushes:
        """Made for the first row shown: Qt's first QBrush costs 2 ms, not worth an empty log's start."""
        return Brushes()

    # ------------------------------------------------------------------ Qt model API
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def index(
        self,
        row: int,
        column: int,
        parent: QModelIndex | QPersistentModelIndex = QModelIndex(),  # noqa: B008
    ) -> QModelIndex:
        """Qt's own index() asks Python for rowCount() and columnCount() per cell: two GIL crossings
        saved on every painted cell by answering here."""
        if 0 <= row < len(self.rows) and 0 <= column < COLUMN_COUNT and not parent.isValid():
            return self.createIndex(row, column)
        return QModelIndex()

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return COLUMNS[section]
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = 0) -> Any:
        if not index.isValid():
            return None
        if role == Qt.ItemDataRole.ToolTipRole and index.column() == 1:
            return format_time(self.rows[index.row()].event.wall)
        if role == Qt.ItemDataRole.ToolTipRole:
            return (
                summary(self.rows[index.row()].event, self.filter.encoding, limit=400)
                if index.column() == 6
                else None
            )
        return self._role(index.row(), index.column(), role)

    def multiData(self, index: QModelIndex | QPersistentModelIndex, span: QModelRoleDataSpan) -> None:
        """Every role of one cell in one call: a painted cell crosses into Python once, not seven times.

        Each crossing takes the GIL, and during a flood the engine thread holds it between socket
        calls, so each one can wait; fewer crossings, and little Python in each, is what keeps
        repaints short (issue 8). A row's look is made once (`_look`), not per cell and role.
        """
        if not index.isValid():
            return
        position, column = index.row(), index.column()
        cells, foreground, background, payload = self._look(position)
        # Every role this model answers is set, None too: Qt hands the same span from cell to cell,
        # so a role left alone would keep the last cell's value (the Time column aligned right).
        for slot in span:
            role = slot.role()
            if role == _DISPLAY:
                slot.setData(self._delta(position) if column == _DELTA_COLUMN else cells[column])
            elif role == _FOREGROUND:
                slot.setData(foreground)
            elif role == _BACKGROUND:
                slot.setData(background)
            elif role == _FONT:
                slot.setData(self._mono if payload and column == _DATA_COLUMN else None)
            elif role == _ALIGNMENT:
                slot.setData(_RIGHT if column in _RIGHT_COLUMNS else None)

    def _role(self, position: int, column: int, role: int) -> Any:
        """One role of one cell, as multiData sets it (for data(): tests, accessibility, copies).

        multiData makes the same choices inline: calling this for each role cost a repaint 0.2 ms.
        """
        cells, foreground, background, payload = self._look(position)
        if role == _DISPLAY:
            return self._delta(position) if column == _DELTA_COLUMN else cells[column]
        if role == _FOREGROUND:
            return foreground
        if role == _BACKGROUND:
            return background
        if role == _FONT:
            return self._mono if payload and column == _DATA_COLUMN else None
        if role == _ALIGNMENT:
            return _RIGHT if column in _RIGHT_COLUMNS else None
        return None

    def _look(self, position: int) -> Look:
        """A row's cell texts, colours and whether it is a payload: made once when first shown (not
        on every repaint), kept for the newest rows."""
        row = self.rows[position]
        last = self._last
        if last is not None and last[0] is row:  # Qt paints a row's cells one after another
            return last[1]
        look = self._cache.get(row.seq)
        if look is None:
            if len(self._cache) >= CELL_CACHE_ROWS:
                self._forget_looks()
            event = row.event
            count = byte_count(event)
            direction = direction_of(event)
            failed = isinstance(event, Error) or (isinstance(event, HttpExchange) and event.status >= 400)
            brushes = self._brushes
            cells = (
                str(row.seq + 1),
                format_clock(event.wall),
                "",
                "request" if isinstance(event, HttpExchange) else arrow(direction),
                name_of(event),  # each pane belongs to one engine, so its name would only repeat
                "" if count is None else str(count),
                summary(event, self.filter.encoding),
            )
            look = (
                cells,
                brushes.error if failed else brushes.text[direction],
                brushes.back[direction],
                isinstance(event, Data),
            )
            self._cache[row.seq] = look
        self._last = (row, look)
        return look

    def _forget_looks(self) -> None:
        """The rows' looks are made again when next shown (a new encoding, or a new start)."""
        self._cache.clear()
        self._last = None

    def _delta(self, position: int) -> str:
        event = self.rows[position].event
        previous = self.rows[position - 1].event if position else None
        return format_delta(event.mono - previous.mono if previous else 0.0)

    # ------------------------------------------------------------------ feeding
    def add(self, added: list[Row]) -> None:
        """Rows the store just took; rows it dropped leave the view too. One insert per batch."""
        if self.paused:
            return
        first = self.store.first_seq
        gone = 0
        while gone < len(self.rows) and self.rows[gone].seq < first:
            gone += 1
        if gone:
            self.beginRemoveRows(QModelIndex(), 0, gone - 1)
            self.rows.drop_front(gone)
            self.endRemoveRows()
        if self._scan is not None:
            return  # a rebuild is still going through the store: it will reach these rows too
        matching = added if self.filter.is_empty else [r for r in added if self.filter.matches(r.event)]
        if matching:
            start = len(self.rows)
            self.beginInsertRows(QModelIndex(), start, start + len(matching) - 1)
            self.rows.extend(matching)
            self.endInsertRows()

    def rebuild(self) -> None:
        """Start over from the store, REBUILD_CHUNK rows at a time: a million rows are filtered
        over several turns of the event loop, so the window keeps answering (rebuilt() at the end)."""
        self.beginResetModel()
        self._forget_looks()
        self.rows = Ring()
        self._scan = self.store.first_seq
        self._generation += 1
        self.endResetModel()
        self._continue_scan(self._generation)

    def _continue_scan(self, generation: int) -> None:
        if generation != self._generation or self._scan is None:
            return  # a newer rebuild (or a clear) took over
        store = self.store
        base = store.first_seq
        start = max(self._scan, base)
        end = base + len(store)
        stop = min(end, start + REBUILD_CHUNK)
        rows = store.rows
        chunk = [rows[i - base] for i in range(start, stop)]
        if not self.filter.is_empty:
            matches = self.filter.matches
            chunk = [row for row in chunk if matches(row.event)]
        if chunk:
            first = len(self.rows)
            self.beginInsertRows(QModelIndex(), first, first + len(chunk) - 1)
            self.rows.extend(chunk)
            self.endInsertRows()
        if stop < end:
            self._scan = stop
            QTimer.singleShot(0, self, lambda: self._continue_scan(generation))
        else:
            self._scan = None
            self.rebuilt.emit()

    @property
    def scanning(self) -> bool:
        return self._scan is not None

    def set_filter(self, log_filter: LogFilter) -> None:
        only_encoding = log_filter.is_empty and self.filter.is_empty
        self.filter = log_filter
        self._forget_looks()
        if only_encoding:
            if self.rows:
                self.dataChanged.emit(self.index(0, 6), self.index(len(self.rows) - 1, 6))
        else:
            self.rebuild()

    def set_paused(self, paused: bool) -> None:
        self.paused = paused
        if not paused:
            self.rebuild()

    def clear(self) -> None:
        self.beginResetModel()
        self._forget_looks()
        self._scan = None
        self._generation += 1
        self.store.clear()
        self.rows = Ring()
        self.endResetModel()


# Panes writing a stream file: quitting closes each, without a search through every widget.
_STREAMING: weakref.WeakSet[LogPane] = weakref.WeakSet()


def stop_every_stream() -> None:
    """Write out and close every stream file (the window does this when it closes)."""
    for pane in list(_STREAMING):
        pane.stop_streaming()


class LogTable(QTableView):
    """The log's table: paints while holding the GUI's turn, so the engine threads don't make each
    painted cell wait for the GIL (see bridge.gui_turn)."""

    def paintEvent(self, event: QPaintEvent) -> None:
        with gui_turn():
            super().paintEvent(event)


class LogPane(QWidget):
    """Every tab's traffic log: filter, pause, auto-scroll, clear, copy, save, stream to file, follow stream.

    Signals:
        problem(str): an Error event arrived; the text is its message and hint, for the status bar.
    """

    problem = Signal(str)

    def __init__(
        self,
        prefix: str,
        parent: QWidget | None = None,
        store: LogStore | None = None,
        socket_calls: bool = True,
    ) -> None:
        super().__init__(parent)
        self.prefix = prefix
        self.store = store if store is not None else LogStore(max_bytes=128 * 1024 * 1024)
        self.model = LogModel(self.store, self)
        self._writer: StreamWriter | None = None
        self._tapped = False  # attached to a runner: the writer is fed on the engine's thread
        self._peers: dict[str, None] = {}  # oldest first, at most PEER_CHOICES
        self.bridge_dropped = 0

        self.filter_text = named(QLineEdit(), f"{prefix}LogFilter", "Filter log by text")
        self.filter_text.setPlaceholderText("Filter: text in the data or the summary")
        # Its clear button only shows once there is text: made then, not in every pane before the
        # window shows (the button's icon costs 0.6 ms a pane, issue 8).
        self.filter_text.textChanged.connect(self._offer_clear_button, Qt.ConnectionType.SingleShotConnection)
        self.peer = named(QComboBox(), f"{prefix}LogPeer", "Filter log by peer")
        self.peer.addItem("All peers", "")
        self.direction = named(QComboBox(), f"{prefix}LogDirection", "Filter log by direction")
        self.direction.addItem("All directions", "")
        for label, direction in (
            ("Sent", Direction.SENT),
            ("Received", Direction.RECEIVED),
            ("System", Direction.SYSTEM),
        ):
            self.direction.addItem(label, direction.value)
        self.encoding = named(QComboBox(), f"{prefix}LogEncoding", "Decode data as")
        for label, codec in ENCODINGS.items():
            self.encoding.addItem(label, codec)
        # A view filter, not the panel's "Show socket calls" (which decides whether calls are
        # recorded at all): its own words and tip, so the two are not mistaken for each other.
        self.calls = named(
            QCheckBox("Call rows in view"),
            f"{prefix}LogCalls",
            "Filter: show socket-call rows",
            "View filter: show or hide the socket-call rows already in this log. "
            "Whether calls are recorded at all is the panel's 'Show socket calls'.",
        )
        self.calls.setChecked(True)
        if not socket_calls:
            self.calls.hide()  # show() on a widget with no parent yet would open it as a window
        self.pause = named(
            QToolButton(), f"{prefix}LogPause", "Pause the log view", "Freeze the view; nothing is lost"
        )
        self.pause.setText("Pause")
        self.pause.setCheckable(True)
        self.autoscroll = named(QToolButton(), f"{prefix}LogAutoscroll", "Auto-scroll")
        self.autoscroll.setText("Auto-scroll")
        self.autoscroll.setCheckable(True)
        self.autoscroll.setChecked(True)
        self.clear_button = named(QToolButton(), f"{prefix}LogClear", "Clear the log")
        self.clear_button.setText("Clear")
        self.copy_button = named(QToolButton(), f"{prefix}LogCopy", "Copy selected rows")
        self.copy_button.setText("Copy")
        self.save_button = named(
            QToolButton(), f"{prefix}LogSave", "Save the log", "Save as text, CSV or JSON Lines"
        )
        self.save_button.setText("Save…")
        self.stream_button = named(
            QToolButton(),
            f"{prefix}LogStream",
            "Stream everything to a file",
            "Also write every row to a JSON Lines file",
        )
        self.stream_button.setText("Stream to file…")
        self.stream_button.setCheckable(True)
        self.follow_button = named(
            QToolButton(), f"{prefix}LogFollow", "Follow stream", "Show the selected row's whole conversation"
        )
        self.follow_button.setText("Follow stream")
        # A label whose minimum width followed its text would re-lay out (and repaint) the whole
        # window each time the counts grew a digit: during a flood that was most of the GUI's time.
        self.status = named(OneLineLabel(), f"{prefix}LogStatus", "Log status")

        self.table = named(LogTable(), f"{prefix}LogTable", "Traffic log")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.table.setWordWrap(False)
        self.table.setAlternatingRowColors(False)
        self.table.setShowGrid(False)
        vertical = self.table.verticalHeader()
        vertical.hide()
        vertical.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vertical.setDefaultSectionSize(self.fontMetrics().height() + 4)
        header = self.table.horizontalHeader()
        header.setStretchLastSection(True)  # Data takes whatever width is left
        header.setMinimumSectionSize(24)
        metrics = self.table.fontMetrics()
        samples = (
            "99999",
            "23:59:59.999",
            "+0.000000",
            "← received",
            "#99 127.0.0.1:65535",
            "99999",
        )
        for column, sample in enumerate(samples):
            header.resizeSection(column, metrics.horizontalAdvance(sample) + 14)

        self.hex_view = named(QPlainTextEdit(), f"{prefix}LogHex", "Hex dump of the selected row")
        self.text_view = named(QTextEdit(), f"{prefix}LogText", "Decoded text of the selected row")
        for view in (self.hex_view, self.text_view):
            view.setReadOnly(True)
            view.setFont(mono_font())
        self.hex_view.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.detail = named(QTabWidget(), f"{prefix}LogDetail", "Row detail")
        self.detail.addTab(self.hex_view, "Hex")
        self.detail.addTab(self.text_view, "Text")

        filters = QHBoxLayout()
        for widget in (self.filter_text, self.peer, self.direction, self.encoding, self.calls):
            filters.addWidget(widget)
        filters.setStretch(0, 1)
        actions = QHBoxLayout()
        for widget in (
            self.pause,
            self.autoscroll,
            self.clear_button,
            self.copy_button,
            self.save_button,
            self.stream_button,
            self.follow_button,
        ):
            actions.addWidget(widget)
        actions.addStretch(1)
        actions.addWidget(self.status)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.table)
        splitter.addWidget(self.detail)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(filters)
        layout.addLayout(actions)
        layout.addWidget(splitter, 1)

        self._filter_timer = QTimer(self)
        self._filter_timer.setSingleShot(True)
        self._filter_timer.setInterval(250)
        self._filter_timer.timeout.connect(self._apply_filter)
        self.filter_text.textChanged.connect(self._filter_timer.start)
        for combo in (self.peer, self.direction, self.encoding):
            combo.currentIndexChanged.connect(self._apply_filter)
        self.calls.toggled.connect(self._apply_filter)
        self.pause.toggled.connect(self._on_pause_toggled)
        self.clear_button.clicked.connect(self.clear)
        self.copy_button.clicked.connect(self.copy_selection)
        self.save_button.clicked.connect(self._on_save_clicked)
        self.stream_button.toggled.connect(self._on_stream_toggled)
        self.follow_button.clicked.connect(self.follow_selected)
        self.table.selectionModel().currentRowChanged.connect(self._on_current_row_changed)
        self.model.rebuilt.connect(self._update_status)
        # Open Follow stream windows re-read the store twice a second (not per batch: a flood
        # would re-render them 30 times a second); the slot connections end with each dialog.
        self._follow_timer = QTimer(self)
        self._follow_timer.setInterval(500)
        # Counts change with every batch; redrawn at most every STATUS_MS (first change at once).
        self._status_timer = QTimer(self)
        self._status_timer.setSingleShot(True)
        self._status_timer.setInterval(STATUS_MS)
        self._status_timer.timeout.connect(self._on_status_due)
        self._status_stale = False
        self._update_status()

    # ------------------------------------------------------------------ feeding
    @Slot(list)
    def add_events(self, events: list[Event]) -> None:
        """One batch from a bridge: into the store, the stream file and the view in one go."""
        if self._writer is not None and not self._tapped:
            for event in events:
                self._writer.put(event)
        added = self.store.extend(events)
        peers = self._peers
        for event in events:
            # UDP has no Opened event: a peer joins the filter list with its first datagram.
            if isinstance(event, (Opened, Data)) and event.peer and event.peer not in peers:
                self._add_peer(event.peer)
            elif isinstance(event, Error):
                self.problem.emit(f"{event.message}: {event.hint}" if event.hint else event.message)
        self.model.add(added)
        if self.autoscroll.isChecked() and not self.model.paused:
            self.table.scrollToBottom()
        self._status_stale = True
        if not self._status_timer.isActive():
            self._on_status_due()

    @Slot()
    def _on_status_due(self) -> None:
        if self._status_stale:
            self._update_status()
            self._status_timer.start()

    @Slot()
    def _offer_clear_button(self) -> None:
        self.filter_text.setClearButtonEnabled(True)

    def _add_peer(self, peer: str) -> None:
        """A new peer joins the filter list; past PEER_CHOICES the oldest one not chosen leaves it
        (a client's every connection has a new port, so the list would otherwise grow forever)."""
        self._peers[peer] = None
        self.peer.addItem(peer, peer)
        chosen = self.peer.currentData()
        for old in list(self._peers)[: max(0, len(self._peers) - PEER_CHOICES)]:
            if old != chosen:
                del self._peers[old]
                self.peer.removeItem(self.peer.findData(old))

    def note_bridge_drops(self, dropped: int) -> None:
        self.bridge_dropped = dropped
        self._update_status()

    def _update_status(self) -> None:
        self._status_stale = False
        text = f"{len(self.model.rows):,} shown · {len(self.store):,} kept"
        dropped = self.store.dropped + self.bridge_dropped
        if dropped:
            kept_all = " (the stream file has them)" if self._writer is not None and self._tapped else ""
            text += f" · {dropped:,} dropped, oldest first{kept_all}; Stream to file keeps everything"
        if self.model.paused:
            text += " · paused"
        self.status.setText(text)

    # ------------------------------------------------------------------ actions
    def current_filter(self) -> LogFilter:
        return LogFilter(
            text=self.filter_text.text(),
            peer=str(self.peer.currentData() or ""),
            direction=Direction(self.direction.currentData()) if self.direction.currentData() else None,
            encoding=str(self.encoding.currentData()),
            calls=self.calls.isChecked(),
        )

    @Slot()
    def _apply_filter(self) -> None:
        self.model.set_filter(self.current_filter())
        self._show_detail(self.table.currentIndex())
        self._update_status()

    @Slot(bool)
    def _on_pause_toggled(self, paused: bool) -> None:
        self.model.set_paused(paused)
        self.pause.setText("Resume" if paused else "Pause")
        if not paused and self.autoscroll.isChecked():
            self.table.scrollToBottom()
        self._update_status()

    @Slot()
    def clear(self) -> None:
        self.peer.blockSignals(True)  # one rebuild below, not one per removed peer
        self.peer.setCurrentIndex(0)
        while self.peer.count() > 1:
            self.peer.removeItem(1)
        self.peer.blockSignals(False)
        self._peers.clear()
        self.model.set_filter(self.current_filter())
        self.model.clear()
        self.bridge_dropped = 0
        self.hex_view.clear()
        self.text_view.clear()
        self._update_status()

    def selected_rows(self) -> list[Row]:
        indexes = self.table.selectionModel().selectedRows()
        return [self.model.rows[i.row()] for i in sorted(indexes, key=lambda i: i.row())]

    @Slot()
    def copy_selection(self) -> None:
        out = io.StringIO()
        write_text(self.selected_rows(), out, self.model.filter.encoding)
        QGuiApplication.clipboard().setText(out.getvalue())

    def save_to(self, path: str, file_format: str) -> int:
        """Write the rows the view shows; returns how many. file_format is a SAVE_FORMATS key."""
        with open(path, "w", encoding="utf-8", newline="") as out:
            return SAVE_FORMATS[file_format](self.model.rows, out, self.model.filter.encoding)

    @Slot()
    def _on_save_clicked(self) -> None:
        path, chosen = QFileDialog.getSaveFileName(
            self, "Save the log", "netlab-log.txt", ";;".join(SAVE_FORMATS)
        )
        if not path:
            return
        try:
            count = self.save_to(path, chosen or "Text (*.txt)")
        except OSError as exc:
            QMessageBox.warning(self, "Could not save", f"{path} could not be written: {exc.strerror}")
            return
        self.problem.emit(f"Saved {count:,} rows to {path}")

    @Slot(bool)
    def _on_stream_toggled(self, on: bool) -> None:
        if not on:
            self.stop_streaming()
            return
        path, _ = QFileDialog.getSaveFileName(
            self, "Stream every row to", "netlab-stream.jsonl", "JSON Lines (*.jsonl)"
        )
        if not path or not self.stream_to(path):
            self.stream_button.setChecked(False)

    def attach(self, runner: EngineRunner[Any]) -> None:
        """Feed Stream to file from the runner's engine thread, before the bridge or the store
        drops anything, so the file really gets every event."""
        runner.add_tap(self._tap)
        self._tapped = True

    def _tap(self, event: Event) -> None:
        """On an engine's thread: hand the event to the file writer, if streaming."""
        writer = self._writer
        if writer is not None:
            writer.put(event)

    def stream_to(self, path: str) -> bool:
        """From now on, also append every event to a JSON Lines file, written on its own thread.

        Nothing is dropped there: events reach the writer before the bridge or the store decide to
        drop any (when the pane is attached to its runner)."""
        try:
            self._writer = StreamWriter(path, self.model.filter.encoding)
        except OSError as exc:
            QMessageBox.warning(self, "Could not stream", f"{path} could not be opened: {exc.strerror}")
            return False
        _STREAMING.add(self)
        self.stream_button.setToolTip(f"Streaming every event to {path}")
        return True

    def stop_streaming(self) -> None:
        writer, self._writer = self._writer, None
        _STREAMING.discard(self)
        if writer is not None:
            writer.close()

    @Slot()
    def follow_selected(self) -> None:
        index = self.table.currentIndex()
        if not index.isValid():
            self.problem.emit("Select a row of the conversation to follow first")
            return
        event = self.model.rows[index.row()].event
        key = key_of(event)
        if not key:
            self.problem.emit("That row belongs to no connection: select a data row")
            return
        from ui.common.follow import FollowStreamDialog

        dialog = FollowStreamDialog(
            self.store, key, connection_label(event), self, self.model.filter.encoding
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self._follow_timer.timeout.connect(dialog.render)  # live: it grows with the conversation
        self._follow_timer.start()
        dialog.show()

    # ------------------------------------------------------------------ detail pane
    @Slot(QModelIndex, QModelIndex)
    def _on_current_row_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        self._show_detail(current)

    def _show_detail(self, index: QModelIndex) -> None:
        if not index.isValid() or index.row() >= len(self.model.rows):
            self.hex_view.clear()
            self.text_view.clear()
            return
        event = self.model.rows[index.row()].event
        if isinstance(event, Data):
            self.hex_view.setPlainText(hexdump(event.data, DETAIL_LIMIT))
            self.text_view.setHtml(marked_html(event.data[:DETAIL_LIMIT], self.model.filter.encoding))
        elif isinstance(event, HttpExchange) and (event.request_head or event.response_head):
            self._show_http_heads(event)
        else:
            text = summary(event, self.model.filter.encoding, limit=10**6)
            if isinstance(event, Error) and event.detail:
                text += "\n\n" + event.detail
            self.hex_view.setPlainText("(no payload)")
            self.text_view.setPlainText(text)

    def _show_http_heads(self, event: HttpExchange) -> None:
        """An HTTP row: the request head as it arrived and the response head as it left (headers, Range)."""
        heads = event.request_head + event.response_head
        self.hex_view.setPlainText(hexdump(heads, DETAIL_LIMIT))
        request = marked_html(event.request_head, "latin-1", TEXT_COLOURS[Direction.RECEIVED])
        response = marked_html(event.response_head, "latin-1", TEXT_COLOURS[Direction.SENT])
        self.text_view.setHtml(request + response)

    def closeEvent(self, event: Any) -> None:
        self.stop_streaming()
        super().closeEvent(event)


def marked_html(data: bytes, encoding: str, colour: str = "#000000") -> str:
    """Decoded text as HTML; undecodable bytes shown as \\xNN on a yellow mark."""
    import html  # here, not at the top: 1.4 ms of the window's start (issue 8)

    parts = []
    for text, bad in decode_marked(data, encoding):
        escaped = html.escape(text)
        if bad:
            parts.append(f'<span style="background:#ffe082;color:#7a4f00">{escaped}</span>')
        else:
            parts.append(escaped)
    body = "".join(parts)
    return f'<pre style="color:{colour};white-space:pre-wrap;margin:0">{body}</pre>'
