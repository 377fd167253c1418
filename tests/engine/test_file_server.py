"""The file server, attacked and used: traversal, XSS, log injection, redirects, limits; ranges,
validators, keep-alive, uploads, auth, symlinks and nasty file names. Real sockets on 127.0.0.1."""

from __future__ import annotations

import base64
import errno
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import h11
import pytest

from netlab.core.events import Error, HttpExchange, Listening
from netlab.core.present import access_line, summary
from netlab.http.file_server import FileServer, FileServerConfig

from .conftest import WAIT, Recorder, eventually

SECRET = b"TOP-SECRET"


class Served:
    def __init__(self, root: Path, port: int, recorder: Recorder) -> None:
        self.root, self.port, self.recorder = root, port, recorder

    def raw(self, request: bytes, method: str = "GET") -> tuple[int, dict[str, str], bytes]:
        with socket.create_connection(("127.0.0.1", self.port), timeout=WAIT) as sock:
            sock.sendall(request)
            return read_response(sock, method)

    def get(
        self, target: str | bytes, headers: str = "", method: str = "GET"
    ) -> tuple[int, dict[str, str], bytes]:
        target_bytes = target.encode() if isinstance(target, str) else target
        request = method.encode() + b" " + target_bytes + b" HTTP/1.1\r\nHost: t\r\nConnection: close\r\n"
        return self.raw(request + headers.encode() + b"\r\n", method)


def read_response(sock: socket.socket, method: str = "GET") -> tuple[int, dict[str, str], bytes]:
    """Parse one response with h11 (as a client), whatever the server sent."""
    client = h11.Connection(h11.CLIENT)
    client.send(h11.Request(method=method, target="/", headers=[("Host", "t")]))
    client.send(h11.EndOfMessage())
    status, headers, body = 0, {}, b""
    while True:
        event = client.next_event()
        if event is h11.NEED_DATA:
            client.receive_data(sock.recv(65536))
            continue
        if isinstance(event, h11.Response):
            status = event.status_code
            headers = {k.decode(): v.decode("latin-1") for k, v in event.headers}
        elif isinstance(event, h11.Data):
            body += event.data
        elif isinstance(event, (h11.EndOfMessage, h11.ConnectionClosed)):
            return status, headers, body


@pytest.fixture
def share(tmp_path: Path) -> Path:
    root = tmp_path / "share"
    (root / "sub").mkdir(parents=True)
    (root / "a.txt").write_bytes(b"hello\n")
    (root / "sub" / "b.css").write_text("body{}")
    (root / ".hidden").write_text("hidden")
    (root / "sub" / ".git").mkdir()
    (root / "sub" / ".git" / "config").write_text("[core]")
    (root / "evil.example.com").mkdir()
    (root / "digits.bin").write_bytes(bytes(range(256)) * 1024)  # 256 KiB: sent with sendfile
    (tmp_path / "secret.txt").write_bytes(SECRET)
    os.symlink(tmp_path, root / "escape")
    os.symlink(tmp_path / "secret.txt", root / "secret-link.txt")
    os.symlink(root / "a.txt", root / "inside-link.txt")
    return root


@pytest.fixture
def served(share: Path, request: pytest.FixtureRequest) -> Iterator[Served]:
    options = getattr(request, "param", {})
    recorder = Recorder()
    server = FileServer(FileServerConfig(root=str(share), port=0, **options), recorder)
    thread = threading.Thread(target=server.run)
    thread.start()
    port = recorder.wait_for(lambda e: isinstance(e, Listening)).port  # type: ignore[attr-defined]
    try:
        yield Served(share, port, recorder)
    finally:
        server.stop()
        thread.join(WAIT)
        assert not thread.is_alive()


