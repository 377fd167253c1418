"""HTTP form engine: sends a request with urllib.request or requests and records the bytes at the socket.

The wire view is not rebuilt from the request object. Each connection either library opens is made
by a connection class of ours (a subclass of http.client's, or of urllib3's) whose connect() wraps
the socket in a recorder: every sendall()/send() and every byte the response reader takes from the
socket becomes a Data event, one conversation per connection. With TLS the recorder sits above the
encryption, so the rows are the plaintext, and the log says so.

Requests run one at a time on the engine's thread, never on the GUI thread. A requests Session and
a urllib cookie jar live in the engine until new_session(), so cookies and keep-alive persist.
"""

from __future__ import annotations

import contextlib
import functools
import gzip
import http.client
import http.cookiejar
import io
import json
import socket
import ssl
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO, Any

from netlab.core.config import format_address
from netlab.core.conversations import new_number, tcp_key
from netlab.core.engine import Engine
from netlab.core.errors import EXPECTED, error_event, explain
from netlab.core.events import Closed, Data, Direction, Event, Info, Opened, Sink, TlsInfo
from netlab.core.present import human_bytes
from netlab.core.problem import Problem
from netlab.http.form import has_header, header_dict
from netlab.http.form_config import AuthKind, Backend, BodyKind, HttpFormConfig

CHUNK = 64 * 1024
RETRY_STATUSES = (500, 502, 503, 504)
TOO_LARGE_HINT = "use Save to file: it streams the whole body to disk instead of memory"


@dataclass(frozen=True, slots=True, kw_only=True)
class Redirect:
    status: int
    url: str
    location: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Cookie:
    name: str
    value: str
    domain: str
    path: str


class FormResponse(Info, frozen=True, kw_only=True):
    """A response arrived (a log line, and everything the tab's response view shows)."""

    backend: Backend
    method: str
    url: str  # the final URL, after any redirects
    status: int
    reason: str
    elapsed: float  # seconds from the first connect to the last byte of the body
    size: int  # bytes of body received (after gzip is undone)
    headers: tuple[tuple[str, str], ...]
    body: bytes  # at most config.cap bytes
    too_large: bool = False  # the body passed the cap: reading stopped
    redirects: tuple[Redirect, ...] = ()
    cookies: tuple[Cookie, ...] = ()
    saved_to: str = ""  # the body went to this file instead of memory

    @property
    def content_type(self) -> str:
        for name, value in self.headers:
            if name.lower() == "content-type":
                return value
        return ""


class Cancelled(Exception):
    """The user cancelled: the recorder shut the connection."""


class Wire:
    """Hands each new socket a recorder, and remembers the live ones so cancel() can shut them."""

    def __init__(self, emit: Callable[[Event], None], source: str) -> None:
        self._emit = emit
        self._source = source
        self._lock = threading.Lock()
        self._live: set[RecordingSocket] = set()

    def wrap(self, sock: Any) -> RecordingSocket:
        recorder = RecordingSocket(sock, self)
        with self._lock:
            self._live.add(recorder)
        return recorder

    def emit(self, event: Event) -> None:
        self._emit(event)

    def forget(self, recorder: RecordingSocket) -> None:
        with self._lock:
            self._live.discard(recorder)

    def shut_all(self) -> None:
        """Thread-safe: wake any read blocked on a live connection (the library then fails and we say why)."""
        with self._lock:
            live = list(self._live)
        for recorder in live:
            recorder.shut()


