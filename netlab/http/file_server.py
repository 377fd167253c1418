"""The file server engine: `python -m http.server` grown up. One thread, llhttp parsing, sendfile bodies."""

from __future__ import annotations

import base64
import contextlib
import errno
import hmac
import os
import selectors
import socket
import stat
import tempfile
import time
import traceback
from collections import deque
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

import httptools

from netlab import __version__
from netlab.core.config import format_address
from netlab.core.engine import Engine, Registered
from netlab.core.errors import error_event, explain
from netlab.core.events import Closed, Error, HttpExchange, Listening, Opened
from netlab.http.config import FileServerConfig as FileServerConfig  # its old home, still valid
from netlab.http.files import (
    Refusal,
    Target,
    byte_range,
    content_type,
    display_target,
    error_html,
    etag,
    http_date,
    list_folder,
    listing_html,
    not_modified,
    redirect_location,
    resolve,
    safe_upload_name,
    unique_name,
)

MAX_REQUEST_LINE = 8 * 1024  # longer: 414
MAX_HEAD = 32 * 1024  # request line and headers together; more: 431
SMALL_FILE = 64 * 1024  # files up to this size are read and sent with the headers in one write
SENDFILE_CHUNK = 8 * 1024 * 1024
MAX_CACHED_FILES = 4096  # response heads kept; past this the cache starts again
MAX_CACHED_BYTES = 32 * 1024 * 1024  # small files' bytes kept with their heads
# After refusing a request mid-body, keep reading (and dropping) what the client still sends for up to
# this long before closing: closing with unread data sends RST, which can destroy our answer in
# flight, so the client would see "connection reset" instead of the 413 (nginx's lingering_close).
LINGER_SECONDS = 2.0
SERVER_NAME = f"NetLab/{__version__}".encode()
READ, WRITE = selectors.EVENT_READ, selectors.EVENT_WRITE
REQUEST_TIMEOUT = (
    b"HTTP/1.1 408 Request Timeout\r\nContent-Type: text/plain; charset=utf-8\r\n"
    b"Content-Length: 36\r\nConnection: close\r\n\r\nThe request took too long to arrive\n"
)


class FileRange:
    """Part of an open file, sent with os.sendfile; len() is what is left."""

    def __init__(self, file: Any, offset: int, length: int) -> None:
        self.file = file
        self.offset = offset
        self.remaining = length

    def __len__(self) -> int:
        return self.remaining


class UploadTooLarge(Exception):
    pass


class Upload:
    """Streams a multipart/form-data body into the folder; each file lands under a fresh name."""

    def __init__(self, folder: str, boundary: bytes, limit: int) -> None:
        self.folder = folder
        self.limit = limit
        self.received = 0
        self.saved: list[str] = []
        self._header_field = b""
        self._headers: dict[bytes, bytes] = {}
        self._file: Any = None
        self._filename = ""
        # Imported here: only uploads need the multipart parser, and start-up should not pay for it.
        from python_multipart.multipart import MultipartParser

        self.parser = MultipartParser(
            boundary,
            {
                "on_part_begin": self._on_part_begin,
                "on_header_field": self._on_header_field,
                "on_header_value": self._on_header_value,
                "on_headers_finished": self._on_headers_finished,
                "on_part_data": self._on_part_data,
                "on_part_end": self._on_part_end,
            },
        )

    def feed(self, data: bytes) -> None:
        self.received += len(data)
        if self.received > self.limit:
            raise UploadTooLarge
        self.parser.write(data)

    def finish(self) -> None:
        self.parser.finalize()

    def abort(self) -> None:
        if self._file is not None:
            self._file.close()
            os.unlink(self._file.name)
            self._file = None

    def _on_part_begin(self) -> None:
        self._headers = {}

    def _on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_field = bytes(data[start:end]).lower()

    def _on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._headers[self._header_field] = self._headers.get(self._header_field, b"") + data[start:end]

    def _on_headers_finished(self) -> None:
        from python_multipart.multipart import parse_options_header

        _, options = parse_options_header(self._headers.get(b"content-disposition", b""))
        filename = options.get(b"filename")
        if filename:
            self._filename = filename.decode("utf-8", "replace")
            self._file = tempfile.NamedTemporaryFile(dir=self.folder, prefix=".netlab-upload-", delete=False)  # noqa: SIM115

    def _on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self._file is not None:
            self._file.write(data[start:end])

    def _on_part_end(self) -> None:
        if self._file is None:
            return
        self._file.close()
        name = store_upload(self._file.name, self.folder, safe_upload_name(self._filename))
        self._file = None
        self.saved.append(name)


