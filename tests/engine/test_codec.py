"""Hex and escape parsing, encodings, hexdump and previews: what the user types becomes the right bytes."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from netlab.core.codec import (
    ENCODINGS,
    CodecError,
    LineEnding,
    Payload,
    decode_lossless,
    decode_marked,
    encode_text,
    hexdump,
    parse_hex,
    preview,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("48 65 6c 6c 6f", b"Hello"),
        ("48656c6c6f", b"Hello"),
        ("48:65:6C:6c:6F", b"Hello"),
        ("0x48, 0x65,0x6c", b"Hel"),
        ("0X48 0x65\n6c\t6c", b"Hell"),
        ("  ", b""),
        ("00 ff", b"\x00\xff"),
        ("4865;6c", b"Hel"),
    ],
)
def test_parse_hex_accepts_what_people_paste(text: str, expected: bytes) -> None:
    assert parse_hex(text) == expected


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("48 6", "odd number of hex digits"),
        ("123", "odd number of hex digits"),
        ("0x4", "odd number of hex digits"),
        ("48 zz", "'z' in 'zz' is not a hex digit"),
        ("48 6g", "'g' in '6g' is not a hex digit"),
        ("0xx1", "not a hex digit"),
    ],
)
def test_parse_hex_explains_bad_digits(text: str, words: str) -> None:
    with pytest.raises(CodecError) as caught:
        parse_hex(text)
    assert words in caught.value.message
    assert caught.value.hint


@given(st.binary(), st.sampled_from([" ", ":", ",", ", ", "\n", ""]), st.booleans())
def test_parse_hex_round_trips_any_bytes(data: bytes, separator: str, prefix: bool) -> None:
    text = separator.join(("0x" if prefix else "") + f"{b:02x}" for b in data)
    if not separator and prefix:
        text = "".join(f"0x{b:02x} " for b in data)
    assert parse_hex(text) == data


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (r"a\r\nb", b"a\r\nb"),
        (r"\t\0\\", b"\t\0\\"),
        (r"\x00\xFFz", b"\x00\xffz"),
        (r"é\x41", "é".encode() + b"A"),
        ("plain", b"plain"),
    ],
)
def test_escapes(text: str, expected: bytes) -> None:
    assert encode_text(text, escapes=True) == expected


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("abc\\", "lone backslash"),
        (r"\q", "'\\q' at position 1 is not an escape"),
        (r"\x4", "needs two hex digits"),
        (r"\xZZ", "needs two hex digits"),
    ],
)
def test_bad_escapes_are_explained(text: str, words: str) -> None:
    with pytest.raises(CodecError) as caught:
        encode_text(text, escapes=True)
    assert words in caught.value.message


@given(st.text().filter(lambda t: "\\" not in t))
def test_text_without_backslashes_encodes_as_is(text: str) -> None:
    assert encode_text(text, "utf-8", escapes=True) == text.encode("utf-8", "surrogatepass") or any(
        0xD800 <= ord(c) <= 0xDFFF for c in text
    )


def test_unencodable_text_is_explained() -> None:
    with pytest.raises(CodecError) as caught:
        encode_text("中文", "latin-1")
    assert "cannot be written in latin-1" in caught.value.message


@pytest.mark.parametrize(
    ("eol", "tail"), [(LineEnding.NONE, b""), (LineEnding.LF, b"\n"), (LineEnding.CRLF, b"\r\n")]
)
def test_line_endings(eol: LineEnding, tail: bytes) -> None:
    assert encode_text("hi", eol=eol) == b"hi" + tail


@pytest.mark.parametrize("name", list(ENCODINGS))
def test_every_encoding_round_trips_its_own_text(name: str) -> None:
    codec = ENCODINGS[name]
    text = {"GBK": "中文", "GB18030": "中文", "Big5": "中文", "Latin-1": "café", "ASCII": "hi"}.get(
        name, "中é"
    )
    assert decode_lossless(text.encode(codec), codec) == text


def test_gbk_bytes_read_as_gbk() -> None:
    assert decode_lossless(b"\xc4\xe3\xba\xc3", "gbk") == "你好"


@given(st.binary(), st.sampled_from(list(ENCODINGS.values())))
def test_decoding_never_raises(data: bytes, codec: str) -> None:
    runs = decode_marked(data, codec)
    assert all(isinstance(text, str) for text, _ in runs)


def test_undecodable_bytes_are_marked() -> None:
    assert decode_marked(b"ok\xff\xfeok", "utf-8") == [("ok", False), ("\\xff\\xfe", True), ("ok", False)]


def test_hexdump_is_wireshark_style() -> None:
    dump = hexdump(b"Hello, world!\r\n\x00\x01ABC")
    assert dump.splitlines() == [
        "00000000  48 65 6c 6c 6f 2c 20 77  6f 72 6c 64 21 0d 0a 00  Hello, w orld!...",
        "00000010  01 41 42 43                                       .ABC",
    ]


def test_hexdump_limit_says_what_is_hidden() -> None:
    assert hexdump(bytes(100), limit=32).splitlines()[-1] == "… 68 more bytes not shown"


def test_preview_escapes_control_characters_and_cuts() -> None:
    assert preview(b"GET / HTTP/1.1\r\n\x01") == "GET / HTTP/1.1\\r\\n\\x01"
    assert preview(b"a" * 500, limit=10) == "a" * 10 + "…"


def test_payload_hex_and_text() -> None:
    assert Payload("hex", "de ad").to_bytes() == b"\xde\xad"
    assert Payload("text", r"hi\n", escapes=True, eol=LineEnding.CRLF).to_bytes() == b"hi\n\r\n"
    with pytest.raises(CodecError, match="no hex digits"):
        Payload("hex", " ").to_bytes()


def test_hex_errors_show_control_characters_as_escapes() -> None:
    with pytest.raises(CodecError) as caught:
        parse_hex("41 \x00\x01")
    assert caught.value.message == "'\\0' in '\\0\\x01' is not a hex digit"
