"""Real HTTP servers on loopback for the HTTP form tests: httpbin, and a raw socket server that records.

httpbin (the Flask app behind httpbin.org) runs in a werkzeug server thread on 127.0.0.1 port 0.
"""

from __future__ import annotations

import logging
import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from socketserver import BaseServer
from typing import Any

WAIT = 5.0


@contextmanager
def serving(server: Any, scheme: str = "http") -> Iterator[str]:
    """Run a socketserver-style server (serve_forever, shutdown) on a thread; yield its base URL."""
    assert isinstance(server, BaseServer)
    thread = threading.Thread(target=server.serve_forever, name="test-http-server", daemon=True)
    thread.start()
    try:
        yield f"{scheme}://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        thread.join(WAIT)
        server.server_close()


@contextmanager
def httpbin_server(tls: ssl.SSLContext | None = None) -> Iterator[str]:
    """Yield httpbin's base URL (http://127.0.0.1:PORT, or https:// with a TLS context)."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no access log in the test output
    from httpbin import app
    from werkzeug.serving import make_server

    with serving(
        make_server("127.0.0.1", 0, app, threaded=True, ssl_context=tls), "https" if tls else "http"
    ) as url:
        yield url


class RawServer:
    """Accepts connections on loopback, records every byte each one sent, and answers with `reply`."""

    def __init__(self, reply: bytes) -> None:
        self.reply = reply
        self.received: list[bytes] = []
        self.done = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(WAIT)
        self.port = self._listener.getsockname()[1]
        self._thread = threading.Thread(target=self._serve_one, name="raw-http", daemon=True)
        self._thread.start()

    def _serve_one(self) -> None:
        try:
            sock, _ = self._listener.accept()
        except OSError:
            return
        with sock:
            sock.settimeout(WAIT)
            data = b""
            try:
                while b"\r\n\r\n" not in data:
                    chunk = sock.recv(65536)
                    if not chunk:
                        break
                    data += chunk
                head, _, body = data.partition(b"\r\n\r\n")
                for line in head.split(b"\r\n"):
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        while len(body) < int(value):
                            chunk = sock.recv(65536)
                            if not chunk:
                                break
                            body += chunk
                            data += chunk
                self.received.append(data)
                sock.sendall(self.reply)
            finally:
                self.done.set()

    def close(self) -> None:
        self._listener.close()
        self._thread.join(WAIT)


@contextmanager
def keep_alive_server() -> Iterator[str]:
    """http.server speaking HTTP/1.1, so connections stay open between requests (werkzeug's closes them)."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *_: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    with serving(server) as url:
        yield url
