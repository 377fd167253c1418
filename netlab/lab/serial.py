"""Configs to JSON-safe data and back, for every config dataclass: cattrs, and msgspec to load good data.

`dump(config)` gives plain dicts, lists, strings, numbers and booleans (enums by value, tuples as lists);
`load(cls, data)` builds the config again, running its own checks. Anything wrong (an unknown key, a
wrong type, a bad value) becomes one ConfigError whose problems name the field by its dotted path, e.g.
`server.rules[1].pattern`. Version numbers live in the files that hold the data (see labfile.py).

load() first asks msgspec, which builds good data in C and loads in about a millisecond: the app
restores its workspace this way at every start, and importing cattrs alone took 20 to 30 ms of it
(issue 8). msgspec stops at the first problem and ignores keys it does not know, so data it refuses,
or with a key it left out, goes to cattrs, which names every problem at once.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import json
import typing
from typing import TYPE_CHECKING, Any, TypeVar

import msgspec

from netlab.core.config import ConfigError, FieldProblem, is_secret

if TYPE_CHECKING:
    import cattrs

T = TypeVar("T")


@dataclasses.dataclass(eq=False)
class _WrongType(TypeError):
    """A JSON value of the wrong kind; `expected` says in words what the field takes."""

    value: object
    expected: str
    example: str


# What each JSON kind is called in a message, and an example of it; enums list their own values.
_WORDS: dict[type, tuple[str, str]] = {
    int: ("a whole number", "42"),
    float: ("a number", "2.5"),
    str: ("text in double quotes", '"text"'),
    bool: ("true or false", "true"),
}


@functools.cache
def _converter() -> cattrs.Converter:
    """The one converter, built on first use: cattrs is imported only when a lab is saved or bad data
    must be explained.

    Its hooks are module functions bound with partial(), so what they do is decided when they run.
    """
    import cattrs

    converter = cattrs.Converter(forbid_extra_keys=True, unstruct_collection_overrides={tuple: list})
    for kind in _WORDS:
        converter.register_structure_hook(kind, functools.partial(_structure_strict, kind))
    converter.register_structure_hook_func(_is_tuple, functools.partial(_structure_tuple, converter))
    # Our enums are str-valued, so cattrs dispatches them as str: these hooks tell the two apart.
    converter.register_unstructure_hook(str, _value)
    return converter


def _structure_strict(kind: type, value: Any, target: type) -> Any:
    """cattrs would call int("12") or str(12); a lab file saying "port": "twelve" must be refused instead."""
    if _is_enum(target):
        return _enum_member(value, target)
    expected, example = _WORDS[kind]
    # bool is an int in Python, but `"port": true` is a mistake in a file.
    if isinstance(value, bool) and kind is not bool:
        raise _WrongType(value, expected, example)
    if kind is float and isinstance(value, int):
        return float(value)
    if not isinstance(value, kind):
        raise _WrongType(value, expected, example)
    return value


def _is_tuple(kind: Any) -> bool:
    return typing.get_origin(kind) is tuple


def _structure_tuple(converter: cattrs.Converter, value: Any, target: Any) -> Any:
    """cattrs would read "exit" as ('e', 'x', 'i', 't'): a list field must hold a list."""
    if not isinstance(value, (list, tuple)):
        raise _WrongType(value, "a list in square brackets", '["exit", "quit"]')
    return converter._structure_tuple(value, target)


def _is_enum(kind: Any) -> bool:
    return isinstance(kind, type) and issubclass(kind, enum.Enum)


def _value(text: str) -> str:
    return text.value if isinstance(text, enum.Enum) else text


def _enum_member(value: Any, kind: type[enum.Enum]) -> enum.Enum:
    try:
        return kind(value)
    except ValueError:
        choices = ", ".join(json.dumps(member.value) for member in kind)
        raise _WrongType(value, f"one of {choices}", json.dumps(next(iter(kind)).value)) from None


def dump(config: Any, *, secrets: bool = True) -> dict[str, Any]:
    """The config as JSON-safe data. With secrets=False, password and token fields are left out."""
    data: dict[str, Any] = _converter().unstructure(config)
    if not secrets:
        _drop_secrets(config, data)
    return data


def has_secrets(config: Any) -> bool:
    """True if any secret field (at any depth) holds something other than its default."""
    return any(_secret_values(config))


def _secret_values(config: Any) -> list[object]:
    found: list[object] = []
    if dataclasses.is_dataclass(config) and not isinstance(config, type):
        for field in dataclasses.fields(config):
            value = getattr(config, field.name)
            if is_secret(field) and value != field.default:
                found.append(value)
            found += _secret_values(value)
    elif isinstance(config, tuple):
        for item in config:
            found += _secret_values(item)
    return found


def _drop_secrets(config: Any, data: Any) -> None:
    """Remove secret fields from `data`, which is dump()'s data for `config`, at any depth."""
    if dataclasses.is_dataclass(config) and not isinstance(config, type):
        for field in dataclasses.fields(config):
            if is_secret(field):
                del data[field.name]
            else:
                _drop_secrets(getattr(config, field.name), data[field.name])
    elif isinstance(config, tuple):
        for index, item in enumerate(config):
            _drop_secrets(item, data[index])


