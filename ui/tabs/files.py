"""The File server tab: share a folder over HTTP (http.server, grown up), with a live request log."""

from __future__ import annotations

import contextlib
import os
import threading
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QUrl, Signal, Slot
from PySide6.QtGui import QDesktopServices, QImage, QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)

from netlab.core.config import format_address
from netlab.core.events import Error, Event, Listening, Sink
from netlab.core.lan import qr_matrix, share_urls
from netlab.http.config import FileServerConfig
from ui.common.bridge import EngineRunner
from ui.common.logpane import LogPane
from ui.common.panel import EnginePanel
from ui.common.widgets import CountersBar, FieldMarks, PortBox, controls_above_log, hbox, named

if TYPE_CHECKING:
    from netlab.http.file_server import FileServer

QR_SCALE = 4
LAN_FORM_SHARE = 62  # percent: the addresses and QR code above the log, on a 768-px screen


def qr_pixmap(text: str) -> QPixmap:
    """A QR code as a pixmap, QR_SCALE pixels a module: one byte buffer, not a setPixel() per module."""
    matrix = qr_matrix(text)
    size = len(matrix)
    pixels = bytes(0 if module else 255 for row in matrix for module in row)
    image = QImage(pixels, size, size, size, QImage.Format.Format_Grayscale8).copy()
    return QPixmap.fromImage(image.scaled(size * QR_SCALE, size * QR_SCALE))


