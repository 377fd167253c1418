"""Engine tests: real sockets on 127.0.0.1, port 0, no Qt; every wait is bounded."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from netlab.core.engine import Engine
from netlab.core.events import Data, Direction, Event

WAIT = 5.0


class Recorder:
    """A sink that keeps every event and lets a test wait for one."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self._cond = threading.Condition()

    def __call__(self, event: Event) -> None:
        with self._cond:
            self.events.append(event)
            self._cond.notify_all()

    def wait_for(self, predicate: Callable[[Event], bool], timeout: float = WAIT) -> Event:
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for event in self.events:
                    if predicate(event):
                        return event
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no matching event within {timeout}s; got {self.events!r}")
                self._cond.wait(left)

    def of(self, kind: type[Any]) -> list[Any]:
        with self._cond:
            return [e for e in self.events if isinstance(e, kind)]

    def payload(self, direction: Direction, conn: int | None = None) -> bytes:
        return b"".join(
            e.data for e in self.of(Data) if e.direction is direction and (conn is None or e.conn == conn)
        )


def eventually(condition: Callable[[], bool], timeout: float = WAIT) -> None:
    """Wait until condition() holds, for state another thread updates."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition never held"
        time.sleep(0.005)


@contextmanager
def running(engine: Engine) -> Iterator[Engine]:
    thread = threading.Thread(target=engine.run, name="test-engine")
    thread.start()
    assert engine.started.wait(WAIT)
    try:
        yield engine
    finally:
        engine.stop()
        thread.join(WAIT)
        assert not thread.is_alive(), "engine did not stop within 5 s"


def connect(port: int, host: str = "127.0.0.1") -> socket.socket:
    sock = socket.create_connection((host, port), timeout=WAIT)
    sock.settimeout(WAIT)
    return sock


def recv_exactly(sock: socket.socket, count: int) -> bytes:
    data = b""
    while len(data) < count:
        chunk = sock.recv(count - len(data))
        if not chunk:
            break
        data += chunk
    return data


def recv_until_closed(sock: socket.socket) -> bytes:
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return data


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()
