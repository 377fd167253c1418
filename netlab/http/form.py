"""HTTP form pure helpers: query table <-> URL, header presets, checks in plain words, body encoding."""

from __future__ import annotations

import json
import re
import urllib.parse
from collections.abc import Sequence
from typing import Any

from netlab.core.config import FieldProblem, host_problems
from netlab.http.raw import pretty_json

# The values a student reaches for first; the tab offers them in the headers table.
HEADER_PRESETS: dict[str, tuple[str, ...]] = {
    "User-Agent": ("NetLab/1.0", "curl/8.5.0", "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0"),
    "Accept": ("application/json", "text/html", "*/*"),
    "Content-Type": ("application/json", "application/x-www-form-urlencoded", "text/plain; charset=utf-8"),
    "Accept-Encoding": ("gzip", "gzip, deflate", "identity"),
}

_TOKEN = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")  # RFC 9110 token: what a header name may be


def query_pairs(url: str) -> list[tuple[str, str]]:
    """The URL's query as (name, value) rows, decoded; blank values kept (`?flag=`)."""
    query = urllib.parse.urlsplit(url).query
    return urllib.parse.parse_qsl(query, keep_blank_values=True)


def with_query(url: str, pairs: Sequence[tuple[str, str]]) -> str:
    """The URL with its query replaced by the rows (rows without a name are left out)."""
    parts = urllib.parse.urlsplit(url)
    query = urllib.parse.urlencode([(name, value) for name, value in pairs if name])
    return urllib.parse.urlunsplit(parts._replace(query=query))


def url_problems(url: str, field: str = "url", what: str = "URL") -> list[FieldProblem]:
    """Not http(s), no host, a host that is neither a name nor an address, or a bad port."""
    text = url.strip()
    if not text:
        return [FieldProblem(field, f"The {what} is empty", "type one such as http://127.0.0.1:8000/get")]
    try:
        parts = urllib.parse.urlsplit(text)
        port = parts.port
    except ValueError as exc:
        return [
            FieldProblem(field, f"'{text}' is not a valid {what} ({exc})", "check the port after the colon")
        ]
    if parts.scheme not in ("http", "https"):
        return [
            FieldProblem(
                field,
                f"'{text}' is not a valid {what}: it must start with http:// or https://",
                "e.g. http://127.0.0.1:8000/get",
            )
        ]
    if not parts.hostname:
        return [
            FieldProblem(field, f"'{text}' is not a valid {what}: it names no host", "e.g. http://127.0.0.1/")
        ]
    if " " in text:
        return [
            FieldProblem(
                field, f"The {what} contains a space", "write it as %20, or put it in the query table"
            )
        ]
    problems = host_problems(parts.hostname, field=field)
    if port == 0:
        problems.append(FieldProblem(field, f"Port 0 in '{text}' cannot be connected to", "use 1 to 65535"))
    return problems


def header_problems(headers: Sequence[Any]) -> list[FieldProblem]:
    """Header names must be tokens (no spaces or colons); values must be one line."""
    for header in headers:
        if not header.name and not header.value:
            continue
        if not _TOKEN.match(header.name):
            return [
                FieldProblem(
                    "headers",
                    f"'{header.name}' is not a valid header name",
                    "use letters, digits and - only, e.g. X-Lab-Id",
                )
            ]
        if "\r" in header.value or "\n" in header.value:
            return [
                FieldProblem("headers", f"The value of {header.name} has a line break", "keep it on one line")
            ]
    return []


def json_problems(text: str, field: str = "body") -> list[FieldProblem]:
    """Invalid JSON, with where the parser stopped as line and column."""
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        return [
            FieldProblem(
                field,
                f"The JSON body is not valid at line {exc.lineno}, column {exc.colno}: {exc.msg}",
                "fix it there, or choose the Raw body to send the text as it is",
            )
        ]
    return []


def header_dict(headers: Sequence[Any]) -> dict[str, str]:
    """The headers table as a dict, rows without a name left out (a later row wins)."""
    return {header.name: header.value for header in headers if header.name}


def has_header(headers: Sequence[Any], name: str) -> bool:
    return any(header.name.lower() == name.lower() for header in headers)


def looks_like(content_type: str, data: bytes) -> str:
    """How to show a body first: "json", "html", "image" or "text"."""
    kind = content_type.split(";")[0].strip().lower()
    if kind.startswith("image/"):
        return "image"
    if kind.endswith("json") or (not kind and pretty_json(data) is not None):
        return "json"
    if "html" in kind or data.lstrip()[:15].lower().startswith((b"<!doctype html", b"<html")):
        return "html"
    return "text"


def human_size(count: int) -> str:
    """1234567 -> '1.2 MB': decimal units, as download progress shows sizes (the log uses human_bytes)."""
    value = float(count)
    for unit in ("bytes", "kB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{count} bytes" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{count} bytes"  # pragma: no cover - the loop always returns
