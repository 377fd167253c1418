"""The UDP receiver and sender as runnable Python socket programs, for the code view and `--code`.

The programs read like the textbook: socket(), setsockopt(), bind(), then a recvfrom() or sendto()
loop, with a short comment per step. They speak the same bytes as NetLab's engines.
"""

from __future__ import annotations

from netlab.core.codec import PayloadKind
from netlab.core.config import Family
from netlab.core.sendbox import SendBox
from netlab.core.variables import Literal, VariableError, parse
from netlab.udp.config import ReceiverMode, TrafficConfig, UdpReceiverConfig, UdpSenderConfig, is_multicast


def program(
    config: UdpReceiverConfig | UdpSenderConfig, box: SendBox | None = None, repeat: bool = False
) -> str:
    """The receiver, or the sender sending what `box` holds: once, or as box.periodic says with repeat."""
    if isinstance(config, UdpReceiverConfig):
        return receiver_program(config)
    return sender_program(config, box or SendBox(), repeat)


def receiver_program(config: UdpReceiverConfig) -> str:
    ipv6 = config.family is not Family.IPV4
    host = config.host.strip("[]")
    family = "AF_INET6" if ipv6 else "AF_INET"
    lines = [
        '"""A UDP receiver, as NetLab runs it: every datagram is logged' + _mode_words(config.mode) + '."""',
        "",
        "import socket",
    ]
    if config.group and ipv6:
        lines.append("import struct")
    lines += [
        "",
        f"HOST, PORT = {host!r}, {config.port}",
        f"ENCODING = {config.encoding!r}",
    ]
    if config.quit_words:
        lines.append(f"QUIT_WORDS = {{{', '.join(repr(w.lower()) for w in config.quit_words)}}}")
    lines += [
        "",
        "# A datagram socket: no listen(), no accept(), no connection at all.",
        f"sock = socket.socket(socket.{family}, socket.SOCK_DGRAM)",
    ]
    if config.reuse_addr or config.group:
        lines += [
            "# Let other sockets bind this port too (several receivers of one group).",
            "sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)",
        ]
    if ipv6:
        v6only = 0 if config.family is Family.DUAL else 1
        lines.append(f"sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, {v6only})")
    if config.rcvbuf:
        lines += [
            "# How many bytes of datagrams the kernel may queue before it drops new ones.",
            f"sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, {config.rcvbuf})",
        ]
    lines += [
        "# Claim the port: datagrams sent to it now queue for us.",
        "sock.bind((HOST, PORT))",
        'print("listening on", sock.getsockname()[:2], flush=True)',
    ]
    if config.group:
        group = config.group.strip("[]")
        if ipv6:
            index = f"socket.if_nametoindex({config.interface!r})" if config.interface else "0"
            lines += [
                "# Join the group: the kernel now delivers the group's datagrams to this socket.",
                f"membership = socket.inet_pton(socket.AF_INET6, {group!r}) + struct.pack('@I', {index})",
                "sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_JOIN_GROUP, membership)",
            ]
        else:
            lines += [
                "# Join the group on an interface: the kernel now delivers the group's datagrams here.",
                f"interface = {config.interface or '0.0.0.0'!r}",
                f"membership = socket.inet_aton({group!r}) + socket.inet_aton(interface)",
                "sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, membership)",
            ]
    if config.quit_words:
        lines.append("quiet = set()  # peers that sent a quit word: UDP has no connection to close")
    if config.mode is ReceiverMode.RULES:
        lines += _rules_code(config)
    lines += [
        "",
        "while True:",
        "    # One recvfrom() returns one whole datagram, and who sent it.",
        "    data, peer = sock.recvfrom(65535)",
        '    print(peer, len(data), "bytes:", data.decode(ENCODING, "backslashreplace"), flush=True)',
    ]
    if config.quit_words:
        lines += [
            "    if peer in quiet:",
            "        continue",
            '    if data.decode(ENCODING, "backslashreplace").strip().lower() in QUIT_WORDS:',
            "        quiet.add(peer)",
            "        continue",
        ]
    if config.mode is ReceiverMode.ECHO:
        lines += [
            "    # Echo: send the same bytes back to the address they came from.",
            "    sock.sendto(data, peer)",
        ]
    elif config.mode is ReceiverMode.UPPER:
        lines += ["    sock.sendto(data.upper(), peer)"]
    elif config.mode is ReceiverMode.RULES:
        lines += [
            "    reply = answer(data, peer)",
            "    if reply:",
            "        sock.sendto(reply, peer)",
        ]
    return "\n".join(lines) + "\n"


