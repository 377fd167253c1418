"""PySide's check of each imported module for "PySide6", done the quick way, gives PySide's answers."""

from __future__ import annotations

import sys
import types
from pathlib import Path

import pytest

from ui.common import feature_check

FEATURE = sys.modules[feature_check._FEATURE_MODULE]


def pyside_answer(module: types.ModuleType) -> bool:
    """PySide's own check, as it was before NetLab put the quick one in its place."""
    original = FEATURE._mod_uses_pyside
    while getattr(original, "quick", False):
        original = original.__closure__[0].cell_contents  # the check it was made from
    return bool(original(module))


def test_the_quick_check_is_in_place_once_ui_is_imported() -> None:
    """If a PySide release renames its check, this fails: the workaround would silently do nothing."""
    assert getattr(FEATURE._mod_uses_pyside, "quick", False)
    assert feature_check.use_quick_check()  # a second call changes nothing
    assert pyside_answer(feature_check) is True


def test_it_answers_as_pyside_does_for_every_module_loaded() -> None:
    modules = [module for module in list(sys.modules.values()) if isinstance(module, types.ModuleType)]
    assert len(modules) > 300
    differ = [m.__name__ for m in modules if FEATURE._mod_uses_pyside(m) != pyside_answer(m)]
    assert differ == []


@pytest.mark.parametrize(
    ("source", "uses"),
    [("import PySide6.QtCore\n", True), ("# no Qt here: só texto\n", False), ("x = 'PySide6'\n", True)],
)
def test_a_module_file_answers_by_its_text(tmp_path: Path, source: str, uses: bool) -> None:
    path = tmp_path / "probe.py"
    path.write_text(source, encoding="utf-8")
    module = types.ModuleType("probe")
    module.__file__ = str(path)
    assert FEATURE._mod_uses_pyside(module) is uses
    assert pyside_answer(module) is uses


def test_a_module_without_a_source_file_goes_to_pysides_own_check() -> None:
    asked: list[str] = []

    def fallback(module: types.ModuleType) -> bool:
        asked.append(module.__name__)
        return False

    assert feature_check.mentions_pyside_in_file(sys, fallback) is False
    gone = types.ModuleType("gone")
    gone.__file__ = "/nonexistent/gone.py"
    assert feature_check.mentions_pyside_in_file(gone, fallback) is False
    assert asked == ["sys", "gone"]
