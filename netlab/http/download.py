"""Downloads: stream URLs' bodies to files on a small pool of worker threads, with progress and cancel.

Each job streams one body with requests (iter_content) or urllib.request (read1) into NAME.part in
the chosen folder, then renames it to NAME: a half file never carries the final name. A cancelled or
failed job deletes its .part. Progress events come at most PROGRESS_INTERVAL apart per job, so many
parallel downloads never flood the GUI. `Downloads` is an Engine so the one worker bridge can carry
its events; its own loop only waits for stop(), and the jobs run on the pool, never on the loop.
"""

from __future__ import annotations

import contextlib
import email.message
import errno
import itertools
import os
import socket
import threading
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import IO, Any

from netlab.core.config import FieldProblem, coerce_enum, raise_if, range_problems
from netlab.core.engine import Engine
from netlab.core.errors import EXPECTED
from netlab.core.events import Error, Event, Info, Sink
from netlab.core.problem import Problem
from netlab.http.files import safe_upload_name, unique_name
from netlab.http.form import human_size, url_problems
from netlab.http.form_client import _is_library_error, failure, tls_context
from netlab.http.form_config import DEFAULT_URL, Backend, HttpFormConfig

CHUNK = 64 * 1024
PROGRESS_INTERVAL = 0.1  # seconds between two progress events of one job: at most 10 a second
RATE_WINDOW = 3.0  # seconds of history the rate is measured over
MAX_PARALLEL = 4  # jobs streaming at once; the others wait in the queue
PART = ".part"

# Job numbers never restart (as conversation ids), so rows of an earlier pool are never confused.
_NUMBERS = itertools.count(1)


@dataclass(frozen=True)
class DownloadConfig:
    """One download: what to fetch, where to, and how (the form's backend, timeout and TLS options)."""

    url: str = DEFAULT_URL
    folder: str = "."  # the current folder, as a program run from a shell would save
    backend: Backend = Backend.REQUESTS
    timeout: float = 10.0  # per connect and per read: a silent server fails after this long
    verify: bool = True
    ca_file: str = ""

    def __post_init__(self) -> None:
        problems: list[FieldProblem] = []
        coerce_enum(self, "backend", Backend, problems)
        problems += url_problems(self.url)
        if not self.folder.strip():
            problems.append(FieldProblem("folder", "No folder chosen", "choose where to save the file"))
        problems += range_problems(self.timeout, 0.1, 3600, "timeout", "Timeout")
        raise_if(problems)

    def form(self) -> HttpFormConfig:
        """The same request as the HTTP form states it (for the form's TLS and failure helpers)."""
        return HttpFormConfig(
            backend=self.backend, url=self.url, timeout=self.timeout, verify=self.verify, ca_file=self.ca_file
        )

    @classmethod
    def from_form(cls, form: HttpFormConfig, url: str, folder: str) -> DownloadConfig:
        """The download of url with the HTTP form's library and options."""
        return cls(
            url=url.strip(),
            folder=folder,
            backend=form.backend,
            timeout=form.timeout,
            verify=form.verify,
            ca_file=form.ca_file,
        )


# ---------------------------------------------------------------------- events (job = the job's number)
class DownloadQueued(Info, frozen=True, kw_only=True):
    job: int
    url: str


class DownloadStarted(Info, frozen=True, kw_only=True):
    """The server answered: the body now streams to path + '.part'."""

    job: int
    name: str
    path: str  # the final name; it exists only once the whole body has arrived
    total: int | None  # Content-Length, if the server sent one


class DownloadProgress(Event, frozen=True, kw_only=True):
    job: int
    done: int
    total: int | None
    rate: float  # bytes per second over the last few seconds
    eta: float | None  # seconds left, if the total is known and bytes are arriving

    @property
    def percent(self) -> float | None:
        if not self.total:
            return None
        return min(100.0, 100.0 * self.done / self.total)


