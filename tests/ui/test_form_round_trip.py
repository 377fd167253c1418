"""A config shown in a form comes back from the form unchanged, for any config the form can show."""

from __future__ import annotations

import re
from dataclasses import replace

from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st
from pytestqt.qtbot import QtBot

from netlab.core.codec import Payload, PayloadKind
from netlab.core.config import ConfigError
from netlab.http.file_server import FileServerConfig
from netlab.http.raw_config import RawHttpConfig
from netlab.tcp.config import TcpTabState
from ui.common.widgets import PayloadEditor
from ui.tabs.files import FileServerTab
from ui.tabs.raw_http import CR_MARK, RawHttpTab
from ui.tabs.tcp import TcpTab

from ..engine.test_serial import configs
from .test_udp_tab import shown_checksum

RAW_BREAKS = re.compile("[\u2028\u2029\x0b\x0c\x1c-\x1e\x85]")
LINE_BREAKS = re.compile("\r\n?|[\u2028\u2029\x0b\x0c\x1c-\x1e\x85]")


def shown_by_forms(state: TcpTabState) -> TcpTabState | None:
    """What the forms can hold: spin boxes keep two decimals from 0.1 s (0.01 s for the banner wait);
    a file is sent with "Send file…", so the payload editor holds text or hex only; the server reads
    and sends in one encoding."""
    client = replace(
        state.client,
        connect_timeout=max(0.1, round(state.client.connect_timeout, 2)),
        ca_file=state.client.ca_file.strip(),  # path boxes are read trimmed
        local_host=state.client.local_host.strip(),
        server_first_timeout=max(0.01, round(state.client.server_first_timeout, 2)),
        connect_delay=round(state.client.connect_delay, 2),
    )
    tls = state.server.tls
    if tls is not None:
        try:
            tls = replace(tls, cert_file=tls.cert_file.strip(), key_file=tls.key_file.strip())
        except ConfigError:
            return None  # a file name of blanks only: not one the form can hold
    relay = state.server.relay
    try:  # the relay's host and CA file boxes are read trimmed too
        relay = replace(relay, host=relay.host.strip(), ca_file=relay.ca_file.strip())
    except ConfigError:
        return None  # a host of blanks only
    state = replace(state, server=replace(state.server, tls=tls, relay=relay))
    payloads = [
        replace(p, kind=PayloadKind.TEXT, text="") if p.kind is PayloadKind.FILE else p
        for p in (state.server_send, state.client_send.payload)
    ]
    # A text box has lines, not a lone CR or Unicode line separators: type those as escapes.
    payloads = [replace(p, text=LINE_BREAKS.sub("\n", p.text)) for p in payloads]
    client_send = replace(
        state.client_send, payload=payloads[1], checksum=shown_checksum(state.client_send.checksum)
    )
    # The server's encoding box is its send box's too: one choice for what it reads and sends.
    server_send = replace(payloads[0], encoding=state.server.encoding)
    return replace(
        state,
        client=client,
        server_send=server_send,
        client_send=client_send,
        server_checksum=shown_checksum(state.server_checksum),
    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(state=configs(TcpTabState).map(shown_by_forms).filter(lambda state: state is not None))
def test_the_tcp_tab_gives_back_what_it_was_given(qtbot: QtBot, state: TcpTabState) -> None:
    tab = TcpTab()
    qtbot.addWidget(tab)
    tab.load_lab_state(state)
    assert tab.lab_state() == state


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(config=configs(FileServerConfig), timeout=st.floats(0.1, 3600).map(lambda t: round(t, 2)))
def test_the_file_server_tab_gives_back_what_it_was_given(
    qtbot: QtBot, config: FileServerConfig, timeout: float
) -> None:
    tab = FileServerTab()
    qtbot.addWidget(tab)
    user, colon, password = config.auth.partition(":")
    auth = f"{user.strip()}:{password}" if colon else ""  # the user box is read trimmed
    try:
        config = replace(config, idle_timeout=timeout, root=config.root.strip(), auth=auth)
    except ConfigError:
        reject()  # only blanks in the user name: not a login the form can hold
    tab.load_lab_state(config)
    assert tab.lab_state() == config


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(config=configs(RawHttpConfig), timeout=st.floats(0.1, 3600).map(lambda t: round(t, 2)))
def test_the_raw_http_tab_gives_back_what_it_was_given(
    qtbot: QtBot, config: RawHttpConfig, timeout: float
) -> None:
    tab = RawHttpTab()
    qtbot.addWidget(tab)
    # Boxes are read trimmed; the editor holds lines (CR, LF and CRLF), not Unicode separators.
    request = RAW_BREAKS.sub("\n", config.request).replace(CR_MARK, "")
    try:
        config = replace(
            config,
            timeout=timeout,
            host=config.host.strip(),
            sni=config.sni.strip(),
            ca_file=config.ca_file.strip(),
            request=request,
        )
    except ConfigError:
        reject()  # only blanks: not a value the form can hold
    tab.load_lab_state(config)
    assert tab.lab_state() == config


def test_a_no_break_space_is_sent_as_typed(qtbot: QtBot) -> None:
    """QPlainTextEdit.toPlainText() turns U+00A0 into a space: the bytes would change under the user."""
    editor = PayloadEditor("test")
    qtbot.addWidget(editor)
    editor.set_payload(Payload(text="a\xa0b\nc"))
    assert editor.payload().text == "a\xa0b\nc"
    assert editor.to_bytes() == b"a\xc2\xa0b\nc"


def test_a_cap_on_a_rounding_half_comes_back_exactly(qtbot: QtBot) -> None:
    tab = RawHttpTab()
    qtbot.addWidget(tab)
    config = RawHttpConfig(cap=65536)  # 0.0625 MB: Qt shows 0.063, Python would round to 0.062
    tab.load_lab_state(config)
    assert tab.lab_state() == config
