"""Configs to JSON and back: every config round-trips, and bad data is refused naming the field."""

from __future__ import annotations

import dataclasses
import enum
import importlib
import inspect
import json
import pkgutil
import types
import typing
from typing import Any

import pytest
from hypothesis import example, given, reject, settings
from hypothesis import strategies as st

import netlab
from netlab.core.autoreply import MatchKind, Rule
from netlab.core.codec import Payload, PayloadKind
from netlab.core.config import ConfigError, Family
from netlab.core.sendbox import SendBox
from netlab.http.file_server import FileServerConfig
from netlab.lab import serial
from netlab.lab.labfile import SECTIONS
from netlab.lab.serial import dump, has_secrets, load
from netlab.tcp.config import ServerMode, TcpClientConfig, TcpServerConfig, TlsServerSettings


def _reachable(cls: type[Any], found: set[type[Any]]) -> None:
    if cls in found:
        return
    found.add(cls)
    for hint in typing.get_type_hints(cls).values():
        for part in (hint, *typing.get_args(hint)):
            if dataclasses.is_dataclass(part) and isinstance(part, type):
                _reachable(part, found)


def every_config() -> list[type[Any]]:
    """Every lab section and what it holds, and every validated frozen dataclass in netlab: a new
    config is covered by the tests below the moment it exists."""
    found: set[type[Any]] = set()
    for section in SECTIONS.values():
        _reachable(section, found)
    for info in pkgutil.walk_packages(netlab.__path__, "netlab."):
        if info.name.endswith("__main__"):
            continue
        module = importlib.import_module(info.name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if (
                cls.__module__ == info.name
                and dataclasses.is_dataclass(cls)
                and hasattr(cls, "__post_init__")
            ):
                _reachable(cls, found)
    return sorted(found, key=lambda cls: cls.__qualname__)


CONFIGS = every_config()


def test_the_config_list_is_complete() -> None:
    names = {cls.__name__ for cls in CONFIGS}
    assert {
        "TcpServerConfig",
        "TcpClientConfig",
        "TlsServerSettings",
        "Rule",
        "Payload",
        "PeriodicSend",
        "SendBox",
        "FileServerConfig",
        "UdpReceiverConfig",
        "UdpSenderConfig",
        "TrafficConfig",
        "TcpTabState",
        "UdpTabState",
    } <= names


_HOSTS = st.sampled_from(["127.0.0.1", "::1", "localhost", "0.0.0.0", "::", "example.org"])


def _values(hint: Any, name: str) -> st.SearchStrategy[Any]:
    """Values of a field's type, wild ones included: the config's own checks decide what is valid."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return st.one_of(*(_values(arg, name) for arg in typing.get_args(hint)))
    if hint is type(None):
        return st.none()
    if origin is tuple:
        return st.lists(_values(typing.get_args(hint)[0], name), max_size=3).map(tuple)
    if dataclasses.is_dataclass(hint):
        return configs(hint)  # type: ignore[arg-type]
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return st.sampled_from(list(hint))
    if hint is bool:
        return st.booleans()
    if hint is int:
        return st.integers(-5, 70_000)
    if hint is float:
        return st.floats(-1, 5000, allow_nan=False)
    if name == "host":
        return _HOSTS | st.text(max_size=12)
    if name == "encoding":
        return st.sampled_from(["utf-8", "latin-1", "gbk", "utf-16-le", "no-such-codec"])
    return st.text(max_size=20)


@st.composite
def _build(draw: st.DrawFn, cls: type[Any]) -> Any:
    hints = typing.get_type_hints(cls)
    values = {f.name: draw(_values(hints[f.name], f.name)) for f in dataclasses.fields(cls) if f.init}
    defaults = {f.name: f.default for f in dataclasses.fields(cls) if f.default is not dataclasses.MISSING}
    for _ in range(len(values) + 1):
        try:
            return cls(**values)
        except ConfigError as exc:
            # Put the refused fields back to their defaults and try again, so most draws give a config.
            bad = {
                p.field
                for p in exc.problems
                if p.field in values and values[p.field] != defaults.get(p.field)
            }
            if not bad:
                break
            values.update({name: defaults[name] for name in bad})
    reject()


def configs(cls: type[Any]) -> st.SearchStrategy[Any]:
    return _build(cls)


@pytest.mark.parametrize("cls", CONFIGS, ids=lambda c: c.__name__)
@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_every_config_round_trips_through_json(cls: type[Any], data: st.DataObject) -> None:
    config = data.draw(configs(cls))
    text = json.dumps(dump(config))  # JSON-safe: no enums, tuples or other Python-only values left
    assert load(cls, json.loads(text)) == config


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=10,
)


@pytest.mark.parametrize("cls", CONFIGS, ids=lambda c: c.__name__)
@settings(max_examples=40, deadline=None)
@given(junk=st.dictionaries(st.sampled_from(["host", "port", "mode", "rules", "tls", "payload", "x"]), JSON))
def test_any_junk_is_a_config_error_never_a_crash(cls: type[Any], junk: dict[str, Any]) -> None:
    try:
        load(cls, junk)
    except ConfigError as exc:
        assert exc.problems and all(p.field and p.message for p in exc.problems)


@pytest.mark.parametrize("cls", CONFIGS, ids=lambda c: c.__name__)
@settings(max_examples=60, deadline=None)
@given(junk=st.dictionaries(st.sampled_from(["host", "port", "mode", "rules", "tls", "payload", "x"]), JSON))
@example(junk={"port": "12"})
@example(junk={"port": True})
@example(junk={"port": 12.0})
@example(junk={"host": 5})
@example(junk={"rules": "exit"})
@example(junk={"tls": {"self_signed": 1}})
def test_the_fast_way_accepts_only_what_cattrs_accepts_and_builds_the_same(
    cls: type[Any], junk: dict[str, Any]
) -> None:
    """load() takes msgspec's answer when it has one and no key was left out; cattrs must agree."""
    fast = serial.fast_load(cls, junk)
    if fast is not None:
        assert serial._converter().structure(junk, cls) == fast


@pytest.mark.parametrize("cls", CONFIGS, ids=lambda c: c.__name__)
@settings(max_examples=20, deadline=None)
@given(data=st.data())
def test_good_data_loads_the_fast_way_as_cattrs_loads_it(cls: type[Any], data: st.DataObject) -> None:
    config = data.draw(configs(cls))
    saved = json.loads(json.dumps(dump(config)))
    assert serial.fast_load(cls, saved) == serial._converter().structure(saved, cls) == config


@pytest.mark.parametrize(
    "data",
    [
        {"rules": [{"match": "exact", "pattern": "hi", "reply": "yo", "typo": 1}], "mode": "rules"},
        {"relay": {"host": "127.0.0.1", "colour": "blue"}},
        {"tls": {"self_signed": True, "extra": 0}},
    ],
)
def test_a_key_msgspec_ignores_deep_inside_goes_to_cattrs_and_is_refused(data: dict[str, Any]) -> None:
    assert serial.fast_load(TcpServerConfig, data) is None
    with pytest.raises(ConfigError, match="is not a field NetLab knows"):
        load(TcpServerConfig, data, "server")


def test_enums_are_written_by_value_and_tuples_as_lists() -> None:
    config = TcpServerConfig(mode=ServerMode.RULES, rules=(Rule(MatchKind.REGEX, "^a+$", "b"),))
    data = dump(config)
    assert data["mode"] == "rules" and type(data["mode"]) is str
    assert data["rules"] == [{"match": "regex", "pattern": "^a+$", "reply": "b"}]
    assert dump(SendBox())["payload"]["kind"] == "text"


def test_missing_keys_take_their_defaults() -> None:
    assert load(TcpServerConfig, {"port": 7}) == TcpServerConfig(port=7)


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        ({"bogus": 1}, "server.bogus", "server.bogus is not a field NetLab knows"),
        ({"port": "9000"}, "server.port", "server.port must be a whole number, not '9000'"),
        ({"port": True}, "server.port", "must be a whole number, not True"),
        ({"port": 70000}, "server.port", "server.port: Port 70000 is out of range"),
        ({"mode": "shout"}, "server.mode", 'must be one of "echo", "upper"'),
        ({"mode": "rules"}, "server.rules", "Auto-reply mode has no rules"),
        ({"tls": {"self_signed": False}}, "server.tls.cert_file", "No certificate file chosen"),
        ({"tls": {"self_signed": "yes"}}, "server.tls.self_signed", "must be true or false"),
        ({"rules": [{}, {"match": "regex", "pattern": "("}]}, "server.rules[1].pattern", "is invalid"),
        ({"rules": [{"match": "glob"}]}, "server.rules[0].match", 'must be one of "exact"'),
        ({"quit_words": "exit"}, "server.quit_words", ""),
        ({"tls": []}, "server.tls", "has the wrong shape"),
        ({"encoding": "klingon"}, "server.encoding", "Unknown encoding 'klingon'"),
    ],
)
def test_bad_data_is_refused_naming_the_field(data: dict[str, Any], field: str, words: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load(TcpServerConfig, data, "server")
    problem = caught.value.problems[0]
    assert problem.field == field
    assert words in problem.message


def test_a_config_that_is_not_a_section_is_refused() -> None:
    with pytest.raises(ConfigError, match="server has the wrong shape"):
        load(TcpServerConfig, [1, 2], "server")


def test_strings_become_enums_and_bad_ones_are_refused() -> None:
    assert TcpServerConfig(mode="upper").mode is ServerMode.UPPER  # type: ignore[arg-type]
    assert TcpClientConfig(family="ipv6", host="::1").family is Family.IPV6  # type: ignore[arg-type]
    assert Payload(kind="hex", text="41").to_bytes() == b"A"  # type: ignore[arg-type]
    assert Rule(match="contains", pattern="x").match is MatchKind.CONTAINS  # type: ignore[arg-type]
    with pytest.raises(ConfigError) as caught:
        TcpServerConfig(mode="rules")  # type: ignore[arg-type]
    assert caught.value.problems[0].field == "rules"
    with pytest.raises(ConfigError) as caught:
        TcpServerConfig(mode="shout")  # type: ignore[arg-type]
    assert caught.value.problems[0].field == "mode"
    assert "choose one of: echo, upper" in caught.value.problems[0].hint
    with pytest.raises(ConfigError, match="not a valid kind"):
        Payload(kind="morse")  # type: ignore[arg-type]


def test_configs_do_not_look_at_this_machine() -> None:
    """A lab written elsewhere must load: missing files are found at Start, not here."""
    TcpServerConfig(tls=TlsServerSettings(cert_file="/nowhere/cert.pem", key_file="/nowhere/key.pem"))
    TcpClientConfig(tls=True, ca_file="/nowhere/ca.pem")
    FileServerConfig(root="/nowhere")


def test_rules_hold_plain_data_and_still_match() -> None:
    rule = Rule(MatchKind.REGEX, r"^who(ami)?$", "you")
    assert [f.name for f in dataclasses.fields(rule)] == ["match", "pattern", "reply"]
    assert rule.matches("whoami\n") and not rule.matches("who are you")
    assert rule == Rule(MatchKind.REGEX, r"^who(ami)?$", "you")
    assert hash(rule) == hash(Rule(MatchKind.REGEX, r"^who(ami)?$", "you"))


def test_secrets_are_left_out_when_asked() -> None:
    config = FileServerConfig(auth="student:secret")
    assert has_secrets(config) and not has_secrets(FileServerConfig())
    assert "auth" not in dump(config, secrets=False)
    assert dump(config)["auth"] == "student:secret"
    assert load(FileServerConfig, dump(config, secrets=False)) == FileServerConfig()
    assert PayloadKind.FILE.value == "file"


def test_quit_words_are_kept_as_they_are_matched() -> None:
    assert TcpServerConfig(quit_words=(" bye ", "", "exit")).quit_words == ("bye", "exit")
    with pytest.raises(ConfigError) as caught:
        TcpServerConfig(quit_words=("a,b",))
    assert caught.value.problems[0].field == "quit_words"
