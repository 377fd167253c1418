"""The UDP tab: a receiver (modes, multicast, kernel drops, loss) beside a sender and traffic generator."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QGridLayout,
    QGroupBox,
    QLabel,
    QLayout,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from netlab.core.codec import CodecError, Payload, PayloadKind
from netlab.core.config import ConfigError, Family, FieldProblem, format_address
from netlab.core.events import Error, Event, Listening, Sink
from netlab.core.logstore import LogStore
from netlab.core.sendbox import PeriodicSend, SendBox
from netlab.core.variables import Expander, payload_bytes
from netlab.udp.config import (
    RateUnit,
    ReceiverMode,
    TrafficConfig,
    UdpReceiverConfig,
    UdpSenderConfig,
    UdpTabState,
    group_problems,
)
from netlab.udp.interfaces import broadcast_addresses, interfaces
from netlab.udp.receiver import UdpReceiver
from netlab.udp.sender import UdpSender
from ui.common.bridge import EngineRunner
from ui.common.logpane import LogPane
from ui.common.panel import EnginePanel, SideBySide
from ui.common.rules import RulesEditor
from ui.common.sendtools import ChecksumRow, with_verdicts
from ui.common.widgets import (
    CountersBar,
    FieldMarks,
    PayloadEditor,
    PortBox,
    controls_above_log,
    hbox,
    named,
    select_data,
)

# A flood of small datagrams is many rows of few bytes each: keep the newest half million
# (about 150 MB), drop older ones and count them, as every log in NetLab does.
UDP_LOG_ROWS = 500_000


def udp_log_store() -> LogStore:
    return LogStore(max_rows=UDP_LOG_ROWS, max_bytes=128 * 1024 * 1024)


def _spin(maximum: int, value: int, name: str, accessible: str, tip: str = "", minimum: int = 0) -> QSpinBox:
    box = named(QSpinBox(), name, accessible, tip)
    box.setRange(minimum, maximum)
    box.setValue(value)
    return box


def _button(text: str, name: str, accessible: str, tip: str = "") -> QPushButton:
    return named(QPushButton(text), name, accessible, tip)


def _combo(name: str, accessible: str, items: list[tuple[str, str]], tip: str = "") -> QComboBox:
    box = named(QComboBox(), name, accessible, tip)
    for label, value in items:
        box.addItem(label, value)
    return box


def _interface_box(name: str, accessible: str) -> QComboBox:
    """Editable: the default, then each interface's IPv4 address (for IPv4 groups) and name (IPv6)."""
    box = named(QComboBox(), name, accessible, "IPv4: the interface's address; IPv6: its name")
    box.setEditable(True)
    box.addItem("")
    for interface in interfaces():
        if interface.address:
            box.addItem(interface.address)
        box.addItem(interface.name)
    return box