class FileServerTab(EnginePanel):
    """Pick a folder, serve it, watch every request; share on the LAN with a QR code.

    Signals:
        addresses_found(int, list): a lookup of this machine's addresses ended; the lookup's number
            (stale ones are ignored) and the share URLs.
    """

    addresses_found = Signal(int, list)
    lab_key = "files"
    runner: EngineRunner[FileServer] | None

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("fileTab")
        self.url = ""
        self._lookup = 0  # which address lookup the LAN box waits for
        defaults = FileServerConfig()
        self.folder = named(QLineEdit(os.getcwd()), "fileFolder", "Folder to share")
        self.browse = named(QPushButton("Choose…"), "fileBrowse", "Choose the folder to share")
        self.host = named(QComboBox(), "fileHost", "Bind address", "127.0.0.1 shares with this machine only")
        self.host.setEditable(True)
        self.host.addItems(["127.0.0.1", "0.0.0.0", "::1", "::"])
        self.lan = named(
            QCheckBox("Share on LAN"),
            "fileLan",
            "Share on the local network",
            "Listen on every interface (0.0.0.0) and show this machine's addresses",
        )
        self.port = named(PortBox(defaults.port), "filePort", "Port", "0 picks any free port")
        self.hidden = named(QCheckBox("Show hidden files"), "fileHidden", "Show hidden files")
        self.upload = named(
            QCheckBox("Allow uploads"),
            "fileUpload",
            "Allow uploads",
            "A form on the listing page; files are never overwritten",
        )
        self.max_upload = named(QSpinBox(), "fileMaxUpload", "Largest upload in MB")
        self.max_upload.setRange(1, 1_000_000)
        self.max_upload.setValue(defaults.max_upload_mb)
        self.max_upload.setSuffix(" MB")
        self.idle_timeout = named(
            QDoubleSpinBox(), "fileIdleTimeout", "Idle timeout", "Close a connection idle this long"
        )
        self.idle_timeout.setRange(0.1, 3600)
        self.idle_timeout.setValue(defaults.idle_timeout)
        self.idle_timeout.setPrefix("idle ")
        self.idle_timeout.setSuffix(" s")
        self.user = named(QLineEdit(), "fileUser", "User name for basic auth")
        self.user.setPlaceholderText("user (empty: no password)")
        self.password = named(QLineEdit(), "filePassword", "Password for basic auth")
        self.password.setPlaceholderText("password")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.start_button = named(QPushButton("Start"), "fileStart", "Start serving")
        self.stop_button = named(QPushButton("Stop"), "fileStop", "Stop serving")
        self.open_button = named(QPushButton("Open in browser"), "fileOpen", "Open in the browser")
        self.state = named(QLabel("Stopped"), "fileState", "Server state")
        self.state.setOpenExternalLinks(True)
        self.state.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        self.form_error = QLabel()
        self.form_error.setObjectName("fileFormError")
        self.marks = FieldMarks(
            {
                "root": self.folder,
                "host": self.host,
                "port": self.port,
                "max_upload_mb": self.max_upload,
                "idle_timeout": self.idle_timeout,
                "auth": self.user,
            },
            self.form_error,
        )
        self.urls = named(QLabel(), "fileUrls", "Addresses to share")
        self.urls.setOpenExternalLinks(True)
        self.urls.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        self.urls.setWordWrap(True)
        self.qr_choice = named(QComboBox(), "fileQrChoice", "Address for the QR code")
        self.qr_choice.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)  # the whole URL
        self.qr = named(QLabel(), "fileQr", "QR code of the chosen address")
        self.counters = CountersBar("fileCounters")
        self.log = LogPane("file", socket_calls=False)

        form = QGridLayout()
        form.addWidget(QLabel("Folder"), 0, 0)
        form.addWidget(self.folder, 0, 1, 1, 4)
        form.addWidget(self.browse, 0, 5)
        form.addWidget(QLabel("Address"), 1, 0)
        form.addWidget(self.host, 1, 1)
        form.addWidget(self.lan, 1, 2)
        form.addWidget(QLabel("Port"), 1, 3)
        form.addWidget(self.port, 1, 4)
        form.addWidget(self.idle_timeout, 1, 5)
        form.addWidget(self.hidden, 2, 1)
        form.addWidget(self.upload, 2, 2)
        form.addWidget(QLabel("up to"), 2, 3)
        form.addWidget(self.max_upload, 2, 4)
        form.addWidget(QLabel("Login"), 3, 0)
        form.addWidget(self.user, 3, 1, 1, 2)
        form.addWidget(self.password, 3, 3, 1, 2)
        buttons = hbox(self.start_button, self.stop_button, self.open_button, self.state, stretch=self.state)
        form.addLayout(buttons, 4, 0, 1, 6)
        form.addWidget(self.form_error, 5, 0, 1, 6)
        # The QR code stands beside the form, where the rows leave room, so on a 768-px screen the
        # addresses, the code and the log all fit without a scroll.
        form.addWidget(self.qr, 0, 6, 6, 1, Qt.AlignmentFlag.AlignTop)
        form.setColumnStretch(1, 1)
        self.lan_box = QGroupBox("On the local network")
        self.lan_box.setObjectName("fileLanBox")
        lan_layout = QHBoxLayout(self.lan_box)
        lan_layout.addWidget(self.urls, 1)
        lan_layout.addWidget(QLabel("QR code for:"), 0, Qt.AlignmentFlag.AlignTop)
        lan_layout.addWidget(self.qr_choice, 0, Qt.AlignmentFlag.AlignTop)
        self._show_lan(False)

        self.splitter = controls_above_log(self, "", [form, self.lan_box, self.counters], self.log)
        self.splitter.share = LAN_FORM_SHARE

        self.browse.clicked.connect(self._on_browse_clicked)
        self.lan.toggled.connect(self._on_lan_toggled)
        self.upload.toggled.connect(self.max_upload.setEnabled)
        self.start_button.clicked.connect(self.start)
        self.stop_button.clicked.connect(self.stop)
        self.open_button.clicked.connect(self._on_open_clicked)
        self.qr_choice.currentTextChanged.connect(self._on_qr_choice_changed)
        self.addresses_found.connect(self._on_addresses_found)
        self.log.problem.connect(self.status)
        self.max_upload.setEnabled(False)
        self.set_running(False)

    def config(self) -> FileServerConfig:
        user, password = self.user.text().strip(), self.password.text()
        return FileServerConfig(
            root=self.folder.text().strip(),
            host=self.host.currentText().strip(),
            port=self.port.value(),
            upload=self.upload.isChecked(),
            max_upload_mb=self.max_upload.value(),
            auth=f"{user}:{password}" if user or password else "",
            show_hidden=self.hidden.isChecked(),
            idle_timeout=self.idle_timeout.value(),
        )

    @Slot()
    def _on_browse_clicked(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Choose the folder to share", self.folder.text())
        if folder:
            self.folder.setText(folder)

    @Slot(bool)
    def _on_lan_toggled(self, on: bool) -> None:
        if on:
            self.host.setCurrentText("0.0.0.0")
        elif self.host.currentText() == "0.0.0.0":
            self.host.setCurrentText("127.0.0.1")
        self.host.setEnabled(not on and self.runner is None)

    def make_engine(self, config: FileServerConfig, sink: Sink) -> FileServer:
        from netlab.http.file_server import FileServer  # the engine waits for Start: a quicker start-up

        return FileServer(config, sink)

    def stop_all(self) -> None:
        self.stop()

    def set_running(self, running: bool) -> None:
        for widget in (
            self.folder,
            self.browse,
            self.port,
            self.hidden,
            self.upload,
            self.max_upload,
            self.idle_timeout,
            self.user,
            self.password,
            self.lan,
        ):
            widget.setEnabled(not running)
        self.host.setEnabled(not running and not self.lan.isChecked())
        if not running:
            self.max_upload.setEnabled(self.upload.isChecked())
        self.start_button.setEnabled(not running)
        self.stop_button.setEnabled(running)
        self.open_button.setEnabled(running and bool(self.url))
        if not running:
            self.url = ""
            self._lookup += 1  # a lookup still under way belongs to a server that is gone
            self._show_lan(False)

    def _show_lan(self, shown: bool) -> None:
        self.lan_box.setVisible(shown)
        self.qr.setVisible(shown)

    def on_events(self, events: list[Event]) -> None:
        for event in events:
            if isinstance(event, Listening):
                self._on_listening(event)
            elif isinstance(event, Error) and self.runner is not None and self.runner.engine.address is None:
                self.state.setText(f"Not started: {event.message}")

    def _on_listening(self, event: Listening) -> None:
        wildcard = event.host in ("0.0.0.0", "::")
        host = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(event.host, event.host)  # a wildcard is no URL
        self.url = f"http://{format_address((host, event.port))}/"
        link = f'<a href="{self.url}">{self.url}</a>'
        if wildcard:  # say what is bound; the link is only how this machine reaches it
            bound = format_address((event.host, event.port))
            self.state.setText(f"Serving on every address ({bound}); on this machine: {link}")
            self.status.emit(f"Serving {self.folder.text()} on every address, port {event.port}")
        else:
            self.state.setText(f"Serving on {link}")
            self.status.emit(f"Serving {self.folder.text()} on {self.url}")
        self.open_button.setEnabled(True)
        self._show_lan(wildcard)
        self.splitter.refit()  # room for the addresses and the QR code, unless the user chose otherwise
        if wildcard:
            self.urls.setText("Looking up this machine's addresses…")
            self.qr_choice.clear()
            self.qr_choice.addItem(self.url)
            self._lookup += 1
            # The host-name lookup can take seconds (or hang) on a badly set-up network: never here.
            lookup = threading.Thread(
                target=self._look_up_addresses, args=(self._lookup, event.port), daemon=True
            )
            lookup.start()

    def _look_up_addresses(self, lookup: int, port: int) -> None:
        """On a thread of its own; the answer comes back to the GUI thread as a queued signal."""
        urls = share_urls(port)
        with contextlib.suppress(RuntimeError):  # the tab (and its signal) is gone: nobody is waiting
            self.addresses_found.emit(lookup, urls)

    @Slot(int, list)
    def _on_addresses_found(self, lookup: int, urls: list[str]) -> None:
        if lookup != self._lookup:
            return
        if urls:
            self.urls.setText("<br>".join(f'<a href="{u}">{u}</a>' for u in urls))
        else:
            self.urls.setText("This machine has no network address besides loopback.")
        self.qr_choice.clear()
        self.qr_choice.addItems(urls or [self.url])

    @Slot(str)
    def _on_qr_choice_changed(self, url: str) -> None:
        if url:
            self.qr.setPixmap(qr_pixmap(url))

    @Slot()
    def _on_open_clicked(self) -> None:
        if self.url:
            QDesktopServices.openUrl(QUrl(self.url))

    def lab_state(self) -> FileServerConfig:
        return self.config()

    def load_lab_state(self, config: FileServerConfig) -> None:
        """Show a config in the form (the inverse of config())."""
        self.folder.setText(config.root)
        self.lan.setChecked(config.host == "0.0.0.0")
        self.host.setCurrentText(config.host)
        self.port.setValue(config.port)
        self.upload.setChecked(config.upload)
        self.max_upload.setValue(config.max_upload_mb)
        user, _, password = config.auth.partition(":")
        self.user.setText(user)
        self.password.setText(password)
        self.hidden.setChecked(config.show_hidden)
        self.idle_timeout.setValue(config.idle_timeout)
