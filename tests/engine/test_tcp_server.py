"""Every server mode against plain-socket clients on 127.0.0.1, plus the client list commands."""

from __future__ import annotations

import re
import socket
import time

import pytest

from netlab.core.autoreply import MatchKind, Rule
from netlab.core.config import ConfigError, Family
from netlab.core.events import Closed, Direction, Error, Listening, Opened, SocketCall
from netlab.tcp.config import ServerMode, TcpServerConfig
from netlab.tcp.server import TcpServer

from .conftest import Recorder, connect, eventually, recv_exactly, recv_until_closed, running


def start(recorder: Recorder, **options: object) -> TcpServer:
    options.setdefault("port", 0)
    return TcpServer(TcpServerConfig(**options), recorder)  # type: ignore[arg-type]


def port_of(recorder: Recorder) -> int:
    return recorder.wait_for(lambda e: isinstance(e, Listening)).port  # type: ignore[attr-defined, no-any-return]


def test_echo_returns_every_byte_and_logs_both_directions(recorder: Recorder) -> None:
    with running(start(recorder)):
        client = connect(port_of(recorder))
        payload = bytes(range(256)) * 40
        client.sendall(payload)
        assert recv_exactly(client, len(payload)) == payload
        client.close()
        recorder.wait_for(lambda e: isinstance(e, Closed))
    assert recorder.payload(Direction.RECEIVED) == payload
    assert recorder.payload(Direction.SENT) == payload


def test_uppercase_echo(recorder: Recorder) -> None:
    with running(start(recorder, mode=ServerMode.UPPER)):
        client = connect(port_of(recorder))
        client.sendall(b"hello, World 1\n")
        assert recv_exactly(client, 15) == b"HELLO, WORLD 1\n"


def test_daytime_sends_the_date_then_closes(recorder: Recorder) -> None:
    with running(start(recorder, mode=ServerMode.DAYTIME)):
        client = connect(port_of(recorder))
        text = recv_until_closed(client).decode()
    assert str(time.localtime().tm_year) in text
    assert text.endswith("\r\n")


def test_banner_then_echo(recorder: Recorder) -> None:
    with running(start(recorder, mode=ServerMode.BANNER)):
        port = port_of(recorder)
        client = connect(port)
        banner = f"Welcome from 127.0.0.1:{port}\r\n".encode()
        assert recv_exactly(client, len(banner)) == banner
        client.sendall(b"ping")
        assert recv_exactly(client, 4) == b"ping"


def test_custom_banner(recorder: Recorder) -> None:
    with running(start(recorder, mode=ServerMode.BANNER, banner="220 ready\r\n")):
        client = connect(port_of(recorder))
        assert recv_exactly(client, 11) == b"220 ready\r\n"


def test_chat_relays_to_every_other_client(recorder: Recorder) -> None:
    with running(start(recorder, mode=ServerMode.CHAT)):
        port = port_of(recorder)
        alice, bob, carol = (connect(port) for _ in range(3))
        recorder.wait_for(lambda e: len(recorder.of(Opened)) == 3)  # numbers never restart: count
        alice.sendall(b"hi all\n")
        alice_name = f"127.0.0.1:{alice.getsockname()[1]}"
        expected = f"[{alice_name}] hi all\n".encode()
        assert recv_exactly(bob, len(expected)) == expected
        assert recv_exactly(carol, len(expected)) == expected
        bob.sendall(b"hi alice\n")
        from_bob = f"[127.0.0.1:{bob.getsockname()[1]}] hi alice\n".encode()
        # TCP keeps order: had alice got her own line back, it would come before bob's.
        assert recv_exactly(alice, len(from_bob)) == from_bob


def test_discard_sends_nothing(recorder: Recorder) -> None:
    with running(start(recorder, mode=ServerMode.DISCARD)):
        client = connect(port_of(recorder))
        client.sendall(b"into the void")
        recorder.wait_for(lambda e: getattr(e, "direction", None) is Direction.RECEIVED)
        client.shutdown(socket.SHUT_WR)
        assert recv_until_closed(client) == b""
    assert recorder.payload(Direction.SENT) == b""