class UdpReceiverPanel(EnginePanel):
    """Bind, maybe join a group, and watch every datagram arrive; reply to the sender of any of them."""

    runner: EngineRunner[UdpReceiver] | None

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        defaults = UdpReceiverConfig()
        self.host = named(
            QComboBox(), "udpReceiverHost", "Receiver address", "0.0.0.0 or :: for every interface"
        )
        self.host.setEditable(True)
        self.host.addItems(["127.0.0.1", "0.0.0.0", "::1", "::"])
        self.port = named(PortBox(defaults.port), "udpReceiverPort", "Receiver port", "0 picks any free port")
        families = [
            ("IPv4", Family.IPV4.value),
            ("IPv6", Family.IPV6.value),
            ("Dual-stack", Family.DUAL.value),
        ]
        self.family = _combo("udpReceiverFamily", "Address family", families)
        self.mode = _combo("udpReceiverMode", "Receiver mode", [(m.label, m.value) for m in ReceiverMode])
        self.quit_words = named(
            QLineEdit(),
            "udpReceiverQuitWords",
            "Quit words",
            "Stop replying to a peer that sends one of these",
        )
        self.quit_words.setPlaceholderText("e.g. bye, q")
        self.rcvbuf = _spin(
            2**30, 0, "udpReceiverRcvbuf", "Receive buffer (SO_RCVBUF)", "bytes; 0 = system default"
        )
        self.rcvbuf.setSpecialValueText("default")
        self.reuse = named(QCheckBox("SO_REUSEADDR"), "udpReceiverReuse", "Reuse address")
        self.group = named(
            QLineEdit(), "udpReceiverGroup", "Multicast group", "Join this group, e.g. 239.1.2.3"
        )
        self.group.setPlaceholderText("multicast group, e.g. 239.1.2.3 (empty: none)")
        self.interface = _interface_box("udpReceiverInterface", "Multicast interface")
        self.join_button = _button("Join", "udpReceiverJoin", "Join the group now", "IP_ADD_MEMBERSHIP")
        self.leave_button = _button("Leave", "udpReceiverLeave", "Leave the group now", "IP_DROP_MEMBERSHIP")
        self.trace = named(
            QCheckBox("Show socket calls"),
            "udpReceiverTrace",
            "Show socket calls",
            "socket, bind, setsockopt…",
        )
        self.rules = RulesEditor("udpReceiver")
        self.start_button = _button("Start", "udpReceiverStart", "Start receiver")
        self.stop_button = _button("Stop", "udpReceiverStop", "Stop receiver")
        self.state = named(QLabel("Stopped"), "udpReceiverState", "Receiver state")
        self.state.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.payload = PayloadEditor("udpReceiver")
        self.checksum = ChecksumRow("udpReceiver")  # checked on each datagram; appended to replies
        self.reply_button = _button(
            "Reply to selected", "udpReceiverReply", "Reply to the sender of the selected datagram"
        )
        self.counters = CountersBar("udpReceiverCounters", connections=False)
        self.stats = named(QLabel(), "udpReceiverStats", "Datagram rate, kernel drops and loss")
        self.stats.setWordWrap(True)
        self.stats.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.log = LogPane("udpReceiver", store=udp_log_store())
        self.form_error = QLabel()
        self.form_error.setObjectName("udpReceiverFormError")
        self.marks = FieldMarks(
            {
                "host": self.host,
                "port": self.port,
                "rcvbuf": self.rcvbuf,
                "group": self.group,
                "rules": self.rules.table,
                "encoding": self.payload.encoding,
            },
            self.form_error,
        )
        self._last_in = 0
        self._rate = 0.0

        form = QGridLayout()
        form.addWidget(QLabel("Host"), 0, 0)
        form.addWidget(self.host, 0, 1)
        form.addWidget(QLabel("Port"), 0, 2)
        form.addWidget(self.port, 0, 3)
        form.addWidget(self.family, 0, 4)
        form.addWidget(QLabel("Mode"), 1, 0)
        form.addWidget(self.mode, 1, 1)
        form.addWidget(QLabel("Quit words"), 1, 2)
        form.addWidget(self.quit_words, 1, 3, 1, 2)
        form.addWidget(QLabel("SO_RCVBUF"), 2, 0)
        form.addWidget(self.rcvbuf, 2, 1)
        form.addWidget(self.reuse, 2, 2, 1, 2)
        form.addWidget(self.trace, 2, 4)
        form.addWidget(QLabel("Group"), 3, 0)
        form.addWidget(self.group, 3, 1, 1, 2)
        form.addWidget(QLabel("on"), 3, 3)
        form.addWidget(self.interface, 3, 4)
        form.addLayout(hbox(self.join_button, self.leave_button), 3, 5)
        form.addLayout(hbox(self.start_button, self.stop_button, self.state, stretch=self.state), 4, 0, 1, 5)
        form.addWidget(self.form_error, 5, 0, 1, 5)
        form.setColumnStretch(1, 1)
        form.setColumnStretch(3, 1)
        parts: list[QWidget | QLayout] = [
            form,
            self.rules,
            self.payload,
            self.checksum,
            hbox(None, self.reply_button),
            self.counters,
            self.stats,
        ]
        controls_above_log(self, "Receiver", parts, self.log)

        self.mode.currentIndexChanged.connect(self._on_mode_changed)
        self.start_button.clicked.connect(self.start)
        self.stop_button.clicked.connect(self.stop)
        self.reply_button.clicked.connect(self.reply_to_selected)
        self.join_button.clicked.connect(self.join_group)
        self.leave_button.clicked.connect(self.leave_group)
        self.payload.submitted.connect(self.reply_to_selected)
        self.trace.toggled.connect(self._on_trace_toggled)
        self.log.problem.connect(self.status)
        self._on_mode_changed()
        self.set_running(False)

    # ------------------------------------------------------------------ form <-> config
    def config(self) -> UdpReceiverConfig:
        mode = ReceiverMode(self.mode.currentData())
        return UdpReceiverConfig(
            host=self.host.currentText().strip(),
            port=self.port.value(),
            family=Family(self.family.currentData()),
            mode=mode,
            rules=self.rules.rules() if mode is ReceiverMode.RULES else self.rules.kept_rules(),
            quit_words=tuple(w.strip() for w in self.quit_words.text().split(",") if w.strip()),
            encoding=str(self.payload.encoding.currentData()),
            rcvbuf=self.rcvbuf.value(),
            group=self.group.text().strip(),
            interface=self.interface.currentText().strip(),
            reuse_addr=self.reuse.isChecked(),
            trace=self.trace.isChecked(),
        )

    def set_config(self, config: UdpReceiverConfig) -> None:
        self.host.setCurrentText(config.host)
        self.port.setValue(config.port)
        select_data(self.family, config.family.value)
        self.rules.set_rules(config.rules)
        select_data(self.mode, config.mode.value)
        self.quit_words.setText(", ".join(config.quit_words))
        select_data(self.payload.encoding, config.encoding)
        self.rcvbuf.setValue(config.rcvbuf)
        self.group.setText(config.group)
        self.interface.setCurrentText(config.interface)
        self.reuse.setChecked(config.reuse_addr)
        self.trace.setChecked(config.trace)

    @Slot()
    def _on_mode_changed(self) -> None:
        rules = self.mode.currentData() == ReceiverMode.RULES.value
        self.rules.setVisible(rules)
        if rules:
            self.rules.ensure_some()

    # ------------------------------------------------------------------ running
    def make_engine(self, config: UdpReceiverConfig, sink: Sink) -> UdpReceiver:
        self._last_in = 0
        return UdpReceiver(config, sink)

    def set_running(self, running: bool) -> None:
        self.start_button.setEnabled(not running)
        self.stop_button.setEnabled(running)
        for widget in (
            self.host,
            self.port,
            self.family,
            self.mode,
            self.quit_words,
            self.rcvbuf,
            self.reuse,
            self.rules,
        ):
            widget.setEnabled(not running)
        for button in (self.reply_button, self.join_button, self.leave_button):
            button.setEnabled(running)

    @Slot(list)
    def _on_events_arrived(self, events: list[Event]) -> None:
        # The checksum verdicts go in right after the datagrams they are about.
        super()._on_events_arrived(with_verdicts(events, self.checksum.checksum(), "receiver"))

    def on_events(self, events: list[Event]) -> None:
        for event in events:
            if isinstance(event, Listening):
                where = format_address((event.host, event.port))
                self.state.setText(f"Receiving on {where}")
                self.status.emit(f"UDP receiver on {where}")
            elif isinstance(event, Error) and self.runner is not None and self.runner.engine.address is None:
                self.state.setText(f"Not started: {event.message}")

    def on_tick(self, engine: UdpReceiver) -> None:
        counters = engine.counters()
        self._rate = counters.messages_in - self._last_in  # the tick is one second
        self._last_in = counters.messages_in
        dropped = (
            f"{engine.kernel_dropped:,} dropped by the kernel (receive buffer full)"
            if engine.kernel_drops_reported
            else "kernel drops not reported on this system"
        )
        lines = [f"{self._rate:,} datagrams/s in; {dropped}"]
        for stream, report in engine.loss_reports().items():
            lines.append(f"Sequence {stream}: {report.line()}")
        self.stats.setText("\n".join(lines))

    @Slot(bool)
    def _on_trace_toggled(self, on: bool) -> None:
        if self.runner is not None:
            self.runner.engine.set_trace(on)

    @Slot()
    def join_group(self) -> None:
        """While running, the group field joins another group (checked like the config checks it)."""
        group = self.group.text().strip()
        problems = group_problems(group) or (
            [] if group else [FieldProblem("group", "No group to join", "type one, e.g. 239.1.2.3")]
        )
        if problems:
            self.marks.show(problems)
            return
        self.marks.clear()
        if self.runner is not None:
            self.runner.engine.join(group, self.interface.currentText().strip())

    @Slot()
    def leave_group(self) -> None:
        if self.runner is not None:
            self.runner.engine.leave(self.group.text().strip())

    @Slot()
    def reply_to_selected(self) -> None:
        if self.runner is None:
            self.status.emit("Start the receiver first")
            return
        rows = [row for row in self.log.selected_rows() if row.event.conn]
        if not rows:
            self.status.emit("Select a datagram in the log: the reply goes to its sender")
            return
        data = self.payload.to_bytes()
        if data is not None:
            checksum = self.checksum.checksum()
            self.runner.engine.reply(rows[-1].event.conn, checksum.appended(data) if checksum else data)


