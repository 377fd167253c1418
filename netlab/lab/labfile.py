"""Lab files (*.netlab): every tab's config plus a Markdown exercise, as versioned JSON.

A tab joins by adding its section here: SECTIONS maps the section name (the tab's `lab_key`) to the
frozen dataclass its `lab_state()` returns. The same functions save the last workspace in QSettings.
Reading is all-or-nothing: a file that is broken, from a newer NetLab, or has one bad field raises
LabError with one plain line naming the field, and nothing is half-applied.

Only the workspace may leave sections unread (`loads(text, unread=...)`): a tab that is built when first
opened gets its section as an Unread, read when the tab is built, and written back as it was if the tab
never was. So the window shows without reading (and importing) the config of every tab.
"""

from __future__ import annotations

import importlib
import json
import os
import tempfile
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from netlab.core.config import ConfigError
from netlab.core.problem import NetLabError
from netlab.lab import SUFFIX

FORMAT = "netlab-lab"
VERSION = 1  # raise when a saved lab would mean something else to an older NetLab


class _Sections(Mapping[str, type[Any]]):
    """Section name -> config class, each class imported when first asked for: the window opens
    without importing the configs (and their checks' modules) of tabs nobody has opened yet."""

    def __init__(self, names: dict[str, str]) -> None:
        self._names = names

    def __getitem__(self, key: str) -> type[Any]:
        module, _, name = self._names[key].rpartition(".")
        kind: type[Any] = getattr(importlib.import_module(module), name)
        return kind

    def __contains__(self, key: object) -> bool:
        return key in self._names  # Mapping's own would import the class

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)


SECTIONS: Mapping[str, type[Any]] = _Sections(
    {
        "tcp": "netlab.tcp.config.TcpTabState",
        "udp": "netlab.udp.config.UdpTabState",
        "raw_http": "netlab.http.raw_config.RawHttpConfig",
        "http_form": "netlab.http.form_config.HttpFormConfig",
        "files": "netlab.http.config.FileServerConfig",
    }
)


class LabError(NetLabError):
    """A lab file that cannot be opened; str() is one plain line saying where and why."""


@dataclass(frozen=True)
class Unread:
    """A workspace section kept as it was saved, until its tab is built (see read_section)."""

    key: str
    data: Any


def read_section(section: Unread, where: str | None = None) -> Any:
    """The section's state; raises ConfigError naming the bad field, as `sections.udp.port` unless
    `where` says what to put before the field's name."""
    from netlab.lab.serial import load  # msgspec (and cattrs for bad data): loaded on first use

    return load(SECTIONS[section.key], section.data, f"sections.{section.key}" if where is None else where)


@dataclass(frozen=True)
class Lab:
    """What a lab file holds. States missing from `states` mean that tab's defaults; a workspace's
    states may be Unread."""

    title: str = ""
    exercise: str = ""  # Markdown, shown in the exercise dock
    states: Mapping[str, Any] = field(default_factory=dict)
    holds_secrets: bool = False  # when read: the file carries passwords, tokens or keys

    def state(self, key: str) -> Any:
        """The section's state, or its defaults if the lab has none."""
        return self.states.get(key) or SECTIONS[key]()


def to_data(lab: Lab, *, secrets: bool = False) -> dict[str, Any]:
    """The lab as JSON-safe data. Without secrets, password and key fields are left out.

    An Unread section is written back as it was read: it comes from a workspace, which never holds
    secrets, so there are none to leave out.
    """
    from netlab.lab.serial import dump  # cattrs: loaded when a lab is first saved, not at start

    unknown = set(lab.states) - set(SECTIONS)
    if unknown:
        raise ValueError(f"no lab section for {sorted(unknown)}")  # a programming error, not user input
    kept = secrets and _any_secrets(lab.states.values())
    return {
        "format": FORMAT,
        "version": VERSION,
        "title": lab.title,
        "exercise": lab.exercise,
        "secrets": kept,
        "sections": {
            key: state.data if isinstance(state, Unread) else dump(state, secrets=secrets)
            for key, state in lab.states.items()
        },
    }


