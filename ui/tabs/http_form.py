"""The HTTP form tab: one request sent with urllib.request or requests, and the bytes each really sent.

The request editor is above; below, one response view per library, side by side, each with its own
engine, its own session and its own wire log. "Send with both" fills both, so a student compares what
urllib and requests each put on the socket for the same request.
"""

from __future__ import annotations

import functools
import mimetypes
import time
import weakref
from collections import deque
from dataclasses import dataclass, replace
from typing import Any

from PySide6.QtCore import QSignalBlocker, Qt, Signal, Slot
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QSplitter,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from netlab.core.codec import hexdump
from netlab.core.config import ConfigError, raise_if
from netlab.core.events import Error, Event
from netlab.core.present import human_bytes
from netlab.http.form import HEADER_PRESETS, json_problems, looks_like, query_pairs, with_query
from netlab.http.form_client import FormResponse, HttpFormClient
from netlab.http.form_config import METHODS, AuthKind, Backend, BodyKind, HttpFormConfig, NameValue, Upload
from netlab.http.raw import body_text, charset_of, pretty_json
from ui.common.bridge import EngineRunner
from ui.common.logpane import LogPane, mono_font
from ui.common.widgets import FieldMarks, breakable, hbox, named, select_data, typed_text
from ui.tabs.downloads import DownloadsPanel

BODY_VIEWS = ("Pretty JSON", "Raw text", "Hexdump", "HTML source", "Image")
HEX_LIMIT = 64 * 1024  # bytes shown as a hexdump; the whole body is in Save body
TEXT_LIMIT = 2 * 1024 * 1024  # characters shown as text, so a big body never stalls the window
EDITOR_HEIGHT = 200  # pixels the request editor starts with, above the two responses


def coloured(text: str, language: str) -> str:
    """Text as HTML with inline colours (pygments), which QTextEdit renders without a style sheet."""
    from pygments import highlight
    from pygments.formatters import HtmlFormatter
    from pygments.lexers import HtmlLexer, JsonLexer

    lexer = JsonLexer() if language == "json" else HtmlLexer()
    return str(highlight(text, lexer, HtmlFormatter(noclasses=True, nobackground=True, style="default")))


class RowsTable(QWidget):
    """A small table of text rows with Add and Remove buttons (query, headers, form fields, files)."""

    def __init__(self, prefix: str, columns: list[str], what: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.table = named(QTableWidget(0, len(columns)), f"{prefix}Table", what)
        self.table.setHorizontalHeaderLabels(columns)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.add_button = named(QPushButton("Add"), f"{prefix}Add", f"Add a row to {what}")
        self.remove_button = named(
            QPushButton("Remove"), f"{prefix}Remove", f"Remove the selected row of {what}"
        )
        self.buttons = QVBoxLayout()
        self.buttons.addWidget(self.add_button)
        self.buttons.addWidget(self.remove_button)
        self.buttons.addStretch(1)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table, 1)
        layout.addLayout(self.buttons)
        self.add_button.clicked.connect(self._on_add_clicked)
        self.remove_button.clicked.connect(self._on_remove_clicked)

    def rows(self) -> list[tuple[str, ...]]:
        found = []
        for row in range(self.table.rowCount()):
            cells = tuple(
                (self.table.item(row, column).text() if self.table.item(row, column) else "")
                for column in range(self.table.columnCount())
            )
            if any(cells):
                found.append(cells)
        return found

    def set_rows(self, rows: list[tuple[str, ...]]) -> None:
        with QSignalBlocker(self.table):
            self.table.setRowCount(0)
            for cells in rows:
                self._append(cells)
        self.table.itemChanged.emit(QTableWidgetItem())  # one change for the watchers

    def add_row(self, *cells: str) -> None:
        self._append(cells)

    def _append(self, cells: tuple[str, ...]) -> None:
        row = self.table.rowCount()
        self.table.insertRow(row)
        for column in range(self.table.columnCount()):
            self.table.setItem(row, column, QTableWidgetItem(cells[column] if column < len(cells) else ""))

    @Slot()
    def _on_add_clicked(self) -> None:
        self.add_row()
        self.table.editItem(self.table.item(self.table.rowCount() - 1, 0))

    @Slot()
    def _on_remove_clicked(self) -> None:
        row = self.table.currentRow()
        if row >= 0:
            self.table.removeRow(row)
            self.table.itemChanged.emit(QTableWidgetItem())


