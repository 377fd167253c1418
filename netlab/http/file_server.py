"""The file server engine: `python -m http.server` grown up. One thread, h11 parsing, sendfile bodies."""

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
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

import h11
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

from netlab import __version__
from netlab.core.config import (
    FieldProblem,
    format_address,
    host_problems,
    port_problems,
    raise_if,
    range_problems,
    secret,
)
from netlab.core.engine import Engine, Registered
from netlab.core.errors import error_event, explain
from netlab.core.events import Closed, Error, HttpExchange, Listening, Opened
from netlab.http.files import (
    Refusal,
    Target,
    byte_range,
    content_type,
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


@dataclass(frozen=True)
class FileServerConfig:
    root: str = "."
    host: str = "127.0.0.1"
    port: int = 8000
    upload: bool = False
    max_upload_mb: int = 100
    auth: str = secret()  # "user:password"; empty: no password
    show_hidden: bool = False
    idle_timeout: float = 15.0

    def __post_init__(self) -> None:
        problems = host_problems(self.host)
        problems += port_problems(self.port)
        problems += range_problems(self.max_upload_mb, 1, 1_000_000, "max_upload_mb", "Upload limit (MB)")
        problems += range_problems(self.idle_timeout, 0.1, 3600, "idle_timeout", "Idle timeout")
        if self.auth and (":" not in self.auth or not self.auth.partition(":")[0]):
            problems.append(FieldProblem("auth", "The login must be user:password", "e.g. student:secret"))
        raise_if(problems)


class FileRange:
    """Part of an open file, sent with os.sendfile; len() is what is left, as h11 counts the body."""

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


class HttpConnection(Registered):
    """One client connection: h11 parses, this answers. Runs on the loop thread."""

    def __init__(self, server: FileServer, sock: socket.socket, conn: int, peer: str) -> None:
        super().__init__(server.loop, sock)
        self.server = server
        self.conn = conn
        self.peer = peer
        self.h11 = h11.Connection(h11.SERVER, max_incomplete_event_size=MAX_HEAD * 2)
        self.out: deque[bytes | FileRange] = deque()
        self._offset = 0
        self.last_active = time.monotonic()
        self.closed = False
        self._method = ""
        self._target = ""
        self._started = 0.0
        self._status = 0
        self._sent = 0
        self._upload: Upload | None = None
        self._upload_target: Target | None = None
        self._processing = False
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
        self.server.bytes_in += len(data)
        self.h11.receive_data(data)
        self._process()

    def _flush(self) -> None:
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
                        return
                    item.offset += sent
                    item.remaining -= sent
                    if not item.remaining:
                        item.file.close()
                        self.out.popleft()
                else:
                    sent = self.sock.send(memoryview(item)[self._offset :])
                    self._offset += sent
                    if self._offset == len(item):
                        self.out.popleft()
                        self._offset = 0
            except BlockingIOError:
                break
            except OSError:
                self.close("the client went away")
                return
            self._sent += sent
            self.server.bytes_out += sent
        if self.out:
            self._set_interest(WRITE)
            return
        self._response_done()

    # ------------------------------------------------------------------ HTTP
    def _process(self) -> None:
        """Answer every complete request h11 has, one at a time; pipelined ones wait their turn."""
        self._processing = True
        try:
            self._process_events()
        finally:
            self._processing = False

    def _process_events(self) -> None:
        while not self.closed and not self.out:
            try:
                event = self.h11.next_event()
            except h11.RemoteProtocolError as exc:
                self._refuse(exc.error_status_hint, "The request was not valid HTTP/1.1", close=True)
                return
            if event is h11.NEED_DATA:
                self._check_head_size()
                return
            if event is h11.PAUSED:
                if self.h11.our_state is not h11.DONE or self.h11.their_state is not h11.DONE:
                    return
                self.h11.start_next_cycle()
                continue
            if isinstance(event, h11.Request):
                self._on_request(event)
            elif isinstance(event, h11.Data):
                self._on_body(event.data)
            elif isinstance(event, h11.EndOfMessage):
                self._on_end_of_body()
            elif isinstance(event, h11.ConnectionClosed):
                self.close("the client closed the connection")

    def _check_head_size(self) -> None:
        """A head still arriving: refuse it as soon as it is too long, without waiting for the rest."""
        if self.h11.their_state is not h11.IDLE:
            return
        pending = self.h11.trailing_data[0]
        line_end = pending.find(b"\r\n", 0, MAX_REQUEST_LINE + 2)
        self._refuse_oversized_head(len(pending) if line_end < 0 else line_end, len(pending))

    def _refuse_oversized_head(self, line: int, head: int) -> bool:
        """414 for a request line over MAX_REQUEST_LINE, 431 for a head over MAX_HEAD; True if refused."""
        if line > MAX_REQUEST_LINE:
            self._refuse(414, f"The request line is longer than {MAX_REQUEST_LINE:,} bytes", close=True)
        elif head > MAX_HEAD:
            self._refuse(431, f"The request headers are larger than {MAX_HEAD:,} bytes", close=True)
        else:
            return False
        return True

    def _on_request(self, request: h11.Request) -> None:
        self._method = request.method.decode("latin-1")
        self._target = request.target.decode("latin-1")
        self._started = time.monotonic()
        self._sent = 0
        self.server.messages_in += 1
        line = len(request.method) + len(request.target) + len(b"  HTTP/1.1")
        if self._refuse_oversized_head(line, line + sum(len(n) + len(v) + 4 for n, v in request.headers)):
            return
        headers = {name: value for name, value in request.headers}
        config = self.server.config
        if config.auth and not self._authorised(headers.get(b"authorization", b"")):
            self._respond(
                401,
                [(b"www-authenticate", b'Basic realm="NetLab", charset="UTF-8"')],
                error_html(401, "Unauthorized", "This folder needs a user name and password."),
            )
            return
        resolved = resolve(self.server.root, request.target, config.show_hidden)
        if isinstance(resolved, Refusal):
            self._refuse(resolved.status, resolved.message)
            return
        if request.method == b"POST":
            self._start_upload(resolved, headers)
        elif request.method in (b"GET", b"HEAD"):
            self._serve(resolved, headers, head=request.method == b"HEAD")
        else:
            allow = b"GET, HEAD, POST" if config.upload else b"GET, HEAD"
            self._respond(405, [(b"allow", allow)], error_html(405, "Method Not Allowed", "Use GET or HEAD."))

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
                    301, [(b"location", location)], error_html(301, "Moved Permanently", "This is a folder.")
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
            self._respond(200, [(b"content-type", b"text/html; charset=utf-8")], page, head=head)
            return
        if not stat.S_ISREG(info.st_mode):
            self._refuse(404, "Not found")
            return
        if target.wants_directory:
            self._refuse(404, "Not found")  # "file.txt/" is not a folder
            return
        self._send_file(target.path, info, headers, head)

    def _send_file(self, path: str, info: os.stat_result, headers: dict[bytes, bytes], head: bool) -> None:
        validators = [(b"last-modified", http_date(info.st_mtime).encode()), (b"etag", etag(info).encode())]
        if not_modified(headers, info):
            self._respond(304, validators, b"")
            return
        wanted = byte_range(headers, info)
        if isinstance(wanted, Refusal):
            self._respond(
                416,
                [(b"content-range", f"bytes */{info.st_size}".encode())],
                error_html(416, "Range Not Satisfiable", wanted.message),
            )
            return
        start, length = wanted if wanted else (0, info.st_size)
        kind = content_type(os.path.splitext(path)[1].lower())
        response_headers = [
            (b"content-type", kind.encode()),
            (b"accept-ranges", b"bytes"),
            *validators,
        ]
        if wanted:
            end = start + length - 1
            response_headers.append((b"content-range", f"bytes {start}-{end}/{info.st_size}".encode()))
        response_headers.append((b"content-length", str(length).encode()))
        status = 206 if wanted else 200
        try:
            if head or length <= SMALL_FILE:  # one read, then headers and body leave in one send()
                body = b"" if head else read_range(path, start, length)
                self._respond(status, response_headers, body, head=head)
            else:
                self._respond(status, response_headers, FileRange(open(path, "rb"), start, length))  # noqa: SIM115
        except OSError:
            self._refuse(403, "This file cannot be read")

    def _start_upload(self, target: Target, headers: dict[bytes, bytes]) -> None:
        config = self.server.config
        if not config.upload:
            self._respond(
                405,
                [(b"allow", b"GET, HEAD")],
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
        kind, options = parse_options_header(headers.get(b"content-type", b""))
        boundary = options.get(b"boundary")
        if kind != b"multipart/form-data" or not boundary:
            self._refuse(
                400, "Uploads must be multipart/form-data, as the upload form sends them", close=True
            )
            return
        self._upload = Upload(target.path, boundary, limit)
        self._upload_target = target
        if self.h11.they_are_waiting_for_100_continue:
            self.out.append(self.h11.send(h11.InformationalResponse(status_code=100, headers=[])))
            self._flush()

    def _on_body(self, data: bytes) -> None:
        if self._upload is None:
            return  # a body we do not want (e.g. on GET): h11 reads past it
        self._upload_step(self._upload.feed, data)

    def _upload_step(self, step: Callable[..., None], *args: Any) -> bool:
        """Feed or finish the upload; on failure answer as HTTP says and return False.

        The client's fault (too large, not multipart) is a 4xx. This machine's (disk full, no
        permission) is a 507 or 500 with an Error row, and so is a bug: never "could not be read".
        """
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
        location = redirect_location(target.url_path).encode()
        names = ", ".join(upload.saved) or "nothing"
        self._respond(303, [(b"location", location)], error_html(303, "See Other", f"Saved {names}."))

    # ------------------------------------------------------------------ responses
    def _refuse(self, status: int, message: str, close: bool = False) -> None:
        reason = reason_phrase(status)
        self._respond(status, [], error_html(status, reason, message), close=close)

    def _respond(
        self,
        status: int,
        headers: list[tuple[bytes, bytes]],
        body: str | bytes | FileRange,
        head: bool = False,
        close: bool = False,
    ) -> None:
        # h11 lets a server answer in IDLE only a request it could not parse (their side in ERROR).
        answerable = self.h11.our_state is h11.SEND_RESPONSE or (
            self.h11.our_state is h11.IDLE and self.h11.their_state is h11.ERROR
        )
        if not answerable:
            self.close("the request could not be answered")
            return
        if isinstance(body, str):
            body = body.encode()
            headers = [(b"content-type", b"text/html; charset=utf-8"), *headers]
        if not isinstance(body, FileRange) and not any(name == b"content-length" for name, _ in headers):
            headers = [*headers, (b"content-length", str(len(body)).encode())]
        headers = [(b"server", SERVER_NAME), (b"date", self.server.date_header()), *headers]
        if close:
            headers.append((b"connection", b"close"))
        self._status = status
        try:
            head_bytes = self.h11.send(
                h11.Response(status_code=status, headers=headers, reason=reason_phrase(status).encode())
            )
            if isinstance(body, FileRange):
                self.out.append(head_bytes or b"")
                for part in self.h11.send_with_data_passthrough(h11.Data(data=body)) or []:  # type: ignore[arg-type]
                    self.out.append(part)
                self.out.append(self.h11.send(h11.EndOfMessage()) or b"")
            else:
                payload = b"" if head or not body else (self.h11.send(h11.Data(data=body)) or b"")
                self.out.append((head_bytes or b"") + payload + (self.h11.send(h11.EndOfMessage()) or b""))
        except h11.LocalProtocolError as exc:
            self.server.emit(
                Error(
                    source=self.server.source,
                    conn=self.conn,
                    peer=self.peer,
                    message=f"Could not answer {self._method} {self._target}: {exc}",
                )
            )
            self.close("the response could not be formed")
            return
        self._flush()

    def _response_done(self) -> None:
        self._set_interest(READ)
        if self._status:
            self.server.messages_out += 1
            self.server.emit(
                HttpExchange(
                    source=self.server.source,
                    conn=self.conn,
                    peer=self.peer,
                    method=self._method,
                    target=self._target,
                    status=self._status,
                    bytes_sent=self._sent,
                    duration=time.monotonic() - self._started,
                )
            )
            self._status = 0
        if self.h11.our_state is h11.MUST_CLOSE or self.h11.their_state is h11.MUST_CLOSE:
            if self.h11.their_state in (h11.SEND_BODY, h11.ERROR, h11.IDLE):
                self._linger("done (the rest of the request was not wanted)")
            else:
                self.close("done (the connection is not kept alive)")
        elif not self._processing:
            self._process()  # a pipelined request may already be waiting in h11's buffer

    def _linger(self, reason: str) -> None:
        """Our answer is out: say we are done sending (FIN) and drop what still arrives, for a while."""
        self._linger_reason = reason
        self._linger_until = time.monotonic() + LINGER_SECONDS
        try:
            self.sock.shutdown(socket.SHUT_WR)
        except OSError:
            self.close(reason)

    def idle_check(self, now: float) -> None:
        if self._linger_until:
            if now >= self._linger_until:
                self.close(self._linger_reason)
            return
        if now - self.last_active < self.server.config.idle_timeout:
            return
        if self.out:
            self.close("the client stopped reading; timed out")
        elif self.h11.our_state is h11.SEND_RESPONSE:  # mid-body: h11 can frame the answer
            self._refuse(408, "The request took too long to arrive", close=True)
        elif self.h11.trailing_data[0]:  # half a request head: h11 has no request to answer, so say it raw
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
            self._upload.abort()
        self.sock.close()
        self.server.connections -= 1
        self.server.drop(self)
        self.server.emit(Closed(source=self.server.source, conn=self.conn, peer=self.peer, reason=reason))


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
