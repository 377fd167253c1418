"""NetLab's main window: the tabs, the status bar, settings, and a clean shutdown."""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QByteArray, QSettings, Qt, QTimer, Slot
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMessageBox, QStackedWidget, QTabWidget, QWidget

from netlab import __version__
from ui.common.bridge import EngineRunner
from ui.common.codeview import CodeBeside
from ui.common.lazytab import LazyTab
from ui.common.logpane import stop_every_stream
from ui.labs import ExerciseDock, LabController, dock_on_the_right
from ui.tabs.tcp import TcpTab

if TYPE_CHECKING:
    from ui.tabs.files import FileServerTab
    from ui.tabs.http_form import HttpFormTab
    from ui.tabs.raw_http import RawHttpTab
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
        self.tcp_page = tcp_page(self.tcp)
        # Only the first tab is built before the window shows; the others when first opened.
        self.udp_slot: LazyTab[UdpTab] = LazyTab("udp", make_udp_tab, udp_page, udp_defaults)
        self.raw_slot: LazyTab[RawHttpTab] = LazyTab("raw_http", make_raw_tab, raw_page, raw_defaults)
        self.http_form_slot: LazyTab[HttpFormTab] = LazyTab(
            "http_form", make_http_form_tab, http_form_page, http_form_defaults
        )
        self.files_slot: LazyTab[FileServerTab] = LazyTab("files", make_files_tab, files_page, files_defaults)
        self.tabs.addTab(self.tcp_page, "TCP")
        self.tabs.addTab(self.udp_slot, "UDP")
        self.tabs.addTab(self.raw_slot, "Raw HTTP")
        self.tabs.addTab(self.http_form_slot, "HTTP form")
        self.tabs.addTab(self.files_slot, "File server")
        # Each tab's "Show code" sits in the tab bar's corner, so it costs the forms no height.
        self.code_toggles = QStackedWidget()
        self.code_toggles.setObjectName("codeToggles")
        self.code_toggles.addWidget(self.tcp_page.toggle)
        self.tabs.setCornerWidget(self.code_toggles, Qt.Corner.TopRightCorner)
        for slot in (self.udp_slot, self.raw_slot, self.http_form_slot, self.files_slot):
            slot.built.connect(self._on_tab_built)
        self.tabs.currentChanged.connect(self._on_tab_changed)
        self.setCentralWidget(self.tabs)
        self.tcp.status.connect(self.show_status)
        self.statusBar().setObjectName("statusBar")
        self.statusBar().showMessage("Ready: start a server, connect a client, or share a folder")

        self.exercise = ExerciseDock(self)
        dock_on_the_right(self, self.exercise)
        self.labs = LabController(
            self,
            [self.tcp, self.udp_slot, self.raw_slot, self.http_form_slot, self.files_slot],
            self.exercise,
        )
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

    # The lazily built tabs, built when code asks for them (tests, labs that need the real widgets).
    @property
    def udp(self) -> UdpTab:
        return self.udp_slot.tab()

    @property
    def udp_page(self) -> CodeBeside:
        self.udp_slot.tab()
        assert isinstance(self.udp_slot.page, CodeBeside)
        return self.udp_slot.page

    @property
    def raw(self) -> RawHttpTab:
        return self.raw_slot.tab()

    @property
    def raw_page(self) -> CodeBeside:
        self.raw_slot.tab()
        assert isinstance(self.raw_slot.page, CodeBeside)
        return self.raw_slot.page

    @property
    def http_form(self) -> HttpFormTab:
        return self.http_form_slot.tab()

    @property
    def http_form_page(self) -> CodeBeside:
        self.http_form_slot.tab()
        assert isinstance(self.http_form_slot.page, CodeBeside)
        return self.http_form_slot.page

    @property
    def files(self) -> FileServerTab:
        return self.files_slot.tab()

    @property
    def files_page(self) -> CodeBeside:
        self.files_slot.tab()
        assert isinstance(self.files_slot.page, CodeBeside)
        return self.files_slot.page

    def open_tab(self, lab_key: str) -> None:
        """Bring a tab to the front, as clicking its title does (built first if need be)."""
        for tab in self.tab_widgets():
            if tab.lab_key == lab_key:
                self.tabs.setCurrentWidget(self.tcp_page if tab is self.tcp else tab)

    def tab_widgets(self) -> list[Any]:
        """Every tab as the window drives it: built ones, and stand-ins for those not yet opened."""
        return [self.tcp, self.udp_slot, self.raw_slot, self.http_form_slot, self.files_slot]

    def runners(self) -> list[EngineRunner[Any]]:
        return [runner for tab in self.tab_widgets() for runner in tab.runners()]

    @Slot(QWidget)
    def _on_tab_built(self, tab: QWidget) -> None:
        tab.status.connect(self.show_status)  # type: ignore[attr-defined]
        slot = self.sender()
        assert isinstance(slot, LazyTab) and isinstance(slot.page, CodeBeside)
        self.code_toggles.addWidget(slot.page.toggle)
        if self.tabs.currentWidget() is slot:
            self.code_toggles.setCurrentWidget(slot.page.toggle)

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
        if isinstance(page, LazyTab):
            page.tab()
            page = page.page
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
        geometry = self.saveGeometry()
        if store.value("window/geometry") != geometry:  # the same value set again is written again
            store.setValue("window/geometry", geometry)
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
        stop_every_stream()
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


