"""Lab-file data, exactly: what dump() writes for each kind of field, and each message a bad file gets.

A small config of our own holds one field of every kind the real configs use (whole numbers, numbers,
text, switches, str enums, optional values, lists of text, nested sections, lists of sections, secrets),
so these tests do not change when a tab adds a field; the last tests go through real lab files.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from netlab.core.config import ConfigError, FieldProblem, secret
from netlab.lab import labfile, serial
from netlab.lab.labfile import Lab, LabError
from netlab.lab.serial import dump, has_secrets, load
from netlab.tcp.config import ServerMode, TcpServerConfig, TcpTabState


@pytest.fixture(autouse=True)
def fresh_converter() -> Iterator[None]:
    """Each test builds the converter itself: none passes because an earlier test built it."""
    serial._converter.cache_clear()
    yield
    serial._converter.cache_clear()


class Colour(str, enum.Enum):
    RED = "red"
    GREEN = "green"


@dataclass(frozen=True)
class Inner:
    name: str = "a"
    weight: float = 1.0
    on: bool = False
    colour: Colour = Colour.RED
    token: str = secret()

    def __post_init__(self) -> None:
        if self.name == "bad":
            raise ConfigError([FieldProblem("name", "Name 'bad' is taken", "pick another")])
        if self.name == "silent":
            raise ConfigError([])
        if self.name == "boom":
            raise ValueError("a plain failure")


@dataclass(frozen=True)
class Outer:
    port: int = 1
    inner: Inner = field(default_factory=Inner)
    items: tuple[Inner, ...] = ()
    words: tuple[str, ...] = ("x",)
    password: str = secret()
    maybe: int | None = None


@dataclass(frozen=True)
class Needs:
    name: str


TEXT_EG, LIST_EG = 'e.g. "text"', 'e.g. ["exit", "quit"]'
INNER = {"name": "a", "weight": 1.0, "on": False, "colour": "red", "token": ""}


def test_dump_writes_plain_json_values_enums_by_value_and_tuples_as_lists() -> None:
    config = Outer(
        port=7,
        inner=Inner(name="n", weight=2.5, on=True, colour=Colour.GREEN),
        items=(Inner(token="t"),),
        words=("exit", "quit"),
        password="pw",
        maybe=3,
    )
    data = dump(config)
    assert data == {
        "port": 7,
        "inner": {"name": "n", "weight": 2.5, "on": True, "colour": "green", "token": ""},
        "items": [{**INNER, "token": "t"}],
        "words": ["exit", "quit"],
        "password": "pw",
        "maybe": 3,
    }
    assert type(data["inner"]["colour"]) is str and type(data["words"]) is list
    assert json.loads(json.dumps(data)) == data
    assert load(Outer, data) == config
    assert type(load(Outer, data).inner.colour) is Colour


def test_secrets_are_dropped_at_every_depth_and_only_secrets() -> None:
    config = Outer(inner=Inner(token="a"), items=(Inner(token="b"), Inner(token="c")), password="pw")
    assert dump(config, secrets=False) == {
        "port": 1,
        "inner": {"name": "a", "weight": 1.0, "on": False, "colour": "red"},
        "items": [{"name": "a", "weight": 1.0, "on": False, "colour": "red"}] * 2,
        "words": ["x"],
        "maybe": None,
    }
    assert dump(config)["items"][1]["token"] == "c"  # dump(secrets=True) keeps them all


@pytest.mark.parametrize(
    ("config", "holds"),
    [
        (Outer(), False),
        (Outer(password="pw"), True),
        (Outer(inner=Inner(token="t")), True),
        (Outer(items=(Inner(token="t"), Inner())), True),
        (Outer(items=(Inner(), Inner(token="t"))), True),
        (Outer(inner=Inner(name="n", on=True), items=(Inner(colour=Colour.GREEN),)), False),
    ],
)
def test_has_secrets_looks_at_every_depth(config: Outer, holds: bool) -> None:
    assert has_secrets(config) is holds


def test_missing_keys_take_defaults_and_whole_numbers_are_numbers() -> None:
    assert load(Outer, {}) == Outer()
    loaded = load(Outer, {"inner": {"weight": 2}, "maybe": None})
    assert loaded.inner.weight == 2.0 and type(loaded.inner.weight) is float
    assert load(Outer, {"words": ["exit"]}).words == ("exit",)
    assert load(Outer, {"items": [{"colour": "green"}]}).items == (Inner(colour=Colour.GREEN),)
    assert load(Outer, {"inner": {"on": True}}).inner.on is True


@pytest.mark.parametrize(
    ("data", "problems"),
    [
        ({"port": "1"}, [("lab.port", "lab.port must be a whole number, not '1'", "e.g. 42")]),
        ({"port": True}, [("lab.port", "lab.port must be a whole number, not True", "e.g. 42")]),
        ({"port": 1.5}, [("lab.port", "lab.port must be a whole number, not 1.5", "e.g. 42")]),
        ({"maybe": "3"}, [("lab.maybe", "lab.maybe must be a whole number, not '3'", "e.g. 42")]),
        (
            {"inner": {"weight": "2"}},
            [("lab.inner.weight", "lab.inner.weight must be a number, not '2'", "e.g. 2.5")],
        ),
        (
            {"inner": {"weight": False}},
            [("lab.inner.weight", "lab.inner.weight must be a number, not False", "e.g. 2.5")],
        ),
        ({"inner": {"on": 1}}, [("lab.inner.on", "lab.inner.on must be true or false, not 1", "e.g. true")]),
        (
            {"inner": {"name": 5}},
            [("lab.inner.name", "lab.inner.name must be text in double quotes, not 5", 'e.g. "text"')],
        ),
        (
            {"inner": {"colour": "blue"}},
            [
                (
                    "lab.inner.colour",
                    'lab.inner.colour must be one of "red", "green", not \'blue\'',
                    'e.g. "red"',
                )
            ],
        ),
        (
            {"words": "exit"},
            [
                (
                    "lab.words",
                    "lab.words must be a list in square brackets, not 'exit'",
                    'e.g. ["exit", "quit"]',
                )
            ],
        ),
        (
            {"words": ["a", 3]},
            [("lab.words[1]", "lab.words[1] must be text in double quotes, not 3", 'e.g. "text"')],
        ),
        (
            {"items": [{}, {"name": "bad"}]},
            [("lab.items[1].name", "lab.items[1].name: Name 'bad' is taken", "pick another")],
        ),
        (
            {"port": "x", "inner": {"on": 2}},
            [
                ("lab.port", "lab.port must be a whole number, not 'x'", "e.g. 42"),
                ("lab.inner.on", "lab.inner.on must be true or false, not 2", "e.g. true"),
            ],
        ),
        (
            {"items": [{"name": 1}, {"name": 2}]},
            [
                (
                    "lab.items[0].name",
                    "lab.items[0].name must be text in double quotes, not 1",
                    'e.g. "text"',
                ),
                (
                    "lab.items[1].name",
                    "lab.items[1].name must be text in double quotes, not 2",
                    'e.g. "text"',
                ),
            ],
        ),
        (
            {"inner": {"zzz": 1, "nme": "x"}},
            [
                (
                    f"lab.inner.{name}",
                    f"lab.inner.{name} is not a field NetLab knows",
                    "check its spelling, or remove it; lab.inner takes name, weight, on, colour, token",
                )
                for name in ("nme", "zzz")
            ],
        ),
        ({"inner": {"name": "boom"}}, [("lab.inner", "lab.inner: a plain failure", "")]),
        (
            {"inner": {"name": "silent"}},
            [("lab.inner", "lab.inner was refused", "compare it with a saved lab")],
        ),
        (
            {"inner": 3},
            [
                (
                    "lab.inner",
                    "lab.inner has the wrong shape (argument of type 'int' is not iterable)",
                    "compare it with a saved lab",
                )
            ],
        ),
    ],
)
def test_each_bad_value_gets_its_own_words_naming_the_field(
    data: dict[str, Any], problems: list[tuple[str, str, str]]
) -> None:
    with pytest.raises(ConfigError) as caught:
        load(Outer, data, "lab")
    assert [(p.field, p.message, p.hint) for p in caught.value.problems] == problems


def test_without_a_place_the_field_path_starts_at_the_top() -> None:
    with pytest.raises(ConfigError) as caught:
        load(Outer, {"items": [{"name": "bad"}], "x": 1})
    assert [str(p) for p in caught.value.problems] == [
        "items[0].name: Name 'bad' is taken: pick another",
        "x is not a field NetLab knows: check its spelling, or remove it; "
        "the file takes port, inner, items, words, password, maybe",
    ]
    with pytest.raises(ConfigError) as caught:
        load(Outer, [1])
    assert str(caught.value) == (
        "the file has the wrong shape ('list' object has no attribute 'keys'): compare it with a saved lab"
    )


def test_a_missing_required_field_is_named() -> None:
    with pytest.raises(ConfigError) as caught:
        load(Needs, {}, "lab")
    assert str(caught.value) == "lab.name is missing: add it, or delete the section for defaults"


def _lab_text(sections: dict[str, Any]) -> str:
    return json.dumps({"format": "netlab-lab", "version": 1, "sections": sections})


@pytest.mark.parametrize(
    ("tcp", "line"),
    [
        ({"server": {"port": "80"}}, "sections.tcp.server.port must be a whole number, not '80': e.g. 42"),
        (
            {"server": {"mode": "shout"}},
            'sections.tcp.server.mode must be one of "echo", "upper", "daytime", ',  # ... every mode
        ),
        (
            {"server": {"quit_words": "bye"}},
            "sections.tcp.server.quit_words must be a list in square brackets, not 'bye': "
            'e.g. ["exit", "quit"]',
        ),
        (
            {"server": {"rules": [{"match": "regex", "pattern": "("}]}},
            "sections.tcp.server.rules[0].pattern: ",
        ),
        ({"sever": {}}, "sections.tcp.sever is not a field NetLab knows: check its spelling, or remove it; "),
    ],
)
def test_a_bad_tcp_section_says_which_field_in_one_line(tcp: dict[str, Any], line: str) -> None:
    with pytest.raises(LabError) as caught:
        labfile.loads(_lab_text({"tcp": tcp}))
    assert str(caught.value).startswith(line)
    assert "\n" not in str(caught.value)


def test_a_saved_lab_holds_plain_values_and_opens_as_saved() -> None:
    state = TcpTabState(server=TcpServerConfig(port=7001, mode=ServerMode.UPPER, quit_words=("bye",)))
    text = labfile.dumps(Lab(title="T", states={"tcp": state}))
    server = json.loads(text)["sections"]["tcp"]["server"]
    assert (server["port"], server["mode"], server["quit_words"]) == (7001, "upper", ["bye"])
    assert '"mode": "upper"' in text and '"quit_words": [\n' in text
    assert labfile.loads(text).state("tcp") == state