TRAVERSALS = [
    b"/../secret.txt", b"/../../etc/passwd", b"/%2e%2e/secret.txt", b"/%2E%2E/secret.txt",
    b"/.%2e/secret.txt", b"/%2e./secret.txt", b"/sub/../../secret.txt", b"/sub/%2e%2e/%2e%2e/secret.txt",
    b"/..%2fsecret.txt", b"/..%2Fsecret.txt", b"/%2e%2e%2fsecret.txt", b"/sub%2f..%2f..%2fsecret.txt",
    b"/..\\secret.txt", b"/..%5csecret.txt", b"/%5c..%5csecret.txt", b"/sub\\..\\..\\secret.txt",
    b"//etc/passwd", b"/%2fetc%2fpasswd", b"///..//secret.txt", b"/C:/Windows/win.ini",
    b"/c:%5cwindows%5cwin.ini", b"/secret.txt%00.html", b"/a.txt%00", b"/%00",
    b"/%c0%ae%c0%ae/secret.txt", b"/%c0%ae%c0%ae%c0%af%c0%ae%c0%ae%c0%afsecret.txt",
    b"/%e0%80%ae%e0%80%ae/secret.txt", b"/%252e%252e/secret.txt", b"/escape/secret.txt",
    b"/secret-link.txt", b"/escape/", b"/sub/../escape/secret.txt", b"/.hidden", b"/sub/.git/config",
    b"/..;/secret.txt", b"/%2e%2e;/secret.txt", b"/./../secret.txt", b"/%2e%2e%5c%2e%2e%5csecret.txt",
    b"/sub/..%00/secret.txt", b"/%u002e%u002e/secret.txt", b"http://127.0.0.1/../secret.txt", b"*",
    b"/escape/share/../secret.txt", b"/inside-link.txt/../../secret.txt",
]  # fmt: skip


@pytest.mark.parametrize("target", TRAVERSALS, ids=[t.decode("latin-1") for t in TRAVERSALS])
def test_no_request_reaches_a_file_outside_the_folder(served: Served, target: bytes) -> None:
    status, _, body = served.get(target)
    assert status in (301, 400, 403, 404), status
    assert SECRET not in body and b"root:" not in body and b"[core]" not in body


def test_there_are_at_least_forty_attack_vectors() -> None:
    assert len(TRAVERSALS) + len(XSS_NAMES) + 4 >= 40


XSS_NAMES = [
    "<script>alert(1)<!--.txt",
    '"onmouseover="alert(1).txt',
    "a&b.txt",
    "'quote'.txt",
    "x<img src=y>.txt",
]


def test_listing_escapes_nasty_names_and_every_link_works(served: Served) -> None:
    names = [*XSS_NAMES, "new\nline.txt", "100%.txt", "café 中文.txt", "space name.txt"]
    for name in names:
        (served.root / name).write_text(f"content of {name}", encoding="utf-8")
    undecodable = os.fsdecode(b"bad-\xff\xfe.txt")
    (served.root / undecodable).write_text("undecodable")
    status, headers, body = served.get("/")
    page = body.decode()
    assert status == 200 and headers["content-type"] == "text/html; charset=utf-8"
    assert "<script>" not in page and "<img" not in page and 'onmouseover="' not in page
    assert "&lt;script&gt;alert(1)&lt;!--.txt" in page
    assert "a&amp;b.txt" in page
    hrefs = [chunk.split('"', 1)[0] for chunk in page.split('<a href="')[1:]]
    for name in [*names, undecodable]:
        href = next(
            h
            for h in hrefs
            if h.endswith(".txt") and served.get("/" + h)[2] == (served.root / name).read_bytes()
        )
        assert href.isascii() and " " not in href and "<" not in href


def test_error_pages_escape_what_they_echo(served: Served) -> None:
    status, _, body = served.get("/<script>alert(1)</script>")
    assert status == 404 and b"<script>" not in body


def test_log_lines_cannot_be_forged(served: Served) -> None:
    attempts = [
        b"GET /a.txt%0d%0a127.0.0.1 GET /forged 200 HTTP/1.1\r\nHost: t\r\n\r\n",  # refused: spaces
        b"GET /\x1b[31mred HTTP/1.1\r\nHost: t\r\n\r\n",  # refused: a raw control character
        b"GET /a.txt%0d%0aforged HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",  # valid: a 404
    ]
    for request in attempts:
        served.raw(request)
    eventually(lambda: len(served.recorder.of(HttpExchange)) == 3)
    exchanges = served.recorder.of(HttpExchange)
    assert [e.status for e in exchanges] == [400, 400, 404]
    lines = [access_line(e) for e in exchanges] + [summary(e) for e in exchanges]
    for line in lines:
        assert "\r" not in line and "\n" not in line and "\x1b" not in line
    # The attempts are there to read, escaped, so the log still says what was tried.
    assert '"GET /a.txt\\x0d\\x0a127.0.0.1"' in lines[0]
    assert '"GET /\\x1b[31mred"' in lines[1]
    assert '"GET /a.txt\\x0d\\x0aforged"' in lines[2]


