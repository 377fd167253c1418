"""The HTTP form tab gives back any config it is given (what its boxes can hold), field for field."""

from __future__ import annotations

import re
from dataclasses import replace

from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st
from pytestqt.qtbot import QtBot

from netlab.core.config import ConfigError
from netlab.http.form_config import HttpFormConfig, NameValue, Upload
from ui.tabs.http_form import HttpFormTab

from ..engine.test_serial import configs

LINE_BREAKS = re.compile("\r\n?|[\u2028\u2029\x0b\x0c\x1c-\x1e\x85]")


def shown_by_the_form(config: HttpFormConfig, timeout: float, backoff: float) -> HttpFormConfig:
    """Spin boxes keep two decimals and whole MB; line boxes are read trimmed; a text box holds lines;
    an empty table row is no row; a file without a type is sent as application/octet-stream."""
    return replace(
        config,
        url=config.url.strip(),
        headers=tuple(NameValue(h.name.strip(), h.value) for h in config.headers if h.name or h.value),
        body=LINE_BREAKS.sub("\n", config.body),
        fields=tuple(f for f in config.fields if f.name or f.value),
        files=tuple(
            Upload(u.field, u.path, u.content_type or "application/octet-stream")
            for u in config.files
            if u.field or u.path or u.content_type
        ),
        token=config.token.strip(),
        timeout=timeout,
        backoff=backoff,
        ca_file=config.ca_file.strip(),
        proxy=config.proxy.strip(),
        cap=max(1, config.cap // 2**20) * 2**20,
    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    config=configs(HttpFormConfig),
    timeout=st.floats(0.1, 3600).map(lambda t: round(t, 2)),
    backoff=st.floats(0, 60).map(lambda t: round(t, 2)),
)
def test_the_http_form_tab_gives_back_what_it_was_given(
    qtbot: QtBot, config: HttpFormConfig, timeout: float, backoff: float
) -> None:
    tab = HttpFormTab()
    qtbot.addWidget(tab)
    try:
        config = shown_by_the_form(config, timeout, backoff)
    except ConfigError:
        reject()  # only blanks, say: not a value the form can hold
    tab.load_lab_state(config)
    assert tab.lab_state() == config
