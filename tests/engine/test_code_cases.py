"""Code generators option by option: the exact line each option writes, and the bytes the program makes.

The golden copies (test_code_golden.py) show whole programs; these tests name one option each, so a
failure says which option's code went wrong. Functions of a program (checksum(), next_send()) are run
here in-process and compared with what NetLab's own send box makes from the same settings.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from netlab.core.autoreply import MatchKind, Rule
from netlab.core.checksum import Algorithm, ByteOrder, Checksum
from netlab.core.codec import LineEnding, Payload, PayloadKind
from netlab.core.config import Family
from netlab.core.sendbox import SendBox, send_bytes
from netlab.core.variables import Expander
from netlab.http import code as http_code
from netlab.http import raw_code
from netlab.http.config import FileServerConfig
from netlab.http.raw_config import RawHttpConfig
from netlab.tcp import code as tcp_code
from netlab.tcp.code import Flavour, client_program, server_program
from netlab.tcp.config import ServerMode, TcpClientConfig, TcpServerConfig
from netlab.tcp.rewrite import RelayTarget
from netlab.udp import code as udp_code
from netlab.udp.code import generator_program, receiver_program, sender_program
from netlab.udp.config import TrafficConfig, UdpReceiverConfig, UdpSenderConfig


def functions(source: str) -> dict[str, Any]:
    """The program's globals and functions, without running main()."""
    names: dict[str, Any] = {"__name__": "generated"}
    exec(compile(source, "generated.py", "exec"), names)
    return names


def test_program_picks_the_generator_for_the_config() -> None:
    server, client, box = TcpServerConfig(port=7001), TcpClientConfig(port=7002), SendBox(Payload(text="hi"))
    assert tcp_code.program(server) == server_program(server)
    assert tcp_code.program(server, flavour=Flavour.SOCKETSERVER) == server_program(
        server, Flavour.SOCKETSERVER
    )
    assert tcp_code.program(client, box) == client_program(client, box)
    assert tcp_code.program(client) == client_program(client, SendBox())
    receiver, sender = UdpReceiverConfig(port=7003), UdpSenderConfig(port=7004)
    assert udp_code.program(receiver) == receiver_program(receiver)
    assert udp_code.program(sender, box) == sender_program(sender, box)
    assert udp_code.program(sender) == sender_program(sender, SendBox())
    repeating = SendBox(Payload(text="hi"))
    assert udp_code.program(sender, repeating, repeat=True) == sender_program(sender, repeating, True)
    assert udp_code.program(sender, repeating) != udp_code.program(sender, repeating, repeat=True)


# A host name that starts with X: nothing but brackets is taken off what the user typed.
@pytest.mark.parametrize(
    ("make", "line"),
    [
        (lambda: server_program(TcpServerConfig(host="Xlab")), "HOST = 'Xlab'"),
        (lambda: client_program(TcpClientConfig(host="Xlab")), "HOST = 'Xlab'"),
        (lambda: receiver_program(UdpReceiverConfig(host="Xlab")), "HOST, PORT = 'Xlab', 9001"),
        (lambda: sender_program(UdpSenderConfig(host="Xlab"), SendBox()), "TARGET = ('Xlab', 9001)"),
        (
            lambda: sender_program(UdpSenderConfig(bind_host="Xlab", source_port=5000), SendBox()),
            "SOURCE = ('Xlab', 5000)",
        ),
        (lambda: generator_program(UdpSenderConfig(host="Xlab"), TrafficConfig()), "TARGET = ('Xlab', 9001)"),
        (lambda: http_code.program(FileServerConfig(host="Xlab")), "HOST = 'Xlab'"),
        (lambda: raw_code.program(RawHttpConfig(host="Xlab")), "HOST, PORT = 'Xlab', 8000"),
        (
            lambda: receiver_program(UdpReceiverConfig(host="[::1]", family=Family.IPV6)),
            "HOST, PORT = '::1', 9001",
        ),
        (lambda: generator_program(UdpSenderConfig(host="[::1]"), TrafficConfig()), "TARGET = ('::1', 9001)"),
    ],
)
def test_the_host_is_written_as_typed_without_brackets(make: Callable[[], str], line: str) -> None:
    assert line in make().splitlines()