@dataclass
class Sent:
    """One history entry: the request as sent, and what came back (a response or a failure line)."""

    config: HttpFormConfig
    wall: float
    response: FormResponse | None = None
    failure: str = ""

    def label(self) -> str:
        when = time.strftime("%H:%M:%S", time.localtime(self.wall))
        head = f"{when}  {self.config.backend.value:8} {self.config.method} {self.config.url}"
        if self.response is not None:
            return f"{head}  → {self.response.status} {self.response.reason}"
        return f"{head}  → {self.failure}" if self.failure else f"{head}  …"


class ResponseView(QWidget):
    """One library's side: its engine (started on first send, kept for its session), the answer, the wire.

    Signals:
        answered(int, object): history entry `int` got its FormResponse, or an Error event.
        status(str): a line for the window's status bar.
    """

    answered = Signal(int, object)
    status = Signal(str)

    def __init__(self, backend: Backend, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.backend = backend
        prefix = f"httpForm{backend.value.capitalize()}"
        self.setObjectName(prefix)
        self.runner: EngineRunner[HttpFormClient] | None = None
        self._waiting: deque[tuple[int, HttpFormConfig]] = deque()
        self.response: FormResponse | None = None
        self._last_config: HttpFormConfig | None = None
        self.title = QLabel(f"<b>{'urllib.request' if backend == Backend.URLLIB else 'requests'}</b>")
        self.summary = named(QLabel("No response yet"), f"{prefix}Summary", "Status, time and size")
        self.message = named(QLabel(), f"{prefix}Message", "What went wrong")
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #c62828;")
        self.message.hide()
        self.save_button = named(QPushButton("Save body…"), f"{prefix}SaveBody", "Save the body to a file")
        self.save_whole = named(
            QPushButton("Save to file…"),
            f"{prefix}SaveWhole",
            "Send again, streaming the whole body to a file",
        )
        self.save_whole.hide()
        self.view = named(QComboBox(), f"{prefix}BodyView", "How to show the body")
        self.view.addItems(BODY_VIEWS)
        self.rich = named(QTextEdit(), f"{prefix}Rich", "The body, coloured")
        self.plain = named(QPlainTextEdit(), f"{prefix}Plain", "The body as text")
        for edit in (self.rich, self.plain):
            edit.setReadOnly(True)
            edit.setFont(mono_font())
        self.rich.setLineWrapMode(QTextEdit.LineWrapMode.NoWrap)
        self.plain.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.image = named(QLabel(), f"{prefix}Image", "The body as an image")
        self.image.setAlignment(Qt.AlignmentFlag.AlignCenter)
        image_scroll = QScrollArea()
        image_scroll.setWidget(self.image)
        image_scroll.setWidgetResizable(True)
        self.body_stack = QStackedWidget()
        for page in (self.rich, self.plain, image_scroll):
            self.body_stack.addWidget(page)
        self.headers = self._table(f"{prefix}Headers", ["Header", "Value"], "Response headers")
        self.redirects = self._table(f"{prefix}Redirects", ["Status", "From", "To"], "Redirects followed")
        self.cookies = self._table(f"{prefix}Cookies", ["Cookie", "Value", "Domain", "Path"], "Cookies kept")
        self.log = LogPane(f"httpForm{backend.value}", socket_calls=False)

        body_page = QWidget()
        body_layout = QVBoxLayout(body_page)
        body_layout.setContentsMargins(0, 0, 0, 0)
        body_layout.addLayout(hbox(QLabel("Show as"), self.view, None, self.save_button, stretch=None))
        body_layout.addWidget(self.body_stack, 1)
        trail = QWidget()
        trail_layout = QVBoxLayout(trail)
        trail_layout.setContentsMargins(0, 0, 0, 0)
        trail_layout.addWidget(QLabel("Redirect chain"))
        trail_layout.addWidget(self.redirects, 1)
        trail_layout.addWidget(QLabel("Cookies (this session)"))
        trail_layout.addWidget(self.cookies, 1)
        self.pages = named(QTabWidget(), f"{prefix}Pages", "Response parts")
        self.pages.addTab(body_page, "Body")
        self.pages.addTab(self.headers, "Headers")
        self.pages.addTab(trail, "Redirects && cookies")
        self.pages.addTab(self.log, "Wire")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addLayout(hbox(self.title, self.summary, self.save_whole, stretch=self.summary))
        layout.addWidget(self.message)
        layout.addWidget(self.pages, 1)
        self.view.currentIndexChanged.connect(self._on_view_current_index_changed)
        self.save_button.clicked.connect(self._on_save_clicked)
        self.save_whole.clicked.connect(self._on_save_whole_clicked)
        self.save_button.setEnabled(False)

    @staticmethod
    def _table(name: str, columns: list[str], what: str) -> QTableWidget:
        table = named(QTableWidget(0, len(columns)), name, what)
        table.setHorizontalHeaderLabels(columns)
        table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        table.horizontalHeader().setStretchLastSection(True)
        table.verticalHeader().hide()
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        return table

    # ------------------------------------------------------------------ the engine
    def send(self, entry: int, config: HttpFormConfig, save_to: str = "") -> None:
        if self.runner is None:
            self.runner = EngineRunner(HttpFormClient, self)
            self.log.attach(self.runner)
            self.runner.events_arrived.connect(self._on_events_arrived)
            self.runner.finished.connect(self._on_runner_finished)
            self.runner.start()
        self._waiting.append((entry, config))
        self._last_config = config
        self.summary.setText("Sending…")
        self.message.hide()
        self.save_whole.hide()
        self.runner.engine.send(config, save_to)

    def cancel(self) -> None:
        if self.runner is not None:
            self.runner.engine.cancel()

    def new_session(self) -> None:
        if self.runner is not None:
            self.runner.engine.new_session()
        self.cookies.setRowCount(0)

    def stop(self) -> None:
        if self.runner is not None:
            self.runner.stop()

    @property
    def busy(self) -> bool:
        return bool(self._waiting)

    @Slot(list)
    def _on_events_arrived(self, events: list[Event]) -> None:
        self.log.add_events(events)
        for event in events:
            if isinstance(event, FormResponse) or (isinstance(event, Error) and not event.conn):
                entry = self._waiting.popleft()[0] if self._waiting else -1
                if isinstance(event, FormResponse):
                    self.show_response(event)
                else:
                    self.show_failure(event)
                self.answered.emit(entry, event)

    @Slot()
    def _on_runner_finished(self) -> None:
        runner, self.runner = self.runner, None
        self._waiting.clear()
        if runner is not None:
            runner.deleteLater()

    # ------------------------------------------------------------------ showing a response
    def show_failure(self, error: Error) -> None:
        self.summary.setText("Failed")
        self.message.setText(breakable(f"{error.message}: {error.hint}" if error.hint else error.message))
        self.message.show()
        self.status.emit(f"{self.backend.value}: {error.message}")

    def show_response(self, response: FormResponse) -> None:
        self.response = response
        self.summary.setText(
            f"<b>{response.status} {response.reason}</b> · {response.elapsed * 1000:.1f} ms · "
            f"{human_bytes(response.size)}"
        )
        self.message.hide()
        self.save_whole.setVisible(response.too_large)
        if response.too_large:
            self.message.setText(
                f"The body is larger than the {human_bytes(len(response.body))} memory cap: only the start"
                " is shown. Save to file streams the whole body to disk."
            )
            self.message.show()
        elif response.saved_to:
            self.message.setText(f"The body was saved to {response.saved_to}")
            self.message.setStyleSheet("color: #2e7d32;")
            self.message.show()
        self.save_button.setEnabled(bool(response.body))
        self._fill(self.headers, [list(pair) for pair in response.headers])
        self._fill(self.redirects, [[str(r.status), r.url, r.location] for r in response.redirects])
        self._fill(self.cookies, [[c.name, c.value, c.domain, c.path] for c in response.cookies])
        first = {"json": "Pretty JSON", "html": "HTML source", "image": "Image"}
        view = first.get(looks_like(response.content_type, response.body), "Raw text")
        if self.view.currentText() == view:
            self._render()
        else:
            self.view.setCurrentText(view)
        self.status.emit(f"{self.backend.value}: {response.status} {response.reason}")

    @staticmethod
    def _fill(table: QTableWidget, rows: list[list[str]]) -> None:
        table.setRowCount(len(rows))
        for row, cells in enumerate(rows):
            for column, text in enumerate(cells):
                table.setItem(row, column, QTableWidgetItem(text))

    def body_text(self) -> str:
        assert self.response is not None
        return body_text(self.response.body[:TEXT_LIMIT], charset_of(self.response.content_type))

    @Slot(int)
    def _on_view_current_index_changed(self, _index: int) -> None:
        self._render()

    def _render(self) -> None:
        if self.response is None:
            return
        view, body = self.view.currentText(), self.response.body
        if view == "Pretty JSON":
            pretty = pretty_json(body, charset_of(self.response.content_type))
            if pretty is None:
                self.rich.setPlainText("The body is not JSON: choose Raw text or Hexdump")
            else:
                self.rich.setHtml(coloured(pretty[:TEXT_LIMIT], "json"))
            self.body_stack.setCurrentWidget(self.rich)
        elif view == "HTML source":
            self.rich.setHtml(coloured(self.body_text(), "html"))
            self.body_stack.setCurrentWidget(self.rich)
        elif view == "Image":
            pixmap = QPixmap()
            if pixmap.loadFromData(body):
                self.image.setPixmap(pixmap)
            else:
                self.image.setText("The body is not an image Qt can read: choose Hexdump")
            self.body_stack.setCurrentIndex(2)
        else:
            text = hexdump(body, HEX_LIMIT) if view == "Hexdump" else self.body_text()
            self.plain.setPlainText(text)
            self.body_stack.setCurrentWidget(self.plain)

    @Slot()
    def _on_save_clicked(self) -> None:
        if self.response is None:
            return
        path, _ = QFileDialog.getSaveFileName(self, "Save the body", self.suggested_name())
        if path:
            self.save_body(path)

    def suggested_name(self) -> str:
        assert self.response is not None
        name = self.response.url.split("?")[0].rstrip("/").rsplit("/", 1)[-1] or "body"
        return name

    def save_body(self, path: str) -> None:
        assert self.response is not None
        try:
            with open(path, "wb") as out:
                out.write(self.response.body)
        except OSError as exc:
            self.message.setText(f"Could not save {path} ({exc.strerror or exc}): choose another folder")
            self.message.show()
            return
        self.status.emit(f"Saved {human_bytes(len(self.response.body))} to {path}")

    @Slot()
    def _on_save_whole_clicked(self) -> None:
        if self._last_config is None or self.response is None:
            return
        path, _ = QFileDialog.getSaveFileName(self, "Save the whole body", self.suggested_name())
        if path:
            self.send(-1, self._last_config, save_to=path)


class HttpFormTab(QWidget):
    """Build a request, send it with urllib or requests (or both), read the answers and the wire.

    Signals:
        status(str): a line for the window's status bar.
    """

    status = Signal(str)
    lab_key = "http_form"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("httpFormTab")
        self.history: list[Sent] = []
        self._query_editing = False
        self._offered_url = ""  # the URL last copied into the Downloads panel
        defaults = HttpFormConfig()
        self.backend = named(QComboBox(), "httpFormBackend", "Library that sends the request")
        for backend, label in ((Backend.REQUESTS, "requests"), (Backend.URLLIB, "urllib.request")):
            self.backend.addItem(label, backend.value)
        self.method = named(QComboBox(), "httpFormMethod", "HTTP method")
        self.method.addItems(METHODS)
        self.url = named(
            QLineEdit(defaults.url), "httpFormUrl", "URL", "The query table below edits the part after ?"
        )
        self.send_button = named(QPushButton("Send"), "httpFormSend", "Send with the chosen library")
        self.both_button = named(
            QPushButton("Send with both"), "httpFormBoth", "Send with urllib and with requests, side by side"
        )
        self.cancel_button = named(QPushButton("Cancel"), "httpFormCancel", "Cancel the requests under way")
        self.session_button = named(
            QPushButton("New session"),
            "httpFormNewSession",
            "Forget cookies and close kept-alive connections",
        )
        self.form_error = QLabel()
        self.form_error.setObjectName("httpFormError")

        self.query = RowsTable("httpFormQuery", ["Name", "Value"], "the query parameters")
        self.headers = RowsTable("httpFormHeaders", ["Header", "Value"], "the request headers")
        self.preset_button = named(QPushButton("Preset ▾"), "httpFormPreset", "Add a common header")
        presets = QMenu(self.preset_button)
        for name, values in HEADER_PRESETS.items():
            for value in values:
                presets.addAction(f"{name}: {value}", functools.partial(self.headers.add_row, name, value))
        self.preset_button.setMenu(presets)
        self.headers.buttons.insertWidget(2, self.preset_button)

        self.body_kind = named(QComboBox(), "httpFormBodyKind", "Kind of body")
        for kind, label in (
            (BodyKind.NONE, "None"),
            (BodyKind.RAW, "Raw text"),
            (BodyKind.JSON, "JSON"),
            (BodyKind.FORM, "Form (urlencoded)"),
            (BodyKind.MULTIPART, "Multipart (files)"),
        ):
            self.body_kind.addItem(label, kind.value)
        self.body = named(QPlainTextEdit(), "httpFormBody", "Body text")
        self.body.setFont(mono_font())
        self.body_note = named(QLabel(), "httpFormBodyNote", "Is the JSON valid")
        self.fields = RowsTable("httpFormFields", ["Field", "Value"], "the form fields")
        self.files = RowsTable("httpFormFiles", ["Field", "File", "Content type"], "the files to upload")
        self.files.add_button.setText("Add file…")
        self.body_stack = QStackedWidget()
        self.body_stack.addWidget(QLabel("No body is sent."))
        text_page = QWidget()
        text_layout = QVBoxLayout(text_page)
        text_layout.setContentsMargins(0, 0, 0, 0)
        text_layout.addWidget(self.body, 1)
        text_layout.addWidget(self.body_note)
        self.body_stack.addWidget(text_page)
        form_page = QSplitter(Qt.Orientation.Horizontal)
        form_page.addWidget(self.fields)
        form_page.addWidget(self.files)
        self.body_stack.addWidget(form_page)

        self.auth = named(QComboBox(), "httpFormAuth", "Authentication")
        for auth, label in (
            (AuthKind.NONE, "None"),
            (AuthKind.BASIC, "Basic"),
            (AuthKind.DIGEST, "Digest"),
            (AuthKind.BEARER, "Bearer token"),
        ):
            self.auth.addItem(label, auth.value)
        self.user = named(QLineEdit(), "httpFormUser", "User name")
        self.password = named(QLineEdit(), "httpFormPassword", "Password")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.token = named(QLineEdit(), "httpFormToken", "Bearer token")

        self.timeout = named(QDoubleSpinBox(), "httpFormTimeout", "Timeout in seconds")
        self.timeout.setRange(0.1, 3600)
        self.timeout.setValue(defaults.timeout)
        self.timeout.setSuffix(" s")
        self.follow = named(QCheckBox("Follow redirects"), "httpFormFollow", "Follow redirects")
        self.follow.setChecked(True)
        self.verify = named(QCheckBox("Verify TLS"), "httpFormVerify", "Check the server's certificate")
        self.verify.setChecked(True)
        self.ca_file = named(
            QLineEdit(), "httpFormCaFile", "CA file", "Trust this CA (PEM) instead of the system's"
        )
        self.ca_file.setPlaceholderText("system CAs")
        self.ca_browse = named(QPushButton("Choose…"), "httpFormCaBrowse", "Choose the CA file")
        self.proxy = named(QLineEdit(), "httpFormProxy", "Proxy", "e.g. http://127.0.0.1:3128; empty: none")
        self.proxy.setPlaceholderText("no proxy")
        self.retries = named(QSpinBox(), "httpFormRetries", "Retries", "After a refused connection or a 5xx")
        self.retries.setRange(0, 10)
        self.backoff = named(QDoubleSpinBox(), "httpFormBackoff", "Back-off in seconds")
        self.backoff.setRange(0, 60)
        self.backoff.setValue(defaults.backoff)
        self.backoff.setSuffix(" s")
        self.cap = named(
            QSpinBox(), "httpFormCap", "Memory cap in MB", "A larger body is offered Save to file"
        )
        self.cap.setRange(1, 2**34 // 2**20)
        self.cap.setValue(defaults.cap // 2**20)
        self.cap.setSuffix(" MB")

        self.history_list = named(QListWidget(), "httpFormHistory", "Requests sent")
        self.history_list.setFont(mono_font())
        self.history_again = named(
            QPushButton("Send again"), "httpFormSendAgain", "Send the selected request again"
        )

        self.editor = named(QTabWidget(), "httpFormEditor", "Request parts")
        self.editor.addTab(self.query, "Query")
        self.editor.addTab(self.headers, "Headers")
        self.editor.addTab(self._body_page(), "Body")
        self.editor.addTab(self._auth_page(), "Auth")
        self.editor.addTab(self._options_page(), "Options")
        history = QWidget()
        history_layout = QHBoxLayout(history)
        history_layout.setContentsMargins(0, 0, 0, 0)
        history_layout.addWidget(self.history_list, 1)
        history_layout.addWidget(self.history_again, 0, Qt.AlignmentFlag.AlignTop)
        self.editor.addTab(history, "History")
        # Large files stream to disk with progress, several at once, using this form's library and options.
        me = weakref.ref(self)  # not self.config: the panel would hold its tab in a reference cycle
        self.downloads = DownloadsPanel(options=lambda: me().config())  # type: ignore[union-attr]
        self.editor.addTab(self.downloads, "Downloads")

        self.sides = {backend: ResponseView(backend) for backend in (Backend.URLLIB, Backend.REQUESTS)}
        answers = QSplitter(Qt.Orientation.Horizontal)
        for side in self.sides.values():
            answers.addWidget(side)
            side.answered.connect(self._on_side_answered)
            side.status.connect(self.status)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setObjectName("httpFormSplitter")
        self.splitter.addWidget(self.editor)
        self.splitter.addWidget(answers)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setSizes([EDITOR_HEIGHT, 400])

        self.marks = FieldMarks(
            {
                "method": self.method,
                "url": self.url,
                "headers": self.headers.table,
                "body": self.body,
                "files": self.files.table,
                "user": self.user,
                "token": self.token,
                "proxy": self.proxy,
                "timeout": self.timeout,
                "retries": self.retries,
                "backoff": self.backoff,
            },
            self.form_error,
        )
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(
            hbox(
                self.backend,
                self.method,
                self.url,
                self.send_button,
                self.both_button,
                self.cancel_button,
                self.session_button,
                stretch=self.url,
            )
        )
        layout.addWidget(self.form_error)
        layout.addWidget(self.splitter, 1)

        self.url.textChanged.connect(self._on_url_text_changed)
        self.query.table.itemChanged.connect(self._on_query_item_changed)
        self.body_kind.currentIndexChanged.connect(self._on_body_kind_current_index_changed)
        self.body.textChanged.connect(self._on_body_text_changed)
        self.files.add_button.clicked.disconnect()
        self.files.add_button.clicked.connect(self._on_add_file_clicked)
        self.auth.currentIndexChanged.connect(self._on_auth_current_index_changed)
        self.ca_browse.clicked.connect(self._on_ca_browse_clicked)
        self.send_button.clicked.connect(self.send)
        self.url.returnPressed.connect(self.send)
        self.both_button.clicked.connect(self.send_with_both)
        self.cancel_button.clicked.connect(self.cancel)
        self.session_button.clicked.connect(self.new_session)
        self.history_list.currentRowChanged.connect(self._on_history_current_row_changed)
        self.history_list.itemDoubleClicked.connect(self._on_history_item_double_clicked)
        self.history_again.clicked.connect(self.send_again)
        self._on_url_text_changed(self.url.text())
        self._on_body_kind_current_index_changed(0)
        self._on_auth_current_index_changed(0)

    def _body_page(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(hbox(QLabel("Body"), self.body_kind, None, stretch=None))
        layout.addWidget(self.body_stack, 1)
        return page

    def _auth_page(self) -> QWidget:
        page = QWidget()
        grid = QGridLayout(page)
        grid.addWidget(QLabel("Kind"), 0, 0)
        grid.addWidget(self.auth, 0, 1)
        grid.addWidget(QLabel("User"), 1, 0)
        grid.addWidget(self.user, 1, 1)
        grid.addWidget(QLabel("Password"), 1, 2)
        grid.addWidget(self.password, 1, 3)
        grid.addWidget(QLabel("Token"), 2, 0)
        grid.addWidget(self.token, 2, 1, 1, 3)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(3, 1)
        grid.setRowStretch(3, 1)
        return page

    def _options_page(self) -> QWidget:
        page = QWidget()
        grid = QGridLayout(page)
        grid.addWidget(QLabel("Timeout"), 0, 0)
        grid.addWidget(self.timeout, 0, 1)
        grid.addWidget(self.follow, 0, 2)
        grid.addWidget(self.verify, 0, 3)
        grid.addWidget(QLabel("CA file"), 1, 0)
        grid.addLayout(hbox(self.ca_file, self.ca_browse, stretch=self.ca_file), 1, 1, 1, 3)
        grid.addWidget(QLabel("Proxy"), 2, 0)
        grid.addWidget(self.proxy, 2, 1, 1, 3)
        grid.addWidget(QLabel("Retries"), 3, 0)
        grid.addLayout(hbox(self.retries, QLabel("back-off"), self.backoff, None, stretch=None), 3, 1)
        grid.addWidget(QLabel("Memory cap"), 3, 2)
        grid.addLayout(hbox(self.cap, None), 3, 3)
        grid.setColumnStretch(3, 1)
        grid.setRowStretch(4, 1)
        return page

    # ------------------------------------------------------------------ form <-> config
    def config(self) -> HttpFormConfig:
        """The form as a config; raises ConfigError naming the fields."""
        return HttpFormConfig(
            backend=Backend(self.backend.currentData()),
            method=self.method.currentText(),
            url=self.url.text().strip(),
            headers=tuple(NameValue(name.strip(), value) for name, value in self.headers.rows()),
            body_kind=BodyKind(self.body_kind.currentData()),
            body=typed_text(self.body),
            fields=tuple(NameValue(name, value) for name, value in self.fields.rows()),
            files=tuple(
                Upload(field, path, kind or "application/octet-stream")
                for field, path, kind in self.files.rows()
            ),
            auth=AuthKind(self.auth.currentData()),
            user=self.user.text(),
            password=self.password.text(),
            token=self.token.text().strip(),
            timeout=self.timeout.value(),
            follow_redirects=self.follow.isChecked(),
            verify=self.verify.isChecked(),
            ca_file=self.ca_file.text().strip(),
            proxy=self.proxy.text().strip(),
            retries=self.retries.value(),
            backoff=self.backoff.value(),
            cap=self.cap.value() * 2**20,
        )

    def set_config(self, config: HttpFormConfig) -> None:
        select_data(self.backend, config.backend.value)
        self.method.setCurrentText(config.method)
        self.url.setText(config.url)
        self.headers.set_rows([(h.name, h.value) for h in config.headers])
        select_data(self.body_kind, config.body_kind.value)
        self.body.setPlainText(config.body)
        self.fields.set_rows([(f.name, f.value) for f in config.fields])
        self.files.set_rows([(u.field, u.path, u.content_type) for u in config.files])
        select_data(self.auth, config.auth.value)
        self.user.setText(config.user)
        self.password.setText(config.password)
        self.token.setText(config.token)
        self.timeout.setValue(config.timeout)
        self.follow.setChecked(config.follow_redirects)
        self.verify.setChecked(config.verify)
        self.ca_file.setText(config.ca_file)
        self.proxy.setText(config.proxy)
        self.retries.setValue(config.retries)
        self.backoff.setValue(config.backoff)
        self.cap.setValue(max(1, config.cap // 2**20))

    def lab_state(self) -> HttpFormConfig:
        return self.config()

    def load_lab_state(self, state: HttpFormConfig) -> None:
        self.set_config(state)

    def runners(self) -> list[EngineRunner[Any]]:
        return [side.runner for side in self.sides.values() if side.runner is not None]

    def stop_all(self) -> None:
        for side in self.sides.values():
            side.stop()
        self.downloads.shutdown()  # cancels the downloads and waits (bounded) for their thread

    # ------------------------------------------------------------------ sending
    def _checked_config(self) -> HttpFormConfig | None:
        try:
            config = self.config()
            raise_if(config.sending_problems())
        except ConfigError as exc:
            self.marks.show(exc.problems)
            self._show_editor_page_of(exc.problems[0].field)
            self.status.emit(str(exc.problems[0]))
            return None
        self.marks.clear()
        return config

    def _show_editor_page_of(self, field: str) -> None:
        pages = {"headers": 1, "body": 2, "files": 2, "user": 3, "token": 3}
        pages.update(dict.fromkeys(("proxy", "timeout", "retries", "backoff", "cap"), 4))
        if field in pages:
            self.editor.setCurrentIndex(pages[field])

    @Slot()
    def send(self) -> None:
        """Send with the library chosen in the backend box."""
        config = self._checked_config()
        if config is not None:
            self._send_on(self.sides[config.backend], config)

    @Slot()
    def send_with_both(self) -> None:
        """The same request through urllib and through requests, each answer and wire on its own side."""
        config = self._checked_config()
        if config is not None:
            for backend, side in self.sides.items():
                self._send_on(side, replace(config, backend=backend))

    def _send_on(self, side: ResponseView, config: HttpFormConfig) -> None:
        self.history.append(Sent(config, time.time()))
        self.history_list.addItem(self.history[-1].label())
        side.send(len(self.history) - 1, config)

    @Slot()
    def cancel(self) -> None:
        for side in self.sides.values():
            side.cancel()

    @Slot()
    def new_session(self) -> None:
        for side in self.sides.values():
            side.new_session()
        self.status.emit("New session: cookies forgotten, kept-alive connections closed")

    @Slot()
    def send_again(self) -> None:
        """Send the selected request as it now stands in the form (selecting it put it there to edit)."""
        self.send()

    @Slot(QListWidgetItem)
    def _on_history_item_double_clicked(self, item: QListWidgetItem) -> None:
        self.set_config(self.history[self.history_list.row(item)].config)
        self.send()

    @Slot(int, object)
    def _on_side_answered(self, entry: int, event: object) -> None:
        if not 0 <= entry < len(self.history):
            return
        sent = self.history[entry]
        if isinstance(event, FormResponse):
            sent.response = event
        elif isinstance(event, Error):
            sent.failure = event.message
        self.history_list.item(entry).setText(sent.label())

    @Slot(int)
    def _on_history_current_row_changed(self, row: int) -> None:
        """Inspect: the request goes back into the form (to edit), its response into its side."""
        if not 0 <= row < len(self.history):
            return
        sent = self.history[row]
        self.set_config(sent.config)
        if sent.response is not None:
            self.sides[sent.config.backend].show_response(sent.response)

    # ------------------------------------------------------------------ keeping the form in step
    @Slot(str)
    def _on_url_text_changed(self, url: str) -> None:
        if self.downloads.url.text() in ("", self._offered_url):
            self.downloads.url.setText(url)  # the request's URL is the first guess, until you type another
            self._offered_url = url
        if self._query_editing:
            return  # the table made this URL: rebuilding it would drop a row still being typed
        rows = [(name, value) for name, value in query_pairs(url)] if "?" in url else []
        if rows != [tuple(r) for r in self.query.rows()]:
            with QSignalBlocker(self.query.table):
                self.query.table.setRowCount(0)
                for name, value in rows:
                    self.query.add_row(name, value)

    @Slot(QTableWidgetItem)
    def _on_query_item_changed(self, _item: QTableWidgetItem) -> None:
        url = with_query(self.url.text(), [(row[0], row[1]) for row in self.query.rows()])
        if url != self.url.text():
            self._query_editing = True
            try:
                self.url.setText(url)
            finally:
                self._query_editing = False

    @Slot(int)
    def _on_body_kind_current_index_changed(self, _index: int) -> None:
        kind = BodyKind(self.body_kind.currentData())
        page = {BodyKind.NONE: 0, BodyKind.RAW: 1, BodyKind.JSON: 1}.get(kind, 2)
        self.body_stack.setCurrentIndex(page)
        self.files.setVisible(kind == BodyKind.MULTIPART)
        self._on_body_text_changed()

    @Slot()
    def _on_body_text_changed(self) -> None:
        if BodyKind(self.body_kind.currentData()) != BodyKind.JSON:
            self.body_note.setText("Sent as UTF-8 text, exactly as typed")
            self.body_note.setStyleSheet("")
            return
        problems = json_problems(typed_text(self.body))
        self.body_note.setText(problems[0].message if problems else "Valid JSON")
        self.body_note.setStyleSheet("color: #c62828;" if problems else "color: #2e7d32;")

    @Slot(int)
    def _on_auth_current_index_changed(self, _index: int) -> None:
        kind = AuthKind(self.auth.currentData())
        for widget in (self.user, self.password):
            widget.setEnabled(kind in (AuthKind.BASIC, AuthKind.DIGEST))
        self.token.setEnabled(kind == AuthKind.BEARER)

    @Slot()
    def _on_add_file_clicked(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Choose a file to upload")
        if path:
            self.add_file("file", path)

    def add_file(self, field: str, path: str) -> None:
        kind = mimetypes.guess_type(path)[0] or "application/octet-stream"
        self.files.add_row(field, path, kind)

    @Slot()
    def _on_ca_browse_clicked(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Choose the CA file", "", "Certificates (*.pem *.crt);;All (*)"
        )
        if path:
            self.ca_file.setText(path)
