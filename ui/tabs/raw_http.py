"""The Raw HTTP tab: type a request's exact bytes, send them over a socket, see every byte that comes back."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QMimeData, QRect, Qt, QTimer, Slot
from PySide6.QtGui import (
    QColor,
    QKeyEvent,
    QPainter,
    QPaintEvent,
    QPixmap,
    QSyntaxHighlighter,
    QTextCharFormat,
    QTextCursor,
)
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from netlab.core.codec import hexdump
from netlab.core.config import ConfigError, FieldProblem
from netlab.core.events import Closed, Data, Direction, Error, Event, Info, Opened, Sink
from netlab.core.problem import Problem
from netlab.http.raw import (
    Reading,
    Response,
    body_text,
    fill_from_url,
    parse_url,
    pretty_json,
    read_responses,
    request_bytes,
    set_content_length,
    templates,
    to_crlf,
)
from netlab.http.raw_client import VERIFY_LABEL, RawHttpClient, methods_of
from netlab.http.raw_config import RawHttpConfig
from ui.common.logpane import LogPane, mono_font
from ui.common.panel import EnginePanel
from ui.common.widgets import CountersBar, FieldMarks, PortBox, controls_above_log, hbox, named, typed_text

# The teletype's two moves: CR takes the carriage back left, LF feeds the paper one line down. (The
# Unicode control pictures ␍ ␊ are tiny "CR"/"LF" letters that read as boxes at editor size.)
CR_MARK = "\u2190"  # ←: a CR in the request is this character in the editor, so the student sees it
LF_MARK = "\u2193"  # ↓: drawn at the end of every line (a line break in the editor is one LF byte)
MARK_COLOUR = QColor("#8a8a8a")
RAW_FORM_SHARE = 62  # percent: the editor and the parsed view matter as much as the log here
BODY_MODES = [("Auto", "auto"), ("JSON", "json"), ("Text", "text"), ("Hex", "hex"), ("Image", "image")]


def editor_text(request: str) -> str:
    """A request as the editor holds it: every CR as CR_MARK (Qt would make a CR a line break)."""
    return request.replace("\r", CR_MARK)


def request_text(shown: str) -> str:
    """The editor's text back as the request: CR marks are CR bytes, line breaks LF bytes."""
    return shown.replace(CR_MARK, "\r")


class _MarkColours(QSyntaxHighlighter):
    """The CR marks in grey: they are bytes on the wire, not words of the request."""

    def highlightBlock(self, text: str) -> None:
        mark = QTextCharFormat()
        mark.setForeground(MARK_COLOUR)
        start = text.find(CR_MARK)
        while start >= 0:
            self.setFormat(start, 1, mark)
            start = text.find(CR_MARK, start + 1)


