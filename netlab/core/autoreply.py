"""Auto-reply rules: match a received message, answer with a reply whose macros are filled in."""

from __future__ import annotations

import functools
import re
import time
from dataclasses import dataclass
from enum import Enum

from netlab.core.codec import CodecError, encode_text
from netlab.core.config import FieldProblem, coerce_enum, raise_if


class MatchKind(str, Enum):
    EXACT = "exact"
    CONTAINS = "contains"
    STARTS_WITH = "starts with"
    ENDS_WITH = "ends with"
    REGEX = "regex"


MACROS = ("{date}", "{time}", "{counter}", "{peer}")


@functools.lru_cache(maxsize=256)
def compiled(pattern: str) -> re.Pattern[str]:
    """A rule's regex, compiled once per pattern: the config stays plain data, matching stays fast."""
    return re.compile(pattern)


@dataclass(frozen=True)
class Rule:
    """When a message matches `pattern`, reply with `reply` (macros filled in)."""

    match: MatchKind = MatchKind.EXACT
    pattern: str = "ping"
    reply: str = r"pong {counter}\r\n"

    def __post_init__(self) -> None:
        problems: list[FieldProblem] = []
        coerce_enum(self, "match", MatchKind, problems)
        if not self.pattern:
            problems.append(FieldProblem("pattern", "A rule has an empty pattern", "type what to match"))
        elif self.match is MatchKind.REGEX:
            try:
                compiled(self.pattern)
            except re.error as exc:
                problems.append(
                    FieldProblem(
                        "pattern",
                        f"The regex '{self.pattern}' is invalid ({exc})",
                        "fix it, or choose 'contains' to match plain text",
                    )
                )
        try:
            encode_text(self.reply, escapes=True)
        except CodecError as exc:
            problems.append(FieldProblem("reply", f"Reply '{self.reply}': {exc.message}", exc.hint))
        raise_if(problems)

    def reply_bytes(self, *, peer: str, counter: int, encoding: str, now: float | None = None) -> bytes:
        """The reply with macros filled in and escapes such as \\r\\n read; unencodable text is replaced."""
        text = fill_macros(self.reply, peer=peer, counter=counter, now=now)
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
        return compiled(self.pattern).search(message) is not None


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