class DownloadFinished(Info, frozen=True, kw_only=True):
    job: int
    path: str
    size: int


class DownloadCancelled(Info, frozen=True, kw_only=True):
    job: int


class DownloadFailed(Error, frozen=True, kw_only=True):
    job: int


# ---------------------------------------------------------------------- pure helpers
def file_name(content_disposition: str, url: str) -> str:
    """The name to save under: Content-Disposition's filename (RFC 6266/2231), else the URL's last
    path segment, made safe (no folders, no control or reserved characters); 'download' if none."""
    raw = ""
    if content_disposition:
        message = email.message.Message()
        message["Content-Disposition"] = content_disposition
        raw = message.get_filename() or ""
    if not raw.strip():
        path = urllib.parse.urlsplit(url).path
        raw = urllib.parse.unquote(path.rsplit("/", 1)[-1], errors="replace")
    if not raw.strip(" ./\\"):
        return "download"
    return safe_upload_name(raw)


class RateMeter:
    """Bytes per second over the last RATE_WINDOW seconds, and the time left at that rate."""

    def __init__(self, started: float) -> None:
        self._points: deque[tuple[float, int]] = deque([(started, 0)])

    def add(self, now: float, done: int) -> float:
        self._points.append((now, done))
        while len(self._points) > 2 and now - self._points[1][0] >= RATE_WINDOW:
            self._points.popleft()
        first_time, first_done = self._points[0]
        return (done - first_done) / (now - first_time) if now > first_time else 0.0


def time_left(done: int, total: int | None, rate: float) -> float | None:
    if not total or rate <= 0:
        return None
    return max(0, total - done) / rate


def duration(seconds: float) -> str:
    """12 -> '12 s', 130 -> '2 min 10 s', 4000 -> '1 h 6 min'."""
    whole = int(seconds + 0.5)
    if whole < 60:
        return f"{whole} s"
    if whole < 3600:
        return f"{whole // 60} min {whole % 60} s"
    return f"{whole // 3600} h {whole % 3600 // 60} min"


def describe(progress: DownloadProgress) -> str:
    """'1.2 MB of 10.0 MB · 12 % · 3.4 MB/s · 3 s left' (parts not known are left out)."""
    parts = [human_size(progress.done) + (f" of {human_size(progress.total)}" if progress.total else "")]
    if progress.percent is not None:
        parts.append(f"{progress.percent:.0f} %")
    parts.append(f"{human_size(int(progress.rate))}/s")
    if progress.eta is not None:
        parts.append(f"{duration(progress.eta)} left")
    elif not progress.total:
        parts.append("size unknown (no Content-Length)")
    return " · ".join(parts)


def write_problem(exc: OSError, path: str) -> Problem:
    """Why the file could not be written, in plain words."""
    folder = os.path.dirname(path)
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return Problem(
            f"The disk is full: {path} could not be written", "free some space, or choose another folder"
        )
    if isinstance(exc, PermissionError):
        return Problem(f"Permission denied writing in {folder}", "choose a folder you can write to")
    if isinstance(exc, FileNotFoundError):
        return Problem(f"The folder {folder} does not exist", "choose an existing folder")
    if isinstance(exc, NotADirectoryError):
        return Problem(f"{folder} is not a folder", "choose a folder to save in")
    return Problem(f"Writing {path} failed: {exc.strerror or exc}", "choose another folder")


# ---------------------------------------------------------------------- one response, either library
@dataclass
class _Response:
    status: int
    reason: str
    url: str  # after redirects
    headers: Any  # case-insensitive .get()
    chunks: Iterator[bytes]
    sock: socket.socket | None  # shut from another thread to wake a blocked read on cancel
    close: Callable[[], None]


class _Failed(Exception):
    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


