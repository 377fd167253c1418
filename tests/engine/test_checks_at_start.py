"""Checks that look at this machine run when an engine starts, as an Error event, not in the config."""

from __future__ import annotations

from netlab.core.events import Error, Listening
from netlab.tcp.client import TcpClients
from netlab.tcp.config import TcpClientConfig, TcpServerConfig, TlsServerSettings
from netlab.tcp.server import TcpServer

from .conftest import Recorder, connect, recv_exactly, running


def test_missing_certificate_files_are_an_error_at_start(recorder: Recorder) -> None:
    tls = TlsServerSettings(cert_file="/nowhere/cert.pem", key_file="/nowhere/key.pem")
    server = TcpServer(TcpServerConfig(port=0, tls=tls), recorder)
    server.run()  # setup fails, so run() returns at once
    error = recorder.wait_for(lambda e: isinstance(e, Error))
    assert error.message.startswith("The certificate file /nowhere/cert.pem does not exist on this machine")  # type: ignore[attr-defined]
    assert "Self-signed" in error.message  # type: ignore[attr-defined]


def test_a_missing_ca_file_is_an_error_when_connecting(recorder: Recorder) -> None:
    config = TcpClientConfig(port=9, tls=True, ca_file="/nowhere/ca.pem")
    with running(TcpClients(recorder)) as clients:
        clients.open(config)  # type: ignore[attr-defined]
        error = recorder.wait_for(lambda e: isinstance(e, Error))
    assert error.message.startswith("The CA file /nowhere/ca.pem does not exist on this machine")  # type: ignore[attr-defined]


def test_a_mode_given_as_text_works(recorder: Recorder) -> None:
    """A config built from text (a lab file, the CLI) behaves like one built from the enum."""
    with running(TcpServer(TcpServerConfig(port=0, mode="upper"), recorder)):  # type: ignore[arg-type]
        port = recorder.wait_for(lambda e: isinstance(e, Listening)).port  # type: ignore[attr-defined]
        client = connect(port)
        client.sendall(b"shout\n")
        assert recv_exactly(client, 6) == b"SHOUT\n"
        client.close()
