"""HTTP form helpers, exactly: every URL and header problem with the field, message and hint the form
shows, and the small helpers the tab and its downloads lean on (headers by name, body views, sizes)."""

from __future__ import annotations

import pytest

from netlab.http.form import (
    has_header,
    header_dict,
    header_problems,
    human_size,
    json_problems,
    looks_like,
    url_problems,
)
from netlab.http.form_config import NameValue


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("  ", ("proxy", "The proxy is empty", "type one such as http://127.0.0.1:8000/get")),
        (
            "http://127.0.0.1:x/",
            (
                "proxy",
                "'http://127.0.0.1:x/' is not a valid proxy (Port could not be cast to integer value as 'x')",
                "check the port after the colon",
            ),
        ),
        (
            "ftp://h/",
            (
                "proxy",
                "'ftp://h/' is not a valid proxy: it must start with http:// or https://",
                "e.g. http://127.0.0.1:8000/get",
            ),
        ),
        (
            "https://:80/",
            ("proxy", "'https://:80/' is not a valid proxy: it names no host", "e.g. http://127.0.0.1/"),
        ),
        (
            "http://h/a b",
            ("proxy", "The proxy contains a space", "write it as %20, or put it in the query table"),
        ),
        (
            "http://127.0.0.1:0/",
            ("proxy", "Port 0 in 'http://127.0.0.1:0/' cannot be connected to", "use 1 to 65535"),
        ),
    ],
)
def test_each_url_problem_names_the_field_and_says_what_to_do(
    url: str, problem: tuple[str, str, str]
) -> None:
    assert [(p.field, p.message, p.hint) for p in url_problems(url, "proxy", "proxy")] == [problem]


def test_a_bad_host_is_reported_on_the_field_that_holds_it() -> None:
    (problem,) = url_problems("http://bad_host!:8080/", field="proxy", what="proxy")
    assert (
        problem.field == "proxy" and "'bad_host!' is neither an IP address nor a host name" in problem.message
    )
    assert [p.field for p in url_problems("http://bad_host!/")] == ["url"]
    assert url_problems("http://127.0.0.1:8000/") == []


@pytest.mark.parametrize(
    ("rows", "problem"),
    [
        (
            [NameValue("", ""), NameValue("Bad Name", "x")],
            ("'Bad Name' is not a valid header name", "use letters, digits and - only, e.g. X-Lab-Id"),
        ),
        (
            [NameValue("", "orphan value")],
            ("'' is not a valid header name", "use letters, digits and - only, e.g. X-Lab-Id"),
        ),
        ([NameValue("X-A", "one\rtwo")], ("The value of X-A has a line break", "keep it on one line")),
        ([NameValue("X-A", "one\ntwo")], ("The value of X-A has a line break", "keep it on one line")),
    ],
)
def test_header_rows_are_checked_past_blank_ones(rows: list[NameValue], problem: tuple[str, str]) -> None:
    assert [(p.field, p.message, p.hint) for p in header_problems(rows)] == [("headers", *problem)]


def test_good_header_rows_pass() -> None:
    assert header_problems([NameValue("X-Lab-Id", "7"), NameValue("Accept", "")]) == []


def test_invalid_json_says_where_and_how_to_send_it_anyway() -> None:
    (problem,) = json_problems("[1,", field="payload")
    assert (problem.field, problem.message, problem.hint) == (
        "payload",
        "The JSON body is not valid at line 1, column 4: Expecting value",
        "fix it there, or choose the Raw body to send the text as it is",
    )
    assert json_problems('{"a": [1, 2]}') == []


def test_headers_by_name() -> None:
    rows = [
        NameValue("Accept", "a"),
        NameValue("", "x"),
        NameValue("Accept", "b"),
        NameValue("content-TYPE", "t"),
    ]
    assert header_dict(rows) == {"Accept": "b", "content-TYPE": "t"}
    assert has_header(rows, "Content-Type") and has_header(rows, "ACCEPT")
    assert not has_header(rows, "Authorization") and not has_header([], "Accept")


@pytest.mark.parametrize(
    ("content_type", "data", "view"),
    [
        ("", b"\n  <html><body>hi</body></html>", "html"),
        ("", b"<HTML>", "html"),
        ("", b"<!doctype html>", "html"),
        ("", b"<p>hi</p>", "text"),
        ("", b'{"a": 1}', "json"),
        ("application/problem+json", b"not json", "json"),
        ("Image/PNG", b"", "image"),
        ("text/plain", b"<html>", "html"),
        ("TEXT/HTML; charset=utf-8", b"", "html"),
    ],
)
def test_a_body_is_first_shown_by_its_type_or_its_first_bytes(
    content_type: str, data: bytes, view: str
) -> None:
    assert looks_like(content_type, data) == view


@pytest.mark.parametrize(
    ("count", "text"),
    [
        (0, "0 bytes"),
        (999, "999 bytes"),
        (999_000, "999.0 kB"),
        (1_000_000, "1.0 MB"),
        (2_500_000_000, "2.5 GB"),
        (5 * 10**12, "5000.0 GB"),
    ],
)
def test_sizes_in_decimal_units_up_to_gigabytes(count: int, text: str) -> None:
    assert human_size(count) == text