def test_rejected_requests_are_logged_with_their_method_and_path(served: Served) -> None:
    assert served.raw(b"PUT /a.txt HTTP/1.1\r\nHo st: t\r\n\r\n")[0] == 400
    assert served.raw(b"GET /sub/b.css HTTP/1.1\r\nConnection: close\r\n\r\n")[0] == 400  # no Host
    eventually(lambda: len(served.recorder.of(HttpExchange)) == 2)
    first, second = served.recorder.of(HttpExchange)
    assert (first.method, first.target, first.status) == ("PUT", "/a.txt", 400)
    assert (second.method, second.target, second.status) == ("GET", "/sub/b.css", 400)


def test_the_log_shows_paths_decoded(served: Served) -> None:
    (served.root / "中文 notes.txt").write_text("zh")
    assert served.get("/%E4%B8%AD%E6%96%87%20notes.txt")[2] == b"zh"
    served.get("/%E2%80%AEtxt.exe")  # a right-to-left override would reorder the log line
    served.get("/bad-%FF.txt")  # not UTF-8
    eventually(lambda: len(served.recorder.of(HttpExchange)) == 3)
    targets = [e.target for e in served.recorder.of(HttpExchange)]
    assert targets == ["/中文 notes.txt", "/%E2%80%AEtxt.exe", "/bad-%FF.txt"]


def test_an_exchange_carries_both_heads(served: Served) -> None:
    status, _, _ = served.get("/digits.bin", "Range: bytes=0-9\r\n")
    assert status == 206
    exchange = served.recorder.wait_for(lambda e: isinstance(e, HttpExchange))
    assert exchange.request_head.startswith(b"GET /digits.bin HTTP/1.1\r\n")  # type: ignore[attr-defined]
    assert b"Range: bytes=0-9\r\n" in exchange.request_head  # type: ignore[attr-defined]
    response = exchange.response_head  # type: ignore[attr-defined]
    assert response.startswith(b"HTTP/1.1 206 Partial Content\r\n") and response.endswith(b"\r\n\r\n")
    assert b"Content-Range: bytes 0-9/262144\r\n" in response and b"Content-Length: 10\r\n" in response


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("//evil.example.com", 301),
        ("/%2fevil.example.com", 301),
        ("//evil.example.com/..//evil.example.com", 403),
    ],
)
def test_no_open_redirect(served: Served, target: str, expected: int) -> None:
    """A folder named like a host redirects to itself on this server, never to '//host' elsewhere."""
    status, headers, _ = served.get(target)
    assert status == expected
    if expected == 301:
        assert headers["location"] == "/evil.example.com/"
    else:
        assert "location" not in headers


def test_directory_without_slash_redirects(served: Served) -> None:
    status, headers, _ = served.get("/sub")
    assert status == 301 and headers["location"] == "/sub/"


def test_over_long_request_line_and_headers(served: Served) -> None:
    assert served.get("/" + "a" * 10_000)[0] == 414
    headers = "".join(f"X-Filler-{i}: {'b' * 100}\r\n" for i in range(400))
    assert served.get("/a.txt", headers)[0] == 431


@pytest.mark.parametrize("served", [{"idle_timeout": 0.5}], indirect=True)
def test_slow_clients_time_out_without_holding_others_up(served: Served) -> None:
    slow = socket.create_connection(("127.0.0.1", served.port), timeout=WAIT)
    slow.sendall(b"GET /a.txt HT")  # and then nothing
    started = time.monotonic()
    assert served.get("/a.txt")[2] == b"hello\n"  # others are served meanwhile
    assert time.monotonic() - started < WAIT
    status, _, _ = read_response(slow)
    assert status == 408
    assert slow.recv(10) == b""
    slow.close()


def test_head_and_get_and_mime_types(served: Served) -> None:
    status, headers, body = served.get("/a.txt", method="HEAD")
    assert status == 200 and body == b"" and headers["content-length"] == "6"
    assert headers["content-type"] == "text/plain; charset=utf-8"
    assert served.get("/sub/b.css")[1]["content-type"] == "text/css; charset=utf-8"
    assert served.get("/digits.bin")[2] == bytes(range(256)) * 1024


