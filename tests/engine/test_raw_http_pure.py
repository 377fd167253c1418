"""Raw HTTP pure parts: line ends, Content-Length, Fill from URL, templates, reading responses."""

from __future__ import annotations

import gzip
import sys
import types
import zlib

import pytest

from netlab.core.config import ConfigError
from netlab.core.problem import Problem
from netlab.http import raw
from netlab.http.raw_config import RawHttpConfig


def test_to_crlf_turns_every_line_end_into_crlf() -> None:
    assert raw.to_crlf("a\nb\r\nc\rd") == "a\r\nb\r\nc\r\nd"


def test_request_bytes_converts_and_fixes_length_only_when_asked() -> None:
    text = "POST / HTTP/1.1\nHost: h\nContent-Length: 99\n\nhello"
    assert raw.request_bytes(text, crlf=True, auto_length=True) == (
        b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello"
    )
    assert raw.request_bytes(text, crlf=False, auto_length=False) == text.encode()
    assert raw.request_bytes(text, crlf=False, auto_length=True) == (
        b"POST / HTTP/1.1\nHost: h\nContent-Length: 5\n\nhello"
    )


def test_content_length_counts_bytes_not_characters_and_leaves_requests_without_one() -> None:
    assert raw.update_content_length("PUT / HTTP/1.1\r\ncontent-length:1\r\n\r\né".encode()).endswith(
        b"content-length: 2\r\n\r\n\xc3\xa9"
    )
    plain = b"GET / HTTP/1.1\r\nHost: h\r\n\r\n"
    assert raw.update_content_length(plain) == plain
    assert raw.update_content_length(b"GET / HTTP/1.1") == b"GET / HTTP/1.1"
    # A request line that merely contains the word is not a header.
    odd = b"Content-Length: x / HTTP/1.1\r\n\r\nab"
    assert raw.update_content_length(odd) == odd


def test_parse_url_gives_host_port_tls_target_and_host_header() -> None:
    assert raw.parse_url("https://example.org/a?b=1") == raw.UrlTarget(
        "example.org", 443, True, "/a?b=1", "example.org"
    )
    assert raw.parse_url("127.0.0.1:8080") == raw.UrlTarget("127.0.0.1", 8080, False, "/", "127.0.0.1:8080")
    assert raw.parse_url("http://[::1]:81/x") == raw.UrlTarget("::1", 81, False, "/x", "[::1]:81")
    for bad in ("ftp://x/", "http://host:99999/", "http:///path"):
        result = raw.parse_url(bad)
        assert isinstance(result, Problem) and result.hint


def test_fill_from_url_sets_target_and_host_and_keeps_the_rest() -> None:
    url = raw.parse_url("http://127.0.0.1:9000/new")
    assert isinstance(url, raw.UrlTarget)
    filled = raw.fill_from_url("POST /old HTTP/1.1\r\nhost: x\r\nA: b\r\n\r\nbody", url)
    assert filled == "POST /new HTTP/1.1\r\nHost: 127.0.0.1:9000\r\nA: b\r\n\r\nbody"
    assert raw.fill_from_url("GET / HTTP/1.0\n\n", url) == "GET /new HTTP/1.0\nHost: 127.0.0.1:9000\n\n"
    assert raw.fill_from_url("", url) == "GET /new HTTP/1.1\nHost: 127.0.0.1:9000\n\n"


def test_templates_cover_the_lessons_and_parse_as_http() -> None:
    names = raw.templates("h:1")
    for name in ("GET", "HEAD", "OPTIONS", "POST form", "POST JSON", "PUT", "DELETE", "Chunked upload"):
        assert name in names
    assert "\r\n" not in names["Broken: bare LF line ends"]
    assert "Host:" not in names["Broken: no Host header"]
    wrong = names["Broken: wrong Content-Length"].encode()
    assert b"Content-Length: 40" in wrong and len(wrong.partition(b"\r\n\r\n")[2]) != 40
    assert names["Two pipelined requests"].count("HTTP/1.1") == 2
    # Correct templates' Content-Length already matches, so auto-update changes nothing.
    for name in ("POST form", "POST JSON", "PUT"):
        data = names[name].encode()
        assert raw.update_content_length(data) == data


OK = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=latin-1\r\nContent-Length: 2\r\n\r\n\xe9!"


