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
    # cattrs when a lab is saved or one is bad (msgspec loads good ones; the menu reads only titles).
    "ui.tabs.udp",
    "ui.tabs.files",
    "netlab.tcp.code",
    "netlab.udp.code",
    "netlab.http.code",
    "cattrs",
    # The TCP engines when Start or Connect is first clicked; with them the engine shell, the error
    # table and the socket modules they need.
    "netlab.core.engine",
    "netlab.core.errors",
    "socket",
    "selectors",
    "netlab.tcp.server",
    "netlab.tcp.client",
    "netlab.tcp.stream",
    # TLS when a TLS server starts or a client connects with TLS.
    "ssl",
    "netlab.core.tls",
    # Follow stream when first opened.
    "ui.common.follow",
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


def app_env(home: Path) -> dict[str, str]:
    """Offscreen, with settings of its own in `home`."""
    return {**os.environ, "QT_QPA_PLATFORM": "offscreen", "HOME": str(home), "XDG_CONFIG_HOME": str(home)}


def imported(code: str, env: dict[str, str]) -> list[str]:
    """Run `code` (which prints a JSON list last) in a fresh interpreter; that list."""
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60, check=True
    )
    return list(json.loads(result.stdout.splitlines()[-1]))


def test_the_first_window_imports_nothing_it_does_not_show(tmp_path: Path) -> None:
    assert imported(FIRST_WINDOW.format(names=NOT_AT_START), app_env(tmp_path)) == []


# Folded sections, a mode's settings, the code view and the exercise dock are made when first shown.
NOT_MADE_AT_START = """
made = [window.exercise._body is not None, window.tcp_page._code is not None]
made += [panel.tools.section.is_made() for panel in (window.tcp.server, window.tcp.client)]
made += [window.tcp.server.rules_section.is_made(), window.tcp.server.relay_section.is_made()]
assert not any(made), made
print("""


def test_the_first_window_makes_nothing_it_does_not_show(tmp_path: Path) -> None:
    code = FIRST_WINDOW.replace("print(", NOT_MADE_AT_START, 1)
    assert imported(code.format(names=[]), app_env(tmp_path)) == []


# Settings from a session that had every tab's section: the lazy tabs' sections stay unread (and
# their configs, checks and parsers unimported) until those tabs are opened.
WITH_WORKSPACE = [
    "netlab.udp.config",
    "netlab.http.raw_config",
    "netlab.http.form_config",
    "netlab.http.form",
    "netlab.http.config",
    "h11",
]

SAVE_EVERY_TAB = """
from ui.app import create_app
from ui.main_window import MainWindow
app = create_app([])
window = MainWindow()
for key in ("udp", "raw_http", "http_form", "files"):
    window.open_tab(key)
window.tcp.server.port.setValue(9321)
window.save_settings()
"""


def test_a_saved_workspace_reads_only_the_first_tabs_section(tmp_path: Path) -> None:
    env = app_env(tmp_path)
    subprocess.run([sys.executable, "-c", SAVE_EVERY_TAB], env=env, timeout=60, check=True)
    # The first paint shows the TCP tab with the saved values.
    check = FIRST_WINDOW.replace("print(", "assert window.tcp.server.config().port == 9321\nprint(")
    assert imported(check.format(names=WITH_WORKSPACE), env) == []


# main() as the desktop app runs it, with the window closed as soon as it shows.
CLOSE_AT_ONCE = """
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from ui.app import create_app, main
app = create_app([])
print("printed before")  # stdout is a pipe: this waits in Python's buffer
QTimer.singleShot(0, QApplication.closeAllWindows)
code = main()
print("main returned", code)
"""


def test_the_app_ends_at_once_when_its_window_has_closed_and_saved(tmp_path: Path) -> None:
    env = {
        **{name: value for name, value in os.environ.items() if name != "PYTHONUNBUFFERED"},
        "QT_QPA_PLATFORM": "offscreen",
        "HOME": str(tmp_path),
        "XDG_CONFIG_HOME": str(tmp_path),
    }
    result = subprocess.run(
        [sys.executable, "-c", CLOSE_AT_ONCE], capture_output=True, text=True, env=env, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "printed before\n"  # flushed, and Python's own ending never ran
    settings = (tmp_path / "NetLab" / "NetLab.conf").read_text()
    assert "workspace=" in settings and "geometry=" in settings


# The installed script's path, with the window closed once it has shown.
COLLECTOR_AFTER_SHOW = """
import gc, sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from ui.launch import main
def seen():
    print(gc.isenabled(), gc.get_freeze_count() > 10_000)
    QApplication.closeAllWindows()
QTimer.singleShot(0, seen)
sys.argv = ["netlab"]
main()
"""


def test_the_collector_is_back_on_once_the_real_window_shows(tmp_path: Path) -> None:
    """ui.launch turns the collector off for start-up; ui.app.main must turn it back on (and freeze
    what start-up made), or a long session would keep every cycle it makes."""
    result = subprocess.run(
        [sys.executable, "-c", COLLECTOR_AFTER_SHOW],
        capture_output=True,
        text=True,
        env=app_env(tmp_path),
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "True"]
