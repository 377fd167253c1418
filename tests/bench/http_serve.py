"""Benchmark: wrk against NetLab's file server, `python -m http.server`, and nginx when installed.

Run by hand: python tests/bench/http_serve.py. Installs wrk (and tries nginx-light) with apt-get when
it can, and says so when it can't. Prints one JSON line.
Targets: small file >= 4x python -m http.server; 100 MB file >= 0.9x nginx; zero socket errors for NetLab.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

SMALL = 1024
BIG = 100 * 1024 * 1024
SECONDS = 6


def ensure_tools() -> list[str]:
    notes = []
    missing = [
        name for name, binary in (("wrk", "wrk"), ("nginx-light", "nginx")) if not shutil.which(binary)
    ]
    if missing and os.geteuid() == 0 and shutil.which("apt-get"):
        subprocess.run(["apt-get", "update", "-qq"], capture_output=True, check=False)
        result = subprocess.run(
            ["apt-get", "install", "-y", "-qq", *missing], capture_output=True, check=False
        )
        notes.append(f"apt-get install {' '.join(missing)}: exit {result.returncode}")
    elif missing:
        notes.append(f"not installed and cannot apt-get here: {' '.join(missing)}")
    return notes


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def netlab_server(folder: str) -> Iterator[int]:
    process = subprocess.Popen(
        [sys.executable, "-m", "netlab", "serve", folder, "--port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        cwd=os.path.join(os.path.dirname(__file__), "..", ".."),
    )  # fmt: skip
    try:
        assert process.stdout is not None
        first = process.stdout.readline()  # serving DIR on http://127.0.0.1:PORT/
        port = int(first.rstrip().rstrip("/").rsplit(":", 1)[1])
        # The access log goes to a pipe nobody reads: drain it so the server never blocks on it.
        drain = subprocess.Popen(["cat"], stdin=process.stdout, stdout=subprocess.DEVNULL)
        yield port
    finally:
        process.terminate()
        process.wait(10)
        drain.wait(10)


@contextmanager
def python_server(folder: str) -> Iterator[int]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1", "--directory", folder],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        wait_for_port(port)
        yield port
    finally:
        process.kill()
        process.wait(10)


@contextmanager
def nginx_server(folder: str) -> Iterator[int | None]:
    if not shutil.which("nginx"):
        yield None
        return
    port = free_port()
    work = tempfile.mkdtemp(prefix="netlab-nginx-")
    conf = os.path.join(work, "nginx.conf")
    with open(conf, "w") as out:
        out.write(f"""
daemon off; worker_processes 1; pid {work}/nginx.pid; error_log stderr error;
events {{ worker_connections 1024; }}
http {{
  access_log off; sendfile on; tcp_nopush on; tcp_nodelay on; keepalive_requests 1000000;
  client_body_temp_path {work}/body; proxy_temp_path {work}/proxy; fastcgi_temp_path {work}/fastcgi;
  uwsgi_temp_path {work}/uwsgi; scgi_temp_path {work}/scgi;
  server {{ listen 127.0.0.1:{port}; root {folder}; }}
}}
""")
    process = subprocess.Popen(
        ["nginx", "-c", conf, "-p", work], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        wait_for_port(port)
        yield port
    finally:
        process.terminate()  # SIGTERM: the master stops its workers too (SIGKILL would orphan them)
        process.wait(10)
        shutil.rmtree(work, ignore_errors=True)


def wait_for_port(port: int) -> None:
    import time

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listening on {port}")


UNITS = {"B": 1 / 2**20, "KB": 1 / 1024, "MB": 1, "GB": 1024}


def wrk(url: str, connections: int) -> dict[str, float]:
    out = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{SECONDS}s", url],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out)[1])  # type: ignore[index]
    amount, unit = re.search(r"Transfer/sec:\s+([\d.]+)(\w+)", out).groups()  # type: ignore[union-attr]
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": rps,
        "mb_s": float(amount) * UNITS[unit],
        "socket_errors": sum(int(n) for n in errors.groups()) if errors else 0,
        "bad_status": int(non2xx[1]) if non2xx else 0,
    }


def measure(server: object, folder: str) -> dict[str, dict[str, float]] | None:
    with server(folder) as port:  # type: ignore[operator]
        if port is None:
            return None
        return {
            "small": wrk(f"http://127.0.0.1:{port}/small.bin", 10),
            "big": wrk(f"http://127.0.0.1:{port}/big.bin", 1),
        }


def main() -> None:
    notes = ensure_tools()
    if not shutil.which("wrk"):
        print(json.dumps({"bench": "http_serve", "skipped": "wrk is not installed", "notes": notes}))
        return
    folder = tempfile.mkdtemp(prefix="netlab-serve-")
    os.chmod(folder, 0o755)  # nginx's worker runs as another user
    with open(os.path.join(folder, "small.bin"), "wb") as out:
        out.write(os.urandom(SMALL))
    with open(os.path.join(folder, "big.bin"), "wb") as out:
        for _ in range(BIG // 2**20):
            out.write(os.urandom(2**20))
    try:
        results = {
            "netlab": measure(netlab_server, folder),
            "python": measure(python_server, folder),
            "nginx": measure(nginx_server, folder),
        }
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    netlab, python, nginx = results["netlab"], results["python"], results["nginx"]
    assert netlab is not None and python is not None
    line: dict[str, object] = {
        "bench": "http_serve",
        "netlab_small_rps": round(netlab["small"]["rps"]),
        "python_small_rps": round(python["small"]["rps"]),
        "small_ratio_vs_python": round(netlab["small"]["rps"] / python["small"]["rps"], 2),
        "netlab_big_mb_s": round(netlab["big"]["mb_s"], 1),
        "python_big_mb_s": round(python["big"]["mb_s"], 1),
        "netlab_socket_errors": int(netlab["small"]["socket_errors"] + netlab["big"]["socket_errors"]),
        "netlab_bad_status": int(netlab["small"]["bad_status"] + netlab["big"]["bad_status"]),
    }
    if nginx is not None:
        line.update(
            nginx_small_rps=round(nginx["small"]["rps"]),
            nginx_big_mb_s=round(nginx["big"]["mb_s"], 1),
            big_ratio_vs_nginx=round(netlab["big"]["mb_s"] / nginx["big"]["mb_s"], 3),
        )
    else:
        line["nginx"] = "not installed: no 100 MB comparison"
    if notes:
        line["notes"] = notes
    print(json.dumps(line))


if __name__ == "__main__":
    main()
