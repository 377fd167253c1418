"""The `netlab` script: the app with no command (or a lab file), with the collector off until the
window shows; a terminal command without Qt."""

from __future__ import annotations

import gc
import subprocess
import sys
from collections.abc import Iterator

import pytest

import ui.app
from ui import launch
from ui.common import bridge


@pytest.fixture
def collector_restored() -> Iterator[None]:
    """Whatever a test does to the collector, the next test gets it back on and unfrozen."""
    yield
    gc.unfreeze()
    if bridge.garbage_collected_on_a_timer():
        gc.disable()  # the bridge runs it from its timer: automatic collection stays off
    else:
        gc.enable()


def python_prints(code: str) -> list[str]:
    """The lines `code` prints, run in a fresh interpreter."""
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    return result.stdout.splitlines()


def test_a_command_runs_in_the_terminal_without_loading_qt() -> None:
    code = (
        "import sys; sys.argv = ['netlab', '--version']\n"
        "from ui.launch import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print('qt' if 'PySide6' in sys.modules else 'no qt')"
    )
    version, qt = python_prints(code)
    assert version.startswith("netlab ") and qt == "no qt"


@pytest.mark.parametrize("words", [[], ["lab1.netlab"]])
def test_no_command_opens_the_app_with_the_collector_off_until_the_window_shows(
    monkeypatch: pytest.MonkeyPatch, collector_restored: None, words: list[str]
) -> None:
    seen: list[tuple[tuple[str, ...], bool]] = []

    def app(*lab: str) -> int:
        seen.append((lab, gc.isenabled()))
        return 0

    monkeypatch.setattr(ui.app, "main", app)
    monkeypatch.setattr(sys, "argv", ["netlab", *words])
    assert launch.main() == 0
    assert seen == [(tuple(words), False)]


def test_once_the_window_shows_start_up_objects_are_frozen_and_the_collector_is_back_on(
    monkeypatch: pytest.MonkeyPatch, collector_restored: None
) -> None:
    monkeypatch.setattr(bridge, "garbage_collected_on_a_timer", lambda: False)  # no engine yet
    gc.disable()
    ui.app.keep_start_up_objects()
    assert gc.isenabled() and gc.get_freeze_count() > 10_000


def test_the_collector_stays_with_the_bridge_once_an_engine_has_started(
    monkeypatch: pytest.MonkeyPatch, collector_restored: None
) -> None:
    """The bridge runs collections from a GUI-thread timer (a cycle holding a Qt object must not be
    freed on an engine thread): start-up must not turn automatic collection back on behind it."""
    monkeypatch.setattr(bridge, "garbage_collected_on_a_timer", lambda: True)
    gc.disable()
    ui.app.keep_start_up_objects()
    assert not gc.isenabled()


def test_the_app_starts_without_the_terminal_commands_or_entry_point_lookup() -> None:
    """importlib.metadata alone took about 20 ms of every start, the terminal commands more."""
    code = (
        "import sys\n"
        "import ui.app\n"
        "ui.app.main = lambda *lab: 0\n"
        "sys.argv = ['netlab']\n"
        "from ui.launch import main\n"
        "main()\n"
        "print(sorted(m for m in ('netlab.commands', 'importlib.metadata') if m in sys.modules))"
    )
    assert python_prints(code) == ["[]"]


def test_a_broken_install_says_so_in_words(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], collector_restored: None
) -> None:
    monkeypatch.setitem(sys.modules, "ui.app", None)  # importing it now raises ImportError
    monkeypatch.setattr(sys, "argv", ["netlab"])
    assert launch.main() == 1
    assert gc.isenabled()
    error = capsys.readouterr().err
    assert error.startswith("netlab: the desktop app cannot start (") and "pip install" in error
    assert "Traceback" not in error
