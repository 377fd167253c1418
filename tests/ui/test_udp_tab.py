"""Drive the real UDP tab: receive, echo, reply to a selected datagram, periodic sends, the generator."""

from __future__ import annotations

import re
import socket
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from netlab.core.checksum import Algorithm, ByteOrder, Checksum
from netlab.core.codec import PayloadKind
from netlab.core.config import ConfigError, Family
from netlab.core.events import Data, Direction, Error, Info
from netlab.core.sendbox import PeriodicSend, SendBox
from netlab.udp.config import ReceiverMode, TrafficConfig, UdpReceiverConfig, UdpSenderConfig, UdpTabState
from ui.common.logpane import ERROR_COLOUR, LogPane
from ui.main_window import MainWindow
from ui.tabs.udp import UdpReceiverPanel, UdpTab

from ..engine.test_serial import configs
from .conftest import WAIT_MS


@pytest.fixture(autouse=True)
def udp_tab_shown(window: MainWindow) -> None:
    window.open_tab("udp")


def payloads(pane: LogPane, direction: Direction) -> list[bytes]:
    return [
        r.event.data for r in pane.model.rows if isinstance(r.event, Data) and r.event.direction is direction
    ]


def start_receiver(qtbot: QtBot, receiver: UdpReceiverPanel, mode: ReceiverMode = ReceiverMode.LOG) -> int:
    receiver.port.setValue(0)
    receiver.mode.setCurrentIndex(receiver.mode.findData(mode.value))
    qtbot.mouseClick(receiver.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: receiver.state.text().startswith("Receiving on"), timeout=WAIT_MS)
    return int(receiver.state.text().rsplit(":", 1)[1])


def test_the_tab_echoes_and_the_sender_sees_replies_grouped_by_peer(qtbot: QtBot, window: MainWindow) -> None:
    receiver, sender = window.udp.receiver_panel, window.udp.sender_panel
    assert window.tabs.tabText(window.tabs.currentIndex()) == "UDP"
    port = start_receiver(qtbot, receiver, ReceiverMode.UPPER)
    sender.port.setValue(port)
    sender.payload.text.setPlainText("hello {counter}")
    sender.repeat.setChecked(True)
    sender.count.setValue(3)
    sender.interval.setValue(5)
    qtbot.mouseClick(sender.send_button, Qt.MouseButton.LeftButton)  # opens the socket, then sends
    qtbot.waitUntil(lambda: len(payloads(sender.log, Direction.RECEIVED)) == 3, timeout=WAIT_MS)
    assert payloads(sender.log, Direction.SENT) == [b"hello 1", b"hello 2", b"hello 3"]
    assert payloads(sender.log, Direction.RECEIVED) == [b"HELLO 1", b"HELLO 2", b"HELLO 3"]
    assert sender.state.text().startswith("Open, sending from")
    rows = [r.event for r in receiver.log.model.rows if isinstance(r.event, Data)]
    assert len({(e.conn, e.peer) for e in rows}) == 1  # one peer, one conversation
    qtbot.waitUntil(lambda: "datagrams/s in" in receiver.stats.text(), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: "In: 3 msgs" in receiver.counters.text(), timeout=WAIT_MS)
    # UDP has no connections, so neither counter line counts any.
    assert "Connections" not in receiver.counters.text() + sender.counters.text()


def test_reply_to_the_sender_of_a_selected_datagram(qtbot: QtBot, window: MainWindow) -> None:
    receiver = window.udp.receiver_panel
    port = start_receiver(qtbot, receiver)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as peer:
        peer.settimeout(WAIT_MS / 1000)
        peer.sendto(b"who is there?", ("127.0.0.1", port))
        qtbot.waitUntil(
            lambda: payloads(receiver.log, Direction.RECEIVED) == [b"who is there?"], timeout=WAIT_MS
        )
        qtbot.mouseClick(receiver.reply_button, Qt.MouseButton.LeftButton)  # nothing selected yet
        row = next(i for i, r in enumerate(receiver.log.model.rows) if isinstance(r.event, Data))
        receiver.log.table.selectRow(row)
        receiver.payload.text.setPlainText("me")
        qtbot.mouseClick(receiver.reply_button, Qt.MouseButton.LeftButton)
        assert peer.recvfrom(100)[0] == b"me"


