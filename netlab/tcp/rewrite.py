"""The relay's target and its rewrite rules: what to change in relayed bytes, in which direction.

A rewrite matches text (escapes such as \\r\\n read), hex bytes, or a regular expression over the
bytes, and puts its replacement in. TCP is a byte stream, so a rule sees each piece as it arrives:
a match split across two reads is not seen (the log's counts say what was changed).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field, replace
from enum import Enum

from netlab.core.codec import CodecError, Payload, PayloadKind
from netlab.core.config import (
    FieldProblem,
    coerce_enum,
    host_problems,
    port_problems,
    raise_if,
    range_problems,
)


class RewriteKind(str, Enum):
    TEXT = "text"
    HEX = "hex"
    REGEX = "regex"


class Toward(str, Enum):
    """Which relayed bytes a rewrite changes."""

    BOTH = "both"
    SERVER = "to server"  # what the client sends
    CLIENT = "to client"  # what the server answers


@functools.lru_cache(maxsize=256)
def _regex(pattern: str) -> re.Pattern[bytes]:
    # Over bytes, so a binary protocol can be rewritten; the pattern's own text is UTF-8.
    return re.compile(pattern.encode("utf-8"))


def _check_template(regex: re.Pattern[bytes], replacement: bytes) -> None:
    """A replacement's group references (\\1, \\g<name>) are only read on a match: read them now,
    against a stand-in match with the same groups, so a bad one is said at the field."""
    names = {index: name for name, index in regex.groupindex.items()}
    groups = "".join(f"(?P<{names[i]}>)" if i in names else "()" for i in range(1, regex.groups + 1))
    match = re.compile(groups.encode()).match(b"")
    assert match is not None  # empty groups always match the empty string
    match.expand(replacement)


@dataclass(frozen=True)
class Rewrite:
    """Replace every match of `pattern` with `replacement` in the bytes going `toward`."""

    kind: RewriteKind = RewriteKind.TEXT
    pattern: str = "hello"
    replacement: str = "HELLO"
    toward: Toward = Toward.BOTH

    def __post_init__(self) -> None:
        problems: list[FieldProblem] = []
        coerce_enum(self, "kind", RewriteKind, problems)
        coerce_enum(self, "toward", Toward, problems)
        if not problems:
            problems += self._problems()
        raise_if(problems)

    def _problems(self) -> list[FieldProblem]:
        if not self.pattern:
            return [FieldProblem("pattern", "A rewrite has an empty pattern", "type what to match")]
        if self.kind is RewriteKind.REGEX:
            try:
                _check_template(_regex(self.pattern), self.replacement.encode("utf-8"))
            except (re.error, IndexError) as exc:  # IndexError: an unknown group name
                return [
                    FieldProblem(
                        "pattern",
                        f"The regex '{self.pattern}' or its replacement is invalid ({exc})",
                        "fix it, or choose 'text' to match plain text; \\1 puts back the first group",
                    )
                ]
            return []
        problems = []
        for name in ("pattern", "replacement"):
            try:
                self._bytes(getattr(self, name))
            except CodecError as exc:
                text = getattr(self, name)
                problems.append(FieldProblem(name, f"Rewrite {name} '{text}': {exc.message}", exc.hint))
        return problems

    def pattern_bytes(self) -> bytes:
        """What a text or hex rule matches, as bytes (escapes read)."""
        return self._bytes(self.pattern)

    def replacement_bytes(self) -> bytes:
        return self._bytes(self.replacement)

    def _bytes(self, text: str) -> bytes:
        kind = PayloadKind.HEX if self.kind is RewriteKind.HEX else PayloadKind.TEXT
        return Payload(kind=kind, text=text, escapes=True).to_bytes()

    def applies(self, to_server: bool) -> bool:
        return self.toward is Toward.BOTH or (self.toward is Toward.SERVER) == to_server

    def apply(self, data: bytes) -> tuple[bytes, int]:
        """The bytes with every match replaced, and how many matches there were."""
        if self.kind is RewriteKind.REGEX:
            return _regex(self.pattern).subn(self.replacement.encode("utf-8"), data)
        pattern = self._bytes(self.pattern)
        count = data.count(pattern)
        return (data.replace(pattern, self._bytes(self.replacement)), count) if count else (data, 0)


def rewrite(rules: tuple[Rewrite, ...], data: bytes, *, to_server: bool) -> tuple[bytes, list[int]]:
    """Apply each rule for this direction in the order listed; the count of matches of each rule."""
    counts = []
    for rule in rules:
        if rule.applies(to_server):
            data, count = rule.apply(data)
            counts.append(count)
        else:
            counts.append(0)
    return data, counts


@dataclass(frozen=True)
class RelayTarget:
    """Where a relay server connects each client it accepts, and what it changes on the way."""

    host: str = "127.0.0.1"
    port: int = 80
    tls: bool = False
    tls_verify: bool = True
    ca_file: str = ""
    rewrites: tuple[Rewrite, ...] = field(default=())
    connect_timeout: float = 5.0  # seconds for the name lookup, and again for the connect

    def __post_init__(self) -> None:
        object.__setattr__(self, "rewrites", tuple(self.rewrites))
        problems = host_problems(self.host)
        problems += port_problems(self.port, allow_zero=False)
        problems += range_problems(self.connect_timeout, 0.001, 3600, "connect_timeout", "Timeout")
        # Said as the server's, so they can't be taken for the relay's own listening host and port.
        raise_if([replace(p, message=f"Relay to: {p.message}") for p in problems])

    @property
    def address(self) -> str:
        host = self.host.strip("[]")
        return f"[{host}]:{self.port}" if ":" in host else f"{host}:{self.port}"
