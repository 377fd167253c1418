"""Benchmark: wrk against NetLab's file server, `python -m http.server` (HTTP/1.0 and HTTP/1.1), and nginx.

Run by hand: python tests/bench/http_serve.py. Installs wrk (and tries nginx-light) with apt-get when
it can, and says so when it can't. Prints one JSON line.
Every server's answers are checked: a sample of the small-file responses under load (a wrk script
compares each 50th body with the file), and the 100 MB file once, whole, by SHA-256.
Targets: small file >= 8x python -m http.server (its default, HTTP/1.0, one connection per request)
and >= 2x its HTTP/1.1 keep-alive mode; 100 MB file >= 0.9x nginx; zero socket errors for NetLab.
The small-file ratio to nginx is reported (no target).
"""

from __future__ import annotations

import hashlib
import http.client
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
SAMPLE_EVERY = 50  # the wrk script compares every 50th response body with the file
# wrk calls response() for every answer; each SAMPLE_EVERY-th body must be the file, byte for byte.
CHECK_SCRIPT = """
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args)
  local f = assert(io.open(args[1], "rb")); expected = f:read("*a"); f:close()
  seen, checked, bad = 0, 0, 0
end
function response(status, headers, body)
  seen = seen + 1
  if seen % SAMPLE == 0 then
    checked = checked + 1
    if status ~= 200 or body ~= expected then bad = bad + 1 end
  end
end
function done(summary, latency, requests)
  for _, t in ipairs(threads) do
    io.write(string.format("BODYCHECK %d %d\\n", t:get("checked"), t:get("bad")))
  end
end
""".replace("SAMPLE", str(SAMPLE_EVERY))


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
def python_server(folder: str, protocol: str = "HTTP/1.0") -> Iterator[int]:
    """python -m http.server: HTTP/1.0 by default (a connection per request); HTTP/1.1 keeps them alive."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1", "--directory", folder,
         "--protocol", protocol],
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


@contextmanager
def python11_server(folder: str) -> Iterator[int]:
    with python_server(folder, "HTTP/1.1") as port:
        yield port


def wrk(url: str, connections: int, check: tuple[str, str] | None = None) -> dict[str, float]:
    """wrk's figures; with check=(script, file), also how many sampled bodies differed from the file."""
    extra = ["-s", check[0], url, "--", check[1]] if check else [url]
    out = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{SECONDS}s", *extra],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out)[1])  # type: ignore[index]
    amount, unit = re.search(r"Transfer/sec:\s+([\d.]+)(\w+)", out).groups()  # type: ignore[union-attr]
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    checked = re.search(r"BODYCHECK (\d+) (\d+)", out)
    return {
        "rps": rps,
        "mb_s": float(amount) * UNITS[unit],
        "socket_errors": sum(int(n) for n in errors.groups()) if errors else 0,
        "bad_status": int(non2xx[1]) if non2xx else 0,
        "bodies_checked": int(checked[1]) if checked else 0,
        "bad_bodies": int(checked[2]) if checked else 0,
    }


def sha256_over_http(port: int, path: str) -> str:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        digest = hashlib.sha256()
        while chunk := response.read(1 << 20):
            digest.update(chunk)
        return digest.hexdigest()
    finally:
        connection.close()


def measure(server: object, folder: str, script: str) -> dict[str, dict[str, float]] | None:
    with server(folder) as port:  # type: ignore[operator]
        if port is None:
            return None
        small = wrk(f"http://127.0.0.1:{port}/small.bin", 10, (script, os.path.join(folder, "small.bin")))
        big = wrk(f"http://127.0.0.1:{port}/big.bin", 1)
        big["bad_bodies"] = int(sha256_over_http(port, "/big.bin") != file_sha256(folder, "big.bin"))
        return {"small": small, "big": big}


def file_sha256(folder: str, name: str) -> str:
    with open(os.path.join(folder, name), "rb") as source:
        return hashlib.file_digest(source, "sha256").hexdigest()


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
    script = os.path.join(folder, "check.lua")
    with open(script, "w") as out:
        out.write(CHECK_SCRIPT)
    try:
        results = {
            "netlab": measure(netlab_server, folder, script),
            "python": measure(python_server, folder, script),
            "python11": measure(python11_server, folder, script),
            "nginx": measure(nginx_server, folder, script),
        }
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    netlab, python, python11 = results["netlab"], results["python"], results["python11"]
    nginx = results["nginx"]
    assert netlab is not None and python is not None and python11 is not None
    line: dict[str, object] = {
        "bench": "http_serve",
        "netlab_small_rps": round(netlab["small"]["rps"]),
        "python_small_rps": round(python["small"]["rps"]),
        "python11_small_rps": round(python11["small"]["rps"]),
        "small_ratio_vs_python": round(netlab["small"]["rps"] / python["small"]["rps"], 2),
        "small_ratio_vs_python11": round(netlab["small"]["rps"] / python11["small"]["rps"], 2),
        "netlab_big_mb_s": round(netlab["big"]["mb_s"], 1),
        "python_big_mb_s": round(python["big"]["mb_s"], 1),
        "netlab_socket_errors": int(netlab["small"]["socket_errors"] + netlab["big"]["socket_errors"]),
        "netlab_bad_status": int(netlab["small"]["bad_status"] + netlab["big"]["bad_status"]),
        "bodies_checked": {name: int(r["small"]["bodies_checked"]) + 1 for name, r in results.items() if r},
        "bad_bodies": {
            name: int(r["small"]["bad_bodies"] + r["big"]["bad_bodies"]) for name, r in results.items() if r
        },
    }
    if nginx is not None:
        line.update(
            nginx_small_rps=round(nginx["small"]["rps"]),
            small_ratio_vs_nginx=round(netlab["small"]["rps"] / nginx["small"]["rps"], 3),
            nginx_big_mb_s=round(nginx["big"]["mb_s"], 1),
            big_ratio_vs_nginx=round(netlab["big"]["mb_s"] / nginx["big"]["mb_s"], 3),
        )
    else:
        line["nginx"] = "not installed: no nginx comparison"
    # Why HTTP/1.1 mode is the slower one: http.server sends the head and the body in two writes with
    # Nagle on, so each keep-alive answer waits for the client's delayed ACK (about 40 ms).
    notes.append(
        "python11 = python -m http.server --protocol HTTP/1.1 (keep-alive; head and body in two writes)"
    )
    line["notes"] = notes
    print(json.dumps(line))


if __name__ == "__main__":
    main()