def _open_urllib(config: DownloadConfig) -> _Response:
    opener = urllib.request.build_opener(
        urllib.request.HTTPSHandler(context=tls_context(config.form())), urllib.request.ProxyHandler({})
    )
    try:
        response: Any = opener.open(urllib.request.Request(config.url), timeout=config.timeout)
    except urllib.error.HTTPError as error:
        response = error  # a 4xx or 5xx: still a response, whose status says why
    # read1: whatever has arrived (up to CHUNK), so a slow server still shows progress
    chunks = iter(lambda: response.read1(CHUNK), b"")
    sock = getattr(getattr(getattr(response, "fp", None), "raw", None), "_sock", None)
    return _Response(
        response.status,
        response.reason or "",
        response.geturl(),
        response.headers,
        chunks,
        sock,
        response.close,
    )


def _open_requests(config: DownloadConfig) -> _Response:
    import requests
    import urllib3

    session = requests.Session()  # one per job: a Session is not shared between threads
    session.trust_env = False  # no proxy or CA bundle from the environment, as the form does
    urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
    verify: bool | str = (config.ca_file or True) if config.verify else False
    try:
        response = session.get(config.url, stream=True, timeout=config.timeout, verify=verify)
    except BaseException:
        session.close()
        raise
    connection = getattr(response.raw, "connection", None)

    def close() -> None:
        response.close()
        session.close()

    return _Response(
        response.status_code,
        response.reason or "",
        response.url,
        response.headers,
        response.iter_content(CHUNK),
        getattr(connection, "sock", None),
        close,
    )