def store_upload(temporary: str, folder: str, wanted: str) -> str:
    """Give a finished upload its final name in folder, never replacing a file; returns that name.

    link() fails if the name exists, even for a file created a moment ago. FAT and SMB have no hard
    links, so there the name is claimed with an exclusive create and the upload renamed over it.
    """
    while True:
        name = unique_name(folder, wanted)
        final = os.path.join(folder, name)
        try:
            os.link(temporary, final)
        except FileExistsError:
            continue
        except OSError:  # EPERM, EOPNOTSUPP ...: no hard links on this file system
            try:
                os.close(os.open(final, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))
            except FileExistsError:
                continue
            os.replace(temporary, final)  # over the empty file that is ours alone
            return name
        os.unlink(temporary)
        return name


class Request:
    """One request as the parser saw it; the body waits here only while earlier requests are answered."""

    __slots__ = (
        "body",
        "complete",
        "head",
        "headers",
        "keep_alive",
        "method",
        "problem",
        "target",
        "version",
    )

    def __init__(self, method: bytes, target: bytes, version: str, headers: dict[bytes, bytes]) -> None:
        self.method = method
        self.target = target
        self.version = version
        self.headers = headers
        self.head = b""  # the request head as received, for the log's detail view
        self.keep_alive = True
        self.complete = False  # the whole message (body included) has arrived
        self.body: list[bytes] = []
        self.problem: tuple[int, str] | None = None  # refused as (status, message) once it is its turn


