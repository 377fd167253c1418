"""HTTP form pure parts: query <-> URL, checks in plain words, body views, the config and its lab section."""

from __future__ import annotations

import pytest

from netlab.core.config import ConfigError
from netlab.http.form import human_size, looks_like, query_pairs, url_problems, with_query
from netlab.http.form_config import AuthKind, Backend, BodyKind, HttpFormConfig, NameValue, Upload
from netlab.lab.labfile import Lab, dumps, loads


def test_query_table_and_url_stay_in_step() -> None:
    url = "http://127.0.0.1:8000/get?name=Ada%20L&empty=&x=1#top"
    assert query_pairs(url) == [("name", "Ada L"), ("empty", ""), ("x", "1")]
    rows = [("name", "Grace & co"), ("", "ignored"), ("flag", "")]
    assert with_query(url, rows) == "http://127.0.0.1:8000/get?name=Grace+%26+co&flag=#top"
    assert query_pairs(with_query(url, rows)) == [("name", "Grace & co"), ("flag", "")]
    assert with_query("http://h/p?a=1", []) == "http://h/p"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("", "The URL is empty"),
        ("ftp://127.0.0.1/", "'ftp://127.0.0.1/' is not a valid URL: it must start with http:// or https://"),
        (
            "127.0.0.1:8000/get",
            "'127.0.0.1:8000/get' is not a valid URL: it must start with http:// or https://",
        ),
        ("http:///path", "'http:///path' is not a valid URL: it names no host"),
        (
            "http://127.0.0.1:99999/",
            "'http://127.0.0.1:99999/' is not a valid URL (Port out of range 0-65535)",
        ),
        ("http://127.0.0.1/a b", "The URL contains a space"),
        ("http://bad_host!/", "'bad_host!' is neither an IP address nor a host name"),
    ],
)
def test_invalid_urls_in_plain_words(url: str, message: str) -> None:
    assert [p.message for p in url_problems(url)] == [message]


def test_good_urls_pass() -> None:
    assert url_problems("https://[::1]:8443/x?y=1") == []
    assert url_problems("http://localhost/") == []


def test_invalid_json_names_line_and_column() -> None:
    with pytest.raises(ConfigError) as caught:
        HttpFormConfig(method="POST", body_kind=BodyKind.JSON, body='{\n  "a": 1,\n  "b": }')
    (problem,) = caught.value.problems
    assert problem.field == "body"
    assert problem.message == "The JSON body is not valid at line 3, column 8: Expecting value"


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"method": "FETCH"}, "method", "'FETCH' is not an HTTP method"),
        ({"headers": (NameValue("Bad Name", "x"),)}, "headers", "'Bad Name' is not a valid header name"),
        ({"auth": AuthKind.BASIC}, "user", "The user name is empty"),
        (
            {"proxy": "127.0.0.1:3128"},
            "proxy",
            "'127.0.0.1:3128' is not a valid proxy: it must start with http:// or https://",
        ),
        ({"retries": 11}, "retries", "Retries 11 is out of range"),
        ({"timeout": 0}, "timeout", "Timeout 0 is out of range"),
        ({"backend": "curl"}, "backend", "'curl' is not a valid backend"),
        (
            {"body_kind": BodyKind.MULTIPART, "files": (Upload("", "/x"),)},
            "files",
            "A file row needs a field name and a file",
        ),
    ],
)
def test_bad_fields(fields: dict[str, object], field: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        HttpFormConfig(**fields)  # type: ignore[arg-type]
    assert [(p.field, p.message) for p in caught.value.problems] == [(field, message)]


def test_an_empty_bearer_token_is_asked_for_before_sending_but_a_lab_without_it_opens() -> None:
    config = HttpFormConfig(auth=AuthKind.BEARER)
    assert [p.message for p in config.sending_problems()] == ["The bearer token is empty"]
    assert HttpFormConfig(auth=AuthKind.BEARER, token="t").sending_problems() == []
    shared = loads(dumps(Lab(states={"http_form": HttpFormConfig(auth=AuthKind.BEARER, token="t")})))
    assert shared.state("http_form") == config


def test_lab_section_round_trip_keeps_secrets_out() -> None:
    config = HttpFormConfig(
        backend=Backend.URLLIB,
        method="POST",
        url="http://127.0.0.1:8000/post?a=1",
        headers=(NameValue("Accept", "application/json"),),
        body_kind=BodyKind.MULTIPART,
        fields=(NameValue("name", "Ada"),),
        files=(Upload("doc", "/tmp/a.txt", "text/plain"),),
        auth=AuthKind.BASIC,
        user="ada",
        password="secret",
        retries=2,
    )
    opened = loads(dumps(Lab(states={"http_form": config})))
    assert opened.state("http_form") == HttpFormConfig(**{**config.__dict__, "password": ""})
    kept = loads(dumps(Lab(states={"http_form": config}), secrets=True))
    assert kept.state("http_form") == config and kept.holds_secrets


def test_body_views() -> None:
    assert looks_like("application/json; charset=utf-8", b"{}") == "json"
    assert looks_like("image/png", b"\x89PNG") == "image"
    assert looks_like("text/html", b"<p>") == "html"
    assert looks_like("", b"<!DOCTYPE html><html>") == "html"
    assert looks_like("text/plain", b"{}") == "text"


def test_human_size_in_decimal_units() -> None:
    assert [human_size(n) for n in (999, 1000, 1_234_567, 5 * 10**9)] == [
        "999 bytes",
        "1.0 kB",
        "1.2 MB",
        "5.0 GB",
    ]