class RecordingSocket:
    """A socket (or TLS socket) that reports every byte sent and received; anything else is passed on.

    http.client reads through makefile("rb"); the file handed out reads through recv_into() here.
    Like a real socket, closing waits for the last such file to close.
    """

    def __init__(self, sock: Any, wire: Wire) -> None:
        self._sock = sock
        self._wire = wire
        self._readers = 0
        self._closing = False
        self._closed = False
        self._eof = False
        self.conn = new_number()
        self.key = tcp_key(self.conn)
        self.peer = format_address(sock.getpeername())
        self._event(Opened, local=format_address(sock.getsockname()))
        if isinstance(sock, ssl.SSLSocket):
            cipher = sock.cipher()
            self._event(TlsInfo, version=sock.version() or "", cipher=cipher[0] if cipher else "")
            self._event(
                Info,
                text="TLS: the rows below are the plaintext before encryption (sent) and after decryption "
                "(received) - on the wire they travel encrypted",
            )

    def _event(self, kind: Any, **fields: Any) -> None:
        self._wire.emit(
            kind(source=self._wire._source, conn=self.conn, peer=self.peer, conversation=self.key, **fields)
        )

    def _record(self, direction: Direction, data: bytes) -> None:
        if data:
            self._event(Data, direction=direction, data=data)

    # ------------------------------------------------------------------ the calls http.client makes
    def sendall(self, data: Any, flags: int = 0) -> None:
        self._sock.sendall(data, flags) if flags else self._sock.sendall(data)
        self._record(Direction.SENT, bytes(data))

    def send(self, data: Any, flags: int = 0) -> int:
        sent: int = self._sock.send(data, flags) if flags else self._sock.send(data)
        self._record(Direction.SENT, bytes(memoryview(data)[:sent]))
        return sent

    def recv(self, size: int, flags: int = 0) -> bytes:
        data: bytes = self._sock.recv(size, flags) if flags else self._sock.recv(size)
        self._got(data)
        return data

    def recv_into(self, buffer: Any, size: int = 0, flags: int = 0) -> int:
        count: int = (
            self._sock.recv_into(buffer, size, flags) if flags else self._sock.recv_into(buffer, size)
        )
        self._got(bytes(memoryview(buffer)[:count]))
        return count

    def _got(self, data: bytes) -> None:
        if data:
            self._record(Direction.RECEIVED, data)
        elif not self._eof:
            self._eof = True
            self._event(Info, text="recv() → b'' - the server closed its side (FIN received)")

    def makefile(self, mode: str = "r", buffering: int | None = None, **_: Any) -> IO[bytes]:
        self._readers += 1
        return io.BufferedReader(_Reader(self), buffering or io.DEFAULT_BUFFER_SIZE)

    def close(self) -> None:
        self._closing = True
        self._close_if_unused()

    def reader_closed(self) -> None:
        self._readers -= 1
        self._close_if_unused()

    def _close_if_unused(self) -> None:
        if self._closed or not self._closing or self._readers > 0:
            return
        self._closed = True
        self._wire.forget(self)
        self._sock.close()
        self._event(Closed, reason="the library closed the connection")

    def shut(self) -> None:
        with contextlib.suppress(OSError):  # already closed or never connected: nothing to wake
            self._sock.shutdown(socket.SHUT_RDWR)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)  # settimeout, fileno, getpeercert, version ...


class _Reader(io.RawIOBase):
    """The raw file under http.client's response reader: every read goes through the recorder."""

    def __init__(self, owner: RecordingSocket) -> None:
        super().__init__()
        self._owner = owner

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        return self._owner.recv_into(buffer)

    def close(self) -> None:
        if not self.closed:
            super().close()
            self._owner.reader_closed()


# ---------------------------------------------------------------------- urllib's connection classes
class _RecordingHTTPConnection(http.client.HTTPConnection):
    def __init__(self, *args: Any, wire: Wire, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._wire = wire

    def connect(self) -> None:
        super().connect()
        self.sock = self._wire.wrap(self.sock)


class _RecordingHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, *args: Any, wire: Wire, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._wire = wire

    def connect(self) -> None:
        super().connect()  # TCP connect and TLS handshake: what is recorded from here on is plaintext
        self.sock = self._wire.wrap(self.sock)


class _RecordingHTTPHandler(urllib.request.HTTPHandler):
    def __init__(self, wire: Wire) -> None:
        super().__init__()
        self._wire = wire

    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(functools.partial(_RecordingHTTPConnection, wire=self._wire), req)


class _RecordingHTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, wire: Wire, context: ssl.SSLContext) -> None:
        super().__init__(context=context)
        self._wire = wire
        self._context_used = context

    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(
            functools.partial(_RecordingHTTPSConnection, wire=self._wire), req, context=self._context_used
        )


class _RedirectRecorder(urllib.request.HTTPRedirectHandler):
    """Notes each redirect followed; with follow=False refuses them, so the 3xx is the response."""

    def __init__(self, follow: bool) -> None:
        self.follow = follow
        self.chain: list[Redirect] = []

    def redirect_request(
        self, req: urllib.request.Request, fp: IO[bytes], code: int, msg: str, headers: Any, newurl: str
    ) -> urllib.request.Request | None:
        if not self.follow:
            return None
        self.chain.append(Redirect(status=code, url=req.full_url, location=newurl))
        return super().redirect_request(req, fp, code, msg, headers, newurl)