def test_the_receiver_checks_each_datagrams_checksum_bad_ones_red_and_the_sender_checks_replies(
    qtbot: QtBot, window: MainWindow
) -> None:
    receiver, sender = window.udp.receiver_panel, window.udp.sender_panel
    receiver.checksum.set_checksum(Checksum(Algorithm.CRC16_MODBUS, ByteOrder.LITTLE, verify=True))
    port = start_receiver(qtbot, receiver, ReceiverMode.ECHO)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as peer:
        for datagram in (b"123456789\x37\x4b", b"123456789\x4b\x37", b"1"):
            peer.sendto(datagram, ("127.0.0.1", port))
        qtbot.waitUntil(lambda: len(payloads(receiver.log, Direction.RECEIVED)) == 3, timeout=WAIT_MS)
    rows = receiver.log.model.rows
    notes = [r.event.text for r in rows if isinstance(r.event, Info) and "checksum" in r.event.text]
    assert notes == [
        "CRC-16/MODBUS checksum OK: 37 4b",
        "1 bytes: too short to end in a CRC-16/MODBUS checksum",
    ]
    bad = [(i, r.event) for i, r in enumerate(rows) if isinstance(r.event, Error)]
    assert len(bad) == 1
    assert bad[0][1].message == "CRC-16/MODBUS checksum BAD: the message ends in 4b 37, its bytes give 37 4b"
    assert isinstance(rows[bad[0][0] - 1].event, Data)  # right after the datagram it is about
    model = receiver.log.model
    assert (
        model.data(model.index(bad[0][0], 6), Qt.ItemDataRole.ForegroundRole).color().name() == ERROR_COLOUR
    )
    # The sender appends the same checksum and checks the echoed replies with it: all good.
    sender.checksum.set_checksum(Checksum(Algorithm.CRC16_MODBUS, ByteOrder.LITTLE, verify=True))
    sender.port.setValue(port)
    sender.payload.text.setPlainText("123456789")
    qtbot.mouseClick(sender.send_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: any(isinstance(r.event, Info) and "checksum" in r.event.text for r in sender.log.model.rows),
        timeout=WAIT_MS,
    )
    assert payloads(sender.log, Direction.RECEIVED) == [b"123456789\x37\x4b"]
    assert [
        r.event.text
        for r in sender.log.model.rows
        if isinstance(r.event, Info) and "checksum" in r.event.text
    ] == ["CRC-16/MODBUS checksum OK: 37 4b"]


def test_a_reply_by_hand_gets_the_receivers_checksum_appended(qtbot: QtBot, window: MainWindow) -> None:
    receiver = window.udp.receiver_panel
    receiver.checksum.set_checksum(Checksum(Algorithm.SUM8))
    port = start_receiver(qtbot, receiver)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as peer:
        peer.settimeout(WAIT_MS / 1000)
        peer.sendto(b"hi", ("127.0.0.1", port))
        qtbot.waitUntil(lambda: payloads(receiver.log, Direction.RECEIVED) == [b"hi"], timeout=WAIT_MS)
        row = next(i for i, r in enumerate(receiver.log.model.rows) if isinstance(r.event, Data))
        receiver.log.table.selectRow(row)
        receiver.payload.text.setPlainText("123456789")
        qtbot.mouseClick(receiver.reply_button, Qt.MouseButton.LeftButton)
        assert peer.recvfrom(100)[0] == b"123456789\xdd"


