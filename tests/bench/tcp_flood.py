"""Benchmark: 1 GB through NetLab's echo server (real window offscreen, log on) vs a minimal threaded server.

Run by hand: python tests/bench/tcp_flood.py [--mb 1024]. Prints one JSON line.
Targets: ratio >= 0.5, max_stall_ms <= 50, peak_rss_mb <= 400, bytes_verified == bytes sent.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import socket
import socketserver
import subprocess
import sys
import threading
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", ".."))

BLOCK = 1 << 20


def flood_client(port: int, total: int) -> None:
    """Push `total` bytes and check every byte that comes back; print a JSON result."""
    block = os.urandom(BLOCK)
    doubled = block + block
    sock = socket.create_connection(("127.0.0.1", port), timeout=60)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def send_all() -> None:
        sent = 0
        while sent < total:
            count = min(BLOCK, total - sent)
            sock.sendall(block[:count])
            sent += count
        sock.shutdown(socket.SHUT_WR)

    sender = threading.Thread(target=send_all)
    started = time.perf_counter()
    sender.start()
    verified, bad = 0, 0
    buffer = bytearray(BLOCK)
    view = memoryview(buffer)
    while True:
        count = sock.recv_into(view, BLOCK)
        if not count:
            break
        start = verified % BLOCK
        if view[:count] == doubled[start : start + count]:
            verified += count
        else:
            bad += count
            verified += count
    seconds = time.perf_counter() - started
    sender.join()
    sock.close()
    print(json.dumps({"seconds": seconds, "bytes_back": verified, "bad": bad}), flush=True)


def run_client(port: int, total: int) -> dict[str, float]:
    result = subprocess.run(
        [sys.executable, __file__, "--client", str(port), "--bytes", str(total)],
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


class _Echo(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        while data := self.request.recv(262144):
            self.request.sendall(data)


def baseline_server_process() -> None:
    """A minimal threaded Python echo server (the textbook one), in its own process."""
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Echo)
    print(server.server_address[1], flush=True)
    server.serve_forever()


def measure_baseline(total: int) -> dict[str, float]:
    process = subprocess.Popen(
        [sys.executable, __file__, "--baseline-server"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        port = int(process.stdout.readline())
        return run_client(port, total)
    finally:
        process.kill()
        process.wait()


def measure_netlab(total: int) -> dict[str, float]:
    from PySide6.QtCore import QEventLoop, QTimer

    from ui.app import create_app
    from ui.main_window import MainWindow

    app = create_app([])
    window = MainWindow()
    window.show()
    server = window.tcp.server
    server.port.setValue(0)
    server.start()
    deadline = time.monotonic() + 10
    while not server.state.text().startswith("Listening") and time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.01)
    port = int(server.state.text().rsplit(":", 1)[1])

    stall = {"max": 0.0, "last": time.perf_counter()}

    def tick() -> None:
        now = time.perf_counter()
        stall["max"] = max(stall["max"], (now - stall["last"]) * 1000 - 5)
        stall["last"] = now

    timer = QTimer()
    timer.setInterval(5)
    timer.timeout.connect(tick)
    result: dict[str, dict[str, float]] = {}
    loop = QEventLoop()

    def flood() -> None:
        result["client"] = run_client(port, total)

    worker = threading.Thread(target=flood)
    watcher = QTimer()
    watcher.setInterval(50)
    watcher.timeout.connect(lambda: None if worker.is_alive() else loop.quit())
    stall["last"] = time.perf_counter()
    timer.start()
    worker.start()
    watcher.start()
    loop.exec()
    timer.stop()
    watcher.stop()
    rows = len(server.log.store)
    dropped = server.log.store.dropped + server.log.bridge_dropped
    window.shutdown()
    window.close()
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        **result["client"],
        "max_stall_ms": stall["max"],
        "peak_rss_mb": peak_rss_mb,
        "log_rows": rows,
        "log_dropped": dropped,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=int, default=1024, help="megabytes to push (default 1024 = 1 GB)")
    parser.add_argument("--client", type=int)
    parser.add_argument("--bytes", type=int)
    parser.add_argument("--baseline-server", action="store_true")
    args = parser.parse_args()
    if args.client:
        flood_client(args.client, args.bytes)
        return
    if args.baseline_server:
        baseline_server_process()
        return
    total = args.mb * BLOCK
    netlab = measure_netlab(total)
    baseline = measure_baseline(total)
    echo = total / BLOCK / netlab["seconds"]
    base = total / BLOCK / baseline["seconds"]
    print(
        json.dumps(
            {
                "bench": "tcp_flood",
                "bytes": total,
                "echo_mb_s": round(echo, 1),
                "baseline_mb_s": round(base, 1),
                "ratio": round(echo / base, 3),
                "max_stall_ms": round(netlab["max_stall_ms"], 1),
                "peak_rss_mb": round(netlab["peak_rss_mb"], 1),
                "bytes_verified": int(netlab["bytes_back"] - netlab["bad"]),
                "baseline_bytes_verified": int(baseline["bytes_back"] - baseline["bad"]),
                "log_rows_kept": int(netlab["log_rows"]),
                "log_rows_dropped": int(netlab["log_dropped"]),
            }
        )
    )


if __name__ == "__main__":
    main()
