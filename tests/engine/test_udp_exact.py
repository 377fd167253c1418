# ruff: noqa: E501  (whole messages, as a user reads them, on one line each)
"""Exact words and numbers of the UDP pure parts: failure texts, variables, loss statistics, kernel drops.

The teaching voice is part of the behaviour, so these pin whole messages rather than fragments.
"""

from __future__ import annotations

import errno
import socket
import sys
import time

import pytest

from netlab.core.codec import CodecError, LineEnding, Payload, PayloadKind
from netlab.core.variables import Expander, Literal, VariableError, fill, parse, payload_bytes, template_of
from netlab.udp.drops import KernelDrops
from netlab.udp.failures import explain_udp, max_payload, oversize
from netlab.udp.seqheader import HEADER_SIZE, WINDOW, SequenceStats, read_stamp, stamp

FAILURES = [
    (
        ConnectionRefusedError(errno.ECONNREFUSED, "x"),
        {"action": "recvfrom", "host": "10.0.0.9", "port": 9},
        "10.0.0.9:9 answered an earlier datagram with ICMP 'port unreachable': nothing receives UDP there",
        "start a receiver on that port, or check the host and port; UDP only learns of this from an ICMP message, reported on the next call",
    ),
    (
        OSError(errno.ECONNREFUSED, "x"),
        {"action": "sendto"},
        "The peer answered an earlier datagram with ICMP 'port unreachable': nothing receives UDP there",
        "start a receiver on that port, or check the host and port; UDP only learns of this from an ICMP message, reported on the next call",
    ),
    (
        OSError(errno.EMSGSIZE, "x"),
        {"action": "sendto", "host": "h", "port": 1},
        "The datagram is too large to send (EMSGSIZE)",
        "one datagram carries at most 65,507 bytes on IPv4 (less over a smaller MTU with don't-fragment set); send less",
    ),
    (
        PermissionError(errno.EACCES, "x"),
        {"action": "sendto", "host": "10.0.0.255", "port": 9},
        "Sending to 10.0.0.255 needs permission to broadcast",
        "tick Broadcast (it sets SO_BROADCAST) to send to a broadcast address",
    ),
    (
        OSError(errno.EINVAL, "x"),
        {"action": "join", "host": "lo", "group": "10.1.1.1"},
        "10.1.1.1 is not a multicast group address",
        "groups are 224.0.0.0 to 239.255.255.255 (IPv4) or start with ff (IPv6)",
    ),
    (
        OSError(errno.ENODEV, "x"),
        {"action": "join", "host": "eth9", "group": "239.1.1.1"},
        "There is no interface 'eth9' to join 239.1.1.1 on",
        "pick an interface from the list, or leave it empty for the default one",
    ),
    (
        OSError(errno.EADDRNOTAVAIL, "x"),
        {"action": "join", "host": "10.9.9.9", "group": "239.1.1.1"},
        "There is no interface '10.9.9.9' to join 239.1.1.1 on",
        "pick an interface from the list, or leave it empty for the default one",
    ),
    (
        OSError(errno.ENOBUFS, "x"),
        {"action": "join", "host": "default", "group": "239.1.1.1"},
        "This socket has joined too many groups to join 239.1.1.1",
        "leave a group first (Linux allows 20 per socket by default)",
    ),
    (
        OSError(errno.EADDRNOTAVAIL, "x"),
        {"action": "sendto", "host": "ff02::1", "port": 9, "group": "ff02::1"},
        "The interface has no address to send to ff02::1 from",
        "IPv6 needs a link-local address on the interface, ready a second or two after it comes up; wait and send again, or choose another interface",
    ),
    (
        OSError(errno.ENETUNREACH, "x"),
        {"action": "sendto", "host": "ff02::1", "port": 9, "group": "ff02::1"},
        "The interface cannot carry multicast to ff02::1: it has no multicast route",
        "choose an interface with multicast; on Linux, loopback has none for IPv6 groups",
    ),
    (
        OSError(errno.ENODEV, "x"),
        {"action": "sendto", "host": "ff02::1", "port": 9, "group": "ff02::1"},
        "The interface cannot carry multicast to ff02::1: it has no multicast route",
        "choose an interface with multicast; on Linux, loopback has none for IPv6 groups",
    ),
    (
        OSError(errno.ENOBUFS, "x"),
        {"action": "sendto", "host": "h", "port": 9},
        "The kernel's send queue is full, so the datagram was not sent",
        "send at a lower rate, or raise the send buffer",
    ),
    (
        BlockingIOError(errno.EAGAIN, "x"),
        {"action": "sendto", "host": "h", "port": 9},
        "The kernel's send queue is full, so the datagram was not sent",
        "send at a lower rate, or raise the send buffer",
    ),
    (
        OSError(errno.EACCES, "x"),
        {"action": "bind", "host": "127.0.0.1", "port": 80},
        "Permission denied: port 80 is below 1024, which needs administrator rights",
        "use a port of 1024 or above, or 0 for any free port",
    ),
    (
        OSError(errno.EINVAL, "x"),
        {"action": "setsockopt", "host": "h", "port": 1},
        "setsockopt failed for h:1: x",
        "",
    ),
    (
        OSError(errno.EADDRNOTAVAIL, "x"),
        {"action": "bind", "host": "10.9.9.9", "port": 1},
        "The address 10.9.9.9 does not belong to this machine",
        "use 127.0.0.1, 0.0.0.0, :: or one of this machine's own addresses",
    ),
    (
        OSError(errno.ENETUNREACH, "x"),
        {"action": "sendto", "host": "10.9.9.9", "port": 1},
        "The network of 10.9.9.9 is unreachable",
        "check the address and this machine's network connection",
    ),
]


