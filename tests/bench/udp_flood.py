"""Benchmark: a 64-byte UDP flood into the UDP tab (real window offscreen, log on) vs a bare recvfrom loop.

Run by hand: python tests/bench/udp_flood.py [--seconds 5]. Prints one JSON line.

Three floods of `seconds` each, from a sender process that calls sendto() as fast as it can:
  1. into the UDP tab's receiver in the real main window, log on, while a 5 ms GUI timer measures stalls;
  2. into a bare Python recvfrom loop in its own process (the baseline rate);
  3. into another bare recvfrom process while a bare Qt window beside it runs the same 5 ms timer
     (the machine's own stall floor, to read max_stall_ms against).
Every datagram is accounted for: received + kernel_dropped (the receiving socket's drops column in
/proc/net/udp) should equal sent; "unaccounted" is the gap.
Targets: ratio >= 0.6, max_stall_ms <= 50, peak_rss_mb <= 400, unaccounted == 0.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", ".."))

from tcp_flood import StallMeter, bench_app  # the script's folder is on sys.path; one stall meter

from netlab.udp.drops import KernelDrops

SIZE = 64


def sender_process(port: int, seconds: float) -> None:
    """sendto() as fast as possible for `seconds`; print how many went out."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    data = b"x" * SIZE
    target = ("127.0.0.1", port)
    sent = 0
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        for _ in range(1000):
            sock.sendto(data, target)
        sent += 1000
    print(json.dumps({"sent": sent}), flush=True)


def run_sender(port: int, seconds: float) -> int:
    result = subprocess.run(
        [sys.executable, __file__, "--sender", str(port), "--seconds", str(seconds)],
        capture_output=True,
        text=True,
        timeout=seconds + 60,
        check=True,
    )
    return int(json.loads(result.stdout.strip().splitlines()[-1])["sent"])


def bare_receiver_process() -> None:
    """The textbook loop: recvfrom until the flood has been quiet for a second; print the count and drops."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    drops = KernelDrops(sock)
    print(sock.getsockname()[1], flush=True)
    sock.settimeout(30)
    received = 0
    sock.recvfrom(2048)
    received += 1
    sock.settimeout(1.0)
    try:
        while True:
            sock.recvfrom(2048)
            received += 1
    except TimeoutError:
        pass
    print(json.dumps({"received": received, "kernel_dropped": drops.read() or 0}), flush=True)


def measure_bare(seconds: float, during: Callable[[], None] | None = None) -> dict[str, int]:
    process = subprocess.Popen(
        [sys.executable, __file__, "--bare-receiver"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        port = int(process.stdout.readline())
        sent = run_sender(port, seconds)
        if during is not None:
            during()
        out, _ = process.communicate(timeout=60)
        return {"sent": sent, **json.loads(out.strip().splitlines()[-1])}
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def run_while(app: Any, work: Callable[[], Any]) -> Any:
    """Run work() on a thread while the Qt event loop spins; return its result."""
    from PySide6.QtCore import QEventLoop, QTimer

    result: dict[str, Any] = {}
    worker = threading.Thread(target=lambda: result.setdefault("value", work()))
    loop = QEventLoop()
    watcher = QTimer()
    watcher.setInterval(20)
    watcher.timeout.connect(lambda: None if worker.is_alive() else loop.quit())
    worker.start()
    watcher.start()
    loop.exec()
    watcher.stop()
    worker.join()
    return result["value"]


def wait_until(app: Any, condition: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.01)
    return condition()


def measure_netlab(app: Any, seconds: float) -> dict[str, float]:
    from ui.main_window import MainWindow

    window = MainWindow()
    window.show()
    window.tabs.setCurrentWidget(window.udp_page)
    receiver = window.udp.receiver_panel
    receiver.port.setValue(0)
    receiver.start()
    wait_until(app, lambda: receiver.state.text().startswith("Receiving"), 10)
    port = int(receiver.state.text().rsplit(":", 1)[1])
    assert receiver.runner is not None
    engine = receiver.runner.engine

    meter = StallMeter()
    meter.start()
    sent = run_while(app, lambda: run_sender(port, seconds))
    # Let the receiver drain its socket and the GUI catch up, still measuring stalls.
    last = -1
    while engine.counters().messages_in != last:
        last = engine.counters().messages_in
        wait_until(app, lambda: False, 0.5)
    stall = meter.stop()
    drops = KernelDrops(engine.sock) if engine.sock is not None else None
    kernel_dropped = (drops.read() if drops is not None else None) or engine.kernel_dropped
    received = engine.counters().messages_in
    rows = len(receiver.log.store)
    log_dropped = receiver.log.store.dropped + receiver.log.bridge_dropped
    window.shutdown()
    window.close()
    return {
        "sent": sent,
        "received": received,
        "kernel_dropped": kernel_dropped,
        "max_stall_ms": stall["max"],
        "p99_stall_ms": stall["p99"],
        "log_rows": rows,
        "log_dropped": log_dropped,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def measure_floor(app: Any, seconds: float) -> dict[str, Any]:
    """A bare Qt window beside the same flood into a bare receiver: the stall this machine gives anyway."""
    from PySide6.QtWidgets import QWidget

    window = QWidget()
    window.show()
    meter = StallMeter()
    meter.start()
    bare = run_while(app, lambda: measure_bare(seconds))
    stall = meter.stop()
    window.close()
    return {"bare": bare, "stall": stall}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each flood (default 5)")
    parser.add_argument("--sender", type=int)
    parser.add_argument("--bare-receiver", action="store_true")
    args = parser.parse_args()
    if args.sender:
        sender_process(args.sender, args.seconds)
        return
    if args.bare_receiver:
        bare_receiver_process()
        return

    app = bench_app()
    netlab = measure_netlab(app, args.seconds)
    baseline = measure_bare(args.seconds)
    floor = measure_floor(app, args.seconds)
    received_per_s = netlab["received"] / args.seconds
    baseline_per_s = baseline["received"] / args.seconds
    print(
        json.dumps(
            {
                "bench": "udp_flood",
                "seconds": args.seconds,
                "sent": int(netlab["sent"]),
                "received": int(netlab["received"]),
                "kernel_dropped": int(netlab["kernel_dropped"]),
                "unaccounted": int(netlab["sent"] - netlab["received"] - netlab["kernel_dropped"]),
                "received_per_s": round(received_per_s),
                "baseline_sent": baseline["sent"],
                "baseline_received": baseline["received"],
                "baseline_kernel_dropped": baseline["kernel_dropped"],
                "baseline_per_s": round(baseline_per_s),
                "ratio": round(received_per_s / baseline_per_s, 3) if baseline_per_s else None,
                "max_stall_ms": round(netlab["max_stall_ms"], 1),
                "p99_stall_ms": round(netlab["p99_stall_ms"], 1),
                "floor_max_stall_ms": round(floor["stall"]["max"], 1),
                "floor_p99_stall_ms": round(floor["stall"]["p99"], 1),
                "peak_rss_mb": round(netlab["peak_rss_mb"], 1),
                "log_rows_kept": int(netlab["log_rows"]),
                "log_rows_dropped": int(netlab["log_dropped"]),
            }
        )
    )


if __name__ == "__main__":
    main()