class RequestEditor(QPlainTextEdit):
    """The request, with its line ends shown: CR_MARK for CR (a character in the text), LF_MARK drawn
    after each line for LF. CRLF looks like ←↓, a bare LF only ↓. With `crlf` on, Enter types CR LF."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.crlf = True
        self.setFont(mono_font())
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self._colours = _MarkColours(self.document())

    def request(self) -> str:
        return request_text(typed_text(self))

    def set_request(self, request: str) -> None:
        self.setPlainText(editor_text(request))

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.crlf:
            self.textCursor().insertText(CR_MARK + "\n")
            self.ensureCursorVisible()
            return
        super().keyPressEvent(event)

    def insertFromMimeData(self, source: QMimeData) -> None:
        # Pasted CRs become marks too, and with CRLF on every pasted line end is CR LF.
        text = to_crlf(source.text()) if self.crlf else source.text()
        self.textCursor().insertText(editor_text(text))

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        painter = QPainter(self.viewport())
        painter.setPen(MARK_COLOUR)
        block = self.firstVisibleBlock()
        while block.isValid() and block.next().isValid():
            top = self.blockBoundingGeometry(block).translated(self.contentOffset()).top()
            if top > event.rect().bottom():
                break
            cursor = QTextCursor(block)
            cursor.movePosition(QTextCursor.MoveOperation.EndOfBlock)
            end = self.cursorRect(cursor)
            painter.drawText(QRect(end.left() + 1, end.top(), 40, end.height()), 0, LF_MARK)
            block = block.next()
        painter.end()


@dataclass
class _Exchange:
    """What the tab knows of the request on the wire: its connection, the methods, the bytes back."""

    conn: int
    methods: tuple[str, ...]
    cap: int
    received: bytearray
    open: bool = False
    closed: bool = False
    failed: bool = False  # an error is in the state line: the close must not hide it


class RawHttpTab(EnginePanel):
    """Compose a request, send it, read the raw reply in the log and its parsed form beside the editor."""

    lab_key = "raw_http"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("rawTab")
        defaults = RawHttpConfig()
        self.exchange: _Exchange | None = None
        self.reading = Reading()

        # ---- target
        self.url = named(QLineEdit(), "rawUrl", "URL", "http:// or https:// URL; Fill from URL sets the rest")
        self.url.setPlaceholderText("http://127.0.0.1:8000/")
        self.fill = named(QPushButton("Fill from URL"), "rawFill", "Fill from URL")
        self.templates = named(QToolButton(), "rawTemplates", "Templates", "Start from a teaching request")
        self.templates.setText("Templates")
        self.templates.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.template_menu = QMenu(self.templates)
        for name in templates():
            action = self.template_menu.addAction(name)
            action.triggered.connect(lambda _checked=False, n=name: self.use_template(n))
            if name == "Keep-alive":
                self.template_menu.addSeparator()
        self.templates.setMenu(self.template_menu)
        self.host = named(QLineEdit(defaults.host), "rawHost", "Host", "Name or address of the server")
        self.port = named(PortBox(defaults.port, allow_zero=False), "rawPort", "Port")
        self.tls = named(QCheckBox("TLS"), "rawTls", "Use TLS")
        self.verify = named(
            QCheckBox(VERIFY_LABEL),
            "rawVerify",
            "Verify the server's certificate",
            "Off: any certificate is accepted, even an impostor's; the log still shows what it says",
        )
        self.verify.setChecked(True)
        self.sni = named(QLineEdit(), "rawSni", "SNI", "Name sent in the TLS handshake; empty: the host")
        self.sni.setPlaceholderText("SNI (default: host)")
        self.ca_file = named(
            QLineEdit(), "rawCaFile", "CA file", "Also trust certificates signed by this CA (PEM)"
        )
        self.ca_file.setPlaceholderText("CA file (optional)")
        self.browse_ca = named(QPushButton("…"), "rawBrowseCa", "Choose a CA file")

        # ---- composer
        self.editor = named(RequestEditor(), "rawRequest", "Request", "The exact bytes to send")
        self.crlf = named(
            QCheckBox("Convert line ends to CRLF"),
            "rawCrlf",
            "Convert line ends to CRLF",
            "Enter types CR LF, and every line end is sent as CR LF",
        )
        self.crlf.setChecked(defaults.crlf)
        self.auto_length = named(
            QCheckBox("Keep Content-Length up to date"),
            "rawAutoLength",
            "Keep Content-Length up to date",
            "Off: the Content-Length you type is sent as it is, right or wrong",
        )
        self.auto_length.setChecked(defaults.auto_length)
        self.keep_open = named(
            QCheckBox("Keep connection open"),
            "rawKeepOpen",
            "Keep connection open",
            "Leave the connection open after the reply, to send the next request on it",
        )
        self.timeout = named(QDoubleSpinBox(), "rawTimeout", "Read timeout", "Give up after this long silent")
        self.timeout.setRange(0.1, 3600)
        self.timeout.setValue(defaults.timeout)
        self.timeout.setPrefix("timeout ")
        self.timeout.setSuffix(" s")
        self.cap_mb = named(
            QDoubleSpinBox(), "rawCap", "Response cap", "Bytes kept in memory; more are counted"
        )
        self.cap_mb.setRange(0.001, 16384)
        self.cap_mb.setDecimals(3)
        self._cap = defaults.cap
        self.cap_mb.setValue(defaults.cap / 2**20)
        self.cap_mb.setPrefix("keep ")
        self.cap_mb.setSuffix(" MB")
        self.send_button = named(QPushButton("Send"), "rawSend", "Send on a new connection")
        self.send_button.setDefault(True)
        self.again = named(
            QPushButton("Send on same connection"),
            "rawSendAgain",
            "Send on the same connection",
            "Send the request on the connection kept open (keep-alive)",
        )
        self.cancel_button = named(QPushButton("Cancel"), "rawCancel", "Cancel", "Close the connection now")
        self.state = named(QLabel("Ready"), "rawState", "State")
        self.timing = named(QLabel(), "rawTiming", "Timing and bytes")
        self.timing.setWordWrap(True)

        # ---- parsed view
        self.status_line = named(QLabel("No response yet"), "rawStatusLine", "Status line")
        self.status_line.setWordWrap(True)
        self.status_line.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.which = named(QComboBox(), "rawWhich", "Which response", "Pipelined requests get one each")
        self.headers = named(QTableWidget(0, 2), "rawHeaders", "Response headers")
        self.headers.setHorizontalHeaderLabels(["Header", "Value"])
        self.headers.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.headers.horizontalHeader().setStretchLastSection(True)
        self.headers.verticalHeader().hide()
        self.headers.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.body_mode = named(QComboBox(), "rawBodyMode", "Show the body as")
        for label, value in BODY_MODES:
            self.body_mode.addItem(label, value)
        self.save_body = named(QPushButton("Save body…"), "rawSaveBody", "Save the body to a file")
        self.body_text = named(QPlainTextEdit(), "rawBodyText", "Response body")
        self.body_text.setReadOnly(True)
        self.body_text.setFont(mono_font())
        self.body_image = named(QLabel(), "rawBodyImage", "Response image")
        self.body_image.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.body_stack = QStackedWidget()
        self.body_stack.addWidget(self.body_text)
        self.body_stack.addWidget(self.body_image)
        self.form_error = QLabel()
        self.form_error.setObjectName("rawFormError")
        self.marks = FieldMarks(
            {
                "host": self.host,
                "port": self.port,
                "sni": self.sni,
                "ca_file": self.ca_file,
                "request": self.editor,
                "url": self.url,
                "timeout": self.timeout,
                "cap": self.cap_mb,
            },
            self.form_error,
        )
        self.counters = CountersBar("rawCounters")
        self.counters.hide()  # one exchange at a time: the timing line says bytes up and down
        self.log = LogPane("raw")

        # ---- layout
        target = QGridLayout()
        target.addWidget(QLabel("URL"), 0, 0)
        target.addLayout(hbox(self.url, self.fill, self.templates, stretch=self.url), 0, 1)
        target.addWidget(QLabel("Host"), 1, 0)
        port_label = QLabel("Port")
        row = hbox(
            self.host, port_label, self.port, self.tls, self.verify, self.sni, self.ca_file, self.browse_ca
        )
        row.setStretch(0, 2)
        row.setStretch(5, 1)
        row.setStretch(6, 2)
        target.addLayout(row, 1, 1)
        self.port.setMaximumWidth(70)
        composer = QWidget()
        composer_layout = QVBoxLayout(composer)
        composer_layout.setContentsMargins(0, 0, 0, 0)
        composer_layout.addWidget(
            QLabel(f"Request ({CR_MARK} is CR, {LF_MARK} is LF: CRLF shows as {CR_MARK}{LF_MARK})")
        )
        composer_layout.addWidget(self.editor, 1)
        composer_layout.addLayout(hbox(self.crlf, self.auto_length, None))
        parsed = QWidget()
        parsed_layout = QVBoxLayout(parsed)
        parsed_layout.setContentsMargins(0, 0, 0, 0)
        parsed_layout.addLayout(hbox(self.status_line, self.which, stretch=self.status_line))
        parsed_layout.addWidget(self.timing)
        inner = QSplitter(Qt.Orientation.Vertical)
        inner.addWidget(self.headers)
        body = QWidget()
        body_layout = QVBoxLayout(body)
        body_layout.setContentsMargins(0, 0, 0, 0)
        body_layout.addLayout(hbox(QLabel("Body as"), self.body_mode, None, self.save_body))
        body_layout.addWidget(self.body_stack, 1)
        inner.addWidget(body)
        parsed_layout.addWidget(inner, 1)
        self.middle = QSplitter(Qt.Orientation.Horizontal)
        self.middle.setObjectName("rawMiddle")
        self.middle.addWidget(composer)
        self.middle.addWidget(parsed)
        self.middle.setStretchFactor(0, 1)
        self.middle.setStretchFactor(1, 1)
        self.middle.setMinimumHeight(220)
        buttons = hbox(
            self.send_button,
            self.again,
            self.cancel_button,
            self.keep_open,
            self.timeout,
            self.cap_mb,
            self.state,
            stretch=self.state,
        )
        target.addLayout(buttons, 2, 0, 1, 2)
        parts: list[QWidget | QHBoxLayout | QGridLayout] = [target, self.form_error, self.middle]
        self.splitter = controls_above_log(self, "", parts, self.log)  # type: ignore[arg-type]
        self.splitter.share = RAW_FORM_SHARE

        self._length_timer = QTimer(self)
        self._length_timer.setSingleShot(True)
        self._length_timer.setInterval(150)
        self._length_timer.timeout.connect(self.update_length)
        self.editor.textChanged.connect(self._length_timer.start)
        self.crlf.toggled.connect(self._on_crlf_toggled)
        self.auto_length.toggled.connect(self._length_timer.start)
        self.fill.clicked.connect(self.fill_from_url)
        self.url.returnPressed.connect(self.fill_from_url)
        self.browse_ca.clicked.connect(self._on_browse_ca_clicked)
        self.tls.toggled.connect(self._on_tls_toggled)
        self.send_button.clicked.connect(self.send)
        self.again.clicked.connect(self.send_again)
        self.cancel_button.clicked.connect(self.cancel)
        self.which.currentIndexChanged.connect(self.show_response)
        self.body_mode.currentIndexChanged.connect(self.show_response)
        self.save_body.clicked.connect(self._on_save_body_clicked)
        self.log.problem.connect(self.status)
        self.editor.set_request(defaults.request)
        self._on_tls_toggled(False)
        self.set_running(False)
        self.show_response()

    # ------------------------------------------------------------------ the form
    def config(self) -> RawHttpConfig:
        problems: list[FieldProblem] = []
        port_problem = self.port.problem()
        if port_problem is not None:
            problems.append(port_problem)
        if problems:
            raise ConfigError(problems)
        return RawHttpConfig(
            host=self.host.text().strip(),
            port=self.port.value(),
            tls=self.tls.isChecked(),
            verify=self.verify.isChecked(),
            sni=self.sni.text().strip(),
            ca_file=self.ca_file.text().strip(),
            request=self.editor.request(),
            crlf=self.crlf.isChecked(),
            auto_length=self.auto_length.isChecked(),
            keep_open=self.keep_open.isChecked(),
            timeout=round(self.timeout.value(), 2),
            cap=self._cap_in_bytes(),
        )

    def _cap_in_bytes(self) -> int:
        # The box shows MB with 3 decimals: a loaded cap that shows unchanged is given back exactly.
        # (Qt rounds a half away from zero and Python's round() to even, so compare within half a step.)
        if abs(self._cap / 2**20 - self.cap_mb.value()) <= 0.0005 + 1e-12:
            return self._cap
        return max(1024, round(self.cap_mb.value() * 2**20))

    def lab_state(self) -> RawHttpConfig:
        return self.config()

    def load_lab_state(self, config: RawHttpConfig) -> None:
        """Show a config in the form (the inverse of config())."""
        self.host.setText(config.host)
        self.port.setValue(config.port)
        self.tls.setChecked(config.tls)
        self.verify.setChecked(config.verify)
        self.sni.setText(config.sni)
        self.ca_file.setText(config.ca_file)
        self.crlf.setChecked(config.crlf)
        self.auto_length.setChecked(config.auto_length)
        self.keep_open.setChecked(config.keep_open)
        self.timeout.setValue(config.timeout)
        self._cap = config.cap
        self.cap_mb.setValue(config.cap / 2**20)
        self.editor.set_request(config.request)
        self._length_timer.stop()  # a saved request is shown as saved, a wrong length included

    @Slot(bool)
    def _on_tls_toggled(self, on: bool) -> None:
        for widget in (self.verify, self.sni, self.ca_file, self.browse_ca):
            widget.setEnabled(on)

    @Slot(bool)
    def _on_crlf_toggled(self, on: bool) -> None:
        self.editor.crlf = on
        self._length_timer.start()

    @Slot()
    def _on_browse_ca_clicked(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Choose the CA certificate", self.ca_file.text(), "PEM files (*.pem *.crt);;All files (*)"
        )
        if path:
            self.ca_file.setText(path)

    def use_template(self, name: str) -> None:
        """Put a teaching request in the editor, addressed to the host and port in the form."""
        host = f"[{self.host.text().strip()}]" if ":" in self.host.text() else self.host.text().strip()
        request = templates(f"{host}:{self.port.text().strip()}")[name]
        self.editor.set_request(request)
        bare_lf = "\n" in request.replace("\r\n", "")
        if bare_lf and self.crlf.isChecked():
            self.crlf.setChecked(False)  # else the lesson's bare LFs would go out as CR LF
            self.status.emit("'Convert line ends to CRLF' is off, so the bare LF line ends go out as typed")
        if name == "Broken: wrong Content-Length" and self.auto_length.isChecked():
            self.auto_length.setChecked(False)  # else the wrong length would be fixed before it is sent
            self.status.emit("'Keep Content-Length up to date' is off, so the wrong length goes out")
        self._length_timer.stop()
        self.update_length()

    @Slot()
    def fill_from_url(self) -> None:
        found = parse_url(self.url.text())
        if isinstance(found, Problem):
            self.marks.show([FieldProblem("url", found.message, found.hint)])
            return
        self.marks.clear()
        self.host.setText(found.host)
        self.port.setValue(found.port)
        self.tls.setChecked(found.tls)
        self.editor.set_request(fill_from_url(self.editor.request(), found))

    @Slot()
    def update_length(self) -> None:
        """Keep Content-Length equal to the body's length, changing only the digits (undo still works)."""
        if not self.auto_length.isChecked():
            return
        old = typed_text(self.editor)
        new = editor_text(set_content_length(request_text(old), crlf=self.crlf.isChecked()))
        if new == old:
            return
        start = 0
        while start < min(len(old), len(new)) and old[start] == new[start]:
            start += 1
        end_old, end_new = len(old), len(new)
        while end_old > start and end_new > start and old[end_old - 1] == new[end_new - 1]:
            end_old, end_new = end_old - 1, end_new - 1
        cursor = QTextCursor(self.editor.document())
        cursor.setPosition(start)
        cursor.setPosition(end_old, QTextCursor.MoveMode.KeepAnchor)
        cursor.insertText(new[start:end_new])
        self._length_timer.stop()  # our own edit: nothing more to fix

    # ------------------------------------------------------------------ sending
    def make_engine(self, config: RawHttpConfig, sink: Sink) -> RawHttpClient:
        return RawHttpClient(sink)

    def stop_all(self) -> None:
        self.stop()

    def set_running(self, running: bool) -> None:
        busy = self.exchange is not None and not self.exchange.closed
        self.cancel_button.setEnabled(busy)
        self.again.setEnabled(busy and self.exchange is not None and self.exchange.open)

    @Slot()
    def send(self) -> None:
        """Send the editor's request on a new connection."""
        config = self._checked_config()
        if config is None:
            return
        if self.runner is None:
            self.start()
            if self.runner is None:
                return
        data = request_bytes(config.request, crlf=config.crlf, auto_length=config.auto_length)
        if self.exchange is not None and not self.exchange.closed:
            self.runner.engine.cancel(self.exchange.conn)  # one exchange at a time: the old one ends
        conn = self.runner.engine.request(config, data)
        self.exchange = _Exchange(conn, methods_of(data), config.cap, bytearray())
        self.state.setText(f"Sending {len(data)} bytes to {config.host}:{config.port}…")
        self.timing.clear()
        self.set_running(True)

    @Slot()
    def send_again(self) -> None:
        """Send the editor's request on the connection kept open."""
        config = self._checked_config()
        exchange = self.exchange
        if config is None or exchange is None or exchange.closed or self.runner is None:
            return
        data = request_bytes(config.request, crlf=config.crlf, auto_length=config.auto_length)
        self.exchange = _Exchange(exchange.conn, methods_of(data), config.cap, bytearray(), open=True)
        self.runner.engine.send_more(exchange.conn, data)
        self.state.setText(f"Sending {len(data)} bytes on connection #{exchange.conn}…")
        self.timing.clear()
        self.set_running(True)

    @Slot()
    def cancel(self) -> None:
        if self.exchange is not None and self.runner is not None and not self.exchange.closed:
            self.runner.engine.cancel(self.exchange.conn)
            self.state.setText("Cancelling…")

    def _checked_config(self) -> RawHttpConfig | None:
        try:
            config = self.config()
        except ConfigError as exc:
            self.marks.show(exc.problems)
            self.state.setText("Not sent: fix the marked field")
            self.status.emit(str(exc.problems[0]))
            return None
        self.marks.clear()
        return config

    def on_events(self, events: list[Event]) -> None:
        exchange = self.exchange
        if exchange is None:
            return
        for event in events:
            if event.conn != exchange.conn:
                continue
            if isinstance(event, Data) and event.direction is Direction.RECEIVED:
                room = exchange.cap - len(exchange.received)
                if room > 0:
                    exchange.received += event.data[:room]
            elif isinstance(event, Opened):
                exchange.open = True
                self.state.setText(f"Connected to {event.peer}")
            elif isinstance(event, Error):
                exchange.failed = True
                self.state.setText(f"{event.message} - {event.hint}" if event.hint else event.message)
            elif isinstance(event, Info) and event.text.startswith("Timing: "):
                self.timing.setText(event.text)
            elif isinstance(event, Info) and event.text.startswith("Response: "):
                self._show_reading(exchange)
                if not exchange.closed and exchange.open:
                    self.state.setText(f"Reply in; connection #{exchange.conn} is still open")
            elif isinstance(event, Closed):
                exchange.closed = True
                if not exchange.failed:
                    self.state.setText(f"Connection closed: {event.reason}" if event.reason else "Closed")
        self.set_running(True)

    def _show_reading(self, exchange: _Exchange) -> None:
        self.reading = read_responses(bytes(exchange.received), exchange.methods, closed=exchange.closed)
        self.which.blockSignals(True)
        self.which.clear()
        count = len(self.reading.responses)
        for index, response in enumerate(self.reading.responses):
            self.which.addItem(f"{index + 1} of {count}: {response.status}")
        self.which.setVisible(count > 1)
        self.which.setCurrentIndex(0)
        self.which.blockSignals(False)
        self.show_response()

    # ------------------------------------------------------------------ the parsed view
    def response(self) -> Response | None:
        responses = self.reading.responses
        index = max(0, self.which.currentIndex())
        return responses[index] if index < len(responses) else None

    @Slot()
    def show_response(self) -> None:
        response = self.response()
        problem = self.reading.problem
        self.headers.setRowCount(0)
        self.save_body.setEnabled(response is not None and bool(response.body))
        if response is None:
            text = problem or "No response yet"
            if problem and self.exchange is not None and self.exchange.received:
                text += " - the bytes are shown raw below and in the log"
            self.status_line.setText(text)
            raw = bytes(self.exchange.received) if self.exchange is not None else b""
            self._show_text(body_text(raw, "latin-1") if raw else "")
            return
        shown = response.status_line
        if problem:
            shown += f" - {problem}"
        if response.decoding_problem:
            shown += f" - {response.decoding_problem}"
        self.status_line.setText(shown)
        self.headers.setRowCount(len(response.headers))
        for row, (name, value) in enumerate(response.headers):
            self.headers.setItem(row, 0, QTableWidgetItem(name))
            self.headers.setItem(row, 1, QTableWidgetItem(value))
        mode = self.body_mode.currentData() or "auto"
        body, charset = response.body, response.charset
        if mode == "auto":
            mode = self._auto_mode(response)
        if mode == "image":
            pixmap = QPixmap()
            if pixmap.loadFromData(body):
                self.body_image.setPixmap(pixmap)
                self.body_stack.setCurrentWidget(self.body_image)
                return
            self._show_text("This body is not an image Qt can show (PNG, JPEG, GIF, BMP, SVG…)")
        elif mode == "json":
            self._show_text(
                pretty_json(body, charset) or "This body is not JSON:\n\n" + body_text(body, charset)
            )
        elif mode == "hex":
            self._show_text(hexdump(body))
        else:
            self._show_text(body_text(body, charset))

    @staticmethod
    def _auto_mode(response: Response) -> str:
        kind = response.header("content-type").lower()
        if kind.startswith("image/"):
            return "image"
        if "json" in kind or (not kind and pretty_json(response.body, response.charset) is not None):
            return "json"
        if kind.startswith("text/") or not kind or "xml" in kind or "javascript" in kind:
            return "text"
        return "hex"

    def _show_text(self, text: str) -> None:
        self.body_text.setPlainText(text)
        self.body_stack.setCurrentWidget(self.body_text)

    @Slot()
    def _on_save_body_clicked(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save the response body", "body")
        if path:
            self.save_body_to(path)

    def save_body_to(self, path: str) -> None:
        """Write the decoded body of the response shown; say where (or why not) in the status bar."""
        response = self.response()
        if response is None:
            return
        try:
            with open(path, "wb") as file:
                file.write(response.body)
        except OSError as exc:
            self.status.emit(f"Cannot save the body to {path}: {exc.strerror} - pick another place")
            return
        self.status.emit(f"Saved {len(response.body)} bytes of body to {path}")
