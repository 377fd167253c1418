"""Payload variables: parsing, rendering on every send, and plain-words errors."""

from __future__ import annotations

import random
import re
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from netlab.core.checksum import Algorithm, Checksum
from netlab.core.codec import CodecError, LineEnding, Payload
from netlab.core.sendbox import SendBox, send_bytes
from netlab.core.variables import (
    Expander,
    Literal,
    Variable,
    VariableError,
    convert_template,
    has_variables,
    parse,
    payload_bytes,
    template_of,
)

NOON = 1_700_000_000.0


def render(template: str, sends: int = 1, **kw: object) -> bytes:
    expander = Expander(rng=random.Random(1), clock=NOON)
    out = b""
    for _ in range(sends):
        out = expander.render(parse(template), **kw)  # type: ignore[arg-type]
    return out


@pytest.mark.parametrize(
    ("template", "sends", "expected"),
    [
        ("ping {counter}", 1, b"ping 1"),
        ("ping {counter}", 3, b"ping 3"),
        ("{seq}", 1, b"0"),
        ("{seq}", 4, b"3"),
        ("{counter:4}", 7, b"0007"),
        ("{seq:3}", 1, b"000"),
        ("a{hex:0d 0a}b", 1, b"a\r\nb"),
        ("{{literal}}", 1, b"{literal}"),
        ("to {peer}", 1, b"to 10.0.0.1:5"),
        ("}", 1, b"}"),
        ("", 1, b""),
    ],
)
def test_render(template: str, sends: int, expected: bytes) -> None:
    assert render(template, sends, peer="10.0.0.1:5") == expected


def test_time_date_and_random_have_their_shapes() -> None:
    text = render("{date} {time} {random:6}").decode()
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \d{6}", text)


def test_random_changes_between_sends() -> None:
    expander = Expander()
    pieces = parse("{random:12}")
    assert expander.render(pieces) != expander.render(pieces)


def test_escapes_and_line_ending_apply_to_the_literal_text() -> None:
    assert render(r"a\t{counter}", escapes=True, eol=LineEnding.CRLF) == b"a\t1\r\n"
    assert render(r"a\t{counter}") == b"a\\t1"


def test_encoding_applies_to_text_and_variables() -> None:
    assert render("é{counter}", encoding="utf-16-le") == "é1".encode("utf-16-le")


@pytest.mark.parametrize(
    ("template", "words", "position"),
    [
        ("x {foo}", "is not a variable", 2),
        ("x {counter", "never closed", 2),
        ("{random}", "needs a number of digits", 0),
        ("{random:0}", "needs a number of digits", 0),
        ("{random:x}", "needs a number of digits", 0),
        ("{counter:abc}", "needs a width", 0),
        ("{hex:zz}", "not a hex digit", 0),
        ("{hex:}", "no hex digits", 0),
        ("{time:5}", "is not a variable", 0),
        ('{"a": 1}', "is not a variable", 0),
    ],
)
def test_bad_variables_say_what_and_where(template: str, words: str, position: int) -> None:
    with pytest.raises(VariableError) as caught:
        parse(template)
    assert words in caught.value.message
    assert caught.value.hint
    assert caught.value.position == position
    assert isinstance(caught.value, CodecError)  # every send box already shows these at the field


def test_payload_bytes_expands_text_only_when_asked() -> None:
    expander = Expander()
    text = Payload("text", "n={counter}")
    assert payload_bytes(text, expander) == b"n=1"
    assert payload_bytes(text, expander) == b"n=2"
    assert payload_bytes(text, None) == b"n={counter}"
    assert payload_bytes(Payload("hex", "41 42"), expander) == b"AB"
    assert payload_bytes(Payload("hex", "41 {counter}"), expander) == b"A\x04"  # the fourth send


@pytest.mark.parametrize(
    ("template", "sends", "expected"),
    [
        ("01 03 {counter}", 1, b"\x01\x03\x01"),
        ("{counter}", 3, b"\x03"),
        ("{counter:0}", 2, b"\x02"),
        ("{counter:2}", 3, b"\x00\x03"),
        ("{seq:2}", 3, b"\x00\x02"),
        ("{seq}", 1, b"\x00"),
        ("{counter}", 256, b"\x00"),  # one byte wraps round after 255
        ("{counter:2}", 257, b"\x01\x01"),
        ("aa{hex:0d0a}bb", 1, b"\xaa\r\n\xbb"),
        ("{date}", 1, time.strftime("%Y-%m-%d", time.localtime(NOON)).encode()),
        ("{time}", 1, time.strftime("%H:%M:%S", time.localtime(NOON)).encode()),
        ("{peer}", 1, b"10.0.0.1:5"),
        ("{{", 1, None),
        ("", 1, b""),
    ],
)
def test_hex_payloads_take_binary_variables(template: str, sends: int, expected: bytes | None) -> None:
    if expected is None:
        with pytest.raises(CodecError):
            render(template, sends, hex_mode=True, peer="10.0.0.1:5")
        return
    assert render(template, sends, hex_mode=True, peer="10.0.0.1:5") == expected


def test_random_in_hex_is_n_random_bytes_and_in_text_n_digits() -> None:
    data = render("{random:300}", hex_mode=True)
    assert len(data) == 300
    assert set(data) - set(b"0123456789")  # bytes, not digits (300 digits in a row: never)
    digits = render("{random:300}")
    assert len(digits) == 300 and set(digits) <= set(b"0123456789")
    assert len(set(digits)) > 1


def test_payload_bytes_hex_counts_on() -> None:
    expander = Expander()
    box = Payload("hex", "ff {counter}")
    assert [payload_bytes(box, expander) for _ in range(3)] == [b"\xff\x01", b"\xff\x02", b"\xff\x03"]
    with pytest.raises(CodecError, match="hex digit"):
        payload_bytes(box, None)  # without variables the braces are just bad hex
    assert payload_bytes(Payload("hex", "00 {peer}"), expander, "[::1]:7") == b"\x00[::1]:7"


