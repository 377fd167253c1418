"""Lab files in the window: save and open give the same configs, bad files change nothing, samples run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from netlab import cli
from netlab.core.autoreply import MatchKind, Rule
from netlab.core.codec import LineEnding, Payload, PayloadKind
from netlab.core.config import Family
from netlab.core.events import Data, Direction
from netlab.core.sendbox import PeriodicSend, SendBox
from netlab.http.file_server import FileServerConfig
from netlab.http.form_config import AuthKind, Backend, BodyKind, HttpFormConfig
from netlab.http.raw_config import RawHttpConfig
from netlab.lab import labfile
from netlab.lab.labfile import Lab
from netlab.tcp.config import ServerMode, TcpClientConfig, TcpServerConfig, TcpTabState, TlsServerSettings
from netlab.udp.config import ReceiverMode, UdpReceiverConfig, UdpTabState
from ui.labs import WORKSPACE_KEY
from ui.main_window import MainWindow

from .conftest import WAIT_MS

TCP = TcpTabState(
    server=TcpServerConfig(
        host="::1",
        port=9123,
        family=Family.IPV6,
        backlog=7,
        reuse_addr=False,
        mode=ServerMode.RULES,
        rules=(Rule(MatchKind.REGEX, "^hi", r"hello {peer}\r\n"), Rule(MatchKind.EXACT, "q", "bye")),
        quit_words=("exit", "quit"),
        encoding="latin-1",
        tls=TlsServerSettings(cert_file="/elsewhere/cert.pem", key_file="/elsewhere/key.pem"),
        trace=True,
    ),
    server_send=Payload(PayloadKind.HEX, "de ad", encoding="latin-1"),
    client=TcpClientConfig(
        host="localhost",
        port=9124,
        connect_timeout=2.5,
        nodelay=True,
        keepalive=True,
        rcvbuf=8192,
        sndbuf=4096,
        tls=True,
        tls_verify=False,
        ca_file="/elsewhere/ca.pem",
        trace=True,
    ),
    client_send=SendBox(
        Payload(text=r"GET / HTTP/1.0\r\n", encoding="gbk", eol=LineEnding.CRLF, escapes=True),
        PeriodicSend(250, 4),
        variables=False,  # TCP sends bytes as typed
    ),
)
FILES = FileServerConfig(
    root="/elsewhere/share",
    host="0.0.0.0",
    port=8123,
    upload=True,
    max_upload_mb=7,
    auth="student:secret",
    show_hidden=True,
    idle_timeout=3.5,
)
UDP = UdpTabState(receiver=UdpReceiverConfig(port=9777, mode=ReceiverMode.ECHO))
HTTP_FORM = HttpFormConfig(
    backend=Backend.URLLIB,
    method="POST",
    url="http://127.0.0.1:8000/post?lab=1",
    body_kind=BodyKind.JSON,
    body='{"a": 1}',
    auth=AuthKind.BEARER,
    token="t0ken",
)
RAW = RawHttpConfig(
    host="localhost",
    port=8443,
    tls=True,
    verify=False,
    sni="lab.test",
    ca_file="/labs/ca.pem",
    request="POST /x HTTP/1.1\nHost: lab.test\nContent-Length: 99\n\nbody",
    crlf=False,
    auto_length=False,
    keep_open=True,
    timeout=2.5,
    cap=2 * 2**20,
)


def full_lab() -> Lab:
    return Lab(
        title="Everything",
        exercise="# Try it\n\nDo *this*.",
        states={"tcp": TCP, "udp": UDP, "raw_http": RAW, "http_form": HTTP_FORM, "files": FILES},
    )


def test_saving_and_opening_a_lab_gives_the_same_configs(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    window.labs.apply(full_lab())
    assert window.labs.current().states == full_lab().states  # the forms show every field
    window.labs.secrets_action.setChecked(True)
    path = str(tmp_path / "lab1.netlab")
    assert window.labs.save_lab(path) is None
    window.labs.new_lab()
    assert window.tcp.lab_state() == TcpTabState() and window.files.lab_state() != FILES
    assert window.labs.open_lab(path) is None
    assert window.labs.current().states == full_lab().states
    assert window.windowTitle().startswith("lab1.netlab")
    assert "secrets" in window.exercise.body().notice.text() and window.exercise.body().notice.isVisible()


def test_without_secrets_the_password_stays_out(window: MainWindow, tmp_path: Path) -> None:
    window.labs.apply(full_lab())
    path = tmp_path / "shared.netlab"
    assert window.labs.save_lab(str(path)) is None
    assert "student:secret" not in path.read_text()
    assert window.labs.open_lab(str(path)) is None
    assert window.files.lab_state().auth == "" and not window.exercise.body().notice.isVisible()


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("{ not json", "bad.netlab: line 1, column 3: the file is not valid JSON"),
        (
            '{"format": "netlab-lab", "version": 99}',
            "bad.netlab: version: this lab was made by a newer NetLab",
        ),
        (
            '{"format": "netlab-lab", "version": 1, "sections": {"tcp": {"client": {"port": 0}}}}',
            "bad.netlab: sections.tcp.client.port: Port 0 is out of range: use a port from 1 to 65535",
        ),
    ],
)
def test_a_bad_lab_changes_nothing_and_says_why(
    window: MainWindow, tmp_path: Path, text: str, line: str
) -> None:
    window.labs.apply(full_lab())
    before = window.labs.current()
    path = tmp_path / "bad.netlab"
    path.write_text(text)
    said = window.labs.open_lab(str(path))
    assert said is not None and said.startswith(line) and "\n" not in said
    assert window.labs.current() == before


def test_a_bad_lab_from_the_menu_shows_the_line(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _parent, _title, text: shown.append(text))
    path = tmp_path / "newer.netlab"
    path.write_text('{"format": "netlab-lab", "version": 2}')
    window.labs.open_from_menu(str(path))
    assert shown == [
        "newer.netlab: version: this lab was made by a newer NetLab (lab format 2; "
        "this NetLab reads up to 1): update NetLab to open it"
    ]


def test_the_exercise_is_rendered_markdown_and_can_be_edited(qtbot: QtBot, window: MainWindow) -> None:
    window.labs.apply(full_lab())
    assert window.exercise.isVisible()
    assert window.exercise.body().view.toPlainText().startswith("Try it")  # a heading, not "# Try it"
    qtbot.mouseClick(window.exercise.body().edit_button, Qt.MouseButton.LeftButton)
    window.exercise.body().editor.setPlainText("# New task\n\n- one\n- two")
    qtbot.mouseClick(window.exercise.body().edit_button, Qt.MouseButton.LeftButton)
    assert window.exercise.body().view.toPlainText().startswith("New task")
    assert window.labs.current().exercise == "# New task\n\n- one\n- two"


def test_the_workspace_comes_back_through_the_same_serialisation(qtbot: QtBot, tmp_path: Path) -> None:
    first = MainWindow()
    qtbot.addWidget(first)
    first.labs.apply(full_lab())
    first.save_settings()
    keys = QSettings().allKeys()
    assert sorted(keys) == ["labs/open", "labs/workspace", "window/geometry"]  # no hand-written keys
    second = MainWindow()
    qtbot.addWidget(second)
    expected = dict(full_lab().states)
    expected["files"] = FileServerConfig(**{**FILES.__dict__, "auth": ""})  # secrets stay out of settings
    expected["http_form"] = HttpFormConfig(**{**HTTP_FORM.__dict__, "token": ""})
    assert second.labs.current().states == expected
    assert second.exercise.markdown() == full_lab().exercise


def test_a_tab_never_opened_keeps_its_saved_section(qtbot: QtBot, tmp_path: Path) -> None:
    first = MainWindow()
    qtbot.addWidget(first)
    first.labs.apply(full_lab())
    first.save_settings()
    saved = json.loads(str(QSettings().value("labs/workspace")))["sections"]
    second = MainWindow()
    qtbot.addWidget(second)
    assert not second.udp_slot.is_built and not second.files_slot.is_built
    second.tcp.server.backlog.setValue(3)
    second.save_settings()  # as at exit: the unopened tabs' sections go back as they were
    again = json.loads(str(QSettings().value("labs/workspace")))["sections"]
    assert again["tcp"]["server"]["backlog"] == 3
    assert {key: again[key] for key in ("udp", "raw_http", "http_form", "files")} == {
        key: saved[key] for key in ("udp", "raw_http", "http_form", "files")
    }
    path = tmp_path / "saved.netlab"
    assert second.labs.save_lab(str(path)) is None  # a lab file gets them read and checked
    assert labfile.read(path).states["udp"] == UDP and not second.udp_slot.is_built
    assert second.udp.lab_state() == UDP  # and the tab, once built, shows them


def test_a_saved_section_that_no_longer_reads_says_so_when_its_tab_opens(qtbot: QtBot) -> None:
    data = labfile.to_data(Lab(states={"tcp": TCP}))
    data["sections"]["udp"] = {"receiver": {"port": "nine"}}
    QSettings().setValue("labs/workspace", json.dumps(data))
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    assert window.tcp.lab_state() == TCP  # the other tabs' settings still come back
    window.open_tab("udp")
    assert window.statusBar().currentMessage() == (
        "The last session's settings could not be restored: sections.udp.receiver.port must be a "
        "whole number, not 'nine': e.g. 42"
    )
    assert window.udp.lab_state() == UdpTabState()
    assert window.shutdown()


def test_a_lab_file_says_at_once_what_is_wrong_in_a_tab_not_opened_yet(
    window: MainWindow, tmp_path: Path
) -> None:
    path = tmp_path / "bad.netlab"
    path.write_text(
        json.dumps({"format": "netlab-lab", "version": 1, "sections": {"udp": {"receiver": {"port": "x"}}}})
    )
    said = window.labs.open_lab(str(path))
    assert said == "bad.netlab: sections.udp.receiver.port must be a whole number, not 'x': e.g. 42"
    assert not window.udp_slot.is_built


def test_an_unchanged_workspace_is_not_written_again(qtbot: QtBot) -> None:
    first = MainWindow()
    qtbot.addWidget(first)
    first.labs.apply(full_lab())
    first.save_settings()
    second = MainWindow()
    qtbot.addWidget(second)
    QSettings().setValue(WORKSPACE_KEY, "sentinel")  # a write at exit would replace it
    second.save_settings()
    assert QSettings().value(WORKSPACE_KEY) == "sentinel"
    second.tcp.server.port.setValue(9125)
    second.save_settings()
    assert labfile.loads(str(QSettings().value(WORKSPACE_KEY))).states["tcp"].server.port == 9125


def test_recent_labs_are_listed(window: MainWindow, tmp_path: Path) -> None:
    for name in ("a", "b"):
        assert window.labs.save_lab(str(tmp_path / f"{name}.netlab")) is None
    titles = [action.text() for action in window.labs.recent_menu.actions()]
    assert titles == [str(tmp_path / "b.netlab"), str(tmp_path / "a.netlab")]
    window.labs.recent_menu.actions()[1].trigger()
    assert window.labs.path == str(tmp_path / "a.netlab")


def open_sample(window: MainWindow, title: str) -> None:
    window.labs.samples_menu.aboutToShow.emit()  # as when the menu opens: it is filled then
    actions = {action.text(): action for action in window.labs.samples_menu.actions()}
    assert set(actions) == {"Echo server and the socket calls", "Chat with three clients"}
    actions[title].trigger()
    assert window.labs.path == ""  # a sample opens as a new lab: Save asks where
    assert window.exercise.isVisible() and window.exercise.body().view.toPlainText()


def start_on_a_free_port(qtbot: QtBot, window: MainWindow) -> int:
    server = window.tcp.server
    server.port.setValue(0)  # the sample says 9000 or 9100; tests take any free port
    qtbot.mouseClick(server.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: server.state.text().startswith("Listening on"), timeout=WAIT_MS)
    port = int(server.state.text().rsplit(":", 1)[1])
    window.tcp.client.port.setValue(port)
    return port


def received(window: MainWindow) -> list[bytes]:
    rows = window.tcp.client.log.model.rows
    return [
        r.event.data for r in rows if isinstance(r.event, Data) and r.event.direction is Direction.RECEIVED
    ]


def test_the_echo_sample_runs(qtbot: QtBot, window: MainWindow) -> None:
    open_sample(window, "Echo server and the socket calls")
    start_on_a_free_port(qtbot, window)
    client = window.tcp.client
    qtbot.mouseClick(client.connect_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: client.connections.topLevelItemCount() == 1, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: client.connections.topLevelItem(0).text(3) == "open", timeout=WAIT_MS)
    qtbot.mouseClick(client.send_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: b"".join(received(window)) == b"hello\n", timeout=WAIT_MS)
    calls = [r.event.call for r in window.tcp.server.log.model.rows if hasattr(r.event, "call")]
    assert any(call.startswith("listen(") for call in calls)  # the lab is about the socket calls
    window.tcp.stop_all()


def test_the_chat_sample_runs_with_three_clients(qtbot: QtBot, window: MainWindow) -> None:
    open_sample(window, "Chat with three clients")
    start_on_a_free_port(qtbot, window)
    client = window.tcp.client
    for _ in range(3):
        qtbot.mouseClick(client.connect_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: (
            [
                client.connections.topLevelItem(i).text(3)
                for i in range(client.connections.topLevelItemCount())
            ]
            == ["open"] * 3
        ),
        timeout=WAIT_MS,
    )
    qtbot.waitUntil(lambda: window.tcp.server.clients.topLevelItemCount() == 3, timeout=WAIT_MS)
    client.connections.setCurrentItem(client.connections.topLevelItem(0))
    qtbot.mouseClick(client.send_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(received(window)) >= 2, timeout=WAIT_MS)
    lines = received(window)
    assert len(lines) == 2 and all(line.endswith(b"] hi everyone\n") for line in lines)
    window.tcp.stop_all()


def test_netlab_opens_a_lab_given_on_the_command_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    started: list[str | None] = []
    monkeypatch.setattr(cli, "_run_gui", lambda lab=None: started.append(lab) or 0)
    path = tmp_path / "lab1.netlab"
    labfile.write(path, Lab())
    assert cli.main([str(path)]) == 0
    assert started == [str(path)]