class HttpConnection(Registered):
    """One client connection: llhttp (httptools) parses, this answers, one request at a time, in order.

    The parser calls on_* as bytes arrive. A request is answered when its head is complete; requests
    pipelined behind it wait (reading stops meanwhile), so one connection never holds more than one
    response in memory.
    """

    def __init__(self, server: FileServer, sock: socket.socket, conn: int, peer: str) -> None:
        super().__init__(server.loop, sock)
        self.server = server
        self.conn = conn
        self.peer = peer
        self.parser = httptools.HttpRequestParser(self)
        # Bare LF line ends, as `nc` sends them when a student types a request (h11 took them too).
        # Both flags are needed for that; a bare CR is still refused (tested).
        self.parser.set_dangerous_leniencies(
            lenient_optional_cr_before_lf=True, lenient_optional_lf_after_cr=True
        )
        self.out: deque[bytes | FileRange] = deque()
        self._offset = 0
        self.last_active = time.monotonic()
        self.closed = False
        self._url = b""
        self._header_list: list[tuple[bytes, bytes]] = []
        self._head_size = 0
        self._in_head = False  # between the first byte of a request and the end of its head
        self._partial = b""  # bytes of a head still arriving (for 414/431 and the log of a bad request)
        self._heads_done = 0  # heads completed during this feed_data()
        self._parsing: Request | None = None  # the request whose bytes the parser is reading
        self._active: Request | None = None  # the request being answered
        self._pending: deque[Request] = deque()  # pipelined requests, in order
        self._responded = False  # the active request's response is queued
        self._close_after = False  # the active response says Connection: close
        self._eof = False  # the client will send nothing more
        self._broken = False  # input we refused: nothing after it is read
        self._started = 0.0
        self._status = 0
        self._sent = 0
        self._response_head = b""
        self._saved: tuple[str, ...] = ()
        self._upload: Upload | None = None
        self._upload_target: Target | None = None
        self._linger_until = 0.0  # set once we only wait for the client to stop sending
        self._linger_reason = ""
        self._set_interest(READ)

    # ------------------------------------------------------------------ I/O
    def _on_ready(self, mask: int) -> None:
        self.last_active = time.monotonic()
        if mask & WRITE:
            self._flush()
        if mask & READ and not self.closed:
            self._read()

    def _read(self) -> None:
        try:
            data = self.sock.recv(65536)
        except BlockingIOError:
            return
        except OSError:
            self.close("the connection broke")
            return
        if self._linger_until:
            if not data:
                self.close(self._linger_reason)
            return
        if not data:
            self._eof = True
            active = self._active
            if active is None and not self.out:
                self.close("the client closed the connection")
                return
            if active is not None and not active.complete:
                active.complete = True  # nothing more will come
                if not self._responded:
                    self._refuse(400, "The client closed the connection before the request was complete")
            self._flush()
            return
        self.server.bytes_in += len(data)
        self._heads_done = 0
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            if self._active is not None:  # answered as plain HTTP; whatever follows is not ours to read
                self._active.keep_alive = False
        except httptools.HttpParserError as exc:
            self._on_bad_input(data, f"The request was not valid HTTP/1.1 ({exc})")
        else:
            if self._in_head:
                self._check_partial_head(data)
        if not self.closed:
            self._flush()

    def _flush(self) -> None:
        """Send what is queued; each time a response is all out, finish its exchange and start the next."""
        while not self.closed:
            if self.out and not self._send_queued():
                self._set_interest(WRITE)
                return
            if not self._finish():
                break
        self._update_interest()

    def _send_queued(self) -> bool:
        """Send until the queue is empty (True) or the socket is full (False)."""
        while self.out:
            item = self.out[0]
            try:
                if isinstance(item, FileRange):
                    sent = os.sendfile(
                        self.sock.fileno(),
                        item.file.fileno(),
                        item.offset,
                        min(item.remaining, SENDFILE_CHUNK),
                    )
                    if sent == 0:  # the file shrank under us
                        item.file.close()
                        self.close("the file changed while it was being sent")
                        return False
                    item.offset += sent
                    item.remaining -= sent
                    if not item.remaining:
                        item.file.close()
                        self.out.popleft()
                elif self._offset:
                    sent = self.sock.send(memoryview(item)[self._offset :])
                    self._offset += sent
                    if self._offset == len(item):
                        self.out.popleft()
                        self._offset = 0
                else:
                    sent = self.sock.send(item)
                    if sent == len(item):
                        self.out.popleft()
                    else:
                        self._offset = sent
            except BlockingIOError:
                return False
            except OSError:
                self.close("the client went away")
                return False
            self._sent += sent
            self.server.bytes_out += sent
        return True

    def _update_interest(self) -> None:
        """Write while a response is queued; read only when no request waits its turn."""
        if self.closed:
            return
        if self._linger_until:
            self._set_interest(READ)
        elif self.out:
            self._set_interest(WRITE)
        elif self._pending or self._eof or self._broken:
            self._set_interest(0)
        else:
            self._set_interest(READ)

    # ------------------------------------------------------------------ the parser's callbacks
    def on_message_begin(self) -> None:
        self._in_head = True
        self._url = b""
        self._header_list = []
        self._head_size = 0

    def on_url(self, url: bytes) -> None:
        self._url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        self._header_list.append((name, value))
        self._head_size += len(name) + len(value) + 4

    def on_headers_complete(self) -> None:
        if self._broken or self._linger_until or self.closed:
            return  # the connection is ending: later requests go unanswered, as with Connection: close
        self._in_head = False
        self._heads_done += 1
        self._partial = b""
        parser = self.parser
        method = parser.get_method()
        version = parser.get_http_version()
        pairs = self._header_list
        headers = {name.lower(): value for name, value in pairs}
        request = Request(method, self._url, version, headers)
        request.keep_alive = parser.should_keep_alive()
        start = b"%s %s HTTP/%s\r\n" % (method, self._url, version.encode())
        request.head = start + b"".join(b"%s: %s\r\n" % pair for pair in pairs) + b"\r\n"
        self._parsing = request
        request.problem = self._head_problem(request, len(start), len(request.head))
        if request.problem is not None:
            request.keep_alive = False
            self._broken = True
        if self._active is None and not self._pending:
            self._begin(request)
        else:
            self._pending.append(request)

    def on_body(self, body: bytes) -> None:
        request = self._parsing
        if request is None:
            return
        if request is self._active:
            if self._upload is not None:
                self._upload_step(self._upload.feed, body)
        elif request.method == b"POST" and request.problem is None:
            request.body.append(body)  # a pipelined upload: at most one read's worth waits here

    def on_message_complete(self) -> None:
        request = self._parsing
        if request is None:
            return
        request.complete = True
        if request is self._active:
            self._on_end_of_body()
            if self._responded and not self.out:
                self._flush()  # the answer left before the body was in: the exchange ends now

    # ------------------------------------------------------------------ requests
    def _head_problem(self, request: Request, line: int, head: int) -> tuple[int, str] | None:
        """What the parser leaves to us: size limits, and the Host header HTTP/1.1 requires."""
        if line > MAX_REQUEST_LINE:
            return 414, f"The request line is longer than {MAX_REQUEST_LINE:,} bytes"
        if head > MAX_HEAD:
            return 431, f"The request headers are larger than {MAX_HEAD:,} bytes"
        if request.version == "1.1":
            hosts = sum(1 for name, _ in self._header_list if name.lower() == b"host")
            if hosts != 1:
                return 400, "An HTTP/1.1 request needs exactly one Host header"
        return None

    def _check_partial_head(self, data: bytes) -> None:
        """A head still arriving: refuse it as soon as it is too long, without waiting for the rest."""
        pending = self._partial + (data if not self._heads_done else _after_heads(data, self._heads_done))
        self._partial = pending[: MAX_HEAD + 2]
        line_end = pending.find(b"\n", 0, MAX_REQUEST_LINE + 2)
        if line_end < 0 and len(pending) > MAX_REQUEST_LINE:
            self._on_bad_input(b"", f"The request line is longer than {MAX_REQUEST_LINE:,} bytes", 414)
        elif len(pending) > MAX_HEAD:
            self._on_bad_input(b"", f"The request headers are larger than {MAX_HEAD:,} bytes", 431)

    def _on_bad_input(self, data: bytes, message: str, status: int = 400) -> None:
        """Input the parser refused (or that is too large): answered in turn, then the connection ends."""
        raw = self._partial + _after_heads(data, self._heads_done) if data else self._partial
        method, _, rest = raw.partition(b" ")
        target = rest.split(b" ", 1)[0].split(b"\r", 1)[0].split(b"\n", 1)[0]
        self._partial = b""
        self._in_head = False
        if self._active is not None and not self._active.complete:
            # The active request's own bytes are bad (a broken chunked body, say).
            if not self._responded:
                if self._upload is not None:
                    with contextlib.suppress(OSError):
                        self._upload.abort()
                    self._upload = None
                self._refuse(status, message, close=True)
            else:
                self._close_after = True
            self._broken = True
            return
        request = Request(method[:32], target[:MAX_REQUEST_LINE], "1.1", {})
        request.keep_alive = False
        request.complete = True
        request.problem = (status, message)
        self._broken = True
        if self._active is None and not self._pending:
            self._begin(request)
        else:
            self._pending.append(request)

    def _begin(self, request: Request) -> None:
        self._active = request
        self._responded = False
        self._close_after = not request.keep_alive
        self._started = time.monotonic()
        self._sent = 0
        self._saved = ()
        self.server.messages_in += 1
        if request.problem is not None:
            self._refuse(*request.problem, close=True)
            return
        self._on_request(request)
        if self._upload is not None and request.body:
            for chunk in request.body:
                if not self._upload_step(self._upload.feed, chunk):
                    break
            request.body.clear()
        if request.complete and self._active is request and not self._responded:
            self._on_end_of_body()

    def _on_request(self, request: Request) -> None:
        config = self.server.config
        headers = request.headers
        if config.auth and not self._authorised(headers.get(b"authorization", b"")):
            self._respond(
                401,
                [(b"WWW-Authenticate", b'Basic realm="NetLab", charset="UTF-8"')],
                error_html(401, "Unauthorized", "This folder needs a user name and password."),
            )
            return
        resolved = resolve(self.server.root, request.target, config.show_hidden)
        if isinstance(resolved, Refusal):
            self._refuse(resolved.status, resolved.message)
            return
        method = request.method
        if method == b"GET" or method == b"HEAD":
            self._serve(resolved, headers, head=method == b"HEAD")
        elif method == b"POST":
            self._start_upload(resolved, headers)
        else:
            allow = b"GET, HEAD, POST" if config.upload else b"GET, HEAD"
            self._respond(405, [(b"Allow", allow)], error_html(405, "Method Not Allowed", "Use GET or HEAD."))

    def _authorised(self, header: bytes) -> bool:
        scheme, _, encoded = header.partition(b" ")
        if scheme.lower() != b"basic":
            return False
        try:
            given = base64.b64decode(encoded.strip(), validate=True)
        except ValueError:
            return False
        return hmac.compare_digest(given, self.server.config.auth.encode())

    def _serve(self, target: Target, headers: dict[bytes, bytes], head: bool) -> None:
        info = target.info
        if stat.S_ISDIR(info.st_mode):
            if not target.wants_directory:
                location = redirect_location(target.url_path).encode()
                self._respond(
                    301, [(b"Location", location)], error_html(301, "Moved Permanently", "This is a folder.")
                )
                return
            index = os.path.join(target.path, "index.html")
            if os.path.isfile(index):
                self._send_file(index, os.stat(index), headers, head)
                return
            try:
                entries = list_folder(target.path, self.server.config.show_hidden)
            except OSError:
                self._refuse(403, "This folder cannot be read")
                return
            page = listing_html(
                target.url_path,
                entries,
                target.query.get("sort", "name"),
                target.query.get("order", "asc"),
                self.server.config.upload,
            )
            self._respond(200, [], page, head=head)
            return
        if not stat.S_ISREG(info.st_mode):
            self._refuse(404, "Not found")
            return
        if target.wants_directory:
            self._refuse(404, "Not found")  # "file.txt/" is not a folder
            return
        self._send_file(target.path, info, headers, head)

    def _send_file(self, path: str, info: os.stat_result, headers: dict[bytes, bytes], head: bool) -> None:
        cached = self.server.file_head(path, info)
        conditional = b"if-none-match" in headers or b"if-modified-since" in headers
        if conditional and not_modified(headers, info):
            self._respond(304, cached.validators, b"")
            return
        wanted = byte_range(headers, info) if b"range" in headers else None
        if isinstance(wanted, Refusal):
            self._respond(
                416,
                [(b"Content-Range", f"bytes */{info.st_size}".encode())],
                error_html(416, "Range Not Satisfiable", wanted.message),
            )
            return
        try:
            if wanted is None:
                if head:
                    self._send_head(STATUS_LINES[200], cached.fields)
                elif cached.body is not None:
                    self._send_head(STATUS_LINES[200], cached.fields, cached.body)
                elif info.st_size <= SMALL_FILE:  # one read, then head and body leave in one send()
                    body = read_range(path, 0, info.st_size)
                    if len(body) == info.st_size:  # not caught mid-write
                        self.server.keep_body(cached, body)
                    self._send_head(STATUS_LINES[200], cached.fields, body)
                else:
                    file = open(path, "rb")  # noqa: SIM115 - closed when sent (or on close())
                    self._send_head(STATUS_LINES[200], cached.fields, FileRange(file, 0, info.st_size))
                return
            start, length = wanted
            end = start + length - 1
            ranged = f"Content-Range: bytes {start}-{end}/{info.st_size}\r\nContent-Length: {length}\r\n"
            fields = cached.ranged_fields + ranged.encode()
            if head:
                self._send_head(STATUS_LINES[206], fields)
            elif length <= SMALL_FILE:
                self._send_head(STATUS_LINES[206], fields, read_range(path, start, length))
            else:
                file = open(path, "rb")  # noqa: SIM115
                self._send_head(STATUS_LINES[206], fields, FileRange(file, start, length))
        except OSError:
            self._refuse(403, "This file cannot be read")

    def _start_upload(self, target: Target, headers: dict[bytes, bytes]) -> None:
        config = self.server.config
        if not config.upload:
            self._respond(
                405,
                [(b"Allow", b"GET, HEAD")],
                error_html(405, "Method Not Allowed", "Uploads are off for this folder."),
                close=True,
            )
            return
        if not os.path.isdir(target.path):
            self._refuse(404, "Uploads go to a folder", close=True)
            return
        limit = config.max_upload_mb * 1024 * 1024
        length = headers.get(b"content-length")
        if length is not None and length.isdigit() and int(length) > limit:
            self._refuse(413, f"Uploads are limited to {config.max_upload_mb} MB", close=True)
            return
        from python_multipart.multipart import parse_options_header  # only uploads need it

        kind, options = parse_options_header(headers.get(b"content-type", b""))
        boundary = options.get(b"boundary")
        if kind != b"multipart/form-data" or not boundary:
            self._refuse(
                400, "Uploads must be multipart/form-data, as the upload form sends them", close=True
            )
            return
        self._upload = Upload(target.path, boundary, limit)
        self._upload_target = target
        if headers.get(b"expect", b"").lower() == b"100-continue" and not self._active_complete():
            self.out.append(b"HTTP/1.1 100 Continue\r\n\r\n")
            self._flush()

    def _active_complete(self) -> bool:
        return self._active is not None and self._active.complete

    def _upload_step(self, step: Callable[..., None], *args: Any) -> bool:
        """Feed or finish the upload; on failure answer as HTTP says and return False.

        The client's fault (too large, not multipart) is a 4xx. This machine's (disk full, no
        permission) is a 507 or 500 with an Error row, and so is a bug: never "could not be read".
        """
        from python_multipart.exceptions import MultipartParseError

        upload = self._upload
        assert upload is not None
        try:
            step(*args)
            return True
        except UploadTooLarge:
            status, message = 413, f"Uploads are limited to {self.server.config.max_upload_mb} MB"
        except MultipartParseError as exc:
            status, message = 400, f"The upload could not be read ({exc})"
        except OSError as exc:
            full = exc.errno in (errno.ENOSPC, errno.EDQUOT)
            status = 507 if full else 500
            message = f"The upload could not be saved: {exc.strerror or exc}"
            self.server.emit(
                Error(
                    source=self.server.source,
                    conn=self.conn,
                    peer=self.peer,
                    message=f"Could not save an upload in {upload.folder}: {exc.strerror or exc}",
                    hint="free some disk space" if full else "check that the folder is writable",
                )
            )
        except Exception as exc:  # a bug: say so in the log, keep serving everyone else
            status, message = 500, "The server failed while saving the upload"
            self.server.emit(
                Error(
                    source=self.server.source,
                    conn=self.conn,
                    peer=self.peer,
                    message=f"Internal error while saving an upload: {exc!r}",
                    hint="please report this with the details below",
                    detail=traceback.format_exc(),
                )
            )
        self._upload = None
        self._saved = tuple(upload.saved)
        with contextlib.suppress(OSError):
            upload.abort()
        self._refuse(status, message, close=True)
        return False

    def _on_end_of_body(self) -> None:
        upload, target = self._upload, self._upload_target
        if upload is None or target is None:
            return
        if not self._upload_step(upload.finish):
            return
        self._upload = None
        self._saved = tuple(upload.saved)
        location = redirect_location(target.url_path).encode()
        names = ", ".join(upload.saved) or "nothing"
        self._respond(303, [(b"Location", location)], error_html(303, "See Other", f"Saved {names}."))

    # ------------------------------------------------------------------ responses
    def _refuse(self, status: int, message: str, close: bool = False) -> None:
        self._respond(status, [], error_html(status, reason_phrase(status), message), close=close)

    def _respond(
        self,
        status: int,
        headers: list[tuple[bytes, bytes]],
        body: str | bytes,
        head: bool = False,
        close: bool = False,
    ) -> None:
        """A response built here (errors, listings, redirects); files go through _send_head."""
        if isinstance(body, str):
            body = body.encode()
            headers = [(b"Content-Type", b"text/html; charset=utf-8"), *headers]
        fields = b"".join(b"%s: %s\r\n" % pair for pair in headers)
        if status != 304:
            fields += b"Content-Length: %d\r\n" % len(body)
        if close:
            self._close_after = True
        self._send_head(status_line(status), fields, b"" if head or status == 304 else body)

    def _send_head(self, status_line: bytes, fields: bytes, body: bytes | FileRange = b"") -> None:
        """Queue one response: status line, our fixed fields, the given ones, and the body."""
        if self._responded or self._active is None:
            return  # one answer per request
        self._responded = True
        self._status = int(status_line[9:12])
        server = self.server
        keep = not self._close_after and not self._eof
        if not keep:
            self._close_after = True
            connection = b"Connection: close\r\n"
        elif self._active.version == "1.0":
            connection = b"Connection: keep-alive\r\n"  # HTTP/1.0 closes unless told otherwise
        else:
            connection = b""
        head = b"%sServer: %s\r\nDate: %s\r\n%s%s\r\n" % (
            status_line,
            SERVER_NAME,
            server.date_header(),
            fields,
            connection,
        )
        self._response_head = head
        if isinstance(body, FileRange):
            self.out.append(head)
            self.out.append(body)
        else:
            self.out.append(head + body if body else head)

    def _finish(self) -> bool:
        """The response is out: once the request has fully arrived too, log the exchange and start the
        next request. True if that queued another response to send."""
        request = self._active
        if request is None:
            return False
        if not self._responded or self.out or not (request.complete or self._close_after):
            return False
        self._active = None
        self.server.messages_out += 1
        self.server.emit(
            HttpExchange(
                source=self.server.source,
                conn=self.conn,
                peer=self.peer,
                method=request.method.decode("latin-1"),
                target=display_target(request.target),
                status=self._status,
                bytes_sent=self._sent,
                duration=time.monotonic() - self._started,
                request_head=request.head,
                response_head=self._response_head,
                saved=self._saved,
            )
        )
        if self._close_after:
            if self._eof and request.complete and not self._broken:
                self.close("the client closed the connection")
            elif request.complete and not self._broken:
                self._linger("done (the connection is not kept alive)")
            else:
                self._linger("done (the rest of the request was not wanted)")
            return False
        if not self._pending:
            if self._eof:
                self.close("the client closed the connection")
            return False
        self._begin(self._pending.popleft())
        return bool(self.out)

    def _linger(self, reason: str) -> None:
        """Our answer is out: say we are done sending (FIN) and drop what still arrives, for a while."""
        self._linger_reason = reason
        self._linger_until = time.monotonic() + LINGER_SECONDS
        try:
            self.sock.shutdown(socket.SHUT_WR)
        except OSError:
            self.close(reason)
            return
        self._set_interest(READ)

    def idle_check(self, now: float) -> None:
        if self._linger_until:
            if now >= self._linger_until:
                self.close(self._linger_reason)
            return
        if now - self.last_active < self.server.config.idle_timeout:
            return
        if self.out:
            self.close("the client stopped reading; timed out")
        elif self._active is not None and not self._responded:  # mid-body: answer in turn
            self._refuse(408, "The request took too long to arrive", close=True)
            self._flush()
        elif self._in_head:  # half a request head: no request to answer, so say it raw
            with contextlib.suppress(OSError):
                self.sock.send(REQUEST_TIMEOUT)
            self.close("the request head took too long to arrive")
        else:
            self.close("idle, timed out")

    def failed(self, exc: Exception) -> None:
        """An expected failure on this connection: say so and close it; the server serves on."""
        error = error_event(exc, source=self.server.source, action="serve", conn=self.conn, peer=self.peer)
        self.server.emit(error)
        self.close(error.message)

    def close(self, reason: str) -> None:
        if self.closed:
            return
        self.closed = True
        self._set_interest(0)
        for item in self.out:
            if isinstance(item, FileRange):
                item.file.close()
        self.out.clear()
        if self._upload is not None:
            with contextlib.suppress(OSError):
                self._upload.abort()
        self.sock.close()
        self.server.connections -= 1
        self.server.drop(self)
        self.server.emit(Closed(source=self.server.source, conn=self.conn, peer=self.peer, reason=reason))