def _mode_words(mode: ReceiverMode) -> str:
    return {
        ReceiverMode.LOG: "",
        ReceiverMode.ECHO: " and sent back",
        ReceiverMode.UPPER: " and sent back in uppercase",
        ReceiverMode.RULES: " and answered by the first rule that matches",
    }[mode]


def _rules_code(config: UdpReceiverConfig) -> list[str]:
    """A small matcher with the same rules: exact, contains, starts with, ends with, regex."""
    lines = [
        "",
        "import re",
        "import time",
        "",
        "RULES = [  # (match, pattern, reply): the first that matches answers",
    ]
    for rule in config.rules:
        lines.append(f"    ({rule.match.value!r}, {rule.pattern!r}, {rule.reply!r}),")
    lines += [
        "]",
        "replies = 0",
        "",
        "",
        "def matches(match, pattern, message):",
        '    line = message.rstrip("\\r\\n")',
        '    return {"exact": line == pattern, "contains": pattern in message,',
        '            "starts with": line.startswith(pattern), "ends with": line.endswith(pattern),',
        '            "regex": match == "regex" and re.search(pattern, message) is not None}[match]',
        "",
        "",
        "def answer(data, peer):",
        "    global replies",
        '    message = data.decode(ENCODING, "backslashreplace")',
        "    for match, pattern, reply in RULES:",
        "        if matches(match, pattern, message):",
        "            replies += 1",
        "            # NetLab's variables: {counter} {time} {date} {peer} (see netlab/core/variables.py).",
        '            text = reply.replace("{counter}", str(replies)).replace("{peer}", "%s:%d" % peer[:2])',
        '            text = text.replace("{time}", time.strftime("%H:%M:%S"))',
        '            text = text.replace("{date}", time.strftime("%Y-%m-%d"))',
        r"            # Read the escapes NetLab reads in replies: \r \n \t.",
        r'            text = text.replace("\\r", "\r").replace("\\n", "\n").replace("\\t", "\t")',
        "            return text.encode(ENCODING)",
        '    return b""',
    ]
    return lines


def sender_program(config: UdpSenderConfig, box: SendBox, repeat: bool = False) -> str:
    host = config.host.strip("[]")
    ipv6 = ":" in host or config.family is Family.IPV6
    family = "AF_INET6" if ipv6 else "AF_INET"
    group = is_multicast(host)
    repeat = repeat and box.periodic.count != 1
    lines = [
        '"""A UDP sender, as NetLab runs it: bind a source port, sendto() the target, print the replies."""',
        "",
        "import socket",
    ]
    if repeat:
        lines.append("import time")
    lines += [
        "",
        f"TARGET = ({host!r}, {config.port})",
        f"SOURCE = ({config.bind_host.strip('[]') or ('::' if ipv6 else '0.0.0.0')!r}, {config.source_port})",
        _payload_line(box),
    ]
    if repeat:
        count = box.periodic.count
        lines.append(
            f"COUNT, INTERVAL = {count or 'None'}, {box.periodic.interval_ms / 1000!r}  # None: forever"
        )
    lines += [
        "",
        f"sock = socket.socket(socket.{family}, socket.SOCK_DGRAM)",
    ]
    if config.broadcast:
        lines += [
            "# Without SO_BROADCAST the kernel refuses to send to a broadcast address (EACCES).",
            "sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)",
        ]
    if group:
        if ipv6:
            lines += [
                f"sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, {config.multicast_ttl})",
                "sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_LOOP, "
                f"{int(config.multicast_loop)})",
            ]
            if config.multicast_interface:
                lines.append(
                    "sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, "
                    f"socket.if_nametoindex({config.multicast_interface!r}))"
                )
        else:
            lines += [
                "# TTL: how many routers the group's datagrams may cross; loop: deliver to this machine too.",
                f"sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, {config.multicast_ttl})",
                f"sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, {int(config.multicast_loop)})",
            ]
            if config.multicast_interface:
                lines.append(
                    "sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, "
                    f"socket.inet_aton({config.multicast_interface!r}))"
                )
    lines += [
        "# Bind first, so the replies come back to a port we know.",
        "sock.bind(SOURCE)",
        "sock.settimeout(1.0)",
        "",
    ]
    send = "sock.sendto(PAYLOAD, TARGET)"
    if repeat:
        lines += [
            "sent = 0",
            "while COUNT is None or sent < COUNT:",
            "    # No connection: each sendto() names its target, and nothing says it arrived.",
            f"    {send}",
            "    sent += 1",
            "    time.sleep(INTERVAL)",
        ]
    else:
        lines += ["# No connection: sendto() names the target, and nothing says it arrived.", send]
    lines += [
        "",
        "try:",
        "    while True:",
        "        data, peer = sock.recvfrom(65535)",
        '        print(peer, len(data), "bytes:", data, flush=True)',
        "except TimeoutError:",
        "    pass  # a second with nothing: UDP never says 'done', so we stop waiting",
        "except ConnectionRefusedError:",
        '    print("ICMP port unreachable: nothing receives UDP on", TARGET)',
        "sock.close()",
    ]
    return "\n".join(lines) + "\n"


