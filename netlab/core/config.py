"""Shared config vocabulary: field problems, address families, and the checks every form shares."""

from __future__ import annotations

import codecs
import ipaddress
import re
from collections.abc import Iterable
from dataclasses import Field, dataclass, field
from enum import Enum
from typing import Any, TypeVar

from netlab.core.problem import Problem

E = TypeVar("E", bound=Enum)


@dataclass(frozen=True, init=False)
class FieldProblem(Problem):
    """A Problem in one field: `field` is the config attribute, message and hint are plain words."""

    field: str

    def __init__(self, field: str, message: str, hint: str) -> None:
        # The field comes first, as a form reads: FieldProblem("port", "Port 70000 is out of range", ...).
        object.__setattr__(self, "field", field)
        object.__setattr__(self, "message", message)
        object.__setattr__(self, "hint", hint)


# The hint wherever TLS verification failed or is off; the GUI's checkbox and the CLI option say the
# same. Here, not in tls.py, so a form can show it without loading TLS (issue 8).
NO_VERIFY_LABEL = "Don't verify the certificate"


class ConfigError(ValueError):
    """A config was refused; problems says which fields and why."""

    def __init__(self, problems: Iterable[FieldProblem]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(str(p) for p in self.problems))


class Family(str, Enum):
    """Which IP version a socket uses. DUAL is one IPv6 socket that also takes IPv4 clients."""

    AUTO = "auto"
    IPV4 = "ipv4"
    IPV6 = "ipv6"
    DUAL = "dual"


_HOSTNAME = re.compile(r"^(?=.{1,253}$)[A-Za-z0-9_]([A-Za-z0-9_-]{0,62})(\.[A-Za-z0-9_-]{1,63})*\.?$")


def host_problems(host: str, field: str = "host", family: Family = Family.AUTO) -> list[FieldProblem]:
    """Empty, malformed, or of the wrong family for `family`."""
    if not host.strip():
        return [FieldProblem(field, "The host is empty", "type an address such as 127.0.0.1")]
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        if _HOSTNAME.match(host):
            return []
        return [
            FieldProblem(
                field,
                f"'{host}' is neither an IP address nor a host name",
                "type an address such as 127.0.0.1 or ::1, or a name such as localhost",
            )
        ]
    if family is Family.IPV4 and address.version == 6:
        return [FieldProblem(field, f"{host} is an IPv6 address", "choose IPv6, or type an IPv4 address")]
    if family in (Family.IPV6, Family.DUAL) and address.version == 4:
        return [FieldProblem(field, f"{host} is an IPv4 address", "choose IPv4, or type :: or ::1")]
    return []


def port_problems(port: int, field: str = "port", allow_zero: bool = True) -> list[FieldProblem]:
    lowest = 0 if allow_zero else 1
    if not lowest <= port <= 65535:
        hint = "use 0 for any free port, or 1 to 65535" if allow_zero else "use a port from 1 to 65535"
        return [FieldProblem(field, f"Port {port} is out of range", hint)]
    return []


def range_problems(value: float, low: float, high: float, field: str, what: str) -> list[FieldProblem]:
    if not low <= value <= high:
        return [FieldProblem(field, f"{what} {value:g} is out of range", f"use {low:g} to {high:g}")]
    return []


def encoding_problems(encoding: str, field: str = "encoding") -> list[FieldProblem]:
    """An encoding Python does not know (checked by name only, so it holds on any machine).

    Codecs such as 'hex' or 'rot13' are known to Python but turn bytes into bytes or text into text;
    bytes.decode() refuses them with LookupError, so they are refused here too.
    """
    try:
        known = codecs.lookup(encoding)
    except (LookupError, TypeError, ValueError):
        known = None
    if known is None or not getattr(known, "_is_text_encoding", True):
        return [FieldProblem(field, f"Unknown encoding '{encoding}'", "choose one such as utf-8 or latin-1")]
    return []


def coerce_enum(owner: object, name: str, kind: type[E], problems: list[FieldProblem]) -> None:
    """Turn a string field of a frozen config into its Enum member, so mode="upper" means UPPER.

    A value that names no member becomes a problem listing the choices.
    """
    value = getattr(owner, name)
    if isinstance(value, kind):
        return
    try:
        object.__setattr__(owner, name, kind(value))
    except ValueError:
        choices = ", ".join(str(member.value) for member in kind)
        problems.append(FieldProblem(name, f"'{value}' is not a valid {name}", f"choose one of: {choices}"))


def secret(default: str = "") -> Any:
    """A config field holding a password, token or key: lab files leave it out unless asked to keep it."""
    return field(default=default, metadata={"secret": True})


def is_secret(config_field: Field[Any]) -> bool:
    return bool(config_field.metadata.get("secret", False))


def raise_if(problems: list[FieldProblem]) -> None:
    if problems:
        raise ConfigError(problems)


def format_address(address: tuple[Any, ...] | str) -> str:
    """('127.0.0.1', 80) -> 127.0.0.1:80; ('::1', 80, 0, 0) -> [::1]:80."""
    if isinstance(address, str):
        return address
    host, port = address[0], address[1]
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
