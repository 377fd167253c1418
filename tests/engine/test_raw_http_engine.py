"""Raw HTTP engine against servers started here on loopback: stdlib http.server, odd responses, TLS."""

from __future__ import annotations

import queue
import socket
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from netlab.core.events import Closed, Data, Direction, Error, Event, Info, Opened, TlsInfo
from netlab.http.raw import read_responses
from netlab.http.raw_client import RawHttpClient, methods_of
from netlab.http.raw_config import RawHttpConfig

from ..raw_http_servers import TrustmeTls, http_server, one_shot_server


@pytest.fixture
def http_port() -> Iterator[int]:
    with http_server() as port:
        yield port


def _exchange(config: RawHttpConfig, data: bytes) -> list[Event]:
    events: queue.Queue[Event] = queue.Queue()
    engine = RawHttpClient(events.put)
    thread = threading.Thread(target=engine.run, daemon=True)
    thread.start()
    seen: list[Event] = []
    try:
        engine.request(config, data)
        while True:
            try:
                event = events.get(timeout=10)
            except queue.Empty:
                raise AssertionError(f"no Response line after {seen}") from None
            seen.append(event)
            if isinstance(event, Info) and event.text.startswith("Response:"):
                return seen
    finally:
        engine.stop()
        thread.join(5)


def _received(events: list[Event]) -> bytes:
    return b"".join(e.data for e in events if isinstance(e, Data) and e.direction is Direction.RECEIVED)


def _infos(events: list[Event]) -> list[str]:
    return [e.text for e in events if isinstance(e, Info)]


def test_get_against_http_server_logs_raw_bytes_timing_and_status(http_port: int) -> None:
    data = b"GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    events = _exchange(RawHttpConfig(port=http_port), data)
    raw = _received(events)
    assert raw.startswith(b"HTTP/1.1 200") and raw.endswith(b"you asked for /hello")
    sent = b"".join(e.data for e in events if isinstance(e, Data) and e.direction is Direction.SENT)
    assert sent == data
    timing, response = _infos(events)[-2:]
    assert "connect" in timing and "first byte" in timing and f"{len(data)} bytes up" in timing
    assert response == "Response: HTTP/1.1 200 OK"
    assert any(isinstance(e, Closed) for e in events)


def test_pipelined_requests_get_two_responses_on_one_connection(http_port: int) -> None:
    data = b"GET /one HTTP/1.1\r\nHost: x\r\n\r\nGET /gzip HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    events = _exchange(RawHttpConfig(port=http_port), data)
    assert _infos(events)[-1] == "Response: HTTP/1.1 200 OK; HTTP/1.1 200 OK"
    reading = read_responses(_received(events), methods_of(data))
    assert [r.body for r in reading.responses] == [b"you asked for /one", b"squeezed"]
    assert len({e.conn for e in events if isinstance(e, Data)}) == 1