# ---------------------------------------------------------------------- requests' (urllib3's) classes
def _requests_adapter(wire: Wire) -> Any:
    """An HTTPAdapter whose pools make recording connections (for direct and proxied requests)."""
    import requests.adapters
    import urllib3.connection
    import urllib3.connectionpool

    def recording(base: type[Any]) -> type[Any]:
        def connect(self: Any) -> None:
            base.connect(self)
            self.sock = wire.wrap(self.sock)

        return type(f"Recording{base.__name__}", (base,), {"connect": connect})

    pools = {
        "http": type(
            "RecordingHTTPPool",
            (urllib3.connectionpool.HTTPConnectionPool,),
            {"ConnectionCls": recording(urllib3.connection.HTTPConnection)},
        ),
        "https": type(
            "RecordingHTTPSPool",
            (urllib3.connectionpool.HTTPSConnectionPool,),
            {"ConnectionCls": recording(urllib3.connection.HTTPSConnection)},
        ),
    }

    class RecordingAdapter(requests.adapters.HTTPAdapter):
        def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
            super().init_poolmanager(*args, **kwargs)
            self.poolmanager.pool_classes_by_scheme = pools

        def proxy_manager_for(self, proxy: str, **kwargs: Any) -> Any:
            manager = super().proxy_manager_for(proxy, **kwargs)
            manager.pool_classes_by_scheme = pools
            return manager

    return RecordingAdapter()


