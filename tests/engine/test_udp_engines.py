"""UDP receiver and sender engines on real loopback sockets (127.0.0.1, ::1, and loopback multicast)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from netlab.core.autoreply import MatchKind, Rule
from netlab.core.codec import Payload
from netlab.core.config import Family
from netlab.core.events import Data, Direction, Error, Info, Listening, SocketCall
from netlab.core.sendbox import PeriodicSend, SendBox
from netlab.udp.config import ReceiverMode, TrafficConfig, UdpReceiverConfig, UdpSenderConfig
from netlab.udp.receiver import UdpReceiver
from netlab.udp.sender import UdpSender
from netlab.udp.seqheader import stamp
from tests.engine.conftest import WAIT, Recorder, eventually, running


@contextmanager
def receiver(**kw: object) -> Iterator[tuple[UdpReceiver, Recorder, int]]:
    events = Recorder()
    engine = UdpReceiver(UdpReceiverConfig(**{"port": 0, **kw}), events)  # type: ignore[arg-type]
    with running(engine):
        listening = events.wait_for(lambda e: isinstance(e, Listening))
        assert isinstance(listening, Listening)
        yield engine, events, listening.port


@contextmanager
def sender(port: int, **kw: object) -> Iterator[tuple[UdpSender, Recorder]]:
    events = Recorder()
    engine = UdpSender(UdpSenderConfig(**{"port": port, **kw}), events)  # type: ignore[arg-type]
    with running(engine):
        events.wait_for(lambda e: isinstance(e, (Listening, Error)))
        yield engine, events


@contextmanager
def peer(family: int = socket.AF_INET, host: str = "127.0.0.1") -> Iterator[socket.socket]:
    sock = socket.socket(family, socket.SOCK_DGRAM)
    sock.bind((host, 0))
    sock.settimeout(WAIT)
    try:
        yield sock
    finally:
        sock.close()


def received(events: Recorder) -> list[Data]:
    return [e for e in events.of(Data) if e.direction is Direction.RECEIVED]


def test_every_datagram_is_one_row_with_its_source_grouped_by_peer() -> None:
    with receiver() as (engine, events, port), peer() as one, peer() as two:
        one.sendto(b"hello", ("127.0.0.1", port))
        two.sendto(b"world", ("127.0.0.1", port))
        one.sendto(b"again", ("127.0.0.1", port))
        eventually(lambda: len(received(events)) == 3)
        rows = received(events)
        assert [r.data for r in rows] == [b"hello", b"world", b"again"]
        assert rows[0].peer == f"127.0.0.1:{one.getsockname()[1]}"
        assert rows[0].conn == rows[2].conn != rows[1].conn  # one conversation per peer address
        counters = engine.counters()
        assert (counters.messages_in, counters.bytes_in, counters.messages_out) == (3, 15, 0)


@pytest.mark.parametrize(
    ("mode", "sent", "reply"),
    [(ReceiverMode.ECHO, b"hi there", b"hi there"), (ReceiverMode.UPPER, b"hi there", b"HI THERE")],
)
def test_echo_modes_reply_to_the_sender(mode: ReceiverMode, sent: bytes, reply: bytes) -> None:
    with receiver(mode=mode) as (engine, _events, port), peer() as client:
        client.sendto(sent, ("127.0.0.1", port))
        data, source = client.recvfrom(100)
        assert data == reply and source[1] == port
        eventually(lambda: engine.counters().messages_out == 1)


def test_auto_reply_rules_and_quit_words() -> None:
    rules = (Rule(MatchKind.CONTAINS, "ping", r"pong {counter} to {peer}\n"),)
    with (
        receiver(mode=ReceiverMode.RULES, rules=rules, quit_words=("bye",)) as (_e, events, port),
        peer() as c,
    ):
        c.sendto(b"a ping", ("127.0.0.1", port))
        assert c.recvfrom(100)[0] == f"pong 1 to 127.0.0.1:{c.getsockname()[1]}\n".encode()
        c.sendto(b"no match", ("127.0.0.1", port))
        c.sendto(b"bye", ("127.0.0.1", port))
        events.wait_for(lambda e: isinstance(e, Info) and "quit word" in e.text)
        c.sendto(b"ping", ("127.0.0.1", port))
        eventually(lambda: len(received(events)) == 4)
        c.settimeout(0.2)
        with pytest.raises(TimeoutError):
            c.recvfrom(100)  # no reply after the quit word


def test_reply_to_a_selected_datagrams_sender() -> None:
    with receiver() as (engine, events, port), peer() as client:
        client.sendto(b"anyone?", ("127.0.0.1", port))
        row = events.wait_for(lambda e: isinstance(e, Data))
        engine.reply(row.conn, b"yes, me")
        assert client.recvfrom(100)[0] == b"yes, me"
        engine.reply(99, b"nobody")
        events.wait_for(lambda e: isinstance(e, Error) and "not known" in e.message)


def test_periodic_send_counts_and_variables_from_a_chosen_source_port() -> None:
    with peer() as fixed:
        source_port = fixed.getsockname()[1]
    with (
        receiver(mode=ReceiverMode.ECHO) as (_r, rx, port),
        sender(port, source_port=source_port) as (tx, txe),
    ):
        tx.send(SendBox(payload=Payload("text", "n={counter}"), periodic=PeriodicSend(5, 4)), repeat=True)
        eventually(lambda: len(received(rx)) == 4)
        assert [r.data for r in received(rx)] == [b"n=1", b"n=2", b"n=3", b"n=4"]
        assert {r.peer for r in received(rx)} == {f"127.0.0.1:{source_port}"}
        eventually(lambda: len(received(txe)) == 4)  # the echoes came back to the source port
        txe.wait_for(lambda e: isinstance(e, Info) and "finished: 4 datagrams" in e.text)
        assert tx.counters().messages_out == 4


def test_a_file_is_sent_as_one_datagram_and_a_missing_one_is_named(tmp_path: Path) -> None:
    path = tmp_path / "note.bin"
    path.write_bytes(b"\x00file body\xff")
    with receiver() as (_r, rx, port), sender(port) as (tx, txe):
        tx.send(SendBox(payload=Payload("file", str(path))))
        eventually(lambda: [r.data for r in received(rx)] == [b"\x00file body\xff"])
        tx.send(SendBox(payload=Payload("file", str(tmp_path / "gone.txt"))))
        error = txe.wait_for(lambda e: isinstance(e, Error))
        assert "gone.txt" in error.message


def test_periodic_send_until_stopped() -> None:
    with receiver() as (_r, rx, port), sender(port) as (tx, txe):
        tx.send(SendBox(payload=Payload("hex", "01 02"), periodic=PeriodicSend(2, 0)), repeat=True)
        eventually(lambda: len(received(rx)) >= 3)
        tx.stop_sending()
        txe.wait_for(lambda e: isinstance(e, Info) and "stopped by you" in e.text)
        count = tx.counters().messages_out
        time.sleep(0.05)  # a stopped sender must stay quiet; nothing to wait for but time
        assert tx.counters().messages_out == count


def test_ipv6_on_loopback() -> None:
    with receiver(host="::1", family=Family.IPV6, mode=ReceiverMode.ECHO) as (_r, _rx, port):  # noqa: SIM117
        with sender(port, host="::1") as (tx, txe):
            tx.send(SendBox(payload=Payload("text", "six")))
            reply = txe.wait_for(lambda e: isinstance(e, Data) and e.direction is Direction.RECEIVED)
            assert isinstance(reply, Data) and reply.data == b"six"
            assert reply.peer == f"[::1]:{port}"


def test_multicast_on_the_loopback_interface() -> None:
    group = "239.255.77.77"
    with receiver(host="0.0.0.0", group=group, interface="127.0.0.1") as (_r, rx, port):
        rx.wait_for(lambda e: isinstance(e, Info) and "joined multicast group" in e.text)
        with sender(port, host=group, multicast_interface="127.0.0.1", multicast_loop=True) as (tx, _t):
            tx.send(SendBox(payload=Payload("text", "to the group")))
            eventually(lambda: [r.data for r in received(rx)] == [b"to the group"])


def refused_at_start(**kw: object) -> Error:
    events = Recorder()
    with running(UdpReceiver(UdpReceiverConfig(**{"port": 0, **kw}), events)):  # type: ignore[arg-type]
        error = events.wait_for(lambda e: isinstance(e, Error))
    assert not events.of(Listening)
    assert isinstance(error, Error)
    return error


def test_a_group_on_an_interface_that_is_not_here_is_refused_plainly() -> None:
    error = refused_at_start(host="0.0.0.0", group="239.255.77.78", interface="10.255.255.254")
    assert "no interface '10.255.255.254'" in error.message and error.hint


def test_a_group_of_the_other_family_is_refused_plainly() -> None:
    error = refused_at_start(host="0.0.0.0", group="ff02::1:3")
    assert "not of the socket's address family" in error.message


def test_ipv6_multicast_on_loopback_says_the_interface_has_no_multicast_route() -> None:
    with receiver(host="::1", family=Family.IPV6) as (_r, _rx, port):  # noqa: SIM117
        with sender(port, host="ff02::1:3", multicast_interface="lo") as (tx, txe):
            tx.send(SendBox(payload=Payload("text", "anyone?")))
            error = txe.wait_for(lambda e: isinstance(e, (Error, Data)))
            if isinstance(error, Data):
                pytest.skip("this machine routes IPv6 multicast over loopback")
            assert "no multicast route" in error.message


def test_the_oversize_datagram_is_refused_in_plain_words() -> None:
    with receiver() as (_r, rx, port), sender(port) as (tx, txe):
        tx.send(SendBox(payload=Payload("text", "x" * 65_508)))
        error = txe.wait_for(lambda e: isinstance(e, Error))
        assert "65,508 bytes is over the limit of 65,507" in error.message and error.hint
        tx.send(SendBox(payload=Payload("text", "x" * 65_507)))
        eventually(lambda: len(received(rx)) == 1)  # the largest legal datagram still goes


def test_port_unreachable_comes_back_on_the_next_call() -> None:
    with peer() as closed:
        port = closed.getsockname()[1]
    with sender(port) as (tx, txe):
        tx.send(SendBox(payload=Payload("text", "hello?"), periodic=PeriodicSend(20, 3)), repeat=True)
        error = txe.wait_for(lambda e: isinstance(e, Error))
        assert "port unreachable" in error.message and "next call" in error.hint


def test_broadcast_without_the_option_is_refused_with_a_hint() -> None:
    # connect() to the limited broadcast address fails locally (EACCES): no packet leaves.
    with sender(9, host="255.255.255.255", broadcast=False) as (_tx, txe):
        error = txe.wait_for(lambda e: isinstance(e, Error))
        assert "permission to broadcast" in error.message and "SO_BROADCAST" in error.hint


@pytest.fixture
def quick_reports(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("netlab.udp.datagram.REPORT_INTERVAL", 0.02)


@pytest.mark.usefixtures("quick_reports")
def test_generator_stamps_and_the_receiver_counts_no_loss() -> None:
    with receiver() as (engine, rx, port), sender(port) as (tx, txe):
        tx.generate(TrafficConfig(rate=5000, count=300, duration_s=0, size=64))
        txe.wait_for(lambda e: isinstance(e, Info) and "generator finished" in e.text)
        eventually(lambda: engine.counters().messages_in == 300)
        eventually(lambda: any(r.unique == 300 for r in engine.loss_reports().values()))
        (report,) = engine.loss_reports().values()
        assert (report.lost, report.duplicated, report.reordered) == (0, 0, 0)
        assert {len(r.data) for r in received(rx)} == {64}
        rx.wait_for(lambda e: isinstance(e, Info) and "300 received, 0 lost" in e.text)


def test_loss_duplicates_and_reordering_from_a_misbehaving_sender() -> None:
    with receiver() as (engine, _rx, port), peer() as bad:
        now = time.time_ns()
        for seq in (0, 2, 1, 3, 3, 5, 6):  # 4 is lost, 1 comes late, 3 twice
            bad.sendto(stamp(7, seq, now, b"pad"), ("127.0.0.1", port))
        eventually(lambda: engine.counters().messages_in == 7)
        (report,) = engine.loss_reports().values()
        assert (report.unique, report.lost, report.duplicated, report.reordered) == (6, 1, 1, 1)
        assert report.delay_ms >= 0


def test_generator_stops_at_once_at_any_rate() -> None:
    with receiver() as (_r, _rx, port), sender(port) as (tx, txe):
        tx.generate(TrafficConfig(rate=10_000_000, duration_s=0, count=0, size=32))
        eventually(lambda: tx.generated > 1000)
        tx.stop_sending()
        txe.wait_for(lambda e: isinstance(e, Info) and "generator finished (stopped by you)" in e.text)
        assert not tx.generator_running
        count = tx.generated
        time.sleep(0.05)  # nothing to wait for but time: a stopped generator sends nothing more
        assert tx.generated == count


@pytest.mark.usefixtures("quick_reports")
def test_kernel_drops_are_counted_when_the_receive_buffer_fills() -> None:
    sent = 500
    with receiver(rcvbuf=4096) as (engine, rx, port), peer() as flood:
        if not engine.kernel_drops_reported:
            pytest.skip("this system does not report drops per socket (/proc/net/udp)")
        gate = threading.Event()
        engine.loop.call_soon_threadsafe(gate.wait, WAIT)  # hold the receiver's loop while we flood
        for _ in range(sent):
            flood.sendto(b"x" * 1000, ("127.0.0.1", port))
        gate.set()
        eventually(lambda: engine.counters().messages_in + engine.kernel_dropped == sent)
        assert engine.kernel_dropped > 0
        rx.wait_for(lambda e: isinstance(e, Info) and "the kernel dropped" in e.text)


def test_join_and_leave_a_group_while_running() -> None:
    group = "239.255.77.79"
    with receiver(host="0.0.0.0", trace=True) as (engine, rx, port), peer() as plain:
        engine.join(group, "127.0.0.1")
        rx.wait_for(lambda e: isinstance(e, Info) and f"joined multicast group {group}" in e.text)
        with sender(port, host=group, multicast_interface="127.0.0.1") as (tx, _t):
            tx.send(SendBox(payload=Payload("text", "while a member")))
            eventually(lambda: [r.data for r in received(rx)] == [b"while a member"])
            engine.leave(group)
            rx.wait_for(lambda e: isinstance(e, Info) and f"left multicast group {group}" in e.text)
            assert any(isinstance(e, SocketCall) and "IP_DROP_MEMBERSHIP" in e.call for e in rx.events)
            tx.send(SendBox(payload=Payload("text", "after leaving")))
            plain.sendto(b"marker", ("127.0.0.1", port))  # same loopback queue: it comes after the group's
            eventually(lambda: b"marker" in [r.data for r in received(rx)])
            assert b"after leaving" not in [r.data for r in received(rx)]
        engine.leave(group)
        rx.wait_for(lambda e: isinstance(e, Error) and "not in the group" in e.message)


def test_dual_stack_receives_ipv4_and_ipv6() -> None:
    dual = receiver(host="::", family=Family.DUAL)
    with dual as (_r, rx, port), peer() as four, peer(socket.AF_INET6, "::1") as six:
        four.sendto(b"v4", ("127.0.0.1", port))
        six.sendto(b"v6", ("::1", port))
        eventually(lambda: sorted(r.data for r in received(rx)) == [b"v4", b"v6"])
    peers = {r.data: r.peer for r in received(rx)}
    assert peers[b"v4"].startswith("[::ffff:127.0.0.1]:") and peers[b"v6"].startswith("[::1]:")
