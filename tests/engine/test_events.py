"""Events: frozen records, equal by value, and never walked by the garbage collector."""

from __future__ import annotations

import dataclasses
import enum
import gc
import inspect
import types
import typing

import msgspec
import pytest

import netlab.http.download
import netlab.http.form_client
from netlab.core import events
from netlab.core.events import Data, Direction, Event, Info, PeriodicEnded


def every_event_class() -> list[type[Event]]:
    found: list[type[Event]] = []
    for module in (events, netlab.http.download, netlab.http.form_client):
        found += [
            cls
            for _, cls in inspect.getmembers(module, inspect.isclass)
            if issubclass(cls, Event) and cls.__module__ == module.__name__
        ]
    return found


def test_events_are_frozen_and_equal_by_value() -> None:
    event = Data(direction=Direction.SENT, data=b"hi", conn=1, wall=1.0, mono=2.0)
    with pytest.raises(AttributeError):
        event.data = b"changed"  # type: ignore[misc]
    assert event == Data(direction=Direction.SENT, data=b"hi", conn=1, wall=1.0, mono=2.0)
    assert hash(event) == hash(Data(direction=Direction.SENT, data=b"hi", conn=1, wall=1.0, mono=2.0))
    assert Info(text="x", wall=1.0, mono=2.0) != PeriodicEnded(text="x", sends=0, wall=1.0, mono=2.0)


def test_replace_keeps_the_kind_of_event() -> None:
    ended = PeriodicEnded(text="stopped by you", sends=3)
    changed = msgspec.structs.replace(ended, text="done")
    assert type(changed) is PeriodicEnded and changed.sends == 3 and changed.text == "done"


@pytest.mark.parametrize("cls", every_event_class(), ids=lambda cls: cls.__name__)
def test_every_event_is_frozen_and_not_tracked_by_the_garbage_collector(cls: type[Event]) -> None:
    """A long capture holds a million events: a full collection must not have to walk them. Safe
    because no event field can lead back to an event (no lists, dicts or other mutable holders)."""
    config = cls.__struct_config__  # type: ignore[attr-defined]
    assert config.frozen and not config.gc


def test_an_event_is_not_tracked_by_the_garbage_collector() -> None:
    assert not gc.is_tracked(Data(direction=Direction.RECEIVED, data=b"x" * 10))


def test_the_list_of_event_classes_is_complete() -> None:
    names = {cls.__name__ for cls in every_event_class()}
    assert {"Event", "Data", "Info", "Error", "HttpExchange", "DownloadProgress", "FormResponse"} <= names


def immutable(kind: object) -> bool:
    """A field type that can't hold an event (or anything that could lead back to one)."""
    if kind in (str, bytes, int, float, bool, type(None)):
        return True
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        return True
    if isinstance(kind, type) and dataclasses.is_dataclass(kind):  # a record of such fields
        hints = typing.get_type_hints(kind)
        return kind.__dataclass_params__.frozen and all(
            immutable(hints[f.name]) for f in dataclasses.fields(kind)
        )  # type: ignore[attr-defined]
    origin, args = typing.get_origin(kind), typing.get_args(kind)
    if origin in (tuple, typing.Union, types.UnionType):
        return all(immutable(arg) for arg in args if arg is not Ellipsis)
    return False


@pytest.mark.parametrize("cls", every_event_class(), ids=lambda cls: cls.__name__)
def test_every_event_field_is_immutable_so_no_event_can_be_in_a_cycle(cls: type[Event]) -> None:
    """gc=False is inherited: a later event with a list or dict field would silently leave cycles
    through it to leak. Scalars, enums and tuples of them can't hold a reference back."""
    hints = typing.get_type_hints(cls)
    assert {name: hints[name] for name in cls.__struct_fields__ if not immutable(hints[name])} == {}  # type: ignore[attr-defined]
