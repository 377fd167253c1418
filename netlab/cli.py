"""The `netlab` command line: the desktop app with no command or with just a lab file, else a terminal
command (netlab.commands).

Opening the app is the common case and must be quick (issue 8): this module imports neither the
terminal commands nor argparse. The installed `netlab` script starts in ui.launch, which opens the app
directly; `python -m netlab` comes here and finds the app through its entry point, as netlab never
imports ui.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from netlab.lab import SUFFIX as LAB_SUFFIX


def opens_the_app(words: Sequence[str]) -> bool:
    """True for `netlab` alone and `netlab LAB.netlab`: both open the desktop app (with that lab)."""
    return not words or (len(words) == 1 and words[0].endswith(LAB_SUFFIX))


def main(argv: Sequence[str] | None = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    if opens_the_app(words):
        return _run_gui(*words)
    from netlab.commands import run

    return run(words)


def _run_gui(lab: str | None = None) -> int:
    from importlib.metadata import entry_points  # about 20 ms: only on this path

    apps = entry_points(group="netlab.gui")
    if not apps:
        print(
            "netlab: the desktop app is not installed; reinstall with 'pip install netlab'", file=sys.stderr
        )
        return 1
    gui_main = next(iter(apps)).load()
    return int(gui_main(lab) if lab else gui_main())