def test_a_bad_variable_is_shown_at_the_field_and_nothing_is_sent(qtbot: QtBot, window: MainWindow) -> None:
    sender = window.udp.sender_panel
    sender.payload.text.setPlainText("x {nope}")
    with qtbot.waitSignal(sender.status, timeout=WAIT_MS) as said:
        qtbot.mouseClick(sender.send_button, Qt.MouseButton.LeftButton)
    assert "'{nope}' is not a variable" in said.args[0]
    assert sender.payload.error.isVisible() and "{{" in sender.payload.error.text()
    assert sender.runner is None
    sender.variables.setChecked(False)
    sender.port.setValue(9)
    qtbot.mouseClick(sender.send_button, Qt.MouseButton.LeftButton)  # braces are plain text now
    qtbot.waitUntil(lambda: payloads(sender.log, Direction.SENT) == [b"x {nope}"], timeout=WAIT_MS)


def test_bad_group_is_marked_at_its_field(qtbot: QtBot, window: MainWindow) -> None:
    receiver = window.udp.receiver_panel
    receiver.group.setText("10.0.0.1")
    qtbot.mouseClick(receiver.start_button, Qt.MouseButton.LeftButton)
    assert receiver.runner is None
    assert "not a multicast group address" in receiver.form_error.text()
    assert receiver.group.styleSheet()


def test_the_oversize_datagram_error_reaches_the_log_and_the_status_bar(
    qtbot: QtBot, window: MainWindow
) -> None:
    sender = window.udp.sender_panel
    sender.port.setValue(9)
    sender.variables.setChecked(False)
    sender.payload.text.setPlainText("y" * 70_000)
    with qtbot.waitSignal(sender.status, timeout=WAIT_MS, check_params_cb=lambda t: "65,507" in t):
        qtbot.mouseClick(sender.send_button, Qt.MouseButton.LeftButton)


def test_generator_with_sequence_numbers_shows_no_loss(qtbot: QtBot, window: MainWindow) -> None:
    receiver, sender = window.udp.receiver_panel, window.udp.sender_panel
    port = start_receiver(qtbot, receiver)
    sender.port.setValue(port)
    sender.rate.setValue(2000)
    sender.duration.setValue(0)
    sender.gen_count.setValue(200)
    qtbot.mouseClick(sender.generate_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(payloads(receiver.log, Direction.RECEIVED)) == 200, timeout=WAIT_MS)
    qtbot.waitUntil(
        lambda: "200 received, 0 lost, 0 duplicated, 0 out of order" in receiver.stats.text(), timeout=WAIT_MS
    )
    qtbot.waitUntil(lambda: "200 sent, finished" in sender.achieved.text(), timeout=WAIT_MS)


def test_stop_sending_stops_the_generator_at_once(qtbot: QtBot, window: MainWindow) -> None:
    receiver, sender = window.udp.receiver_panel, window.udp.sender_panel
    port = start_receiver(qtbot, receiver)
    sender.port.setValue(port)
    sender.rate.setValue(1_000_000)
    sender.duration.setValue(0)
    sender.gen_count.setValue(0)
    qtbot.mouseClick(sender.generate_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: sender.runner is not None and sender.runner.engine.generated > 500, timeout=WAIT_MS
    )
    qtbot.mouseClick(sender.stop_sending_button, Qt.MouseButton.LeftButton)
    assert sender.runner is not None
    engine = sender.runner.engine
    qtbot.waitUntil(lambda: not engine.generator_running, timeout=WAIT_MS)


def test_lab_state_round_trips_through_the_form(qtbot: QtBot, window: MainWindow) -> None:
    state = UdpTabState(
        receiver=UdpReceiverConfig(
            host="0.0.0.0", port=5555, group="239.1.1.1", quit_words=("bye",), rcvbuf=8192
        ),
        sender=UdpSenderConfig(host="::1", port=6000, source_port=7000, broadcast=True, multicast_ttl=4),
        send_box=SendBox(periodic=PeriodicSend(250, 7), variables=False),
        traffic=TrafficConfig(rate=12.5, size=200, duration_s=3, count=10, sequence=False),
    )
    window.udp.load_lab_state(state)
    assert window.udp.lab_state() == state