# ---------------------------------------------------------------------- the engine
class HttpFormClient(Engine):
    """Sends HTTP requests with urllib or requests; the socket's bytes, then a FormResponse or an Error.

    Thread-safe commands: send(config, save_to=""), cancel(), new_session(), stop().
    """

    source = "http"

    def __init__(self, sink: Sink, trace: bool = False) -> None:
        super().__init__(sink, trace=trace)
        self.wire = Wire(self.emit, self.source)
        self._cancelled = threading.Event()
        self._session: Any = None
        self._jar = http.cookiejar.CookieJar()

    def send(self, config: HttpFormConfig, save_to: str = "") -> None:
        self.loop.call_soon_threadsafe(self._send, config, save_to)

    def cancel(self) -> None:
        """Thread-safe: end the request under way (its connections are shut)."""
        self._cancelled.set()
        self.wire.shut_all()

    def new_session(self) -> None:
        """Thread-safe: forget cookies and close kept-alive connections."""
        self.loop.call_soon_threadsafe(self._new_session)

    def stop(self) -> None:
        self.cancel()  # a request blocking the loop ends now, so run() returns at once
        super().stop()

    def teardown(self) -> None:
        if self._session is not None:
            self._session.close()

    # ------------------------------------------------------------------ loop thread
    def _new_session(self) -> None:
        if self._session is not None:
            self._session.close()  # closes kept-alive connections: their Closed rows follow
        self._session = None
        self._jar = http.cookiejar.CookieJar()
        self.emit(
            Info(source=self.source, text="New session: cookies forgotten, kept-alive connections closed")
        )

    def _send(self, config: HttpFormConfig, save_to: str) -> None:
        self._cancelled.clear()
        missing = config.sending_problems()
        if missing:
            self.emit(error_event(missing[0], source=self.source, action="the request"))
            return
        run = self._send_requests if config.backend == Backend.REQUESTS else self._send_urllib
        self.emit(Info(source=self.source, text=f"{config.backend.value}: {config.method} {config.url}"))
        if not config.verify and config.url.lower().startswith("https:"):
            self.emit(
                Info(
                    source=self.source,
                    text="Verify TLS is off: any certificate is accepted, even a forged one",
                )
            )
        try:
            run(config, save_to)
        except Exception as exc:  # every failure of either library is put in plain words
            if not isinstance(exc, (*EXPECTED, Cancelled)) and not _is_library_error(exc):
                raise
            problem = (
                Problem("Cancelled: the connection was shut before the response was complete", "")
                if self._cancelled.is_set()
                else failure(exc, config)
            )
            self.emit(error_event(problem, source=self.source, action="the request"))

    def _body_kept(
        self, chunks: Iterator[bytes], config: HttpFormConfig, save_to: str
    ) -> tuple[bytes, int, bool]:
        """Read the body: to a file, or into memory up to the cap. (kept, size, too large)."""
        size = 0
        if save_to:
            with open(save_to, "wb") as out:
                for chunk in chunks:
                    out.write(chunk)
                    size += len(chunk)
            return b"", size, False
        kept = bytearray()
        for chunk in chunks:
            size += len(chunk)
            kept += chunk[: config.cap - len(kept)]
            if size > config.cap:
                return bytes(kept), size, True
        return bytes(kept), size, False

    def _respond(self, config: HttpFormConfig, save_to: str, started: float, **fields: Any) -> None:
        size, too_large = fields["size"], fields.get("too_large", False)
        reason = f" {fields['reason']}" if fields["reason"] else ""
        text = (
            f"{config.backend.value}: {fields['status']}{reason} in "
            f"{(time.monotonic() - started) * 1000:.1f} ms, {human_bytes(size)}"
        )
        if save_to:
            text += f", saved to {save_to}"
        if too_large:
            text += (
                f" - the body is larger than the {human_bytes(config.cap)} memory cap, so reading stopped"
                f" there: {TOO_LARGE_HINT}"
            )
        self.emit(
            FormResponse(
                source=self.source,
                text=text,
                backend=config.backend,
                method=config.method,
                elapsed=time.monotonic() - started,
                saved_to=save_to,
                **fields,
            )
        )

    # ------------------------------------------------------------------ requests
    def _requests_session(self) -> Any:
        if self._session is None:
            import requests
            import urllib3

            session = requests.Session()
            session.trust_env = False  # the proxy and CA are the form's, not $HTTP_PROXY's
            # urllib3 would print a warning to stderr per unverified request; the log says it instead.
            urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
            adapter = _requests_adapter(self.wire)
            session.mount("http://", adapter)
            session.mount("https://", adapter)
            self._session = session
        return self._session

    def _send_requests(self, config: HttpFormConfig, save_to: str) -> None:
        from urllib3.util.retry import Retry

        session = self._requests_session()
        for adapter in session.adapters.values():
            adapter.max_retries = Retry(
                total=config.retries,
                backoff_factor=config.backoff,
                status_forcelist=RETRY_STATUSES,
                allowed_methods=None,  # retry every method, as the urllib backend does
                raise_on_status=False,
            )
        started = time.monotonic()
        arguments = requests_arguments(config)
        try:
            response = session.request(config.method, config.url, stream=True, **arguments)
        finally:
            for _, (_, file, _) in arguments.get("files", []):
                file.close()
        with response:
            body, size, too_large = self._body_kept(response.iter_content(CHUNK), config, save_to)
        self._respond(
            config,
            save_to,
            started,
            url=response.url,
            status=response.status_code,
            reason=response.reason or "",
            size=size,
            too_large=too_large,
            headers=tuple(response.headers.items()),
            body=body,
            redirects=tuple(
                Redirect(status=r.status_code, url=r.url, location=r.headers.get("Location", ""))
                for r in response.history
                if r.is_redirect  # history also holds a digest challenge's 401: not a redirect
            ),
            cookies=tuple(
                Cookie(name=c.name, value=c.value or "", domain=c.domain, path=c.path)
                for c in session.cookies
            ),
        )

    # ------------------------------------------------------------------ urllib
    def _send_urllib(self, config: HttpFormConfig, save_to: str) -> None:
        redirects = _RedirectRecorder(config.follow_redirects)
        handlers: list[Any] = [
            _RecordingHTTPHandler(self.wire),
            _RecordingHTTPSHandler(self.wire, tls_context(config)),
            urllib.request.ProxyHandler(proxies(config)),
            urllib.request.HTTPCookieProcessor(self._jar),
            redirects,
        ]
        if config.auth in (AuthKind.BASIC, AuthKind.DIGEST):
            passwords = urllib.request.HTTPPasswordMgrWithDefaultRealm()
            passwords.add_password(None, config.url, config.user, config.password)
            kind = (
                urllib.request.HTTPBasicAuthHandler
                if config.auth == AuthKind.BASIC
                else urllib.request.HTTPDigestAuthHandler
            )
            handlers.append(kind(passwords))
        opener = urllib.request.build_opener(*handlers)
        data, content_type = urllib_body(config)
        headers = urllib_headers(config, content_type)
        started = time.monotonic()
        for attempt in range(config.retries + 1):
            redirects.chain.clear()
            request = urllib.request.Request(config.url, data=data, headers=headers, method=config.method)
            last = attempt == config.retries
            try:
                response: Any = opener.open(request, timeout=config.timeout)
            except urllib.error.HTTPError as error:
                if error.msg.startswith(urllib.request.HTTPRedirectHandler.inf_msg):
                    raise TooManyRedirects(urllib.request.HTTPRedirectHandler.max_redirections) from None
                response = error  # a 4xx or 5xx (or an unfollowed redirect) is still a response
            except urllib.error.URLError as error:
                if last or self._cancelled.is_set() or isinstance(error.reason, ssl.SSLError):
                    raise
                self._wait_to_retry(config, attempt, f"{error.reason}")
                continue
            if response.status in RETRY_STATUSES and not last:
                response.close()
                self._wait_to_retry(config, attempt, f"{response.status} {response.reason}")
                continue
            break
        with response:
            chunks = iter(functools.partial(response.read, CHUNK), b"")
            encoding = response.headers.get("Content-Encoding", "").lower()
            if encoding in (
                "gzip",
                "deflate",
            ):  # urllib leaves the body compressed: undo it as the program does
                chunks = iter([decompress(b"".join(chunks), encoding)])
            body, size, too_large = self._body_kept(chunks, config, save_to)
        self._respond(
            config,
            save_to,
            started,
            url=response.geturl(),
            status=response.status,
            reason=response.reason or "",
            size=size,
            too_large=too_large,
            headers=tuple(response.headers.items()),
            body=body,
            redirects=tuple(redirects.chain),
            cookies=tuple(
                Cookie(name=c.name, value=c.value or "", domain=c.domain, path=c.path) for c in self._jar
            ),
        )

    def _wait_to_retry(self, config: HttpFormConfig, attempt: int, why: str) -> None:
        delay = config.backoff * 2**attempt
        self.emit(
            Info(
                source=self.source,
                text=f"Retry {attempt + 1} of {config.retries} in {delay:g} s, after: {why}",
            )
        )
        if self._cancelled.wait(delay):
            raise Cancelled()


