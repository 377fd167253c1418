"""Downloads against a real loopback server: exact bytes, progress, cancel, failures, several at once."""

from __future__ import annotations

import hashlib
import itertools
import os
import socket
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme

from netlab.core.config import ConfigError
from netlab.core.events import Event
from netlab.http.download import (
    PROGRESS_INTERVAL,
    DownloadCancelled,
    DownloadConfig,
    DownloadFailed,
    DownloadFinished,
    DownloadProgress,
    Downloads,
    DownloadStarted,
    describe,
    file_name,
)
from netlab.http.form_config import Backend
from tests.download_servers import BODY, BODY_SHA256, Served, download_server

WAIT = 10.0
BACKENDS = [Backend.REQUESTS, Backend.URLLIB]
END = (DownloadFinished, DownloadFailed, DownloadCancelled)


class Collector:
    """A sink that keeps every event and lets the test wait for a condition on them."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self._changed = threading.Condition()

    def __call__(self, event: Event) -> None:
        with self._changed:
            self.events.append(event)
            self._changed.notify_all()

    def of(self, job: int) -> list[Event]:
        with self._changed:
            return [e for e in self.events if getattr(e, "job", None) == job]

    def wait_for(self, check: object, what: str) -> None:
        with self._changed:
            assert self._changed.wait_for(check, WAIT), f"timed out waiting for {what}"  # type: ignore[arg-type]

    def end(self, job: int) -> Event:
        self.wait_for(lambda: any(isinstance(e, END) for e in self.of(job)), f"job {job} to end")
        return next(e for e in self.of(job) if isinstance(e, END))


@pytest.fixture
def downloads() -> Iterator[tuple[Downloads, Collector]]:
    sink = Collector()
    pool = Downloads(sink)
    yield pool, sink
    pool.close()


@pytest.fixture
def server() -> Iterator[Served]:
    with download_server() as served:
        yield served


def sha256(path: str | Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_big_file_arrives_byte_for_byte_with_monotonic_progress_to_100(
    downloads: tuple[Downloads, Collector], server: Served, tmp_path: Path, backend: Backend
) -> None:
    pool, sink = downloads
    job = pool.start(DownloadConfig(url=f"{server.url}/big.bin", folder=str(tmp_path), backend=backend))
    end = sink.end(job)
    assert isinstance(end, DownloadFinished), end
    assert end.path == str(tmp_path / "big.bin") and end.size == len(BODY)
    assert sha256(end.path) == BODY_SHA256
    assert os.listdir(tmp_path) == ["big.bin"]  # the .part is gone
    started = next(e for e in sink.of(job) if isinstance(e, DownloadStarted))
    assert started.total == len(BODY)
    progress = [e for e in sink.of(job) if isinstance(e, DownloadProgress)]
    done = [p.done for p in progress]
    assert done == sorted(done) and progress[-1].done == len(BODY)
    assert progress[-1].percent == 100.0 and progress[-1].eta == 0


@pytest.mark.parametrize("backend", BACKENDS)
def test_without_content_length_the_body_ends_at_close_and_is_still_whole(
    downloads: tuple[Downloads, Collector], server: Served, tmp_path: Path, backend: Backend
) -> None:
    pool, sink = downloads
    job = pool.start(DownloadConfig(url=f"{server.url}/nolen", folder=str(tmp_path), backend=backend))
    end = sink.end(job)
    assert isinstance(end, DownloadFinished), end
    assert sha256(end.path) == BODY_SHA256
    started = next(e for e in sink.of(job) if isinstance(e, DownloadStarted))
    assert started.total is None and "size unknown" in started.text
    assert [p for p in sink.of(job) if isinstance(p, DownloadProgress)][-1].percent == 100.0


@pytest.mark.parametrize("backend", BACKENDS)
def test_cancel_mid_stream_closes_the_connection_and_leaves_no_file(
    downloads: tuple[Downloads, Collector], server: Served, tmp_path: Path, backend: Backend
) -> None:
    pool, sink = downloads
    job = pool.start(DownloadConfig(url=f"{server.url}/slow", folder=str(tmp_path), backend=backend))
    sink.wait_for(lambda: any(isinstance(e, DownloadProgress) for e in sink.of(job)), "some progress")
    assert os.listdir(tmp_path) == ["slow.part"]  # the half file never has the final name
    pool.cancel(job)
    end = sink.end(job)
    assert isinstance(end, DownloadCancelled), end
    assert "slow.part deleted" in end.text
    assert os.listdir(tmp_path) == []


def test_progress_comes_at_most_ten_times_a_second_per_job(
    downloads: tuple[Downloads, Collector], server: Served, tmp_path: Path
) -> None:
    pool, sink = downloads
    job = pool.start(DownloadConfig(url=f"{server.url}/slow", folder=str(tmp_path)))
    sink.wait_for(lambda: sum(isinstance(e, DownloadProgress) for e in sink.of(job)) >= 4, "progress")
    pool.cancel(job)
    sink.end(job)
    times = [e.mono for e in sink.of(job) if isinstance(e, DownloadProgress)]
    # each event is stamped with the moment it was measured: never two within PROGRESS_INTERVAL
    assert all(later - earlier >= PROGRESS_INTERVAL for earlier, later in itertools.pairwise(times))


@pytest.mark.parametrize("backend", BACKENDS)
def test_cancel_wakes_a_read_waiting_on_a_silent_server(
    downloads: tuple[Downloads, Collector], server: Served, tmp_path: Path, backend: Backend
) -> None:
    pool, sink = downloads
    config = DownloadConfig(url=f"{server.url}/stall", folder=str(tmp_path), backend=backend, timeout=600)
    job = pool.start(config)
    sink.wait_for(lambda: any(isinstance(e, DownloadStarted) for e in sink.of(job)), "the body to start")
    pool.cancel(job)  # the read would wait 600 s for more bytes: shutting the socket wakes it now
    assert isinstance(sink.end(job), DownloadCancelled)
    assert os.listdir(tmp_path) == []


def test_several_at_once_finish_independently_of_a_cancelled_one(
    downloads: tuple[Downloads, Collector], server: Served, tmp_path: Path
) -> None:
    pool, sink = downloads
    slow = pool.start(DownloadConfig(url=f"{server.url}/slow", folder=str(tmp_path)))
    jobs = [
        pool.start(DownloadConfig(url=f"{server.url}/big.bin", folder=str(tmp_path), backend=backend))
        for backend in (Backend.REQUESTS, Backend.URLLIB, Backend.REQUESTS)
    ]
    ends = [sink.end(job) for job in jobs]
    assert all(isinstance(end, DownloadFinished) for end in ends), ends
    # the same name three times: no file is overwritten, each gets a free name
    names = sorted(os.path.basename(end.path) for end in ends if isinstance(end, DownloadFinished))
    assert names == ["big (1).bin", "big (2).bin", "big.bin"]
    assert all(sha256(tmp_path / name) == BODY_SHA256 for name in names)
    assert not any(isinstance(e, END) for e in sink.of(slow))  # still streaming meanwhile
    pool.cancel(slow)
    assert isinstance(sink.end(slow), DownloadCancelled)


def test_only_the_pool_limit_streams_at_once_the_rest_wait(server: Served, tmp_path: Path) -> None:
    sink = Collector()
    pool = Downloads(sink, parallel=2)
    try:
        jobs = [pool.start(DownloadConfig(url=f"{server.url}/slow", folder=str(tmp_path))) for _ in range(3)]
        sink.wait_for(lambda: sum(isinstance(e, DownloadStarted) for e in sink.events) == 2, "two streaming")
        assert not any(isinstance(e, DownloadStarted) for e in sink.of(jobs[2]))  # queued
        pool.cancel(jobs[0])
        sink.wait_for(lambda: any(isinstance(e, DownloadStarted) for e in sink.of(jobs[2])), "the third")
        pool.cancel(jobs[2])
        pool.cancel(jobs[1])
        assert all(isinstance(sink.end(job), DownloadCancelled) for job in jobs)
    finally:
        pool.close()
    assert os.listdir(tmp_path) == []


def test_an_existing_file_is_never_overwritten(
    downloads: tuple[Downloads, Collector], server: Served, tmp_path: Path
) -> None:
    (tmp_path / "report 2024.txt").write_bytes(b"mine")
    pool, sink = downloads
    end = sink.end(pool.start(DownloadConfig(url=f"{server.url}/named", folder=str(tmp_path))))
    assert isinstance(end, DownloadFinished), end
    assert end.path == str(tmp_path / "report 2024 (1).txt")  # from Content-Disposition, no "../"
    assert (tmp_path / "report 2024.txt").read_bytes() == b"mine"
    assert Path(end.path).read_bytes() == b"hello"


def test_a_file_made_meanwhile_under_the_final_name_is_kept(tmp_path: Path) -> None:
    pool = Downloads(Collector())
    try:
        final, out = pool.reserve(str(tmp_path), "a.txt")
        with out:
            out.write(b"downloaded")
        (tmp_path / "a.txt").write_bytes(b"made by someone else meanwhile")
        path = pool.publish(final + ".part", final)
    finally:
        pool.close()
    assert path == str(tmp_path / "a (1).txt") and Path(path).read_bytes() == b"downloaded"
    assert (tmp_path / "a.txt").read_bytes() == b"made by someone else meanwhile"


@pytest.mark.parametrize("backend", BACKENDS)
def test_failures_are_said_in_plain_words_and_leave_no_file(
    downloads: tuple[Downloads, Collector], server: Served, tmp_path: Path, backend: Backend
) -> None:
    pool, sink = downloads
    refused_port = _free_port()
    cases = {
        f"{server.url}/missing": "The server answered 404 Not Found",
        f"{server.url}/short": "The server closed the connection after",  # "... of 1.0 kB"
        f"http://127.0.0.1:{refused_port}/x": "Connection refused",
        "http://no-such-host.invalid/x": "could not be found (DNS lookup failed)",
    }
    for url, words in cases.items():
        end = sink.end(pool.start(DownloadConfig(url=url, folder=str(tmp_path), backend=backend)))
        assert isinstance(end, DownloadFailed), (url, end)
        assert words in end.message, (url, end.message)
        assert end.hint
        assert "/short" not in url or "of 1.0 kB: the file is incomplete" in end.message
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_silent_server_times_out(
    downloads: tuple[Downloads, Collector], tmp_path: Path, backend: Backend
) -> None:
    with socket.create_server(("127.0.0.1", 0)) as listener:  # accepts (backlog) but never answers
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/x"
        pool, sink = downloads
        end = sink.end(
            pool.start(DownloadConfig(url=url, folder=str(tmp_path), backend=backend, timeout=0.3))
        )
    assert isinstance(end, DownloadFailed) and "(timeout)" in end.message, end


def test_a_folder_that_cannot_be_written_is_said_so(
    downloads: tuple[Downloads, Collector], server: Served, tmp_path: Path
) -> None:
    pool, sink = downloads
    missing = tmp_path / "nowhere"
    end = sink.end(pool.start(DownloadConfig(url=f"{server.url}/big.bin", folder=str(missing))))
    assert isinstance(end, DownloadFailed) and f"The folder {missing} does not exist" in end.message
    if os.geteuid() != 0:  # root may write anywhere
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        end = sink.end(pool.start(DownloadConfig(url=f"{server.url}/big.bin", folder=str(locked))))
        assert isinstance(end, DownloadFailed) and "Permission denied writing in" in end.message


@pytest.mark.parametrize("backend", BACKENDS)
def test_tls_checks_the_certificate_and_names_the_problem(
    downloads: tuple[Downloads, Collector], tmp_path: Path, backend: Backend
) -> None:
    ca = trustme.CA()
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("127.0.0.1").configure_cert(server_context)
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    folder = tmp_path / "got"
    folder.mkdir()
    pool, sink = downloads
    with download_server(server_context) as served:
        url = f"{served.url}/big.bin"
        refused = sink.end(pool.start(DownloadConfig(url=url, folder=str(folder), backend=backend)))
        good = sink.end(
            pool.start(DownloadConfig(url=url, folder=str(folder), backend=backend, ca_file=str(ca_file)))
        )
    assert isinstance(refused, DownloadFailed), refused
    assert "TLS verification failed" in refused.message and "unable to get local issuer" in refused.message
    assert isinstance(good, DownloadFinished), good
    assert sha256(good.path) == BODY_SHA256


def test_bad_config_is_refused_with_the_field_named() -> None:
    with pytest.raises(ConfigError) as caught:
        DownloadConfig(url="ftp://x/y", folder="")
    assert {p.field for p in caught.value.problems} == {"url", "folder"}


@pytest.mark.parametrize(
    ("disposition", "url", "name"),
    [
        ("", "http://h/a/b/file.tar.gz?x=1", "file.tar.gz"),
        ("", "http://h/dir/", "download"),
        ("", "http://h/%E4%B8%AD%E6%96%87.txt", "中文.txt"),
        ('attachment; filename="../../etc/passwd"', "http://h/x", "passwd"),
        ("attachment; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf", "http://h/x", "résumé.pdf"),
        ('attachment; filename="a:b?.txt"', "http://h/x", "a_b_.txt"),
        ("attachment", "http://h/..", "download"),
    ],
)
def test_file_names_come_from_the_header_or_the_url_and_are_safe(
    disposition: str, url: str, name: str
) -> None:
    assert file_name(disposition, url) == name


def test_progress_reads_as_a_download_dialog_says_it() -> None:
    known = DownloadProgress(job=1, done=1_200_000, total=10_000_000, rate=2_000_000, eta=4.4)
    assert describe(known) == "1.2 MB of 10.0 MB · 12 % · 2.0 MB/s · 4 s left"
    unknown = DownloadProgress(job=1, done=500, total=None, rate=0, eta=None)
    assert describe(unknown) == "500 bytes · 0 bytes/s · size unknown (no Content-Length)"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