def test_index_html_is_served_for_its_folder(served: Served) -> None:
    (served.root / "sub" / "index.html").write_text("<p>home</p>")
    status, headers, body = served.get("/sub/")
    assert status == 200 and body == b"<p>home</p>" and headers["content-type"].startswith("text/html")


@pytest.mark.parametrize(
    ("header", "status", "content_range"),
    [
        ("Range: bytes=0-9", 206, "bytes 0-9/262144"),
        ("Range: bytes=262140-", 206, "bytes 262140-262143/262144"),
        ("Range: bytes=-3", 206, "bytes 262141-262143/262144"),
        ("Range: bytes=100-1000000", 206, "bytes 100-262143/262144"),
        ("Range: bytes=0-1,5-6", 200, None),  # several ranges: the whole file
        ("Range: pages=1-2", 200, None),
    ],
)
def test_single_ranges(served: Served, header: str, status: int, content_range: str | None) -> None:
    got_status, headers, body = served.get("/digits.bin", header + "\r\n")
    whole = bytes(range(256)) * 1024
    assert got_status == status
    if content_range is None:
        assert body == whole
        return
    assert headers["content-range"] == content_range
    first, last = (int(n) for n in content_range.split()[1].split("/")[0].split("-"))
    assert body == whole[first : last + 1]
    assert int(headers["content-length"]) == last - first + 1


def test_unsatisfiable_range_is_416(served: Served) -> None:
    status, headers, _ = served.get("/digits.bin", "Range: bytes=999999-\r\n")
    assert status == 416 and headers["content-range"] == "bytes */262144"


def test_if_range_that_no_longer_matches_sends_everything(served: Served) -> None:
    status, _, body = served.get("/a.txt", 'Range: bytes=0-1\r\nIf-Range: "old"\r\n')
    assert status == 200 and body == b"hello\n"


def test_conditional_get(served: Served) -> None:
    _, headers, _ = served.get("/a.txt")
    assert served.get("/a.txt", f"If-None-Match: {headers['etag']}\r\n")[0] == 304
    assert served.get("/a.txt", 'If-None-Match: "other"\r\n')[0] == 200
    assert served.get("/a.txt", f"If-Modified-Since: {headers['last-modified']}\r\n")[0] == 304
    assert served.get("/a.txt", "If-Modified-Since: Mon, 01 Jan 2001 00:00:00 GMT\r\n")[0] == 200
    assert served.get("/a.txt", "If-Modified-Since: not a date\r\n")[0] == 200


def test_keep_alive_and_pipelining(served: Served) -> None:
    with socket.create_connection(("127.0.0.1", served.port), timeout=WAIT) as sock:
        sock.sendall(b"GET /a.txt HTTP/1.1\r\nHost: t\r\n\r\n")
        assert read_response(sock)[2] == b"hello\n"
        sock.sendall(b"GET /a.txt HTTP/1.1\r\nHost: t\r\n\r\nGET /sub/b.css HTTP/1.1\r\nHost: t\r\n\r\n")
        data = b""
        while data.count(b"HTTP/1.1 200") < 2 or not data.endswith(b"body{}"):
            data += sock.recv(65536)
    assert data.count(b"HTTP/1.1 200 OK") == 2
    exchanges = served.recorder.of(HttpExchange)
    assert {e.conn for e in exchanges} == {1}


def test_symlink_inside_the_folder_is_served(served: Served) -> None:
    assert served.get("/inside-link.txt")[2] == b"hello\n"


def multipart(files: list[tuple[str, bytes]], boundary: str = "XyZ") -> bytes:
    body = b""
    for name, content in files:
        body += (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
                 "Content-Type: application/octet-stream\r\n\r\n").encode() + content + b"\r\n"  # fmt: skip
    return body + f"--{boundary}--\r\n".encode()


def upload(
    served: Served, files: list[tuple[str, bytes]], target: str = "/sub/"
) -> tuple[int, dict[str, str], bytes]:
    body = multipart(files)
    head = (f"POST {target} HTTP/1.1\r\nHost: t\r\nConnection: close\r\nContent-Length: {len(body)}\r\n"
            "Content-Type: multipart/form-data; boundary=XyZ\r\n\r\n").encode()  # fmt: skip
    return served.raw(head + body)


