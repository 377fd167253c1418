"""Follow stream: one conversation as Wireshark's Follow TCP Stream shows it, sent in red and received
in blue, segments joined, live while the conversation goes on.

Opened from a log pane's "Follow stream"; imported then, not before the window first shows (issue 8).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt, QTimer, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from netlab.core.codec import ENCODINGS, decode_lossless, hexdump
from netlab.core.events import Data, Direction
from netlab.core.logstore import Conversation, LogStore, Ring
from ui.common.logpane import Brushes, mono_font
from ui.common.widgets import named


class Segment:
    """A run of one direction's payloads, shown joined, as Wireshark's Follow TCP Stream shows them.

    Its parts are the store's own bytes objects, joined only when shown. Offsets count from the
    segment's first byte, also after its oldest parts have left the store (`start` says how many).
    """

    __slots__ = ("_joined", "_parts", "direction", "end", "number", "start")

    def __init__(self, direction: Direction, number: int) -> None:
        self.direction = direction
        self.number = number  # its place in the conversation, counted since the dialog opened
        # One payload is held as itself, more in a list. Most segments are one payload (a request,
        # its reply), and a list would cost each of them 88 bytes more: 14 MB for a conversation
        # of 160,000 (issue 8). A list, not a deque: a deque is 600 bytes even when it holds one.
        self._parts: bytes | list[bytes] | None = None
        self.start = 0  # bytes of it that have left the store
        self.end = 0  # bytes of it so far
        self._joined: bytes | None = None

    @property
    def parts(self) -> list[bytes]:
        """Its payloads still kept, oldest first."""
        parts = self._parts
        return parts if isinstance(parts, list) else [] if parts is None else [parts]

    def add(self, data: bytes) -> None:
        parts = self._parts
        if parts is None:
            self._parts = data
        elif isinstance(parts, list):
            parts.append(data)
        else:
            self._parts = [parts, data]
        self.end += len(data)
        self._joined = None

    def drop_oldest(self, count: int) -> int:
        """Its oldest `count` parts have left the store; how many it had of them."""
        parts = self._parts
        if parts is None or count <= 0:
            return 0
        if isinstance(parts, list):
            gone = parts[:count]
            del parts[:count]
        else:
            gone = [parts]
            self._parts = None
        self.start += sum(map(len, gone))
        self._joined = None
        return len(gone)

    @property
    def gone(self) -> bool:
        """Every part has left the store."""
        parts = self._parts
        return parts is None or parts == []

    @property
    def data(self) -> bytes:
        """The bytes still kept, joined."""
        if self._joined is None:
            parts = self._parts
            if isinstance(parts, list):
                self._joined = parts[0] if len(parts) == 1 else b"".join(parts)
            else:
                self._joined = parts or b""
        return self._joined


class Piece:
    """Bytes start..end of a segment: one row of the Follow stream view."""

    __slots__ = ("end", "segment", "start")

    def __init__(self, segment: Segment, start: int, end: int) -> None:
        self.segment, self.start, self.end = segment, start, end

    def data(self) -> bytes:
        kept = self.segment.start
        return self.segment.data[self.start - kept : self.end - kept]


PIECE_BYTES = 2048  # a long segment shows as pieces this long (a multiple of 16, for the hex dump)
FOLLOW_CHUNK = 20_000  # payloads Follow stream takes in per turn of the event loop: a few tens of ms

FOLLOW_VIEWS = {
    "ASCII": lambda data, encoding: decode_lossless(data, encoding),
    "Hex dump": lambda data, _encoding: hexdump(data),
    "Raw": lambda data, _encoding: data.hex(),
}


class SegmentModel(QAbstractListModel):
    """A conversation's segments, cut into pieces of at most PIECE_BYTES, each rendered only when the
    view shows it. Payloads are added at the end and dropped from the front as the store drops
    them, in amortised O(1) a payload: a live conversation of 100,000 payloads never costs a pass
    over all of it."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.segments: Ring[Segment] = Ring()
        self.pieces: Ring[Piece] = Ring()
        self.view = "ASCII"
        self.encoding = "utf-8"
        self._numbered = 0
        self._brushes = Brushes().text
        self._mono = mono_font()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.pieces)

    def text(self, row: int) -> str:
        piece = self.pieces[row]
        data = piece.data()
        if self.view == "Hex dump" and piece.start:  # offsets count from the segment's first byte
            return "\n".join(
                f"{int(line[:8], 16) + piece.start:08x}{line[8:]}" for line in hexdump(data).split("\n")
            )
        return str(FOLLOW_VIEWS[self.view](data, self.encoding)).rstrip("\n")

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = 0) -> Any:
        if not index.isValid():
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self.text(index.row())
        if role == Qt.ItemDataRole.ForegroundRole:
            return self._brushes[self.pieces[index.row()].segment.direction]
        if role == Qt.ItemDataRole.FontRole:
            return self._mono
        return None

    def continues(self, row: int) -> bool:
        """The next row goes on with this row's bytes: both are pieces of one segment, in a view of
        bare bytes (ASCII or Raw; the hex dump's lines stand alone)."""
        pieces = self.pieces
        if self.view == "Hex dump" or row + 1 >= len(pieces):
            return False
        return pieces[row + 1].segment is pieces[row].segment

    def number(self, row: int) -> int:
        """The segment of a row, counted from 1 among the segments shown."""
        return self.pieces[row].segment.number - self.segments[0].number + 1

    def set_view(self, view: str, encoding: str) -> None:
        if (view, encoding) != (self.view, self.encoding):
            self.beginResetModel()
            self.view, self.encoding = view, encoding
            self.endResetModel()

    def clear(self) -> None:
        self.beginResetModel()
        self.segments, self.pieces = Ring(), Ring()
        self.endResetModel()

    def add(self, messages: list[Data]) -> None:
        """Payloads that came after the ones shown: the last segment grows, or new ones start."""
        if not messages:
            return
        pieces, segments = self.pieces, self.segments
        grown = tail = pieces[-1] if len(pieces) else None
        last = segments[-1] if len(segments) else None
        new_segments: list[Segment] = []
        new: list[Piece] = []
        for message in messages:
            if last is None or tail is None or last.direction is not message.direction:
                last = Segment(message.direction, self._numbered)
                self._numbered += 1
                new_segments.append(last)
                tail = Piece(last, 0, 0)
                new.append(tail)
            last.add(message.data)
            end = last.end
            tail.end = min(end, (tail.start // PIECE_BYTES + 1) * PIECE_BYTES)
            while tail.end < end:
                tail = Piece(last, tail.end, min(end, tail.end + PIECE_BYTES))
                new.append(tail)
        segments.extend(new_segments)
        if grown is not None:
            row = len(pieces) - 1
            self.dataChanged.emit(self.index(row), self.index(row))
        if new:
            self.beginInsertRows(QModelIndex(), len(pieces), len(pieces) + len(new) - 1)
            pieces.extend(new)
            self.endInsertRows()

    def drop_oldest(self, count: int) -> None:
        """The oldest `count` payloads have left the store: they leave the view too."""
        segments, pieces = self.segments, self.pieces
        while count and len(segments):
            first = segments[0]
            count -= first.drop_oldest(count)
            if first.gone:
                segments.drop_front(1)
        gone = 0
        while gone < len(pieces):
            piece = pieces[gone]
            segment = piece.segment
            # Wholly before the kept bytes; a kept segment's last piece stays, even if empty.
            if not (segment.gone or (piece.end <= segment.start and piece.end < segment.end)):
                break
            gone += 1
        if gone:
            self.beginRemoveRows(QModelIndex(), 0, gone - 1)
            pieces.drop_front(gone)
            self.endRemoveRows()
        if len(pieces) and pieces[0].start < pieces[0].segment.start:
            pieces[0].start = pieces[0].segment.start
            self.dataChanged.emit(self.index(0), self.index(0))


class FollowStreamDialog(QDialog):
    """One conversation, sent in red and received in blue, like Wireshark's Follow TCP Stream:
    segments joined, ASCII / hex dump / raw views, Find, live while the conversation goes on."""

    def __init__(
        self,
        store: LogStore,
        key: str,
        title: str,
        parent: QWidget | None = None,
        encoding: str = "utf-8",
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Follow stream — {title}")
        self.setObjectName("followStreamDialog")
        self.resize(760, 520)
        self._store, self._key = store, key
        self._source: Conversation | None = None  # the store's conversation being shown
        self._first = self._next = 0  # its payloads shown: numbers _first.._next
        self._catching_up = False
        self.encoding = named(QComboBox(), "followEncoding", "Decode as")
        for label, codec in ENCODINGS.items():
            self.encoding.addItem(label, codec)
        at = self.encoding.findData(encoding)
        self.encoding.setCurrentIndex(max(0, at))  # the pane's encoding, not always UTF-8
        self.view_as = named(QComboBox(), "followView", "Show as")
        self.view_as.addItems(list(FOLLOW_VIEWS))
        self.model = SegmentModel(self)
        self.text = named(QListView(), "followText", "Conversation")
        self.text.setModel(self.model)
        self.text.setWordWrap(True)
        self.text.setUniformItemSizes(False)
        self.text.setLayoutMode(QListView.LayoutMode.Batched)  # long conversations lay out in steps
        self.text.setSelectionMode(QListView.SelectionMode.SingleSelection)
        self.summary = named(QLabel(), "followSummary", "Conversation totals")
        self.find_text = named(QLineEdit(), "followFind", "Find in the conversation")
        self.find_text.setPlaceholderText("Find…")
        find_next = named(QPushButton("Find next"), "followFindNext", "Find the next match")
        self.found = named(QLabel(), "followFound", "Find result")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.setObjectName("followButtons")
        buttons.rejected.connect(self.close)
        bar = QHBoxLayout()
        bar.addWidget(QLabel("Show as:"))
        bar.addWidget(self.view_as)
        bar.addWidget(QLabel("Decode as:"))
        bar.addWidget(self.encoding)
        bar.addStretch(1)
        bar.addWidget(self.summary)
        finder = QHBoxLayout()
        finder.addWidget(self.find_text, 1)
        finder.addWidget(find_next)
        finder.addWidget(self.found)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.text, 1)
        layout.addLayout(finder)
        layout.addWidget(buttons)
        self.encoding.currentIndexChanged.connect(self.render)
        self.view_as.currentIndexChanged.connect(self.render)
        find_next.clicked.connect(self.find_next)
        self.find_text.returnPressed.connect(self.find_next)
        self.render()

    @Slot()
    def render(self) -> None:
        """Catch up with the store: payloads it dropped leave, new ones join, FOLLOW_CHUNK at a time
        (the rest in the next turns of the event loop). The pane calls this as rows arrive."""
        found = self._store.conversation(self._key)
        model = self.model
        model.set_view(self.view_as.currentText(), str(self.encoding.currentData()))
        if found is not self._source:  # a new conversation (the log was cleared, say): start over
            self._source, self._first, self._next = found, found.dropped, found.dropped
            model.clear()
        if found.dropped > self._first:
            model.drop_oldest(min(found.dropped, self._next) - self._first)
            self._first = found.dropped
            self._next = max(self._next, found.dropped)
        end = found.dropped + len(found.messages)
        stop = min(end, self._next + FOLLOW_CHUNK)
        model.add(found.messages.to_list(self._next - found.dropped, stop - found.dropped))
        self._next = stop
        if stop < end and not self._catching_up:
            self._catching_up = True
            QTimer.singleShot(0, self, self._catch_up)
        self.summary.setText(
            f"sent {found.sent:,} bytes (red) · received {found.received:,} bytes (blue) · "
            f"{len(model.segments):,} segments"
        )

    @Slot()
    def _catch_up(self) -> None:
        self._catching_up = False
        self.render()

    @property
    def complete(self) -> bool:
        """Everything the store has of the conversation is shown."""
        found = self._store.conversation(self._key)
        return found is self._source and self._next == found.dropped + len(found.messages)

    def shown_text(self) -> str:
        """Everything the view shows, one segment after another."""
        model = self.model
        texts = [model.text(row) for row in range(len(model.pieces))]
        out = texts[:1]
        for row in range(1, len(texts)):  # pieces of one segment continue; a new segment starts a line
            out.append(texts[row] if model.continues(row - 1) else "\n" + texts[row])
        return "".join(out)

    @Slot()
    def find_next(self) -> None:
        needle = self.find_text.text().lower()
        if not needle:
            return
        count = len(self.model.pieces)
        start = self.text.currentIndex().row() + 1 if self.text.currentIndex().isValid() else 0
        following: str | None = None  # the next row's text, rendered already for the row before it
        for step in range(count):
            row = (start + step) % count
            text = self.model.text(row) if following is None else following
            following = None
            if self.model.continues(row):  # a match may run on across the cut into the next piece
                following = self.model.text(row + 1)
                text += following[: len(needle) - 1]
            if needle in text.lower():
                index = self.model.index(row)
                self.text.setCurrentIndex(index)
                self.text.scrollTo(index)
                self.found.setText(f"segment {self.model.number(row):,} of {len(self.model.segments):,}")
                return
        self.found.setText("not found")
