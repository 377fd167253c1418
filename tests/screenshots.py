"""Remake the README's screenshots: python tests/screenshots.py (offscreen; no display needed).

Starts the real window, runs a little traffic on loopback, and saves one PNG per tab in
resources/screenshots/.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


from PySide6.QtWidgets import QApplication  # noqa: E402

from ui.app import create_app  # noqa: E402
from ui.main_window import MainWindow  # noqa: E402

OUT = ROOT / "resources" / "screenshots"


def settle(app: QApplication, until: object = None, seconds: float = 3.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        app.processEvents()
        if callable(until) and until():
            return
        time.sleep(0.01)


def tcp(app: QApplication, window: MainWindow) -> None:
    server, client = window.tcp.server, window.tcp.client
    server.port.setValue(0)
    server.trace.setChecked(True)
    server.start()
    settle(app, lambda: server.state.text().startswith("Listening"))
    client.port.setValue(int(server.state.text().rsplit(":", 1)[1]))
    client.open_connection()
    client.open_connection()
    settle(
        app,
        lambda: (
            client.connections.topLevelItemCount() == 2
            and client.connections.topLevelItem(1).text(3) == "open"
        ),
    )
    client.payload.eol.setCurrentIndex(client.payload.eol.findData("crlf"))
    for index, text in ((0, "Hello, NetLab!"), (1, "GET / HTTP/1.1"), (0, "Grüße, TCP")):
        client.connections.setCurrentItem(client.connections.topLevelItem(index))
        client.payload.text.setPlainText(text)
        client.send()
        settle(app, seconds=0.2)
    client.payload.text.setPlainText("Hello again")
    settle(app, seconds=1.2)
    for pane in (server.log, client.log):
        pane.table.selectRow(pane.model.rowCount() - 1)
    client.log.table.selectRow(
        next(i for i, r in enumerate(client.log.model.rows) if hasattr(r.event, "data"))
    )


def udp(app: QApplication, window: MainWindow) -> None:
    receiver, sender = window.udp.receiver_panel, window.udp.sender_panel
    receiver.port.setValue(0)
    receiver.mode.setCurrentIndex(receiver.mode.findData("upper"))
    receiver.start()
    settle(app, lambda: receiver.state.text().startswith("Receiving on"))
    sender.port.setValue(int(receiver.state.text().rsplit(":", 1)[1]))
    sender.payload.text.setPlainText("datagram {counter}")
    sender.repeat.setChecked(True)
    sender.count.setValue(4)
    sender.interval.setValue(150)
    sender.send_button.click()
    settle(app, seconds=1.5)
    receiver.log.table.selectRow(receiver.log.model.rowCount() - 1)


def raw_http(app: QApplication, window: MainWindow) -> None:
    from tests.raw_http_servers import http_server

    tab = window.raw
    with http_server() as port:
        tab.url.setText(f"http://127.0.0.1:{port}/json")
        tab.fill_from_url()
        tab.send()
        settle(app, lambda: tab.status_line.text().startswith("HTTP/"))
        settle(app, seconds=0.3)
    tab.log.table.selectRow(
        next(
            i
            for i, r in enumerate(tab.log.model.rows)
            if getattr(r.event, "direction", None) is not None and r.event.direction.value == "received"
        )
    )


def files(app: QApplication, window: MainWindow) -> None:
    import tempfile
    import urllib.request

    folder = Path(tempfile.mkdtemp(prefix="netlab-share-"))
    (folder / "lab-1 sockets.pdf").write_bytes(b"%PDF-1.4 " + bytes(40_000))
    (folder / "notes.txt").write_text("TCP is a byte stream.\n")
    (folder / "captures").mkdir()
    tab = window.files
    tab.folder.setText(str(folder))
    tab.port.setValue(0)
    tab.lan.setChecked(True)
    tab.upload.setChecked(True)
    tab.start()
    settle(app, lambda: bool(tab.url))
    for path in ("", "notes.txt", "lab-1%20sockets.pdf", "captures/", "missing.txt"):
        with contextlib.suppress(OSError):
            urllib.request.urlopen(tab.url + path, timeout=5).read()
        settle(app, seconds=0.15)
    settle(app, seconds=1.2)


def http_form(app: QApplication, window: MainWindow) -> None:
    from tests.http_servers import httpbin_server

    tab = window.http_form
    with httpbin_server() as base:
        tab.url.setText(f"{base}/anything?lesson=http&step=1")
        tab.method.setCurrentText("POST")
        tab.body_kind.setCurrentIndex(tab.body_kind.findData("json"))
        tab.body.setPlainText('{"student": "Ada", "marks": [17, 19]}')
        tab.headers.add_row("Accept", "application/json")
        tab.editor.setCurrentIndex(2)
        tab.send_with_both()
        settle(app, lambda: all(side.response is not None for side in tab.sides.values()), seconds=10)
        settle(app, seconds=0.5)
    tab.sides[tab.config().backend].pages.setCurrentIndex(3)


def main() -> None:
    app = create_app([])
    app.setOrganizationName("NetLabScreenshots")
    window = MainWindow()
    window.resize(1366, 728)  # a small laptop screen, less the taskbar: what most students have
    window.show()
    OUT.mkdir(parents=True, exist_ok=True)
    for name, prepare in (
        ("tcp", tcp),
        ("udp", udp),
        ("raw_http", raw_http),
        ("http_form", http_form),
        ("files", files),
    ):
        window.open_tab(name)
        prepare(app, window)
        settle(app, seconds=0.3)
        path = OUT / f"{name}.png"
        window.grab().save(str(path))
        print(f"saved {path.relative_to(ROOT)}")
    window.shutdown()
    window.close()


if __name__ == "__main__":
    main()
