"""The TCP client's CA-file field: offered with TLS, carried into the config, checked at connect."""

from __future__ import annotations

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from netlab.core.events import Error
from ui.main_window import MainWindow

from .conftest import WAIT_MS


def test_the_ca_file_goes_with_tls_and_is_checked_when_connecting(qtbot: QtBot, window: MainWindow) -> None:
    client = window.tcp.client
    assert not client.ca_file.isEnabled()
    client.tls.setChecked(True)
    assert client.ca_file.isEnabled() and client.browse_ca.isEnabled()
    client.ca_file.setText("/nowhere/ca.pem")
    client.port.setValue(9)
    assert client.config().ca_file == "/nowhere/ca.pem"
    qtbot.mouseClick(client.connect_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: any(isinstance(r.event, Error) for r in client.log.model.rows), timeout=WAIT_MS)
    errors = [r.event for r in client.log.model.rows if isinstance(r.event, Error)]
    assert errors[0].message.startswith("The CA file /nowhere/ca.pem does not exist on this machine")
    client.stop()
    qtbot.waitUntil(lambda: client.runner is None, timeout=WAIT_MS)
