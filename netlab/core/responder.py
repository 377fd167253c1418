"""What a server answers to what it receives: echo, uppercase, auto-reply rules, quit words, macros.

One responder serves the TCP server and the UDP receiver. It holds no socket: bytes and the peer's
address go in, an Answer (the bytes to send back, and whether the peer said a quit word) comes out.
The engine decides what "quit" means for its protocol: TCP closes the connection, UDP stops replying.
Rules and macros live in netlab.core.autoreply; this module decides when they apply.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from netlab.core.autoreply import Rule, first_match
from netlab.core.codec import decode_lossless
from netlab.core.config import FieldProblem, encoding_problems, raise_if


class Reply(str, Enum):
    """How received bytes are answered. NONE: not at all (log only, discard, manual, chat)."""

    NONE = "none"
    ECHO = "echo"
    UPPER = "upper"
    RULES = "rules"


@dataclass(frozen=True)
class Answer:
    """What to do about one received message.

    reply: bytes to send back (empty: send nothing). quit_word: the quit word the peer sent, as it
    typed it ("" if none); when set, reply is empty and the engine ends the conversation.
    """

    reply: bytes = b""
    quit_word: str = ""

    @property
    def close(self) -> bool:
        return bool(self.quit_word)


SILENCE = Answer()


class Responder:
    """Answers received messages by its Reply kind; counts rule replies for the {counter} macro.

    Not thread-safe: an engine calls it from its loop thread only. The counter is shared by every
    peer of one engine, as a student numbering a server's replies expects.
    """

    def __init__(
        self,
        reply: Reply,
        *,
        rules: tuple[Rule, ...] = (),
        quit_words: tuple[str, ...] = (),
        encoding: str = "utf-8",
    ) -> None:
        problems: list[FieldProblem] = encoding_problems(encoding)
        if reply is Reply.RULES and not rules:
            problems.append(FieldProblem("rules", "Auto-reply mode has no rules", "add at least one rule"))
        raise_if(problems)
        self.reply = reply
        self.rules = tuple(rules)
        self.quit_words = frozenset(word.strip().lower() for word in quit_words if word.strip())
        self.encoding = encoding
        self.replies = 0  # rule replies so far; {counter} is this after the increment

    def respond(self, data: bytes, *, peer: str, now: float | None = None) -> Answer:
        """The answer to `data` from `peer` (host:port). now: the time {date}/{time} show (tests)."""
        if self.quit_words:
            word = decode_lossless(data, self.encoding).strip()
            if word.lower() in self.quit_words:
                return Answer(quit_word=word)
        if self.reply is Reply.ECHO:
            return Answer(reply=data)
        if self.reply is Reply.UPPER:
            return Answer(reply=data.upper())
        if self.reply is Reply.RULES:
            rule = first_match(self.rules, decode_lossless(data, self.encoding))
            if rule is not None:
                self.replies += 1
                return Answer(
                    reply=rule.reply_bytes(peer=peer, counter=self.replies, encoding=self.encoding, now=now)
                )
        return SILENCE
