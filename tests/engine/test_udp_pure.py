"""UDP pure parts: the sequence header, loss statistics, kernel-drop parsing, configs and failure words."""

from __future__ import annotations

import errno

import pytest

from netlab.core.config import ConfigError
from netlab.udp.config import (
    RateUnit,
    ReceiverMode,
    TrafficConfig,
    UdpReceiverConfig,
    UdpSenderConfig,
)
from netlab.udp.drops import drops_in_table
from netlab.udp.failures import explain_udp, oversize
from netlab.udp.seqheader import HEADER_SIZE, WINDOW, SequenceStats, read_stamp, stamp


def test_header_is_20_documented_bytes() -> None:
    data = stamp(0x01020304, 7, 1_000_000_123, b"xy")
    assert HEADER_SIZE == 20
    assert data == b"NLSQ" + bytes.fromhex("01020304 00000007") + (1_000_000_123).to_bytes(8, "big") + b"xy"
    found = read_stamp(data)
    assert found is not None and (found.run, found.seq, found.sent_ns) == (0x01020304, 7, 1_000_000_123)


@pytest.mark.parametrize("data", [b"", b"NLSQ", b"NLSX" + bytes(16), b"hello world, not stamped"])
def test_other_datagrams_have_no_stamp(data: bytes) -> None:
    assert read_stamp(data) is None


def feed(order: list[int], delays_ms: list[float] | None = None) -> SequenceStats:
    stats = SequenceStats()
    for i, seq in enumerate(order):
        delay = int((delays_ms[i] if delays_ms else 1.0) * 1e6)
        stats.add(seq, 1_000_000_000 + seq * 1_000_000, 1_000_000_000 + seq * 1_000_000 + delay)
    return stats


@pytest.mark.parametrize(
    ("order", "lost", "duplicated", "reordered"),
    [
        ([0, 1, 2, 3], 0, 0, 0),
        ([0, 1, 3, 4], 1, 0, 0),  # 2 never came
        ([0, 2, 1, 3], 0, 0, 1),  # 1 came late: reordered, not lost
        ([0, 1, 1, 2], 0, 1, 0),
        ([0, 3, 1, 1, 5], 2, 1, 1),
        ([5], 5, 0, 0),
    ],
)
def test_loss_duplicates_and_reordering(order: list[int], lost: int, duplicated: int, reordered: int) -> None:
    report = feed(order).report()
    assert (report.lost, report.duplicated, report.reordered) == (lost, duplicated, reordered)
    assert report.received == len(order)


def test_delay_and_jitter() -> None:
    steady = feed([0, 1, 2, 3], [2.0, 2.0, 2.0, 2.0]).report()
    assert steady.delay_ms == pytest.approx(2.0)
    assert steady.jitter_ms == 0
    shaky = feed([0, 1, 2], [1.0, 3.0, 1.0]).report()
    # RFC 3550: J = 0 + (2 - 0)/16 = 0.125, then + (2 - 0.125)/16
    assert shaky.jitter_ms == pytest.approx(0.125 + (2 - 0.125) / 16)
    assert (shaky.min_delay_ms, shaky.max_delay_ms, shaky.delay_ms) == pytest.approx((1.0, 3.0, 1.0))
    assert "1 out of order" not in shaky.line() and "jitter 0.242 ms" in shaky.line()


def test_memory_stays_bounded_and_very_late_ones_are_counted_apart() -> None:
    stats = SequenceStats()
    for seq in range(3 * WINDOW):
        stats.add(seq, 0, 1)
    assert len(stats._seen) <= 2 * WINDOW + 1
    stats.add(5, 0, 1)
    report = stats.report()
    assert report.too_late == 1 and report.duplicated == 0


TABLE = (
    "   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode"
    " ref pointer drops\n"
    "  123: 0100007F:A1B2 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 4242"
    " 2 0000000000000000 17\n"
    "  124: 0100007F:A1B3 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 4243"
    " 2 0000000000000000 0\n"
)


def test_drops_column_is_read_for_the_right_socket() -> None:
    assert drops_in_table(TABLE, 4242) == 17
    assert drops_in_table(TABLE, 4243) == 0
    assert drops_in_table(TABLE, 99) is None


def test_receiver_config_checks() -> None:
    with pytest.raises(ConfigError) as caught:
        UdpReceiverConfig(group="10.0.0.1")
    assert caught.value.problems[0].field == "group"
    assert "not a multicast group" in caught.value.problems[0].message
    with pytest.raises(ConfigError, match="not an IP address"):
        UdpReceiverConfig(group="banana")
    with pytest.raises(ConfigError, match="no rules"):
        UdpReceiverConfig(mode=ReceiverMode.RULES)
    with pytest.raises(ConfigError, match="Unknown encoding"):
        UdpReceiverConfig(encoding="klingon")
    assert UdpReceiverConfig(group="ff02::1:3", family=UdpReceiverConfig.family).group == "ff02::1:3"


def test_sender_config_checks() -> None:
    with pytest.raises(ConfigError, match="Port 0"):
        UdpSenderConfig(port=0)
    with pytest.raises(ConfigError, match="TTL 256"):
        UdpSenderConfig(multicast_ttl=256)


def test_traffic_config() -> None:
    assert TrafficConfig(rate=8, unit=RateUnit.MBITS, size=100).datagrams_per_s == 10_000
    with pytest.raises(ConfigError, match="Size 10"):
        TrafficConfig(size=10)  # too small for the 20-byte header
    assert TrafficConfig(size=10, sequence=False).size == 10


def test_failure_words() -> None:
    assert "65,507" in oversize(70_000, ipv6=False).message
    assert "65,527" in oversize(70_000, ipv6=True).message
    refused = explain_udp(
        ConnectionRefusedError(errno.ECONNREFUSED, "refused"), action="recvfrom", host="h", port=9
    )
    assert "port unreachable" in refused.message
    broadcast = explain_udp(
        PermissionError(errno.EACCES, "denied"), action="sendto", host="255.255.255.255", port=9
    )
    assert "SO_BROADCAST" in broadcast.hint
    assert (
        "not a multicast group"
        in explain_udp(OSError(errno.EINVAL, "x"), action="join", group="1.2.3.4").message
    )
    no_route = explain_udp(
        OSError(errno.ENETUNREACH, "x"), action="sendto", host="ff02::1", port=9, group="ff02::1"
    )
    assert "multicast" in no_route.message
    assert "EMSGSIZE" in explain_udp(OSError(errno.EMSGSIZE, "x"), action="sendto").message


def test_multicast_send_without_a_source_address_is_explained() -> None:
    problem = explain_udp(
        OSError(errno.EADDRNOTAVAIL, "x"), action="sendto", host="ff02::1", port=9, group="ff02::1"
    )
    assert "no address to send to ff02::1 from" in problem.message and "link-local" in problem.hint