@pytest.mark.parametrize("mode", [ReceiverMode.RULES])
def test_rules_mode_shows_the_rules_and_answers(qtbot: QtBot, window: MainWindow, mode: ReceiverMode) -> None:
    receiver = window.udp.receiver_panel
    port = start_receiver(qtbot, receiver, mode)
    assert receiver.rules.isVisible() and receiver.rules.table.rowCount() == 2
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as peer:
        peer.settimeout(WAIT_MS / 1000)
        peer.sendto(b"ping", ("127.0.0.1", port))
        assert peer.recvfrom(100)[0] == b"pong 1\r\n"


def test_the_code_view_follows_the_udp_form(qtbot: QtBot, window: MainWindow) -> None:
    from netlab.udp.code import generator_program, program

    page, receiver, sender = window.udp_page, window.udp.receiver_panel, window.udp.sender_panel
    qtbot.mouseClick(page.toggle, Qt.MouseButton.LeftButton)
    code = page.code
    assert code.source() == program(receiver.config())
    receiver.mode.setCurrentIndex(receiver.mode.findData(ReceiverMode.ECHO.value))
    qtbot.waitUntil(lambda: "sock.sendto(data, peer)" in code.source(), timeout=WAIT_MS)
    receiver.group.setText("239.9.9.9")
    qtbot.waitUntil(lambda: "IP_ADD_MEMBERSHIP" in code.source(), timeout=WAIT_MS)
    code.choice.setCurrentIndex(code.choice.findText("Sender"))
    sender.broadcast.setChecked(True)
    qtbot.waitUntil(lambda: "SO_BROADCAST" in code.source(), timeout=WAIT_MS)
    assert code.source() == program(sender.config(), sender.send_box(), False)
    code.choice.setCurrentIndex(code.choice.findText("Traffic generator"))
    assert code.source() == generator_program(sender.config(), sender.traffic())
    assert 'HEADER = struct.Struct("!4sIIQ")' in code.source()


def test_join_and_leave_buttons_while_running(qtbot: QtBot, window: MainWindow) -> None:
    receiver = window.udp.receiver_panel
    receiver.host.setCurrentText("0.0.0.0")
    start_receiver(qtbot, receiver)
    assert receiver.group.isEnabled() and receiver.join_button.isEnabled()
    receiver.group.setText("10.1.1.1")
    qtbot.mouseClick(receiver.join_button, Qt.MouseButton.LeftButton)
    assert "not a multicast group address" in receiver.form_error.text()
    receiver.group.setText("239.255.1.2")
    receiver.interface.setCurrentText("127.0.0.1")
    qtbot.mouseClick(receiver.join_button, Qt.MouseButton.LeftButton)
    assert receiver.runner is not None
    engine = receiver.runner.engine
    qtbot.waitUntil(lambda: "239.255.1.2" in engine.groups, timeout=WAIT_MS)
    qtbot.mouseClick(receiver.leave_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not engine.groups, timeout=WAIT_MS)


LINE_BREAKS = re.compile("\r\n?|[\u2028\u2029\x0b\x0c\x1c-\x1e\x85]")


def shown_checksum(checksum: Checksum | None) -> Checksum | None:
    """A checksum neither appended nor checked is no checksum to the form."""
    return checksum if checksum is not None and (checksum.append or checksum.verify) else None


