"""Start-up stays light: what the first paint does not need is not imported until it is used."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

# Each is imported when its feature is first used: a QR code, an upload, a certificate, the code
# view's colours, the file server's engine and its parser (at Start).
NOT_AT_START = [
    "segno",
    "python_multipart",
    "cryptography",
    "pygments",
    "netlab.http.file_server",
    "httptools",
    # Tabs after the first are built when first opened; code generators when the code is shown;
    # cattrs when a lab is read or written (the menu reads only the sample labs' titles).
    "ui.tabs.udp",
    "ui.tabs.files",
    "netlab.tcp.code",
    "netlab.udp.code",
    "netlab.http.code",
    "cattrs",
]

FIRST_WINDOW = """
import json, sys
from ui.app import create_app
from ui.main_window import MainWindow
app = create_app([])
window = MainWindow()
window.show()
app.processEvents()
print(json.dumps(sorted(name for name in {names} if name in sys.modules)))
"""


def test_the_first_window_imports_nothing_it_does_not_show(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "HOME": str(tmp_path),
        "XDG_CONFIG_HOME": str(tmp_path),
    }
    result = subprocess.run(
        [sys.executable, "-c", FIRST_WINDOW.format(names=NOT_AT_START)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=True,
    )
    assert json.loads(result.stdout.splitlines()[-1]) == []
