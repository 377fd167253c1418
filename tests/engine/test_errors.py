"""Each expected failure reads as one plain line with a hint."""

from __future__ import annotations

import errno
import socket
import ssl
import subprocess
import sys

import pytest

from netlab.core.errors import explain


@pytest.mark.parametrize(
    ("exc", "action", "port", "message", "hint"),
    [
        (
            OSError(errno.EADDRINUSE, "x"),
            "bind",
            8000,
            "Port 8000 is already in use by another program",
            "choose another port, or 0 for any free port",
        ),
        (
            PermissionError(errno.EACCES, "x"),
            "bind",
            80,
            "Permission denied: port 80 is below 1024, which needs administrator rights",
            "use a port of 1024 or above, or 0 for any free port",
        ),
        (
            socket.gaierror(socket.EAI_NONAME, "x"),
            "connect",
            80,
            "The host name 'example.invalid' could not be found (DNS lookup failed)",
            "check the spelling, or type an IP address such as 127.0.0.1",
        ),
        (
            ConnectionRefusedError(errno.ECONNREFUSED, "x"),
            "connect",
            80,
            "Connection refused by example.invalid:80: nothing is listening on that port",
            "start the server first, or check the host and port",
        ),
        (
            TimeoutError(),
            "connect",
            80,
            "No answer from example.invalid:80 within the time limit",
            "check the host and port; a firewall may be dropping the packets, or raise the timeout",
        ),
        (
            ConnectionResetError(errno.ECONNRESET, "x"),
            "recv",
            80,
            "The connection to example.invalid:80 was reset by the peer",
            "the other side closed abruptly (it sent RST); it may have crashed or refused the data",
        ),
        (
            OSError(errno.EAFNOSUPPORT, "x"),
            "socket",
            80,
            "This machine does not support that address family",
            "choose IPv4, or check that IPv6 is enabled on this machine",
        ),
        (
            OSError(errno.EADDRNOTAVAIL, "x"),
            "bind",
            80,
            "The address example.invalid does not belong to this machine",
            "use 127.0.0.1, 0.0.0.0, :: or one of this machine's own addresses",
        ),
        (
            OSError(errno.EHOSTUNREACH, "x"),
            "connect",
            80,
            "No route to host example.invalid",
            "check the address and that this machine is on the same network",
        ),
    ],
)
def test_expected_failures_in_plain_words(
    exc: BaseException, action: str, port: int, message: str, hint: str
) -> None:
    problem = explain(exc, action=action, host="example.invalid", port=port)
    assert (problem.message, problem.hint) == (message, hint)


def test_ipv6_addresses_are_bracketed() -> None:
    problem = explain(ConnectionRefusedError(errno.ECONNREFUSED, "x"), action="connect", host="::1", port=9)
    assert problem.message.startswith("Connection refused by [::1]:9")


def test_certificate_failure_points_at_the_toggle() -> None:
    exc = ssl.SSLCertVerificationError(1, "certificate verify failed")
    exc.verify_message = "self-signed certificate"
    problem = explain(exc, action="TLS handshake", host="127.0.0.1", port=443)
    assert "self-signed certificate" in problem.message
    assert "Don't verify the certificate" in problem.hint


def test_unknown_errors_still_read_as_one_line() -> None:
    problem = explain(OSError(errno.ENOBUFS, "No buffer space available"), action="send", host="h", port=1)
    assert problem.message == "send failed for h:1: No buffer space available"


def test_one_shape_for_every_problem() -> None:
    from netlab.core.codec import CodecError, parse_hex
    from netlab.core.config import ConfigError, FieldProblem
    from netlab.core.errors import Problem, error_event
    from netlab.tcp.config import TcpServerConfig

    field = FieldProblem("port", "Port 70000 is out of range", "use 0 to 65535")
    assert isinstance(field, Problem) and field.field == "port" and str(field).endswith("use 0 to 65535")
    with pytest.raises(CodecError) as codec:
        parse_hex("4")
    with pytest.raises(ConfigError) as config:
        TcpServerConfig(port=70000)
    for cause, message in (
        (codec.value, "'4' has an odd number of hex digits"),
        (config.value, "Port 70000 is out of range"),
        (field, "Port 70000 is out of range"),
    ):
        event = error_event(cause, source="client", action="send")
        assert (event.message, bool(event.hint)) == (message, True)


def test_errors_are_explained_without_importing_ssl() -> None:
    # The window opens without ssl (issue 8): explain() must not need it for a non-TLS error.
    program = (
        "import sys\n"
        "from netlab.core.errors import explain\n"
        "problem = explain(ConnectionRefusedError(111, 'refused'), action='connect', host='h', port=1)\n"
        "assert 'refused' in problem.message, problem\n"
        "print('ssl' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout == "False\n"
