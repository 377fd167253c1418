"""Hex -> text in the send box: the text shown always sends exactly the same bytes."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from netlab.core.codec import ENCODINGS, encode_text, text_for_bytes


@pytest.mark.parametrize(
    ("data", "encoding", "text", "escapes"),
    [
        (b"hello", "utf-8", "hello", False),
        (b"two\nlines\tand a tab", "utf-8", "two\nlines\tand a tab", False),
        (b"GET / HTTP/1.1\r\n", "utf-8", "GET / HTTP/1.1\\r\\n", True),
        (b"a\\b\x00", "utf-8", "a\\\\b\\0", True),
        (b"\xffok", "utf-8", "\\xffok", True),
        ("中文".encode("gbk"), "gbk", "中文", False),
        (b"\x1b[0m", "latin-1", "\\x1b[0m", True),
    ],
)
def test_bytes_become_the_text_a_person_would_type(
    data: bytes, encoding: str, text: str, escapes: bool
) -> None:
    assert text_for_bytes(data, encoding) == (text, escapes)


@given(st.binary(max_size=64), st.sampled_from(sorted(set(ENCODINGS.values()))))
def test_the_text_shown_sends_the_same_bytes(data: bytes, encoding: str) -> None:
    text, escapes = text_for_bytes(data, encoding)
    assert encode_text(text, encoding, escapes=escapes) == data