@pytest.mark.parametrize(("exc", "where", "message", "hint"), FAILURES)
def test_every_failure_reads_exactly(exc: OSError, where: dict[str, object], message: str, hint: str) -> None:
    problem = explain_udp(exc, **where)  # type: ignore[arg-type]
    assert (problem.message, problem.hint) == (message, hint)


def test_oversize_words_and_limits() -> None:
    assert max_payload(False) == 65_507 and max_payload(True) == 65_527
    four, six = oversize(70_000, ipv6=False), oversize(65_528, ipv6=True)
    assert (
        four.message
        == "A datagram of 70,000 bytes is over the limit of 65,507 bytes on IPv4, so it was not sent"
    )
    assert (
        six.message
        == "A datagram of 65,528 bytes is over the limit of 65,527 bytes on IPv6, so it was not sent"
    )
    assert four.hint == six.hint == "send less in one datagram (split it up), or use TCP for larger data"


VARIABLE_ERRORS = [
    (
        "ab {x",
        "The '{' at position 4 is never closed",
        "close the variable with '}', or write {{ for a literal brace",
    ),
    ("{}", "'{}' is not a variable NetLab knows", None),
    (
        "{random:65508}",
        "'{random:65508}' needs a number of digits from 1 to 65,507",
        "write e.g. {random:4} for four random digits",
    ),
    (
        "{counter:21}",
        "'{counter:21}' needs a width from 0 to 20 after the colon",
        "write {counter} or, padded to 5 digits, {counter:5}",
    ),
    (
        "{seq:}",
        "'{seq:}' needs a width from 0 to 20 after the colon",
        "write {seq} or, padded to 5 digits, {seq:5}",
    ),
    ("{hex:}", "'{hex:}' has no hex digits", "write bytes as hex, e.g. {hex:0d0a}"),
    ("{hex:0g}", "'{hex:0g}': 'g' in '0g' is not a hex digit", "write bytes as hex, e.g. {hex:0d0a}"),
    ("{peer:1}", "'{peer:1}' is not a variable NetLab knows", None),
]
HINT = "use {counter}, {seq}, {time}, {date}, {random:N}, {hex:..} or {peer}; write {{ for a literal brace"


@pytest.mark.parametrize(("template", "message", "hint"), VARIABLE_ERRORS)
def test_every_variable_error_reads_exactly(template: str, message: str, hint: str | None) -> None:
    with pytest.raises(VariableError) as caught:
        parse(template)
    assert caught.value.message == message
    assert caught.value.hint == (hint or HINT)


def test_limits_of_random_and_padding_are_inclusive() -> None:
    assert len(fill("{random:65507}", counter=1)) == 65_507
    assert fill("{counter:20}", counter=3) == b"3".zfill(20)
    assert fill("{seq:0}", counter=3) == b"2"


def test_braces_in_literals_are_doubled_in_templates() -> None:
    assert template_of((Literal("a{b}c"),)) == "a{{b}}c"
    assert parse("a{{b}}c") == (Literal("a{b}c"),)


def test_fill_defaults_and_options() -> None:
    moment = time.mktime((2021, 3, 4, 5, 6, 7, 0, 0, -1))
    assert fill("{date} {time}", counter=1, now=moment) == b"2021-03-04 05:06:07"
    assert fill("{peer}|{counter}", counter=9) == b"|9"
    assert fill("{peer}", counter=1, peer="h:1") == b"h:1"
    assert fill(r"a\n", counter=1) == b"a\\n"
    assert fill(r"a\n", counter=1, escapes=True) == b"a\n"
    assert fill("é", counter=1, encoding="latin-1") == b"\xe9"
    assert fill("é", counter=1, encoding="ascii", lenient=True) == b"?"
    with pytest.raises(VariableError):
        fill("{x}", counter=1)


def test_render_defaults_are_strict_and_plain() -> None:
    expander = Expander()
    assert expander.render(parse("{peer}XX{{")) == b"XX{"
    assert expander.render(parse("é")) == "é".encode()
    with pytest.raises(CodecError):
        expander.render(parse("é"), encoding="ascii")
    with pytest.raises(CodecError):
        fill("é", counter=1, encoding="ascii")


