"""The window paints on the GUI thread alone: no Qt fill threads for a busy machine to keep waiting."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

# A big text view painted whole: large enough that Qt's raster engine would split its fills over
# its "QtGui" thread pool (threads named "Thread (pooled)") if that pool were on.
PAINT_BIG = """
import json, os
from PySide6.QtWidgets import QPlainTextEdit
from ui.app import create_app
app = create_app([])
view = QPlainTextEdit("row\\n" * 500)
view.resize(1200, 900)
view.show()
app.processEvents()
view.grab()
tasks = os.listdir("/proc/self/task")
print(json.dumps(sorted(open(f"/proc/self/task/{t}/comm").read().strip() for t in tasks)))
"""


def test_painting_starts_no_pool_threads(tmp_path: Path) -> None:
    env = {name: value for name, value in os.environ.items() if name != "QT_NO_GUI_THREADPOOL"}
    env.update(QT_QPA_PLATFORM="offscreen", HOME=str(tmp_path), XDG_CONFIG_HOME=str(tmp_path))
    result = subprocess.run(
        [sys.executable, "-c", PAINT_BIG], capture_output=True, text=True, env=env, timeout=60, check=True
    )
    threads = json.loads(result.stdout.splitlines()[-1])
    assert "Thread (pooled)" not in threads, threads
