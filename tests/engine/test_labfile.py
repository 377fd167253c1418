"""Lab files: every section round-trips, secrets stay out unless asked, bad files say where and why."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from netlab.core.codec import LineEnding, Payload
from netlab.core.sendbox import SendBox
from netlab.http.file_server import FileServerConfig
from netlab.lab import labfile
from netlab.lab.labfile import SECTIONS, Lab, LabError
from netlab.tcp.config import ServerMode, TcpServerConfig, TcpTabState, TlsServerSettings

from .test_serial import configs

STATES = st.fixed_dictionaries({}, optional={key: configs(cls) for key, cls in SECTIONS.items()})


@settings(max_examples=40, deadline=None)
@given(states=STATES, title=st.text(max_size=20), exercise=st.text(max_size=200))
def test_every_section_round_trips_through_a_lab_file(
    states: dict[str, Any], title: str, exercise: str
) -> None:
    lab = Lab(title=title, exercise=exercise, states=states)
    again = labfile.loads(labfile.dumps(lab, secrets=True))
    assert (again.title, again.exercise, dict(again.states)) == (title, exercise, states)


def test_write_and_read_a_file(tmp_path: Path) -> None:
    lab = Lab(title="t", exercise="# Do this", states={"tcp": TcpTabState()})
    path = tmp_path / "lab1.netlab"
    labfile.write(path, lab)
    assert labfile.read(path) == lab
    assert [p.name for p in tmp_path.iterdir()] == ["lab1.netlab"]  # no temporary file left behind


def test_secrets_are_left_out_unless_asked() -> None:
    lab = Lab(states={"files": FileServerConfig(auth="student:secret")})
    without = labfile.dumps(lab)
    assert "student:secret" not in without and json.loads(without)["secrets"] is False
    opened = labfile.loads(without)
    assert opened.state("files").auth == "" and not opened.holds_secrets
    with_them = labfile.loads(labfile.dumps(lab, secrets=True))
    assert with_them.state("files").auth == "student:secret" and with_them.holds_secrets


def test_a_lab_from_another_machine_opens() -> None:
    """Files it names need not exist here: that is found when the server starts."""
    tls = TlsServerSettings(cert_file="/home/teacher/cert.pem", key_file="/home/teacher/key.pem")
    lab = Lab(
        states={
            "tcp": TcpTabState(server=TcpServerConfig(tls=tls)),
            "files": FileServerConfig(root="C:/Users/teacher/share"),
        }
    )
    assert labfile.loads(labfile.dumps(lab)) == lab


def broken(change: Any) -> str:
    data = labfile.to_data(Lab(states={"tcp": TcpTabState()}))
    change(data)
    return json.dumps(data)


@pytest.mark.parametrize(
    ("text", "line"),
    [
        (
            '{"format": "netlab-lab",\n "version": 1,\n "title": }',
            "line 3, column 11: the file is not valid JSON",
        ),
        ("[1, 2]", 'This is not a NetLab lab file (it has no "format": "netlab-lab")'),
        (broken(lambda d: d.update(version=2)), "version: this lab was made by a newer NetLab (lab format 2"),
        (broken(lambda d: d.pop("version")), "version: the lab file has no version number"),
        (broken(lambda d: d.update(colour="red")), "colour: not a field of a lab file"),
        (broken(lambda d: d.update(title=3)), "title: must be text"),
        (broken(lambda d: d["sections"].update(http={})), "sections.http: NetLab has no such tab"),
        (
            broken(lambda d: d["sections"]["tcp"]["server"].update(port=70000)),
            "sections.tcp.server.port: Port 70000 is out of range: use 0 for any free port, or 1 to 65535",
        ),
        (
            broken(lambda d: d["sections"]["tcp"]["server"].update(mode="rules")),
            "sections.tcp.server.rules: Auto-reply mode has no rules: add at least one rule",
        ),
        (
            broken(lambda d: d["sections"]["tcp"]["client_send"]["payload"].update(eol="cr")),
            'sections.tcp.client_send.payload.eol must be one of "none", "lf", "crlf", not \'cr\'',
        ),
    ],
)
def test_a_bad_file_says_where_and_why_in_one_line(text: str, line: str) -> None:
    with pytest.raises(LabError) as caught:
        labfile.loads(text)
    assert str(caught.value).startswith(line)
    assert "\n" not in str(caught.value)


def test_unreadable_files_are_lab_errors(tmp_path: Path) -> None:
    with pytest.raises(LabError, match="could not be read"):
        labfile.read(tmp_path / "missing.netlab")
    binary = tmp_path / "image.netlab"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe")
    with pytest.raises(LabError, match="is not a text file"):
        labfile.read(binary)


def test_the_sample_labs_ship_and_open() -> None:
    samples = labfile.samples()
    assert set(samples) == {"Echo server and the socket calls", "Chat with three clients"}
    echo = labfile.read(samples["Echo server and the socket calls"])
    assert echo.state("tcp").server.mode is ServerMode.ECHO and echo.state("tcp").server.trace
    assert echo.state("tcp").client_send == SendBox(Payload(text="hello", eol=LineEnding.LF), variables=False)
    chat = labfile.read(samples["Chat with three clients"])
    assert chat.state("tcp").server.mode is ServerMode.CHAT
    for lab in (echo, chat):
        assert lab.exercise.startswith("# ") and "## Steps" in lab.exercise


def test_a_plain_install_ships_the_sample_labs() -> None:
    """The samples are package data, so a wheel (not only this checkout) carries them."""
    import warnings

    from setuptools.config.pyprojecttoml import read_configuration

    root = Path(__file__).resolve().parents[2]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # setuptools calls [tool.setuptools] "beta"
        setup = read_configuration(root / "pyproject.toml")["tool"]["setuptools"]
    assert setup["package-data"]["netlab.lab"] == ["samples/*.netlab"]
    shipped = sorted(p.name for p in (root / "netlab" / "lab" / "samples").glob("*.netlab"))
    assert shipped == ["chat-three-clients.netlab", "echo-and-socket-calls.netlab"]


def test_the_tcp_protocol_developer_options_round_trip_through_a_lab_file() -> None:
    from netlab.core.checksum import Algorithm, ByteOrder, Checksum
    from netlab.tcp.config import TcpClientConfig

    state = TcpTabState(
        client=TcpClientConfig(
            local_host="127.0.0.1",
            local_port=40000,
            wait_for_server=True,
            server_first_timeout=2.5,
            connect_delay=0.25,
        ),
        client_send=SendBox(
            Payload(text="n={counter}"),
            checksum=Checksum(Algorithm.CRC16_MODBUS, ByteOrder.LITTLE, 1, 2, append=True, verify=True),
        ),
        server_variables=False,
        server_checksum=Checksum(Algorithm.CRC32),
    )
    text = labfile.dumps(Lab(states={"tcp": state}))
    assert '"local_port": 40000' in text and '"algorithm": "crc16-modbus"' in text
    assert labfile.loads(text).state("tcp") == state
