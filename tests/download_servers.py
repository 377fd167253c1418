"""A real HTTP(S) server on loopback for the download tests: a big file, a slow one, errors and more.

Paths: /big.bin (BODY with Content-Length), /named (Content-Disposition), /nolen (no Content-Length:
the body ends when the server closes), /slow (a huge Content-Length, trickled until the client goes
or the server stops), /stall (1000 bytes, then silence), /short (promises more than it sends), /missing (404).
"""

from __future__ import annotations

import hashlib
import random
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

BODY = random.Random(11).randbytes(3 * 1024 * 1024 + 123)
BODY_SHA256 = hashlib.sha256(BODY).hexdigest()
SLOW_PIECE = 16 * 1024
SLOW_PAUSE = 0.02  # pacing between pieces, not synchronisation
SLOW_LIMIT = 15.0  # seconds: a trickle never outlives a test


@dataclass
class Served:
    url: str  # http(s)://127.0.0.1:PORT
    stopping: threading.Event = field(default_factory=threading.Event)
    slow_started: threading.Event = field(default_factory=threading.Event)
    agents: list[str] = field(default_factory=list)  # each request's User-Agent: which library asked


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, *_: object) -> None:
        pass

    def _head(self, status: int, length: int | None, **headers: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/octet-stream")
        if length is not None:
            self.send_header("Content-Length", str(length))
        else:
            self.send_header("Connection", "close")
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.end_headers()

    def do_GET(self) -> None:
        path = self.path.split("?")[0]
        self.server.served.agents.append(self.headers.get("User-Agent", ""))
        try:
            if path == "/big.bin":
                self._head(200, len(BODY))
                self.wfile.write(BODY)
            elif path == "/named":
                self._head(200, 5, Content_Disposition='attachment; filename="../report 2024.txt"')
                self.wfile.write(b"hello")
            elif path == "/nolen":
                self.close_connection = True
                self._head(200, None)
                self.wfile.write(BODY)
            elif path == "/short":
                self.close_connection = True
                self._head(200, 1000)
                self.wfile.write(b"x" * 100)
            elif path.startswith("/slow"):
                self._trickle()
            elif path == "/stall":
                self._head(200, 1_000_000)
                self.wfile.write(b"x" * 1000)
                self.wfile.flush()
                self.server.served.stopping.wait(SLOW_LIMIT)  # then silence: only a cancel ends it
            else:
                body = b"no such file"
                self._head(404, len(body))
                self.wfile.write(body)
        except OSError:
            pass  # the client went away (a cancel): nothing to answer

    def _trickle(self) -> None:
        served: Served = self.server.served
        self._head(200, 100 * 1024 * 1024)
        served.slow_started.set()
        deadline = SLOW_LIMIT
        while deadline > 0 and not served.stopping.wait(SLOW_PAUSE):
            self.wfile.write(b"s" * SLOW_PIECE)
            self.wfile.flush()
            deadline -= SLOW_PAUSE
        self.close_connection = True


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    served: Served


@contextmanager
def download_server(tls: ssl.SSLContext | None = None) -> Iterator[Served]:
    """Serve on 127.0.0.1 port 0 (HTTPS with tls); stop and join afterwards."""
    server = _Server(("127.0.0.1", 0), _Handler)
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    scheme = "https" if tls is not None else "http"
    server.served = Served(url=f"{scheme}://127.0.0.1:{server.server_port}")
    thread = threading.Thread(target=server.serve_forever, name="download-server", daemon=True)
    thread.start()
    try:
        yield server.served
    finally:
        server.served.stopping.set()
        server.shutdown()
        thread.join(5)
        server.server_close()
