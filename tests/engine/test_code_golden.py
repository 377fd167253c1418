"""Every code generator, exactly: a few configs per generator, each program against its golden copy.

The configs are picked so that each option is on in one case and off in another, and each program
compiles. That the programs run as printed is tested in test_code_tcp.py, test_udp_code.py,
test_code_http.py and test_raw_http_cli.py; see tests/engine/golden.py to update a copy.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest

from netlab.core.autoreply import MatchKind, Rule
from netlab.core.checksum import Algorithm, ByteOrder, Checksum
from netlab.core.codec import LineEnding, Payload, PayloadKind
from netlab.core.config import Family
from netlab.core.sendbox import PeriodicSend, SendBox
from netlab.http import code as http_code
from netlab.http import raw_code
from netlab.http.config import FileServerConfig
from netlab.http.download import DownloadConfig
from netlab.http.download_code import download_program
from netlab.http.form_code import curl_command, requests_program, urllib_program
from netlab.http.form_config import AuthKind, Backend, BodyKind, HttpFormConfig, NameValue, Upload
from netlab.http.raw_config import RawHttpConfig
from netlab.tcp.code import Flavour, client_program, server_program
from netlab.tcp.config import ServerMode, TcpClientConfig, TcpServerConfig, TlsServerSettings
from netlab.tcp.rewrite import RelayTarget, Rewrite, RewriteKind, Toward
from netlab.udp.code import generator_program, receiver_program, sender_program
from netlab.udp.config import ReceiverMode, TrafficConfig, UdpReceiverConfig, UdpSenderConfig

from . import golden

SOCKETSERVER = Flavour.SOCKETSERVER
RULES = (
    Rule(MatchKind.EXACT, "time", "now {time} on {date}\\r\\n"),
    Rule(MatchKind.CONTAINS, "n°", "#{counter:3} ({seq}) é€\\n"),
    Rule(MatchKind.STARTS_WITH, "id", "{random:4} {peer}{hex:0d 0a}"),
    Rule(MatchKind.ENDS_WITH, "?", "{hex:2a}"),
    Rule(MatchKind.REGEX, r"^(hi|hello)\b", "hello, {peer}"),
)

TCP: dict[str, Callable[[], str]] = {
    "tcp_server_echo": lambda: server_program(TcpServerConfig()),
    "tcp_server_upper_socketserver_ipv6": lambda: server_program(
        TcpServerConfig(
            host="[::1]", port=0, family=Family.IPV6, mode=ServerMode.UPPER, reuse_addr=False, backlog=7
        ),
        SOCKETSERVER,
    ),
    "tcp_server_daytime_dual_self_signed": lambda: server_program(
        TcpServerConfig(
            host="::",
            family=Family.DUAL,
            mode=ServerMode.DAYTIME,
            tls=TlsServerSettings(self_signed=True),
        )
    ),
    "tcp_server_banner_socketserver_dual_tls_quit": lambda: server_program(
        TcpServerConfig(
            host="::",
            port=2323,
            family=Family.DUAL,
            mode=ServerMode.BANNER,
            banner="Hi there\r\n",
            quit_words=("Bye", "EXIT"),
            tls=TlsServerSettings(cert_file="/etc/lab/cert.pem", key_file="/etc/lab/key.pem"),
        ),
        SOCKETSERVER,
    ),
    "tcp_server_banner_default_ipv6": lambda: server_program(
        TcpServerConfig(host="::1", family=Family.IPV6, mode=ServerMode.BANNER)
    ),
    "tcp_server_chat_quit": lambda: server_program(TcpServerConfig(mode=ServerMode.CHAT, quit_words=("q",))),
    "tcp_server_discard_socketserver": lambda: server_program(
        TcpServerConfig(mode=ServerMode.DISCARD, encoding="latin-1"), SOCKETSERVER
    ),
    "tcp_server_manual": lambda: server_program(TcpServerConfig(mode=ServerMode.MANUAL)),
    "tcp_server_manual_socketserver": lambda: server_program(
        TcpServerConfig(mode=ServerMode.MANUAL, encoding="cp1252"), SOCKETSERVER
    ),
    "tcp_server_rules_every_kind": lambda: server_program(
        TcpServerConfig(mode=ServerMode.RULES, rules=RULES, encoding="latin-1")
    ),
    "tcp_server_rules_plain_socketserver": lambda: server_program(
        TcpServerConfig(mode=ServerMode.RULES, rules=(Rule(MatchKind.EXACT, "ping", "pong\\n"),)),
        SOCKETSERVER,
    ),
    "tcp_server_rules_date_random": lambda: server_program(
        TcpServerConfig(mode=ServerMode.RULES, rules=(Rule(MatchKind.CONTAINS, "?", "{date} {random:2}"),))
    ),
    "tcp_server_relay_plain": lambda: server_program(
        TcpServerConfig(
            mode=ServerMode.RELAY, relay=RelayTarget(host="[::1]", port=8080, connect_timeout=2.5)
        )
    ),
    "tcp_server_relay_tls_rewrites": lambda: server_program(
        TcpServerConfig(
            mode=ServerMode.RELAY,
            tls=TlsServerSettings(self_signed=True),
            relay=RelayTarget(
                host="example.org",
                port=443,
                tls=True,
                ca_file="ca.pem",
                rewrites=(
                    Rewrite(RewriteKind.TEXT, r"secret\r\n", "XXXX", Toward.SERVER),
                    Rewrite(RewriteKind.HEX, "ff 00", "ee", Toward.CLIENT),
                    Rewrite(RewriteKind.REGEX, r"(\d+)", r"<\1>", Toward.BOTH),
                ),
            ),
        ),
        SOCKETSERVER,
    ),
    "tcp_server_relay_insecure_text_only": lambda: server_program(
        TcpServerConfig(
            mode=ServerMode.RELAY,
            relay=RelayTarget(tls=True, tls_verify=False, rewrites=(Rewrite(RewriteKind.TEXT, "a", "b"),)),
        )
    ),
    "tcp_client_default": lambda: client_program(TcpClientConfig()),
    "tcp_client_ipv6_tls_insecure_socket_options": lambda: client_program(
        TcpClientConfig(
            host="[::1]",
            port=8443,
            family=Family.IPV6,
            connect_timeout=2.5,
            nodelay=True,
            keepalive=True,
            rcvbuf=65536,
            sndbuf=32768,
            tls=True,
            tls_verify=False,
            ca_file="ca.pem",
        ),
        SendBox(Payload(text="hello", eol=LineEnding.CRLF), PeriodicSend(interval_ms=250, count=3)),
        wait=0.5,
    ),
    "tcp_client_ipv4_tls_banner_delay_hex": lambda: client_program(
        TcpClientConfig(
            family=Family.IPV4,
            tls=True,
            wait_for_server=True,
            server_first_timeout=1.5,
            connect_delay=0.2,
        ),
        SendBox(Payload(PayloadKind.HEX, "de ad be ef"), PeriodicSend(interval_ms=1500)),
    ),
    "tcp_client_bound_any_port_file": lambda: client_program(
        TcpClientConfig(local_port=40000), SendBox(Payload(PayloadKind.FILE, "/tmp/data.bin"))
    ),
    "tcp_client_bound_ipv6_dual_escapes": lambda: client_program(
        TcpClientConfig(host="::1", family=Family.DUAL, local_host="[::1]"),
        SendBox(Payload(text="a\\tb\\x00", escapes=True, encoding="latin-1")),
    ),
    "tcp_client_bound_ipv4_family_bad_hex": lambda: client_program(
        TcpClientConfig(family=Family.IPV4, local_port=1234), SendBox(Payload(PayloadKind.HEX, "zz"))
    ),
    "tcp_client_bound_ipv4_address_ipv6_family": lambda: client_program(
        TcpClientConfig(host="::1", family=Family.IPV6, local_host="::1"),
        SendBox(Payload(text="x", eol=LineEnding.LF, encoding="utf-16-le")),
    ),
    "tcp_client_bound_any_ipv6_family": lambda: client_program(
        TcpClientConfig(host="::1", family=Family.IPV6, local_port=5000), SendBox(Payload(text="x"))
    ),
    "tcp_client_bound_ipv4_address": lambda: client_program(
        TcpClientConfig(local_host="127.0.0.2", local_port=5000), SendBox(Payload(text="x"))
    ),
    "tcp_client_variables_text_checksum": lambda: client_program(
        TcpClientConfig(),
        SendBox(
            Payload(
                text="n={counter:3} s={seq} t={time} d={date} r={random:2} p={peer} h={hex:ff}\\t",
                eol=LineEnding.LF,
                escapes=True,
            ),
            checksum=Checksum(Algorithm.SUM8, ByteOrder.LITTLE, skip_first=1, skip_last=1),
        ),
    ),
    "tcp_client_variables_hex_crc32": lambda: client_program(
        TcpClientConfig(),
        SendBox(
            Payload(PayloadKind.HEX, "01 {counter:2} {seq} {random:3} {time} {date} {peer} {hex:aa} 02"),
            checksum=Checksum(Algorithm.CRC32),
        ),
    ),
    "tcp_client_variables_hex_counter_only": lambda: client_program(
        TcpClientConfig(), SendBox(Payload(PayloadKind.HEX, "{counter}"), checksum=Checksum(append=False))
    ),
    "tcp_client_variables_off": lambda: client_program(
        TcpClientConfig(), SendBox(Payload(text="{counter} as typed"), variables=False)
    ),
    "tcp_client_variables_seq_only": lambda: client_program(
        TcpClientConfig(), SendBox(Payload(text="{seq}", eol=LineEnding.CRLF))
    ),
}

UDP: dict[str, Callable[[], str]] = {
    "udp_receiver_log": lambda: receiver_program(UdpReceiverConfig()),
    "udp_receiver_echo_ipv6_group_quit": lambda: receiver_program(
        UdpReceiverConfig(
            host="::",
            port=5353,
            family=Family.IPV6,
            mode=ReceiverMode.ECHO,
            group="[ff02::1:3]",
            interface="lo",
            rcvbuf=1 << 20,
            quit_words=("Bye", "Q"),
        )
    ),
    "udp_receiver_upper_dual_reuse": lambda: receiver_program(
        UdpReceiverConfig(host="::", family=Family.DUAL, mode=ReceiverMode.UPPER, reuse_addr=True)
    ),
    "udp_receiver_ipv6_group_any_interface": lambda: receiver_program(
        UdpReceiverConfig(host="::", family=Family.IPV6, group="ff02::1:3")
    ),
    "udp_receiver_rules_group": lambda: receiver_program(
        UdpReceiverConfig(
            host="0.0.0.0", mode=ReceiverMode.RULES, rules=RULES[:2], group="239.1.2.3", encoding="latin-1"
        )
    ),
    "udp_receiver_group_on_interface": lambda: receiver_program(
        UdpReceiverConfig(host="0.0.0.0", group="239.1.2.3", interface="127.0.0.1")
    ),
    "udp_sender_default": lambda: sender_program(UdpSenderConfig(), SendBox()),
    "udp_sender_broadcast_repeat": lambda: sender_program(
        UdpSenderConfig(host="255.255.255.255", port=9999, broadcast=True, source_port=5000),
        SendBox(Payload(text="ping"), PeriodicSend(interval_ms=200, count=5)),
        repeat=True,
    ),
    "udp_sender_repeat_forever_variables": lambda: sender_program(
        UdpSenderConfig(bind_host="127.0.0.1"),
        SendBox(Payload(text="#{counter} {peer}", encoding="latin-1"), PeriodicSend(interval_ms=1500)),
        repeat=True,
    ),
    "udp_sender_repeat_once_is_one_send": lambda: sender_program(
        UdpSenderConfig(), SendBox(Payload(text="{nope"), PeriodicSend(count=1)), repeat=True
    ),
    "udp_sender_multicast4": lambda: sender_program(
        UdpSenderConfig(
            host="239.1.2.3", multicast_ttl=4, multicast_loop=False, multicast_interface="127.0.0.1"
        ),
        SendBox(Payload(PayloadKind.HEX, "01 02 ff")),
    ),
    "udp_sender_multicast4_default_interface": lambda: sender_program(
        UdpSenderConfig(host="239.1.2.3"), SendBox(Payload(text="{counter}", escapes=True), variables=False)
    ),
    "udp_sender_multicast6": lambda: sender_program(
        UdpSenderConfig(host="[ff02::1]", multicast_ttl=2, multicast_interface="lo", bind_host="[::1]"),
        SendBox(Payload(PayloadKind.FILE, "/tmp/data.bin")),
    ),
    "udp_sender_multicast6_default_interface": lambda: sender_program(
        UdpSenderConfig(host="ff02::1", multicast_loop=False), SendBox(Payload(PayloadKind.HEX, "zz"))
    ),
    "udp_sender_ipv6_family_name": lambda: sender_program(
        UdpSenderConfig(host="localhost", family=Family.IPV6),
        SendBox(Payload(text="plain {x", eol=LineEnding.LF)),
    ),
    "udp_generator_default": lambda: generator_program(UdpSenderConfig(), TrafficConfig()),
    "udp_generator_count_no_sequence_broadcast": lambda: generator_program(
        UdpSenderConfig(host="255.255.255.255", broadcast=True),
        TrafficConfig(rate=250.0, size=100, duration_s=0, count=10, sequence=False),
    ),
    "udp_generator_count_and_duration_ipv6": lambda: generator_program(
        UdpSenderConfig(host="::1"), TrafficConfig(rate=100.0, duration_s=2.0, count=1000)
    ),
    "udp_generator_count_below_duration_ipv6_family": lambda: generator_program(
        UdpSenderConfig(host="localhost", family=Family.IPV6),
        TrafficConfig(rate=100.0, duration_s=2.0, count=50),
    ),
    "udp_generator_forever": lambda: generator_program(UdpSenderConfig(), TrafficConfig(duration_s=0)),
}

HTTP: dict[str, Callable[[], str]] = {
    "http_files_default": lambda: http_code.program(FileServerConfig()),
    "http_files_everything": lambda: http_code.program(
        FileServerConfig(
            root="/srv/share",
            host="0.0.0.0",
            port=0,
            upload=True,
            max_upload_mb=5,
            auth="student:secret",
            show_hidden=True,
            idle_timeout=3.0,
        )
    ),
    "http_files_ipv6": lambda: http_code.program(FileServerConfig(host="[::1]", port=8080)),
    "raw_http_default": lambda: raw_code.program(RawHttpConfig()),
    "raw_http_tls_verified_with_ca": lambda: raw_code.program(
        RawHttpConfig(
            host="example.org",
            port=443,
            tls=True,
            ca_file="lab-ca.pem",
            timeout=2.5,
            request="POST /form HTTP/1.1\nHost: example.org\nContent-Length: 99\n\nname=value",
        )
    ),
    "raw_http_tls_insecure_sni_as_typed": lambda: raw_code.program(
        RawHttpConfig(
            host="[::1]",
            tls=True,
            verify=False,
            sni="www.test",
            crlf=False,
            auto_length=False,
            request="POST / HTTP/1.1\nContent-Length: 99\n\nab",
        )
    ),
    "raw_http_tls_system_cas": lambda: raw_code.program(
        RawHttpConfig(host="localhost", tls=True, verify=True)
    ),
    "raw_http_tls_insecure_with_ca": lambda: raw_code.program(
        RawHttpConfig(host="127.0.0.1", tls=True, verify=False, ca_file="lab-ca.pem")
    ),
}

FORMS = {
    "get": HttpFormConfig(),
    "post_raw_https_insecure_bearer_proxy_retries": HttpFormConfig(
        method="POST",
        url="https://127.0.0.1:8443/post?a=1",
        headers=(NameValue("Accept-Encoding", "gzip"), NameValue("X-A", "1"), NameValue("", "")),
        body_kind=BodyKind.RAW,
        body="line one\nline 'two'",
        auth=AuthKind.BEARER,
        token="tok en",
        timeout=2.5,
        follow_redirects=False,
        verify=False,
        proxy="http://127.0.0.1:3128",
        retries=2,
        backoff=0.25,
    ),
    "put_json_https_ca_basic": HttpFormConfig(
        method="PUT",
        url="HTTPS://localhost/put?x=%20y",
        body_kind=BodyKind.JSON,
        body='{"name": "Ada", "tags": [1, 2.5, null, true]}',
        auth=AuthKind.BASIC,
        user="ada",
        password="pw",
        ca_file="/etc/lab/ca.pem",
    ),
    "patch_form_https_digest_own_type": HttpFormConfig(
        method="PATCH",
        url="https://localhost/patch",
        headers=(NameValue("content-type", "application/x-www-form-urlencoded; charset=utf-8"),),
        body_kind=BodyKind.FORM,
        fields=(NameValue("name", "Ada & Grace"), NameValue("", "dropped"), NameValue("empty")),
        auth=AuthKind.DIGEST,
        user="ada",
        password="p:w",
    ),
    "post_form": HttpFormConfig(
        method="POST", body_kind=BodyKind.FORM, fields=(NameValue("q", "a+b é"), NameValue("n", "1"))
    ),
    "post_multipart": HttpFormConfig(
        method="POST",
        url="http://127.0.0.1:8000/post",
        body_kind=BodyKind.MULTIPART,
        fields=(NameValue("title", "two files"),),
        files=(Upload("doc", "/tmp/lab/a b.txt", "text/plain"), Upload("raw", "data.bin")),
        retries=1,
    ),
    "post_multipart_own_type": HttpFormConfig(
        method="POST",
        body_kind=BodyKind.MULTIPART,
        headers=(NameValue("Content-Type", "multipart/form-data; boundary=xyz"),),
        fields=(NameValue("a", "1"),),
    ),
    "delete_json_own_type": HttpFormConfig(
        method="DELETE",
        headers=(NameValue("Content-Type", "application/merge-patch+json"),),
        body_kind=BodyKind.JSON,
        body="[]",
    ),
    "head": HttpFormConfig(method="HEAD", url="http://127.0.0.1:8000/headers"),
    "get_with_body": HttpFormConfig(body_kind=BodyKind.RAW, body="x"),
}
FORM: dict[str, Callable[[], str]] = {
    f"http_form_{kind}_{name}": (lambda make=make, config=config: make(config))
    for name, config in FORMS.items()
    for kind, make in (("requests", requests_program), ("urllib", urllib_program), ("curl", curl_command))
}

DOWNLOADS = {
    "default": DownloadConfig(),
    "https_insecure": DownloadConfig(
        url="https://127.0.0.1:8443/files/big.bin", folder="/tmp/downloads", timeout=2.5, verify=False
    ),
    "https_ca": DownloadConfig(url="HTTPS://localhost/report.pdf", ca_file="/etc/lab/ca.pem"),
    "http_ca_unused": DownloadConfig(url="http://127.0.0.1:8000/a.txt", ca_file="/etc/lab/ca.pem"),
}
DOWNLOAD: dict[str, Callable[[], str]] = {
    f"http_download_{backend.value}_{name}": (
        lambda config=config, backend=backend: download_program(replace(config, backend=backend))
    )
    for name, config in DOWNLOADS.items()
    for backend in Backend
}

CASES = {**TCP, **UDP, **HTTP, **FORM, **DOWNLOAD}


@pytest.mark.parametrize("name", CASES)
def test_the_program_is_the_golden_copy_and_compiles(name: str) -> None:
    source = CASES[name]()
    if "_curl_" not in name:
        compile(source, f"{name}.py", "exec")
    golden.check(name, source)