class UdpSenderPanel(EnginePanel):
    """A socket bound to a source port that sends once, periodically, or as a traffic generator."""

    runner: EngineRunner[UdpSender] | None

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        defaults = UdpSenderConfig()
        self.host = named(
            QComboBox(), "udpSenderHost", "Target address", "A host, a broadcast address or a multicast group"
        )
        self.host.setEditable(True)
        self.host.addItems(["127.0.0.1", "::1", *broadcast_addresses(), "239.1.2.3"])
        self.port = named(PortBox(defaults.port, allow_zero=False), "udpSenderPort", "Target port")
        self.bind_host = named(QLineEdit(), "udpSenderBindHost", "Source address", "Empty: any local address")
        self.bind_host.setPlaceholderText("any")
        self.source_port = named(
            PortBox(0),
            "udpSenderSourcePort",
            "Source port",
            "Bind before sending, so replies come back here; 0 = any",
        )
        self.broadcast = named(
            QCheckBox("Broadcast"), "udpSenderBroadcast", "Allow broadcast", "Sets SO_BROADCAST on the socket"
        )
        self.connect_socket = named(
            QCheckBox("Connect"),
            "udpSenderConnect",
            "Connect the socket",
            "connect() a unicast target: ICMP errors are reported, and only its replies get through",
        )
        self.connect_socket.setChecked(defaults.connect)
        self.ttl = _spin(255, defaults.multicast_ttl, "udpSenderTtl", "Multicast TTL")
        self.loop = named(
            QCheckBox("Loopback"),
            "udpSenderLoop",
            "Multicast loopback",
            "Also deliver to receivers on this machine",
        )
        self.loop.setChecked(defaults.multicast_loop)
        self.interface = _interface_box("udpSenderInterface", "Multicast interface")
        self.trace = named(QCheckBox("Show socket calls"), "udpSenderTrace", "Show socket calls")
        self.start_button = _button("Open", "udpSenderStart", "Open the socket", "Bind the source port")
        self.stop_button = _button("Close", "udpSenderStop", "Close the socket")
        self.state = named(QLabel("Closed"), "udpSenderState", "Sender state")

        # Variables are the send box's own, checked as you type (netlab/core/variables.py).
        self.payload = PayloadEditor("udpSender", variables=True)
        self.variables = self.payload.variables
        self.checksum = ChecksumRow("udpSender")  # appended to each datagram; replies checked against it
        self.repeat = named(
            QCheckBox("Repeat"), "udpSenderRepeat", "Periodic send", "Send again every interval"
        )
        self.interval = _spin(86_400_000, 1000, "udpSenderInterval", "Interval (ms)", minimum=1)
        self.count = _spin(10**9, 0, "udpSenderCount", "How many times", "0 = until you stop it")
        self.count.setSpecialValueText("until stopped")
        self.send_button = _button("Send", "udpSenderSend", "Send")
        self.file_button = _button("Send file…", "udpSenderFile", "Send a file as one datagram")
        self.stop_sending_button = _button(
            "Stop sending", "udpSenderStopSending", "Stop periodic sends and traffic"
        )

        self.rate = named(QDoubleSpinBox(), "udpGenRate", "Target rate")
        self.rate.setRange(0.001, 1e7)
        self.rate.setDecimals(3)
        self.rate.setValue(TrafficConfig.rate)
        self.unit = _combo("udpGenUnit", "Rate unit", [(u.value, u.value) for u in RateUnit])
        self.datagram_size = _spin(65_527, TrafficConfig.size, "udpGenSize", "Datagram size (bytes)")
        self.duration = named(
            QDoubleSpinBox(), "udpGenDuration", "Duration (s)", "0 = until the count or Stop"
        )
        self.duration.setRange(0, 86_400)
        self.duration.setValue(TrafficConfig.duration_s)
        self.gen_count = _spin(2**31 - 1, 0, "udpGenCount", "Datagram count", "0 = no limit but the duration")
        self.gen_count.setSpecialValueText("no limit")
        self.sequence = named(
            QCheckBox("Sequence header"),
            "udpGenSequence",
            "Stamp sequence numbers",
            "20 bytes: NLSQ, run id, sequence number, send time (ns); a NetLab receiver reports loss",
        )
        self.sequence.setChecked(True)
        self.generate_button = _button("Generate", "udpGenStart", "Start the traffic generator")
        self.achieved = named(QLabel(), "udpGenAchieved", "Achieved rate")

        self.counters = CountersBar("udpSenderCounters", connections=False)
        self.log = LogPane("udpSender", store=udp_log_store())
        self.form_error = QLabel()
        self.form_error.setObjectName("udpSenderFormError")
        self.marks = FieldMarks(
            {
                "host": self.host,
                "port": self.port,
                "bind_host": self.bind_host,
                "source_port": self.source_port,
                "multicast_ttl": self.ttl,
                "payload": self.payload.text,
                "interval_ms": self.interval,
                "count": self.count,
                "rate": self.rate,
                "size": self.datagram_size,
                "duration_s": self.duration,
            },
            self.form_error,
        )
        # What to do once the socket is open: a send box (and whether to repeat it) or a generator run.
        self._pending: tuple[SendBox, bool] | TrafficConfig | None = None

        form = QGridLayout()
        form.addWidget(QLabel("Target"), 0, 0)
        form.addWidget(self.host, 0, 1)
        form.addWidget(QLabel("Port"), 0, 2)
        form.addWidget(self.port, 0, 3)
        form.addWidget(QLabel("Source"), 1, 0)
        form.addWidget(self.bind_host, 1, 1)
        form.addWidget(QLabel("Port"), 1, 2)
        form.addWidget(self.source_port, 1, 3)
        form.addLayout(hbox(self.broadcast, self.connect_socket, self.trace, None), 2, 0, 1, 4)
        form.addLayout(
            hbox(
                QLabel("Multicast TTL"),
                self.ttl,
                self.loop,
                QLabel("via"),
                self.interface,
                stretch=self.interface,
            ),
            3,
            0,
            1,
            4,
        )
        form.addLayout(hbox(self.start_button, self.stop_button, self.state, stretch=self.state), 4, 0, 1, 4)
        form.addWidget(self.form_error, 5, 0, 1, 4)
        form.setColumnStretch(1, 1)
        sending = hbox(
            self.repeat,
            QLabel("every"),
            self.interval,
            QLabel("ms, times"),
            self.count,
            None,
            self.file_button,
            self.send_button,
        )
        generator = QGroupBox("Traffic generator")
        generator.setObjectName("udpGenBox")
        rows = QVBoxLayout(generator)
        rows.addLayout(hbox(QLabel("Rate"), self.rate, self.unit, QLabel("Size"), self.datagram_size, None))
        rows.addLayout(
            hbox(QLabel("For"), self.duration, QLabel("s, or"), self.gen_count, self.sequence, None)
        )
        rows.addLayout(
            hbox(self.generate_button, self.stop_sending_button, self.achieved, stretch=self.achieved)
        )
        parts: list[QWidget | QLayout] = [
            form,
            self.payload,
            sending,
            self.checksum,
            generator,
            self.counters,
        ]
        controls_above_log(self, "Sender", parts, self.log)

        self.start_button.clicked.connect(self.start)
        self.stop_button.clicked.connect(self.stop)
        self.send_button.clicked.connect(self.send)
        self.payload.submitted.connect(self.send)
        self.file_button.clicked.connect(self._on_file_clicked)
        self.generate_button.clicked.connect(self.generate)
        self.stop_sending_button.clicked.connect(self.stop_sending)
        self.trace.toggled.connect(self._on_trace_toggled)
        self.log.problem.connect(self.status)
        self.set_running(False)

    # ------------------------------------------------------------------ form <-> config
    def config(self) -> UdpSenderConfig:
        return UdpSenderConfig(
            host=self.host.currentText().strip(),
            port=self.port.value(),
            bind_host=self.bind_host.text().strip(),
            source_port=self.source_port.value(),
            broadcast=self.broadcast.isChecked(),
            connect=self.connect_socket.isChecked(),
            multicast_ttl=self.ttl.value(),
            multicast_loop=self.loop.isChecked(),
            multicast_interface=self.interface.currentText().strip(),
            encoding=str(self.payload.encoding.currentData()),
            trace=self.trace.isChecked(),
        )

    def set_config(self, config: UdpSenderConfig) -> None:
        self.host.setCurrentText(config.host)
        self.port.setValue(config.port)
        self.bind_host.setText(config.bind_host)
        self.source_port.setValue(config.source_port)
        self.broadcast.setChecked(config.broadcast)
        self.connect_socket.setChecked(config.connect)
        self.ttl.setValue(config.multicast_ttl)
        self.loop.setChecked(config.multicast_loop)
        self.interface.setCurrentText(config.multicast_interface)
        self.trace.setChecked(config.trace)

    def send_box(self, payload: Payload | None = None) -> SendBox:
        return SendBox(
            payload=payload or self.payload.payload(),
            periodic=PeriodicSend(self.interval.value(), self.count.value()),
            variables=self.variables.isChecked(),
            checksum=self.checksum.checksum(),
        )

    def set_send_box(self, box: SendBox) -> None:
        self.payload.set_payload(box.payload)
        self.variables.setChecked(box.variables)
        self.checksum.set_checksum(box.checksum)
        self.interval.setValue(box.periodic.interval_ms)
        self.count.setValue(box.periodic.count)

    def traffic(self) -> TrafficConfig:
        return TrafficConfig(
            rate=self.rate.value(),
            unit=RateUnit(self.unit.currentData()),
            size=self.datagram_size.value(),
            duration_s=self.duration.value(),
            count=self.gen_count.value(),
            sequence=self.sequence.isChecked(),
        )

    def set_traffic(self, traffic: TrafficConfig) -> None:
        self.rate.setValue(traffic.rate)
        select_data(self.unit, traffic.unit.value)
        self.datagram_size.setValue(traffic.size)
        self.duration.setValue(traffic.duration_s)
        self.gen_count.setValue(traffic.count)
        self.sequence.setChecked(traffic.sequence)

    # ------------------------------------------------------------------ running
    def make_engine(self, config: UdpSenderConfig, sink: Sink) -> UdpSender:
        return UdpSender(config, sink)

    def set_running(self, running: bool) -> None:
        self.start_button.setEnabled(not running)
        self.stop_button.setEnabled(running)
        for widget in (
            self.host,
            self.port,
            self.bind_host,
            self.source_port,
            self.broadcast,
            self.connect_socket,
            self.ttl,
            self.loop,
            self.interface,
        ):
            widget.setEnabled(not running)
        if not running:
            self.state.setText(self.state.text() if self.state.text().startswith("Not") else "Closed")
            self.achieved.clear()

    @Slot(list)
    def _on_events_arrived(self, events: list[Event]) -> None:
        # Replies are checked against the checksum the sender appends, when "Check received" is ticked.
        super()._on_events_arrived(with_verdicts(events, self.checksum.checksum(), "sender"))

    def on_events(self, events: list[Event]) -> None:
        for event in events:
            if isinstance(event, Listening):
                where = format_address((event.host, event.port))
                self.state.setText(f"Open, sending from {where}")
                self._run_pending()
            elif isinstance(event, Error) and self.runner is not None and self.runner.engine.address is None:
                self.state.setText(f"Not started: {event.message}")
                self._pending = None

    def on_tick(self, engine: UdpSender) -> None:
        if engine.generator_running:
            self.achieved.setText(f"{engine.generated:,} sent, {engine.achieved_rate():,.0f}/s achieved")
        elif engine.generated:
            self.achieved.setText(f"{engine.generated:,} sent, finished")

    def _checked(self, make: Any) -> Any:
        """Build a config from the form; show its problems at the fields and return None if refused."""
        try:
            value = make()
        except ConfigError as exc:
            self.marks.show(exc.problems)
            self.status.emit(str(exc.problems[0]))
            return None
        self.marks.clear()
        return value

    def _do(self, action: tuple[SendBox, bool] | TrafficConfig) -> None:
        """Run an action now, or open the socket first and run it once it is bound."""
        if self.runner is None:
            self._pending = action
            self.start()
            if self.runner is None:
                self._pending = None
            return
        if self.runner.engine.address is None:
            self._pending = action
            return
        if isinstance(action, TrafficConfig):
            self.runner.engine.generate(action)
        else:
            self.runner.engine.send(*action)

    def _run_pending(self) -> None:
        action, self._pending = self._pending, None
        if action is not None:
            self._do(action)

    @Slot()
    def send(self) -> None:
        if self.payload.to_bytes() is None:  # the field says why; the status bar too
            self.status.emit(self.payload.error.text().replace("\u200b", ""))
            return
        box = self._checked(self.send_box)
        if box is None:
            return
        try:
            payload_bytes(box.payload, Expander() if box.variables else None)  # a trial run, counts nothing
        except CodecError as exc:
            self.marks.show([FieldProblem("payload", exc.message, exc.hint)])
            self.status.emit(f"{exc.message}: {exc.hint}")
            return
        self._do((box, self.repeat.isChecked()))

    @Slot()
    def _on_file_clicked(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Send a file as one datagram")
        if path:
            self.send_file(path)

    def send_file(self, path: str) -> None:
        box = self._checked(lambda: self.send_box(Payload(PayloadKind.FILE, path)))
        if box is not None:
            self._do((box, False))

    @Slot()
    def generate(self) -> None:
        traffic = self._checked(self.traffic)
        if traffic is not None:
            self._do(traffic)

    @Slot()
    def stop_sending(self) -> None:
        if self.runner is not None:
            self.runner.engine.stop_sending()

    @Slot(bool)
    def _on_trace_toggled(self, on: bool) -> None:
        if self.runner is not None:
            self.runner.engine.set_trace(on)


class UdpTab(SideBySide):
    """Receiver on the left, sender on the right: both ends of a datagram exchange in one view.

    Signals:
        status(str): a line for the window's status bar.
    """

    lab_key = "udp"

    def __init__(self, parent: QWidget | None = None) -> None:
        receiver, sender = UdpReceiverPanel(), UdpSenderPanel()
        super().__init__("udpTab", receiver, sender, parent)
        self.receiver_panel, self.sender_panel = receiver, sender

    def lab_state(self) -> UdpTabState:
        """The form as configs; raises ConfigError naming the first bad field."""
        return UdpTabState(
            self.receiver_panel.config(),
            self.sender_panel.config(),
            self.sender_panel.send_box(),
            self.sender_panel.traffic(),
            self.receiver_panel.checksum.checksum(),
        )

    def load_lab_state(self, state: UdpTabState) -> None:
        self.receiver_panel.set_config(state.receiver)
        self.sender_panel.set_config(state.sender)
        self.sender_panel.set_send_box(state.send_box)
        self.sender_panel.set_traffic(state.traffic)
        self.receiver_panel.checksum.set_checksum(state.receiver_checksum)
