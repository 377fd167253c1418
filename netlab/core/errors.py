"""Expected failures mapped once to plain words and a hint, for every tab and the CLI."""

from __future__ import annotations

import errno
import socket
import sys

from netlab.core.codec import CodecError
from netlab.core.config import NO_VERIFY_LABEL, ConfigError, format_address
from netlab.core.events import Error
from netlab.core.problem import NetLabError, Problem

__all__ = ["EXPECTED", "NetLabError", "Problem", "error_event", "explain"]


# What the network, TLS, files and codecs raise when something expected goes wrong. An engine turns
# these into an Error event and keeps running; anything else is a bug and shows as an internal error.
# UnicodeError is a ValueError; ValueError also covers I/O on a socket that has just been closed.
EXPECTED: tuple[type[Exception], ...] = (OSError, ValueError, LookupError, NetLabError)


# errno -> (message, hint). {where} is host:port, {host} and {port} the parts, {action} the call.
_BY_ERRNO: dict[int, tuple[str, str]] = {
    errno.EADDRINUSE: (
        "Port {port} is already in use by another program",
        "choose another port, or 0 for any free port",
    ),
    errno.EADDRNOTAVAIL: (
        "The address {host} does not belong to this machine",
        "use 127.0.0.1, 0.0.0.0, :: or one of this machine's own addresses",
    ),
    errno.ECONNREFUSED: (
        "Connection refused by {where}: nothing is listening on that port",
        "start the server first, or check the host and port",
    ),
    errno.ETIMEDOUT: (
        "No answer from {where} within the time limit",
        "check the host and port; a firewall may be dropping the packets, or raise the timeout",
    ),
    errno.ECONNRESET: (
        "The connection to {where} was reset by the peer",
        "the other side closed abruptly (it sent RST); it may have crashed or refused the data",
    ),
    errno.ECONNABORTED: (
        "The connection to {where} was aborted",
        "the other side or the network dropped it; try connecting again",
    ),
    errno.EPIPE: (
        "The peer {where} has closed the connection, so nothing more can be sent",
        "connect again to send more",
    ),
    errno.EAFNOSUPPORT: (
        "This machine does not support that address family",
        "choose IPv4, or check that IPv6 is enabled on this machine",
    ),
    errno.EHOSTUNREACH: (
        "No route to host {host}",
        "check the address and that this machine is on the same network",
    ),
    errno.ENETUNREACH: (
        "The network of {host} is unreachable",
        "check the address and this machine's network connection",
    ),
    errno.EMFILE: (
        "Too many open connections or files for this program",
        "close some connections, or raise the limit with 'ulimit -n'",
    ),
}


def explain(exc: BaseException, *, action: str, host: str = "", port: int | None = None) -> Problem:
    """Turn an exception from a socket, TLS or file operation into a Problem a user can act on."""
    where = _where(host, port)
    fill = {"where": where, "host": host or "the peer", "port": port if port is not None else "?"}
    # ssl is imported only by whatever uses TLS, so the window opens without it (issue 8): if it was
    # never imported, no SSLError can exist.
    ssl = sys.modules.get("ssl")
    if ssl is not None and isinstance(exc, ssl.SSLCertVerificationError):
        reason = getattr(exc, "verify_message", None) or str(exc)
        return Problem(
            f"The certificate of {where} was not accepted ({reason})",
            f'give the CA file that signed it; or, only if you trust this network, tick "{NO_VERIFY_LABEL}"',
        )
    if ssl is not None and isinstance(exc, ssl.SSLError):
        reason = getattr(exc, "reason", None) or str(exc)
        return Problem(
            f"The TLS handshake with {where} failed ({reason})",
            "check that both sides use TLS, and that the certificate and key match",
        )
    if isinstance(exc, socket.gaierror):
        return Problem(
            f"The host name '{host}' could not be found (DNS lookup failed)",
            "check the spelling, or type an IP address such as 127.0.0.1",
        )
    if isinstance(exc, (TimeoutError, socket.timeout)) and exc.errno is None:
        return Problem(*(text.format(**fill) for text in _BY_ERRNO[errno.ETIMEDOUT]))
    if isinstance(exc, FileNotFoundError):
        return Problem(f"File not found: {exc.filename}", "pick an existing file")
    if isinstance(exc, PermissionError) and exc.filename:
        return Problem(f"Permission denied reading {exc.filename}", "pick a file you can read")
    if isinstance(exc, OSError) and exc.errno is not None:
        if exc.errno == errno.EACCES and action == "bind":
            if port is not None and 0 < port < 1024:
                return Problem(
                    f"Permission denied: port {port} is below 1024, which needs administrator rights",
                    "use a port of 1024 or above, or 0 for any free port",
                )
            return Problem(f"Permission denied binding {where}", "choose another address or port")
        if exc.errno in _BY_ERRNO:
            message, hint = _BY_ERRNO[exc.errno]
            return Problem(message.format(**fill), hint.format(**fill))
        return Problem(f"{action} failed for {where}: {exc.strerror or exc}", "")
    if isinstance(exc, NetLabError):
        return Problem(str(exc), "")
    if isinstance(exc, CodecError):
        return exc.problem
    if isinstance(exc, ConfigError) and exc.problems:
        return exc.problems[0]
    if isinstance(exc, UnicodeError):
        return Problem(
            f"{action} failed: text could not be converted ({exc})",
            "choose another encoding, or send the bytes as hex",
        )
    if isinstance(exc, LookupError):
        return Problem(f"{action} failed: {exc}", "choose a text encoding such as utf-8 or latin-1")
    return Problem(f"{action} failed: {exc}", "")


def _where(host: str, port: int | None) -> str:
    """host:port for messages; a missing part is left out rather than shown as ':None'."""
    if host and port is not None:
        return format_address((host, port))
    if host:
        return host
    return "the peer" if port is None else f"port {port}"


def error_event(
    cause: BaseException | Problem,
    *,
    source: str,
    action: str,
    conn: int = 0,
    peer: str = "",
    host: str = "",
    port: int | None = None,
) -> Error:
    """The one way a failure becomes an Error event: an expected exception explained, or a Problem.

    host and port default to the ones in peer ("127.0.0.1:9000", "[::1]:80").
    """
    if not host and peer:
        name, _, digits = peer.rpartition(":")
        host, port = (name.strip("[]"), int(digits)) if digits.isdigit() and name else (peer, port)
    problem = cause if isinstance(cause, Problem) else explain(cause, action=action, host=host, port=port)
    return Error(source=source, conn=conn, peer=peer, message=problem.message, hint=problem.hint)