# ---------------------------------------------------------------------- one job
class _Job:
    def __init__(self, number: int, config: DownloadConfig, owner: Downloads) -> None:
        self.number = number
        self.config = config
        self._owner = owner
        self._cancelled = threading.Event()
        self._lock = threading.Lock()
        self._sock: socket.socket | None = None
        self._part = ""  # the .part file while it exists
        self._finished = False
        self._done = 0

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    def cancel(self) -> None:
        """Any thread: stop at the next chunk; a read waiting on the network is woken at once."""
        with self._lock:
            self._cancelled.set()
            sock = self._sock
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def _emit(self, kind: Callable[..., Event], **fields: Any) -> None:
        self._owner.emit(kind(source=Downloads.source, job=self.number, **fields))

    def run(self) -> None:
        if self.cancelled:
            self._emit(DownloadCancelled, text=f"Download {self.number} cancelled before it started")
            return
        response: _Response | None = None
        try:
            opener = _open_requests if self.config.backend == Backend.REQUESTS else _open_urllib
            response = opener(self.config)
            with self._lock:
                self._sock = response.sock
            if self.cancelled:
                raise _Cancelled()
            if response.status >= 400:
                raise _Failed(
                    Problem(
                        f"The server answered {response.status} {response.reason} for {self.config.url}:"
                        " nothing was saved",
                        "check the URL; that answer is the server's error page, not the file",
                    )
                )
            self._stream(response)
        except _Cancelled:
            pass
        except _Failed as exc:
            self._fail(exc.problem)
        except Exception as exc:
            if self.cancelled:
                pass  # the shut socket made the library fail: that is the cancel, not an error
            elif isinstance(exc, EXPECTED) or _is_library_error(exc):
                self._fail(failure(exc, self.config.form()))
            else:
                raise
        finally:
            if response is not None:
                with contextlib.suppress(*EXPECTED):
                    response.close()
            left = self._part
            if left:  # failed or cancelled half-way: no half file is kept, under any name
                with contextlib.suppress(FileNotFoundError):
                    os.remove(left)
        if self.cancelled and not self._finished:
            where = f": the connection was closed and {left} deleted" if left else ""
            self._emit(DownloadCancelled, text=f"Download {self.number} cancelled{where}")

    def _fail(self, problem: Problem) -> None:
        self._emit(DownloadFailed, message=problem.message, hint=problem.hint)

    def _stream(self, response: _Response) -> None:
        """Write the body to NAME.part, then rename it to NAME."""
        name = file_name(response.headers.get("Content-Disposition", ""), response.url)
        length = response.headers.get("Content-Length", "") or ""
        total = int(length) if length.isdigit() else None
        final, out = self._owner.reserve(self.config.folder, name)
        self._part = final + PART
        try:
            with out:
                self._emit(
                    DownloadStarted,
                    name=os.path.basename(final),
                    path=final,
                    total=total,
                    text=f"Download {self.number}: {self.config.url} → {self._part}"
                    + (f" ({human_size(total)})" if total is not None else " (size unknown)"),
                )
                try:
                    done, elapsed = self._copy(response.chunks, out, total)
                except (_Cancelled, _Failed):
                    raise
                except Exception as exc:
                    if self.cancelled or not (isinstance(exc, EXPECTED) or _is_library_error(exc)):
                        raise
                    raise _Failed(self._broken(exc, total)) from exc
            if self.cancelled:  # a shut socket can look like the end of a body without a length
                raise _Cancelled()
            if total is not None and done < total:
                raise _Failed(_closed_early(done, total))
            self._progress(done, done if total is None else total, done / elapsed if elapsed > 0 else 0.0)
            path = self._owner.publish(self._part, final)
        finally:
            self._owner.release(final)
        self._part = ""
        self._finished = True
        self._emit(
            DownloadFinished,
            path=path,
            size=done,
            text=f"Download {self.number} finished: {human_size(done)} saved as {path}",
        )

    def _broken(self, exc: Exception, total: int | None) -> Problem:
        """The body stopped half-way: the server closed early, or the network or a timeout broke it."""
        if _closed_by_server(exc) and total is not None:
            return _closed_early(self._done, total)
        problem = failure(exc, self.config.form())
        return Problem(
            f"The download broke after {human_size(self._done)}: {problem.message}; the file was not kept",
            problem.hint,
        )

    def _copy(self, chunks: Iterator[bytes], out: IO[bytes], total: int | None) -> tuple[int, float]:
        """Body to file, a progress event at most every PROGRESS_INTERVAL. (bytes, seconds)."""
        started = last = time.monotonic()
        meter = RateMeter(started)
        done = 0
        for chunk in chunks:
            if self.cancelled:
                raise _Cancelled()
            try:
                out.write(chunk)
            except OSError as exc:
                raise _Failed(write_problem(exc, self._part)) from exc
            done += len(chunk)
            self._done = done
            now = time.monotonic()
            rate = meter.add(now, done)
            if now - last >= PROGRESS_INTERVAL:
                last = now
                self._progress(done, total, rate, now)
        try:
            out.flush()
        except OSError as exc:
            raise _Failed(write_problem(exc, self._part)) from exc
        return done, time.monotonic() - started

    def _progress(self, done: int, total: int | None, rate: float, now: float | None = None) -> None:
        eta = time_left(done, total, rate)
        self._emit(DownloadProgress, done=done, total=total, rate=rate, eta=eta, mono=now or time.monotonic())


def _closed_early(done: int, total: int) -> Problem:
    return Problem(
        f"The server closed the connection after {human_size(done)} of {human_size(total)}:"
        " the file is incomplete and was not kept",
        "try again; the server or the network dropped the connection",
    )


def _closed_by_server(exc: BaseException) -> bool:
    """http.client's, urllib3's or requests' way of saying the body ended before Content-Length."""
    seen: list[BaseException] = []
    while exc is not None and exc not in seen:
        seen.append(exc)
        if type(exc).__name__ in ("IncompleteRead", "ChunkedEncodingError"):
            return True
        following = exc.__cause__ or exc.__context__ or (exc.args[0] if exc.args else None)
        if not isinstance(following, BaseException):
            return False
        exc = following
    return False


class _Cancelled(Exception):
    pass


