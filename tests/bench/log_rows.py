"""Benchmark: a million 64-byte rows through the real bridge into one log pane (real widgets, offscreen).

Run by hand: python tests/bench/log_rows.py [--rows 1000000]. Prints one JSON line.
Targets: peak_rss_growth_mb <= 200 for the pane; scroll_to_end_ms and text_filter_ms (the GUI
thread's longest stall, measured as in tcp_flood) <= 50; follow_open_ms (Follow stream on a
100,000-row conversation, its longest turn until all is shown) <= 100. The baseline is the same
process before the pane existed.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", ".."))

from tcp_flood import StallMeter  # the script's folder is on sys.path; one stall meter

from netlab.core.conversations import tcp_key
from netlab.core.engine import Engine
from netlab.core.events import Data, Direction, Sink

CONVERSATIONS = 10
BURST = 5000


def rss_mb(field: str) -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field):
                return int(line.split()[1]) / 1024
    raise RuntimeError(field)


class RowSource(Engine):
    """Emits `rows` Data events of 64 bytes over CONVERSATIONS connections, in bursts like a flood."""

    source = "server"

    def __init__(self, sink: Sink, rows: int) -> None:
        super().__init__(sink)
        self.rows = rows
        self.sent = 0
        self.payload = bytes(range(64))

    def setup(self) -> bool:
        self.loop.call_soon(self._burst)
        return True

    def _burst(self) -> None:
        for _ in range(min(BURST, self.rows - self.sent)):
            # Every third row is conversation 1's, so it keeps well over 100,000 rows in the store:
            # the Follow stream target is for a conversation that long.
            conn = 1 if self.sent % 3 == 0 else self.sent % CONVERSATIONS + 1
            self.emit(
                Data(
                    source=self.source,
                    conn=conn,
                    peer=f"127.0.0.1:{40000 + conn}",
                    conversation=tcp_key(conn),
                    direction=Direction.RECEIVED if self.sent % 2 else Direction.SENT,
                    data=self.payload if self.sent % 1000 else b"needle " + self.payload[:57],
                )
            )
            self.sent += 1
        if self.sent < self.rows:
            self.loop.call_later(0.002, self._burst)  # a fast peer, not a frozen engine thread
        else:
            self.loop.call_soon(self.stop)


def timed(app: object, action: object) -> float:
    """The GUI thread's stall: the action plus the repaint it causes, in ms."""
    started = time.perf_counter()
    action()  # type: ignore[operator]
    app.processEvents()  # type: ignore[attr-defined]
    return (time.perf_counter() - started) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()

    from PySide6.QtCore import QEventLoop

    from ui.app import create_app
    from ui.common.bridge import EngineRunner
    from ui.common.follow import FollowStreamDialog
    from ui.common.logpane import LogPane

    app = create_app([])  # the app as NetLab sets it up
    before = rss_mb("VmRSS:")
    pane = LogPane("bench")
    pane.resize(1200, 700)
    pane.show()
    app.processEvents()

    meter = StallMeter()
    runner = EngineRunner(lambda sink: RowSource(sink, args.rows))
    runner.events_arrived.connect(pane.add_events)
    loop = QEventLoop()
    runner.finished.connect(loop.quit)
    started = time.perf_counter()
    meter.start()
    runner.start()
    loop.exec()
    feed = meter.stop()
    feed_seconds = time.perf_counter() - started
    pane.note_bridge_drops(runner.dropped)

    pane.autoscroll.setChecked(False)
    pane.table.scrollToTop()
    app.processEvents()
    scroll_ms = timed(app, pane.table.scrollToBottom)
    # The filter goes through the store in chunks: the stall is the longest turn, and it is done
    # when the model says so.
    filter_turns = [timed(app, lambda: (pane.filter_text.setText("needle"), pane._apply_filter()))]
    while pane.model.scanning:
        filter_turns.append(timed(app, lambda: None))
    filter_ms = max(filter_turns)
    shown_filtered = len(pane.model.rows)
    timed(app, lambda: (pane.filter_text.setText(""), pane._apply_filter()))
    while pane.model.scanning:
        app.processEvents()
    key = tcp_key(1)
    in_conversation = sum(1 for row in pane.store.rows if row.event.conversation == key)
    # Follow stream takes a long conversation in over several turns: the stall is the longest turn
    # (the first one opens the dialog), and it is done when every kept payload is shown.
    dialog: list[FollowStreamDialog] = []
    settled_rss = rss_mb("VmRSS:")
    follow_turns = [
        timed(app, lambda: dialog.append(FollowStreamDialog(pane.store, key, "#1", pane)) or dialog[0].show())
    ]
    while not dialog[0].complete:
        follow_turns.append(timed(app, lambda: None))
    follow_ms = max(follow_turns)
    follow_shown = sum(len(segment.parts) for segment in dialog[0].model.segments)
    peak = rss_mb("VmHWM:")
    print(
        json.dumps(
            {
                "bench": "log_rows",
                "rows_sent": args.rows,
                "rows_kept": len(pane.store),
                "rows_dropped_store": pane.store.dropped,
                "rows_dropped_bridge": runner.dropped,
                "feed_seconds": round(feed_seconds, 2),
                "feed_max_stall_ms": round(feed["max"], 1),
                "feed_p99_stall_ms": round(feed["p99"], 1),
                "baseline_rss_mb": round(before, 1),
                "peak_rss_growth_mb": round(peak - before, 1),
                "scroll_to_end_ms": round(scroll_ms, 1),
                "text_filter_ms": round(filter_ms, 1),
                "text_filter_rows": shown_filtered,
                "text_filter_turns": len(filter_turns),
                "follow_rows": in_conversation,
                "rss_growth_before_follow_mb": round(settled_rss - before, 1),
                "follow_open_ms": round(follow_ms, 1),
                "follow_first_turn_ms": round(follow_turns[0], 1),
                "follow_turns": len(follow_turns),
                "follow_payloads_shown": follow_shown,
            }
        )
    )


if __name__ == "__main__":
    main()
