"""A tab page built the first time someone looks at it, so the window opens quickly.

Until then it stands in for its tab everywhere the window asks: it holds the lab state it was given
(and hands it back unchanged), has no engines to stop and shows nothing. When the user opens it, or
code asks for `tab()`, the real tab is built, given that state, and put in place.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QVBoxLayout, QWidget

from ui.common.bridge import EngineRunner

T = TypeVar("T", bound=QWidget)


class LazyTab(QWidget, Generic[T]):
    """The page of one tab, built on first use.

    Signals:
        built(QWidget): the real tab now exists (its page is already in place).
    """

    built = Signal(QWidget)

    def __init__(
        self,
        lab_key: str,
        make_tab: Callable[[], T],
        make_page: Callable[[T], QWidget],
        default_state: Callable[[], Any],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.lab_key = lab_key
        self._make_tab, self._make_page, self._default_state = make_tab, make_page, default_state
        self._tab: T | None = None
        self.page: QWidget | None = None
        self._pending: Any = None
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)

    @property
    def is_built(self) -> bool:
        return self._tab is not None

    def tab(self) -> T:
        if self._tab is None:
            tab = self._make_tab()
            self._tab = tab
            self.page = self._make_page(tab)
            self._layout.addWidget(self.page)
            self.page.show()  # a child added to a shown parent is otherwise shown only later
            pending, self._pending = self._pending, None
            problem = self._give(tab, pending) if pending is not None else ""
            self.built.emit(tab)
            if problem:  # said once the window listens to the tab (on built)
                tab.status.emit(problem)  # type: ignore[attr-defined]
        return self._tab

    @staticmethod
    def _give(tab: QWidget, state: Any) -> str:
        """Load `state` into the built tab; an unread workspace section is read first. Returns what
        went wrong, if anything: a section that no longer reads leaves the tab at its defaults."""
        from netlab.core.config import ConfigError
        from netlab.lab.labfile import Unread, read_section

        if isinstance(state, Unread):
            try:
                state = read_section(state)
            except ConfigError as exc:
                return f"The last session's settings could not be restored: {exc.problems[0]}"
        tab.load_lab_state(state)  # type: ignore[attr-defined]
        return ""

    def showEvent(self, event: Any) -> None:
        self.tab()  # the user opened it
        super().showEvent(event)

    # ------------------------------------------------------------------ what the window asks of a tab
    def lab_state(self) -> Any:
        if self._tab is not None:
            return self._tab.lab_state()  # type: ignore[attr-defined]
        return self._pending if self._pending is not None else self._default_state()

    def load_lab_state(self, state: Any) -> None:
        if self._tab is not None:
            problem = self._give(self._tab, state)
            if problem:
                self._tab.status.emit(problem)  # type: ignore[attr-defined]
        else:
            self._pending = state

    def stop_all(self) -> None:
        if self._tab is not None:
            self._tab.stop_all()  # type: ignore[attr-defined]

    def runners(self) -> list[EngineRunner[Any]]:
        return self._tab.runners() if self._tab is not None else []  # type: ignore[attr-defined]