def _payload_line(box: SendBox) -> str:
    payload = box.payload
    if payload.kind is PayloadKind.FILE:
        return f"PAYLOAD = open({payload.text!r}, 'rb').read()  # one datagram: at most 65,507 bytes"
    try:
        data = payload.to_bytes() if payload.kind is PayloadKind.HEX or not box.variables else None
        if data is None:
            pieces = parse(payload.text)
            if all(isinstance(piece, Literal) for piece in pieces):
                data = payload.to_bytes()
    except VariableError:
        data = None
    except ValueError:
        return "PAYLOAD = b''  # the send box holds no valid bytes yet"
    if data is None:
        return (
            f"PAYLOAD = {payload.text!r}.encode({payload.encoding!r})  "
            "# NetLab fills in the {variables} on every send"
        )
    return f"PAYLOAD = {data!r}"


def generator_program(config: UdpSenderConfig, traffic: TrafficConfig) -> str:
    """The traffic generator: paced sendto() with NetLab's 20-byte sequence header (see seqheader.py)."""
    host = config.host.strip("[]")
    family = "AF_INET6" if ":" in host or config.family is Family.IPV6 else "AF_INET"
    rate = traffic.datagrams_per_s
    limit = traffic.count or None
    if traffic.duration_s:
        by_time = int(rate * traffic.duration_s)
        limit = min(limit, by_time) if limit else by_time
    lines = [
        '"""NetLab\'s traffic generator: a steady rate, each datagram stamped so the receiver sees loss."""',
        "",
        "import os",
        "import socket",
        "import struct",
        "import time",
        "",
        f"TARGET = ({host!r}, {config.port})",
        f"RATE = {rate!r}  # datagrams per second",
        f"COUNT = {limit}  # None: until Ctrl-C",
        f"SIZE = {traffic.size}  # bytes per datagram",
        "",
    ]
    if traffic.sequence:
        lines += [
            "# The sequence header, 20 bytes in network byte order: magic 'NLSQ', a random run id,",
            "# the sequence number, and the send time in nanoseconds since 1970 (for one-way delay).",
            'HEADER = struct.Struct("!4sIIQ")',
            'RUN = int.from_bytes(os.urandom(4), "big")',
            "FILLER = b'.' * (SIZE - HEADER.size)",
        ]
    else:
        lines.append("FILLER = b'.' * SIZE")
    lines += [
        "",
        f"sock = socket.socket(socket.{family}, socket.SOCK_DGRAM)",
    ]
    if config.broadcast:
        lines.append("sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)")
    lines += [
        "start = time.monotonic()",
        "sent = 0",
        "while COUNT is None or sent < COUNT:",
        "    # Pace: datagram n leaves at start + n / RATE; if we are behind, send at once.",
        "    delay = start + sent / RATE - time.monotonic()",
        "    if delay > 0:",
        "        time.sleep(delay)",
    ]
    if traffic.sequence:
        lines.append("    data = HEADER.pack(b'NLSQ', RUN, sent & 0xFFFFFFFF, time.time_ns()) + FILLER")
    else:
        lines.append("    data = FILLER")
    lines += [
        "    sock.sendto(data, TARGET)",
        "    sent += 1",
        "elapsed = time.monotonic() - start",
        'print(f"{sent} datagrams in {elapsed:.2f} s: {sent / max(elapsed, 1e-9):.0f}/s")',
    ]
    return "\n".join(lines) + "\n"
