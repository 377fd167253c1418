"""Full garbage collections on the GUI thread are spaced by their own cost, so a big log does not
stall the window every few seconds; younger generations still run when due."""

from __future__ import annotations

import pytest

from ui.common import bridge


class FakeGc:
    def __init__(self) -> None:
        self.collected: list[int] = []

    def get_count(self) -> tuple[int, int, int]:
        return (10_000, 100, 100)  # every generation past its threshold

    def get_threshold(self) -> tuple[int, int, int]:
        return (700, 10, 10)

    def collect(self, generation: int) -> int:
        self.collected.append(generation)
        if generation == 2:
            self.clock[0] += 0.1  # a full collection of a big heap takes 100 ms
        return 0


def fake_gc(monkeypatch: pytest.MonkeyPatch) -> tuple[FakeGc, list[float]]:
    """The bridge on a fake collector and clock, at 1000 s, with no traffic so far."""
    fake = FakeGc()
    clock = [1000.0]
    fake.clock = clock  # type: ignore[attr-defined]
    monkeypatch.setattr(bridge, "gc", fake)
    monkeypatch.setattr(bridge.time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(bridge, "_next_full_gc", 0.0)
    monkeypatch.setattr(bridge, "_last_full_gc", 1000.0)
    monkeypatch.setattr(bridge, "_last_batch", 0.0)
    return fake, clock


def test_full_collections_wait_fifty_times_their_cost(monkeypatch: pytest.MonkeyPatch) -> None:
    fake, clock = fake_gc(monkeypatch)
    for _ in range(20):  # ten seconds of the GUI timer
        bridge._collect_due_generations()
        clock[0] += 0.5
    assert fake.collected.count(2) == 2  # at 0 s and again after 50 x 100 ms
    assert fake.collected.count(1) == 18  # the younger generations never wait


def test_full_collections_wait_for_traffic_to_pause_but_not_forever(monkeypatch: pytest.MonkeyPatch) -> None:
    """A full collection of a big log is the window's longest stall: not while batches arrive,
    unless they never stop for FULL_GC_MAX_WAIT_S."""
    fake, clock = fake_gc(monkeypatch)
    for _ in range(100):  # fifty seconds of traffic: a batch before every tick
        bridge._note_a_batch()
        bridge._collect_due_generations()
        clock[0] += 0.5
    assert fake.collected.count(2) == 0 and fake.collected.count(1) == 100
    for _ in range(30):  # and on: past FULL_GC_MAX_WAIT_S one runs all the same
        bridge._note_a_batch()
        bridge._collect_due_generations()
        clock[0] += 0.5
    assert fake.collected.count(2) == 1
    fake.collected.clear()
    clock[0] += 10  # spacing passed; a pause in the traffic
    bridge._collect_due_generations()
    assert fake.collected == [2]