def test_manual_mode_sends_what_you_type_to_one_or_all(recorder: Recorder) -> None:
    server = start(recorder, mode=ServerMode.MANUAL)
    with running(server):
        port = port_of(recorder)
        one, two = connect(port), connect(port)
        recorder.wait_for(lambda e: len(recorder.of(Opened)) == 2)  # numbers never restart: count
        server.send(recorder.of(Opened)[0].conn, b"just you\n")
        assert recv_exactly(one, 9) == b"just you\n"
        server.send(None, b"everyone\n")
        assert recv_exactly(one, 9) == b"everyone\n"
        assert recv_exactly(two, 9) == b"everyone\n"


def test_auto_reply_rules_with_macros(recorder: Recorder) -> None:
    rules = (
        Rule(MatchKind.EXACT, "ping", r"pong {counter}\n"),
        Rule(MatchKind.STARTS_WITH, "GET ", r"HTTP/1.0 200 OK\r\n"),
        Rule(MatchKind.ENDS_WITH, "?", r"you asked at {time}\n"),
        Rule(MatchKind.CONTAINS, "date", r"{date}\n"),
        Rule(MatchKind.REGEX, r"^who(ami)?$", r"you are {peer}\n"),
    )
    with running(start(recorder, mode=ServerMode.RULES, rules=rules)):
        client = connect(port_of(recorder))
        exchanges = [
            (b"ping\r\n", rb"pong 1\n"),
            (b"GET / HTTP/1.0\r\n", rb"HTTP/1\.0 200 OK\r\n"),
            (b"why?\n", rb"you asked at \d\d:\d\d:\d\d\n"),
            (b"what date is it\n", rb"\d{4}-\d\d-\d\d\n"),
            (b"whoami", rb"you are 127\.0\.0\.1:\d+\n"),
            (b"ping", rb"pong 6\n"),
        ]
        for sent, expected in exchanges:
            client.sendall(sent)  # the next send waits for this reply: rules match one recv() each
            reply = recv_line(client)
            assert re.fullmatch(expected, reply), (sent, reply)


def recv_line(sock: socket.socket) -> bytes:
    data = b""
    while not data.endswith(b"\n"):
        chunk = sock.recv(1000)
        if not chunk:
            break
        data += chunk
    return data


def test_rules_that_do_not_match_send_nothing(recorder: Recorder) -> None:
    rules = (Rule(MatchKind.EXACT, "ping", r"pong {counter}\n"),)
    with running(start(recorder, mode=ServerMode.RULES, rules=rules)):
        client = connect(port_of(recorder))
        client.sendall(b"pingpong")
        recorder.wait_for(lambda e: getattr(e, "data", None) == b"pingpong")
        client.sendall(b"ping")
        assert recv_line(client) == b"pong 1\n"
    # Had "pingpong" been answered, there would be two replies, numbered 1 and 2.
    assert recorder.payload(Direction.SENT) == b"pong 1\n"


def test_quit_word_closes_the_client(recorder: Recorder) -> None:
    with running(start(recorder, quit_words=("exit", "q"))):
        client = connect(port_of(recorder))
        client.sendall(b"hello")
        assert recv_exactly(client, 5) == b"hello"
        client.sendall(b"EXIT\r\n")
        assert recv_until_closed(client) == b""
        closed = recorder.wait_for(lambda e: isinstance(e, Closed))
    assert "quit word" in closed.reason  # type: ignore[attr-defined]


def test_kick_and_disconnect_all_and_client_list(recorder: Recorder) -> None:
    server = start(recorder)
    with running(server):
        port = port_of(recorder)
        clients = [connect(port) for _ in range(3)]
        recorder.wait_for(lambda e: len(recorder.of(Opened)) == 3)  # numbers never restart: count
        one, two, three = (e.conn for e in recorder.of(Opened))
        clients[0].sendall(b"abc")
        assert recv_exactly(clients[0], 3) == b"abc"
        eventually(lambda: {c.conn: c.bytes_out for c in server.clients()} == {one: 3, two: 0, three: 0})
        assert {c.conn: c.bytes_in for c in server.clients()} == {one: 3, two: 0, three: 0}
        server.kick(two)
        assert recv_until_closed(clients[1]) == b""
        server.disconnect_all()
        assert recv_until_closed(clients[0]) == b""
        assert recv_until_closed(clients[2]) == b""
        recorder.wait_for(lambda e: isinstance(e, Closed) and "disconnected" in e.reason)
        eventually(lambda: server.clients() == [])
    reasons = {e.conn: e.reason for e in recorder.of(Closed)}
    assert reasons[two] == "kicked by you"