@pytest.mark.parametrize(
    ("on", "off", "lines"),
    [
        (
            TcpServerConfig(backlog=5),
            TcpServerConfig(backlog=5, reuse_addr=False),
            ["    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)"],
        ),
        (
            TcpServerConfig(host="::1", family=Family.IPV6),
            TcpServerConfig(),
            ["    server.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)"],
        ),
        (
            TcpServerConfig(host="::", family=Family.DUAL),
            TcpServerConfig(host="::", family=Family.IPV6),
            ["    # setsockopt(IPV6_V6ONLY, 0): also take IPv4 clients (dual-stack)."],
        ),
        (
            TcpClientConfig(nodelay=True),
            TcpClientConfig(),
            ["    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)"],
        ),
        (
            TcpClientConfig(keepalive=True),
            TcpClientConfig(),
            ["    sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)"],
        ),
        (
            TcpClientConfig(rcvbuf=4096, sndbuf=8192),
            TcpClientConfig(),
            [
                "    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # the kernel may double it",
                "    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 8192)  # the kernel may double it",
            ],
        ),
        (
            TcpClientConfig(tls=True, tls_verify=False),
            TcpClientConfig(tls=True),
            ["    context.check_hostname = False", "    context.verify_mode = ssl.CERT_NONE"],
        ),
        (
            TcpClientConfig(tls=True, ca_file="ca.pem"),
            TcpClientConfig(tls=True),
            ["    context = ssl.create_default_context(cafile='ca.pem')"],
        ),
        (
            TcpClientConfig(wait_for_server=True, server_first_timeout=0.5),
            TcpClientConfig(),
            [
                "SERVER_FIRST_TIMEOUT_S = 0.5  # wait this long for a banner",
                "        sock.settimeout(SERVER_FIRST_TIMEOUT_S)",
            ],
        ),
        (
            TcpClientConfig(local_host="127.0.0.1", local_port=4000),
            TcpClientConfig(),
            ["LOCAL_HOST = '127.0.0.1'  # '': any address of this machine", "LOCAL_PORT = 4000"],
        ),
        (
            UdpReceiverConfig(rcvbuf=1 << 20),
            UdpReceiverConfig(),
            ["sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1048576)"],
        ),
        (
            UdpReceiverConfig(reuse_addr=True),
            UdpReceiverConfig(),
            ["sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)"],
        ),
        (
            UdpSenderConfig(broadcast=True),
            UdpSenderConfig(),
            ["sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)"],
        ),
        (
            UdpSenderConfig(host="239.1.2.3", multicast_ttl=8, multicast_loop=False),
            UdpSenderConfig(),
            [
                "sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 8)",
                "sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, 0)",
            ],
        ),
        (
            RawHttpConfig(tls=True, verify=False, sni="www.test"),
            RawHttpConfig(),
            [
                "import ssl",
                "context.verify_mode = ssl.CERT_NONE",
                "sock = context.wrap_socket(sock, server_hostname='www.test')  # TLS handshake, SNI",
            ],
        ),
    ],
    ids=lambda value: type(value).__name__ if not isinstance(value, list) else "",
)
def test_each_option_writes_its_lines_and_only_when_on(on: Any, off: Any, lines: list[str]) -> None:
    def source(config: Any) -> list[str]:
        if isinstance(config, (TcpServerConfig, TcpClientConfig)):
            return tcp_code.program(config).splitlines()
        if isinstance(config, (UdpReceiverConfig, UdpSenderConfig)):
            return udp_code.program(config).splitlines()
        return raw_code.program(config).splitlines()

    with_it, without = source(on), source(off)
    for line in lines:
        assert line in with_it
        assert line not in without


