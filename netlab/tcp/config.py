"""TCP server and client configs: the single source of truth for the form, the engine and the CLI."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from enum import Enum

from netlab.core.autoreply import Rule
from netlab.core.checksum import Checksum
from netlab.core.codec import Payload
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
from netlab.core.sendbox import PeriodicSend, SendBox
from netlab.tcp.rewrite import RelayTarget

__all__ = [
    "PeriodicSend",
    "ServerMode",
    "TcpClientConfig",
    "TcpServerConfig",
    "TcpTabState",
    "TlsServerSettings",
]


class ServerMode(str, Enum):
    """What a TCP server does with what it receives."""

    ECHO = "echo"
    UPPER = "upper"
    DAYTIME = "daytime"
    BANNER = "banner"
    CHAT = "chat"
    DISCARD = "discard"
    MANUAL = "manual"
    RULES = "rules"
    RELAY = "relay"

    @property
    def label(self) -> str:
        return _MODE_LABELS[self]


_MODE_LABELS = {
    ServerMode.ECHO: "Echo",
    ServerMode.UPPER: "Uppercase echo",
    ServerMode.DAYTIME: "Daytime (send date and time, then close)",
    ServerMode.BANNER: "Banner, then echo",
    ServerMode.CHAT: "Chat (relay to every other client)",
    ServerMode.DISCARD: "Discard",
    ServerMode.MANUAL: "Manual (you type replies)",
    ServerMode.RULES: "Auto-reply rules",
    ServerMode.RELAY: "Relay to a server (see both sides)",
}


@dataclass(frozen=True)
class TlsServerSettings:
    """Certificate and key files; with self_signed, NetLab makes a certificate for the host.

    Whether the files exist is checked when the server starts: a lab written elsewhere still loads.
    """

    cert_file: str = ""
    key_file: str = ""
    self_signed: bool = False

    def __post_init__(self) -> None:
        if self.self_signed:
            return
        raise_if(
            [
                FieldProblem(name, f"No {what} file chosen", "pick one, or tick 'Self-signed'")
                for name, what, path in (
                    ("cert_file", "certificate", self.cert_file),
                    ("key_file", "private key", self.key_file),
                )
                if not path
            ]
        )


@dataclass(frozen=True)
class TcpServerConfig:
    """A TCP server: where it listens, what it does with each client's bytes, TLS, and relay mode."""

    host: str = "127.0.0.1"
    port: int = 9000
    family: Family = Family.IPV4
    backlog: int = 128
    reuse_addr: bool = True
    mode: ServerMode = ServerMode.ECHO
    banner: str = ""  # empty: "Welcome from HOST:PORT"
    rules: tuple[Rule, ...] = ()
    quit_words: tuple[str, ...] = ()
    encoding: str = "utf-8"
    tls: TlsServerSettings | None = None
    trace: bool = False
    relay: RelayTarget = field(default_factory=RelayTarget)  # where relay mode connects each client

    def __post_init__(self) -> None:
        problems: list[FieldProblem] = []
        coerce_enum(self, "family", Family, problems)
        coerce_enum(self, "mode", ServerMode, problems)
        object.__setattr__(self, "rules", tuple(self.rules))
        # Words are matched trimmed, so keep them trimmed; the form lists them separated by commas.
        object.__setattr__(self, "quit_words", tuple(w.strip() for w in self.quit_words if w.strip()))
        if any("," in word for word in self.quit_words):
            problems.append(
                FieldProblem("quit_words", "A quit word cannot hold a comma", "commas separate the words")
            )
        if isinstance(self.family, Family):
            family = Family.IPV4 if self.family is Family.AUTO else self.family
            problems += host_problems(self.host, family=family)
        problems += port_problems(self.port)
        problems += range_problems(self.backlog, 1, 65535, "backlog", "Backlog")
        if self.mode is ServerMode.RULES and not self.rules:
            problems.append(FieldProblem("rules", "Auto-reply mode has no rules", "add at least one rule"))
        problems += encoding_problems(self.encoding)
        raise_if(problems)

    def banner_text(self, host: str, port: int) -> str:
        return self.banner or f"Welcome from {host}:{port}\r\n"


@dataclass(frozen=True)
class TcpClientConfig:
    """A TCP client: the server to connect to, socket options, TLS, and how it waits before sending."""

    host: str = "127.0.0.1"
    port: int = 9000
    family: Family = Family.AUTO
    connect_timeout: float = 5.0
    nodelay: bool = False
    keepalive: bool = False
    rcvbuf: int = 0  # 0: the system's default
    sndbuf: int = 0
    tls: bool = False
    tls_verify: bool = True  # False: "Don't verify the certificate": any certificate is accepted
    ca_file: str = ""  # extra CA to trust, besides the system's
    trace: bool = False
    name: str = field(default="", compare=False)
    # For protocols with a banner, and for peers that care which port we come from:
    local_host: str = ""  # bind() to this address before connect(); "" with local_port 0: no bind()
    local_port: int = 0  # 0: any free port
    wait_for_server: bool = False  # hold our sends until the server's first bytes arrive ...
    server_first_timeout: float = 5.0  # ... or this many seconds have passed (then say so and send)
    connect_delay: float = 0.0  # seconds to wait after connecting (and after the banner) before sending

    def __post_init__(self) -> None:
        problems: list[FieldProblem] = []
        coerce_enum(self, "family", Family, problems)
        if isinstance(self.family, Family):
            family = Family.AUTO if self.family is Family.DUAL else self.family
            problems += host_problems(self.host, family=family)
        problems += port_problems(self.port, allow_zero=False)
        problems += range_problems(self.connect_timeout, 0.001, 3600, "connect_timeout", "Timeout")
        problems += range_problems(self.rcvbuf, 0, 2**30, "rcvbuf", "Receive buffer")
        problems += range_problems(self.sndbuf, 0, 2**30, "sndbuf", "Send buffer")
        problems += _local_problems(self.local_host, self.local_port)
        problems += range_problems(
            self.server_first_timeout, 0.001, 3600, "server_first_timeout", "Banner timeout"
        )
        problems += range_problems(self.connect_delay, 0, 3600, "connect_delay", "Delay after connect")
        raise_if(problems)

    @property
    def local_address(self) -> tuple[str, int] | None:
        """What to bind() before connect(), or None to let connect() choose."""
        return (self.local_host.strip("[]"), self.local_port) if self.local_host or self.local_port else None


def _local_problems(host: str, port: int) -> list[FieldProblem]:
    """The local address must be an address of this machine, not a name: bind() takes no names here."""
    problems = port_problems(port, field="local_port")
    if host:
        try:
            ipaddress.ip_address(host.strip("[]"))
        except ValueError:
            problems.append(
                FieldProblem(
                    "local_host",
                    f"'{host}' is not an IP address",
                    "type an address of this machine, e.g. 127.0.0.1, or leave it empty",
                )
            )
    return problems


@dataclass(frozen=True)
class TcpTabState:
    """Everything the TCP tab holds, for lab files and the workspace: both panels and what they send.

    The server sends by hand only (no periodic sends), so it keeps a payload rather than a send box,
    with its variables switch and checksum beside it.
    """

    server: TcpServerConfig = field(default_factory=TcpServerConfig)
    server_send: Payload = field(default_factory=Payload)
    client: TcpClientConfig = field(default_factory=TcpClientConfig)
    client_send: SendBox = field(default_factory=SendBox)
    # The server's send box: variables and a checksum, as the client's (no periodic sends there).
    server_variables: bool = True
    server_checksum: Checksum | None = None
