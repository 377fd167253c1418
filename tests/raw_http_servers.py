"""Loopback servers for the Raw HTTP tests (engine, CLI and tab): stdlib http.server, odd replies, TLS.

Every server binds port 0 on 127.0.0.1 and runs on a daemon thread; each one-shot server serves one
connection and gives up after a bounded wait.
"""

from __future__ import annotations

import gzip
import json
import socket
import ssl
import struct
import threading
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


def _png() -> bytes:
    """A 2x2 red PNG, so the parsed view has an image to preview."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\xff\x00\x00" * 2 for _ in range(2))
    header = struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


PNG = _png()


class Handler(BaseHTTPRequestHandler):
    """GET /gzip, /json, /image, /latin1 answer as named; any other path: "you asked for PATH".
    POST and PUT echo the body they got."""

    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        extra: list[tuple[str, str]] = []
        if self.path == "/gzip":
            body = gzip.compress(b"squeezed")
            extra = [("Content-Encoding", "gzip")]
        elif self.path == "/json":
            body = json.dumps({"name": "Ada", "langs": ["en", "fr"]}).encode()
            extra = [("Content-Type", "application/json")]
        elif self.path == "/image":
            body = PNG
            extra = [("Content-Type", "image/png")]
        elif self.path == "/latin1":
            body = "café crème".encode("latin-1")
            extra = [("Content-Type", "text/plain; charset=iso-8859-1")]
        else:
            body = f"you asked for {self.path}".encode()
        self._answer(body, extra)

    def do_HEAD(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "5")
        self.end_headers()

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self._answer(b"got " + self.rfile.read(length), [])

    do_PUT = do_POST

    def _answer(self, body: bytes, extra: list[tuple[str, str]]) -> None:
        self.send_response(200)
        for name, value in [("Content-Length", str(len(body))), *extra]:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def http_server() -> Iterator[int]:
    """A stdlib ThreadingHTTPServer on loopback; yields its port."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()


def one_shot_server(
    reply: bytes, *, hold: bool = False, context: ssl.SSLContext | None = None
) -> tuple[int, threading.Event]:
    """Accept one connection, read the request's head, send reply; hold=True: never close until the
    returned event is set (at most 30 s). With a context, speak TLS (a client that refuses the
    certificate hangs up mid-handshake, which is fine)."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(30)
    done = threading.Event()

    def serve() -> None:
        try:
            conn, _ = listener.accept()
        except OSError:
            listener.close()
            return
        conn.settimeout(5)
        try:
            sock: Any = context.wrap_socket(conn, server_side=True) if context is not None else conn
            sock.recv(65536)
            sock.sendall(reply)
            if hold:
                done.wait(30)  # every test sets done when it has finished
        except (OSError, ssl.SSLError):
            pass
        finally:
            conn.close()
            listener.close()

    threading.Thread(target=serve, daemon=True).start()
    return int(listener.getsockname()[1]), done


class TrustmeTls:
    """A trustme CA and a server certificate for localhost and 127.0.0.1; the CA written to ca_file."""

    def __init__(self, folder: Path) -> None:
        import trustme

        self.ca = trustme.CA()
        self.context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.ca.issue_cert("localhost", "127.0.0.1").configure_cert(self.context)
        self.ca_file = str(folder / "lab-ca.pem")
        self.ca.cert_pem.write_to_path(self.ca_file)

    def server(self, reply: bytes) -> int:
        """A one-shot TLS server that answers reply; its port."""
        return one_shot_server(reply, context=self.context)[0]
