"""TLS on both sides: a trustme certificate, verification by default, self-signed on request."""

from __future__ import annotations

import hashlib
import re
import socket
import ssl
from pathlib import Path

import pytest
import trustme

from netlab.core.events import Closed, Data, Direction, Error, Info, Listening, TlsInfo
from netlab.tcp.client import TcpClients
from netlab.tcp.config import TcpClientConfig, TcpServerConfig, TlsServerSettings
from netlab.tcp.server import TcpServer

from .conftest import WAIT, Recorder, recv_exactly, running


@pytest.fixture
def ca(tmp_path: Path) -> tuple[trustme.CA, str, str, str]:
    authority = trustme.CA()
    cert = authority.issue_cert("127.0.0.1", "localhost")
    cert_file, key_file, ca_file = tmp_path / "cert.pem", tmp_path / "key.pem", tmp_path / "ca.pem"
    cert.private_key_and_cert_chain_pem.write_to_path(str(cert_file))
    cert.private_key_pem.write_to_path(str(key_file))
    authority.cert_pem.write_to_path(str(ca_file))
    return authority, str(cert_file), str(key_file), str(ca_file)


def tls_port(recorder: Recorder) -> int:
    return recorder.wait_for(lambda e: isinstance(e, Listening)).port  # type: ignore[attr-defined, no-any-return]


def test_server_with_a_picked_certificate_talks_to_a_verifying_stdlib_client(
    ca: tuple[trustme.CA, str, str, str], recorder: Recorder
) -> None:
    _, cert, key, ca_file = ca
    config = TcpServerConfig(port=0, tls=TlsServerSettings(cert_file=cert, key_file=key))
    with running(TcpServer(config, recorder)):
        context = ssl.create_default_context(cafile=ca_file)
        raw = socket.create_connection(("127.0.0.1", tls_port(recorder)), timeout=WAIT)
        with context.wrap_socket(raw, server_hostname="127.0.0.1") as client:
            client.sendall(b"secret")
            assert recv_exactly(client, 6) == b"secret"
        info = recorder.wait_for(lambda e: isinstance(e, TlsInfo))
    assert info.version.startswith("TLS")  # type: ignore[attr-defined]
    assert info.cipher  # type: ignore[attr-defined]


def test_netlab_client_verifies_with_a_ca_and_logs_version_and_cipher(
    ca: tuple[trustme.CA, str, str, str], recorder: Recorder
) -> None:
    _, cert, key, ca_file = ca
    server_events = Recorder()
    config = TcpServerConfig(port=0, tls=TlsServerSettings(cert_file=cert, key_file=key))
    with running(TcpServer(config, server_events)), running(TcpClients(recorder)) as clients:
        port = tls_port(server_events)
        assert isinstance(clients, TcpClients)
        conn = clients.open(TcpClientConfig(port=port, tls=True, ca_file=ca_file))
        recorder.wait_for(lambda e: isinstance(e, (TlsInfo, Error)))
        clients.send(conn, b"over TLS")
        recorder.wait_for(lambda e: isinstance(e, Data) and e.direction is Direction.RECEIVED)
    assert not recorder.of(Error)
    assert recorder.payload(Direction.RECEIVED) == b"over TLS"
    assert recorder.of(TlsInfo)[0].version in ("TLSv1.2", "TLSv1.3")


def test_self_signed_is_refused_by_default_and_allowed_by_the_toggle(recorder: Recorder) -> None:
    server_events = Recorder()
    config = TcpServerConfig(port=0, tls=TlsServerSettings(self_signed=True))
    with running(TcpServer(config, server_events)), running(TcpClients(recorder)) as clients:
        port = tls_port(server_events)
        assert isinstance(clients, TcpClients)
        clients.open(TcpClientConfig(port=port, tls=True))
        refused = recorder.wait_for(lambda e: isinstance(e, Error))
        conn = clients.open(TcpClientConfig(port=port, tls=True, tls_verify=False))
        recorder.wait_for(lambda e: isinstance(e, TlsInfo) and e.conn == conn)
        clients.send(conn, b"ok")
        recorder.wait_for(lambda e: isinstance(e, Data) and e.direction is Direction.RECEIVED)
    assert "certificate" in refused.message  # type: ignore[attr-defined]
    assert "Don't verify the certificate" in refused.hint  # type: ignore[attr-defined]