def test_upload_is_off_by_default(served: Served) -> None:
    assert upload(served, [("x.txt", b"x")])[0] == 405
    assert not (served.root / "sub" / "x.txt").exists()


@pytest.mark.parametrize("served", [{"upload": True, "max_upload_mb": 1}], indirect=True)
def test_upload_saves_renames_on_collision_and_sanitises(served: Served) -> None:
    status, headers, _ = upload(
        served, [("notes.txt", b"one"), ("notes.txt", b"two"), ("../../evil.txt", b"e")]
    )
    assert status == 303 and headers["location"] == "/sub/"
    folder = served.root / "sub"
    assert (folder / "notes.txt").read_bytes() == b"one"
    assert (folder / "notes (1).txt").read_bytes() == b"two"
    assert (folder / "evil.txt").read_bytes() == b"e"
    assert not (served.root.parent / "evil.txt").exists()
    upload(served, [("notes.txt", b"three")])
    assert (folder / "notes.txt").read_bytes() == b"one"  # never overwritten
    assert (folder / "notes (2).txt").read_bytes() == b"three"
    assert not [p for p in folder.iterdir() if p.name.startswith(".netlab-upload")]
    assert b'enctype="multipart/form-data"' in served.get("/sub/")[2]
    posts = [e for e in served.recorder.of(HttpExchange) if e.method == "POST"]
    assert [e.saved for e in posts] == [("notes.txt", "notes (1).txt", "evil.txt"), ("notes (2).txt",)]
    assert summary(posts[1]).endswith("saved as notes (2).txt")
    assert access_line(posts[0]).endswith("saved as notes.txt, notes (1).txt, evil.txt")


@pytest.mark.parametrize("served", [{"upload": True, "max_upload_mb": 1}], indirect=True)
def test_upload_limit(served: Served) -> None:
    status, _, _ = upload(served, [("big.bin", b"x" * (2 * 1024 * 1024))])
    assert status == 413
    assert not (served.root / "sub" / "big.bin").exists()
    assert not [p for p in (served.root / "sub").iterdir() if p.name.startswith(".netlab-upload")]


@pytest.mark.parametrize("served", [{"auth": "student:s3cret"}], indirect=True)
def test_basic_auth(served: Served) -> None:
    status, headers, _ = served.get("/a.txt")
    assert status == 401 and headers["www-authenticate"].startswith("Basic")
    wrong = base64.b64encode(b"student:nope").decode()
    assert served.get("/a.txt", f"Authorization: Basic {wrong}\r\n")[0] == 401
    right = base64.b64encode(b"student:s3cret").decode()
    assert served.get("/a.txt", f"Authorization: Basic {right}\r\n")[2] == b"hello\n"


@pytest.mark.parametrize("served", [{"show_hidden": True}], indirect=True)
def test_show_hidden(served: Served) -> None:
    assert served.get("/.hidden")[2] == b"hidden"
    assert b".hidden" in served.get("/")[2]


def test_listing_sorts_by_size_and_date(served: Served) -> None:
    (served.root / "tiny.txt").write_text("1")
    page = served.get("/?sort=size&order=desc")[2].decode()
    assert page.index("digits.bin") < page.index("a.txt") < page.index("tiny.txt")
    assert "Size ▼" in page


def test_methods_other_than_get_and_head_are_refused(served: Served) -> None:
    status, headers, _ = served.get("/a.txt", method="DELETE")
    assert status == 405 and headers["allow"] == "GET, HEAD"


def test_config_refuses_bad_input() -> None:
    from netlab.core.config import ConfigError

    with pytest.raises(ConfigError) as caught:
        FileServerConfig(root="/no/such/folder", auth="nocolon")
    fields = {p.field for p in caught.value.problems}
    assert fields == {"auth"}  # the folder is this machine's business: checked at start


def test_a_missing_folder_is_an_error_at_start(recorder: Recorder) -> None:
    server = FileServer(FileServerConfig(root="/no/such/folder", port=0), recorder)
    server.run()  # setup fails, so run() returns at once
    error = recorder.wait_for(lambda e: isinstance(e, Error))
    assert error.message == "The folder /no/such/folder does not exist on this machine"  # type: ignore[attr-defined]
    assert server.address is None