# ---------------------------------------------------------------------- the pool
class Downloads(Engine):
    """Runs download jobs, MAX_PARALLEL at a time on worker threads; the rest wait their turn.

    Thread-safe commands: start(config) -> job number, cancel(job), cancel_all(), stop().
    Events: DownloadQueued, DownloadStarted, DownloadProgress (at most 10 a second per job), then one
    of DownloadFinished, DownloadFailed or DownloadCancelled. Used without run() (a script, a test),
    the jobs run all the same; close() ends them.
    """

    source = "download"

    def __init__(self, sink: Sink, trace: bool = False, parallel: int = MAX_PARALLEL) -> None:
        super().__init__(sink, trace=trace)
        self._pool = ThreadPoolExecutor(max_workers=parallel, thread_name_prefix="download")
        self._lock = threading.Lock()
        self._jobs: dict[int, _Job] = {}
        self._taken: set[str] = set()  # final names of running jobs: two jobs never pick the same one
        self._closed = False

    def start(self, config: DownloadConfig) -> int:
        """Queue a download; its events carry the number returned."""
        with self._lock:
            if self._closed:
                raise RuntimeError("the downloads have been closed")
            number = next(_NUMBERS)
            job = _Job(number, config, self)
            self._jobs[number] = job
        self.emit(
            DownloadQueued(
                source=self.source, job=number, url=config.url, text=f"Download {number} queued: {config.url}"
            )
        )
        self._pool.submit(self._run, job)
        return number

    def cancel(self, number: int) -> None:
        with self._lock:
            job = self._jobs.get(number)
        if job is not None:
            job.cancel()

    def cancel_all(self) -> None:
        with self._lock:
            jobs = list(self._jobs.values())
        for job in jobs:
            job.cancel()

    def running(self) -> int:
        """Jobs queued or streaming."""
        with self._lock:
            return len(self._jobs)

    def stop(self) -> None:
        self.cancel_all()
        super().stop()

    def teardown(self) -> None:
        self.close()

    def close(self) -> None:
        """Cancel every job and wait for the workers: each ends within a chunk (its socket is shut)."""
        with self._lock:
            self._closed = True
        self.cancel_all()
        self._pool.shutdown(wait=True)

    def _run(self, job: _Job) -> None:
        try:
            job.run()
        except Exception as exc:  # a bug, not a network failure: say so and keep the other jobs going
            self.emit(
                DownloadFailed(
                    source=self.source,
                    job=job.number,
                    message=f"Internal error in download {job.number}: {exc!r}",
                    hint="please report this with the details below",
                    detail=traceback.format_exc(),
                )
            )
        finally:
            with self._lock:
                self._jobs.pop(job.number, None)

    # ------------------------------------------------------------------ names, for the jobs
    def reserve(self, folder: str, name: str) -> tuple[str, IO[bytes]]:
        """A free final name in folder ('name (1).ext' if taken) and its .part, opened for writing."""
        with self._lock:
            while True:
                final = os.path.join(folder, unique_name(folder, name, taken=self._taken_in(folder)))
                try:
                    out = open(final + PART, "xb")  # noqa: SIM115 - the job closes it
                except FileExistsError:  # a .part of another program or an earlier crash: never touched
                    self._taken.add(final)
                    continue
                except OSError as exc:
                    raise _Failed(write_problem(exc, final + PART)) from exc
                self._taken.add(final)
                return final, out

    def publish(self, part: str, final: str) -> str:
        """Rename the finished .part to its final name, or a free one if a file of that name appeared."""
        folder, name = os.path.split(final)
        with self._lock:
            if os.path.lexists(final):
                final = os.path.join(folder, unique_name(folder, name, taken=self._taken_in(folder)))
            try:
                os.rename(part, final)
            except OSError as exc:
                raise _Failed(write_problem(exc, final)) from exc
        return final

    def release(self, final: str) -> None:
        with self._lock:
            self._taken.discard(final)

    def _taken_in(self, folder: str) -> set[str]:
        return {os.path.basename(path) for path in self._taken if os.path.dirname(path) == folder}
