"""Lab files in the window: the File menu's lab actions, recent and sample labs, and the exercise dock.

Every tab with a `lab_key` gives its state as one frozen dataclass (`lab_state()`) and takes one back
(`load_lab_state()`); netlab/lab/labfile.py turns those into a file. Opening reads and checks the whole
file first, so a bad file changes nothing in the window.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Protocol

from PySide6.QtCore import QObject, QSettings, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QStackedWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from netlab.core.config import ConfigError
from netlab.lab import labfile
from netlab.lab.labfile import Lab, LabError
from ui.common.widgets import hbox, named

if TYPE_CHECKING:
    from PySide6.QtGui import QShowEvent

RECENT_KEY = "labs/recent"
WORKSPACE_KEY = "labs/workspace"
RECENT_MAX = 8
FILTER = "NetLab labs (*.netlab);;All files (*)"


class LabTab(Protocol):
    lab_key: str

    def lab_state(self) -> Any: ...

    def load_lab_state(self, state: Any) -> None: ...

    def stop_all(self) -> None: ...


class ExerciseDock(QDockWidget):
    """The lab's exercise, rendered from Markdown by Qt; Edit lets an instructor write it here.

    Its body is made when the dock first shows (or a test asks for it): most sessions never open it,
    and its widgets were about 0.5 ms of the window's start (issue 8). Until then the dock keeps the
    exercise text and notice itself.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Exercise", parent)
        self.setObjectName("exerciseDock")
        self._markdown = ""
        self._notice = ""
        self._body: ExerciseBody | None = None

    def body(self) -> ExerciseBody:
        if self._body is None:
            self._body = ExerciseBody()
            self._body.show_markdown(self._markdown)
            self._body.show_notice(self._notice)
            self.setWidget(self._body)
        return self._body

    def markdown(self) -> str:
        return self._body.editor.toPlainText() if self._body is not None else self._markdown

    def set_markdown(self, text: str) -> None:
        self._markdown = text
        if self._body is not None:
            self._body.show_markdown(text)

    def set_notice(self, text: str) -> None:
        self._notice = text
        if self._body is not None:
            self._body.show_notice(text)

    def showEvent(self, event: QShowEvent) -> None:
        self.body()
        super().showEvent(event)


