"""Bytes <-> what people type and read: hex input, escapes, encodings, hexdump, previews."""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from enum import Enum

from netlab.core.config import FieldProblem, coerce_enum, encoding_problems, raise_if
from netlab.core.problem import Problem

# Display name -> Python codec. UTF-16 is little-endian without a BOM, as Windows tools send it.
ENCODINGS: dict[str, str] = {
    "UTF-8": "utf-8",
    "GBK": "gbk",
    "GB18030": "gb18030",
    "Big5": "big5",
    "Latin-1": "latin-1",
    "UTF-16": "utf-16-le",
    "ASCII": "ascii",
}


class CodecError(ValueError):
    """Input that cannot become bytes; str() is the plain message, hint says how to fix it."""

    def __init__(self, message: str, hint: str) -> None:
        super().__init__(message)
        self.problem = Problem(message, hint)

    @property
    def message(self) -> str:
        return self.problem.message

    @property
    def hint(self) -> str:
        return self.problem.hint


class LineEnding(str, Enum):
    NONE = "none"
    LF = "lf"
    CRLF = "crlf"

    @property
    def bytes(self) -> bytes:
        return {"none": b"", "lf": b"\n", "crlf": b"\r\n"}[self.value]


_HEX_SEPARATORS = re.compile(r"[\s,:;]+")
_HEX_DIGITS = set("0123456789abcdefABCDEF")


def parse_hex(text: str) -> bytes:
    """Bytes from hex as people paste it: '48 65', '48:65', '0x48,0x65', '4865' all work."""
    out = bytearray()
    for token in _HEX_SEPARATORS.split(text.strip()):
        if not token:
            continue
        digits = token[2:] if token[:2] in ("0x", "0X") else token
        for char in digits:
            if char not in _HEX_DIGITS:
                raise CodecError(
                    f"'{_visible(char)}' in '{_visible(token)}' is not a hex digit",
                    "use only 0-9 and a-f, separated by spaces, colons or commas if you like",
                )
        if len(digits) % 2:
            raise CodecError(
                f"'{_visible(token)}' has an odd number of hex digits",
                "every byte needs two digits, e.g. 0A rather than A",
            )
        out += bytes.fromhex(digits)
    return bytes(out)


_SIMPLE_ESCAPES = {"r": b"\r", "n": b"\n", "t": b"\t", "0": b"\0", "\\": b"\\"}


def encode_text(
    text: str, encoding: str = "utf-8", *, eol: LineEnding = LineEnding.NONE, escapes: bool = False
) -> bytes:
    """Encode typed text, optionally reading \\r \\n \\t \\0 \\\\ and \\xNN, then add the line ending."""
    if not escapes:
        return _encode(text, encoding) + eol.bytes
    out = bytearray()
    literal: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char != "\\":
            literal.append(char)
            i += 1
            continue
        out += _encode("".join(literal), encoding)
        literal.clear()
        code = text[i + 1 : i + 2]
        if code in _SIMPLE_ESCAPES:
            out += _SIMPLE_ESCAPES[code]
            i += 2
        elif code == "x":
            digits = text[i + 2 : i + 4]
            if len(digits) != 2 or not set(digits) <= _HEX_DIGITS:
                raise CodecError(
                    f"'\\x{digits}' at position {i + 1} needs two hex digits",
                    "write a byte as \\xNN, e.g. \\x0d",
                )
            out.append(int(digits, 16))
            i += 4
        elif code == "":
            raise CodecError(
                "The text ends with a lone backslash",
                "write \\\\ for a backslash, or turn off escapes",
            )
        else:
            raise CodecError(
                f"'\\{code}' at position {i + 1} is not an escape NetLab knows",
                "use \\r \\n \\t \\0 \\\\ or \\xNN, or turn off escapes",
            )
    out += _encode("".join(literal), encoding)
    return bytes(out) + eol.bytes


_TYPED_ESCAPES = {"\r": "\\r", "\n": "\\n", "\t": "\\t", "\0": "\\0", "\\": "\\\\"}


