"""Auto-reply rules: match a received message, answer with a reply whose macros are filled in."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from enum import Enum

from netlab.core.codec import CodecError
from netlab.core.config import FieldProblem, coerce_enum, raise_if
from netlab.core.variables import VARIABLES, fill


class MatchKind(str, Enum):
    EXACT = "exact"
    CONTAINS = "contains"
    STARTS_WITH = "starts with"
    ENDS_WITH = "ends with"
    REGEX = "regex"


# The payload variables every send box knows fill in replies too (netlab/core/variables.py).
MACROS = tuple("{" + name + "}" for name in VARIABLES)


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
            fill(self.reply, counter=1, escapes=True)
        except CodecError as exc:
            problems.append(FieldProblem("reply", f"Reply '{self.reply}': {exc.message}", exc.hint))
        raise_if(problems)

    def reply_bytes(self, *, peer: str, counter: int, encoding: str, now: float | None = None) -> bytes:
        """The reply with macros filled in and escapes such as \\r\\n read; unencodable text is replaced."""
        return fill(
            self.reply, counter=counter, peer=peer, encoding=encoding, escapes=True, now=now, lenient=True
        )

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


def first_match(rules: tuple[Rule, ...], message: str) -> Rule | None:
    """The first rule that matches, in the order the user listed them."""
    return next((rule for rule in rules if rule.matches(message)), None)
