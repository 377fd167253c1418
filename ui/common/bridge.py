"""The one worker bridge: an engine on its own QThread, its events batched to the GUI ~30 times a second."""

from __future__ import annotations

import contextlib
import gc
import os
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Generic, TypeVar

from PySide6.QtCore import QCoreApplication, QObject, QThread, QTimer, Signal, Slot

from netlab.core.events import Data, Event, Sink, SocketCall

if TYPE_CHECKING:  # the tabs import the engines when one starts: sockets are not needed to paint
    from netlab.core.engine import Engine

E = TypeVar("E", bound="Engine")

BATCH_INTERVAL_MS = 33
MAX_PENDING_EVENTS = 200_000
# Per hand-over; the rest follows once the event loop has run (timers, repaints). 2,000 rows are
# added in a few ms: at 5,000, a 64-byte UDP flood held each turn ~25 ms (udp_flood p99 28 -> 15).
MAX_BATCH_EVENTS = 2_000
MAX_PENDING_BYTES = 64 * 1024 * 1024

TURN_WAIT_S = 0.05  # the longest an engine thread waits for the GUI's turn to end
ENGINE_NICE = 5  # how much lower than the window an engine thread runs, in Linux nice steps

# Automatic GC is off (see collect_garbage_on_the_gui_thread), so the young generation holds every
# container allocated since the last tick: at 500 ms, a flood of small rows made each collection of
# it a 20 ms pause; at 25 ms each is a few ms (issue 8, log_rows).
GC_INTERVAL_MS = 25
FULL_GC_SPACING = 50  # a full collection waits 50 times as long as the last one took
QUIET_S = 1.0  # no batch for this long: traffic has paused, a full collection may run
FULL_GC_MAX_WAIT_S = 60.0  # ... and during traffic that never pauses, one still runs this often

# Runners whose thread has not finished yet: tests check that none is left behind.
RUNNING: set[EngineRunner[Engine]] = set()

# Held by the GUI thread while it paints a log or takes a batch: see gui_turn().
_GUI_TURN = threading.RLock()

_gc_timer: QTimer | None = None
_next_full_gc = 0.0  # time.monotonic() before which full collections wait
_last_full_gc = time.monotonic()
_last_batch = 0.0  # time.monotonic() of the last batch handed to the GUI


def collect_garbage_on_the_gui_thread() -> None:
    """Turn off automatic cyclic GC and run it from a GUI-thread timer instead.

    WORKAROUND for https://github.com/napari/napari/issues/1029: Python's cyclic GC runs on
    whichever thread crosses the allocation threshold. An engine thread allocates a lot, and if it
    collects a cycle holding a Qt wrapper, the QObject is destroyed off the GUI thread and Qt
    crashes (seen here as a segfault in the test suite). Idempotent; needs a QCoreApplication.
    """
    global _gc_timer
    app = QCoreApplication.instance()
    if _gc_timer is not None or app is None:
        return
    gc.disable()
    _gc_timer = QTimer(app)
    _gc_timer.setInterval(GC_INTERVAL_MS)
    _gc_timer.timeout.connect(_collect_due_generations)
    _gc_timer.start()


def garbage_collected_on_a_timer() -> bool:
    """True once collect_garbage_on_the_gui_thread() has turned automatic collection off for good."""
    return _gc_timer is not None


def _collect_due_generations() -> None:
    """What automatic GC would have done by now: the oldest generation past its threshold.

    A full collection walks every object, a million log rows included (50-100 ms and more), so it
    waits for traffic to pause (QUIET_S without a batch), or FULL_GC_MAX_WAIT_S during traffic
    that never pauses, and then runs only once FULL_GC_SPACING times its own last duration has
    passed: at most ~2% of the time. In a flood of small datagrams these were the window's longest
    stalls (issue 8, udp_flood: 55 and 98 ms). Rows and events hold no cycles, so what a full
    collection finds late is little.
    """
    global _next_full_gc, _last_full_gc
    counts, thresholds = gc.get_count(), gc.get_threshold()
    due = [generation for generation in range(3) if counts[generation] > thresholds[generation]]
    if not due:
        return
    generation = due[-1]
    now = time.monotonic()
    busy = now - _last_batch < QUIET_S and now - _last_full_gc < FULL_GC_MAX_WAIT_S
    if generation == 2 and (now < _next_full_gc or busy):
        generation = 1
    started = time.monotonic()
    gc.collect(generation)
    if generation == 2:
        _last_full_gc = time.monotonic()
        _next_full_gc = now + FULL_GC_SPACING * (_last_full_gc - started)


def _note_a_batch() -> None:
    global _last_batch
    _last_batch = time.monotonic()


@contextmanager
def gui_turn() -> Iterator[None]:
    """The GUI thread's turn: engine threads wait at their next event until it ends.

    Why: PySide releases the GIL around every call into Qt, so a repaint of the log enters Python
    once per cell (70 times for a screenful), and each entry must take the GIL back. During a flood
    an engine thread gives the GIL up for every socket call and takes it straight back, before the
    waiting GUI thread has woken: CPython's GIL is not fair, so each entry could wait a whole
    switch interval, or several. Measured: a 30 ms repaint with 1.5 ms of it in Python (issue 8). With
    the turn held, the engines stand aside for the few ms the repaint takes. Re-entrant, and an
    engine never waits longer than TURN_WAIT_S, so a modal dialog can't freeze the traffic.
    """
    with _GUI_TURN:
        yield


