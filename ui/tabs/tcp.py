"""The TCP tab: a server (eight modes, client list) beside any number of clients, each with a live log."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHeaderView,
    QLabel,
    QLayout,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from netlab.core.autoreply import MatchKind, Rule
from netlab.core.checksum import Checksum
from netlab.core.codec import CodecError, Payload
from netlab.core.config import NO_VERIFY_LABEL, ConfigError, Family, format_address
from netlab.core.events import Closed, Error, Event, Listening, Opened, PeriodicEnded, Sink, TlsInfo
from netlab.core.sendbox import SendBox, send_bytes
from netlab.core.variables import Expander
from netlab.tcp.config import (
    ServerMode,
    TcpClientConfig,
    TcpServerConfig,
    TcpTabState,
    TlsServerSettings,
)
from netlab.tcp.rewrite import RelayTarget
from ui.common.bridge import EngineRunner
from ui.common.logpane import LogPane
from ui.common.panel import COUNTER_INTERVAL_MS, EnginePanel, SideBySide
from ui.common.rules import RewritesEditor, RulesEditor
from ui.common.sendtools import ChecksumRow, LineSender, ReceiveToFile, SendHistory, file_lines, with_verdicts
from ui.common.widgets import (
    AddressRow,
    CountersBar,
    FieldMarks,
    FoldButton,
    LazySection,
    OneLineLabel,
    PayloadEditor,
    PeriodicRow,
    PortBox,
    controls_above_log,
    hbox,
    human_bytes,
    named,
    select_data,
)

# The engines (and the stream, relay and responder under them) are imported when first started, not
# before the window shows (issue 8).
if TYPE_CHECKING:
    from netlab.tcp.client import TcpClients
    from netlab.tcp.server import TcpServer
    from netlab.tcp.stream import ConnectionInfo

# The banner is one line in the form: CRLF shows as the two characters \r\n, and a backslash that was
# really typed shows doubled, so any banner goes into the form and comes back the same.
_TYPED_BANNER = re.compile(r"\\\\|\\r\\n")


def banner_as_typed(banner: str) -> str:
    return banner.replace("\\", "\\\\").replace("\r\n", "\\r\\n")


def banner_from_typed(text: str) -> str:
    return _TYPED_BANNER.sub(lambda m: "\\" if m.group() == "\\\\" else "\r\n", text)


def _spin(maximum: int, value: int, name: str, accessible: str, tip: str = "") -> QSpinBox:
    box = named(QSpinBox(), name, accessible, tip)
    box.setRange(0, maximum)
    box.setValue(value)
    return box


def refresh_byte_columns(tree: QTreeWidget, totals: list[ConnectionInfo], first_column: int) -> None:
    """Bytes in and out per connection, into the two columns from first_column."""
    by_conn = {info.conn: info for info in totals}
    for i in range(tree.topLevelItemCount()):
        item = tree.topLevelItem(i)
        info = by_conn.get(item.data(0, Qt.ItemDataRole.UserRole))
        if info is not None:
            item.setText(first_column, human_bytes(info.bytes_in))
            item.setText(first_column + 1, human_bytes(info.bytes_out))


def fit_columns(tree: QTreeWidget, stretch: int) -> None:
    """Every column as wide as its contents (so a port or a byte count is never cut), one stretching."""
    header = tree.header()
    header.setStretchLastSection(False)
    for column in range(tree.columnCount()):
        fit = QHeaderView.ResizeMode.ResizeToContents
        header.setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch if column == stretch else fit)
    header.setMinimumSectionSize(36)


def _button(text: str, name: str, accessible: str, tip: str = "") -> QPushButton:
    return named(QPushButton(text), name, accessible, tip)


def _form(*rows: tuple[str, QWidget | QLayout]) -> QFormLayout:
    """Labelled rows, labels aligned, as a settings section reads."""
    form = QFormLayout()
    form.setContentsMargins(0, 0, 0, 0)
    form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
    for label, field in rows:
        form.addRow(label, field)
    return form


def _section(layout: QLayout, name: str, parent: QWidget) -> QWidget:
    # Born with a parent: a fold shows or hides it at once, and a widget shown without a parent
    # becomes a window of its own (made, then dropped when the layout takes it: ~0.6 ms each).
    section = QWidget(parent)
    section.setObjectName(name)
    layout.setContentsMargins(0, 0, 0, 0)
    section.setLayout(layout)
    return section


class ServerTlsBox(QWidget):
    """TLS for the server: off, a self-signed certificate made at start, or your own certificate and key."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tls = named(QCheckBox("TLS"), "tcpServerTls", "Use TLS")
        self.self_signed = named(
            QCheckBox("Self-signed"), "tcpServerSelfSigned", "Generate a self-signed certificate"
        )
        self.self_signed.setChecked(True)
        self.cert_file = named(QLineEdit(), "tcpServerCert", "Certificate file")
        self.cert_file.setPlaceholderText("certificate.pem")
        self.key_file = named(QLineEdit(), "tcpServerKey", "Private key file")
        self.key_file.setPlaceholderText("key.pem")
        self.browse_cert = _button("…", "tcpServerBrowseCert", "Choose certificate file")
        self.browse_key = _button("…", "tcpServerBrowseKey", "Choose key file")
        row = hbox(
            self.tls, self.self_signed, self.cert_file, self.browse_cert, self.key_file, self.browse_key
        )
        row.setContentsMargins(0, 0, 0, 0)
        self.setLayout(row)
        self.tls.toggled.connect(self._on_changed)
        self.self_signed.toggled.connect(self._on_changed)
        self.browse_cert.clicked.connect(lambda: self._browse(self.cert_file, "Choose the certificate"))
        self.browse_key.clicked.connect(lambda: self._browse(self.key_file, "Choose the private key"))
        self._on_changed()

    def settings(self) -> TlsServerSettings | None:
        """None without TLS; raises ConfigError naming the file fields."""
        if not self.tls.isChecked():
            return None
        return TlsServerSettings(
            self.cert_file.text().strip(), self.key_file.text().strip(), self.self_signed.isChecked()
        )

    def set_settings(self, tls: TlsServerSettings | None) -> None:
        self.tls.setChecked(tls is not None)
        if tls is not None:
            self.self_signed.setChecked(tls.self_signed)
            self.cert_file.setText(tls.cert_file)
            self.key_file.setText(tls.key_file)
        self._on_changed()

    @Slot()
    def _on_changed(self) -> None:
        files = self.tls.isChecked() and not self.self_signed.isChecked()
        self.self_signed.setEnabled(self.tls.isChecked())
        for widget in (self.cert_file, self.key_file, self.browse_cert, self.browse_key):
            widget.setEnabled(files)

    def _browse(self, field: QLineEdit, title: str) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, title, field.text(), "PEM files (*.pem *.crt *.key);;All files (*)"
        )
        if path:
            field.setText(path)


