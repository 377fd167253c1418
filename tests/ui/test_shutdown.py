"""Quitting always ends every engine thread: a hanging name lookup holds nothing up, and the window
never closes while an engine thread still runs (Qt would abort the program)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest
from PySide6.QtWidgets import QComboBox, QPushButton
from pytestqt.qtbot import QtBot

from netlab.tcp import client as client_module
from netlab.tcp.client import Address
from netlab.tcp.server import TcpServer
from ui import main_window
from ui.common.widgets import PortBox
from ui.main_window import MainWindow

from .conftest import WAIT_MS


@pytest.fixture
def bare_window(qtbot: QtBot) -> Iterator[MainWindow]:
    main = MainWindow()
    qtbot.addWidget(main)
    main.show()
    yield main


def test_quitting_during_a_hanging_name_lookup_ends_every_thread(
    bare_window: MainWindow, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked, release = threading.Event(), threading.Event()

    def hanging(host: str, port: int, family: int) -> list[Address]:
        asked.set()
        release.wait(60)  # a DNS server that never answers
        raise socket.gaierror(socket.EAI_AGAIN, "gave up")

    monkeypatch.setattr(client_module, "resolve", hanging)
    host = bare_window.findChild(QComboBox, "tcpClientHost")
    host.setEditText("slow.example")
    bare_window.findChild(QPushButton, "tcpClientConnect").click()
    try:
        assert asked.wait(WAIT_MS / 1000)
        assert bare_window.shutdown(), "the client engine waited for the name lookup"
    finally:
        release.set()
    assert not any(runner.is_running() for runner in bare_window.runners())


def test_the_window_stays_until_a_slow_engine_has_stopped(
    bare_window: MainWindow, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    release = threading.Event()
    real_teardown = TcpServer.teardown

    def slow_teardown(server: TcpServer) -> None:
        release.wait(WAIT_MS / 1000)
        real_teardown(server)

    monkeypatch.setattr(TcpServer, "teardown", slow_teardown)
    monkeypatch.setattr(main_window, "SHUTDOWN_MS", 50)
    bare_window.findChild(PortBox, "tcpServerPort").setValue(0)
    bare_window.findChild(QPushButton, "tcpServerStart").click()
    qtbot.waitUntil(lambda: any(r.is_running() for r in bare_window.runners()), timeout=WAIT_MS)
    bare_window.close()
    assert bare_window.isVisible(), "the window closed while an engine thread still ran"
    release.set()
    qtbot.waitUntil(lambda: not bare_window.isVisible(), timeout=WAIT_MS)
    assert not any(runner.is_running() for runner in bare_window.runners())
