"""The codec's words and edges, exactly as a user meets them: every refusal's message and hint,
the defaults, and the boundaries of previews and dumps (found by mutation testing)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from netlab.core.codec import (
    _CONTROL_TABLE,
    _UNDECODABLE,
    BINARY_MIN,
    BINARY_SHARE,
    CodecError,
    LineEnding,
    Payload,
    PayloadKind,
    decode_lossless,
    decode_marked,
    encode_text,
    hexdump,
    parse_hex,
    preview,
    text_for_bytes,
)
from netlab.core.config import ConfigError


def refusal(call: object) -> tuple[str, str]:
    with pytest.raises(CodecError) as caught:
        call()  # type: ignore[operator]
    return caught.value.message, caught.value.hint


@pytest.mark.parametrize(
    ("call", "message", "hint"),
    [
        (
            lambda: parse_hex("41 4g"),
            "'g' in '4g' is not a hex digit",
            "use only 0-9 and a-f, separated by spaces, colons or commas if you like",
        ),
        (
            lambda: parse_hex("41 4"),
            "'4' has an odd number of hex digits",
            "every byte needs two digits, e.g. 0A rather than A",
        ),
        (
            lambda: encode_text("ab\\x4", escapes=True),
            "'\\x4' at position 3 needs two hex digits",
            "write a byte as \\xNN, e.g. \\x0d",
        ),
        (
            lambda: encode_text("a\\xg0", escapes=True),
            "'\\xg0' at position 2 needs two hex digits",
            "write a byte as \\xNN, e.g. \\x0d",
        ),
        (
            lambda: encode_text("end\\", escapes=True),
            "The text ends with a lone backslash",
            "write \\\\ for a backslash, or turn off escapes",
        ),
        (
            lambda: encode_text("a\\q", escapes=True),
            "'\\q' at position 2 is not an escape NetLab knows",
            "use \\r \\n \\t \\0 \\\\ or \\xNN, or turn off escapes",
        ),
        (
            lambda: encode_text("中", "latin-1"),
            "'中' cannot be written in latin-1",
            "choose an encoding that has it, such as UTF-8, or send it as hex",
        ),
        (
            lambda: encode_text("a", "no-such-codec"),
            "Unknown encoding 'no-such-codec'",
            "choose one from the list",
        ),
        (
            lambda: Payload(kind=PayloadKind.HEX, text="  ").to_bytes(),
            "There are no hex digits to send",
            "type bytes such as 48 65 6c 6c 6f",
        ),
        (
            lambda: Payload(kind=PayloadKind.FILE, text="/tmp/x").to_bytes(),
            "A file is sent by the engine, not turned into bytes here",
            "use send_file()",
        ),
    ],
)
def test_every_refusal_says_what_and_how_to_fix_it(call: object, message: str, hint: str) -> None:
    assert refusal(call) == (message, hint)


def test_hex_separators_and_empty_tokens() -> None:
    assert parse_hex(",41,,42, 0x43:44") == b"ABCD"  # empty tokens between commas are skipped, not the end


def test_defaults_are_utf8_without_escapes() -> None:
    assert encode_text("é\\n") == b"\xc3\xa9\\n"  # backslash kept as typed unless escapes are on
    assert encode_text("a", eol=LineEnding.CRLF) == b"a\r\n"


def test_the_payload_uses_its_own_encoding() -> None:
    assert Payload(text="中", encoding="gbk").to_bytes() == "中".encode("gbk")
    assert Payload(text="a\\tb", encoding="utf-16-le", escapes=True).to_bytes() == b"a\x00\tb\x00"


def test_a_bad_payload_names_every_bad_field() -> None:
    with pytest.raises(ConfigError) as caught:
        Payload(kind="words", eol="cr", encoding="klingon")  # type: ignore[arg-type]
    assert [p.field for p in caught.value.problems] == ["kind", "eol", "encoding"]


def test_text_for_bytes_in_other_encodings_and_multibyte_controls() -> None:
    assert text_for_bytes(b"\xe9\x01", "latin-1") == ("é\\x01", True)
    assert text_for_bytes(b"\xc2\x85", "utf-8") == ("\\xc2\\x85", True)  # NEL: one character, two bytes


def test_marked_decoding_keeps_every_undecodable_byte() -> None:
    assert decode_marked(b"ok\xe4\xb8", "utf-8") == [("ok", False), ("\\xe4\\xb8", True)]
    assert decode_marked(b"\xffA\xfe", "utf-8") == [("\\xff", True), ("A", False), ("\\xfe", True)]
    assert decode_marked("中".encode("gbk") + b"\x80", "gbk") == [("中", False), ("\\x80", True)]


def test_lossless_decoding_shows_bad_bytes_as_escapes() -> None:
    assert decode_lossless(b"a\xffb", "utf-8") == "a\\xffb"


def test_preview_cuts_exactly_at_the_limit() -> None:
    assert preview(b"x" * 120) == "x" * 120
    assert preview(b"x" * 121) == "x" * 120 + "…"
    assert preview(b"abc", limit=3) == "abc"
    assert preview(b"abcd", limit=3) == "abc…"
    assert preview(b"a\r\n") == "a\\r\\n"
    assert preview("é".encode() * 10, limit=8) == "é" * 8 + "…"
    assert preview("é".encode("latin-1")) == "\\xe9"  # the default encoding is UTF-8
    # Only limit*4 bytes are decoded, so a huge payload costs nothing; what is cut is marked.
    assert preview(b"\x00" * 5 + b"z" * 2000, limit=5).endswith("…")


def test_hexdump_limits_and_the_ascii_column() -> None:
    data = bytes(range(0x41, 0x41 + 20))
    assert hexdump(data, limit=16).splitlines() == [
        "00000000  41 42 43 44 45 46 47 48  49 4a 4b 4c 4d 4e 4f 50  ABCDEFGH IJKLMNOP",
        "… 4 more bytes not shown",
    ]
    full, short = hexdump(data).splitlines()
    assert short.startswith("00000010  51 52 53 54 ") and short.endswith(" QRST")
    assert short.index("QRST") == full.index("ABCDEFGH")  # the ASCII column stays in its place


def test_binary_previews_as_escaped_bytes_and_text_with_a_stray_byte_as_text() -> None:
    # Random bytes as UTF-8 would be a scatter of scripts (slow to shape, and says nothing): escapes.
    binary = bytes([0xD7, 0xA7, 0x41, 0xFF, 0xD9, 0x9F, 0x42, 0x80, 0xFE, 0xC0])  # ק A \xff ٟ B ...
    assert preview(binary) == "\\xd7\\xa7A\\xff\\xd9\\x9fB\\x80\\xfe\\xc0"
    assert preview("naïve café".encode() + b"\xff") == "naïve café\\xff"
    # The line between them: more than one undecodable byte in 8, and at least 4 of them.
    assert preview("é".encode() + b"\xff" * 4 + b"a" * 26) == "é" + "\\xff" * 4 + "a" * 26
    assert preview("é".encode() + b"\xff" * 4 + b"a" * 25) == "\\xc3\\xa9" + "\\xff" * 4 + "a" * 25
    assert preview("é".encode() + b"\xff" * 3) == "é" + "\\xff" * 3
    assert preview("é".encode() + b"\xff" * 4) == "\\xc3\\xa9" + "\\xff" * 4
    assert preview("你好".encode("gbk"), "gbk") == "你好"  # valid text in the chosen encoding
    assert preview(bytes(range(0xA0, 0x100)), "latin-1") == bytes(range(0xA0, 0x100)).decode("latin-1")


def escaped_whole_head(data: bytes, encoding: str, limit: int) -> str:
    """preview() as it was before it escaped only what can show: every byte of the head."""
    head = data[: limit * 4]
    undecodable = len(_UNDECODABLE.findall(head.decode(encoding, errors="surrogateescape")))
    binary = undecodable >= BINARY_MIN and undecodable * BINARY_SHARE > len(head)
    text = head.decode("ascii", errors="backslashreplace") if binary else decode_lossless(head, encoding)
    text = text.translate(_CONTROL_TABLE)
    return text[:limit] + "…" if len(text) > limit or len(head) < len(data) else text


@given(
    st.one_of(st.binary(max_size=600), st.text(max_size=300).map(str.encode)),
    st.sampled_from(["utf-8", "latin-1", "gbk"]),
    st.integers(1, 130),
)
def test_preview_escapes_only_what_shows_and_says_the_same(data: bytes, encoding: str, limit: int) -> None:
    assert preview(data, encoding, limit) == escaped_whole_head(data, encoding, limit)