# ---------------------------------------------------------------------- the tabs and their programs
# Code generators and the later tabs are imported when first needed, not before the window shows.
def tcp_page(tab: TcpTab) -> CodeBeside:
    def server(flavour: str = "socket") -> str:
        from netlab.tcp import code

        return code.server_program(tab.server.config(), code.Flavour(flavour))

    def client() -> str:
        from netlab.tcp import code

        return code.client_program(tab.client.config(), tab.client.send_box())

    return CodeBeside(
        tab,
        "tcp",
        [
            ("Server (socket)", "tcp_server.py", server),
            ("Server (socketserver)", "tcp_server.py", lambda: server("socketserver")),
            ("Client", "tcp_client.py", client),
        ],
    )


def make_udp_tab() -> UdpTab:
    from ui.tabs.udp import UdpTab

    return UdpTab()


def udp_page(tab: UdpTab) -> CodeBeside:
    from netlab.udp import code

    sender = tab.sender_panel
    return CodeBeside(
        tab,
        "udp",
        [
            ("Receiver", "udp_receiver.py", lambda: code.program(tab.receiver_panel.config())),
            (
                "Sender",
                "udp_sender.py",
                lambda: code.program(sender.config(), sender.send_box(), sender.repeat.isChecked()),
            ),
            (
                "Traffic generator",
                "udp_generator.py",
                lambda: code.generator_program(sender.config(), sender.traffic()),
            ),
        ],
    )


def udp_defaults() -> Any:
    from netlab.udp.config import UdpTabState

    return UdpTabState()


def make_raw_tab() -> RawHttpTab:
    from ui.tabs.raw_http import RawHttpTab

    return RawHttpTab()


def raw_page(tab: RawHttpTab) -> CodeBeside:
    def program() -> str:
        from netlab.http import raw_code

        return raw_code.program(tab.config())

    return CodeBeside(tab, "raw", [("Raw HTTP (socket)", "raw_http.py", program)])


def raw_defaults() -> Any:
    from netlab.http.raw_config import RawHttpConfig

    return RawHttpConfig()


def make_http_form_tab() -> HttpFormTab:
    from ui.tabs.http_form import HttpFormTab

    return HttpFormTab()


def http_form_page(tab: HttpFormTab) -> CodeBeside:
    from netlab.http import form_code

    return CodeBeside(
        tab,
        "httpForm",
        [
            ("Python (requests)", "request_requests.py", lambda: form_code.requests_program(tab.config())),
            ("Python (urllib)", "request_urllib.py", lambda: form_code.urllib_program(tab.config())),
            ("curl", "request.sh", lambda: form_code.curl_command(tab.config())),
        ],
    )


def http_form_defaults() -> Any:
    from netlab.http.form_config import HttpFormConfig

    return HttpFormConfig()


def make_files_tab() -> FileServerTab:
    from ui.tabs.files import FileServerTab

    return FileServerTab()


def files_page(tab: FileServerTab) -> CodeBeside:
    def program() -> str:
        from netlab.http import code

        return code.program(tab.config())

    return CodeBeside(tab, "file", [("File server", "file_server.py", program)])


def files_defaults() -> Any:
    from netlab.http.config import FileServerConfig

    return FileServerConfig()
