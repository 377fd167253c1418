"""Benchmark: NetLab's start-up against a bare PySide6 window with five tabs, in the same run.

Run by hand: python tests/bench/startup.py. Each run is a fresh process, timed from outside: the
interpreter starting, imports, the window built and shown, its first paint, then exit. The two are
run in turn, 7 times each, and the medians compared. Offscreen, with empty settings.
Prints one JSON line. Target: ratio <= 1.6.

Both run with bytecode caching on (into a temporary PYTHONPYCACHEPREFIX, filled by the warm-up run),
as an installed program runs: PySide6 comes with its .pyc files, and with PYTHONDONTWRITEBYTECODE set
(as on CI shells) NetLab alone would recompile every module of its own on each start, about 0.2 s.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time

RUNS = 7

# Both programs end the same way: on the first paint of any widget, quit the event loop.
FIRST_PAINT = """
from PySide6.QtCore import QEvent, QObject, QTimer
class FirstPaint(QObject):
    def eventFilter(self, watched, event):
        if event.type() == QEvent.Type.Paint and not getattr(self, "seen", False):
            self.seen = True
            QTimer.singleShot(0, app.quit)
        return False
first_paint = FirstPaint()
app.installEventFilter(first_paint)
"""

BARE = (
    """
import sys
from PySide6.QtWidgets import QApplication, QLabel, QMainWindow, QTabWidget
app = QApplication(sys.argv)
window = QMainWindow()
tabs = QTabWidget()
for name in ("One", "Two", "Three", "Four", "Five"):
    tabs.addTab(QLabel(name), name)
window.setCentralWidget(tabs)
"""
    + FIRST_PAINT
    + """
window.show()
app.exec()
"""
)

# As a user starts it: the `netlab` script pip writes (`from ui.launch import main`, then main()), with
# the first-paint quit added to the event loop main() runs. Hooking that loop means importing Qt first;
# ui.launch.main() turns the garbage collector off before it imports Qt, so the hook does that first too
# (left on, its 27 collections during Qt's import cost NetLab about 6 ms the real script does not pay).
NETLAB = (
    """
import gc, re, sys
gc.disable()
from PySide6.QtWidgets import QApplication
run = QApplication.exec
def run_until_first_paint(app):
    global first_paint
"""
    + "\n".join("    " + line for line in FIRST_PAINT.strip().splitlines())
    + """
    return run()
QApplication.exec = run_until_first_paint
from ui.launch import main
sys.argv = ["netlab"]
sys.exit(main())
"""
)


def once(code: str, env: dict[str, str]) -> float:
    """One run, start to exit. Waited for with a blocking wait: subprocess's wait with a timeout
    polls with sleeps of up to 50 ms, which rounded every run up to the next sleep. A timer kills
    a run that hangs."""
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-c", code], env=env, stderr=subprocess.DEVNULL)
    guard = threading.Timer(60, process.kill)
    guard.start()
    try:
        returncode = process.wait()
    finally:
        guard.cancel()
    if returncode:
        raise subprocess.CalledProcessError(returncode, "startup run")
    return time.perf_counter() - started


def main() -> None:
    with (
        tempfile.TemporaryDirectory(prefix="netlab-startup-") as home,
        tempfile.TemporaryDirectory(prefix="netlab-pycache-") as pycache,
    ):
        env = {
            **{name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"},
            "PYTHONPYCACHEPREFIX": pycache,
            "QT_QPA_PLATFORM": "offscreen",
            "HOME": home,  # empty settings: no saved window or folders
            "XDG_CONFIG_HOME": home,
        }
        bare, netlab = [], []
        once(BARE, env)  # warm the disk cache for both, so neither pays for first reads
        once(NETLAB, env)
        for _ in range(RUNS):
            bare.append(once(BARE, env))
            netlab.append(once(NETLAB, env))
    bare_s, netlab_s = statistics.median(bare), statistics.median(netlab)
    print(
        json.dumps(
            {
                "bench": "startup",
                "netlab_s": round(netlab_s, 3),
                "bare_s": round(bare_s, 3),
                "ratio": round(netlab_s / bare_s, 2),
                "target_ratio": 1.6,
                "netlab_runs": [round(t, 3) for t in netlab],
                "bare_runs": [round(t, 3) for t in bare],
            }
        )
    )


if __name__ == "__main__":
    main()
