"""udp-recv and udp-send against plain socket peers written here; Qt is never imported."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import WAIT

NETLAB = [sys.executable, "-m", "netlab"]


def start_receiver(*args: str, first_line: str = "listening on ") -> tuple[subprocess.Popen[bytes], int]:
    process = subprocess.Popen(
        [*NETLAB, "udp-recv", "--port", "0", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert process.stdout is not None
    first = process.stdout.readline().decode()
    assert first.startswith(first_line), first
    return process, int(first.rsplit(":", 1)[1])


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_udp_recv_prints_each_datagram_echoes_and_exits_0(stop: signal.Signals) -> None:
    process, port = start_receiver("--echo", "--trace", first_line="listening on 127.0.0.1:")
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as peer:
            peer.settimeout(WAIT)
            peer.sendto(b"hello udp", ("127.0.0.1", port))
            assert peer.recvfrom(100) == (b"hello udp", ("127.0.0.1", port))
            source = peer.getsockname()[1]
    finally:
        process.send_signal(stop)
        out, err = process.communicate(timeout=WAIT)
    assert process.returncode == 0, err
    lines = out.decode().splitlines()
    assert any(f"127.0.0.1:{source}" in line and "received 9 bytes: hello udp" in line for line in lines)
    assert any("sent → 9 bytes: hello udp" in line for line in lines)


def test_udp_recv_ipv6() -> None:
    process, port = start_receiver("--ipv6", "--echo", first_line="listening on [::1]:")
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as peer:
            peer.settimeout(WAIT)
            peer.sendto(b"six", ("::1", port))
            peer.recvfrom(100)  # the echo: the receiver has read it, so SIGTERM cannot come first
    finally:
        process.send_signal(signal.SIGTERM)
        out, _ = process.communicate(timeout=WAIT)
    assert b"received 3 bytes: six" in out


def test_udp_recv_refuses_a_bad_group_in_plain_words() -> None:
    result = subprocess.run([*NETLAB, "udp-recv", "--group", "10.1.2.3"], capture_output=True, timeout=20)
    assert result.returncode == 2
    assert b"10.1.2.3 is not a multicast group address" in result.stderr
    assert b"Traceback" not in result.stderr


def test_udp_send_sends_count_datagrams_and_prints_the_replies() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as peer:
        peer.bind(("127.0.0.1", 0))
        peer.settimeout(WAIT)
        port = peer.getsockname()[1]
        process = subprocess.Popen(
            [
                *NETLAB,
                "udp-send",
                "127.0.0.1",
                str(port),
                "--send",
                "n{counter}",
                "--count",
                "3",
                "--interval",
                "10",
                "--wait",
                "1",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        got = []
        for _ in range(3):
            data, source = peer.recvfrom(100)
            got.append(data)
            peer.sendto(data.upper(), source)
        out, err = process.communicate(timeout=20)
    assert got == [b"n1", b"n2", b"n3"]
    assert process.returncode == 0, err
    assert out.decode().splitlines() == [f"127.0.0.1:{port} 2 bytes: N{i}" for i in (1, 2, 3)]


def test_udp_send_hex_and_the_unreachable_port() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    result = subprocess.run(
        [
            *NETLAB,
            "udp-send",
            "127.0.0.1",
            str(port),
            "--hex",
            "01 02",
            "--count",
            "2",
            "--interval",
            "50",
            "--wait",
            "0.5",
        ],
        capture_output=True,
        timeout=20,
    )
    assert result.returncode == 1
    assert b"port unreachable" in result.stderr and b"Traceback" not in result.stderr


def test_udp_send_bad_hex_and_broadcast_without_the_option() -> None:
    bad = subprocess.run(
        [*NETLAB, "udp-send", "127.0.0.1", "9", "--hex", "4G"], capture_output=True, timeout=20
    )
    assert bad.returncode == 2 and b"not a hex digit" in bad.stderr
    refused = subprocess.run(
        [*NETLAB, "udp-send", "255.255.255.255", "9", "--send", "x", "--wait", "0"],
        capture_output=True,
        timeout=20,
    )
    assert refused.returncode == 1
    assert b"permission to broadcast" in refused.stderr and b"SO_BROADCAST" in refused.stderr


def test_code_prints_the_programs_that_run(tmp_path: Path) -> None:
    recv = subprocess.run(
        [*NETLAB, "udp-recv", "--port", "0", "--echo", "--code"], capture_output=True, timeout=20
    )
    assert (
        recv.returncode == 0
        and b"sock.recvfrom(65535)" in recv.stdout
        and b"sock.sendto(data, peer)" in recv.stdout
    )
    program = tmp_path / "recv.py"
    program.write_bytes(recv.stdout)
    process = subprocess.Popen([sys.executable, str(program)], stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        port = int(process.stdout.readline().rsplit(",", 1)[1].strip(" )\n"))
        send = subprocess.run(
            [
                *NETLAB,
                "udp-send",
                "127.0.0.1",
                str(port),
                "--send",
                "hi",
                "--count",
                "2",
                "--interval",
                "10",
                "--code",
            ],
            capture_output=True,
            timeout=20,
        )
        assert send.returncode == 0 and b"COUNT, INTERVAL = 2, 0.01" in send.stdout
        sender = tmp_path / "send.py"
        sender.write_bytes(send.stdout)
        ran = subprocess.run([sys.executable, str(sender)], capture_output=True, text=True, timeout=20)
        assert ran.stdout.count("bytes: b'hi'") == 2, ran.stderr
    finally:
        process.kill()
        process.communicate(timeout=WAIT)