def text_for_bytes(data: bytes, encoding: str, *, force_escapes: bool = False) -> tuple[str, bool]:
    """The text to show in a send box for `data` (hex -> text), and whether it needs escapes on.

    Plain text when the bytes decode to printable text (newlines and tabs allowed); otherwise text
    with escapes, which encode_text(..., escapes=True) turns back into exactly `data`. With
    force_escapes=True the text is always written for escapes on (for a box whose other parts need them).
    """
    try:
        text = data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        text = None
    printable = text is not None and all(c.isprintable() or c in "\n\t" for c in text)
    if not force_escapes and printable and text is not None and _encode_or_none(text, encoding) == data:
        return text, False
    escaped = _escaped(data, encoding)
    if _encode_or_none_escaped(escaped, encoding) != data:
        # Not an ASCII-compatible encoding (UTF-16): every byte as \xNN is always right.
        escaped = "".join(f"\\x{b:02x}" for b in data)
    return escaped, True


def _escaped(data: bytes, encoding: str) -> str:
    try:
        text = data.decode(encoding, errors="surrogateescape")
    except (UnicodeDecodeError, LookupError):
        return ""
    out = []
    for char in text:
        if char in _TYPED_ESCAPES:
            out.append(_TYPED_ESCAPES[char])
        elif 0xDC80 <= ord(char) <= 0xDCFF:  # an undecodable byte, kept by surrogateescape
            out.append(f"\\x{ord(char) - 0xDC00:02x}")
        elif not char.isprintable():
            out.append("".join(f"\\x{b:02x}" for b in char.encode(encoding)))
        else:
            out.append(char)
    return "".join(out)


def _encode_or_none(text: str, encoding: str) -> bytes | None:
    try:
        return text.encode(encoding)
    except (UnicodeError, LookupError):
        return None


def _encode_or_none_escaped(text: str, encoding: str) -> bytes | None:
    try:
        return encode_text(text, encoding, escapes=True)
    except CodecError:
        return None


def _encode(text: str, encoding: str) -> bytes:
    try:
        return text.encode(encoding)
    except UnicodeEncodeError as exc:
        bad = exc.object[exc.start : exc.end]
        raise CodecError(
            f"'{bad}' cannot be written in {encoding}",
            "choose an encoding that has it, such as UTF-8, or send it as hex",
        ) from None
    except LookupError:
        raise CodecError(f"Unknown encoding '{encoding}'", "choose one from the list") from None


def _mark_undecodable(exc: UnicodeError) -> tuple[str, int]:
    """Like surrogateescape, but for every codec (UTF-16's truncated data too)."""
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    return "".join(chr(0xDC00 + b) for b in exc.object[exc.start : exc.end]), exc.end


codecs.register_error("netlab-mark", _mark_undecodable)


def decode_marked(data: bytes, encoding: str) -> list[tuple[str, bool]]:
    """Decode for display: runs of (text, undecodable). Undecodable bytes come back as \\xNN."""
    text = data.decode(encoding, errors="netlab-mark")
    runs: list[tuple[str, bool]] = []
    for piece in re.split(r"([\udc80-\udcff]+)", text):
        if not piece:
            continue
        if "\udc80" <= piece[0] <= "\udcff":
            runs.append(("".join(f"\\x{ord(c) - 0xDC00:02x}" for c in piece), True))
        else:
            runs.append((piece, False))
    return runs


def decode_lossless(data: bytes, encoding: str) -> str:
    """Decoded text in which undecodable bytes read as \\xNN: never raises (and runs in C)."""
    return data.decode(encoding, errors="backslashreplace")


_CONTROL_ESCAPES = {"\r": "\\r", "\n": "\\n", "\t": "\\t", "\0": "\\0"}


# The same escapes as a str.translate table: one pass in C, where a regex calls back into Python for
# every control character (a log cell of binary data has dozens, on every repaint).
_CONTROL_TABLE = {code: _CONTROL_ESCAPES.get(chr(code), f"\\x{code:02x}") for code in (*range(0x20), 0x7F)}


