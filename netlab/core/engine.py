"""The engine shell: one selector loop on one thread, thread-safe commands, timers, counters."""

from __future__ import annotations

import contextlib
import heapq
import itertools
import selectors
import socket
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable, Iterator
from typing import Any

from netlab.core.counters import Counters
from netlab.core.errors import EXPECTED, error_event
from netlab.core.events import Error, Event, Sink, Stopped


class Timer:
    """A call the loop makes later; cancel() from the loop thread."""

    __slots__ = ("args", "callback", "cancelled", "when")

    def __init__(self, when: float, callback: Callable[..., None], args: tuple[Any, ...]) -> None:
        self.when = when
        self.callback = callback
        self.args = args
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class Loop:
    """A selectors loop. Only call_soon_threadsafe() and request_stop() may be used from other threads.

    An expected failure (see errors.EXPECTED) escaping a command or timer goes to on_failure and the
    loop goes on; one escaping a socket's callback goes to that socket's failed() instead.
    """

    def __init__(self, on_failure: Callable[[Exception], None] | None = None) -> None:
        self.on_failure = on_failure
        self.selector = selectors.DefaultSelector()
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self.selector.register(self._wake_r, selectors.EVENT_READ, self._drain_wake)
        self._commands: deque[tuple[Callable[..., None], tuple[Any, ...]]] = deque()
        self._timers: list[tuple[float, int, Timer]] = []
        self._order = itertools.count()
        self._stopping = False

    def call_soon_threadsafe(self, callback: Callable[..., None], *args: Any) -> None:
        self._commands.append((callback, args))
        # BlockingIOError: a wake-up byte is already pending; OSError: the loop has closed.
        with contextlib.suppress(OSError):
            self._wake_w.send(b"\0")

    def call_soon(self, callback: Callable[..., None], *args: Any) -> None:
        self._commands.append((callback, args))

    def call_at(self, when: float, callback: Callable[..., None], *args: Any) -> Timer:
        timer = Timer(when, callback, args)
        heapq.heappush(self._timers, (when, next(self._order), timer))
        return timer

    def call_later(self, delay: float, callback: Callable[..., None], *args: Any) -> Timer:
        return self.call_at(time.monotonic() + delay, callback, *args)

    def request_stop(self) -> None:
        self._stopping = True
        self.call_soon_threadsafe(lambda: None)

    @property
    def stopping(self) -> bool:
        return self._stopping

    def _drain_wake(self, _mask: int) -> None:
        try:
            while self._wake_r.recv(4096):
                pass
        except BlockingIOError:
            pass

    def run(self) -> None:
        while not self._stopping:
            timeout: float | None = None
            if self._commands:
                timeout = 0
            elif self._timers:
                timeout = max(0.0, self._timers[0][0] - time.monotonic())
            for key, mask in self.selector.select(timeout):
                self._call(key.data, (mask,))
            for _ in range(len(self._commands)):
                callback, args = self._commands.popleft()
                self._call(callback, args)
            now = time.monotonic()
            while self._timers and self._timers[0][0] <= now:
                _, _, timer = heapq.heappop(self._timers)
                if not timer.cancelled:
                    self._call(timer.callback, timer.args)

    def _call(self, callback: Callable[..., None], args: tuple[Any, ...]) -> None:
        try:
            callback(*args)
        except EXPECTED as exc:
            owner = getattr(callback, "__self__", None)
            if isinstance(owner, Registered):
                owner.failed(exc)
            elif self.on_failure is not None:
                self.on_failure(exc)
            else:
                raise

    def close(self) -> None:
        self.selector.close()
        self._wake_r.close()
        self._wake_w.close()


class Registered:
    """A socket in a loop's selector that changes what it waits for: READ, WRITE, both, or nothing."""

    def __init__(self, loop: Loop, sock: socket.socket) -> None:
        self._loop = loop
        self.sock = sock
        self._interest = 0

    def _on_ready(self, mask: int) -> None:
        raise NotImplementedError

    def failed(self, exc: Exception) -> None:
        """An expected failure escaped one of this socket's calls: report it and close the socket.

        Subclasses do this with their engine's bookkeeping; without it the engine stops as on a bug.
        """
        raise exc

    def _set_interest(self, wanted: int) -> None:
        if wanted == self._interest:
            return
        selector = self._loop.selector
        if self._interest == 0:
            selector.register(self.sock, wanted, self._on_ready)
        elif wanted == 0:
            selector.unregister(self.sock)
        else:
            selector.modify(self.sock, wanted, self._on_ready)
        self._interest = wanted


class Engine:
    """Owns sockets and runs one loop on the calling thread: run() blocks until stop().

    Subclasses implement setup() (bind, listen ...) and teardown(); they emit events through emit().
    """

    source = "engine"

    def __init__(self, sink: Sink, trace: bool = False) -> None:
        self._sink = sink
        self.loop = Loop(on_failure=self.command_failed)
        self.trace = trace
        self.started = threading.Event()  # set once setup() has run, whether it worked or not
        self.connections = 0
        self.messages_in = 0
        self.messages_out = 0
        self.bytes_in = 0
        self.bytes_out = 0
        self.dropped_bytes = 0

    def emit(self, event: Event) -> None:
        self._sink(event)

    def command_failed(self, exc: Exception) -> None:
        """An expected failure in a command or timer: one Error event; the engine keeps serving."""
        self.emit(error_event(exc, source=self.source, action=f"the {self.source}"))

    def counters(self) -> Counters:
        """Safe from any thread: reads a few ints."""
        return Counters(
            self.connections,
            self.messages_in,
            self.messages_out,
            self.bytes_in,
            self.bytes_out,
            self.dropped_bytes,
        )

    def stop(self) -> None:
        """Thread-safe and non-blocking: run() returns soon after."""
        self.loop.request_stop()

    def set_trace(self, on: bool) -> None:
        """Thread-safe: show or hide socket-call rows from now on."""
        self.loop.call_soon_threadsafe(setattr, self, "trace", on)

    def run(self) -> None:
        try:
            ok = self.setup()
            self.started.set()
            if ok:
                self.loop.run()
        except EXPECTED as exc:  # from setup(): a machine check such as an unreadable file
            self.emit(error_event(exc, source=self.source, action=f"starting the {self.source}"))
        except Exception as exc:  # a bug, not a network failure: keep the app alive and say so
            self.emit(
                Error(
                    source=self.source,
                    message=f"Internal error in the {self.source}: {exc!r}",
                    hint="please report this with the details below",
                    detail=traceback.format_exc(),
                )
            )
        finally:
            self.started.set()
            try:
                self.teardown()
            except EXPECTED as exc:  # closing a socket that is already gone, say: stop anyway
                self.emit(error_event(exc, source=self.source, action=f"stopping the {self.source}"))
            finally:
                self.loop.close()
                self.emit(Stopped(source=self.source))

    def accept_all(self, listener: socket.socket) -> Iterator[tuple[socket.socket, Any]]:
        """Every connection waiting on a listening socket (at most 64 a turn), made non-blocking.

        A failed accept() (out of file descriptors, say) becomes an Error event, not an exception.
        """
        for _ in range(64):
            try:
                sock, address = listener.accept()
            except BlockingIOError:
                return
            except OSError as exc:
                self.emit(error_event(exc, source=self.source, action="accept"))
                return
            sock.setblocking(False)
            yield sock, address

    def setup(self) -> bool:
        """Open sockets. Return False (after emitting an Error) if the engine cannot start."""
        return True

    def teardown(self) -> None:
        """Close every socket; called on the loop thread after the loop ends."""
