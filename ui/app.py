"""Starts the desktop app; an unexpected error shows a dialog with copyable details, and the app goes on."""

from __future__ import annotations

import gc
import os
import sys
import traceback
from types import TracebackType

from PySide6.QtWidgets import QApplication, QMessageBox

from netlab import __version__
from ui.common import bridge
from ui.main_window import MainWindow

SWITCH_INTERVAL_S = 0.001


def show_unexpected_error(kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
    """sys.excepthook for the GUI: a bug must never take the window (or the user's data) down."""
    details = "".join(traceback.format_exception(kind, value, tb))
    sys.stderr.write(details)
    if QApplication.instance() is None:
        return
    box = QMessageBox(
        QMessageBox.Icon.Critical, "NetLab hit a bug", f"Something unexpected went wrong: {value}"
    )
    box.setObjectName("unexpectedErrorDialog")
    box.setInformativeText("NetLab keeps running. Please report this with the details below.")
    box.setDetailedText(details)
    box.exec()


def create_app(argv: list[str] | None = None) -> QApplication:
    # Qt splits large fills (Fusion's gradients, the backing store) over a pool of threads and the
    # GUI thread waits for all of them. On a busy 2-core machine those threads wait for a core, so
    # each repaint during a flood stalled for tens of ms (py-spy: a third of the GUI thread's time in
    # QLatch::waitInternal). Painting on the GUI thread alone is fast and never waits (issue 8).
    os.environ.setdefault("QT_NO_GUI_THREADPOOL", "1")
    # A thread that wants the GIL from one running Python waits for this interval before it may
    # take it. Every Qt callback into Python on the GUI thread may wait so, and a repaint makes
    # dozens: 1 ms instead of the default 5 ms halved the window's p99 stall under a flood of small
    # messages (issue 8, log_rows: 38 -> 17 ms).
    sys.setswitchinterval(SWITCH_INTERVAL_S)
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        app = QApplication(argv if argv is not None else sys.argv)
    app.setOrganizationName("NetLab")
    app.setApplicationName("NetLab")
    app.setApplicationVersion(__version__)
    return app


def main(lab: str | None = None) -> int:
    """Run the app; with `lab`, open that lab file once the window shows (a bad file says why)."""
    app = create_app()
    sys.excepthook = show_unexpected_error
    window = MainWindow()
    window.show()
    keep_start_up_objects()
    if lab:
        window.labs.open_from_menu(lab)
    return end(window, int(app.exec()))


def keep_start_up_objects() -> None:
    """Once the window is built: the objects made so far live as long as the app, so the collector
    stops looking at them, and it is turned back on if ui.launch had turned it off for start-up
    (unless an engine has started, and the bridge now runs it from a GUI-thread timer).

    gc.freeze() moves them (about 33,000) out of every later collection: a full one, which every
    long-lived object used to make about 16 ms, then costs nearly nothing. The few cycles start-up
    leaves (72 objects, measured) stay; collecting them first would cost those 16 ms now.
    """
    gc.freeze()
    if not bridge.garbage_collected_on_a_timer():
        gc.enable()


def end(window: MainWindow, code: int) -> int:
    """After the event loop: end the process at once if the window closed as it should.

    Closing saved the settings (and synced them to disk) and stopped every engine and stream file
    (MainWindow.closeEvent), so all that is left is freeing every Qt and Python object one by one:
    40 ms or more on a 2-core machine (issue 8), which the OS does at once. If the window did not
    close that way, Python ends as usual and `code` is returned.
    """
    if window.isVisible() or bridge.RUNNING:
        return code
    sys.stdout.flush()  # what was printed but is still buffered would otherwise be lost
    sys.stderr.flush()
    os._exit(code)
