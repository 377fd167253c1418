"""Raw HTTP helpers: templates, line ends, Content-Length, Fill from URL, reading responses with h11."""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass, field
from email.message import Message
from urllib.parse import urlsplit

import h11

from netlab.core.problem import Problem

CRLF = "\r\n"
HEAD_END = b"\r\n\r\n"


def to_crlf(text: str) -> str:
    """Every line end (LF, CR or CRLF) becomes CRLF, as HTTP/1.1 asks for."""
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", CRLF)


def _split_head(raw: bytes) -> tuple[bytes, bytes, bytes] | None:
    """(head, separator, body) at the first empty line, CRLF or bare LF; None when there is no empty line."""
    crlf = raw.find(b"\r\n\r\n")
    lf = raw.find(b"\n\n")
    if crlf < 0 and lf < 0:
        return None
    if lf < 0 or 0 <= crlf < lf:
        return raw[:crlf], b"\r\n\r\n", raw[crlf + 4 :]
    return raw[:lf], b"\n\n", raw[lf + 2 :]


def update_content_length(raw: bytes, length: int | None = None) -> bytes:
    """Set an existing Content-Length header to the body's real length in bytes (or to `length`).

    A request with no Content-Length header is left alone: adding one to a GET or a chunked
    upload would change what the student wrote, and the header is theirs to add.
    """
    parts = _split_head(raw)
    if parts is None:
        return raw
    head, separator, body = parts
    line_end = separator[: len(separator) // 2]
    lines = head.split(line_end)
    for index, line in enumerate(lines):
        name, colon, _ = line.partition(b":")
        if colon and index > 0 and name.strip().lower() == b"content-length":
            lines[index] = name + b": " + str(len(body) if length is None else length).encode()
    return line_end.join(lines) + separator + body


def set_content_length(text: str, *, crlf: bool) -> str:
    """The request text with its Content-Length set to the length its body will have when sent
    (in bytes, after CRLF conversion when `crlf`): what the editor shows as the user types."""
    raw = text.encode("utf-8", errors="surrogatepass")
    parts = _split_head(raw)
    if parts is None:
        return text
    body = parts[2]
    length = len(to_crlf(body.decode("utf-8", errors="surrogatepass")).encode("utf-8", "surrogatepass"))
    fixed = update_content_length(raw, length if crlf else len(body))
    return fixed.decode("utf-8", errors="surrogatepass")


def request_bytes(text: str, *, crlf: bool, auto_length: bool) -> bytes:
    """The exact bytes a request's text stands for: line ends converted, Content-Length fixed, if asked."""
    data = (to_crlf(text) if crlf else text).encode("utf-8")
    return update_content_length(data) if auto_length else data


@dataclass(frozen=True)
class UrlTarget:
    """What a URL says about a request: host, port, TLS, the request target and the Host header value."""

    host: str
    port: int
    tls: bool
    target: str
    host_header: str


def parse_url(url: str) -> UrlTarget | Problem:
    """http:// or https:// URL -> UrlTarget; anything else -> a Problem in plain words."""
    text = url.strip()
    if "://" not in text:
        text = "http://" + text
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https"):
        return Problem(f"'{parts.scheme}' URLs are not HTTP", "use a URL starting with http:// or https://")
    try:
        port = parts.port
    except ValueError:
        return Problem(f"The port in '{url}' is not a number from 0 to 65535", "write it as host:8080")
    if not parts.hostname:
        return Problem(f"'{url}' names no host", "write a URL such as http://127.0.0.1:8000/")
    tls = parts.scheme == "https"
    default = 443 if tls else 80
    host = parts.hostname
    shown = f"[{host}]" if ":" in host else host
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    host_header = shown if port in (None, default) else f"{shown}:{port}"
    return UrlTarget(host, port or default, tls, target, host_header)


def fill_from_url(request: str, url: UrlTarget) -> str:
    """The request with its target and Host header taken from the URL (a Host line is added if missing)."""
    line_end = CRLF if CRLF in request else "\n"
    head, separator, body = request.partition(line_end * 2)
    lines = head.split(line_end) if head else ["GET / HTTP/1.1"]
    words = lines[0].split()
    if len(words) >= 3:
        lines[0] = " ".join([words[0], url.target, *words[2:]])
    else:
        lines[0] = f"{words[0] if words else 'GET'} {url.target} HTTP/1.1"
    host_line = f"Host: {url.host_header}"
    for index, line in enumerate(lines[1:], start=1):
        if line.partition(":")[0].strip().lower() == "host":
            lines[index] = host_line
            break
    else:
        lines.insert(1, host_line)
    return line_end.join(lines) + (separator or line_end * 2) + body


def _request(method: str, target: str, host: str, extra: tuple[str, ...] = (), body: str = "") -> str:
    lines = [f"{method} {target} HTTP/1.1", f"Host: {host}", *extra]
    if body:
        lines.append(f"Content-Length: {len(body.encode())}")
    return CRLF.join(lines) + CRLF + CRLF + body


def templates(host: str = "127.0.0.1:8000") -> dict[str, str]:
    """Teaching requests by name, each the exact text to send (CRLF line ends unless the lesson is LF)."""
    form = "name=Ada&lang=en"
    doc = '{"name": "Ada", "lang": "en"}'
    close = ("Connection: close",)
    chunks = "5\r\nHello\r\n7\r\n, world\r\n0\r\n\r\n"
    return {
        "GET": _request("GET", "/", host, close),
        "HEAD": _request("HEAD", "/", host, close),
        "OPTIONS": _request("OPTIONS", "*", host, close),
        "POST form": _request(
            "POST", "/form", host, ("Content-Type: application/x-www-form-urlencoded", *close), form
        ),
        "POST JSON": _request("POST", "/json", host, ("Content-Type: application/json", *close), doc),
        "PUT": _request("PUT", "/item/1", host, ("Content-Type: text/plain", *close), "new text"),
        "DELETE": _request("DELETE", "/item/1", host, close),
        "Chunked upload": _request(
            "POST", "/upload", host, ("Transfer-Encoding: chunked", "Content-Type: text/plain", *close)
        )
        + chunks,
        "Two pipelined requests": _request("GET", "/one", host) + _request("GET", "/two", host, close),
        "Keep-alive": _request("GET", "/", host, ("Connection: keep-alive",)),
        "Connection: close": _request("GET", "/", host, close),
        "Broken: no Host header": CRLF.join(["GET / HTTP/1.1", "Connection: close"]) + CRLF + CRLF,
        "Broken: bare LF line ends": "GET / HTTP/1.1\nHost: " + host + "\nConnection: close\n\n",
        "Broken: wrong Content-Length": CRLF.join(
            ["POST /form HTTP/1.1", f"Host: {host}", "Content-Length: 40", "Connection: close"]
        )
        + CRLF
        + CRLF
        + form,
    }


@dataclass(frozen=True)
class Response:
    """One response as h11 read it: the status line, headers in order, the body (de-chunked and decoded)."""

    status_line: str
    status: int
    reason: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    complete: bool
    decoding_problem: str = ""

    def header(self, name: str) -> str:
        """The last value of a header by name (any case), "" when absent."""
        found = [value for key, value in self.headers if key.lower() == name.lower()]
        return found[-1] if found else ""

    @property
    def charset(self) -> str:
        """The charset the Content-Type names, "" when none."""
        return charset_of(self.header("content-type"))


def charset_of(content_type: str) -> str:
    """The charset a Content-Type value names ('text/html; charset="utf-8"' -> utf-8), "" when none."""
    if not content_type:
        return ""
    message = Message()
    message["content-type"] = content_type
    return str(message.get_param("charset") or "")


@dataclass(frozen=True)
class Reading:
    """Every response found in the bytes received, and one plain line saying what is wrong (or "")."""

    responses: tuple[Response, ...] = ()
    problem: str = ""
    extra: bytes = field(default=b"")


def decode_body(body: bytes, content_encoding: str) -> tuple[bytes, str]:
    """Undo gzip / deflate / br (last applied first): (body, "") or (body as received, what failed)."""
    data = body
    for coding in reversed([c.strip().lower() for c in content_encoding.split(",") if c.strip()]):
        try:
            if coding in ("gzip", "x-gzip"):
                data = zlib.decompress(data, 16 + zlib.MAX_WBITS)
            elif coding == "deflate":
                # Servers send deflate both with the zlib wrapper (as the RFC says) and without it.
                try:
                    data = zlib.decompress(data)
                except zlib.error:
                    data = zlib.decompress(data, -zlib.MAX_WBITS)
            elif coding == "br":
                try:
                    import brotli  # type: ignore[import-not-found]
                except ImportError:
                    return body, "the body is brotli-compressed (br) and the brotli package is not installed"
                data = brotli.decompress(data)
            elif coding != "identity":
                return body, f"the body uses the '{coding}' content coding, which NetLab cannot undo"
        except Exception as exc:  # zlib.error, brotli.error: both mean the bytes are not what the header says
            return body, f"the body says Content-Encoding: {coding} but does not decompress ({exc})"
    return data, ""


def read_responses(data: bytes, methods: tuple[str, ...] = ("GET",), *, closed: bool = True) -> Reading:
    """Read the responses to `methods` (one per request sent) from the received bytes with h11.

    `closed` says the peer closed the connection, which ends a body that has no length.
    """
    conn = h11.Connection(h11.CLIENT)
    responses: list[Response] = []
    pending = data
    problem = ""
    for index, method in enumerate(methods):
        if index:
            if conn.their_state is not h11.DONE:  # MUST_CLOSE: "Connection: close" or HTTP/1.0
                problem = (
                    f"Only {index} of {len(methods)} requests got a response: the server ends the"
                    f" connection after response {index} (it said Connection: close or spoke HTTP/1.0)"
                )
                break
            conn.start_next_cycle()
        conn.send(h11.Request(method=method, target="/", headers=[("Host", "netlab")]))
        conn.send(h11.EndOfMessage())
        if pending:
            conn.receive_data(pending)
            pending = b""
        start: h11.Response | None = None
        body = bytearray()
        ended = False
        eof_fed = False
        try:
            while True:
                event = conn.next_event()
                if isinstance(event, h11.InformationalResponse):
                    continue
                if isinstance(event, h11.Response):
                    start = event
                elif isinstance(event, h11.Data):
                    body += event.data
                elif isinstance(event, h11.EndOfMessage):
                    ended = True
                    break
                elif event is h11.NEED_DATA:
                    if closed and conn.their_state is not h11.CLOSED:
                        conn.receive_data(b"")
                        closed = False  # once: h11 now knows the peer closed
                        eof_fed = True
                        continue
                    break
                else:  # ConnectionClosed or PAUSED
                    break
        except h11.RemoteProtocolError as exc:
            # After the close was fed, h11's complaint means the peer stopped early, not bad syntax.
            if not eof_fed:
                problem = f"This is not valid HTTP: {exc}"
            elif start is not None:
                problem = f"The response ended before its body was complete ({exc})"
        if start is None:
            if not problem and data and not data.startswith(b"HTTP/"[: len(data)]):
                problem = f"This is not valid HTTP: a response starts with 'HTTP/', this with {data[:8]!r}"
            if not problem:
                problem = (
                    "No response arrived"
                    if not data
                    else "The response ended before its status line and headers did"
                )
            break
        headers = tuple((k.decode("latin-1"), v.decode("latin-1")) for k, v in start.headers)
        coding = next((v for k, v in headers if k.lower() == "content-encoding"), "")
        decoded, decoding_problem = decode_body(bytes(body), coding) if ended else (bytes(body), "")
        version = start.http_version.decode()
        reason = start.reason.decode("latin-1")
        responses.append(
            Response(
                f"HTTP/{version} {start.status_code} {reason}".rstrip(),
                start.status_code,
                reason,
                headers,
                decoded,
                ended,
                decoding_problem,
            )
        )
        if not ended and not problem:
            problem = "The response ended before its body was complete"
        if problem:
            break
    extra = conn.trailing_data[0] if not problem else b""
    return Reading(tuple(responses), problem, extra)


def pretty_json(body: bytes, charset: str = "utf-8") -> str | None:
    """The body as indented JSON, or None when it is not JSON."""
    try:
        return json.dumps(json.loads(body.decode(charset or "utf-8")), indent=2, ensure_ascii=False)
    except (ValueError, LookupError):
        return None


def body_text(body: bytes, charset: str) -> str:
    """The body as text in the charset the headers name (else UTF-8); bad bytes shown as \\xNN."""
    try:
        return body.decode(charset or "utf-8", errors="backslashreplace")
    except LookupError:
        return body.decode("utf-8", errors="backslashreplace")