def _after_heads(data: bytes, count: int) -> bytes:
    """What follows the count-th blank line in data: the start of the request after them."""
    for _ in range(count):
        end = data.find(b"\r\n\r\n")
        size = 4
        if end < 0:
            end, size = data.find(b"\n\n"), 2
        if end < 0:
            return data
        data = data[end + size :]
    return data


def read_range(path: str, start: int, length: int) -> bytes:
    fd = os.open(path, os.O_RDONLY)
    try:
        return os.pread(fd, length, start)
    finally:
        os.close(fd)


def reason_phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def status_line(status: int) -> bytes:
    return STATUS_LINES.get(status) or f"HTTP/1.1 {status} {reason_phrase(status)}\r\n".encode()


STATUS_LINES = {s.value: f"HTTP/1.1 {s.value} {s.phrase}\r\n".encode() for s in HTTPStatus}


def file_version(info: os.stat_result) -> tuple[int, ...]:
    """What changes whenever a file does: ctime moves on every write, chmod or rename, even when a
    tool puts the old mtime back; a file replaced by another has a new inode."""
    return (info.st_mtime_ns, info.st_ctime_ns, info.st_size, info.st_ino, info.st_dev)


class FileHead:
    """What every response for one version of a file shares, built once and kept until it changes."""

    __slots__ = ("body", "fields", "key", "ranged_fields", "validators")

    def __init__(self, path: str, info: os.stat_result) -> None:
        self.key = file_version(info)
        kind = content_type(os.path.splitext(path)[1].lower()).encode()
        self.validators = [
            (b"Last-Modified", http_date(info.st_mtime).encode()),
            (b"ETag", etag(info).encode()),
        ]
        common = b"Content-Type: %s\r\nAccept-Ranges: bytes\r\n" % kind + b"".join(
            b"%s: %s\r\n" % pair for pair in self.validators
        )
        self.ranged_fields = common
        self.fields = common + b"Content-Length: %d\r\n" % info.st_size
        self.body: bytes | None = None  # a small file's bytes, kept while the file stays the same