def test_send_bytes_fills_in_variables_then_appends_the_checksum() -> None:
    box = SendBox(Payload("text", "n={counter}"), checksum=Checksum(Algorithm.SUM8))
    expander = Expander()
    first, second = send_bytes(box, expander), send_bytes(box, expander)
    assert first == b"n=1" + bytes([sum(b"n=1") & 0xFF])
    assert second == b"n=2" + bytes([sum(b"n=2") & 0xFF])
    assert send_bytes(SendBox(Payload("text", "n={counter}"), variables=False), expander) == b"n={counter}"
    assert send_bytes(SendBox(Payload("text", "n={counter}")), None) == b"n={counter}"
    off = SendBox(Payload("text", "x"), checksum=Checksum(Algorithm.SUM8, append=False))
    assert send_bytes(off, expander) == b"x"


@given(st.text().filter(lambda t: "{" not in t and "}" not in t))
def test_text_without_braces_is_sent_as_typed(text: str) -> None:
    assert payload_bytes(Payload("text", text), Expander()) == text.encode()


@given(st.binary(max_size=40))
def test_hex_without_braces_is_sent_as_typed(data: bytes) -> None:
    assert payload_bytes(Payload("hex", data.hex(" ")), Expander()) == data


def test_has_variables() -> None:
    assert has_variables("a {counter}")
    assert not has_variables("a {{counter}}")


names = st.sampled_from(["counter", "seq", "time", "date", "peer"])
variables = st.one_of(
    names.map(Variable),
    st.tuples(st.sampled_from(["counter", "seq"]), st.integers(1, 20)).map(
        lambda t: Variable(t[0], str(t[1]))
    ),
    st.integers(1, 500).map(lambda n: Variable("random", str(n))),
    st.binary(min_size=1, max_size=8).map(lambda b: Variable("hex", b.hex())),
)
pieces_lists = st.lists(st.one_of(st.text(min_size=1).map(Literal), variables), max_size=8)


def merged(pieces: list[Literal | Variable]) -> tuple[Literal | Variable, ...]:
    """Adjacent literals read back as one."""
    out: list[Literal | Variable] = []
    for piece in pieces:
        if isinstance(piece, Literal) and out and isinstance(out[-1], Literal):
            out[-1] = Literal(out[-1].text + piece.text)
        else:
            out.append(piece)
    return tuple(out)


@given(pieces_lists)
def test_parse_reads_back_what_template_of_writes(pieces: list[Literal | Variable]) -> None:
    assert parse(template_of(tuple(pieces))) == merged(pieces)


@given(st.text())
def test_parse_never_fails_other_than_with_a_variable_error(text: str) -> None:
    try:
        parsed = parse(text)
    except VariableError as exc:
        assert exc.message and exc.hint and 0 <= exc.position < len(text)
    else:
        assert parse(template_of(parsed)) == parsed


@given(st.text().filter(lambda t: "{" not in t and "}" not in t))
def test_text_without_braces_is_one_literal(text: str) -> None:
    assert parse(text) == ((Literal(text),) if text else ())


def test_auto_reply_rules_fill_in_the_same_variables() -> None:
    from netlab.core.autoreply import MatchKind, Rule
    from netlab.core.config import ConfigError

    rule = Rule(MatchKind.EXACT, "ping", r"pong {counter:3} {hex:2a}\n")
    assert rule.reply_bytes(peer="p", counter=7, encoding="utf-8") == b"pong 007 *\n"
    with pytest.raises(ConfigError) as caught:
        Rule(MatchKind.EXACT, "ping", "pong {nope}")
    assert caught.value.problems[0].field == "reply"
    assert "is not a variable" in caught.value.problems[0].message


@given(st.text(max_size=40), st.sampled_from(["text", "hex"]))
def test_any_send_box_text_makes_bytes_or_a_plain_codec_error(text: str, kind: str) -> None:
    try:
        data = payload_bytes(Payload(kind, text), Expander())
    except CodecError as exc:
        assert exc.message and exc.hint
    else:
        assert isinstance(data, bytes)


@pytest.mark.parametrize(
    ("text", "hex_text"),
    [
        ("ping {counter} ok", "70 69 6e 67 20 {counter} 20 6f 6b"),
        ("{seq:3}|{time}", "{seq:3} 7c {time}"),
        ("{{x}} {random:2}", "7b 78 7d 20 {random:2}"),
        ("{hex:0d0a}", "{hex:0d0a}"),
    ],
)
def test_text_and_hex_turn_into_each_other_and_keep_their_variables(text: str, hex_text: str) -> None:
    assert convert_template(text, to_hex=True, encoding="utf-8", escapes=False) == (hex_text, False)
    assert convert_template(hex_text, to_hex=False, encoding="utf-8", escapes=False) == (text, False)


def test_one_piece_that_needs_escapes_turns_escapes_on_for_every_piece() -> None:
    text, escapes = convert_template("01 5c {counter} 41 0a", to_hex=False, encoding="utf-8", escapes=False)
    assert (text, escapes) == ("\\x01\\\\{counter}A\\n", True)
    assert convert_template(text, to_hex=True, encoding="utf-8", escapes=True) == (
        "01 5c {counter} 41 0a",
        True,
    )


def test_converting_a_bad_template_says_why() -> None:
    with pytest.raises(VariableError, match="never closed"):
        convert_template("ping {counter", to_hex=True, encoding="utf-8", escapes=False)
    with pytest.raises(CodecError):
        convert_template("zz {counter}", to_hex=False, encoding="utf-8", escapes=False)