def test_the_login_name_is_shown_and_no_part_of_the_password() -> None:
    source = http_code.program(FileServerConfig(auth="student:pw:Q7z"))
    assert (
        "# - NetLab asks for a login (user 'student') with HTTP basic auth; http.server has none,"
        " so this program lets anyone in."
    ) in source.splitlines()
    assert "Q7z" not in source and "pw:" not in source


@pytest.mark.parametrize(
    ("reply", "pieces", "time_import"),
    [
        ("at {time}", "[b'at ', ('time', 0)]", True),
        ("ok{hex:0d 0a}", "[b'ok\\r\\n']", False),
        ("{hex:01}x{counter:2}", "[b'\\x01x', ('counter', 2)]", False),
    ],
)
def test_a_rule_reply_becomes_the_pieces_netlab_sends(reply: str, pieces: str, time_import: bool) -> None:
    source = server_program(
        TcpServerConfig(mode=ServerMode.RULES, rules=(Rule(MatchKind.EXACT, "x", reply),))
    )
    assert f"    ('exact', 'x', {pieces})," in source.splitlines()
    assert ("import time" in source.splitlines()) is time_import
    assert ("    now = time.localtime()" in source.splitlines()) is time_import


BOXES = [
    SendBox(Payload(text="é{counter}", encoding="latin-1")),
    SendBox(Payload(text="{counter}")),
    SendBox(Payload(text="{seq}:{counter:3}\\t", escapes=True, eol=LineEnding.CRLF)),
    SendBox(Payload(PayloadKind.HEX, "02 {counter:2} {hex:ff} 03")),
    SendBox(Payload(PayloadKind.HEX, "{seq}"), checksum=Checksum(Algorithm.XOR8)),
    SendBox(Payload(text="at {peer}"), checksum=Checksum(Algorithm.CRC16_XMODEM, ByteOrder.LITTLE)),
    *(
        SendBox(Payload(text="STX data ETX", eol=LineEnding.LF), checksum=Checksum(algorithm, order, 3, 4))
        for algorithm in Algorithm
        for order in ByteOrder
    ),
    SendBox(Payload(text="", encoding="utf-16")),
    SendBox(Payload(PayloadKind.HEX, "01 02"), checksum=Checksum(append=False, verify=True)),
]


@pytest.mark.parametrize("box", BOXES)
def test_the_client_program_sends_the_bytes_netlab_sends(box: SendBox) -> None:
    names = functions(client_program(TcpClientConfig(port=7000), box))
    expander = Expander()
    for sent in (1, 2, 3):
        assert names["next_send"](sent) == send_bytes(box, expander, "127.0.0.1:7000")
    assert bool(names["DATA"]) is bool(box.payload.text)


@pytest.mark.parametrize(
    ("box", "line"),
    [
        (SendBox(Payload(text="", encoding="utf-16")), "DATA = b''  # nothing, in utf-16"),
        (SendBox(Payload(text="é{counter}", encoding="latin-1")), "PIECES = [b'\\xe9', ('counter', 0)]"),
        (SendBox(Payload(text="{counter}")), "PIECES = [('counter', 0)]"),
        (SendBox(Payload(text="{time}")), "    now = time.localtime()"),
    ],
)
def test_the_send_box_is_written_as_netlab_reads_it(box: SendBox, line: str) -> None:
    assert line in client_program(TcpClientConfig(), box).splitlines()


def test_the_relay_program_writes_its_server_as_typed() -> None:
    for typed, written in (("XRAY.ORGX", "'XRAY.ORGX'"), ("[::1]", "'::1'")):
        config = TcpServerConfig(mode=ServerMode.RELAY, relay=RelayTarget(host=typed, port=80))
        assert f"TARGET_HOST = {written}  # the real server" in server_program(config)
