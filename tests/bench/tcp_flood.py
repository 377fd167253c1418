"""Benchmark: 1 GB through NetLab's echo server (real window offscreen, log on) vs a minimal threaded server.

Run by hand: python tests/bench/tcp_flood.py [--mb 1024]. Prints one JSON line.
Targets: ratio >= 0.5, max_stall_ms <= 50, p99_stall_ms <= 10, peak_rss_mb <= 400,
bytes_verified == bytes sent. The floor: a bare QApplication with the same 5 ms QTimer, in its own
process beside the baseline flood (bare_max_stall_ms, bare_p99_stall_ms), so the machine's own
lateness is measured in the same run.
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
from typing import Any

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


class StallMeter:
    """How late a 5 ms QTimer fires: every lateness kept, for the maximum and the 99th percentile."""

    def __init__(self) -> None:
        from PySide6.QtCore import QTimer

        self.lateness: list[float] = []
        self.last = time.perf_counter()
        self.timer = QTimer()
        self.timer.setInterval(5)
        self.timer.timeout.connect(self._tick)

    def _tick(self) -> None:
        now = time.perf_counter()
        self.lateness.append(max(0.0, (now - self.last) * 1000 - 5))
        self.last = now

    def start(self) -> None:
        self.last = time.perf_counter()
        self.timer.start()

    def stop(self) -> dict[str, float]:
        self.timer.stop()
        ordered = sorted(self.lateness) or [0.0]
        return {"max": ordered[-1], "p99": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]}


def bare_qt_process() -> None:
    """The floor: a bare QApplication with the same timer, until stdin closes; prints its stalls."""
    from PySide6.QtCore import QSocketNotifier
    from PySide6.QtWidgets import QApplication, QWidget

    app = QApplication([])
    window = QWidget()
    window.show()
    meter = StallMeter()
    notifier = QSocketNotifier(sys.stdin.fileno(), QSocketNotifier.Type.Read)
    notifier.activated.connect(app.quit)
    print("ready", flush=True)
    meter.start()
    app.exec()
    print(json.dumps(meter.stop()), flush=True)


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
        bare = subprocess.Popen(
            [sys.executable, __file__, "--bare-qt"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        assert bare.stdout is not None and bare.stdin is not None
        bare.stdout.readline()  # ready
        try:
            client = run_client(port, total)
        finally:
            bare.stdin.close()
        floor = json.loads(bare.stdout.readline())
        bare.wait()
        return {**client, "bare_max": floor["max"], "bare_p99": floor["p99"]}
    finally:
        process.kill()
        process.wait()


def flood_while_measuring(port: int, total: int) -> tuple[dict[str, float], dict[str, float]]:
    """Flood `port` from a client process while the GUI thread runs its event loop with the stall
    meter on; the client's result and the stalls."""
    from PySide6.QtCore import QEventLoop, QTimer

    meter = StallMeter()
    result: dict[str, dict[str, float]] = {}
    loop = QEventLoop()
    worker = threading.Thread(target=lambda: result.update(client=run_client(port, total)))
    watcher = QTimer()
    watcher.setInterval(50)
    watcher.timeout.connect(lambda: None if worker.is_alive() else loop.quit())
    meter.start()
    worker.start()
    watcher.start()
    loop.exec()
    stall = meter.stop()
    watcher.stop()
    return result["client"], stall


def listening_port(app: Any, server: Any) -> int:
    """Start the TCP tab's server (as set up) and wait, at most 10 s, for the port it listens on."""
    server.start()
    deadline = time.monotonic() + 10
    while not server.state.text().startswith("Listening") and time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.01)
    return int(server.state.text().rsplit(":", 1)[1])


def bench_app() -> Any:
    """NetLab's app with settings of its own in a fresh folder: a workspace saved by an earlier run
    (a relay left in the server's mode, say) must not change what this run measures."""
    import tempfile

    from PySide6.QtCore import QSettings

    from ui.app import create_app

    app = create_app([])
    app.setOrganizationName("NetLabBench")
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(
        QSettings.Format.IniFormat, QSettings.Scope.UserScope, tempfile.mkdtemp(prefix="netlab-bench-")
    )
    return app


def measure_netlab(total: int) -> dict[str, float]:
    from ui.main_window import MainWindow

    app = bench_app()
    window = MainWindow()
    window.show()
    server = window.tcp.server
    server.port.setValue(0)
    port = listening_port(app, server)
    client, stall = flood_while_measuring(port, total)
    rows = len(server.log.store)
    dropped = server.log.store.dropped + server.log.bridge_dropped
    window.shutdown()
    window.close()
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        **client,
        "max_stall_ms": stall["max"],
        "p99_stall_ms": stall["p99"],
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
    parser.add_argument("--bare-qt", action="store_true")
    args = parser.parse_args()
    if args.client:
        flood_client(args.client, args.bytes)
        return
    if args.bare_qt:
        bare_qt_process()
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
                "p99_stall_ms": round(netlab["p99_stall_ms"], 1),
                "bare_max_stall_ms": round(baseline["bare_max"], 1),
                "bare_p99_stall_ms": round(baseline["bare_p99"], 1),
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
