"""Benchmark: 1 GB through NetLab's TCP relay (real window offscreen, log on) to an echo server and back,
every byte verified, against a minimal threaded Python relay (and socat, when installed) in the same run.

Run by hand: python tests/bench/relay_flood.py [--mb 1024] [--no-socat]. Prints one JSON line.
Targets: ratio (NetLab relay / Python relay) >= 0.5, max_stall_ms <= 50, every byte verified.
The path is client -> relay -> echo server -> relay -> client, so the relay carries the data twice.
socat comes from apt-get (tried once when missing, as root); without it ratio_vs_socat is null.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import socket
import subprocess
import sys
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", ".."))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from http_serve import free_port, wait_for_port  # noqa: E402 - one way to find and wait for a port
from tcp_flood import (  # noqa: E402 - the same client and stall meter
    BLOCK,
    bench_app,
    flood_while_measuring,
    listening_port,
    run_client,
)


def echo_process() -> subprocess.Popen[str]:
    """tcp_flood's minimal threaded echo server, in its own process: the real server behind each relay."""
    process = subprocess.Popen(
        [sys.executable, os.path.join(HERE, "tcp_flood.py"), "--baseline-server"],
        stdout=subprocess.PIPE,
        text=True,
    )
    return process


def python_relay_process(target: int) -> None:
    """The textbook relay: a thread each way, sendall() for back-pressure, shutdown() for half-close."""
    listener = socket.create_server(("127.0.0.1", 0))
    print(listener.getsockname()[1], flush=True)

    def pump(source: socket.socket, sink: socket.socket) -> None:
        while data := source.recv(262144):
            sink.sendall(data)
        sink.shutdown(socket.SHUT_WR)

    def serve(client: socket.socket) -> None:
        upstream = socket.create_connection(("127.0.0.1", target))
        back = threading.Thread(target=pump, args=(upstream, client))
        back.start()
        pump(client, upstream)
        back.join()
        client.close()
        upstream.close()

    while True:
        client, _ = listener.accept()
        threading.Thread(target=serve, args=(client,), daemon=True).start()


def socat_path(install: bool) -> str | None:
    found = shutil.which("socat")
    if found is None and install and os.geteuid() == 0 and shutil.which("apt-get"):
        subprocess.run(
            ["apt-get", "install", "-y", "-q", "socat"], capture_output=True, check=False, timeout=300
        )
        found = shutil.which("socat")
    return found


def measure_relay(command: list[str], port: int | None, total: int) -> dict[str, float]:
    """Start a baseline relay process (it prints its port, or listens on `port`), flood through it."""
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        if port is None:
            assert process.stdout is not None
            port = int(process.stdout.readline())
        else:
            wait_for_port(port)
        return run_client(port, total)
    finally:
        process.kill()
        process.wait()


def measure_netlab(target: int, total: int) -> dict[str, float]:
    from ui.main_window import MainWindow

    app = bench_app()
    window = MainWindow()
    window.show()
    server = window.tcp.server
    server.port.setValue(0)
    server.mode.setCurrentIndex(server.mode.findData("relay"))
    server.relay.port.setValue(target)
    port = listening_port(app, server)

    client, stall = flood_while_measuring(port, total)
    window.shutdown()
    window.close()
    return {
        **client,
        "max_stall_ms": stall["max"],
        "p99_stall_ms": stall["p99"],
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=int, default=1024, help="megabytes to push (default 1024 = 1 GB)")
    parser.add_argument("--no-socat", action="store_true", help="don't look for (or install) socat")
    parser.add_argument("--python-relay", type=int, help=argparse.SUPPRESS)  # internal: the baseline
    args = parser.parse_args()
    if args.python_relay:
        python_relay_process(args.python_relay)
        return
    total = args.mb * BLOCK
    echo = echo_process()
    try:
        assert echo.stdout is not None
        target = int(echo.stdout.readline())
        netlab = measure_netlab(target, total)
        python = measure_relay([sys.executable, __file__, "--python-relay", str(target)], None, total)
        socat = None if args.no_socat else socat_path(install=True)
        socat_result = None
        if socat is not None:
            port = free_port()
            command = [socat, f"TCP-LISTEN:{port},bind=127.0.0.1,reuseaddr,fork", f"TCP:127.0.0.1:{target}"]
            socat_result = measure_relay(command, port, total)
    finally:
        echo.kill()
        echo.wait()

    def mb_s(run: dict[str, float]) -> float:
        return total / BLOCK / run["seconds"]

    print(
        json.dumps(
            {
                "bench": "relay_flood",
                "bytes": total,
                "relay_mb_s": round(mb_s(netlab), 1),
                "python_relay_mb_s": round(mb_s(python), 1),
                "socat_mb_s": round(mb_s(socat_result), 1) if socat_result else None,
                "ratio": round(mb_s(netlab) / mb_s(python), 3),
                "ratio_vs_socat": round(mb_s(netlab) / mb_s(socat_result), 3) if socat_result else None,
                "max_stall_ms": round(netlab["max_stall_ms"], 1),
                "p99_stall_ms": round(netlab["p99_stall_ms"], 1),
                "peak_rss_mb": round(netlab["peak_rss_mb"], 1),
                "bytes_verified": int(netlab["bytes_back"] - netlab["bad"]),
                "python_bytes_verified": int(python["bytes_back"] - python["bad"]),
            }
        )
    )


if __name__ == "__main__":
    main()
