"""PySide's check of every module imported after it, done by reading the file instead of its source lines.

WORKAROUND for https://bugreports.qt.io/browse/PYSIDE-2029: for its opt-in `from __feature__ import`
switches, PySide asks of every module imported after it whether the module's source mentions
"PySide6", with `inspect.getsource()`. That decodes the whole file into lines and keeps them in
linecache for the life of the process: about 0.1 ms a module, 9-10 ms of NetLab's start-up for its
98 modules (issue 8), and more again when a tab first imports requests or cryptography. Reading the
file's bytes answers the same question in a fraction of that. A module without a .py file (built-in,
extension, zipped) still goes to PySide's own check. If a PySide release renames the check, nothing
is changed and start-up is only slower; tests/ui/test_feature_check.py says so.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from types import ModuleType

_FEATURE_MODULE = "shibokensupport.feature"


def use_quick_check() -> bool:
    """Put the quick check in place of PySide's (once); True if it is in place."""
    import PySide6  # noqa: F401  (it loads the module that holds the check)

    feature = sys.modules.get(_FEATURE_MODULE)
    original = getattr(feature, "_mod_uses_pyside", None)
    if feature is None or original is None:
        return False
    if getattr(original, "quick", False):
        return True

    def mentions_pyside(module: ModuleType) -> bool:
        return mentions_pyside_in_file(module, original)

    mentions_pyside.quick = True  # type: ignore[attr-defined]
    feature._mod_uses_pyside = mentions_pyside  # type: ignore[attr-defined]
    return True


def mentions_pyside_in_file(module: ModuleType, fallback: Callable[[ModuleType], bool]) -> bool:
    """Does the module's source file contain "PySide6"? As PySide asks it, from the file's bytes."""
    path = getattr(module, "__file__", None)
    if not isinstance(path, str) or not path.endswith(".py"):
        return fallback(module)
    try:
        with open(path, "rb") as source:
            return b"PySide6" in source.read()
    except OSError:
        return fallback(module)
