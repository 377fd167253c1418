"""HTTP form engine against a real httpbin on loopback, with urllib and with requests: no mocks."""

from __future__ import annotations

import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import urllib.error
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import trustme

from netlab.core.events import Data, Direction, Error, Info
from netlab.http.form_client import FormResponse, HttpFormClient, failure
from netlab.http.form_config import AuthKind, Backend, BodyKind, HttpFormConfig, NameValue, Upload
from tests.engine.conftest import Recorder, running
from tests.http_servers import RawServer, httpbin_server, keep_alive_server

BACKENDS = list(Backend)


@pytest.fixture(scope="module")
def base() -> Iterator[str]:
    with httpbin_server() as url:
        yield url


class Session:
    """One engine on its thread; ask() sends a config and waits for its response or error."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self.events = Recorder()
        self.client = HttpFormClient(self.events)

    def ask(self, save_to: str = "", wait: float = 10.0, **fields: Any) -> Any:
        seen = len(self.events.events)
        self.client.send(HttpFormConfig(backend=self.backend, **fields), save_to)
        return self.events.wait_for(
            lambda e: isinstance(e, (FormResponse, Error)) and self.events.events.index(e) >= seen, wait
        )


@pytest.fixture(params=BACKENDS, ids=[b.value for b in BACKENDS])
def session(request: pytest.FixtureRequest) -> Iterator[Session]:
    made = Session(request.param)
    with running(made.client):
        yield made


def echoed(response: FormResponse) -> Any:
    assert isinstance(response, FormResponse), response
    return json.loads(response.body)


@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
def test_every_method_reaches_the_server(session: Session, base: str, method: str) -> None:
    response = session.ask(method=method, url=f"{base}/anything?x=1")
    assert response.status == 200
    if method != "OPTIONS":  # Flask answers OPTIONS itself with the allowed methods
        assert echoed(response)["method"] == method and echoed(response)["args"] == {"x": "1"}
    else:
        assert "GET" in dict(response.headers)["Allow"]


def test_head_has_headers_and_no_body(session: Session, base: str) -> None:
    response = session.ask(method="HEAD", url=f"{base}/get")
    assert response.status == 200 and response.body == b"" and dict(response.headers)["Content-Length"] != "0"


def test_raw_json_form_and_multipart_bodies(session: Session, base: str, tmp_path: Path) -> None:
    plain = (NameValue("Content-Type", "text/plain; charset=utf-8"),)
    raw = session.ask(
        method="POST", url=f"{base}/post", body_kind=BodyKind.RAW, body="héllo\nworld", headers=plain
    )
    assert echoed(raw)["data"] == "héllo\nworld"
    bare = session.ask(method="POST", url=f"{base}/post", body_kind=BodyKind.RAW, body="a=1")
    # A body with no Content-Type: urllib labels it a form, requests sends no label at all.
    expected = "application/x-www-form-urlencoded" if session.backend == Backend.URLLIB else None
    assert echoed(bare)["headers"].get("Content-Type") == expected
    sent = session.ask(
        method="PUT", url=f"{base}/put", body_kind=BodyKind.JSON, body='{"a": [1, true, null]}'
    )
    assert echoed(sent)["json"] == {"a": [1, True, None]}
    assert echoed(sent)["headers"]["Content-Type"] == "application/json"
    fields = (NameValue("name", "Ada Lovelace"), NameValue("city", "Zürich & co"))
    form = session.ask(method="POST", url=f"{base}/post", body_kind=BodyKind.FORM, fields=fields)
    assert echoed(form)["form"] == {"name": "Ada Lovelace", "city": "Zürich & co"}
    assert echoed(form)["headers"]["Content-Type"] == "application/x-www-form-urlencoded"
    upload = tmp_path / "notes.txt"
    upload.write_text("file contents\n")
    multipart = session.ask(
        method="PATCH",
        url=f"{base}/patch",
        body_kind=BodyKind.MULTIPART,
        fields=fields[:1],
        files=(Upload("attachment", str(upload), "text/plain"),),
    )
    assert echoed(multipart)["form"] == {"name": "Ada Lovelace"}
    assert echoed(multipart)["files"] == {"attachment": "file contents\n"}
    assert echoed(multipart)["headers"]["Content-Type"].startswith("multipart/form-data; boundary=")


@pytest.mark.parametrize(
    ("auth", "path", "extra"),
    [
        (AuthKind.BASIC, "/basic-auth/ada/s3cret", {}),
        (AuthKind.DIGEST, "/digest-auth/auth/ada/s3cret", {}),
        (AuthKind.BEARER, "/bearer", {"token": "t0ken"}),
    ],
)
def test_auth(session: Session, base: str, auth: AuthKind, path: str, extra: dict[str, str]) -> None:
    response = session.ask(url=base + path, auth=auth, user="ada", password="s3cret", **extra)
    assert response.status == 200, response
    assert echoed(response)["authenticated"] is True
    if auth != AuthKind.BEARER:
        wrong = session.ask(url=base + path, auth=auth, user="ada", password="wrong")
        assert wrong.status == 401


def test_basic_auth_on_the_wire_differs_urllib_waits_for_the_challenge(session: Session, base: str) -> None:
    session.ask(url=f"{base}/basic-auth/ada/pw", auth=AuthKind.BASIC, user="ada", password="pw")
    requests_sent = session.events.payload(Direction.SENT).count(b"GET /basic-auth/ada/pw ")
    assert requests_sent == (2 if session.backend == Backend.URLLIB else 1)


def test_redirect_chain_and_not_following(session: Session, base: str) -> None:
    followed = session.ask(url=f"{base}/redirect/3")
    assert followed.status == 200 and followed.url == f"{base}/get"
    assert [r.status for r in followed.redirects] == [302, 302, 302]
    assert followed.redirects[0].url == f"{base}/redirect/3"
    stopped = session.ask(url=f"{base}/redirect/3", follow_redirects=False)
    assert stopped.status == 302 and stopped.redirects == ()
    assert dict(stopped.headers)["Location"].endswith("/relative-redirect/2")


def test_too_many_redirects(session: Session, base: str) -> None:
    error = session.ask(url=f"{base}/redirect/35")
    assert isinstance(error, Error)
    limit = 10 if session.backend == Backend.URLLIB else 30
    assert error.message == f"Too many redirects: {session.backend.value} gave up after {limit}"


def test_cookies_persist_until_a_new_session(session: Session, base: str) -> None:
    first = session.ask(url=f"{base}/cookies/set?flavour=oat")
    assert [(c.name, c.value) for c in first.cookies] == [("flavour", "oat")]
    assert echoed(session.ask(url=f"{base}/cookies"))["cookies"] == {"flavour": "oat"}
    session.client.new_session()
    session.events.wait_for(lambda e: isinstance(e, Info) and e.text.startswith("New session"))
    after = session.ask(url=f"{base}/cookies")
    assert echoed(after)["cookies"] == {} and after.cookies == ()


def test_gzip_is_undone(session: Session, base: str) -> None:
    response = session.ask(url=f"{base}/gzip", headers=(NameValue("Accept-Encoding", "gzip"),))
    assert echoed(response)["gzipped"] is True
    assert dict(response.headers)["Content-Encoding"] == "gzip"


def test_keep_alive_only_with_requests(session: Session) -> None:
    with keep_alive_server() as url:
        session.ask(url=url)
        session.ask(url=url)
        opened = {e.conn for e in session.events.of(Data)}
        assert len(opened) == (2 if session.backend == Backend.URLLIB else 1)
        session.client.new_session()  # closes the kept connection before the server stops
        session.events.wait_for(lambda e: isinstance(e, Info) and e.text.startswith("New session"))


def test_too_large_for_memory_then_saved_to_a_file(session: Session, base: str, tmp_path: Path) -> None:
    big = session.ask(url=f"{base}/bytes/5000", cap=1024)
    assert big.too_large and len(big.body) == 1024
    assert "larger than the 1.0 KB memory cap" in big.text and "Save to file" in big.text
    target = tmp_path / "body.bin"
    saved = session.ask(url=f"{base}/bytes/5000", cap=1024, save_to=str(target))
    assert not saved.too_large and saved.saved_to == str(target) and target.stat().st_size == 5000


def test_retries_with_back_off(session: Session, base: str) -> None:
    response = session.ask(url=f"{base}/status/503", retries=2, backoff=0.01)
    assert response.status == 503
    assert session.events.payload(Direction.SENT).count(b"GET /status/503 ") == 3


def test_refused(session: Session) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound, never listening: the kernel refuses
        error = session.ask(url=f"http://127.0.0.1:{port}/")
    assert isinstance(error, Error)
    assert error.message == f"Connection refused by 127.0.0.1:{port}: nothing is listening on that port"


def test_timeout_and_cancel(session: Session) -> None:
    silent = socket.create_server(("127.0.0.1", 0))  # accepts (backlog), never answers
    port = silent.getsockname()[1]
    try:
        error = session.ask(url=f"http://127.0.0.1:{port}/", timeout=0.3)
        assert isinstance(error, Error)
        assert error.message == f"No answer from 127.0.0.1:{port} within 0.3 s (timeout)"
        seen = len(session.events.events)
        session.client.send(
            HttpFormConfig(backend=session.backend, url=f"http://127.0.0.1:{port}/", timeout=60)
        )
        session.events.wait_for(lambda e: isinstance(e, Data) and session.events.events.index(e) >= seen)
        session.client.cancel()
        cancelled = session.events.wait_for(
            lambda e: isinstance(e, Error) and e.message.startswith("Cancelled")
        )
        assert cancelled.message.startswith("Cancelled")
    finally:
        silent.close()


def test_dns_failure_in_plain_words() -> None:
    # The exact shape urllib raises for an unknown name (a real lookup would leave this machine).
    exc = urllib.error.URLError(socket.gaierror(socket.EAI_NONAME, "Name or service not known"))
    problem = failure(exc, HttpFormConfig(url="http://no-such-host.invalid/"))
    assert problem.message == "The host name 'no-such-host.invalid' could not be found (DNS lookup failed)"


@pytest.mark.parametrize("backend", BACKENDS, ids=[b.value for b in BACKENDS])
def test_wire_view_is_byte_for_byte_what_the_server_got(backend: Backend, tmp_path: Path) -> None:
    reply = (
        b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello"
    )
    server = RawServer(reply)
    try:
        made = Session(backend)
        with running(made.client):
            response = made.ask(
                method="POST",
                url=f"http://127.0.0.1:{server.port}/form?q=1",
                body_kind=BodyKind.JSON,
                body="[1]",
            )
        assert server.done.wait(5)
        assert response.body == b"hello"
        assert made.events.payload(Direction.SENT) == server.received[0]
        assert made.events.payload(Direction.RECEIVED) == reply
        assert len({e.conversation for e in made.events.of(Data)}) == 1
    finally:
        server.close()


@pytest.mark.parametrize("backend", BACKENDS, ids=[b.value for b in BACKENDS])
def test_proxy_gets_the_absolute_url(backend: Backend) -> None:
    proxy = RawServer(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n")
    try:
        made = Session(backend)
        with running(made.client):
            response = made.ask(url="http://127.0.0.1:9/via-proxy", proxy=f"http://127.0.0.1:{proxy.port}")
        assert response.status == 204
        assert proxy.received[0].startswith(b"GET http://127.0.0.1:9/via-proxy HTTP/1.1\r\n")
    finally:
        proxy.close()


@pytest.fixture(scope="module")
def tls_base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """httpbin over HTTPS with a certificate from a throwaway CA; yields (base URL, CA file)."""
    ca = trustme.CA()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    ca_file = tmp_path_factory.mktemp("ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    with httpbin_server(tls=context) as url:
        yield url, str(ca_file)


def test_tls_verification_failure_names_the_problem_then_the_ca_file_fixes_it(
    session: Session, tls_base: tuple[str, str]
) -> None:
    url, ca_file = tls_base
    refused = session.ask(url=f"{url}/get")
    assert isinstance(refused, Error)
    assert refused.message == (
        "TLS verification failed: the certificate of 127.0.0.1 was not accepted "
        "(unable to get local issuer certificate)"
    )
    trusted = session.ask(url=f"{url}/get", ca_file=ca_file)
    assert trusted.status == 200
    notes = [e.text for e in session.events.of(Info)]
    assert any(text.startswith("TLS: the rows below are the plaintext") for text in notes)
    assert session.events.payload(Direction.SENT).startswith(b"GET /get HTTP/1.1\r\n")
    unchecked = session.ask(url=f"{url}/get", verify=False)
    assert unchecked.status == 200


def test_an_empty_bearer_token_is_refused_before_anything_is_sent(session: Session, base: str) -> None:
    error = session.ask(url=f"{base}/bearer", auth=AuthKind.BEARER)
    assert isinstance(error, Error) and error.message == "The bearer token is empty"
    assert session.events.of(Data) == []


DNS_PROBE = """
import json, sys
sys.path.insert(0, {root!r})
from netlab.core.events import Error
from netlab.http.form_client import FormResponse, HttpFormClient
from netlab.http.form_config import HttpFormConfig
from tests.engine.conftest import Recorder, running
events = Recorder()
client = HttpFormClient(events)
with running(client):
    client.send(HttpFormConfig(backend={backend!r}, url="http://no-such-host.invalid/", timeout=5))
    found = events.wait_for(lambda e: isinstance(e, (Error, FormResponse)), 20)
print(json.dumps(getattr(found, "message", "a response?!")))
"""


@pytest.mark.parametrize("backend", BACKENDS, ids=[b.value for b in BACKENDS])
def test_dns_failure_for_real_inside_a_namespace_without_network(backend: Backend) -> None:
    # A new network namespace has no route anywhere: the lookup fails on this machine, sending nothing.
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        pytest.skip("needs root and unshare (util-linux) to run in a network namespace of its own")
    root = str(Path(__file__).resolve().parents[2])
    probe = DNS_PROBE.format(root=root, backend=backend.value)
    done = subprocess.run(
        ["unshare", "--net", sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if done.returncode != 0 and "unshare" in done.stderr:
        pytest.skip(f"this system does not allow a network namespace: {done.stderr.strip()}")
    assert done.returncode == 0, done.stderr
    message = json.loads(done.stdout.strip().splitlines()[-1])
    assert message == "The host name 'no-such-host.invalid' could not be found (DNS lookup failed)"