class ExerciseBody(QWidget):
    """What the exercise dock shows: the rendered text (or its Markdown, while editing) and Edit."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.view = named(QTextBrowser(), "exerciseView", "Exercise text")
        self.view.setOpenExternalLinks(True)
        self.editor = named(QPlainTextEdit(), "exerciseEditor", "Exercise text in Markdown")
        self.editor.setPlaceholderText("Write the exercise in Markdown: # Title, *emphasis*, `code`, lists …")
        self.notice = QLabel()
        self.notice.setObjectName("exerciseNotice")
        self.notice.setWordWrap(True)
        self.notice.hide()
        self.edit_button = named(QPushButton("Edit"), "exerciseEdit", "Edit the exercise text")
        self.edit_button.setCheckable(True)
        self.pages = QStackedWidget()
        self.pages.addWidget(self.view)
        self.pages.addWidget(self.editor)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.notice)
        layout.addWidget(self.pages, 1)
        layout.addLayout(hbox(None, self.edit_button))
        self.edit_button.toggled.connect(self._on_edit_toggled)

    def show_markdown(self, text: str) -> None:
        self.editor.setPlainText(text)
        self.view.setMarkdown(text)

    def show_notice(self, text: str) -> None:
        self.notice.setText(text)
        self.notice.setVisible(bool(text))

    @Slot(bool)
    def _on_edit_toggled(self, editing: bool) -> None:
        if not editing:
            self.view.setMarkdown(self.editor.toPlainText())
        self.pages.setCurrentWidget(self.editor if editing else self.view)
        self.edit_button.setText("Done" if editing else "Edit")


class LabController(QObject):
    """New, Open, Save, Save as, recent and sample labs, and the workspace kept between sessions.

    Signals:
        status(str): a line for the window's status bar.
        path_changed(str): the lab file now open ("" for a new, unsaved lab).
    """

    status = Signal(str)
    path_changed = Signal(str)

    def __init__(self, window: QMainWindow, tabs: list[LabTab], dock: ExerciseDock) -> None:
        super().__init__(window)
        self.window = window
        self.tabs = tabs
        self.dock = dock
        self.path = ""
        self.title = ""
        self._workspace_seen: tuple[str, str, dict[str, Any], str] | None = None
        menu = window.menuBar().addMenu("&File")
        menu.setObjectName("fileMenu")
        self.menu = menu
        self.new_action = self._action("&New lab", QKeySequence.StandardKey.New, self.new_lab)
        self.open_action = self._action("&Open lab…", QKeySequence.StandardKey.Open, self._on_open_triggered)
        self.save_action = self._action("&Save lab", QKeySequence.StandardKey.Save, self._on_save_triggered)
        self.save_as_action = self._action(
            "Save lab &as…", QKeySequence.StandardKey.SaveAs, self._on_save_as_triggered
        )
        self.recent_menu = menu.addMenu("&Recent labs")
        self.samples_menu = menu.addMenu("Sa&mple labs")
        menu.addSeparator()
        self.secrets_action = QAction("Include &secrets (passwords, keys) when saving", self)
        self.secrets_action.setCheckable(True)
        menu.addAction(self.secrets_action)
        menu.addAction(dock.toggleViewAction())
        menu.addSeparator()
        # Filled when first opened: reading the samples' titles is not worth delaying the window for.
        self.samples_menu.aboutToShow.connect(self._fill_samples)
        self._fill_recent()

    @Slot()
    def _fill_samples(self) -> None:
        if self.samples_menu.actions():
            return
        for title, path in labfile.samples().items():
            action = self.samples_menu.addAction(title)
            action.triggered.connect(lambda _=False, p=path: self.open_from_menu(p, sample=True))

    def _action(self, text: str, keys: QKeySequence.StandardKey, slot: Any) -> QAction:
        action = QAction(text, self)
        action.setShortcut(keys)
        action.triggered.connect(slot)
        self.menu.addAction(action)
        return action

    # ------------------------------------------------------------------ the lab in the window
    def current(self, *, keep_unread: bool = False) -> Lab:
        """Every tab's state; raises ConfigError naming the tab and the field that is not right yet.

        A tab not yet opened may still hold its workspace section unread: it is read (and checked)
        here, unless `keep_unread` (the workspace, saved at exit, writes it back as it was).
        """
        states = {}
        for tab in self.tabs:
            try:
                state = tab.lab_state()
                if isinstance(state, labfile.Unread) and not keep_unread:
                    state = labfile.read_section(state, where="")
                states[tab.lab_key] = state
            except ConfigError as exc:
                problem = exc.problems[0]
                raise ConfigError(
                    [type(problem)(f"{tab.lab_key}.{problem.field}", problem.message, problem.hint)]
                ) from None
        return Lab(title=self.title, exercise=self.dock.markdown(), states=states)

    def apply(self, lab: Lab) -> None:
        """Put a (fully checked) lab into the window: engines stop, every tab takes its section."""
        for tab in self.tabs:
            tab.stop_all()
        for tab in self.tabs:
            tab.load_lab_state(lab.state(tab.lab_key))
        self.title = lab.title
        self.dock.set_markdown(lab.exercise)
        self.dock.set_notice(
            "This lab file holds secrets (passwords or keys): share it only with people who may know them."
            if lab.holds_secrets
            else ""
        )
        if lab.exercise.strip():
            self.dock.show()

    @Slot()
    def new_lab(self) -> None:
        self.apply(Lab())
        self._set_path("")
        self.status.emit("New lab: every tab is back to its defaults")

    def open_lab(self, path: str, *, sample: bool = False) -> str | None:
        """Open a lab file; on any problem return one plain line and leave the window as it was.

        A sample is opened as a new lab: Save asks where to keep the copy, and it is not a recent lab.
        """
        try:
            lab = labfile.read(path)
        except LabError as exc:
            return f"{os.path.basename(path)}: {exc}"
        self.apply(lab)
        self._set_path("" if sample else path)
        if not sample:
            self._remember(path)
        said = f"Opened lab {lab.title or os.path.basename(path)}"
        if lab.holds_secrets:
            said += ": it holds secrets (passwords or keys)"
        self.status.emit(said)
        return None

    def save_lab(self, path: str) -> str | None:
        """Save to path; on a problem return one plain line (and write nothing)."""
        try:
            lab = self.current()
        except ConfigError as exc:
            return f"Not saved: {exc.problems[0].field}: {exc.problems[0]}"
        if not self.title:
            self.title = os.path.splitext(os.path.basename(path))[0]
            lab = Lab(title=self.title, exercise=lab.exercise, states=lab.states)
        secrets = self.secrets_action.isChecked()
        try:
            labfile.write(path, lab, secrets=secrets)
        except OSError as exc:
            return f"Not saved: {path} could not be written ({exc.strerror or exc})"
        self._set_path(path)
        self._remember(path)
        from netlab.lab.serial import has_secrets  # with msgspec: loaded when a lab is first saved

        left_out = not secrets and any(has_secrets(s) for s in lab.states.values())
        self.status.emit(
            f"Saved lab {path}"
            + (": passwords left out (tick File ▸ Include secrets to keep them)" if left_out else "")
        )
        return None

    def _set_path(self, path: str) -> None:
        self.path = path
        self.path_changed.emit(path)

    # ------------------------------------------------------------------ menu slots
    def open_from_menu(self, path: str, sample: bool = False) -> None:
        problem = self.open_lab(path, sample=sample)
        if problem:
            self._refuse("The lab was not opened", problem)

    @Slot()
    def _on_open_triggered(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.window, "Open a lab", self._folder(), FILTER)
        if path:
            self.open_from_menu(path)

    @Slot()
    def _on_save_triggered(self) -> None:
        if not self.path:
            self._on_save_as_triggered()
            return
        problem = self.save_lab(self.path)
        if problem:
            self._refuse("The lab was not saved", problem)

    @Slot()
    def _on_save_as_triggered(self) -> None:
        suggestion = self.path or os.path.join(self._folder(), "lab.netlab")
        path, _ = QFileDialog.getSaveFileName(self.window, "Save the lab", suggestion, FILTER)
        if not path:
            return
        if not path.endswith(labfile.SUFFIX):
            path += labfile.SUFFIX
        problem = self.save_lab(path)
        if problem:
            self._refuse("The lab was not saved", problem)

    def _refuse(self, title: str, line: str) -> None:
        self.status.emit(line)
        QMessageBox.warning(self.window, title, line)

    def _folder(self) -> str:
        return os.path.dirname(self.path) if self.path else os.getcwd()

    # ------------------------------------------------------------------ recent labs and the workspace
    def recent(self) -> list[str]:
        value = QSettings().value(RECENT_KEY, [])
        items = value if isinstance(value, list) else [value] if isinstance(value, str) else []
        return [str(item) for item in items if item]

    def _remember(self, path: str) -> None:
        absolute = os.path.abspath(path)
        paths = [absolute] + [p for p in self.recent() if p != absolute]
        QSettings().setValue(RECENT_KEY, paths[:RECENT_MAX])
        self._fill_recent()

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        paths = self.recent()
        for path in paths:
            action = self.recent_menu.addAction(path)
            action.triggered.connect(lambda _=False, p=path: self.open_from_menu(p))
        self.recent_menu.setEnabled(bool(paths))

    def save_workspace(self, store: QSettings) -> None:
        """The window's settings as a lab (secrets left out), through the same serialisation as files."""
        try:
            lab = self.current(keep_unread=True)
        except ConfigError:
            return  # a half-typed field: keep the workspace saved last time rather than lose it all
        seen = (lab.title, lab.exercise, dict(lab.states), self.path)
        if seen == self._workspace_seen:
            return  # what is saved already says this: not converted and written again at each exit
        store.setValue(WORKSPACE_KEY, labfile.dumps(lab, secrets=False))
        store.setValue("labs/open", self.path)
        self._workspace_seen = seen

    def load_workspace(self, store: QSettings) -> None:
        text = store.value(WORKSPACE_KEY)
        if not isinstance(text, str) or not text:
            return
        # The sections of tabs not built yet stay unread until those tabs are opened: the window
        # shows sooner, and a tab never opened this session keeps its section as it was.
        unread = [tab.lab_key for tab in self.tabs if not getattr(tab, "is_built", True)]
        try:
            lab = labfile.loads(text, unread=unread)
        except LabError as exc:
            self.status.emit(f"The last session's settings could not be restored: {exc}")
            return
        self.apply(lab)
        path = store.value("labs/open", "")
        self._set_path(str(path) if isinstance(path, str) and os.path.isfile(path) else "")
        # What the workspace holds: if the tabs give back the same at exit, it is not written again.
        # Compared with what was read rather than read back from every field (1.4 ms of the
        # window's start, issue 8): a section the form tidies up is written once more, then not.
        self._workspace_seen = (lab.title, lab.exercise, dict(lab.states), self.path)