class FileServer(Engine):
    """Serves one folder. Thread-safe commands: stop(), set_trace()."""

    source = "file server"

    def __init__(self, config: FileServerConfig, sink: Callable[..., None]) -> None:
        super().__init__(sink)
        self.config = config
        self.root = os.path.realpath(config.root)
        self.address: tuple[str, int] | None = None
        self._listener: socket.socket | None = None
        self._connections: dict[int, HttpConnection] = {}
        self._next = 1
        self._date = (0, b"")
        self._heads: dict[str, FileHead] = {}
        self._cached_bytes = 0  # small files' bytes kept in the FileHeads

    def file_head(self, path: str, info: os.stat_result) -> FileHead:
        """The response fields for this version of the file, built on first use."""
        cached = self._heads.get(path)
        if cached is not None and cached.key == file_version(info):
            return cached
        if cached is not None and cached.body is not None:
            self._cached_bytes -= len(cached.body)
        if len(self._heads) >= MAX_CACHED_FILES:
            self._heads.clear()
            self._cached_bytes = 0
        cached = self._heads[path] = FileHead(path, info)
        return cached

    def keep_body(self, cached: FileHead, body: bytes) -> None:
        """Keep a small file's bytes with its head, while the cache has room."""
        if self._cached_bytes + len(body) <= MAX_CACHED_BYTES:
            cached.body = body
            self._cached_bytes += len(body)

    def date_header(self) -> bytes:
        now = int(time.time())
        if self._date[0] != now:
            self._date = (now, http_date(now).encode())
        return self._date[1]

    def setup(self) -> bool:
        config = self.config
        if not os.path.isdir(config.root):
            # Checked at start, not in the config, so a lab written on another machine still loads.
            message = f"The folder {config.root} does not exist on this machine"
            self.emit(Error(source=self.source, message=message, hint="pick a folder to share"))
            return False
        family = socket.AF_INET6 if ":" in config.host else socket.AF_INET
        try:
            sock = socket.socket(family, socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((config.host.strip("[]"), config.port))
            sock.listen(1024)
        except OSError as exc:
            problem = explain(exc, action="bind", host=config.host, port=config.port)
            self.emit(Error(source=self.source, message=problem.message, hint=problem.hint))
            return False
        sock.setblocking(False)
        self._listener = sock
        bound = sock.getsockname()
        self.address = (bound[0], bound[1])
        self.loop.selector.register(sock, READ, self._accept)
        self.loop.call_later(1.0, self._check_idle)
        self.emit(Listening(source=self.source, host=bound[0], port=bound[1]))
        return True

    def _accept(self, _mask: int) -> None:
        assert self._listener is not None
        for sock, address in self.accept_all(self._listener):
            peer = format_address(address)
            try:
                # Without TCP_NODELAY, keep-alive responses wait ~40 ms for delayed ACKs (Nagle).
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                local = format_address(sock.getsockname())
            except OSError as exc:  # the client reset the connection before we got to it
                sock.close()
                self.emit(error_event(exc, source=self.source, action="accept", peer=peer))
                continue
            conn, self._next = self._next, self._next + 1
            self.connections += 1
            self._connections[conn] = HttpConnection(self, sock, conn, peer)
            self.emit(Opened(source=self.source, conn=conn, peer=peer, local=local))

    def drop(self, connection: HttpConnection) -> None:
        self._connections.pop(connection.conn, None)

    def _check_idle(self) -> None:
        now = time.monotonic()
        for connection in list(self._connections.values()):
            connection.idle_check(now)
        self.loop.call_later(1.0, self._check_idle)

    def teardown(self) -> None:
        for connection in list(self._connections.values()):
            connection.close("the server stopped")
        if self._listener is not None:
            self.loop.selector.unregister(self._listener)
            self._listener.close()
