"""The config vocabulary every form, the CLI and lab files share: each check's exact words and edges
(found by mutation testing)."""

from __future__ import annotations

from dataclasses import dataclass, fields

import pytest

from netlab.core.config import (
    NO_VERIFY_LABEL,
    ConfigError,
    Family,
    FieldProblem,
    coerce_enum,
    encoding_problems,
    format_address,
    host_problems,
    is_secret,
    port_problems,
    raise_if,
    range_problems,
    secret,
)


def words(problems: list[FieldProblem]) -> list[tuple[str, str, str]]:
    return [(p.field, p.message, p.hint) for p in problems]


@pytest.mark.parametrize(
    ("host", "family", "expected"),
    [
        ("127.0.0.1", Family.AUTO, []),
        ("localhost", Family.IPV4, []),
        ("a-b.example.org.", Family.AUTO, []),
        ("_srv.local", Family.AUTO, []),
        ("[::1]", Family.IPV6, []),
        ("X127.0.0.1", Family.IPV6, []),  # a name that ends like an address is still a name
        ("::", Family.DUAL, []),
        ("  ", Family.AUTO, [("host", "The host is empty", "type an address such as 127.0.0.1")]),
        (
            "no spaces.example",
            Family.AUTO,
            [
                (
                    "host",
                    "'no spaces.example' is neither an IP address nor a host name",
                    "type an address such as 127.0.0.1 or ::1, or a name such as localhost",
                )
            ],
        ),
        (
            "-bad",
            Family.AUTO,
            [
                (
                    "host",
                    "'-bad' is neither an IP address nor a host name",
                    "type an address such as 127.0.0.1 or ::1, or a name such as localhost",
                )
            ],
        ),
        (
            "a" * 254,
            Family.AUTO,
            [
                (
                    "host",
                    f"'{'a' * 254}' is neither an IP address nor a host name",
                    "type an address such as 127.0.0.1 or ::1, or a name such as localhost",
                )
            ],
        ),
        ("::1", Family.IPV4, [("host", "::1 is an IPv6 address", "choose IPv6, or type an IPv4 address")]),
        (
            "10.0.0.1",
            Family.IPV6,
            [("host", "10.0.0.1 is an IPv4 address", "choose IPv4, or type :: or ::1")],
        ),
        (
            "10.0.0.1",
            Family.DUAL,
            [("host", "10.0.0.1 is an IPv4 address", "choose IPv4, or type :: or ::1")],
        ),
    ],
)
def test_hosts(host: str, family: Family, expected: list[tuple[str, str, str]]) -> None:
    assert words(host_problems(host, family=family)) == expected


def test_a_host_check_names_the_field_it_is_for() -> None:
    assert words(host_problems("", field="target")) == [
        ("target", "The host is empty", "type an address such as 127.0.0.1")
    ]


@pytest.mark.parametrize(
    ("port", "allow_zero", "expected"),
    [
        (0, True, []),
        (1, False, []),
        (65535, True, []),
        (65536, True, [("port", "Port 65536 is out of range", "use 0 for any free port, or 1 to 65535")]),
        (-1, True, [("port", "Port -1 is out of range", "use 0 for any free port, or 1 to 65535")]),
        (0, False, [("port", "Port 0 is out of range", "use a port from 1 to 65535")]),
        (70000, False, [("port", "Port 70000 is out of range", "use a port from 1 to 65535")]),
    ],
)
def test_ports(port: int, allow_zero: bool, expected: list[tuple[str, str, str]]) -> None:
    assert words(port_problems(port, allow_zero=allow_zero)) == expected


def test_ranges_and_their_words() -> None:
    assert range_problems(0.5, 0.1, 10, "timeout", "Timeout") == []
    assert range_problems(0.1, 0.1, 10, "timeout", "Timeout") == []
    assert range_problems(10, 0.1, 10, "timeout", "Timeout") == []
    assert words(range_problems(0.05, 0.1, 10, "timeout", "Timeout")) == [
        ("timeout", "Timeout 0.05 is out of range", "use 0.1 to 10")
    ]
    assert words(range_problems(11, 0.1, 10, "t", "Timeout")) == [
        ("t", "Timeout 11 is out of range", "use 0.1 to 10")
    ]


def test_encodings() -> None:
    assert encoding_problems("GBK") == [] and encoding_problems("utf-16-le") == []
    for bad in ("klingon", "hex", "rot13", ""):
        assert words(encoding_problems(bad, field="enc")) == [
            ("enc", f"Unknown encoding '{bad}'", "choose one such as utf-8 or latin-1")
        ]


@dataclass(frozen=True)
class Form:
    family: Family = Family.AUTO
    password: str = secret()
    user: str = ""


def test_enums_from_text_and_a_plain_refusal() -> None:
    form = Form(family="ipv6")  # type: ignore[arg-type]
    problems: list[FieldProblem] = []
    coerce_enum(form, "family", Family, problems)
    assert form.family is Family.IPV6 and problems == []
    bad = Form(family="ipv5")  # type: ignore[arg-type]
    coerce_enum(bad, "family", Family, problems)
    assert words(problems) == [
        ("family", "'ipv5' is not a valid family", "choose one of: auto, ipv4, ipv6, dual")
    ]


def test_secrets_are_marked() -> None:
    # Made here, not at import, so the check runs the code under test each time.
    @dataclass(frozen=True)
    class Login:
        user: str = ""
        password: str = secret()
        token: str = secret("t0")

    assert [f.name for f in fields(Login) if is_secret(f)] == ["password", "token"]
    assert (Login().password, Login().token) == ("", "t0")


def test_errors_read_as_one_line_per_problem() -> None:
    raise_if([])
    with pytest.raises(ConfigError) as caught:
        raise_if([FieldProblem("a", "A is bad", "fix a"), FieldProblem("b", "B is bad", "")])
    assert str(caught.value) == "A is bad: fix a; B is bad"
    assert [p.field for p in caught.value.problems] == ["a", "b"]


def test_addresses() -> None:
    assert format_address(("127.0.0.1", 80)) == "127.0.0.1:80"
    assert format_address(("::1", 80, 0, 0)) == "[::1]:80"
    assert format_address("already text") == "already text"


def test_the_no_verify_label_is_the_words_every_place_quotes() -> None:
    # The TCP form's checkbox, the log line of an unverified certificate and the hint when one is
    # refused all quote it, so a student finds the box the log names.
    assert NO_VERIFY_LABEL == "Don't verify the certificate"