def dumps(lab: Lab, *, secrets: bool = False) -> str:
    return json.dumps(to_data(lab, secrets=secrets), indent=2, ensure_ascii=False) + "\n"


def from_data(data: Any, *, unread: Collection[str] = ()) -> Lab:
    """The lab in `data`, every section checked, except those named in `unread`: they are kept as
    Unread (for the workspace only: a lab file the user opens is checked whole, so it says at once
    what is wrong with it)."""

    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise LabError('This is not a NetLab lab file (it has no "format": "netlab-lab")')
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise LabError("version: the lab file has no version number, so NetLab cannot tell how to read it")
    if version > VERSION:
        raise LabError(
            f"version: this lab was made by a newer NetLab (lab format {version}; this NetLab reads up "
            f"to {VERSION}): update NetLab to open it"
        )
    extra = set(data) - {"format", "version", "title", "exercise", "secrets", "sections"}
    if extra:
        raise LabError(f"{sorted(extra)[0]}: not a field of a lab file: remove it, or check its spelling")
    for name in ("title", "exercise"):
        if not isinstance(data.get(name, ""), str):
            raise LabError(f"{name}: must be text in double quotes")
    sections = data.get("sections", {})
    if not isinstance(sections, dict):
        raise LabError('sections: must be a set of sections in braces, such as {"tcp": {...}}')
    states: dict[str, Any] = {}
    for key, section in sections.items():
        if key not in SECTIONS:
            known = ", ".join(SECTIONS)
            raise LabError(f"sections.{key}: NetLab has no such tab: the sections it knows are {known}")
        if key in unread:
            states[key] = Unread(key, section)
            continue
        try:
            states[key] = read_section(Unread(key, section))
        except ConfigError as exc:
            raise LabError(str(exc.problems[0])) from None
    return Lab(
        title=data.get("title", ""),
        exercise=data.get("exercise", ""),
        states=states,
        holds_secrets=data.get("secrets") is True or _any_secrets(states.values()),
    )


def _any_secrets(states: Collection[Any]) -> bool:
    read = [state for state in states if not isinstance(state, Unread)]
    if not read:
        return False
    from netlab.lab.serial import has_secrets  # with msgspec: loaded on first use

    return any(has_secrets(state) for state in read)


def loads(text: str, *, unread: Collection[str] = ()) -> Lab:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise LabError(
            f"line {exc.lineno}, column {exc.colno}: the file is not valid JSON ({exc.msg})"
        ) from None
    return from_data(data, unread=unread)


def read(path: str | Path) -> Lab:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise LabError(f"{path} is not a text file, so it cannot be a lab") from None
    except OSError as exc:
        raise LabError(f"{path} could not be read ({exc.strerror or exc})") from None
    return loads(text)


def write(path: str | Path, lab: Lab, *, secrets: bool = False) -> None:
    """Write atomically: a crash or a full disk leaves the old file as it was."""
    text = dumps(lab, secrets=secrets)
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    handle, temporary = tempfile.mkstemp(prefix=".netlab-", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def samples() -> dict[str, str]:
    """The sample labs that ship with NetLab: title -> path. Package data, so a plain install has them."""
    from importlib import resources  # 1.2 ms: when the menu first opens, not at start

    found = {}
    for entry in sorted(resources.files("netlab.lab").joinpath("samples").iterdir(), key=lambda e: e.name):
        if entry.name.endswith(SUFFIX):
            path = str(entry)
            found[_title(path) or entry.name] = path
    return found


def _title(path: str) -> str:
    """Only the title, for the menu: the whole lab is read (and checked) when it is opened."""
    try:
        with open(path, encoding="utf-8") as file:
            data = json.load(file)
    except (OSError, ValueError):
        return ""
    title = data.get("title") if isinstance(data, dict) else None
    return title if isinstance(title, str) else ""
