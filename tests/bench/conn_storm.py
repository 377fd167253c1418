"""Benchmark: 1,000 concurrent clients each send and verify 10 KB against NetLab's echo server (log on).

Run by hand: python tests/bench/conn_storm.py [--clients 1000]. Prints one JSON line.
Targets: failures 0; the server's thread count does not grow with the number of clients.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", ".."))

MESSAGE = 10 * 1024


async def storm(port: int, clients: int) -> dict[str, float]:
    """Open every connection first, then all send at once; each checks its own 10 KB comes back."""
    connected = 0
    everyone_in = asyncio.Event()

    async def one(index: int) -> bool:
        nonlocal connected
        payload = (f"client {index:04d} " * 1000).encode()[:MESSAGE]
        try:
            reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 30)
            connected += 1
            if connected == clients:
                everyone_in.set()
            await asyncio.wait_for(everyone_in.wait(), 60)
            writer.write(payload)
            await writer.drain()
            echoed = await asyncio.wait_for(reader.readexactly(MESSAGE), 60)
            writer.close()
            await writer.wait_closed()
            return echoed == payload
        except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError):
            everyone_in.set()
            return False

    started = time.perf_counter()
    results = await asyncio.gather(*(one(i) for i in range(clients)))
    return {"failures": results.count(False), "seconds": time.perf_counter() - started}


def run_clients(port: int, clients: int) -> None:
    print(json.dumps(asyncio.run(storm(port, clients))), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--client-port", type=int)
    args = parser.parse_args()
    if args.client_port:
        run_clients(args.client_port, args.clients)
        return

    small = measure(10)
    large = measure(args.clients)
    print(
        json.dumps(
            {
                "bench": "conn_storm",
                "clients": args.clients,
                "failures": large["failures"],
                "seconds": round(large["seconds"], 3),
                "peak_concurrent_connections": large["connections"],
                "server_threads": large["threads"],
                "server_threads_with_10_clients": small["threads"],
                "threads_ratio": round(large["threads"] / small["threads"], 2),
                "log_rows": large["log_rows"],
            }
        )
    )


def measure(clients: int) -> dict[str, float]:
    """Run the real engine (log store on) in this process; count the threads it uses at the peak."""
    from netlab.core.events import Event, Listening
    from netlab.core.logstore import LogStore
    from netlab.tcp.config import TcpServerConfig
    from netlab.tcp.server import TcpServer

    store = LogStore()
    lock = threading.Lock()
    ports: list[int] = []

    def sink(event: Event) -> None:
        with lock:
            store.extend([event])
        if isinstance(event, Listening):
            ports.append(event.port)

    threads_before = threading.active_count()
    server = TcpServer(TcpServerConfig(port=0, backlog=4096), sink)
    thread = threading.Thread(target=server.run)
    thread.start()
    server.started.wait(10)
    peak = {"threads": 0, "connections": 0}

    def watch() -> None:
        while thread.is_alive():
            peak["threads"] = max(peak["threads"], threading.active_count() - threads_before - 1)
            peak["connections"] = max(peak["connections"], server.connections)
            time.sleep(0.005)

    watcher = threading.Thread(target=watch)
    watcher.start()
    result = subprocess.run(
        [sys.executable, __file__, "--client-port", str(ports[0]), "--clients", str(clients)],
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    server.stop()
    thread.join(10)
    watcher.join(10)
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    return {**outcome, **peak, "log_rows": len(store)}


if __name__ == "__main__":
    main()