class TooManyRedirects(Exception):
    """urllib gave up following redirects."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"more than {limit} redirects")
        self.limit = limit


def decompress(data: bytes, encoding: str) -> bytes:
    if encoding == "gzip":
        return gzip.decompress(data)
    try:
        return zlib.decompress(data)
    except zlib.error:  # many servers send raw deflate without the zlib header
        return zlib.decompress(data, -zlib.MAX_WBITS)


# ---------------------------------------------------------------------- the request, per library
def tls_context(config: HttpFormConfig) -> ssl.SSLContext:
    if not config.verify:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    return ssl.create_default_context(cafile=config.ca_file or None)


def proxies(config: HttpFormConfig) -> dict[str, str]:
    return {"http": config.proxy, "https": config.proxy} if config.proxy else {}


def requests_arguments(config: HttpFormConfig) -> dict[str, Any]:
    """The keyword arguments of session.request(); files are open handles the caller closes."""
    from requests.auth import HTTPDigestAuth

    arguments: dict[str, Any] = {"headers": header_dict(config.headers)}
    if config.auth == AuthKind.BEARER:
        arguments["headers"]["Authorization"] = f"Bearer {config.token}"
    elif config.auth == AuthKind.BASIC:
        arguments["auth"] = (config.user, config.password)
    elif config.auth == AuthKind.DIGEST:
        arguments["auth"] = HTTPDigestAuth(config.user, config.password)
    fields = [(f.name, f.value) for f in config.fields if f.name]
    if config.body_kind == BodyKind.RAW:
        arguments["data"] = config.body.encode("utf-8")
    elif config.body_kind == BodyKind.JSON:
        arguments["json"] = json.loads(config.body)
    elif config.body_kind == BodyKind.FORM:
        arguments["data"] = fields
    elif config.body_kind == BodyKind.MULTIPART:
        arguments["data"] = fields
        arguments["files"] = [
            (
                u.field,
                (u.path.rsplit("/", 1)[-1], open(u.path, "rb"), u.content_type),  # noqa: SIM115 - closed after sending
            )
            for u in config.files
        ]
    arguments["timeout"] = config.timeout
    arguments["allow_redirects"] = config.follow_redirects
    arguments["verify"] = config.ca_file or config.verify if config.verify else False
    if config.proxy:
        arguments["proxies"] = proxies(config)
    return arguments


def urllib_body(config: HttpFormConfig) -> tuple[bytes | None, str]:
    """The body as bytes and the Content-Type urllib should send with it ("" for urllib's own)."""
    fields = [(f.name, f.value) for f in config.fields if f.name]
    if config.body_kind == BodyKind.RAW:
        return config.body.encode("utf-8"), ""
    if config.body_kind == BodyKind.JSON:
        return json.dumps(json.loads(config.body)).encode("utf-8"), "application/json"
    if config.body_kind == BodyKind.FORM:
        return urllib.parse.urlencode(fields).encode("ascii"), "application/x-www-form-urlencoded"
    if config.body_kind == BodyKind.MULTIPART:
        # The standard library has no multipart encoder; urllib3's (installed with requests) is used.
        from urllib3 import encode_multipart_formdata

        parts: list[Any] = list(fields)
        for upload in config.files:
            with open(upload.path, "rb") as file:
                parts.append(
                    (upload.field, (upload.path.rsplit("/", 1)[-1], file.read(), upload.content_type))
                )
        body, content_type = encode_multipart_formdata(parts)
        return body, content_type
    return None, ""


def urllib_headers(config: HttpFormConfig, content_type: str) -> dict[str, str]:
    headers = header_dict(config.headers)
    if content_type and not has_header(config.headers, "Content-Type"):
        headers["Content-Type"] = content_type
    if config.auth == AuthKind.BEARER:
        headers["Authorization"] = f"Bearer {config.token}"
    return headers


# ---------------------------------------------------------------------- failures in plain words
def _is_library_error(exc: BaseException) -> bool:
    """requests' and urllib3's exceptions are not all OSErrors (TooManyRedirects, InvalidURL ...)."""
    module = type(exc).__module__
    return module.startswith(("requests", "urllib3", "http.client", "netlab"))


def _root_cause(exc: BaseException) -> BaseException:
    """The socket, DNS or TLS error under the libraries' wrappers (URLError.reason, MaxRetryError ...)."""
    seen: set[int] = set()
    while id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, (ssl.SSLError, socket.gaierror)) or (isinstance(exc, OSError) and exc.errno):
            return exc
        reason = getattr(exc, "reason", None)
        first = exc.args[0] if exc.args else None
        following = next(
            (e for e in (reason, exc.__cause__, exc.__context__, first) if isinstance(e, BaseException)), None
        )
        if following is None:
            return exc
        exc = following
    return exc


