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