def _wait_for_the_gui_turn() -> None:
    """Called on an engine's thread for each event: returns at once unless the GUI has its turn."""
    if _GUI_TURN.acquire(timeout=TURN_WAIT_S):
        _GUI_TURN.release()


class _EngineThread(QThread):
    def __init__(self, engine: Engine, parent: QObject) -> None:
        super().__init__(parent)  # owned by its runner, so Qt never deletes it behind our back
        self.engine = engine

    def run(self) -> None:
        run_below_the_window()
        self.engine.run()  # never raises: the engine turns surprises into Error events


def run_below_the_window() -> None:
    """The calling (engine) thread gets the CPU after the window's thread, when both want it.

    Why: during a flood the engine thread and the peer keep both cores of a small machine busy, and
    the GUI thread, woken for a repaint or a timer, waited in the run queue behind them: its 3-4 ms
    of work per batch took up to 12 ms, and a 5 ms timer's p99 lateness was 8-12 ms (tcp_flood).
    At nice +5 (a third of the weight) it is 6-8 ms, and udp_flood's 23-27 ms is 9, with the same
    throughput: the window uses little CPU, so the engine loses little. Desktops do the same for
    their UI threads (Windows' foreground boost, macOS's user-interactive QoS); Linux does not, and
    Qt's QThread.LowPriority changes nothing there for normal threads, so this asks the kernel
    directly. Elsewhere Qt's own priority is used. (issue 8)
    """
    if sys.platform.startswith("linux"):
        thread = threading.get_native_id()  # on Linux, a thread's id sets that thread's nice only
        with contextlib.suppress(OSError):  # never stop an engine over its priority
            os.setpriority(
                os.PRIO_PROCESS, thread, min(19, os.getpriority(os.PRIO_PROCESS, thread) + ENGINE_NICE)
            )
    else:
        QThread.currentThread().setPriority(QThread.Priority.LowPriority)


class EngineRunner(QObject, Generic[E]):
    """Runs one engine on its own QThread and hands its events to the GUI thread in batches.

    The engine's thread only appends to a locked list; a GUI-thread timer takes the list, so the
    GUI never waits on the engine and gets at most one batch per BATCH_INTERVAL_MS however fast
    the traffic. If the GUI falls behind, payload rows beyond the pending limits are dropped and
    counted (system rows never are); the engine's own counters stay exact.

    Signals:
        events_arrived(list): a batch of netlab events, oldest first.
        finished(): the engine's run() returned and its thread has ended.
    """

    events_arrived = Signal(list)
    finished = Signal()

    def __init__(self, make_engine: Callable[[Sink], E], parent: QObject | None = None) -> None:
        super().__init__(parent)
        collect_garbage_on_the_gui_thread()
        self._lock = threading.Lock()
        self._pending: deque[Event] = deque()
        self._pending_bytes = 0
        self.dropped = 0
        self._taps: list[Callable[[Event], None]] = []
        self.engine: E = make_engine(self._sink)
        self._thread = _EngineThread(self.engine, self)
        self._thread.finished.connect(self._on_thread_finished)
        self._timer = QTimer(self)
        self._timer.setInterval(BATCH_INTERVAL_MS)
        self._timer.timeout.connect(self._deliver)

    def add_tap(self, tap: Callable[[Event], None]) -> None:
        """tap(event) sees every event on the engine's thread, before any is dropped (Stream to file)."""
        self._taps.append(tap)

    def _sink(self, event: Event) -> None:
        """Called on the engine's thread."""
        _wait_for_the_gui_turn()
        for tap in self._taps:
            tap(event)
        size = len(event.data) if isinstance(event, Data) else 0
        with self._lock:
            crowded = (
                len(self._pending) >= MAX_PENDING_EVENTS or self._pending_bytes + size > MAX_PENDING_BYTES
            )
            if crowded and isinstance(event, (Data, SocketCall)):
                self.dropped += 1
                return
            self._pending.append(event)
            self._pending_bytes += size

    def start(self) -> None:
        RUNNING.add(self)  # type: ignore[arg-type]
        self._thread.start()
        self._timer.start()

    def stop(self) -> None:
        """Ask the engine to stop; returns at once. finished() follows."""
        self.engine.stop()

    def is_running(self) -> bool:
        return self._thread.isRunning()

    def wait(self, ms: int) -> bool:
        """Only for shutdown: block until the thread has ended, at most ms."""
        ended = self._thread.wait(ms)
        if ended:
            self._on_thread_finished()
        return bool(ended)

    @Slot()
    def _deliver(self) -> None:
        """Hand over what is pending, at most MAX_BATCH_EVENTS at a time: the rest follows as soon
        as the event loop has run once (timers, repaints), so no single batch stalls the window."""
        with self._lock:
            pending = self._pending
            count = min(len(pending), MAX_BATCH_EVENTS)
            batch = [pending.popleft() for _ in range(count)]
            self._pending_bytes -= sum(len(e.data) for e in batch if isinstance(e, Data))
            more = bool(pending)
        if batch:
            _note_a_batch()
            with gui_turn():  # adding rows calls into Qt and back into Python many times
                self.events_arrived.emit(batch)
        if more and self._timer.isActive():
            QTimer.singleShot(0, self, self._deliver)

    @Slot()
    def _on_thread_finished(self) -> None:
        if self not in RUNNING:
            return
        RUNNING.discard(self)  # type: ignore[arg-type]
        self._timer.stop()
        while self._pending:  # the engine has ended: everything it said, now
            self._deliver()
        self.finished.emit()