EXERCISE_WIDTH = 320  # the narrowest the exercise text still reads well beside the tabs
EXERCISE_HEIGHT = 200  # below the tabs, on a screen too narrow for it beside them


def dock_on_the_right(window: QMainWindow, dock: ExerciseDock) -> None:
    window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
    dock.hide()  # shown when a lab has an exercise, or from File ▸ Exercise
    dock.visibilityChanged.connect(
        lambda shown: shown and QTimer.singleShot(0, lambda: _make_room(window, dock))
    )


def _make_room(window: QMainWindow, dock: ExerciseDock) -> None:
    """Beside the tabs when the window has the width for both; otherwise below them, never squeezed
    into a sliver (on a 1366-px laptop the two TCP panels already need most of the width)."""
    central = window.centralWidget()
    room = window.width() - (central.minimumSizeHint().width() if central else 0)
    beside = window.dockWidgetArea(dock) == Qt.DockWidgetArea.RightDockWidgetArea
    if not beside or dock.isFloating():
        return  # the user put it somewhere: it stays there
    if room >= EXERCISE_WIDTH + 16:
        window.resizeDocks([dock], [EXERCISE_WIDTH], Qt.Orientation.Horizontal)
    else:
        window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, dock)
        window.resizeDocks([dock], [EXERCISE_HEIGHT], Qt.Orientation.Vertical)
        # Shown beside the tabs first, it may have widened the window past the screen: give that back
        # once the layout has settled.
        QTimer.singleShot(0, lambda: _fit_screen(window))


def _fit_screen(window: QMainWindow) -> None:
    screen = window.screen().availableGeometry()
    if window.width() > screen.width():
        window.resize(screen.width(), min(window.height(), screen.height()))
