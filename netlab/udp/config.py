"""UDP receiver, sender and traffic-generator configs: the one source of truth for form, engines and CLI."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from enum import Enum

from netlab.core.autoreply import Rule
from netlab.core.checksum import Checksum
from netlab.core.config import (
    Family,
    FieldProblem,
    coerce_enum,
    encoding_problems,
    host_problems,
    port_problems,
    raise_if,
    range_problems,
)
from netlab.core.responder import Reply
from netlab.core.sendbox import SendBox
from netlab.udp.failures import MAX_IPV6_PAYLOAD


class ReceiverMode(str, Enum):
    """What the receiver does with each datagram."""

    LOG = "log"
    ECHO = "echo"
    UPPER = "upper"
    RULES = "rules"

    @property
    def reply(self) -> Reply:
        """How the shared responder answers in this mode."""
        return Reply.NONE if self is ReceiverMode.LOG else Reply(self.value)

    @property
    def label(self) -> str:
        return {
            "log": "Log only",
            "echo": "Echo back",
            "upper": "Uppercase echo",
            "rules": "Auto-reply rules",
        }[self.value]


class RateUnit(str, Enum):
    DATAGRAMS = "datagrams/s"
    MBITS = "Mbit/s"


def group_problems(group: str, field_name: str = "group") -> list[FieldProblem]:
    """A multicast group must be an address in 224.0.0.0/4 or ff00::/8."""
    if not group:
        return []
    try:
        address = ipaddress.ip_address(group.strip("[]"))
    except ValueError:
        return [
            FieldProblem(
                field_name,
                f"'{group}' is not an IP address",
                "type a multicast group such as 239.1.2.3 or ff02::1:3",
            )
        ]
    if not address.is_multicast:
        return [
            FieldProblem(
                field_name,
                f"{group} is not a multicast group address",
                "groups are 224.0.0.0 to 239.255.255.255 (IPv4) or start with ff (IPv6), e.g. 239.1.2.3",
            )
        ]
    return []


def is_multicast(host: str) -> bool:
    """True for a multicast group address (224.0.0.0/4, ff00::/8), with or without a %scope; False for
    names and anything else."""
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_multicast
    except ValueError:
        return False


@dataclass(frozen=True)
class UdpReceiverConfig:
    """Bind, optionally join a multicast group, and log (and maybe answer) every datagram."""

    host: str = "127.0.0.1"
    port: int = 9001
    family: Family = Family.IPV4
    mode: ReceiverMode = ReceiverMode.LOG
    rules: tuple[Rule, ...] = ()
    quit_words: tuple[str, ...] = ()
    encoding: str = "utf-8"
    rcvbuf: int = 0  # 0: the system's default
    group: str = ""  # a multicast group to join, "" for none
    interface: str = ""  # the address of the interface to join on (IPv4) or its name (IPv6); "": default
    reuse_addr: bool = False
    trace: bool = False

    def __post_init__(self) -> None:
        problems: list[FieldProblem] = []
        coerce_enum(self, "family", Family, problems)
        coerce_enum(self, "mode", ReceiverMode, problems)
        family = Family.IPV4 if self.family is Family.AUTO else self.family
        problems += host_problems(self.host, family=family)
        problems += port_problems(self.port)
        problems += range_problems(self.rcvbuf, 0, 2**30, "rcvbuf", "Receive buffer")
        problems += group_problems(self.group)
        problems += encoding_problems(self.encoding)
        if self.mode is ReceiverMode.RULES and not self.rules:
            problems.append(FieldProblem("rules", "Auto-reply mode has no rules", "add at least one rule"))
        raise_if(problems)


@dataclass(frozen=True)
class UdpSenderConfig:
    """Where datagrams go, where they leave from, and the socket options that decide who may hear them."""

    host: str = "127.0.0.1"
    port: int = 9001
    family: Family = Family.AUTO
    bind_host: str = ""  # "": any local address of the target's family
    source_port: int = 0  # 0: any free port; replies come back to it either way
    broadcast: bool = False  # SO_BROADCAST
    connect: bool = True  # connect() a unicast target: ICMP errors are reported, only its replies pass
    multicast_ttl: int = 1
    multicast_loop: bool = True
    multicast_interface: str = ""  # interface address (IPv4) or name (IPv6); "": the default route's
    encoding: str = "utf-8"  # how replies are shown
    trace: bool = False

    def __post_init__(self) -> None:
        problems: list[FieldProblem] = []
        coerce_enum(self, "family", Family, problems)
        family = Family.AUTO if self.family is Family.DUAL else self.family
        problems += host_problems(self.host, family=family)
        problems += port_problems(self.port, allow_zero=False)
        if self.bind_host:
            problems += host_problems(self.bind_host, "bind_host", family)
        problems += port_problems(self.source_port, "source_port")
        problems += range_problems(self.multicast_ttl, 0, 255, "multicast_ttl", "TTL")
        problems += encoding_problems(self.encoding)
        raise_if(problems)


@dataclass(frozen=True)
class TrafficConfig:
    """The traffic generator: a target rate, for a duration or a count, optionally sequence-stamped."""

    rate: float = 1000.0
    unit: RateUnit = RateUnit.DATAGRAMS
    size: int = 64  # payload bytes per datagram, the sequence header included
    duration_s: float = 5.0  # 0: until the count is reached (or until stopped if count is 0 too)
    count: int = 0  # 0: no limit but the duration
    sequence: bool = True

    def __post_init__(self) -> None:
        problems: list[FieldProblem] = []
        coerce_enum(self, "unit", RateUnit, problems)
        problems += range_problems(self.rate, 0.001, 1e7, "rate", "Rate")
        low = 20 if self.sequence else 0
        problems += range_problems(self.size, low, MAX_IPV6_PAYLOAD, "size", "Size")
        problems += range_problems(self.duration_s, 0, 86_400, "duration_s", "Duration (s)")
        problems += range_problems(self.count, 0, 10**10, "count", "Count")
        raise_if(problems)

    @property
    def datagrams_per_s(self) -> float:
        if self.unit is RateUnit.DATAGRAMS:
            return self.rate
        return self.rate * 1_000_000 / 8 / max(1, self.size)


@dataclass(frozen=True)
class UdpTabState:
    """Everything the UDP tab holds, for lab files and the workspace."""

    receiver: UdpReceiverConfig = field(default_factory=UdpReceiverConfig)
    sender: UdpSenderConfig = field(default_factory=UdpSenderConfig)
    send_box: SendBox = field(default_factory=SendBox)
    traffic: TrafficConfig = field(default_factory=TrafficConfig)
    # The receiver's checksum: checked at the end of each datagram, appended to each reply by hand.
    receiver_checksum: Checksum | None = None
