"""Auto-reply rules and the responder, in the words a user reads: every refusal names its field and says
how to fix it, and each match kind answers exactly the messages it should (found by mutation testing)."""

from __future__ import annotations

import pytest

from netlab.core.autoreply import MACROS, MatchKind, Rule, first_match
from netlab.core.config import ConfigError
from netlab.core.responder import Reply, Responder


def problems(call: object) -> list[tuple[str, str, str]]:
    with pytest.raises(ConfigError) as caught:
        call()  # type: ignore[operator]
    return [(p.field, p.message, p.hint) for p in caught.value.problems]


def test_a_rule_with_no_pattern_says_so() -> None:
    assert problems(lambda: Rule(MatchKind.CONTAINS, "", "x")) == [
        ("pattern", "A rule has an empty pattern", "type what to match")
    ]


def test_a_bad_regex_is_refused_with_the_reason() -> None:
    assert problems(lambda: Rule(MatchKind.REGEX, "(", "x")) == [
        (
            "pattern",
            "The regex '(' is invalid (missing ), unterminated subpattern at position 0)",
            "fix it, or choose 'contains' to match plain text",
        )
    ]
    assert Rule(MatchKind.CONTAINS, "(", "x").matches("a (b")  # only a regex rule is compiled


def test_a_bad_reply_and_a_bad_match_are_both_named() -> None:
    assert problems(lambda: Rule("words", "a", "{nope}")) == [  # type: ignore[arg-type]
        (
            "match",
            "'words' is not a valid match",
            "choose one of: exact, contains, starts with, ends with, regex",
        ),
        (
            "reply",
            "Reply '{nope}': '{nope}' is not a variable NetLab knows",
            "use {counter}, {seq}, {time}, {date}, {random:N}, {hex:..} or {peer}; "
            "write {{ for a literal brace",
        ),
    ]


@pytest.mark.parametrize(
    ("kind", "pattern", "yes", "no"),
    [
        (MatchKind.EXACT, "ping", ["ping", "ping\r\n", "ping\n"], ["ping ", "pingX", "xping", "ping\r\nx"]),
        (MatchKind.CONTAINS, "in", ["in", "a in b\r\n"], ["IN", "i n"]),
        (MatchKind.STARTS_WITH, "GET", ["GET /", "GET\r\n"], ["get /", " GET"]),
        (MatchKind.ENDS_WITH, "?", ["why?\r\n", "?"], ["?!", "? "]),
        (MatchKind.REGEX, r"^\d+$", ["42", "42\n"], ["4a2", ""]),
    ],
)
def test_each_kind_matches_what_it_says(kind: MatchKind, pattern: str, yes: list[str], no: list[str]) -> None:
    rule = Rule(kind, pattern, "r")
    assert [m for m in yes if not rule.matches(m)] == []
    assert [m for m in no if rule.matches(m)] == []


def test_the_first_rule_listed_wins() -> None:
    rules = (Rule(MatchKind.CONTAINS, "a", "first"), Rule(MatchKind.CONTAINS, "ab", "second"))
    assert first_match(rules, "abc") is rules[0]
    assert first_match(rules, "b") is None


def test_a_reply_that_the_encoding_lacks_is_sent_with_a_mark_not_refused() -> None:
    rule = Rule(MatchKind.EXACT, "ping", r"café {counter} {peer}\r\n")
    assert rule.reply_bytes(peer="1.2.3.4:5", counter=3, encoding="ascii") == b"caf? 3 1.2.3.4:5\r\n"


def test_macros_are_the_payload_variables() -> None:
    assert {"{counter}", "{time}", "{date}", "{peer}"} <= set(MACROS)


def test_auto_reply_mode_needs_a_rule_and_a_known_encoding() -> None:
    assert problems(lambda: Responder(Reply.RULES)) == [
        ("rules", "Auto-reply mode has no rules", "add at least one rule")
    ]
    assert [p[0] for p in problems(lambda: Responder(Reply.ECHO, encoding="nope"))] == ["encoding"]


def test_the_responder_answers_by_its_kind() -> None:
    assert Responder(Reply.UPPER).respond(b"hi\n", peer="p").reply == b"HI\n"
    rules = Responder(Reply.RULES, rules=(Rule(MatchKind.EXACT, "ping", r"pong {counter}"),))
    assert [rules.respond(b"ping", peer="p").reply for _ in range(2)] == [b"pong 1", b"pong 2"]
    assert rules.respond(b"other", peer="p").reply == b""
    quitting = Responder(Reply.ECHO, quit_words=(" Exit ", "", "q"))
    answer = quitting.respond(b"EXIT\r\n", peer="p")
    assert answer.close and answer.reply == b""


def test_a_reply_with_a_bad_escape_is_refused_when_the_rule_is_made() -> None:
    assert problems(lambda: Rule(MatchKind.EXACT, "a", r"bad \q")) == [
        (
            "reply",
            "Reply 'bad \\q': '\\q' at position 5 is not an escape NetLab knows",
            "use \\r \\n \\t \\0 \\\\ or \\xNN, or turn off escapes",
        )
    ]
