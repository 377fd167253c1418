"""A real browser against the file server: the listing renders and a file downloads (headless Chromium).

Skipped, with the reason, when Chromium is not installed (apt-get install chromium).
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import threading
from pathlib import Path

import pytest

from netlab.core.events import Listening
from netlab.http.file_server import FileServer, FileServerConfig

from .conftest import WAIT, Recorder

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium)"
)


def browse(url: str, *extra: str) -> str:
    """The page as Chromium's DOM after loading, from a fresh profile, with no outside traffic."""
    assert CHROMIUM is not None
    with tempfile.TemporaryDirectory() as profile:
        result = subprocess.run(
            [
                CHROMIUM,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                f"--user-data-dir={profile}",
                *extra,
                url,
            ],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    return result.stdout


def test_chromium_renders_the_listing_and_downloads_a_file(tmp_path: Path) -> None:
    (tmp_path / "notes & <tips>.txt").write_text("downloaded by a browser")
    (tmp_path / "folder").mkdir()
    recorder = Recorder()
    server = FileServer(FileServerConfig(root=str(tmp_path), port=0), recorder)
    thread = threading.Thread(target=server.run)
    thread.start()
    try:
        port = recorder.wait_for(lambda e: isinstance(e, Listening)).port  # type: ignore[attr-defined]
        page = browse(f"http://127.0.0.1:{port}/", "--dump-dom")
        assert "Index of /" in page
        assert "notes &amp; &lt;tips&gt;.txt" in page and "folder/" in page
        assert "<script" not in page
        text = browse(f"http://127.0.0.1:{port}/notes%20%26%20%3Ctips%3E.txt", "--dump-dom")
        assert "downloaded by a browser" in text
    finally:
        server.stop()
        thread.join(WAIT)