def _visible(text: str) -> str:
    """Control characters as escapes, so a message shows what was typed and stays on one line."""
    return text.translate(_CONTROL_TABLE)


# A payload is binary when more than one byte in BINARY_SHARE can't be decoded, and at least
# BINARY_MIN bytes can't: a short message with a stray byte still reads as text.
BINARY_SHARE = 8
BINARY_MIN = 4
_UNDECODABLE = re.compile("[\udc80-\udcff]")


def preview(data: bytes, encoding: str = "utf-8", limit: int = 120) -> str:
    """One line of text for a table cell: control characters shown as escapes, cut at `limit`.

    Binary data shows every byte outside ASCII as \\xNN. Random bytes decoded as UTF-8 come out as
    a scatter of scripts (Arabic, Hebrew, NKo ...) that says nothing about the bytes, and shaping
    it, with a font looked up for each new script, made a repaint of the log take 10-30 ms during
    a flood of binary data (issue 8). Text with a stray undecodable byte still reads as text.
    """
    head = data[: limit * 4]
    undecodable = len(_UNDECODABLE.findall(head.decode(encoding, errors="surrogateescape")))
    binary = undecodable >= BINARY_MIN and undecodable * BINARY_SHARE > len(head)
    # Only what can show is escaped: each byte of binary data is at least one character, and an
    # escape never makes text shorter. Escaping all of the head made each new row of a binary flood
    # cost the log's repaint 0.1 ms (issue 8).
    text = (
        data[: limit + 1].decode("ascii", errors="backslashreplace")
        if binary
        else decode_lossless(head, encoding)
    )
    text = text[: limit + 1].translate(_CONTROL_TABLE)
    if len(text) > limit or len(head) < len(data):
        return text[:limit] + "…"
    return text


_PRINTABLE = bytes(range(0x20, 0x7F))
_ASCII_TABLE = bytes(b if b in _PRINTABLE else ord(".") for b in range(256))


def hexdump(data: bytes, limit: int | None = None) -> str:
    """Wireshark-style dump: 8-digit offset, 16 bytes as 8+8, then the ASCII column."""
    shown = data if limit is None else data[:limit]
    lines = []
    for offset in range(0, len(shown), 16):
        row = shown[offset : offset + 16]
        left, right = row[:8].hex(" "), row[8:].hex(" ")
        chars = row.translate(_ASCII_TABLE).decode("ascii")
        lines.append(f"{offset:08x}  {left:<23}  {right:<23}  {chars[:8]} {chars[8:]}".rstrip())
    if len(shown) < len(data):
        lines.append(f"… {len(data) - len(shown):,} more bytes not shown")
    return "\n".join(lines)


class PayloadKind(str, Enum):
    """How the send box's text is read: as text in an encoding, as hex digits, or as a file's path."""

    TEXT = "text"
    HEX = "hex"
    FILE = "file"


@dataclass(frozen=True)
class Payload:
    """What the user asked to send, as typed: text, hex or a file path (in `text`).

    Only the choices are checked here; whether the text makes bytes is checked when sending, so a
    half-typed payload can still be kept in a lab file or the workspace.
    """

    kind: PayloadKind = PayloadKind.TEXT
    text: str = ""
    encoding: str = "utf-8"
    eol: LineEnding = LineEnding.NONE
    escapes: bool = False

    def __post_init__(self) -> None:
        problems: list[FieldProblem] = []
        coerce_enum(self, "kind", PayloadKind, problems)
        coerce_enum(self, "eol", LineEnding, problems)
        problems += encoding_problems(self.encoding)
        raise_if(problems)

    def to_bytes(self) -> bytes:
        """The bytes to send; raises CodecError with plain words. Files are read by the engine."""
        if self.kind is PayloadKind.HEX:
            data = parse_hex(self.text)
            if not data:
                raise CodecError("There are no hex digits to send", "type bytes such as 48 65 6c 6c 6f")
            return data
        if self.kind is PayloadKind.TEXT:
            return encode_text(self.text, self.encoding, eol=self.eol, escapes=self.escapes)
        raise CodecError("A file is sent by the engine, not turned into bytes here", "use send_file()")