def test_an_expander_pins_its_clock_and_counts_every_render() -> None:
    moment = time.mktime((2021, 3, 4, 5, 6, 7, 0, 0, -1))
    expander = Expander(clock=moment)
    pieces = parse("{counter} {seq} {time}")
    assert expander.render(pieces) == b"1 0 05:06:07"
    assert expander.render(pieces, eol=LineEnding.CRLF) == b"2 1 05:06:07\r\n"
    assert expander.sends == 2


def test_payload_bytes_passes_every_payload_setting() -> None:
    expander = Expander()
    payload = Payload(PayloadKind.TEXT, r"é{peer}\t", encoding="latin-1", eol=LineEnding.LF, escapes=True)
    assert payload_bytes(payload, expander, "p:1") == b"\xe9p:1\t\n"
    assert payload_bytes(Payload(PayloadKind.TEXT, "{peer}"), expander) == b""


def test_header_only_datagram_and_default_filler() -> None:
    bare = stamp(1, 2, 3)
    assert len(bare) == HEADER_SIZE == 20
    found = read_stamp(bare)
    assert found is not None and (found.run, found.seq, found.sent_ns) == (1, 2, 3)
    assert read_stamp(bare[:-1]) is None
    assert stamp(2**32 + 5, 2**32 + 6, 0)[4:12] == bytes.fromhex("00000005 00000006")


def test_counts_add_up_every_time() -> None:
    stats = SequenceStats()
    for seq in (5, 5, 5, 1, 2, 3):
        stats.add(seq, 0, 1_000_000)
    report = stats.report()
    assert (report.received, report.unique, report.duplicated, report.reordered, report.lost) == (
        6,
        4,
        2,
        3,
        2,
    )
    assert (report.delay_ms, report.min_delay_ms, report.max_delay_ms) == (1.0, 1.0, 1.0)


def test_minimum_delay_and_exact_jitter() -> None:
    stats = SequenceStats()
    for seq, delay_ms in enumerate((1, 3, 1)):
        stats.add(seq, 0, delay_ms * 1_000_000)
    report = stats.report()
    assert (report.min_delay_ms, report.max_delay_ms) == (1.0, 3.0)
    assert report.jitter_ms == 0.2421875  # RFC 3550: 2/16, then + (2 - 0.125)/16, in ms
    stats.add(3, 0, 2_000_000)
    assert stats.report().min_delay_ms == 1.0  # the smallest so far, not the latest


def test_an_empty_stream_reports_zeros() -> None:
    report = SequenceStats().report()
    assert (report.received, report.lost, report.delay_ms, report.min_delay_ms, report.max_delay_ms) == (
        0,
        0,
        0,
        0,
        0,
    )
    assert report.jitter_ms == 0


def test_clock_skew_shows_as_negative_delay() -> None:
    stats = SequenceStats()
    stats.add(0, 5_000_000, 2_000_000)  # the sender's clock is 3 ms ahead
    stats.add(1, 5_000_000, 1_000_000)
    report = stats.report()
    assert (report.delay_ms, report.min_delay_ms, report.max_delay_ms) == (-4.0, -4.0, -3.0)


def test_late_ones_count_each_time_and_duplicates_stay_detected_near_the_top() -> None:
    stats = SequenceStats()
    for seq in range(2 * WINDOW + 2):
        stats.add(seq, 0, 0)
    stats.add(stats.highest - 10, 0, 0)  # recent: still remembered
    stats.add(0, 0, 0)
    stats.add(1, 0, 0)
    report = stats.report()
    assert (report.duplicated, report.too_late) == (1, 2)
    stats.add(stats.highest - WINDOW, 0, 0)  # exactly WINDOW behind: too late
    assert stats.report().too_late == 3


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc/net/udp is Linux's")
@pytest.mark.parametrize(("family", "host"), [(socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")])
def test_kernel_drops_of_a_fresh_socket_are_zero(family: int, host: str) -> None:
    with socket.socket(family, socket.SOCK_DGRAM) as sock:
        sock.bind((host, 0))
        drops = KernelDrops(sock)
        assert drops.available is True
        assert drops.read() == 0


def test_kernel_drops_of_an_unknown_socket_are_not_reported(tmp_path: object) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        drops = KernelDrops(sock)
        drops._inode = -1  # a socket /proc/net/udp doesn't list
        assert drops.read() is None
        drops._path = "/nonexistent/udp"
        assert drops.read() is None


def test_refused_without_an_errno_and_a_surprise_that_is_not_an_oserror() -> None:
    refused = explain_udp(ConnectionRefusedError("refused"), action="recvfrom", host="h", port=9)
    assert refused.message.startswith("h:9 answered an earlier datagram with ICMP 'port unreachable'")
    other = explain_udp(ValueError("odd"), action="sendto")
    assert (other.message, other.hint) == ("sendto failed: odd", "")


def test_explain_falls_back_to_the_shared_table() -> None:
    assert explain_udp(OSError(errno.EADDRINUSE, "x"), action="bind", host="127.0.0.1", port=9).message == (
        "Port 9 is already in use by another program"
    )