@pytest.mark.parametrize("served", [{"upload": True, "max_upload_mb": 1}], indirect=True)
def test_a_refused_upload_is_answered_not_reset(served: Served) -> None:
    """The client is still sending when the 413 goes out: it must read the 413, never a reset."""
    for _ in range(3):
        status, headers, _ = upload(served, [("big.bin", b"x" * (16 * 1024 * 1024))])
        assert status == 413 and headers["connection"] == "close"


def no_hard_links(source: str, target: str) -> None:
    raise PermissionError(errno.EPERM, "Operation not permitted")  # what link() says on FAT


@pytest.mark.parametrize("served", [{"upload": True}], indirect=True)
def test_uploads_work_where_there_are_no_hard_links(served: Served, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "link", no_hard_links)
    (served.root / "sub" / "notes.txt").write_bytes(b"old")
    status, _, _ = upload(served, [("notes.txt", b"new"), ("notes.txt", b"newer")])
    assert status == 303
    folder = served.root / "sub"
    assert (folder / "notes.txt").read_bytes() == b"old"  # never overwritten
    assert (folder / "notes (1).txt").read_bytes() == b"new"
    assert (folder / "notes (2).txt").read_bytes() == b"newer"
    assert not [p for p in folder.iterdir() if p.name.startswith(".netlab-upload")]


def disk_full(temporary: str, folder: str, wanted: str) -> str:
    raise OSError(errno.ENOSPC, "No space left on device")


def broken(temporary: str, folder: str, wanted: str) -> str:
    raise RuntimeError("a bug")


@pytest.mark.parametrize(
    ("failure", "status", "logged"),
    [(disk_full, 507, "No space left on device"), (broken, 500, "Internal error while saving")],
)
@pytest.mark.parametrize("served", [{"upload": True}], indirect=True)
def test_a_failed_save_is_the_servers_fault_and_is_logged(
    served: Served,
    monkeypatch: pytest.MonkeyPatch,
    failure: Callable[[str, str, str], str],
    status: int,
    logged: str,
) -> None:
    monkeypatch.setattr("netlab.http.file_server.store_upload", failure)
    got, _, body = upload(served, [("notes.txt", b"one")])
    assert got == status and b"could not be read" not in body
    error = served.recorder.wait_for(lambda e: isinstance(e, Error))
    assert logged in error.message  # type: ignore[attr-defined]
    assert not [p for p in (served.root / "sub").iterdir() if p.name.startswith(".netlab-upload")]
    assert served.get("/a.txt")[2] == b"hello\n"  # and the server goes on serving


@pytest.mark.parametrize("served", [{"upload": True}], indirect=True)
def test_a_malformed_upload_is_the_clients_fault(served: Served) -> None:
    body = b"--XyZ\r\nthis is not a part header\r\n\r\n"
    head = (f"POST /sub/ HTTP/1.1\r\nHost: t\r\nContent-Length: {len(body)}\r\n"
            "Content-Type: multipart/form-data; boundary=XyZ\r\n\r\n").encode()  # fmt: skip
    status, _, page = served.raw(head + body)
    assert status == 400 and b"could not be read" in page
    assert not served.recorder.of(Error)


def test_listing_shows_sizes_a_person_reads(served: Served) -> None:
    with open(served.root / "video.bin", "wb") as out:
        out.truncate(50 * 1024 * 1024)  # sparse: 50 MB on paper, nothing on disk
    page = served.get("/")[2].decode()
    assert '<td class="n" title="52,428,800 bytes">50.0 MB</td>' in page
    assert '<td class="n" title="6 bytes">6 B</td>' in page  # a.txt
    assert "52,428,800</td>" not in page


def read_all(sock: socket.socket) -> bytes:
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return data


@pytest.mark.parametrize(
    "request_bytes",
    [
        b"GET /a.txt HTTP/1.1\r\nConnection: close\r\n\r\n",  # HTTP/1.1 needs a Host
        b"GET /a.txt HTTP/1.1\r\nHost: a\r\nHost: b\r\nConnection: close\r\n\r\n",
        b"POST /sub/ HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        b"GET /a.txt HTTP/1.1\r\nHost: t\r\nBad\x01Name: x\r\n\r\n",
        b"GET /a.txt HTTP/1.1\r\nHost: t\r\nX: a\x00b\r\n\r\n",
        b"GET /a.txt HTTP/9.9\r\nHost: t\r\n\r\n",
        b"GET\t/a.txt HTTP/1.1\r\nHost: t\r\n\r\n",
        b"GET /a.txt HTTP/1.1\rHost: t\r\r",  # bare CR
        b"GET /a.txt HTTP/1.1\r\nHost: t\rX: y\r\n\r\n",
    ],
)
def test_ambiguous_or_malformed_heads_are_refused(served: Served, request_bytes: bytes) -> None:
    status, headers, _ = served.raw(request_bytes)
    assert status == 400 and headers["connection"] == "close"