def test_read_one_response_with_status_headers_and_charset() -> None:
    reading = raw.read_responses(OK)
    assert reading.problem == ""
    (response,) = reading.responses
    assert response.status_line == "HTTP/1.1 200 OK"
    assert response.status == 200 and response.complete
    assert response.header("content-length") == "2"
    assert response.charset == "latin-1"
    assert raw.body_text(response.body, response.charset) == "é!"


def test_chunked_and_gzip_bodies_are_decoded() -> None:
    packed = gzip.compress(b"hello world")
    chunked = b"%x\r\n%s\r\n0\r\n\r\n" % (len(packed), packed)
    data = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Encoding: gzip\r\n\r\n" + chunked
    (response,) = raw.read_responses(data).responses
    assert response.body == b"hello world"


def test_deflate_with_and_without_zlib_wrapper() -> None:
    assert raw.decode_body(zlib.compress(b"abc"), "deflate") == (b"abc", "")
    bare = zlib.compressobj(wbits=-15)
    assert raw.decode_body(bare.compress(b"abc") + bare.flush(), "deflate") == (b"abc", "")
    body, problem = raw.decode_body(b"not gzip", "gzip")
    assert body == b"not gzip" and "does not decompress" in problem
    assert raw.decode_body(b"x", "compress")[1].startswith("the body uses the 'compress'")
    assert raw.decode_body(b"x", "identity") == (b"x", "")


def test_brotli_is_decoded_or_said_to_be_missing() -> None:
    try:
        import brotli  # type: ignore[import-not-found]
    except ImportError:
        assert "brotli package is not installed" in raw.decode_body(b"x", "br")[1]
    else:
        assert raw.decode_body(brotli.compress(b"abc"), "br") == (b"abc", "")


def test_body_until_close_and_pipelined_responses() -> None:
    (response,) = raw.read_responses(b"HTTP/1.0 200 OK\r\n\r\nuntil close").responses
    assert response.body == b"until close" and response.complete
    two = OK + b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"
    reading = raw.read_responses(two, ("GET", "GET"))
    assert [r.status for r in reading.responses] == [200, 404] and reading.problem == ""


def test_head_response_has_no_body_despite_content_length() -> None:
    data = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n"
    (response,) = raw.read_responses(data, ("HEAD",)).responses
    assert response.body == b"" and response.complete


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", "No response arrived"),
        (b"HTTP/1.1 200 OK\r\nContent", "ended before its status line"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nabc", "ended before its body"),
        (b"SSH-2.0-OpenSSH_9.6\r\n\r\n", "not valid HTTP"),
        (b"SSH-2.0-OpenSSH_9.6\r\n", "not valid HTTP: a response starts with 'HTTP/'"),
        (b"HTT", "ended before its status line"),
        (b"HTTP/1.1 200 OK\r\nBad Header\r\n\r\n", "not valid HTTP"),
    ],
)
def test_invalid_responses_say_what_is_wrong_in_one_line(data: bytes, words: str) -> None:
    reading = raw.read_responses(data)
    assert words in reading.problem and "\n" not in reading.problem


