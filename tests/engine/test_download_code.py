"""The download programs run as printed against a loopback server and save the same bytes the panel does."""

from __future__ import annotations

import hashlib
import os
import ssl
import subprocess
import sys
from pathlib import Path

import pytest
import trustme

from netlab.http.download import DownloadConfig
from netlab.http.download_code import download_program
from netlab.http.form_config import Backend
from tests.download_servers import BODY_SHA256, download_server

BACKENDS = [Backend.REQUESTS, Backend.URLLIB]


def run(program: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    script = tmp_path / "download.py"
    script.write_text(program, encoding="utf-8")
    return subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=60, cwd=tmp_path
    )


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_program_saves_the_body_under_a_free_name_with_progress(tmp_path: Path, backend: Backend) -> None:
    folder = tmp_path / "got"
    folder.mkdir()
    (folder / "big.bin").write_bytes(b"already here")
    with download_server() as served:
        config = DownloadConfig(url=f"{served.url}/big.bin", folder=str(folder), backend=backend)
        done = run(download_program(config), tmp_path)
        named = run(
            download_program(DownloadConfig(url=f"{served.url}/named", folder=str(folder), backend=backend)),
            tmp_path,
        )
    assert done.returncode == 0, done.stderr
    saved = folder / "big (1).bin"
    assert done.stdout == f"saved {saved} ({3 * 1024 * 1024 + 123} bytes)\n"
    assert hashlib.sha256(saved.read_bytes()).hexdigest() == BODY_SHA256
    assert (folder / "big.bin").read_bytes() == b"already here"
    assert named.returncode == 0, named.stderr
    assert (folder / "report 2024.txt").read_bytes() == b"hello"  # Content-Disposition, without "../"
    assert sorted(os.listdir(folder)) == ["big (1).bin", "big.bin", "report 2024.txt"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_program_fails_on_an_error_status_and_keeps_no_file(tmp_path: Path, backend: Backend) -> None:
    with download_server() as served:
        done = run(
            download_program(
                DownloadConfig(url=f"{served.url}/missing", folder=str(tmp_path), backend=backend)
            ),
            tmp_path,
        )
        short = run(
            download_program(
                DownloadConfig(url=f"{served.url}/short", folder=str(tmp_path), backend=backend)
            ),
            tmp_path,
        )
    assert done.returncode != 0 and "404" in done.stderr
    assert short.returncode != 0
    assert sorted(os.listdir(tmp_path)) == ["download.py"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_program_trusts_the_given_ca(tmp_path: Path, backend: Backend) -> None:
    ca = trustme.CA()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    folder = tmp_path / "got"
    folder.mkdir()
    with download_server(context) as served:
        url = f"{served.url}/big.bin"
        done = run(
            download_program(
                DownloadConfig(url=url, folder=str(folder), backend=backend, ca_file=str(ca_file))
            ),
            tmp_path,
        )
    assert done.returncode == 0, done.stderr
    assert hashlib.sha256((folder / "big.bin").read_bytes()).hexdigest() == BODY_SHA256