def test_a_request_typed_into_nc_with_bare_newlines_is_served(served: Served) -> None:
    assert served.raw(b"GET /a.txt HTTP/1.1\nHost: t\nConnection: close\n\n")[2] == b"hello\n"


def test_pipelined_requests_are_answered_in_order_up_to_a_bad_one(served: Served) -> None:
    with socket.create_connection(("127.0.0.1", served.port), timeout=WAIT) as sock:
        good = b"GET /a.txt HTTP/1.1\r\nHost: t\r\n\r\n"
        sock.sendall(
            good * 500 + b"GET /sub/b.css HTTP/1.1\r\nHost: t\r\n\r\nBAD\x01 / HTTP/1.1\r\n\r\n" + good
        )
        data = read_all(sock)
    assert data.count(b"HTTP/1.1 200 OK") == 501 and data.count(b"hello\n") == 500
    assert data.index(b"body{}") < data.index(b"HTTP/1.1 400 Bad Request")
    assert data.count(b"\r\nServer: NetLab") == 502  # nothing answered after the bad one


@pytest.mark.parametrize("served", [{"upload": True}], indirect=True)
def test_an_upload_pipelined_behind_a_get_is_saved_in_turn(served: Served) -> None:
    body = multipart([("late.txt", b"late")])
    post = (
        f"POST /sub/ HTTP/1.1\r\nHost: t\r\nContent-Length: {len(body)}\r\nConnection: close\r\n"
        "Content-Type: multipart/form-data; boundary=XyZ\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", served.port), timeout=WAIT) as sock:
        sock.sendall(b"GET /digits.bin HTTP/1.1\r\nHost: t\r\n\r\n" + post + body)
        data = read_all(sock)
    assert data.index(b"HTTP/1.1 200 OK") < data.index(b"HTTP/1.1 303 See Other")
    assert (served.root / "sub" / "late.txt").read_bytes() == b"late"


def test_a_client_that_half_closes_still_gets_its_answer(served: Served) -> None:
    with socket.create_connection(("127.0.0.1", served.port), timeout=WAIT) as sock:
        sock.sendall(b"GET /a.txt HTTP/1.1\r\nHost: t\r\n\r\n")
        sock.shutdown(socket.SHUT_WR)  # as `nc -N` does after the last line
        data = read_all(sock)
    assert data.startswith(b"HTTP/1.1 200 OK\r\n") and data.endswith(b"hello\n")


def test_http_1_0_keep_alive_is_honoured(served: Served) -> None:
    with socket.create_connection(("127.0.0.1", served.port), timeout=WAIT) as sock:
        sock.sendall(b"GET /a.txt HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        status, headers, body = read_response(sock)
        assert (status, headers["connection"], body) == (200, "keep-alive", b"hello\n")
        sock.sendall(b"GET /a.txt HTTP/1.0\r\n\r\n")  # no keep-alive: answered, then closed
        data = read_all(sock)
    assert data.startswith(b"HTTP/1.1 200 OK\r\n") and b"Connection: close\r\n" in data


def test_a_changed_file_is_never_served_from_the_cache(served: Served) -> None:
    path = served.root / "a.txt"
    first_etag = served.get("/a.txt")[1]["etag"]
    path.write_bytes(b"HELLO\n")  # same size
    info = path.stat()
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns + 10**9))  # and a clock that moved on
    status, headers, body = served.get("/a.txt")
    assert (status, body) == (200, b"HELLO\n") and headers["etag"] != first_etag
    path.write_bytes(b"longer now\n")
    assert served.get("/a.txt")[2] == b"longer now\n"
    before = path.stat()
    path.write_bytes(b"LONGER NOW\n")  # same size, and the old mtime put back (as rsync -t or tar do)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert served.get("/a.txt")[2] == b"LONGER NOW\n"
    assert served.get("/a.txt", "Range: bytes=0-5\r\n")[2] == b"LONGER"
