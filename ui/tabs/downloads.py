"""The Downloads panel: several downloads at once, each row with its progress bar, rate, time left and Cancel.

The jobs run in netlab.http.download's pool behind the one worker bridge; progress reaches the rows
as batched signals, so the window never waits on the network. The HTTP form tab embeds the panel and
hands it its options (library, timeout, TLS); alone it uses the form's defaults.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from PySide6.QtCore import QStandardPaths, QUrl, Signal, Slot
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from netlab.core.config import ConfigError
from netlab.core.events import Event
from netlab.http.download import (
    DownloadCancelled,
    DownloadConfig,
    DownloadFailed,
    DownloadFinished,
    DownloadProgress,
    Downloads,
    DownloadStarted,
    describe,
)
from netlab.http.form import human_size
from netlab.http.form_config import HttpFormConfig
from ui.common.bridge import EngineRunner
from ui.common.widgets import FieldMarks, OneLineLabel, breakable, named

PERMILLE = 1000  # progress bar steps: finer than percent, so a big file's bar still moves
STOP_WAIT_MS = 2000


class DownloadRow(QWidget):
    """One download: its name, a progress bar, what it is doing in words, Cancel and Open folder.

    Signals:
        cancel_clicked(int): the user wants this job (its number) stopped.
    """

    cancel_clicked = Signal(int)

    def __init__(self, job: int, url: str, folder: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.job = job
        self.folder = folder
        self.state = "queued"
        self.name = named(OneLineLabel(url), f"downloadName{job}", "File")
        self.bar = named(QProgressBar(), f"downloadBar{job}", "Progress")
        self.bar.setRange(0, PERMILLE)
        self.bar.setValue(0)
        self.status = named(QLabel("Queued: waiting for a free worker"), f"downloadStatus{job}", "Status")
        self.status.setWordWrap(True)
        self.cancel = named(QPushButton("Cancel"), f"downloadCancel{job}", "Cancel this download")
        self.open_folder = named(
            QPushButton("Open folder"), f"downloadOpen{job}", "Open the folder it is saved in"
        )
        self.cancel.clicked.connect(lambda: self.cancel_clicked.emit(self.job))
        self.open_folder.clicked.connect(self._on_open_folder_clicked)
        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.name, 1)
        top.addWidget(self.cancel)
        top.addWidget(self.open_folder)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 4, 0, 4)
        column.addLayout(top)
        column.addWidget(self.bar)
        column.addWidget(self.status)

    def show_started(self, event: DownloadStarted) -> None:
        self.state = "running"
        self.name.setText(event.name)
        self.name.setToolTip(event.path)
        if event.total is None:
            self.bar.setRange(0, 0)  # no Content-Length: a busy bar, the bytes are still counted
        self.status.setText(
            "Started: " + (human_size(event.total) if event.total is not None else "size unknown")
        )

    def show_progress(self, event: DownloadProgress) -> None:
        if event.percent is not None and self.bar.maximum():
            self.bar.setValue(round(event.percent * PERMILLE / 100))
        self.status.setText(describe(event))

    def show_finished(self, event: DownloadFinished) -> None:
        self._ended("finished", f"Finished: {human_size(event.size)} saved as {event.path}")
        self.bar.setRange(0, PERMILLE)
        self.bar.setValue(PERMILLE)
        self.name.setText(os.path.basename(event.path))

    def show_failed(self, event: DownloadFailed) -> None:
        hint = f" - {event.hint}" if event.hint else ""
        self._ended("failed", f"Failed: {event.message}{hint}")
        self.status.setStyleSheet("color: #c62828;")

    def show_cancelled(self, event: DownloadCancelled) -> None:
        self._ended("cancelled", f"Cancelled: {event.text}")

    def _ended(self, state: str, text: str) -> None:
        self.state = state
        self.status.setText(breakable(text))
        self.cancel.setEnabled(False)
        if self.bar.maximum() == 0:
            self.bar.setRange(0, PERMILLE)

    @Slot()
    def _on_open_folder_clicked(self) -> None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(self.folder))


class DownloadsPanel(QWidget):
    """A URL, a folder and Download; below, one row per download, newest last.

    options() gives the HTTP form's current config: its library, timeout and TLS settings are used.
    Call shutdown() before the panel goes away (it cancels the downloads and ends their thread).

    Signals:
        finished(int, str): job number, the path the file was saved as.
        failed(int, str): job number, what went wrong in plain words.
        cancelled(int): job number.
    """

    finished = Signal(int, str)
    failed = Signal(int, str)
    cancelled = Signal(int)

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        options: Callable[[], HttpFormConfig] | None = None,
        folder: str = "",
    ) -> None:
        super().__init__(parent)
        self._options = options or HttpFormConfig
        self._runner: EngineRunner[Downloads] | None = None
        self.rows: dict[int, DownloadRow] = {}
        self.url = named(QLineEdit(), "downloadUrl", "URL to download", "http:// or https:// URL of the file")
        self.url.setPlaceholderText("https://example.org/big-file.iso")
        default = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DownloadLocation)
        self.folder = named(QLineEdit(folder or default), "downloadFolder", "Save to folder")
        choose = named(QPushButton("Choose…"), "downloadChoose", "Choose the folder to save to")
        self.download = named(QPushButton("Download"), "downloadStart", "Start the download")
        self.message = named(QLabel(), "downloadMessage", "Problem")
        self.marks = FieldMarks({"url": self.url, "folder": self.folder}, self.message)
        self.url.returnPressed.connect(self._on_download_clicked)
        self.download.clicked.connect(self._on_download_clicked)
        choose.clicked.connect(self._on_choose_clicked)

        form = QHBoxLayout()
        form.addWidget(QLabel("URL"))
        form.addWidget(self.url, 3)
        form.addWidget(QLabel("Save to folder"))
        form.addWidget(self.folder, 2)
        form.addWidget(choose)
        form.addWidget(self.download)
        self._list = QVBoxLayout()
        self._list.addStretch(1)
        holder = QWidget()
        holder.setLayout(self._list)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(holder)
        column = QVBoxLayout(self)
        column.addLayout(form)
        column.addWidget(self.message)
        column.addWidget(scroll, 1)

    # ------------------------------------------------------------------ public
    def start(self, url: str | None = None, folder: str | None = None) -> int | None:
        """Start downloading url (default: the URL field) into folder; the job's number, or None if a
        field is wrong (the problem is shown at the field)."""
        url = self.url.text() if url is None else url
        folder = self.folder.text() if folder is None else folder
        try:
            config = DownloadConfig.from_form(self._options(), url, folder.strip())
        except ConfigError as exc:
            self.marks.show(exc.problems)
            return None
        self.marks.clear()
        runner = self._running()
        job = runner.engine.start(config)
        row = DownloadRow(job, config.url, config.folder)
        row.cancel_clicked.connect(self.cancel)
        self._list.insertWidget(self._list.count() - 1, row)
        self.rows[job] = row
        return job

    @Slot(int)
    def cancel(self, job: int) -> None:
        if self._runner is not None:
            self._runner.engine.cancel(job)

    def shutdown(self) -> bool:
        """Cancel every download and end the pool's thread; False if it did not end in time."""
        runner, self._runner = self._runner, None
        if runner is None or not runner.is_running():
            return True
        runner.stop()
        return runner.wait(STOP_WAIT_MS)

    # ------------------------------------------------------------------ inside
    def _running(self) -> EngineRunner[Downloads]:
        if self._runner is None or not self._runner.is_running():
            self._runner = EngineRunner(Downloads, self)
            self._runner.events_arrived.connect(self._on_runner_events_arrived)
            self._runner.start()
        return self._runner

    @Slot(list)
    def _on_runner_events_arrived(self, events: list[Event]) -> None:
        for event in events:
            row = self.rows.get(getattr(event, "job", 0))
            if row is None:
                continue
            if isinstance(event, DownloadProgress):
                row.show_progress(event)
            elif isinstance(event, DownloadStarted):
                row.show_started(event)
            elif isinstance(event, DownloadFinished):
                row.show_finished(event)
                self.finished.emit(row.job, event.path)
            elif isinstance(event, DownloadFailed):
                row.show_failed(event)
                self.failed.emit(row.job, event.message)
            elif isinstance(event, DownloadCancelled):
                row.show_cancelled(event)
                self.cancelled.emit(row.job)

    @Slot()
    def _on_download_clicked(self) -> None:
        self.start()

    @Slot()
    def _on_choose_clicked(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Save downloads to", self.folder.text())
        if folder:
            self.folder.setText(folder)
