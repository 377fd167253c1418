"""The relay's rewrite rules and target: pure, so mutation testing can hold them to their words."""

from __future__ import annotations

import pytest

from netlab.core.config import ConfigError
from netlab.tcp.rewrite import RelayTarget, Rewrite, RewriteKind, Toward, rewrite


@pytest.mark.parametrize(
    ("rule", "data", "expected"),
    [
        (Rewrite(RewriteKind.TEXT, "a", "b"), b"banana", (b"bbnbnb", 3)),
        (Rewrite(RewriteKind.TEXT, r"\r\n", r"\n"), b"x\r\ny\r\n", (b"x\ny\n", 2)),
        (Rewrite(RewriteKind.HEX, "ff 00", "ee"), b"\xff\x00\xff\x01", (b"\xee\xff\x01", 1)),
        (Rewrite(RewriteKind.REGEX, r"(\w+)@(\w+)", r"\2@\1"), b"ann@x bob@y", (b"x@ann y@bob", 2)),
        (Rewrite(RewriteKind.TEXT, "zzz", "y"), b"none here", (b"none here", 0)),
    ],
)
def test_each_kind_of_rewrite(rule: Rewrite, data: bytes, expected: tuple[bytes, int]) -> None:
    assert rule.apply(data) == expected


def test_rules_apply_in_order_and_only_their_way() -> None:
    rules = (
        Rewrite(RewriteKind.TEXT, "a", "b", Toward.SERVER),
        Rewrite(RewriteKind.TEXT, "b", "c", Toward.BOTH),
        Rewrite(RewriteKind.TEXT, "c", "d", Toward.CLIENT),
    )
    assert rewrite(rules, b"abc", to_server=True) == (b"ccc", [1, 2, 0])
    assert rewrite(rules, b"abc", to_server=False) == (b"add", [0, 1, 2])


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"pattern": ""}, "A rewrite has an empty pattern"),
        ({"kind": "regex", "pattern": "("}, "The regex '(' or its replacement is invalid"),
        ({"kind": "regex", "pattern": "a", "replacement": r"\2"}, "invalid group reference"),
        ({"kind": "regex", "pattern": "(?P<n>a)", "replacement": r"\g<m>"}, "unknown group name"),
        ({"kind": "hex", "pattern": "zz", "replacement": "00"}, "Rewrite pattern 'zz'"),
        ({"kind": "hex", "pattern": "00", "replacement": "0g"}, "Rewrite replacement '0g'"),
        ({"kind": "sideways"}, "'sideways' is not a valid kind"),
        ({"toward": "up"}, "'up' is not a valid toward"),
    ],
)
def test_a_bad_rewrite_is_refused_in_plain_words(fields: dict[str, str], words: str) -> None:
    with pytest.raises(ConfigError, match=words.replace("(", r"\(").replace("\\2", r"\\2")):
        Rewrite(**fields)  # type: ignore[arg-type]


def test_a_relay_needs_a_real_target() -> None:
    with pytest.raises(ConfigError, match="port"):
        RelayTarget(port=0)
    with pytest.raises(ConfigError, match="The host is empty"):
        RelayTarget(host="")
    assert RelayTarget(host="::1", port=80).address == "[::1]:80"


def problems_of(make: object) -> list[tuple[str, str, str]]:
    with pytest.raises(ConfigError) as caught:
        make()  # type: ignore[operator]
    return [(p.field, p.message, p.hint) for p in caught.value.problems]


def test_each_problem_names_its_field_with_words_and_a_hint() -> None:
    assert problems_of(lambda: Rewrite(pattern="")) == [
        ("pattern", "A rewrite has an empty pattern", "type what to match")
    ]
    regex_hint = "fix it, or choose 'text' to match plain text; \\1 puts back the first group"
    assert problems_of(lambda: Rewrite(RewriteKind.REGEX, "(a)", r"\2")) == [
        (
            "pattern",
            "The regex '(a)' or its replacement is invalid (invalid group reference 2 at position 1)",
            regex_hint,
        )
    ]
    hex_problems = problems_of(lambda: Rewrite(RewriteKind.HEX, "zz", "0q"))
    assert [(field, message.split(":")[0]) for field, message, _ in hex_problems] == [
        ("pattern", "Rewrite pattern 'zz'"),
        ("replacement", "Rewrite replacement '0q'"),
    ]
    assert all(hint.startswith("use only 0-9 and a-f") for _, _, hint in hex_problems)
    assert problems_of(lambda: Rewrite(kind="sideways", toward="up")) == [  # type: ignore[arg-type]
        ("kind", "'sideways' is not a valid kind", "choose one of: text, hex, regex"),
        ("toward", "'up' is not a valid toward", "choose one of: both, to server, to client"),
    ]


@pytest.mark.parametrize(
    ("pattern", "replacement", "data", "expected"),
    [
        (r"(\w)(\w)", r"\2\1", b"ab cd", b"ba dc"),  # two groups, both put back
        (r"(?P<first>\w)(\w)", r"\g<first>\2\g<first>", b"ab", b"aba"),  # a named group and a numbered one
    ],
)
def test_replacements_may_use_every_group_the_regex_has(
    pattern: str, replacement: str, data: bytes, expected: bytes
) -> None:
    assert Rewrite(RewriteKind.REGEX, pattern, replacement).apply(data)[0] == expected


def test_a_reference_past_the_last_group_is_refused() -> None:
    with pytest.raises(ConfigError, match="invalid group reference 2"):
        Rewrite(RewriteKind.REGEX, r"(\w)", r"\2")
    with pytest.raises(ConfigError, match="invalid group reference 1"):
        Rewrite(RewriteKind.REGEX, r"\w", r"\1")


def test_a_relay_target_says_which_fields_are_wrong() -> None:
    assert problems_of(lambda: RelayTarget(host="", port=70000, connect_timeout=0)) == [
        ("host", "Relay to: The host is empty", "type an address such as 127.0.0.1"),
        ("port", "Relay to: Port 70000 is out of range", "use a port from 1 to 65535"),
        ("connect_timeout", "Relay to: Timeout 0 is out of range", "use 0.001 to 3600"),
    ]
    assert RelayTarget(connect_timeout=0.001).connect_timeout == 0.001
    assert RelayTarget(connect_timeout=3600).connect_timeout == 3600
    listed = RelayTarget(rewrites=[Rewrite()])  # type: ignore[arg-type]  # a list, as JSON gives
    assert listed.rewrites == (Rewrite(),) and hash(listed)


def test_pattern_and_replacement_bytes_read_escapes_and_hex() -> None:
    assert Rewrite(RewriteKind.TEXT, r"a\r\n", r"\x00").pattern_bytes() == b"a\r\n"
    assert Rewrite(RewriteKind.TEXT, r"a\r\n", r"\x00").replacement_bytes() == b"\x00"
    assert Rewrite(RewriteKind.HEX, "0d 0a", "0a").pattern_bytes() == b"\r\n"
    assert Rewrite(RewriteKind.HEX, "0d 0a", "0a").replacement_bytes() == b"\n"
