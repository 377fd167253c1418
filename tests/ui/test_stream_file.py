"""Stream to file keeps its promise: every event reaches the file, also those the bridge or the
store dropped, and the writing happens off the GUI thread."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from netlab.core import logstore
from netlab.core.engine import Engine
from netlab.core.events import Data, Direction, Info
from netlab.core.logstore import LogStore
from ui.common import bridge
from ui.common.bridge import EngineRunner
from ui.common.logpane import LogPane

from .conftest import WAIT_MS

EVENTS = 20_000


class Burst(Engine):
    """EVENTS numbered payloads as fast as it can, then stops."""

    def setup(self) -> bool:
        for number in range(EVENTS):
            self.emit(Data(conn=1, direction=Direction.RECEIVED, data=b"%d" % number))
        self.emit(Info(text="done"))
        self.loop.call_soon(self.stop)
        return True


def test_every_event_reaches_the_file_though_the_log_drops(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bridge, "MAX_PENDING_EVENTS", 500)  # the bridge drops most of the burst
    writers: set[str] = set()
    real_write = logstore.StreamWriter._write

    def write(self: logstore.StreamWriter, events: list) -> None:  # type: ignore[type-arg]
        writers.add(threading.current_thread().name)
        real_write(self, events)

    monkeypatch.setattr(logstore.StreamWriter, "_write", write)
    pane = LogPane("stream", store=LogStore(max_rows=100))  # and the store keeps only 100
    qtbot.addWidget(pane)
    path = tmp_path / "all.jsonl"
    assert pane.stream_to(str(path))
    runner = EngineRunner(lambda sink: Burst(sink))
    pane.attach(runner)
    runner.events_arrived.connect(pane.add_events)
    with qtbot.waitSignal(runner.finished, timeout=WAIT_MS):
        runner.start()
    pane.note_bridge_drops(runner.dropped)
    pane.stop_streaming()
    assert runner.dropped > 0 and pane.store.dropped > 0
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    payloads = [bytes.fromhex(r["hex"]) for r in records if r["kind"] == "data"]
    assert payloads == [b"%d" % n for n in range(EVENTS)]
    assert writers == {"netlab-stream-file"}  # never the GUI thread
    assert "the stream file has them" in pane.status.text()


def test_closing_the_window_writes_out_and_closes_every_stream_file(qtbot: QtBot, tmp_path: Path) -> None:
    from ui.main_window import MainWindow

    window = MainWindow()
    qtbot.addWidget(window)
    server, client = window.tcp.server.log, window.tcp.client.log
    paths = [tmp_path / "server.jsonl", tmp_path / "client.jsonl"]
    for pane, path in zip((server, client), paths, strict=True):
        assert pane.stream_to(str(path))
    for number in range(500):  # queued for the writer threads, as an engine's tap would
        server._tap(Data(conn=1, peer="x:1", direction=Direction.RECEIVED, data=b"%d" % number))
    assert window.shutdown()
    assert server._writer is None and client._writer is None
    lines = paths[0].read_text(encoding="utf-8").splitlines()
    assert [bytes.fromhex(json.loads(line)["hex"]) for line in lines] == [b"%d" % n for n in range(500)]
    assert paths[1].exists()
