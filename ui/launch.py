"""The installed `netlab` script: the desktop app, or a terminal command when the line names one.

Qt-free until it knows the app is wanted, so `netlab tcp-server` never loads Qt. The app is imported
straight from here: finding it through the netlab.gui entry point, as `python -m netlab` must,
costs about 20 ms of start-up in importlib.metadata alone.
"""

from __future__ import annotations

import gc
import sys

from netlab.cli import main as terminal
from netlab.cli import opens_the_app


def main() -> int:
    words = sys.argv[1:]
    if not opens_the_app(words):
        return terminal(words)
    # Start-up allocates tens of thousands of objects that live as long as the app (modules, Qt
    # wrappers, enums) and no garbage worth a collection: the collector ran 68 times before the
    # window showed, about 12 ms. ui.app.main turns it back on once the window is up (issue 8).
    gc.disable()
    try:
        from ui.app import main as app
    except ImportError as exc:  # a broken install (Qt missing, say): words, not a traceback
        gc.enable()
        print(
            f"netlab: the desktop app cannot start ({exc}); reinstall with 'pip install --force-reinstall "
            "netlab'. Terminal commands still work: netlab --help",
            file=sys.stderr,
        )
        return 1
    return app(*words)
