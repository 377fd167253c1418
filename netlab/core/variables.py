"""Payload variables ({counter}, {seq}, {time}, {date}, {random:N}, {hex:..}, {peer}), filled in per send.

The one place that knows them: the UDP and TCP send boxes and the auto-reply macros all expand
through here. A template is parsed once (parse() raises VariableError, a CodecError, with the
position and a hint) and rendered to bytes on every send, so a periodic send of
'ping {counter}' puts 'ping 1', 'ping 2' ... on the wire. '{{' and '}}' write a literal brace.

A hex payload takes variables too ('01 03 {counter:2} {random:4}'): there the text between them is
hex, {counter} and {seq} are binary numbers (one byte, or {counter:N} bytes, big-endian, wrapping
round) and {random:N} is N random bytes, as a binary protocol wants them; {time}, {date} and {peer}
are their text, encoded as ASCII.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass

from netlab.core.codec import (
    CodecError,
    LineEnding,
    Payload,
    PayloadKind,
    encode_text,
    parse_hex,
    text_for_bytes,
)

# name -> what it gives; the order is the order the hint and the help text list them in.
VARIABLES: dict[str, str] = {
    "counter": "how many sends so far, this one included: 1, 2, 3 … ({counter:5} pads to 00001;"
    " in hex, {counter:2} is two bytes)",
    "seq": "the sequence number, starting at 0: 0, 1, 2 … ({seq:5} pads to 00000)",
    "time": "the local time, 08:47:31",
    "date": "the local date, 2026-11-21",
    "random:N": "N random decimal digits (N random bytes in a hex payload)",
    "hex:..": "raw bytes written as hex, e.g. {hex:0d0a} for CR LF",
    "peer": "the other side's address, host:port",
}

_HINT = "use {counter}, {seq}, {time}, {date}, {random:N}, {hex:..} or {peer}; write {{ for a literal brace"
MAX_RANDOM = 65_507  # the largest UDP payload: more random digits than that can't be sent anyway
MAX_PAD = 20


class VariableError(CodecError):
    """A template with a variable NetLab can't fill in; position is the index of its '{'."""

    def __init__(self, message: str, hint: str, position: int) -> None:
        super().__init__(message, hint)
        self.position = position


@dataclass(frozen=True)
class Literal:
    """Text sent as typed (escapes are read when the payload has them on)."""

    text: str


@dataclass(frozen=True)
class Variable:
    """One {name} or {name:arg}; for counter and seq arg is the zero-padded width (0: none)."""

    name: str
    arg: str = ""


Piece = Literal | Variable


def parse(template: str) -> tuple[Piece, ...]:
    """Split a template into literal text and variables; raises VariableError in plain words."""
    pieces: list[Piece] = []
    literal: list[str] = []
    i = 0
    while i < len(template):
        char = template[i]
        if char in "{}" and template[i + 1 : i + 2] == char:
            literal.append(char)
            i += 2
            continue
        if char != "{":
            literal.append(char)
            i += 1
            continue
        end = template.find("}", i + 1)
        if end < 0:
            raise VariableError(
                f"The '{{' at position {i + 1} is never closed",
                "close the variable with '}', or write {{ for a literal brace",
                i,
            )
        if literal:
            pieces.append(Literal("".join(literal)))
            literal.clear()
        pieces.append(_variable(template[i + 1 : end], i))
        i = end + 1
    if literal:
        pieces.append(Literal("".join(literal)))
    return tuple(pieces)


def _variable(body: str, position: int) -> Variable:
    name, colon, arg = body.partition(":")
    if name in ("counter", "seq"):
        if colon and not (arg.isdigit() and int(arg) <= MAX_PAD):
            raise VariableError(
                f"'{{{body}}}' needs a width from 0 to {MAX_PAD} after the colon",
                f"write {{{name}}} or, padded to 5 digits, {{{name}:5}}",
                position,
            )
        return Variable(name, str(int(arg)) if colon else "")
    if name in ("time", "date", "peer") and not colon:
        return Variable(name)
    if name == "random":
        if not (arg.isdigit() and 1 <= int(arg) <= MAX_RANDOM):
            raise VariableError(
                f"'{{{body}}}' needs a number of digits from 1 to {MAX_RANDOM:,}",
                "write e.g. {random:4} for four random digits",
                position,
            )
        return Variable(name, str(int(arg)))
    if name == "hex" and colon:
        hint = "write bytes as hex, e.g. {hex:0d0a}"
        try:
            data = parse_hex(arg)
        except CodecError as exc:
            raise VariableError(f"'{{{body}}}': {exc.message}", hint, position) from None
        if not data:
            raise VariableError(f"'{{{body}}}' has no hex digits", hint, position)
        return Variable(name, arg)
    raise VariableError(f"'{{{body}}}' is not a variable NetLab knows", _HINT, position)


def template_of(pieces: tuple[Piece, ...]) -> str:
    """The text that parses back to these pieces (braces in literals doubled)."""
    out = []
    for piece in pieces:
        if isinstance(piece, Literal):
            out.append(piece.text.replace("{", "{{").replace("}", "}}"))
        else:
            out.append("{" + piece.name + (":" + piece.arg if piece.arg else "") + "}")
    return "".join(out)


def convert_template(template: str, *, to_hex: bool, encoding: str, escapes: bool) -> tuple[str, bool]:
    """A send box's text shown the other way (text <-> hex) with its variables kept as they are.

    Only the text between the variables changes: to hex, each piece's bytes; to text, each piece's
    bytes as text. Returns the new text and whether escapes must be on to read it. Raises CodecError
    (VariableError included) when the template or a piece of it can't make bytes.
    """
    pieces = parse(template)
    chunks: list[bytes | Variable] = []
    for piece in pieces:
        if isinstance(piece, Variable):
            chunks.append(piece)
        elif to_hex:
            chunks.append(Payload(text=piece.text, encoding=encoding, escapes=escapes).to_bytes())
        else:
            chunks.append(Payload(kind=PayloadKind.HEX, text=piece.text).to_bytes())
    if to_hex:
        shown = (c.hex(" ") if isinstance(c, bytes) else template_of((c,)) for c in chunks)
        return " ".join(text for text in shown if text), escapes
    literals = [c for c in chunks if isinstance(c, bytes)]
    # One escapes setting reads the whole box: if any piece needs it, every piece is written for it.
    escaped = any(text_for_bytes(data, encoding)[1] for data in literals)
    texts = [
        template_of((Literal(text_for_bytes(c, encoding, force_escapes=escaped)[0]),))
        if isinstance(c, bytes)
        else template_of((c,))
        for c in chunks
    ]
    return "".join(texts), escaped


class Expander:
    """Renders templates, counting sends: one per send box or responder, so {counter} runs on.

    rng and clock are there so tests can pin them; the defaults are the real ones.
    """

    def __init__(self, rng: random.Random | None = None, clock: float | None = None) -> None:
        self.sends = 0
        self._rng = rng or random.Random()
        self._clock = clock

    def render(
        self,
        pieces: tuple[Piece, ...],
        *,
        encoding: str = "utf-8",
        escapes: bool = False,
        eol: LineEnding = LineEnding.NONE,
        peer: str = "",
        lenient: bool = False,
        hex_mode: bool = False,
    ) -> bytes:
        """The bytes of one send; counts it. Raises CodecError if literal text can't be encoded,
        unless lenient, when such characters become the encoding's replacement character.
        hex_mode: the literal text is hex and the numbers are binary (see the module's docstring)."""
        self.sends += 1
        now = time.localtime(self._clock)
        out = bytearray()
        for piece in pieces:
            if hex_mode:
                out += self._binary(piece, now, peer)
            elif isinstance(piece, Literal):
                text = piece.text.encode(encoding, "replace").decode(encoding) if lenient else piece.text
                out += encode_text(text, encoding, escapes=escapes)
            elif piece.name == "hex":
                out += parse_hex(piece.arg)
            else:
                out += encode_text(self._text(piece, now, peer), encoding)
        return bytes(out) + eol.bytes

    def _binary(self, piece: Piece, now: time.struct_time, peer: str) -> bytes:
        """One piece of a hex payload."""
        if isinstance(piece, Literal):
            return parse_hex(piece.text)
        if piece.name in ("counter", "seq"):
            width = max(1, int(piece.arg or 0))  # {counter} and {counter:0}: one byte
            value = self.sends if piece.name == "counter" else self.sends - 1
            return (value % (1 << 8 * width)).to_bytes(width, "big")
        if piece.name == "random":
            return self._rng.randbytes(int(piece.arg))
        if piece.name == "hex":
            return parse_hex(piece.arg)
        return encode_text(self._text(piece, now, peer), "ascii")

    def _text(self, piece: Variable, now: time.struct_time, peer: str) -> str:
        name = piece.name
        if name in ("counter", "seq"):
            value = self.sends if name == "counter" else self.sends - 1
            return str(value).zfill(int(piece.arg or 0))
        if name == "time":
            return time.strftime("%H:%M:%S", now)
        if name == "date":
            return time.strftime("%Y-%m-%d", now)
        if name == "random":
            return "".join(self._rng.choices("0123456789", k=int(piece.arg)))
        return peer


def fill(
    template: str,
    *,
    counter: int,
    peer: str = "",
    encoding: str = "utf-8",
    escapes: bool = False,
    now: float | None = None,
    lenient: bool = False,
) -> bytes:
    """One rendering with a counter kept elsewhere (an auto-reply counts its own replies).

    now pins {time} and {date} (tests); raises VariableError or CodecError in plain words.
    """
    expander = Expander(clock=now)
    expander.sends = counter - 1
    return expander.render(parse(template), encoding=encoding, escapes=escapes, peer=peer, lenient=lenient)


def has_variables(template: str) -> bool:
    """True if the template holds at least one variable (and parses)."""
    return any(isinstance(piece, Variable) for piece in parse(template))


def payload_bytes(payload: Payload, expander: Expander | None, peer: str = "") -> bytes:
    """One send of what the send box holds: variables filled in (text or hex) when an expander is given."""
    if expander is None or payload.kind not in ("text", "hex"):
        return payload.to_bytes()
    if payload.kind == "hex":
        return expander.render(parse(payload.text), peer=peer, hex_mode=True)
    return expander.render(
        parse(payload.text), encoding=payload.encoding, escapes=payload.escapes, eol=payload.eol, peer=peer
    )