def test_incomplete_body_is_kept_as_far_as_it_came() -> None:
    reading = raw.read_responses(b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nabc", closed=False)
    (response,) = reading.responses
    assert response.body == b"abc" and not response.complete


def test_pretty_json_and_text_fallbacks() -> None:
    assert raw.pretty_json(b'{"a":[1,2]}') == '{\n  "a": [\n    1,\n    2\n  ]\n}'
    assert raw.pretty_json(b"not json") is None
    assert raw.body_text(b"\xff", "no-such-charset") == "\\xff"


def test_config_defaults_and_refusals() -> None:
    config = RawHttpConfig()
    assert config.crlf and config.auto_length and config.verify and config.cap == 100 * 1024 * 1024
    with pytest.raises(ConfigError) as caught:
        RawHttpConfig(host="", port=0, timeout=0, cap=1, request=" ", sni="bad name!")
    assert {p.field for p in caught.value.problems} == {"host", "port", "timeout", "cap", "request", "sni"}


# The exact teaching texts: a changed byte in a template is a changed lesson.
TEMPLATES = {
    "Broken: bare LF line ends": "GET / HTTP/1.1\nHost: h:1\nConnection: close\n\n",
    "Broken: no Host header": "GET / HTTP/1.1\r\nConnection: close\r\n\r\n",
    "Broken: wrong Content-Length": "POST /form HTTP/1.1\r\n"
    "Host: h:1\r\n"
    "Content-Length: 40\r\n"
    "Connection: close\r\n"
    "\r\n"
    "name=Ada&lang=en",
    "Chunked upload": "POST /upload HTTP/1.1\r\n"
    "Host: h:1\r\n"
    "Transfer-Encoding: chunked\r\n"
    "Content-Type: text/plain\r\n"
    "Connection: close\r\n"
    "\r\n"
    "5\r\n"
    "Hello\r\n"
    "7\r\n"
    ", world\r\n"
    "0\r\n"
    "\r\n",
    "Connection: close": "GET / HTTP/1.1\r\nHost: h:1\r\nConnection: close\r\n\r\n",
    "DELETE": "DELETE /item/1 HTTP/1.1\r\nHost: h:1\r\nConnection: close\r\n\r\n",
    "GET": "GET / HTTP/1.1\r\nHost: h:1\r\nConnection: close\r\n\r\n",
    "HEAD": "HEAD / HTTP/1.1\r\nHost: h:1\r\nConnection: close\r\n\r\n",
    "Keep-alive": "GET / HTTP/1.1\r\nHost: h:1\r\nConnection: keep-alive\r\n\r\n",
    "OPTIONS": "OPTIONS * HTTP/1.1\r\nHost: h:1\r\nConnection: close\r\n\r\n",
    "POST JSON": "POST /json HTTP/1.1\r\n"
    "Host: h:1\r\n"
    "Content-Type: application/json\r\n"
    "Connection: close\r\n"
    "Content-Length: 29\r\n"
    "\r\n"
    '{"name": "Ada", "lang": "en"}',
    "POST form": "POST /form HTTP/1.1\r\n"
    "Host: h:1\r\n"
    "Content-Type: application/x-www-form-urlencoded\r\n"
    "Connection: close\r\n"
    "Content-Length: 16\r\n"
    "\r\n"
    "name=Ada&lang=en",
    "PUT": "PUT /item/1 HTTP/1.1\r\n"
    "Host: h:1\r\n"
    "Content-Type: text/plain\r\n"
    "Connection: close\r\n"
    "Content-Length: 8\r\n"
    "\r\n"
    "new text",
    "Two pipelined requests": "GET /one HTTP/1.1\r\n"
    "Host: h:1\r\n"
    "\r\n"
    "GET /two HTTP/1.1\r\n"
    "Host: h:1\r\n"
    "Connection: close\r\n"
    "\r\n",
}


def test_templates_are_exactly_the_lessons() -> None:
    assert raw.templates("h:1") == TEMPLATES
    assert raw.templates()["GET"].startswith("GET / HTTP/1.1\r\nHost: 127.0.0.1:8000\r\n")


# ---------------------------------------------------------------- cases the editor and parsed view rely on
def test_set_content_length_counts_the_body_as_it_will_be_sent() -> None:
    text = "POST / HTTP/1.1\r\nContent-Length: 1\r\n\r\nab\ncd"
    assert raw.set_content_length(text, crlf=True) == text.replace(": 1", ": 6")  # LF goes out as CR LF
    assert raw.set_content_length(text, crlf=False) == text.replace(": 1", ": 5")
    lf = "POST / HTTP/1.1\nContent-Length: 0\n\nx\ny\u00fc"
    assert raw.set_content_length(lf, crlf=True) == lf.replace(": 0", ": 6")  # bytes, not characters
    assert raw.set_content_length(lf, crlf=False) == lf.replace(": 0", ": 5")
    assert (
        raw.set_content_length("GET / HTTP/1.1\r\nHost: a\r\n", crlf=True) == "GET / HTTP/1.1\r\nHost: a\r\n"
    )
    no_length = "POST / HTTP/1.1\r\nHost: a\r\n\r\nbody"
    assert raw.set_content_length(no_length, crlf=True) == no_length


def test_the_first_empty_line_ends_the_head_and_the_rest_is_body() -> None:
    crlf = b"POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\nA\r\n\r\nB"
    assert raw.update_content_length(crlf).startswith(b"POST / HTTP/1.1\r\nContent-Length: 6\r\n")
    lf = b"POST / HTTP/1.1\nContent-Length: 0\n\nA\n\nB"
    assert raw.update_content_length(lf).startswith(b"POST / HTTP/1.1\nContent-Length: 4\n")
    # A bare-LF empty line before the CRLF one ends the head there (and the other way round).
    early_lf = b"\n\nPOST\r\nContent-Length: 1\r\n\r\nxyz"
    assert raw.update_content_length(early_lf) == early_lf
    early_crlf = b"\r\n\r\nX\nContent-Length: 9\n\nbody"
    assert raw.update_content_length(early_crlf) == early_crlf


def test_content_length_is_fixed_even_with_a_colon_in_its_value_and_can_be_given() -> None:
    mangled = b"POST / HTTP/1.1\r\nContent-Length: 1:2\r\n\r\nabc"
    assert raw.update_content_length(mangled) == b"POST / HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc"
    assert raw.update_content_length(mangled, 99) == b"POST / HTTP/1.1\r\nContent-Length: 99\r\n\r\nabc"


@pytest.mark.parametrize(
    ("url", "message", "hint"),
    [
        ("ftp://host/", "'ftp' URLs are not HTTP", "use a URL starting with http:// or https://"),
        (
            "http://host:99999/",
            "The port in 'http://host:99999/' is not a number from 0 to 65535",
            "write it as host:8080",
        ),
        ("http:///path", "'http:///path' names no host", "write a URL such as http://127.0.0.1:8000/"),
    ],
)
def test_parse_url_problems_are_plain_words_with_a_hint(url: str, message: str, hint: str) -> None:
    assert raw.parse_url(url) == Problem(message, hint)


def test_parse_url_default_ports() -> None:
    plain = raw.parse_url("http://example.test/x")
    secure = raw.parse_url("https://example.test/x")
    assert isinstance(plain, raw.UrlTarget) and isinstance(secure, raw.UrlTarget)
    assert (plain.port, plain.tls, plain.host_header) == (80, False, "example.test")
    assert (secure.port, secure.tls, secure.host_header) == (443, True, "example.test")


URL = raw.UrlTarget("h", 8080, False, "/t", "h:8080")


@pytest.mark.parametrize(
    ("request_text", "expected"),
    [
        # A body with an empty line in it stays body.
        (
            "POST /old HTTP/1.1\r\nHost: a\r\n\r\nx\r\n\r\ny",
            "POST /t HTTP/1.1\r\nHost: h:8080\r\n\r\nx\r\n\r\ny",
        ),
        ("GET  /old   HTTP/1.1\r\n\r\n", "GET /t HTTP/1.1\r\nHost: h:8080\r\n\r\n"),  # extra blanks
        ("POST\r\n\r\n", "POST /t HTTP/1.1\r\nHost: h:8080\r\n\r\n"),  # a method alone
        (" \r\n\r\n", "GET /t HTTP/1.1\r\nHost: h:8080\r\n\r\n"),  # nothing on the request line
        ("GET / HTTP/1.1\r\nHost: old:8000\r\n\r\n", "GET /t HTTP/1.1\r\nHost: h:8080\r\n\r\n"),
        (
            "GET / HTTP/1.1\r\nAccept: */*\r\nX: y\r\n\r\n",
            "GET /t HTTP/1.1\r\nHost: h:8080\r\nAccept: */*\r\nX: y\r\n\r\n",  # Host goes second
        ),
    ],
)
def test_fill_from_url_cases(request_text: str, expected: str) -> None:
    assert raw.fill_from_url(request_text, URL) == expected


def test_a_missing_header_is_empty() -> None:
    (response,) = raw.read_responses(OK).responses
    assert response.header("X-Nope") == "" and response.reason == "OK"


def test_content_codings_in_order_and_by_their_names() -> None:
    both = gzip.compress(zlib.compress(b"twice"))  # deflate applied first, then gzip
    assert raw.decode_body(both, "deflate, gzip") == (b"twice", "")
    assert raw.decode_body(gzip.compress(b"x"), "X-Gzip") == (b"x", "")
    wrapped = zlib.compress(b"zlib, not gzip")
    assert raw.decode_body(wrapped, "gzip")[1].startswith("the body says Content-Encoding: gzip but does not")


def test_brotli_bodies_go_through_the_brotli_package(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = types.ModuleType("brotli")
    fake.decompress = lambda data: b"unbrotlied " + data  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "brotli", fake)
    assert raw.decode_body(b"abc", "br") == (b"unbrotlied abc", "")
    monkeypatch.setitem(sys.modules, "brotli", None)  # import brotli -> ImportError
    assert raw.decode_body(b"abc", "br") == (
        b"abc",
        "the body is brotli-compressed (br) and the brotli package is not installed",
    )


def test_pipelined_responses_stop_where_the_server_closes() -> None:
    closing = b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nConnection: close\r\n\r\nx"
    reading = raw.read_responses(closing, ("GET", "GET"))
    assert len(reading.responses) == 1 and reading.problem == (
        "Only 1 of 2 requests got a response: the server ends the connection after response 1"
        " (it said Connection: close or spoke HTTP/1.0)"
    )


def test_bytes_after_the_responses_asked_for_are_kept_as_extra() -> None:
    second = b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"
    assert raw.read_responses(OK + second, ("GET",), closed=False).extra == second
    assert raw.read_responses(OK + second, ("GET", "GET")).extra == b""
    assert raw.read_responses(b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nabc").extra == b""


def test_a_body_until_close_and_a_chunked_body_in_pieces() -> None:
    reading = raw.read_responses(b"HTTP/1.1 200 OK\r\n\r\nall of it", closed=True)
    (response,) = reading.responses
    assert response.body == b"all of it" and response.complete and reading.problem == ""
    assert response.decoding_problem == ""
    pieces = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n3\r\ndef\r\n0\r\n\r\n"
    assert raw.read_responses(pieces).responses[0].body == b"abcdef"


def test_not_closed_yet_means_not_complete_yet() -> None:
    reading = raw.read_responses(b"HTTP/1.1 200 OK\r\n\r\npartial", closed=False)
    (response,) = reading.responses
    assert not response.complete and response.body == b"partial"
    assert reading.problem == "The response ended before its body was complete"


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"", "No response arrived"),
        (b"HTTP/1.1 200 OK\r\nContent", "The response ended before its status line and headers did"),
        (
            b"SSH-2.0-OpenSSH_9.6\r\n",
            "This is not valid HTTP: a response starts with 'HTTP/', this with b'SSH-2.0-'",
        ),
    ],
)
def test_the_one_line_for_no_response(data: bytes, problem: str) -> None:
    reading = raw.read_responses(data)
    assert reading.responses == () and reading.problem == problem