def failure(exc: BaseException, config: HttpFormConfig) -> Problem:
    """Why the request failed, in one plain line and a hint."""
    import requests
    import urllib3.exceptions

    parts = urllib.parse.urlsplit(config.url)
    host = parts.hostname or ""
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        port = None
    if isinstance(exc, (requests.exceptions.TooManyRedirects, TooManyRedirects)):
        limit = exc.limit if isinstance(exc, TooManyRedirects) else 30
        return Problem(
            f"Too many redirects: {config.backend.value} gave up after {limit}",
            "the server sends you round in a loop; untick Follow redirects to see the first answer",
        )
    if isinstance(
        exc, (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema, http.client.InvalidURL)
    ):
        return Problem(f"Invalid URL '{config.url}' ({exc})", "e.g. http://127.0.0.1:8000/get")
    if isinstance(exc, (requests.exceptions.InvalidJSONError, json.JSONDecodeError)):
        return Problem(f"The JSON body is not valid ({exc})", "fix it, or choose the Raw body")
    root = _root_cause(exc)
    if isinstance(root, (urllib3.exceptions.TimeoutError, requests.exceptions.Timeout)) or (
        isinstance(root, TimeoutError) and not root.errno
    ):
        return Problem(
            f"No answer from {format_address((host, port)) if port else host} within {config.timeout:g} s"
            " (timeout)",
            "raise the timeout, or check that the server is running and not stuck",
        )
    if isinstance(root, ssl.SSLCertVerificationError):
        reason = root.verify_message or str(root)
        return Problem(
            f"TLS verification failed: the certificate of {host} was not accepted ({reason})",
            "give the CA file that signed it; or, only if you trust this network, untick Verify TLS",
        )
    if isinstance(root, (http.client.RemoteDisconnected, urllib3.exceptions.ProtocolError)):
        return Problem(
            f"{format_address((host, port)) if port else host} closed the connection without an answer",
            "the server may have crashed, or it does not speak HTTP on this port",
        )
    return explain(root, action="the request", host=host, port=port)
