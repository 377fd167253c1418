"""The one responder of the TCP server and the UDP receiver, table-style, with no sockets."""

from __future__ import annotations

import time

import pytest

from netlab.core.autoreply import MatchKind, Rule
from netlab.core.config import ConfigError
from netlab.core.responder import Answer, Reply, Responder

PEER = "127.0.0.1:50000"
NOON = time.mktime((2026, 11, 21, 12, 34, 56, 0, 0, -1))
RULES = (
    Rule(MatchKind.EXACT, "ping", r"pong {counter}\r\n"),
    Rule(MatchKind.STARTS_WITH, "GET ", r"HTTP/1.0 200 OK\r\n"),
    Rule(MatchKind.ENDS_WITH, "?", r"asked at {time}\n"),
    Rule(MatchKind.CONTAINS, "date", r"{date}\n"),
    Rule(MatchKind.REGEX, r"^who(ami)?$", r"you are {peer}\n"),
)


@pytest.mark.parametrize(
    ("reply", "received", "expected"),
    [
        (Reply.ECHO, b"hello\r\n", Answer(reply=b"hello\r\n")),
        (Reply.ECHO, bytes(range(256)), Answer(reply=bytes(range(256)))),
        (Reply.UPPER, b"Hello, World 1\n", Answer(reply=b"HELLO, WORLD 1\n")),
        (Reply.UPPER, b"\xff\xfe abc", Answer(reply=b"\xff\xfe ABC")),
        (Reply.NONE, b"into the void", Answer()),
        (Reply.RULES, b"ping\r\n", Answer(reply=b"pong 1\r\n")),
        (Reply.RULES, b"pingpong", Answer()),
        (Reply.RULES, b"GET / HTTP/1.0\r\n", Answer(reply=b"HTTP/1.0 200 OK\r\n")),
        (Reply.RULES, b"why?\n", Answer(reply=b"asked at 12:34:56\n")),
        (Reply.RULES, b"what date is it", Answer(reply=b"2026-11-21\n")),
        (Reply.RULES, b"whoami", Answer(reply=f"you are {PEER}\n".encode())),
        (Reply.ECHO, b"EXIT\r\n", Answer(quit_word="EXIT")),
        (Reply.RULES, b"q", Answer(quit_word="q")),
        (Reply.NONE, b" Exit ", Answer(quit_word="Exit")),
        (Reply.ECHO, b"exit now", Answer(reply=b"exit now")),
    ],
)
def test_answers(reply: Reply, received: bytes, expected: Answer) -> None:
    responder = Responder(reply, rules=RULES, quit_words=("exit", "q"))
    answer = responder.respond(received, peer=PEER, now=NOON)
    assert answer == expected
    assert answer.close is bool(expected.quit_word)


def test_the_counter_counts_rule_replies_across_peers() -> None:
    responder = Responder(Reply.RULES, rules=RULES)
    replies = [
        responder.respond(message, peer=peer, now=NOON).reply
        for message, peer in ((b"ping", "a:1"), (b"nothing", "a:1"), (b"ping", "b:2"), (b"ping", "a:1"))
    ]
    assert replies == [b"pong 1\r\n", b"", b"pong 2\r\n", b"pong 3\r\n"]


def test_rules_read_the_configured_encoding() -> None:
    rules = (Rule(MatchKind.EXACT, "你好", r"{peer} 再见\n"),)
    responder = Responder(Reply.RULES, rules=rules, encoding="gbk")
    assert responder.respond("你好".encode("gbk"), peer=PEER).reply == f"{PEER} 再见\n".encode("gbk")
    assert responder.respond("你好".encode(), peer=PEER) == Answer()


def test_undecodable_bytes_never_raise() -> None:
    responder = Responder(Reply.RULES, rules=RULES, quit_words=("exit",), encoding="ascii")
    assert responder.respond(b"\xff\xfe\x80", peer=PEER) == Answer()


@pytest.mark.parametrize("encoding", ["no-such-codec", "hex", "rot13", "base64"])
def test_an_encoding_that_is_not_text_is_refused_as_a_field_problem(encoding: str) -> None:
    with pytest.raises(ConfigError) as caught:
        Responder(Reply.ECHO, encoding=encoding)
    assert caught.value.problems[0].field == "encoding"


def test_rules_mode_without_rules_is_refused() -> None:
    with pytest.raises(ConfigError, match="no rules"):
        Responder(Reply.RULES)