def shown_by_the_udp_forms(state: UdpTabState) -> UdpTabState | None:
    """What the UDP forms can hold: typed fields are read trimmed; quit words are split at commas; the
    sender's family follows its target; one encoding box serves the sender's payload and its replies;
    a file goes with "Send file…"; spin boxes keep 3 decimals of rate and 2 of duration."""
    receiver, sender, traffic = state.receiver, state.sender, state.traffic
    if any("," in word for word in receiver.quit_words) or traffic.count > 2**31 - 1:
        return None
    payload = state.send_box.payload
    if payload.kind is PayloadKind.FILE:
        payload = replace(payload, kind=PayloadKind.TEXT, text="")
    payload = replace(payload, text=LINE_BREAKS.sub("\n", payload.text))
    try:
        return replace(
            state,
            receiver=replace(
                receiver,
                host=receiver.host.strip(),
                group=receiver.group.strip(),
                interface=receiver.interface.strip(),
                quit_words=tuple(w.strip() for w in receiver.quit_words if w.strip()),
            ),
            sender=replace(
                sender,
                host=sender.host.strip(),
                family=Family.AUTO,
                bind_host=sender.bind_host.strip(),
                multicast_interface=sender.multicast_interface.strip(),
                encoding=payload.encoding,
            ),
            send_box=replace(
                state.send_box, payload=payload, checksum=shown_checksum(state.send_box.checksum)
            ),
            receiver_checksum=shown_checksum(state.receiver_checksum),
            traffic=replace(
                traffic, rate=max(0.001, round(traffic.rate, 3)), duration_s=round(traffic.duration_s, 2)
            ),
        )
    except ConfigError:
        return None  # only blanks where an address must be: not something the form can hold


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(state=configs(UdpTabState).map(shown_by_the_udp_forms).filter(lambda state: state is not None))
def test_the_udp_tab_gives_back_what_it_was_given(qtbot: QtBot, state: UdpTabState) -> None:
    tab = UdpTab()
    qtbot.addWidget(tab)
    tab.load_lab_state(state)
    assert tab.lab_state() == state


def test_each_peer_is_one_conversation_in_the_filter_and_follow_stream(
    qtbot: QtBot, window: MainWindow
) -> None:
    receiver = window.udp.receiver_panel
    port = start_receiver(qtbot, receiver, ReceiverMode.ECHO)
    with (
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as one,
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as two,
    ):
        one.sendto(b"from one", ("127.0.0.1", port))
        two.sendto(b"from two", ("127.0.0.1", port))
        one.sendto(b"one again", ("127.0.0.1", port))
        first = f"127.0.0.1:{one.getsockname()[1]}"
        qtbot.waitUntil(lambda: len(payloads(receiver.log, Direction.SENT)) == 3, timeout=WAIT_MS)
    pane = receiver.log
    assert pane.peer.findData(first) >= 0 and pane.peer.count() == 3  # all peers, and each of the two
    pane.peer.setCurrentIndex(pane.peer.findData(first))
    qtbot.waitUntil(
        lambda: payloads(pane, Direction.RECEIVED) == [b"from one", b"one again"], timeout=WAIT_MS
    )
    assert [e.data for e in pane.store.conversation(f"udp {first}").messages] == [
        b"from one",
        b"from one",
        b"one again",
        b"one again",
    ]


def test_the_udp_logs_are_bounded_and_count_what_they_drop(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    import ui.tabs.udp

    monkeypatch.setattr(ui.tabs.udp, "UDP_LOG_ROWS", 20)
    tab = UdpTab()
    qtbot.addWidget(tab)
    receiver = tab.receiver_panel
    port = start_receiver(qtbot, receiver)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as peer:
        for i in range(50):
            peer.sendto(b"%d" % i, ("127.0.0.1", port))
        qtbot.waitUntil(lambda: payloads(receiver.log, Direction.RECEIVED)[-1:] == [b"49"], timeout=WAIT_MS)
    assert len(receiver.log.store) == 20
    assert receiver.log.store.dropped >= 30
    receiver.stop()
    qtbot.waitUntil(lambda: receiver.runner is None, timeout=WAIT_MS)
