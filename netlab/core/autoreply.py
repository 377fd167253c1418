"""Auto-reply rules: match a received message, answer with a reply whose macros are filled in."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from enum import Enum

from netlab.core.codec import CodecError, encode_text
from netlab.core.config import FieldProblem, raise_if


class MatchKind(str, Enum):
    EXACT = "exact"
    CONTAINS = "contains"
    STARTS_WITH = "starts with"
    ENDS_WITH = "ends with"
    REGEX = "regex"


MACROS = ("{date}", "{time}", "{counter}", "{peer}")


@dataclass(frozen=True)
class Rule:
    """When a message matches `pattern`, reply with `reply` (macros filled in)."""

    match: MatchKind
    pattern: str
    reply: str
    _regex: re.Pattern[str] | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        problems = []
        if not self.pattern:
            problems.append(FieldProblem("rules", "A rule has an empty pattern", "type what to match"))
        if self.match is MatchKind.REGEX:
            try:
                object.__setattr__(self, "_regex", re.compile(self.pattern))
            except re.error as exc:
                problems.append(
                    FieldProblem(
                        "rules",
                        f"The regex '{self.pattern}' is invalid ({exc})",
                        "fix it, or choose 'contains' to match plain text",
                    )
                )
        try:
            encode_text(self.reply, escapes=True)
        except CodecError as exc:
            problems.append(FieldProblem("rules", f"Reply '{self.reply}': {exc.message}", exc.hint))
        raise_if(problems)

    def reply_bytes(self, *, peer: str, counter: int, encoding: str) -> bytes:
        """The reply with macros filled in and escapes such as \\r\\n read; unencodable text is replaced."""
        text = fill_macros(self.reply, peer=peer, counter=counter)
        return encode_text(text.encode(encoding, "replace").decode(encoding), encoding, escapes=True)

    def matches(self, message: str) -> bool:
        """Exact, starts-with and ends-with ignore a trailing line ending, as typed lines carry one."""
        line = message.rstrip("\r\n")
        if self.match is MatchKind.EXACT:
            return line == self.pattern
        if self.match is MatchKind.CONTAINS:
            return self.pattern in message
        if self.match is MatchKind.STARTS_WITH:
            return line.startswith(self.pattern)
        if self.match is MatchKind.ENDS_WITH:
            return line.endswith(self.pattern)
        assert self._regex is not None
        return self._regex.search(message) is not None


def fill_macros(reply: str, *, peer: str, counter: int, now: float | None = None) -> str:
    """{date} -> 2026-11-21, {time} -> 08:47:31, {counter} -> replies so far, {peer} -> host:port."""
    moment = time.localtime(now)
    return (
        reply.replace("{date}", time.strftime("%Y-%m-%d", moment))
        .replace("{time}", time.strftime("%H:%M:%S", moment))
        .replace("{counter}", str(counter))
        .replace("{peer}", peer)
    )


def first_match(rules: tuple[Rule, ...], message: str) -> Rule | None:
    """The first rule that matches, in the order the user listed them."""
    return next((rule for rule in rules if rule.matches(message)), None)