def test_half_close_gets_the_rest_of_the_echo(recorder: Recorder) -> None:
    with running(start(recorder)):
        client = connect(port_of(recorder))
        client.sendall(b"last words")
        client.shutdown(socket.SHUT_WR)
        assert recv_until_closed(client) == b"last words"


def test_socket_call_trace_shows_the_textbook_calls(recorder: Recorder) -> None:
    with running(start(recorder, trace=True)):
        client = connect(port_of(recorder))
        client.sendall(b"x")
        assert recv_exactly(client, 1) == b"x"
        client.close()
        recorder.wait_for(lambda e: isinstance(e, Closed))
    calls = " ".join(e.call for e in recorder.of(SocketCall))
    for name in ("socket(AF_INET", "setsockopt(SOL_SOCKET, SO_REUSEADDR", "bind(", "listen(128)", "accept()"):
        assert name in calls
    for name in ("recv(", "send(", "close()"):
        assert name in calls
    assert any("b''" in e.result for e in recorder.of(SocketCall))


def test_port_in_use_is_explained(recorder: Recorder) -> None:
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    port = taken.getsockname()[1]
    try:
        with running(start(recorder, port=port, reuse_addr=False)):
            error = recorder.wait_for(lambda e: isinstance(e, Error))
    finally:
        taken.close()
    assert error.message == f"Port {port} is already in use by another program"  # type: ignore[attr-defined]
    assert error.hint == "choose another port, or 0 for any free port"  # type: ignore[attr-defined]


def test_ipv6_loopback(recorder: Recorder) -> None:
    if not socket.has_ipv6:
        pytest.skip("this machine has no IPv6")
    try:
        probe = socket.socket(socket.AF_INET6)
        probe.bind(("::1", 0))
        probe.close()
    except OSError:
        pytest.skip("::1 is not configured on this machine")
    with running(start(recorder, host="::1", family=Family.IPV6)):
        client = connect(port_of(recorder), "::1")
        client.sendall(b"six")
        assert recv_exactly(client, 3) == b"six"
    assert recorder.of(Opened)[0].peer.startswith("[::1]:")


def test_dual_stack_takes_ipv4_clients(recorder: Recorder) -> None:
    try:
        probe = socket.socket(socket.AF_INET6)
        probe.close()
    except OSError:
        pytest.skip("no IPv6 sockets on this machine")
    with running(start(recorder, host="::", family=Family.DUAL)):
        client = connect(port_of(recorder), "127.0.0.1")
        client.sendall(b"four")
        assert recv_exactly(client, 4) == b"four"


@pytest.mark.parametrize(
    ("options", "field", "words"),
    [
        ({"host": ""}, "host", "The host is empty"),
        ({"host": "not a host!"}, "host", "neither an IP address nor a host name"),
        ({"port": 70000}, "port", "Port 70000 is out of range"),
        ({"port": -1}, "port", "out of range"),
        ({"backlog": 0}, "backlog", "Backlog 0 is out of range"),
        ({"host": "::1"}, "host", "::1 is an IPv6 address"),
        ({"mode": ServerMode.RULES}, "rules", "no rules"),
        ({"encoding": "no-such-codec"}, "encoding", "Unknown encoding"),
        ({"encoding": "hex"}, "encoding", "Unknown encoding"),  # bytes-to-bytes: decode() refuses it
    ],
)
def test_bad_config_is_refused_at_the_field(options: dict[str, object], field: str, words: str) -> None:
    with pytest.raises(ConfigError) as caught:
        TcpServerConfig(**options)  # type: ignore[arg-type]
    problem = caught.value.problems[0]
    assert problem.field == field
    assert words in problem.message
    assert problem.hint


def test_bad_regex_rule_is_refused() -> None:
    with pytest.raises(ConfigError, match="invalid"):
        Rule(MatchKind.REGEX, "(unclosed", "x")
