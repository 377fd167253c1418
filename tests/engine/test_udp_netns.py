"""Broadcast and IPv6 multicast inside a network namespace this test creates (root and iproute2 only).

A veth pair with both ends in the namespace is a real Ethernet-like link whose datagrams never
leave it, so broadcast and multicast can be tried for real without touching any network.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator

import pytest

from .conftest import WAIT

NETLAB = [sys.executable, "-m", "netlab"]
SUBNET_BROADCAST = "10.213.7.255"


def _ip(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["ip", *args], capture_output=True, text=True, timeout=WAIT, check=False)


@pytest.fixture(scope="module")
def netns() -> Iterator[str]:
    if os.geteuid() != 0:
        pytest.skip("needs root to create a network namespace")
    if shutil.which("ip") is None:
        pytest.skip("needs iproute2 ('ip'); apt-get install iproute2")
    name = f"netlab-udp-{os.getpid()}"
    if _ip("netns", "add", name).returncode != 0:
        pytest.skip("this system does not allow creating network namespaces")
    try:
        # No duplicate-address detection: IPv6 addresses are usable at once, not after a second or two.
        for conf in ("all", "default"):
            subprocess.run(
                inside(name, "sysctl", "-qw", f"net.ipv6.conf.{conf}.accept_dad=0"), timeout=WAIT, check=False
            )
        steps = [
            ("link", "set", "lo", "up"),
            ("link", "add", "v0", "type", "veth", "peer", "name", "v1"),
            ("addr", "add", "10.213.7.1/24", "brd", "+", "dev", "v0"),
            ("link", "set", "v0", "up"),
            ("link", "set", "v1", "up"),
        ]
        for step in steps:
            done = _ip("-n", name, *step)
            if done.returncode != 0:
                pytest.skip(f"could not set up the namespace ({' '.join(step)}): {done.stderr.strip()}")
        yield name
    finally:
        _ip("netns", "del", name)


def inside(netns: str, *command: str) -> list[str]:
    return ["ip", "netns", "exec", netns, *command]


def test_broadcast_addresses_list_the_interfaces_subnet(netns: str) -> None:
    code = "from netlab.udp.interfaces import broadcast_addresses; print(broadcast_addresses())"
    out = subprocess.run(
        inside(netns, sys.executable, "-c", code), capture_output=True, text=True, timeout=20
    )
    assert out.stdout.strip() == str(["255.255.255.255", SUBNET_BROADCAST]), out.stderr


def test_broadcast_reaches_a_receiver_only_with_so_broadcast(netns: str) -> None:
    receiver = subprocess.Popen(
        inside(netns, *NETLAB, "udp-recv", "--host", "0.0.0.0", "--port", "0"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert receiver.stdout is not None
        port = receiver.stdout.readline().rsplit(":", 1)[1].strip()
        refused = subprocess.run(
            inside(netns, *NETLAB, "udp-send", SUBNET_BROADCAST, port, "--send", "no option", "--wait", "0"),
            capture_output=True,
            text=True,
            timeout=20,
        )
        assert refused.returncode == 1 and "permission to broadcast" in refused.stderr
        sent = subprocess.run(
            inside(
                netns,
                *NETLAB,
                "udp-send",
                SUBNET_BROADCAST,
                port,
                "--send",
                "to all",
                "--broadcast",
                "--wait",
                "0.2",
            ),
            capture_output=True,
            text=True,
            timeout=20,
        )
        assert sent.returncode == 0, sent.stderr
    finally:
        receiver.send_signal(signal.SIGTERM)
        out, err = receiver.communicate(timeout=WAIT)
    assert "received 6 bytes: to all" in out, err
    assert "no option" not in out


IPV6_MULTICAST = textwrap.dedent(
    """
    import json, threading
    from netlab.core.codec import Payload
    from netlab.core.config import Family
    from netlab.core.events import Data, Direction, Error, Listening
    from netlab.core.sendbox import SendBox
    from netlab.udp.config import UdpReceiverConfig, UdpSenderConfig
    from netlab.udp.receiver import UdpReceiver
    from netlab.udp.sender import UdpSender

    got, ready = [], threading.Event()
    def sink(event):
        if isinstance(event, Listening):
            ready.set()
        if isinstance(event, (Data, Error)):
            got.append(getattr(event, "data", b"").decode() or event.message)
    config = UdpReceiverConfig(host="::", port=0, family=Family.IPV6, group="ff02::1:3", interface="v0")
    receiver = UdpReceiver(config, sink)
    thread = threading.Thread(target=receiver.run)
    thread.start()
    ready.wait(5)
    target = UdpSenderConfig(host="ff02::1:3", port=receiver.address[1], multicast_interface="v0")
    sender = UdpSender(target, print)
    sender_thread = threading.Thread(target=sender.run)
    sender_thread.start()
    sender.started.wait(5)
    sender.send(SendBox(payload=Payload(text="six to the group")))
    for _ in range(200):
        if got:
            break
        threading.Event().wait(0.01)
    sender.stop(); receiver.stop(); sender_thread.join(5); thread.join(5)
    print(json.dumps(got))
    """
)


def test_ipv6_multicast_group_on_an_interface_with_multicast(netns: str) -> None:
    out = subprocess.run(
        inside(netns, sys.executable, "-c", IPV6_MULTICAST), capture_output=True, text=True, timeout=30
    )
    assert json.loads(out.stdout.strip().splitlines()[-1]) == ["six to the group"], out.stderr