class ClientTlsBox(QWidget):
    """TLS for new client connections: verified against the system's CAs (and an optional CA file), or not."""

    def __init__(self, prefix: str = "tcpClient", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tls = named(QCheckBox("TLS"), f"{prefix}Tls", "Use TLS")
        self.insecure = named(
            QCheckBox(NO_VERIFY_LABEL),
            f"{prefix}AllowSelfSigned",
            NO_VERIFY_LABEL,
            "Turn certificate checks off: any server is accepted, even an impostor; "
            "the log shows the certificate it sent so you can check it yourself",
        )
        self.ca_file = named(
            QLineEdit(),
            f"{prefix}CaFile",
            "CA file",
            "Also trust certificates signed by this CA (PEM), besides the system's",
        )
        self.ca_file.setPlaceholderText("CA file (optional)")
        self.browse_ca = _button("…", f"{prefix}BrowseCa", "Choose a CA file")
        row = hbox(self.tls, self.insecure, self.ca_file, self.browse_ca, stretch=self.ca_file)
        row.setContentsMargins(0, 0, 0, 0)
        self.setLayout(row)
        for widget in (self.insecure, self.ca_file, self.browse_ca):
            self.tls.toggled.connect(widget.setEnabled)
            widget.setEnabled(False)
        self.browse_ca.clicked.connect(self._on_browse_ca_clicked)

    def set_settings(self, tls: bool, verify: bool, ca_file: str) -> None:
        self.tls.setChecked(tls)
        self.insecure.setChecked(not verify)
        self.ca_file.setText(ca_file)

    @Slot()
    def _on_browse_ca_clicked(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Choose the CA certificate", self.ca_file.text(), "PEM files (*.pem *.crt);;All files (*)"
        )
        if path:
            self.ca_file.setText(path)


class SendTools(QWidget):
    """What a TCP send box has besides the payload: a checksum, a history, line-by-line sends and
    receive-to-file; one per panel, so each keeps its own {counter}.

    The checksum, lines and save rows are made when first unfolded (or asked for): they start folded,
    most sessions never open them, and their 50 widgets were about 1 ms of each panel's start (issue 8).
    Until then this keeps what they would hold: the checksum a lab set, the selected connection.

    Signals:
        problem(str): a line for the status bar (a file that can't be read or written).
        lines_clicked(): Send lines… was clicked.
    """

    problem = Signal(str)
    lines_clicked = Signal()

    def __init__(self, prefix: str, payload: PayloadEditor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.prefix = prefix
        self.payload = payload
        self.expander = Expander()
        self.picker = named(
            QComboBox(), f"{prefix}History", "Send history", "Up and Down in the box recall too"
        )
        self.history = SendHistory(prefix, payload.text, self.picker)
        self.history.recalled.connect(self._on_recalled)
        self._rows: tuple[ChecksumRow, LineSender, ReceiveToFile] | None = None
        self._checksum: Checksum | None = None  # the rows' state while they are not made
        self._conn: int | None = None
        self._lines_enabled = True
        # Folded until wanted (a LazySection starts hidden): the send button must stay in sight on a
        # small screen.
        self.section = LazySection(f"{prefix}SendTools", self._fill, self)
        self.fold = FoldButton("Checksum, lines, save", self.section, f"{prefix}SendToolsFold")

    def _fill(self, column: QVBoxLayout) -> None:
        prefix = self.prefix
        checksum, lines, receive = ChecksumRow(prefix), LineSender(prefix), ReceiveToFile(prefix)
        for row in (checksum, lines, receive):
            column.addWidget(row)
        checksum.set_checksum(self._checksum)
        receive.set_connection(self._conn)
        lines.button.setEnabled(self._lines_enabled)
        lines.button.clicked.connect(self.lines_clicked)
        lines.problem.connect(self.problem)
        receive.problem.connect(self.problem)
        self._rows = (checksum, lines, receive)

    def _made(self) -> tuple[ChecksumRow, LineSender, ReceiveToFile]:
        self.section.make()
        assert self._rows is not None
        return self._rows

    @property
    def checksum(self) -> ChecksumRow:
        return self._made()[0]

    @property
    def lines(self) -> LineSender:
        return self._made()[1]

    @property
    def receive(self) -> ReceiveToFile:
        return self._made()[2]

    def rows(self) -> list[QWidget | QLayout]:
        return [hbox(self.fold, self.picker, None), self.section]

    # What the panel asks and tells, without making the rows.
    def checksum_setting(self) -> Checksum | None:
        """The checksum to append and check; raises ConfigError naming the field."""
        return self._rows[0].checksum() if self._rows is not None else self._checksum

    def set_checksum(self, checksum: Checksum | None) -> None:
        self._checksum = checksum
        if self._rows is not None:
            self._rows[0].set_checksum(checksum)

    def set_connection(self, conn: int | None) -> None:
        """The connection "this connection only" saves (the one selected in the list)."""
        self._conn = conn
        if self._rows is not None:
            self._rows[2].set_connection(conn)

    def take(self, events: list[Event]) -> None:
        """Received bytes for the file being saved to, if one is."""
        if self._rows is not None:
            self._rows[2].take(events)

    def stop_lines(self) -> None:
        if self._rows is not None:
            self._rows[1].stop()

    def set_lines_enabled(self, enabled: bool) -> None:
        self._lines_enabled = enabled
        if self._rows is not None:
            self._rows[1].button.setEnabled(enabled)

    def bytes_for(self, box: SendBox, peer: str, *, trial: bool = False) -> bytes | None:
        """One send's bytes (variables filled in as the box says, checksum appended), kept in the
        history; or None after showing at the field why it can't be sent. trial: count nothing."""
        if self.payload.to_bytes() is None:
            return None
        try:
            checksum = self.checksum_setting()
        except ConfigError as exc:
            self.problem.emit(str(exc.problems[0]))
            return None
        box = SendBox(box.payload, box.periodic, self.payload.variables.isChecked(), checksum)
        try:
            data = send_bytes(box, Expander() if trial else self.expander, peer)
        except CodecError as exc:
            self.payload.show_problem(exc)
            return None
        if not trial:
            self.history.add(box.payload)
        return data

    def send_lines(self, send: Callable[[bytes], bool]) -> None:
        """Ask for a text file, then send it line by line (each with the checksum, if one is appended)."""
        path, _ = QFileDialog.getOpenFileName(self, "Send a text file line by line")
        if path:
            self.send_lines_of(path, send)

    def send_lines_of(self, path: str, send: Callable[[bytes], bool]) -> None:
        payload = self.payload.payload()
        try:
            lines = file_lines(path, payload.encoding, payload.eol)
            checksum = self.checksum_setting()
        except (OSError, UnicodeError) as exc:
            self.problem.emit(f"Could not read {path} as {payload.encoding} text: {exc}")
            return
        except ConfigError as exc:
            self.problem.emit(str(exc.problems[0]))
            return
        if checksum is not None:
            lines = [checksum.appended(line) for line in lines]
        self.lines.start(lines, send)

    @Slot(Payload)
    def _on_recalled(self, payload: Payload) -> None:
        select_data(self.payload.kind, payload.kind.value)
        self.payload.text.setPlainText(payload.text)
        self.payload.text.moveCursor(QTextCursor.MoveOperation.End)


class RelayBox(QGroupBox):
    """Relay mode: the server each client is relayed to, TLS towards it, and rewrite rules."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Relay each client to", parent)
        self.setObjectName("tcpRelayBox")
        defaults = RelayTarget()
        self.host = named(QLineEdit(defaults.host), "tcpRelayHost", "Relay to host", "The real server's host")
        self.port = named(PortBox(defaults.port, allow_zero=False), "tcpRelayPort", "Relay to port")
        self.tls_box = ClientTlsBox("tcpRelay")
        self.rewrites_box = RewritesEditor("tcpRelay")
        self.rewrites = self.rewrites_box.table
        self.rewrites.setMinimumHeight(self.rewrites.horizontalHeader().sizeHint().height() + 3 * 30)
        layout = QVBoxLayout(self)
        layout.addLayout(hbox(QLabel("Host"), self.host, QLabel("Port"), self.port, stretch=self.host))
        layout.addWidget(self.tls_box)
        layout.addWidget(self.rewrites_box)

    def target(self) -> RelayTarget:
        """The box as a relay target; raises ConfigError naming its fields."""
        tls = self.tls_box
        try:
            return RelayTarget(
                host=self.host.text().strip(),
                port=self.port.value(),
                tls=tls.tls.isChecked(),
                tls_verify=not tls.insecure.isChecked(),
                ca_file=tls.ca_file.text().strip(),
                rewrites=self.rewrites_box.rewrites(),
                connect_timeout=self._timeout,
            )
        except ConfigError as exc:  # its host and port are not the server's own: mark the right fields
            raise ConfigError(replace(p, field=f"relay.{p.field}") for p in exc.problems) from None

    def kept_target(self) -> RelayTarget:
        """Outside relay mode the hidden box is kept as it is, unless something in it is unfinished."""
        try:
            return self.target()
        except ConfigError:
            return RelayTarget()

    def set_target(self, target: RelayTarget) -> None:
        self.host.setText(target.host)
        self.port.setValue(target.port)
        self.tls_box.set_settings(target.tls, target.tls_verify, target.ca_file)
        self.rewrites_box.set_rewrites(target.rewrites)
        self._timeout = target.connect_timeout  # not in the form: a lab file's value is kept

    _timeout = RelayTarget.connect_timeout


class ServerPanel(EnginePanel):
    """Configure, start and stop a TCP server; see its clients; send to one or all.

    Signals:
        status(str): a line for the window's status bar.
        listening(str, int, int): host, real port, and the port asked for (0: any free port).
    """

    runner: EngineRunner[TcpServer] | None
    listening = Signal(str, int, int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        defaults = TcpServerConfig()

        # Settings: what start() reads. They fold away while the server runs (they can't change then).
        self.address = AddressRow(
            "tcpServer",
            "Server",
            hosts=["127.0.0.1", "0.0.0.0", "::1", "::"],
            port=defaults.port,
            families=[("IPv4", Family.IPV4), ("IPv6", Family.IPV6), ("Dual-stack", Family.DUAL)],
            allow_zero=True,
            host_tip="127.0.0.1 (this machine only), 0.0.0.0 or :: (every interface)",
            port_tip="0 picks any free port",
        )
        self.host, self.port, self.family = self.address.host, self.address.port, self.address.family
        self.backlog = _spin(
            65535,
            defaults.backlog,
            "tcpServerBacklog",
            "Listen backlog",
            "listen(backlog): queued connections",
        )
        self.reuse = named(QCheckBox("SO_REUSEADDR"), "tcpServerReuse", "Reuse address")
        self.reuse.setChecked(defaults.reuse_addr)
        self.trace = named(
            QCheckBox("Show socket calls"),
            "tcpServerTrace",
            "Show socket calls",
            "Log bind, listen, accept, recv, send, close as they happen",
        )
        self.mode = named(QComboBox(), "tcpServerMode", "Server mode")
        for mode in ServerMode:
            self.mode.addItem(mode.label, mode.value)
        self.banner = named(QLineEdit(), "tcpServerBanner", "Banner text")
        self.banner.setPlaceholderText("Welcome from HOST:PORT")
        self.quit_words = named(
            QLineEdit(),
            "tcpServerQuitWords",
            "Quit words",
            "Close a client that sends one of these, e.g. exit, q",
        )
        self.quit_words.setPlaceholderText("e.g. exit, q")
        self.tls_box = ServerTlsBox()
        tls = self.tls_box
        self.tls, self.self_signed, self.cert_file, self.key_file = (
            tls.tls,
            tls.self_signed,
            tls.cert_file,
            tls.key_file,
        )
        self.browse_cert, self.browse_key = tls.browse_cert, tls.browse_key
        # The rules table and the relay box show only in their modes and are made when first shown
        # (54 widgets, about 1 ms of the window's start: issue 8). Until then the panel keeps the rules
        # and the relay target it was given.
        self._rules_box: RulesEditor | None = None
        self._relay: RelayBox | None = None
        self._kept_rules: tuple[Rule, ...] = ()
        self._kept_relay = RelayTarget()
        self.rules_section = LazySection("tcpServerRulesSection", self._fill_rules, self)
        self.relay_section = LazySection("tcpServerRelaySection", self._fill_relay, self)
        settings = _form(
            ("Address", self.address),
            ("Backlog", hbox(self.backlog, self.reuse, self.trace, None)),
            ("Mode", hbox(self.mode, self.banner, stretch=self.banner)),
            ("Quit words", self.quit_words),
            ("", self.tls_box),
        )
        column = QVBoxLayout()
        column.addLayout(settings)
        column.addWidget(self.rules_section)
        column.addWidget(self.relay_section)
        self.settings = _section(column, "tcpServerSettings", self)

        # Always shown: fold, start and stop, what the server is doing, and what is wrong with the form.
        self.fold = FoldButton("Settings", self.settings, "tcpServerFold")
        self.start_button = _button("Start", "tcpServerStart", "Start server")
        self.stop_button = _button("Stop", "tcpServerStop", "Stop server")
        self.stop_button.setEnabled(False)
        self.state = named(OneLineLabel("Stopped"), "tcpServerState", "Server state")
        self.state.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.form_error = QLabel()
        self.form_error.setObjectName("tcpServerFormError")
        self.marks = FieldMarks(
            {
                "host": self.host,
                "port": self.port,
                "backlog": self.backlog,
                "cert_file": self.cert_file,
                "key_file": self.key_file,
            },
            self.form_error,
        )

        # Clients and sending to them.
        self.clients = named(QTreeWidget(), "tcpServerClients", "Connected clients")
        self.clients.setHeaderLabels(["#", "Client", "Connected since", "In", "Out"])
        self.clients.setRootIsDecorated(False)
        self.clients.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.clients.setFixedHeight(96)
        fit_columns(self.clients, stretch=1)
        self.kick_button = _button("Kick", "tcpServerKick", "Disconnect the selected client")
        self.kick_all_button = _button("Disconnect all", "tcpServerKickAll", "Disconnect every client")
        self.target = named(QComboBox(), "tcpServerTarget", "Send to")
        self.target.addItem("Selected client", "selected")
        self.target.addItem("All clients", "all")
        self.payload = PayloadEditor("tcpServer", variables=True)
        self.send_button = _button("Send", "tcpServerSend", "Send to clients")
        self.tools = SendTools("tcpServer", self.payload)
        self.counters = CountersBar("tcpServerCounters")
        self.log = LogPane("tcpServer")

        self.splitter = controls_above_log(
            self,
            "Server",
            [
                hbox(self.fold, self.start_button, self.stop_button, self.state, stretch=self.state),
                self.form_error,
                self.settings,
                self.clients,
                hbox(self.kick_button, self.kick_all_button, None, self.target, self.send_button),
                self.payload,
                *self.tools.rows(),
                self.counters,
            ],
            self.log,
        )

        self.fold.toggled.connect(self.splitter.refit)
        self.tools.fold.toggled.connect(self.splitter.refit)
        self.mode.currentIndexChanged.connect(self._on_mode_changed)
        self.start_button.clicked.connect(self.start)
        self.stop_button.clicked.connect(self.stop)
        self.kick_button.clicked.connect(self._kick_selected)
        self.kick_all_button.clicked.connect(self._kick_all)
        self.send_button.clicked.connect(self.send)
        self.payload.submitted.connect(self.send)
        self.tools.lines_clicked.connect(self._on_send_lines_clicked)
        self.tools.problem.connect(self.status)
        self.trace.toggled.connect(self._on_trace_toggled)
        self.clients.currentItemChanged.connect(self._on_clients_changed)
        self.log.problem.connect(self.status)
        self._on_mode_changed()
        self.set_running(False)

    # ------------------------------------------------------------------ the sections of two modes
    def _fill_rules(self, column: QVBoxLayout) -> None:
        box = RulesEditor("tcpServer")
        box.table.setMinimumHeight(box.table.horizontalHeader().sizeHint().height() + 4 * 30)
        box.set_rules(self._kept_rules)
        column.addWidget(box)
        self.marks.fields["rules"] = box.table
        self._rules_box = box

    def _fill_relay(self, column: QVBoxLayout) -> None:
        relay = RelayBox()
        relay.set_target(self._kept_relay)
        column.addWidget(relay)
        self.marks.fields.update(
            {"relay.host": relay.host, "relay.port": relay.port, "relay.rewrites": relay.rewrites}
        )
        self._relay = relay

    @property
    def rules_box(self) -> RulesEditor:
        self.rules_section.make()
        assert self._rules_box is not None
        return self._rules_box

    @property
    def rules(self) -> QTableWidget:
        return self.rules_box.table

    @property
    def relay(self) -> RelayBox:
        self.relay_section.make()
        assert self._relay is not None
        return self._relay

    def _rules_kept(self) -> tuple[Rule, ...]:
        return self._rules_box.kept_rules() if self._rules_box is not None else self._kept_rules

    def _relay_kept(self) -> RelayTarget:
        return self._relay.kept_target() if self._relay is not None else self._kept_relay

    # ------------------------------------------------------------------ form <-> config
    def add_rule(self, match: MatchKind, pattern: str, reply: str) -> None:
        self.rules_box.add_rule(match, pattern, reply)

    def set_config(self, config: TcpServerConfig) -> None:
        """Show a config in the form (the inverse of config())."""
        self.address.set_address(config.host, config.port, config.family)
        self.backlog.setValue(config.backlog)
        self.reuse.setChecked(config.reuse_addr)
        self._kept_rules = config.rules
        if self._rules_box is not None:
            self._rules_box.set_rules(config.rules)
        self._kept_relay = config.relay
        select_data(self.mode, config.mode.value)
        self.banner.setText(banner_as_typed(config.banner))
        self.quit_words.setText(", ".join(config.quit_words))
        select_data(self.payload.encoding, config.encoding)
        self.tls_box.set_settings(config.tls)
        self.trace.setChecked(config.trace)
        if self._relay is not None:
            self._relay.set_target(config.relay)

    def config(self) -> TcpServerConfig:
        """The form as a config; raises ConfigError naming the fields."""
        mode = ServerMode(self.mode.currentData())
        rules = self.rules_box.rules() if mode is ServerMode.RULES else self._rules_kept()
        quit_words = tuple(w.strip() for w in self.quit_words.text().split(",") if w.strip())
        host, port, family = self.address.address()
        relay = self.relay.target() if mode is ServerMode.RELAY else self._relay_kept()
        return TcpServerConfig(
            host=host,
            port=port,
            family=family,
            backlog=self.backlog.value(),
            reuse_addr=self.reuse.isChecked(),
            mode=mode,
            banner=banner_from_typed(self.banner.text()),
            rules=rules,
            quit_words=quit_words,
            encoding=str(self.payload.encoding.currentData()),
            tls=self.tls_box.settings(),
            trace=self.trace.isChecked(),
            relay=relay,
        )

    @Slot()
    def _on_mode_changed(self) -> None:
        mode = ServerMode(self.mode.currentData())
        self.banner.setEnabled(mode is ServerMode.BANNER)
        self.rules_section.setVisible(mode is ServerMode.RULES)
        self.relay_section.setVisible(mode is ServerMode.RELAY)
        if mode is ServerMode.RULES:
            self.rules_box.ensure_some()

    # ------------------------------------------------------------------ running
    def make_engine(self, config: TcpServerConfig, sink: Sink) -> TcpServer:
        from netlab.tcp.server import TcpServer

        return TcpServer(config, sink)

    @Slot()
    def start(self) -> None:
        super().start()
        if self.runner is None:
            self.fold.set_unfolded(True)  # a marked field must be in sight

    def set_running(self, running: bool) -> None:
        self.start_button.setEnabled(not running)
        self.stop_button.setEnabled(running)
        self.settings.setEnabled(not running)
        self.send_button.setEnabled(running)
        if not running:
            self.tools.stop_lines()
        if not running:
            self.clients.clear()
            self.fold.set_unfolded(True)
        self._on_clients_changed()

    def _client_item(self, conn: int) -> QTreeWidgetItem | None:
        for i in range(self.clients.topLevelItemCount()):
            item = self.clients.topLevelItem(i)
            if item.data(0, Qt.ItemDataRole.UserRole) == conn:
                return item
        return None

    @Slot()
    def _on_clients_changed(self) -> None:
        """Kick needs a selected client, Disconnect all needs at least one."""
        self.tools.set_connection(self._selected_client())
        self.kick_button.setEnabled(self.clients.currentItem() is not None)
        self.kick_all_button.setEnabled(self.clients.topLevelItemCount() > 0)

    @Slot(list)
    def _on_events_arrived(self, events: list[Event]) -> None:
        # The checksum verdicts go in right after the bytes they are about.
        super()._on_events_arrived(with_verdicts(events, self.tools.checksum_setting(), "server"))

    def on_events(self, events: list[Event]) -> None:
        self.tools.take(events)
        for event in events:
            if isinstance(event, Listening):
                where = format_address((event.host, event.port))
                self.state.setText(f"Listening on {where}")
                self.fold.set_unfolded(False)  # the settings can't change while it runs: room for the log
                self.status.emit(f"TCP server listening on {where}")
                self.listening.emit(event.host, event.port, self.port.value())
            elif isinstance(event, Opened) and (pair := self._client_item(event.conn)) is not None:
                pair.setText(1, f"{pair.text(1)} ⇄ {event.peer}")  # a relay's second end: one row, both ends
            elif isinstance(event, Opened):
                item = QTreeWidgetItem(
                    [
                        str(event.conn),
                        event.peer,
                        time.strftime("%H:%M:%S", time.localtime(event.wall)),
                        "0 B",
                        "0 B",
                    ]
                )
                item.setData(0, Qt.ItemDataRole.UserRole, event.conn)
                self.clients.addTopLevelItem(item)
                self._on_clients_changed()
            elif isinstance(event, TlsInfo):
                self.status.emit(f"TLS with {event.peer}: {event.version}, {event.cipher}")
            elif isinstance(event, Closed):
                item = self._client_item(event.conn)
                if item is not None:
                    self.clients.takeTopLevelItem(self.clients.indexOfTopLevelItem(item))
                self._on_clients_changed()
            elif (
                isinstance(event, Error) and not event.conn and self.runner and not self.runner.engine.address
            ):
                self.state.setText(f"Not started: {event.message}")

    def on_tick(self, engine: TcpServer) -> None:
        refresh_byte_columns(self.clients, engine.clients(), 3)

    @Slot(bool)
    def _on_trace_toggled(self, on: bool) -> None:
        if self.runner is not None:
            self.runner.engine.set_trace(on)

    def _selected_client(self) -> int | None:
        item = self.clients.currentItem()
        return None if item is None else int(item.data(0, Qt.ItemDataRole.UserRole))

    @Slot()
    def send(self) -> None:
        if self.runner is None:
            self.status.emit("Start the server first")
            return
        item = self.clients.currentItem()
        everyone = self.target.currentData() == "all"
        if not everyone and item is None:
            self.status.emit("Select a client in the list, or choose 'All clients'")
            return
        data = self.tools.bytes_for(
            SendBox(self.payload.payload()), "" if everyone or item is None else item.text(1)
        )
        if data is not None:
            self._send_bytes(data)

    def _send_bytes(self, data: bytes) -> bool:
        """To the chosen client or all of them; False when there is no one to send to."""
        if self.runner is None:
            return False
        if self.target.currentData() == "all":
            self.runner.engine.send(None, data)
            return True
        conn = self._selected_client()
        if conn is None:
            return False
        self.runner.engine.send(conn, data)
        return True

    @Slot()
    def _on_send_lines_clicked(self) -> None:
        if self.runner is None:
            self.status.emit("Start the server first")
            return
        self.tools.send_lines(self._send_bytes)

    @Slot()
    def _kick_selected(self) -> None:
        conn = self._selected_client()
        if self.runner is not None and conn is not None:
            self.runner.engine.kick(conn)
        elif conn is None:
            self.status.emit("Select a client to kick")

    @Slot()
    def _kick_all(self) -> None:
        if self.runner is not None:
            self.runner.engine.disconnect_all()


class ClientProtocolOptions(QWidget):
    """Client settings for real protocols: bind a local address first, wait for a banner, pause."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        defaults = TcpClientConfig()
        self.local_host = named(
            QLineEdit(),
            "tcpClientLocalHost",
            "Local address to bind",
            "bind() to this address of this machine before connecting; empty: any",
        )
        self.local_host.setPlaceholderText("local address (optional)")
        self.local_port = named(
            PortBox(0, allow_zero=True),
            "tcpClientLocalPort",
            "Local port to bind",
            "0: any free port; another number: the server sees us come from it (SO_REUSEADDR is set)",
        )
        self.wait_for_server = named(
            QCheckBox("Wait for the server to speak first"),
            "tcpClientWaitServer",
            "Wait for the server to speak first",
            "Hold what you send until the server's first bytes (its banner) arrive",
        )
        self.server_first_timeout = self._seconds(
            "tcpClientBannerTimeout", "Banner timeout", defaults.server_first_timeout, 0.01
        )
        self.connect_delay = self._seconds(
            "tcpClientConnectDelay", "Delay after connect", defaults.connect_delay, 0.0
        )
        self.bind_row = hbox(self.local_host, QLabel("port"), self.local_port, None)
        self.banner_row = hbox(self.wait_for_server, QLabel("up to"), self.server_first_timeout, None)
        self.delay_row = hbox(self.connect_delay, QLabel("before the first send"), None)
        self.wait_for_server.toggled.connect(self.server_first_timeout.setEnabled)
        self.server_first_timeout.setEnabled(False)

    @staticmethod
    def _seconds(name: str, accessible: str, value: float, minimum: float) -> QDoubleSpinBox:
        box = named(QDoubleSpinBox(), name, accessible)
        box.setRange(minimum, 3600)
        box.setValue(value)
        box.setSuffix(" s")
        return box

    def fields(self) -> dict[str, QWidget]:
        return {
            "local_host": self.local_host,
            "local_port": self.local_port,
            "server_first_timeout": self.server_first_timeout,
            "connect_delay": self.connect_delay,
        }

    def values(self) -> dict[str, Any]:
        return {
            "local_host": self.local_host.text().strip(),
            "local_port": self.local_port.value(),
            "wait_for_server": self.wait_for_server.isChecked(),
            "server_first_timeout": self.server_first_timeout.value(),
            "connect_delay": self.connect_delay.value(),
        }

    def set_values(self, config: TcpClientConfig) -> None:
        self.local_host.setText(config.local_host)
        self.local_port.setValue(config.local_port)
        self.wait_for_server.setChecked(config.wait_for_server)
        self.server_first_timeout.setValue(config.server_first_timeout)
        self.connect_delay.setValue(config.connect_delay)


class ClientPanel(QWidget):
    """Open several client connections, send text, hex, files or periodic data, half-close and close.

    Signals:
        status(str): a line for the window's status bar.
    """

    status = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runner: EngineRunner[TcpClients] | None = None
        defaults = TcpClientConfig()

        # Settings for the next Connect; they fold away once a connection is open.
        self.address = AddressRow(
            "tcpClient",
            "Remote",
            hosts=["127.0.0.1", "localhost", "::1"],
            port=defaults.port,
            families=[("Auto", Family.AUTO), ("IPv4", Family.IPV4), ("IPv6", Family.IPV6)],
            allow_zero=False,
        )
        self.host, self.port, self.family = self.address.host, self.address.port, self.address.family
        self.host.setAccessibleName("Remote host")
        self.timeout = named(QDoubleSpinBox(), "tcpClientTimeout", "Connect timeout in seconds")
        self.timeout.setRange(0.1, 3600)
        self.timeout.setValue(defaults.connect_timeout)
        self.timeout.setSuffix(" s")
        self.nodelay = named(
            QCheckBox("TCP_NODELAY"),
            "tcpClientNodelay",
            "TCP_NODELAY",
            "Send small writes at once (no Nagle)",
        )
        self.keepalive = named(QCheckBox("SO_KEEPALIVE"), "tcpClientKeepalive", "SO_KEEPALIVE")
        self.rcvbuf = _spin(2**30, 0, "tcpClientRcvbuf", "SO_RCVBUF bytes", "0 keeps the system default")
        self.sndbuf = _spin(2**30, 0, "tcpClientSndbuf", "SO_SNDBUF bytes", "0 keeps the system default")
        self.trace = named(QCheckBox("Show socket calls"), "tcpClientTrace", "Show socket calls")
        self.options = ClientProtocolOptions()
        self.tls_box = ClientTlsBox()
        tls = self.tls_box
        self.tls, self.insecure, self.ca_file, self.browse_ca = (
            tls.tls,
            tls.insecure,
            tls.ca_file,
            tls.browse_ca,
        )
        self.settings = _section(
            _form(
                ("Address", self.address),
                ("Timeout", hbox(self.timeout, self.nodelay, self.keepalive, None)),
                ("SO_RCVBUF", hbox(self.rcvbuf, QLabel("SO_SNDBUF"), self.sndbuf, self.trace)),
                ("Local", self.options.bind_row),
                ("Banner", self.options.banner_row),
                ("Delay", self.options.delay_row),
                ("", self.tls_box),
            ),
            "tcpClientSettings",
            self,
        )

        # Always shown: fold, Connect, and what is wrong with the form.
        self.fold = FoldButton("Settings", self.settings, "tcpClientFold")
        self.connect_button = _button("Connect", "tcpClientConnect", "Open a new connection")
        self.form_error = QLabel()
        self.form_error.setObjectName("tcpClientFormError")
        self.marks = FieldMarks(
            {
                "host": self.host,
                "port": self.port,
                "connect_timeout": self.timeout,
                "rcvbuf": self.rcvbuf,
                "sndbuf": self.sndbuf,
                "ca_file": self.ca_file,
                **self.options.fields(),
            },
            self.form_error,
        )

        # The connections and what to send on them.
        self.connections = named(QTreeWidget(), "tcpClientConnections", "Client connections")
        self.connections.setHeaderLabels(["#", "Remote", "Local", "State", "In", "Out"])
        self.connections.setRootIsDecorated(False)
        self.connections.setFixedHeight(96)
        fit_columns(self.connections, stretch=1)
        self.half_close_button = _button(
            "Half-close",
            "tcpClientHalfClose",
            "Half-close: shutdown(SHUT_WR)",
            "Send our FIN; we can still receive",
        )
        self.close_button = _button("Close", "tcpClientClose", "Close the selected connection")
        self.payload = PayloadEditor("tcpClient", variables=True)
        self.tools = SendTools("tcpClient", self.payload)
        self.send_button = _button("Send", "tcpClientSend", "Send on the selected connection")
        self.send_file_button = _button("Send file…", "tcpClientSendFile", "Send a file's contents")
        self.periodic = PeriodicRow("tcpClient")
        self.periodic_ms, self.periodic_count = self.periodic.interval, self.periodic.count
        self.periodic_button = self.periodic.button
        self.counters = CountersBar("tcpClientCounters")
        self.log = LogPane("tcpClient")

        self.splitter = controls_above_log(
            self,
            "Clients",
            [
                hbox(self.fold, self.connect_button, None),
                self.form_error,
                self.settings,
                self.connections,
                hbox(
                    self.half_close_button, self.close_button, None, self.send_file_button, self.send_button
                ),
                self.payload,
                self.periodic,
                *self.tools.rows(),
                self.counters,
            ],
            self.log,
        )

        self._counter_timer = QTimer(self)
        self._counter_timer.setInterval(COUNTER_INTERVAL_MS)
        self._counter_timer.timeout.connect(self._refresh_counters)
        self.fold.toggled.connect(self.splitter.refit)
        self.tools.fold.toggled.connect(self.splitter.refit)
        self.connect_button.clicked.connect(self.open_connection)
        self.send_button.clicked.connect(self.send)
        self.payload.submitted.connect(self.send)
        self.send_file_button.clicked.connect(self._on_send_file_clicked)
        self.tools.lines_clicked.connect(self._on_send_lines_clicked)
        self.tools.problem.connect(self.status)
        self.half_close_button.clicked.connect(self.half_close)
        self.close_button.clicked.connect(self.close_selected)
        self.periodic.toggled.connect(self._on_periodic_toggled)
        self.trace.toggled.connect(self._on_trace_toggled)
        self.connections.currentItemChanged.connect(self._on_selection_changed)
        self.log.problem.connect(self.status)
        self._on_selection_changed()

    def config(self) -> TcpClientConfig:
        host, port, family = self.address.address()
        return TcpClientConfig(
            host=host,
            port=port,
            family=family,
            connect_timeout=self.timeout.value(),
            nodelay=self.nodelay.isChecked(),
            keepalive=self.keepalive.isChecked(),
            rcvbuf=self.rcvbuf.value(),
            sndbuf=self.sndbuf.value(),
            tls=self.tls.isChecked(),
            tls_verify=not self.insecure.isChecked(),
            ca_file=self.ca_file.text().strip(),
            trace=self.trace.isChecked(),
            **self.options.values(),
        )

    def set_config(self, config: TcpClientConfig) -> None:
        """Show a config in the form (the inverse of config())."""
        self.address.set_address(config.host, config.port, config.family)
        self.timeout.setValue(config.connect_timeout)
        self.nodelay.setChecked(config.nodelay)
        self.keepalive.setChecked(config.keepalive)
        self.rcvbuf.setValue(config.rcvbuf)
        self.sndbuf.setValue(config.sndbuf)
        self.tls_box.set_settings(config.tls, config.tls_verify, config.ca_file)
        self.trace.setChecked(config.trace)
        self.options.set_values(config)

    @Slot(str, int, int)
    def offer_server(self, host: str, port: int, asked: int) -> None:
        """Our own server is listening: when it took any free port, or this box still shows the port it
        was asked for, put its real address here, so Connect reaches it."""
        if asked != 0 and self.port.value() != asked:
            return  # the user is pointing the client elsewhere
        self.port.setValue(port)
        if host in ("0.0.0.0", "::"):
            host = "127.0.0.1" if host == "0.0.0.0" else "::1"
        self.host.setCurrentText(host)

    def set_send_box(self, box: SendBox) -> None:
        self.payload.set_payload(box.payload)
        self.periodic.set_periodic(box.periodic)
        self.payload.variables.setChecked(box.variables)
        self.tools.set_checksum(box.checksum)

    def send_box(self) -> SendBox:
        """The send box as a config: the payload as typed, the periodic settings, variables, checksum."""
        return SendBox(
            self.payload.payload(),
            self.periodic.periodic(),
            variables=self.payload.variables.isChecked(),
            checksum=self.tools.checksum_setting(),
        )

    def _ensure_engine(self) -> TcpClients:
        if self.runner is None:
            from netlab.tcp.client import TcpClients

            self.runner = EngineRunner(lambda sink: TcpClients(sink, trace=self.trace.isChecked()), self)
            self.log.attach(self.runner)  # Stream to file gets every event, before any drop
            self.runner.events_arrived.connect(self._on_events_arrived)
            self.runner.finished.connect(self._on_runner_finished)
            self.runner.start()
            self.counters.reset()
            self._counter_timer.start()
        return self.runner.engine

    @Slot()
    def open_connection(self) -> int | None:
        try:
            config = self.config()
        except ConfigError as exc:
            self.marks.show(exc.problems)
            self.fold.set_unfolded(True)  # a marked field must be in sight
            self.status.emit(str(exc.problems[0]))
            return None
        self.marks.clear()
        conn = self._ensure_engine().open(config)
        item = QTreeWidgetItem([str(conn), f"{config.host}:{config.port}", "", "connecting…", "0 B", "0 B"])
        item.setData(0, Qt.ItemDataRole.UserRole, conn)
        self.connections.addTopLevelItem(item)
        self.connections.setCurrentItem(item)
        return conn

    def _item(self, conn: int) -> QTreeWidgetItem | None:
        for i in range(self.connections.topLevelItemCount()):
            item = self.connections.topLevelItem(i)
            if item.data(0, Qt.ItemDataRole.UserRole) == conn:
                return item
        return None

    def selected(self) -> int | None:
        item = self.connections.currentItem()
        return None if item is None else int(item.data(0, Qt.ItemDataRole.UserRole))

    def _selected_open(self) -> int | None:
        conn = self.selected()
        if conn is None or self.runner is None:
            self.status.emit("Connect first, then select the connection in the list")
            return None
        return conn

    def _peer(self) -> str:
        item = self.connections.currentItem()
        return "" if item is None else item.text(1)

    @Slot()
    def send(self) -> None:
        conn = self._selected_open()
        if conn is None or self.runner is None:
            return
        data = self.tools.bytes_for(SendBox(self.payload.payload()), self._peer())
        if data is not None:
            self.runner.engine.send(conn, data)

    def _send_line(self, line: bytes) -> bool:
        conn = self.selected()
        if conn is None or self.runner is None:
            return False
        self.runner.engine.send(conn, line)
        return True

    @Slot()
    def _on_send_lines_clicked(self) -> None:
        if self._selected_open() is not None:
            self.tools.send_lines(self._send_line)

    @Slot()
    def _on_send_file_clicked(self) -> None:
        conn = self._selected_open()
        if conn is None or self.runner is None:
            return
        path, _ = QFileDialog.getOpenFileName(self, "Send a file")
        if path:
            self.runner.engine.send_file(conn, path)

    @Slot(bool)
    def _on_periodic_toggled(self, on: bool) -> None:
        conn = self.selected()
        if self.runner is None or conn is None:
            if on:
                self.status.emit("Connect first, then select the connection in the list")
                self.periodic_button.setChecked(False)
            return
        if not on:
            self.runner.engine.stop_periodic(conn)
            return
        try:
            box = self.send_box()
        except ConfigError as exc:
            self.status.emit(str(exc.problems[0]))
            self.periodic_button.setChecked(False)
            return
        if self.tools.bytes_for(box, self._peer(), trial=True) is None:
            self.periodic_button.setChecked(False)
            return
        # A fresh count for each periodic run, made on the engine's thread: every send its own {counter}.
        expander, peer = Expander(), self._peer()
        self.runner.engine.start_periodic(conn, lambda: send_bytes(box, expander, peer), box.periodic)
        self.tools.history.add(box.payload)

    @Slot()
    def half_close(self) -> None:
        conn = self._selected_open()
        if conn is not None and self.runner is not None:
            self.runner.engine.half_close(conn)

    @Slot()
    def close_selected(self) -> None:
        conn = self._selected_open()
        if conn is not None and self.runner is not None:
            self.runner.engine.close(conn)

    def stop(self) -> None:
        if self.runner is not None:
            self.runner.stop()

    @Slot(list)
    def _on_events_arrived(self, events: list[Event]) -> None:
        events = with_verdicts(events, self.tools.checksum_setting(), "client")
        self.log.add_events(events)
        self.tools.take(events)
        for event in events:
            if isinstance(event, PeriodicEnded) and self.periodic_button.isChecked():
                self.periodic.show_running(False)  # the engine ended it: nothing to stop
            if not isinstance(event, (Opened, TlsInfo, Closed, Error)):
                continue  # payload and socket-call rows change nothing in the list
            item = self._item(event.conn) if event.conn else None
            if item is None:
                continue
            if isinstance(event, Opened):
                item.setText(1, event.peer)
                item.setText(2, event.local)
                item.setText(3, "open")
                if self.connections.topLevelItemCount() == 1:
                    self.fold.set_unfolded(False)  # connected: the list and the send box matter now
            elif isinstance(event, TlsInfo):
                item.setText(3, f"open, {event.version}")
                self.status.emit(f"TLS with {event.peer}: {event.version}, {event.cipher}")
            elif isinstance(event, Closed) or (isinstance(event, Error) and item.text(3) == "connecting…"):
                self.connections.takeTopLevelItem(self.connections.indexOfTopLevelItem(item))
        self._on_selection_changed()

    @Slot()
    def _on_selection_changed(self) -> None:
        has = self.connections.currentItem() is not None
        self.tools.set_connection(self.selected())
        for widget in (
            self.half_close_button,
            self.close_button,
            self.send_button,
            self.send_file_button,
        ):
            widget.setEnabled(has)
        self.tools.set_lines_enabled(has)
        self.periodic_button.setEnabled(has or self.periodic_button.isChecked())
        if not has and self.periodic_button.isChecked():
            self.periodic_button.setChecked(False)

    @Slot()
    def _on_runner_finished(self) -> None:
        runner, self.runner = self.runner, None
        self._counter_timer.stop()
        if runner is not None:
            runner.deleteLater()
        self.connections.clear()
        self.tools.stop_lines()
        self._on_selection_changed()

    @Slot()
    def _refresh_counters(self) -> None:
        if self.runner is None:
            return
        engine = self.runner.engine
        self.counters.show_counters(engine.counters())
        self.log.note_bridge_drops(self.runner.dropped)
        refresh_byte_columns(self.connections, engine.connection_list(), 4)

    @Slot(bool)
    def _on_trace_toggled(self, on: bool) -> None:
        if self.runner is not None:
            self.runner.engine.set_trace(on)


class TcpTab(SideBySide):
    """Server on the left, clients on the right, so a student sees both ends of one conversation.

    Signals:
        status(str): a line for the window's status bar.
    """

    lab_key = "tcp"

    def __init__(self, parent: QWidget | None = None) -> None:
        server, client = ServerPanel(), ClientPanel()
        super().__init__("tcpTab", server, client, parent)
        self.server, self.client = server, client
        self.server.listening.connect(self.client.offer_server)

    def lab_state(self) -> TcpTabState:
        """Both panels and their send boxes as configs; raises ConfigError naming the first bad field."""
        return TcpTabState(
            self.server.config(),
            self.server.payload.payload(),
            self.client.config(),
            self.client.send_box(),
            server_variables=self.server.payload.variables.isChecked(),
            server_checksum=self.server.tools.checksum_setting(),
        )

    def load_lab_state(self, state: TcpTabState) -> None:
        self.server.payload.set_payload(state.server_send)
        self.server.payload.variables.setChecked(state.server_variables)
        self.server.tools.set_checksum(state.server_checksum)
        self.server.set_config(state.server)  # after the send box: the server's encoding wins
        self.client.set_config(state.client)
        self.client.set_send_box(state.client_send)