def test_a_short_body_says_how_much_came() -> None:
    reading = raw.read_responses(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc")
    assert reading.problem.startswith("The response ended before its body was complete (")
    assert "10" in reading.problem


def test_an_incomplete_compressed_body_is_shown_as_it_came() -> None:
    squeezed = gzip.compress(b"some text here")
    data = b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 99\r\n\r\n" + squeezed[:8]
    (response,) = raw.read_responses(data, closed=False).responses
    assert response.body == squeezed[:8] and response.decoding_problem == ""


def test_a_status_line_without_a_reason() -> None:
    (response,) = raw.read_responses(b"HTTP/1.1 204 \r\n\r\n").responses
    assert response.status_line == "HTTP/1.1 204" and response.reason == ""


def test_json_and_text_in_the_charset_named() -> None:
    latin = '{"caf\u00e9": "cr\u00e8me"}'.encode("latin-1")
    assert raw.pretty_json(latin, "iso-8859-1") == '{\n  "caf\u00e9": "cr\u00e8me"\n}'
    assert raw.pretty_json(b'{"a": 1}', "") == '{\n  "a": 1\n}'
    assert raw.body_text(b"ok \xff", "utf-8") == "ok \\xff"
    assert raw.body_text("caf\u00e9".encode("latin-1"), "latin-1") == "caf\u00e9"


def test_a_lone_surrogate_from_a_lab_file_does_not_stop_the_length_update() -> None:
    text = "POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\n\ud800"
    assert raw.set_content_length(text, crlf=False) == text.replace(": 0", ": 3")


def test_fill_from_url_leaves_a_body_that_looks_like_headers_alone() -> None:
    request = "POST / HTTP/1.1\r\n\r\nHost: z\r\n\r\n"
    assert raw.fill_from_url(request, URL) == "POST /t HTTP/1.1\r\nHost: h:8080\r\n\r\nHost: z\r\n\r\n"


def test_a_100_continue_is_skipped_for_the_final_response() -> None:
    data = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
    (response,) = raw.read_responses(data, ("POST",)).responses
    assert (response.status, response.body) == (200, b"ok")


def test_a_body_that_does_not_decompress_says_so_on_its_response() -> None:
    data = b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 3\r\n\r\nabc"
    (response,) = raw.read_responses(data).responses
    assert response.body == b"abc" and "does not decompress" in response.decoding_problem


def test_bytes_after_a_closing_response_are_not_called_extra() -> None:
    closing = b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nConnection: close\r\n\r\nxjunk"
    assert raw.read_responses(closing, ("GET", "GET")).extra == b""


def test_a_bad_byte_in_a_named_charset_keeps_the_rest_in_that_charset() -> None:
    assert raw.body_text("日本".encode("shift_jis") + b"\xff", "shift_jis") == "日本\\xff"