def test_malformed_response_is_kept_raw_with_one_line_saying_what_is_wrong() -> None:
    port, _ = one_shot_server(b"SSH-2.0-OpenSSH_9.6\r\n")
    events = _exchange(RawHttpConfig(port=port), b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    assert _received(events) == b"SSH-2.0-OpenSSH_9.6\r\n"
    assert "not valid HTTP" in _infos(events)[-1]


def test_chunked_response_is_decoded_by_the_parse() -> None:
    reply = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
    port, _ = one_shot_server(reply)
    events = _exchange(RawHttpConfig(port=port), b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    (response,) = read_responses(_received(events)).responses
    assert response.body == b"abc"


def test_never_ending_response_stops_at_the_read_timeout_and_cap_counts_the_rest() -> None:
    reply = b"HTTP/1.1 200 OK\r\nContent-Length: 999999\r\n\r\n" + b"x" * 4000
    port, done = one_shot_server(reply, hold=True)
    events = _exchange(RawHttpConfig(port=port, timeout=0.3, cap=1024), b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    done.set()
    closed = [e for e in events if isinstance(e, Closed)]
    assert closed and "read timeout" in closed[-1].reason
    timing, response = _infos(events)[-2:]
    assert "past the cap counted, not kept" in timing
    assert "ended before its body" in response


def test_tls_verification_fails_clearly_and_the_toggle_lets_it_through() -> None:
    trustme = pytest.importorskip("trustme")
    ca = trustme.CA()
    cert = ca.issue_cert("localhost", "127.0.0.1")
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(server_context)
    reply = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"

    def tls_server() -> int:
        listener = socket.create_server(("127.0.0.1", 0))

        def serve() -> None:
            conn, _ = listener.accept()
            conn.settimeout(5)
            try:
                with server_context.wrap_socket(conn, server_side=True) as tls:
                    tls.recv(65536)
                    tls.sendall(reply)
            except (OSError, ssl.SSLError):
                pass  # the verifying client hangs up mid-handshake
            finally:
                listener.close()

        threading.Thread(target=serve, daemon=True).start()
        return int(listener.getsockname()[1])

    request = b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"
    refused = _exchange(RawHttpConfig(port=tls_server(), tls=True), request)
    errors = [e for e in refused if isinstance(e, Error)]
    assert errors and "certificate" in (errors[0].message + errors[0].hint).lower()
    allowed = _exchange(RawHttpConfig(port=tls_server(), tls=True, verify=False), request)
    assert _infos(allowed)[-1] == "Response: HTTP/1.1 200 OK"
    assert "TLS handshake" in _infos(allowed)[-2]
    tls = [e for e in allowed if isinstance(e, TlsInfo)]
    assert tls and tls[0].version.startswith("TLS") and tls[0].cipher
    shown = next(text for text in _infos(allowed) if "certificate NOT verified" in text)
    assert "subject" in shown and "issuer" in shown and "expires" in shown


def test_methods_of_finds_each_request_line() -> None:
    assert methods_of(b"HEAD / HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\n\r\n") == ("HEAD", "GET")
    assert methods_of(b"junk") == ("GET",)


def test_sni_sends_the_name_asked_for_and_the_log_shows_the_tls_session() -> None:
    trustme = pytest.importorskip("trustme")
    cert = trustme.CA().issue_cert("netlab.test")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(context)
    names: list[str | None] = []
    context.sni_callback = lambda _sock, name, _ctx: names.append(name)  # type: ignore[assignment,misc,func-returns-value]
    listener = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        conn, _ = listener.accept()
        conn.settimeout(5)
        try:
            with context.wrap_socket(conn, server_side=True) as tls:
                tls.recv(65536)
                tls.sendall(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n")
        finally:
            listener.close()

    threading.Thread(target=serve, daemon=True).start()
    config = RawHttpConfig(port=listener.getsockname()[1], tls=True, verify=False, sni="netlab.test")
    events = _exchange(config, b"GET / HTTP/1.1\r\nHost: netlab.test\r\n\r\n")
    assert names == ["netlab.test"]
    assert any(isinstance(e, TlsInfo) for e in events)
    assert _infos(events)[-1] == "Response: HTTP/1.1 204 No Content"


def test_cancel_ends_a_never_ending_response_at_once() -> None:
    reply = b"HTTP/1.1 200 OK\r\nContent-Length: 999999\r\n\r\nstart"
    port, done = one_shot_server(reply, hold=True)
    events: queue.Queue[Event] = queue.Queue()
    engine = RawHttpClient(events.put)
    thread = threading.Thread(target=engine.run, daemon=True)
    thread.start()
    seen: list[Event] = []
    try:
        conn = engine.request(RawHttpConfig(port=port, timeout=60), b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        while not any(isinstance(e, Data) and e.direction is Direction.RECEIVED for e in seen):
            seen.append(events.get(timeout=10))
        engine.cancel(conn)
        while not (isinstance(seen[-1], Info) and seen[-1].text.startswith("Response:")):
            seen.append(events.get(timeout=10))  # the 60 s read timeout would fail this wait
    finally:
        done.set()
        engine.stop()
        thread.join(5)
    assert "ended before its body" in _infos(seen)[-1]
    assert any(isinstance(e, Closed) for e in seen)


def test_keep_open_reports_each_response_and_reuses_the_connection(http_port: int) -> None:
    events: queue.Queue[Event] = queue.Queue()
    engine = RawHttpClient(events.put)
    thread = threading.Thread(target=engine.run, daemon=True)
    thread.start()
    seen: list[Event] = []

    def until_response() -> None:
        seen.append(events.get(timeout=10))
        while not (isinstance(seen[-1], Info) and seen[-1].text.startswith("Response:")):
            seen.append(events.get(timeout=10))

    try:
        config = RawHttpConfig(port=http_port, keep_open=True, timeout=60)
        conn = engine.request(config, b"GET /first HTTP/1.1\r\nHost: x\r\n\r\n")
        until_response()
        engine.send_more(conn, b"GET /second HTTP/1.1\r\nHost: x\r\n\r\n")
        until_response()
    finally:
        engine.stop()
        thread.join(5)
    assert _received(seen).endswith(b"you asked for /second")
    assert sum(isinstance(e, Opened) for e in seen) == 1
    assert any("Reusing connection" in text and "request 2" in text for text in _infos(seen))
    assert not any(isinstance(e, Closed) for e in seen)


def test_verified_tls_with_the_lab_ca_logs_version_cipher_and_the_certificate(tmp_path: Path) -> None:
    pytest.importorskip("trustme")
    tls = TrustmeTls(tmp_path)
    port = tls.server(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
    config = RawHttpConfig(port=port, tls=True, ca_file=tls.ca_file)
    events = _exchange(config, b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
    assert _infos(events)[-1] == "Response: HTTP/1.1 200 OK"
    session = next(e for e in events if isinstance(e, TlsInfo))
    assert session.version.startswith("TLS") and session.cipher
    shown = next(text for text in _infos(events) if text.startswith("certificate verified: "))
    assert "subject" in shown and "issuer OU=Testing CA" in shown and "expires " in shown
    assert not any("NOT verified" in text for text in _infos(events))


def test_a_missing_ca_file_is_said_in_plain_words(tmp_path: Path) -> None:
    config = RawHttpConfig(port=1, tls=True, ca_file=str(tmp_path / "nope.pem"))
    events = _exchange_until_closed(config, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    error = next(e for e in events if isinstance(e, Error))
    assert "nope.pem" in error.message + error.hint


def _exchange_until_closed(config: RawHttpConfig, data: bytes) -> list[Event]:
    events: queue.Queue[Event] = queue.Queue()
    engine = RawHttpClient(events.put)
    thread = threading.Thread(target=engine.run, daemon=True)
    thread.start()
    seen: list[Event] = []
    try:
        engine.request(config, data)
        while not seen or not isinstance(seen[-1], Closed):
            seen.append(events.get(timeout=10))
        return seen
    finally:
        engine.stop()
        thread.join(5)