def load(cls: type[T], data: Any, where: str = "") -> T:
    """Build a `cls` from dump()'s data; missing keys take their defaults.

    Raises ConfigError naming each bad field by its dotted path, prefixed with `where` if given
    (every failure cattrs reports becomes at least one FieldProblem).
    """
    config = fast_load(cls, data)
    if config is not None:
        return config
    try:
        return _converter().structure(data, cls)
    except Exception as exc:  # cattrs groups every failure; each becomes a FieldProblem below
        raise ConfigError(_problems(exc, [where])) from None


def fast_load(cls: type[T], data: Any) -> T | None:
    """msgspec's `cls` for `data`, or None if it refused the data or left out one of its keys (then
    cattrs must say exactly what is wrong)."""
    try:
        # As strict as the hooks below: no "12" for 12, no true for 1, no "exit" for ["exit"].
        config = msgspec.convert(data, cls, strict=True)
        left_out = _left_out(data, msgspec.to_builtins(config))
    except Exception:  # refused, or a type msgspec cannot read
        return None
    return None if left_out else config


def _left_out(data: Any, built: Any) -> bool:
    """True if `data` holds a key that `built` (the loaded config, as plain data) does not: a key
    msgspec ignored, which cattrs must refuse by name."""
    if isinstance(data, dict) and isinstance(built, dict):
        return any(key not in built or _left_out(value, built[key]) for key, value in data.items())
    if isinstance(data, list) and isinstance(built, (list, tuple)):
        return len(data) != len(built) or any(map(_left_out, data, built))
    return False


def _path(parts: list[str | int]) -> str:
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else part
    return text


def _problems(exc: BaseException, path: list[str | int]) -> list[FieldProblem]:
    from cattrs import ClassValidationError
    from cattrs.errors import AttributeValidationNote, ForbiddenExtraKeysError, IterableValidationError

    if isinstance(exc, (ClassValidationError, IterableValidationError)):
        problems = []
        with_notes, without = exc.group_exceptions()
        for sub, note in with_notes:
            # A section's field is named by its name, a list's item by its index.
            step = note.name if isinstance(note, AttributeValidationNote) else note.index
            problems += _problems(sub, [*path, step])
        for sub in without:
            problems += _problems(sub, path)
        return problems
    where = _path(path) or "the file"
    if isinstance(exc, ConfigError):
        if not exc.problems:  # a check that refused without saying why still gets a line
            return [FieldProblem(where, f"{where} was refused", "compare it with a saved lab")]
        return [
            FieldProblem(_path([*path, p.field]), f"{_path([*path, p.field])}: {p.message}", p.hint)
            for p in exc.problems
        ]
    if isinstance(exc, ForbiddenExtraKeysError):
        known = ", ".join(f.name for f in dataclasses.fields(exc.cl))  # every config is a dataclass
        return [
            FieldProblem(
                _path([*path, name]),
                f"{_path([*path, name])} is not a field NetLab knows",
                f"check its spelling, or remove it; {where} takes {known}",
            )
            for name in sorted(exc.extra_fields)
        ]
    if isinstance(exc, _WrongType):
        return [
            FieldProblem(where, f"{where} must be {exc.expected}, not {exc.value!r}", f"e.g. {exc.example}")
        ]
    if isinstance(exc, KeyError):
        return [FieldProblem(where, f"{where} is missing", "add it, or delete the section for defaults")]
    if isinstance(exc, (TypeError, AttributeError)):
        # A list where a section was expected, a number where a list was: the value's shape is wrong.
        return [FieldProblem(where, f"{where} has the wrong shape ({exc})", "compare it with a saved lab")]
    return [FieldProblem(where, f"{where}: {exc}", "")]
