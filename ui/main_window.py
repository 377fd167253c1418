"""NetLab's main window: the tabs, the status bar, settings, and a clean shutdown."""

from __future__ import annotations

import os
import time
from typing import Any

from PySide6.QtCore import QByteArray, QSettings, Qt, QTimer, Slot
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMessageBox, QStackedWidget, QTabWidget

from netlab import __version__
from netlab.http import code as http_code
from netlab.tcp import code as tcp_code
from netlab.udp import code as udp_code
from ui.common.bridge import EngineRunner
from ui.common.codeview import CodeBeside
from ui.common.logpane import LogPane
from ui.labs import ExerciseDock, LabController, dock_on_the_right
from ui.tabs.files import FileServerTab
from ui.tabs.tcp import TcpTab
from ui.tabs.udp import UdpTab

SHUTDOWN_MS = 2000
PREFERRED_SIZE = (1440, 900)
STATUS_MS = 10_000


class MainWindow(QMainWindow):
    """The window. Closing it stops every engine within SHUTDOWN_MS."""

    def __init__(self) -> None:
        super().__init__()
        self.setWindowTitle("NetLab — network lab")
        self.setObjectName("mainWindow")
        self.tabs = QTabWidget()
        self.tabs.setObjectName("mainTabs")
        self.tabs.setAccessibleName("NetLab tabs")
        self.tcp = TcpTab()
        self.files = FileServerTab()
        self.udp = UdpTab()
        self.tcp_page = CodeBeside(
            self.tcp,
            "tcp",
            [
                (
                    "Server (socket)",
                    "tcp_server.py",
                    lambda: tcp_code.server_program(self.tcp.server.config()),
                ),
                (
                    "Server (socketserver)",
                    "tcp_server.py",
                    lambda: tcp_code.server_program(self.tcp.server.config(), tcp_code.Flavour.SOCKETSERVER),
                ),
                (
                    "Client",
                    "tcp_client.py",
                    lambda: tcp_code.client_program(self.tcp.client.config(), self.tcp.client.send_box()),
                ),
            ],
        )
        sender = self.udp.sender_panel
        self.udp_page = CodeBeside(
            self.udp,
            "udp",
            [
                ("Receiver", "udp_receiver.py", lambda: udp_code.program(self.udp.receiver_panel.config())),
                (
                    "Sender",
                    "udp_sender.py",
                    lambda: udp_code.program(sender.config(), sender.send_box(), sender.repeat.isChecked()),
                ),
                (
                    "Traffic generator",
                    "udp_generator.py",
                    lambda: udp_code.generator_program(sender.config(), sender.traffic()),
                ),
            ],
        )
        self.files_page = CodeBeside(
            self.files,
            "file",
            [("File server", "file_server.py", lambda: http_code.program(self.files.config()))],
        )
        self.tabs.addTab(self.tcp_page, "TCP")
        self.tabs.addTab(self.udp_page, "UDP")
        self.tabs.addTab(self.files_page, "File server")
        # Each tab's "Show code" sits in the tab bar's corner, so it costs the forms no height.
        self.code_toggles = QStackedWidget()
        self.code_toggles.setObjectName("codeToggles")
        for page in (self.tcp_page, self.udp_page, self.files_page):
            self.code_toggles.addWidget(page.toggle)
        self.tabs.setCornerWidget(self.code_toggles, Qt.Corner.TopRightCorner)
        self.tabs.currentChanged.connect(self._on_tab_changed)
        self.setCentralWidget(self.tabs)
        for tab in self.tab_widgets():
            tab.status.connect(self.show_status)
        self.statusBar().setObjectName("statusBar")
        self.statusBar().showMessage("Ready: start a server, connect a client, or share a folder")

        self.exercise = ExerciseDock(self)
        dock_on_the_right(self, self.exercise)
        self.labs = LabController(self, [self.tcp, self.udp, self.files], self.exercise)
        self.labs.status.connect(self.show_status)
        self.labs.path_changed.connect(self._on_lab_path_changed)
        quit_action = QAction("&Quit", self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        self.labs.menu.addAction(quit_action)
        help_menu = self.menuBar().addMenu("&Help")
        about = QAction("&About NetLab", self)
        about.triggered.connect(self._on_about_triggered)
        help_menu.addAction(about)
        self.fit_to_screen()
        self.load_settings()

    def fit_to_screen(self) -> None:
        """Open at PREFERRED_SIZE, or smaller on a smaller screen: Connect and Send must never be cut off."""
        screen = self.screen().availableGeometry()
        frame = self.frameGeometry().size() - self.geometry().size()  # title bar and borders, if known
        width = min(PREFERRED_SIZE[0], screen.width() - max(frame.width(), 0))
        height = min(PREFERRED_SIZE[1], screen.height() - max(frame.height(), 40))
        self.resize(width, height)

    def tab_widgets(self) -> list[TcpTab | UdpTab | FileServerTab]:
        return [self.tcp, self.udp, self.files]

    def runners(self) -> list[EngineRunner[Any]]:
        return [runner for tab in self.tab_widgets() for runner in tab.runners()]

    @Slot(str)
    def show_status(self, text: str) -> None:
        self.statusBar().showMessage(text, STATUS_MS)

    @Slot()
    def _on_about_triggered(self) -> None:
        QMessageBox.about(
            self,
            "About NetLab",
            f"<b>NetLab {__version__}</b><p>A desktop network lab: see the socket API at work, "
            "read traffic as Wireshark shows it, and talk to any TCP peer.</p>",
        )

    @Slot(int)
    def _on_tab_changed(self, index: int) -> None:
        page = self.tabs.widget(index)
        if isinstance(page, CodeBeside):
            self.code_toggles.setCurrentWidget(page.toggle)

    @Slot(str)
    def _on_lab_path_changed(self, path: str) -> None:
        self.setWindowTitle(f"{os.path.basename(path)} — NetLab" if path else "NetLab — network lab")

    def load_settings(self) -> None:
        store = QSettings()
        geometry = store.value("window/geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
            screen = self.screen().availableGeometry()
            if self.width() > screen.width() or self.height() > screen.height():
                self.fit_to_screen()  # saved on a bigger screen
        self.labs.load_workspace(store)

    def save_settings(self) -> None:
        store = QSettings()
        store.setValue("window/geometry", self.saveGeometry())
        self.labs.save_workspace(store)
        store.sync()

    def shutdown(self) -> bool:
        """Stop every engine and wait for their threads, SHUTDOWN_MS in all. True if all ended."""
        runners = self.runners()
        for tab in self.tab_widgets():
            tab.stop_all()
        # One shared deadline, and every runner is waited for: all() would stop at the first overrun.
        deadline = time.monotonic() + SHUTDOWN_MS / 1000
        ended = [runner.wait(max(0, int((deadline - time.monotonic()) * 1000))) for runner in runners]
        for pane in self.findChildren(LogPane):
            pane.stop_streaming()
        return all(ended)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.save_settings()
        if self.shutdown():
            event.accept()
            return
        # Destroying a QThread that still runs aborts the program ("QThread: Destroyed while thread
        # is still running"), so the window stays until the stragglers end, then closes itself.
        event.ignore()
        self.show_status("Waiting for the engines to stop…")
        stragglers = [runner for runner in self.runners() if runner.is_running()]
        for runner in stragglers:
            runner.finished.connect(self.close, Qt.ConnectionType.SingleShotConnection)
        if not stragglers:  # they ended just now
            QTimer.singleShot(0, self.close)