def test_unusable_certificate_files_are_explained(tmp_path: Path, recorder: Recorder) -> None:
    bogus = tmp_path / "bogus.pem"
    bogus.write_text("not a certificate")
    config = TcpServerConfig(port=0, tls=TlsServerSettings(cert_file=str(bogus), key_file=str(bogus)))
    with running(TcpServer(config, recorder)):
        error = recorder.wait_for(lambda e: isinstance(e, Error))
    assert "could not be loaded" in error.message  # type: ignore[attr-defined]


def test_without_verification_the_log_shows_what_the_certificate_claims(recorder: Recorder) -> None:
    server_events = Recorder()
    config = TcpServerConfig(port=0, tls=TlsServerSettings(self_signed=True))
    with running(TcpServer(config, server_events)), running(TcpClients(recorder)) as clients:
        port = tls_port(server_events)
        assert isinstance(clients, TcpClients)
        cert_file = server_events.wait_for(lambda e: isinstance(e, Info) and "certificate" in e.text)
        pem = Path(cert_file.text.split("certificate ", 1)[1].split(" (")[0]).read_text()  # type: ignore[attr-defined]
        clients.open(TcpClientConfig(port=port, tls=True, tls_verify=False))
        shown = recorder.wait_for(lambda e: isinstance(e, Info) and "NOT verified" in e.text)
    fingerprint = hashlib.sha256(ssl.PEM_cert_to_DER_cert(pem)).hexdigest().upper()
    text = shown.text  # type: ignore[attr-defined]
    assert "Don't verify the certificate" in text
    assert "subject CN=NetLab self-signed (127.0.0.1)" in text
    assert "issuer CN=NetLab self-signed (127.0.0.1)" in text
    assert re.search(r"expires \d{4}-\d\d-\d\d \d\d:\d\d UTC", text)
    assert ":".join(fingerprint[i : i + 2] for i in range(0, 64, 2)) in text


def test_a_verified_connection_does_not_dump_the_certificate(
    ca: tuple[trustme.CA, str, str, str], recorder: Recorder
) -> None:
    _, cert, key, ca_file = ca
    server_events = Recorder()
    config = TcpServerConfig(port=0, tls=TlsServerSettings(cert_file=cert, key_file=key))
    with running(TcpServer(config, server_events)), running(TcpClients(recorder)) as clients:
        assert isinstance(clients, TcpClients)
        clients.open(TcpClientConfig(port=tls_port(server_events), tls=True, ca_file=ca_file))
        recorder.wait_for(lambda e: isinstance(e, TlsInfo))
    assert not [e for e in recorder.of(Info) if "NOT verified" in e.text]


def test_the_self_signed_folder_is_removed_when_the_server_stops(recorder: Recorder) -> None:
    config = TcpServerConfig(port=0, tls=TlsServerSettings(self_signed=True))
    with running(TcpServer(config, recorder)):
        info = recorder.wait_for(lambda e: isinstance(e, Info) and "certificate" in e.text)
        cert = Path(info.text.split("certificate ", 1)[1].split(" (")[0])  # type: ignore[attr-defined]
        assert cert.is_file()
    assert not cert.parent.exists()


def test_a_client_that_never_finishes_the_handshake_is_closed(recorder: Recorder) -> None:
    server = TcpServer(TcpServerConfig(port=0, tls=TlsServerSettings(self_signed=True)), recorder)
    server.handshake_timeout = 0.05
    with running(server):
        silent = socket.create_connection(("127.0.0.1", tls_port(recorder)), timeout=WAIT)
        error = recorder.wait_for(lambda e: isinstance(e, Error))
        closed = recorder.wait_for(lambda e: isinstance(e, Closed))
        assert silent.recv(100) == b""  # the server hung up
        silent.close()
    assert "did not finish the TLS handshake within 0.05 s" in error.message  # type: ignore[attr-defined]
    assert closed.reason == "TLS handshake timed out"  # type: ignore[attr-defined]


def test_the_cli_option_says_what_it_does() -> None:
    from netlab.commands import build_parser

    parser = build_parser()
    args = parser.parse_args(["tcp-client", "127.0.0.1", "9", "--tls", "--no-verify"])
    assert args.no_verify
    assert parser.parse_args(["tcp-client", "127.0.0.1", "9", "--insecure"]).no_verify  # curl's name
