"""TCP configs as runnable textbook Python: a socket server (or socketserver), and a create_connection client.

Each program does what NetLab's engine does with the same config, step by step, with a comment per
socket call. The tests run every program as printed against NetLab's own engine and compare the bytes.
"""

from __future__ import annotations

from enum import Enum

from netlab import __version__
from netlab.core.autoreply import MatchKind, Rule
from netlab.core.checksum import Algorithm, Checksum
from netlab.core.codec import CodecError, LineEnding, Payload, PayloadKind, encode_text, parse_hex
from netlab.core.config import Family
from netlab.core.sendbox import SendBox
from netlab.core.variables import Literal, Variable, parse
from netlab.tcp.config import ServerMode, TcpClientConfig, TcpServerConfig
from netlab.tcp.rewrite import RewriteKind

READ_SIZE = 4096
REPLY_WAIT_S = 2.0  # how long the client program listens after its last send


class Flavour(str, Enum):
    """Which way the server program is written."""

    SOCKET = "socket"  # socket(), bind(), listen(), accept() in a loop, a thread per client
    SOCKETSERVER = "socketserver"  # the stdlib's socketserver.ThreadingTCPServer does the loop


_MODE_STORY = {
    ServerMode.ECHO: "sends every byte back to the client that sent it",
    ServerMode.UPPER: "sends every byte back, ASCII letters in upper case",
    ServerMode.DAYTIME: "sends the date and time to each client, then closes (RFC 867)",
    ServerMode.BANNER: "greets each client with a banner, then echoes",
    ServerMode.CHAT: "relays what each client sends to every other client",
    ServerMode.DISCARD: "reads and drops everything (RFC 863)",
    ServerMode.MANUAL: "prints what clients send; lines you type are sent to every client",
    ServerMode.RULES: "answers messages that match auto-reply rules",
    ServerMode.RELAY: "relays each client to a real server and prints what both sides say",
}


def program(
    config: TcpServerConfig | TcpClientConfig,
    send: SendBox | None = None,
    flavour: Flavour = Flavour.SOCKET,
) -> str:
    """The program for a server config (in the chosen flavour) or a client config (sending `send`)."""
    if isinstance(config, TcpServerConfig):
        return server_program(config, flavour)
    return client_program(config, send or SendBox())


# ---------------------------------------------------------------------- server


def server_program(config: TcpServerConfig, flavour: Flavour = Flavour.SOCKET) -> str:
    mode = config.mode
    ipv6 = config.family in (Family.IPV6, Family.DUAL)
    host = config.host.strip("[]")
    uses_encoding = mode in (ServerMode.BANNER, ServerMode.RULES, ServerMode.MANUAL) or config.quit_words
    imports = {"socket", "threading"}
    if flavour is Flavour.SOCKETSERVER:
        imports.add("socketserver")
    if config.tls is not None:
        imports.add("ssl")
    if mode is ServerMode.DAYTIME:
        imports.add("time")
    if mode is ServerMode.RULES:
        used = {
            piece.name for rule in config.rules for piece in parse(rule.reply) if isinstance(piece, Variable)
        }
        if used & {"time", "date"}:
            imports.add("time")
        if "random" in used:
            imports.add("random")
    if mode is ServerMode.RULES and any(rule.match is MatchKind.REGEX for rule in config.rules):
        imports.add("re")
    if mode is ServerMode.MANUAL:
        imports.add("sys")
    if mode is ServerMode.RELAY:
        imports |= _relay_imports(config)

    out = [
        f'"""A TCP server that {_MODE_STORY[mode]}.',
        "",
        f"Written by NetLab {__version__} from the server's settings; run it with python3 and stop it",
        "with Ctrl+C. It serves each client on its own thread, as textbooks do (NetLab uses one thread).",
        '"""',
        "",
        *(f"import {name}" for name in sorted(imports)),
        "",
        f"HOST = {host!r}",
        f"PORT = {config.port}{'  # 0: the kernel picks a free port' if config.port == 0 else ''}",
    ]
    if uses_encoding:
        out.append(f"ENCODING = {config.encoding!r}  # how text becomes bytes and back")
    if config.quit_words:
        words = tuple(word.lower() for word in config.quit_words)
        out.append(f"QUIT_WORDS = {words!r}  # a client that sends one of these is closed")
    if mode is ServerMode.BANNER and config.banner:
        out.append(f"BANNER = {config.banner!r}")
    out += _tls_server_setup(config)
    out += _mode_globals(config)
    if mode is ServerMode.RELAY:
        out += _relay_globals(config)
    out += ["", "", *_format_address(), "", "", *_serve_client(config)]
    if flavour is Flavour.SOCKET:
        out += ["", "", *_socket_main(config, ipv6)]
    else:
        out += ["", "", *_socketserver_main(config, ipv6)]
    if mode is ServerMode.MANUAL:
        out += ["", "", *_keyboard()]
    out += ["", "", 'if __name__ == "__main__":', "    main()", ""]
    return "\n".join(out)


def _tls_server_setup(config: TcpServerConfig) -> list[str]:
    tls = config.tls
    if tls is None:
        return []
    if tls.self_signed:
        cert, key = "cert.pem", "key.pem"
        note = [
            "# NetLab makes a self-signed certificate for you. Make one for this program with:",
            "#   openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \\",
            '#     -subj "/CN=localhost" -keyout key.pem -out cert.pem',
        ]
    else:
        cert, key = tls.cert_file, tls.key_file
        note = []
    return [
        "",
        *note,
        f"CERT_FILE = {cert!r}",
        f"KEY_FILE = {key!r}",
        "# TLS: the server proves who it is with a certificate and the private key that belongs to it.",
        "CONTEXT = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)",
        "CONTEXT.load_cert_chain(CERT_FILE, KEY_FILE)",
    ]


def _mode_globals(config: TcpServerConfig) -> list[str]:
    if config.mode is ServerMode.CHAT or config.mode is ServerMode.MANUAL:
        return [
            "",
            "clients: set[socket.socket] = set()  # every connected client, for sending to all",
            "clients_lock = threading.Lock()  # client threads add and remove themselves",
        ]
    if config.mode is not ServerMode.RULES:
        return []
    out = [
        "",
        "# Auto-reply rules, first match wins: (how to match, pattern, reply).",
        "# A reply is a list of pieces: bytes as they are sent (escapes read, in ENCODING), and",
        "# (variable, width) pairs filled in on every reply, as NetLab's {counter}, {time} ... macros.",
        "RULES = [",
    ]
    names: set[str] = set()
    for rule in config.rules:
        pieces = _reply_pieces(rule, config.encoding)
        names |= {piece[0] for piece in pieces if isinstance(piece, tuple)}
        out.append(f"    ({rule.match.value!r}, {rule.pattern!r}, {pieces!r}),")
    out += [
        "]",
        "replies = 0  # replies sent so far, by every client together: {counter}",
        "replies_lock = threading.Lock()",
        "",
        "",
        "def matches(kind: str, pattern: str, message: str) -> bool:",
        "    # Typed lines carry a line ending: exact, starts-with and ends-with ignore it.",
        '    line = message.rstrip("\\r\\n")',
        '    if kind == "exact":',
        "        return line == pattern",
        '    if kind == "contains":',
        "        return pattern in message",
        '    if kind == "starts with":',
        "        return line.startswith(pattern)",
        '    if kind == "ends with":',
        "        return line.endswith(pattern)",
        "    return re.search(pattern, message) is not None  # regex",
        "",
        "",
        *_render(names),
        "",
        "",
        "def reply_for(message: str, peer: str) -> bytes | None:",
        '    """The first matching rule\'s reply with its variables filled in, or None."""',
        "    global replies",
        "    for kind, pattern, reply in RULES:",
        "        if matches(kind, pattern, message):",
        "            with replies_lock:",
        "                replies += 1",
        "                counter = replies",
        "            return render(reply, counter, peer)",
        "    return None",
    ]
    return out


def _render(names: set[str]) -> list[str]:
    """render() with a branch for each variable the rules use, and no others."""
    branches = {
        "counter": ["text = str(counter).zfill(width)  # replies so far, this one included"],
        "seq": ["text = str(counter - 1).zfill(width)  # the same, counted from 0"],
        "time": ['text = time.strftime("%H:%M:%S", now)'],
        "date": ['text = time.strftime("%Y-%m-%d", now)'],
        "random": ['text = "".join(random.choices("0123456789", k=width))'],
        "peer": ["text = peer  # host:port of the client"],
    }
    out = [
        "def render(reply: list, counter: int, peer: str) -> bytes:",
        '    """One reply\'s bytes: its pieces joined, variables filled in."""',
    ]
    if not names:
        return [*out, '    return b"".join(reply)']
    if names & {"time", "date"}:
        out.append("    now = time.localtime()")
    out += [
        '    out = b""',
        "    for piece in reply:",
        "        if isinstance(piece, bytes):",
    ]
    out += ["            out += piece", "            continue", "        name, width = piece"]
    for index, name in enumerate(sorted(names, key=list(branches).index)):
        keyword = "if" if index == 0 else "elif"
        out += [f"        {keyword} name == {name!r}:", *(f"            {line}" for line in branches[name])]
    out.append("        out += text.encode(ENCODING)")
    out.append("    return out")
    return out


def _reply_pieces(rule: Rule, encoding: str) -> list[bytes | tuple[str, int]]:
    """The reply as NetLab builds it: literal text read for escapes and encoded (unencodable text
    replaced), {hex:..} as its bytes, and the other variables as (name, width) to fill in per reply."""
    pieces: list[bytes | tuple[str, int]] = []
    for piece in parse(rule.reply):
        if isinstance(piece, Literal):
            text = piece.text.encode(encoding, "replace").decode(encoding)
            data = encode_text(text, encoding, escapes=True)
        elif piece.name == "hex":
            data = parse_hex(piece.arg)
        else:
            pieces.append((piece.name, int(piece.arg or 0)))
            continue
        if pieces and isinstance(pieces[-1], bytes):
            pieces[-1] += data  # one bytes piece per run of fixed bytes reads better
        else:
            pieces.append(data)
    return pieces


def _format_address() -> list[str]:
    return [
        "def format_address(address: tuple) -> str:",
        '    """(\'127.0.0.1\', 5000) -> 127.0.0.1:5000; (\'::1\', 5000, 0, 0) -> [::1]:5000."""',
        "    host, port = address[0], address[1]",
        '    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"',
    ]


def _serve_client(config: TcpServerConfig) -> list[str]:
    """The body every flavour shares: one client, from accept() to close()."""
    mode = config.mode
    out = [
        "def serve_client(conn: socket.socket, address: tuple) -> None:",
        '    """Serve one client until it closes its side, on this client\'s own thread."""',
        "    peer = format_address(address)",
    ]
    if config.tls is not None:
        out += [
            "    try:",
            "        # The TLS handshake, on this thread so a slow client cannot hold up accept().",
            "        conn = CONTEXT.wrap_socket(conn, server_side=True)",
            "    except (ssl.SSLError, OSError) as exc:",
            '        print(f"{peer}: TLS handshake failed ({exc})", flush=True)',
            "        conn.close()",
            "        return",
        ]
    if mode in (ServerMode.CHAT, ServerMode.MANUAL):
        out += ["    with clients_lock:", "        clients.add(conn)"]
    out.append('    print(f"{peer} connected", flush=True)')
    if mode is ServerMode.RELAY:
        return out + _relay_client(config)
    if mode is ServerMode.DAYTIME:
        out += [
            "    with conn:",
            '        now = time.strftime("%A, %B %d, %Y %H:%M:%S %Z\\r\\n", time.localtime())',
            "        conn.sendall(now.encode())  # sendall() loops until the kernel has taken every byte",
            "    # Leaving the with block calls close(): the client's recv() returns b'' (our FIN).",
            '    print(f"{peer}: daytime sent, closed", flush=True)',
        ]
        return out
    out.append("    with conn:")
    if mode is ServerMode.BANNER:
        if not config.banner:
            out.append("        host, port = conn.getsockname()[:2]")
        banner = "BANNER" if config.banner else 'f"Welcome from {host}:{port}\\r\\n"'
        out.append(f'        conn.sendall({banner}.encode(ENCODING, "replace"))  # greet first')
    out += [
        "        while True:",
        f"            data = conn.recv({READ_SIZE})  # blocks until bytes arrive",
        "            if not data:",
        "                # recv() returned b'': the client closed its side (FIN).",
        '                print(f"{peer} closed its side", flush=True)',
        "                break",
        '            print(f"{peer} sent {data!r}", flush=True)',
    ]
    if config.quit_words:
        out += [
            '            word = data.decode(ENCODING, "backslashreplace").strip().lower()',
            "            if word in QUIT_WORDS:",
            '                print(f"{peer} sent the quit word {word!r}: closing", flush=True)',
            "                break",
        ]
    out += _respond(mode)
    if mode in (ServerMode.CHAT, ServerMode.MANUAL):
        out += ["    with clients_lock:", "        clients.discard(conn)"]
    out.append("    # Leaving the with block called close(): the kernel sends our FIN.")
    return out


def _relay_imports(config: TcpServerConfig) -> set[str]:
    imports = set()
    if config.relay.tls:
        imports.add("ssl")
    if config.relay.tls or config.tls is not None:
        imports.add("os")  # half_close() on a TLS socket
    if any(rule.kind is RewriteKind.REGEX for rule in config.relay.rewrites):
        imports.add("re")
    return imports


def _relay_globals(config: TcpServerConfig) -> list[str]:
    target = config.relay
    host = target.host.strip("[]")
    out = [
        "",
        f"TARGET_HOST = {host!r}  # the real server each client is relayed to",
        f"TARGET_PORT = {target.port}",
        f"CONNECT_TIMEOUT = {target.connect_timeout!r}",
    ]
    if target.tls:
        cafile = f"cafile={target.ca_file!r}" if target.ca_file else ""
        out += [
            "# TLS to the real server: its certificate is checked against the system's CAs"
            + (" and CA_FILE." if target.ca_file else "."),
            f"TARGET_CONTEXT = ssl.create_default_context({cafile})",
        ]
        if not target.tls_verify:
            out += [
                "# 'Don't verify' is ticked: any certificate is accepted (fine for a lab, never for real).",
                "TARGET_CONTEXT.check_hostname = False",
                "TARGET_CONTEXT.verify_mode = ssl.CERT_NONE",
            ]
    out += ["", "# Rewrite rules: (regex?, pattern, replacement, which way) applied to each piece relayed."]
    out.append("REWRITES = [")
    for rule in target.rewrites:
        if rule.kind is RewriteKind.REGEX:
            pattern, replacement = rule.pattern.encode(), rule.replacement.encode()
        else:
            pattern, replacement = rule.pattern_bytes(), rule.replacement_bytes()
        out.append(
            f"    ({rule.kind is RewriteKind.REGEX}, {pattern!r}, {replacement!r}, {rule.toward.value!r}),"
        )
    out += [
        "]",
        "",
        "",
        "def rewrite(data: bytes, way: str) -> bytes:",
        "    for is_regex, pattern, replacement, toward in REWRITES:",
        '        if toward not in (way, "both"):',
        "            continue",
    ]
    if any(rule.kind is RewriteKind.REGEX for rule in target.rewrites):
        out += [
            "        if is_regex:",
            "            data, count = re.subn(pattern, replacement, data)",
            "        else:",
            "            count = data.count(pattern)",
            "            data = data.replace(pattern, replacement)",
        ]
    else:
        out += ["        count = data.count(pattern)", "        data = data.replace(pattern, replacement)"]
    out += [
        "        if count:",
        '            print(f"rewrote {way}: {pattern!r} x{count}", flush=True)',
        "    return data",
        "",
        "",
        "def half_close(sock: socket.socket) -> None:",
        '    """shutdown(SHUT_WR): our FIN, so the other side\'s recv() returns b\'\'; we can still read."""',
        "    try:",
    ]
    if target.tls or config.tls is not None:
        out += [
            "        if isinstance(sock, ssl.SSLSocket):",
            "            # SSLSocket.shutdown() would drop the TLS state: half-close the TCP socket below.",
            "            with socket.socket(fileno=os.dup(sock.fileno())) as raw:",
            "                raw.shutdown(socket.SHUT_WR)",
            "            return",
        ]
    out += [
        "        sock.shutdown(socket.SHUT_WR)",
        "    except OSError:",
        "        pass  # the other side is already gone",
        "",
        "",
        "def pump(source: socket.socket, sink: socket.socket, way: str, peer: str) -> None:",
        '    """Copy bytes one way until the source closes its side, then pass its FIN on."""',
        "    while True:",
        "        try:",
        f"            data = source.recv({READ_SIZE})  # blocks until bytes arrive",
        "        except OSError:",
        "            data = b''  # reset: this way is over",
        "        if not data:",
        "            break",
        "        data = rewrite(data, way)",
        '        print(f"{peer} {way}: {data!r}", flush=True)',
        "        try:",
        "            sink.sendall(data)  # waits while the other side reads slowly: back-pressure",
        "        except OSError:",
        "            break",
        "    half_close(sink)",
    ]
    return out


def _relay_client(config: TcpServerConfig) -> list[str]:
    """serve_client() for a relay: a connection of our own to the real server, a thread each way."""
    out = [
        "    try:",
        "        # create_connection(): getaddrinfo(), socket() and connect() to the real server.",
        "        upstream = socket.create_connection((TARGET_HOST, TARGET_PORT), timeout=CONNECT_TIMEOUT)",
        "        upstream.settimeout(None)  # connected: from now on recv() waits as long as it takes",
    ]
    if config.relay.tls:
        out.append("        upstream = TARGET_CONTEXT.wrap_socket(upstream, server_hostname=TARGET_HOST)")
    out += [
        "    except OSError as exc:",
        '        print(f"{peer}: cannot reach {TARGET_HOST}:{TARGET_PORT} ({exc})", flush=True)',
        "        conn.close()",
        "        return",
        '    print(f"relaying {peer} <-> {TARGET_HOST}:{TARGET_PORT}", flush=True)',
        '    back = threading.Thread(target=pump, args=(upstream, conn, "to client", peer), daemon=True)',
        "    back.start()",
        '    pump(conn, upstream, "to server", peer)',
        "    back.join()  # both ways are done: each side has sent its FIN",
        "    conn.close()",
        "    upstream.close()",
        '    print(f"{peer}: both sides finished", flush=True)',
    ]
    return out


def _respond(mode: ServerMode) -> list[str]:
    pad = " " * 12
    if mode in (ServerMode.ECHO, ServerMode.BANNER):
        return [pad + "conn.sendall(data)  # echo: every byte goes back"]
    if mode is ServerMode.UPPER:
        return [pad + "conn.sendall(data.upper())  # bytes.upper() changes ASCII letters only"]
    if mode is ServerMode.CHAT:
        return [
            pad + 'line = f"[{peer}] ".encode() + data',
            pad + "with clients_lock:",
            pad + "    others = [other for other in clients if other is not conn]",
            pad + "for other in others:",
            pad + "    try:",
            pad + "        other.sendall(line)",
            pad + "    except OSError:",
            pad + "        pass  # that client is leaving; its own thread cleans up",
        ]
    if mode is ServerMode.RULES:
        return [
            pad + 'reply = reply_for(data.decode(ENCODING, "backslashreplace"), peer)',
            pad + "if reply is not None:",
            pad + "    conn.sendall(reply)",
        ]
    if mode is ServerMode.DISCARD:
        return [pad + "# discard: the bytes are read and dropped"]
    return [pad + "# manual: nothing is sent back; what you type is (see keyboard())"]


def _socket_main(config: TcpServerConfig, ipv6: bool) -> list[str]:
    family = "AF_INET6" if ipv6 else "AF_INET"
    out = [
        "def main() -> None:",
        f"    # socket(): an {'IPv6' if ipv6 else 'IPv4'} TCP socket; this one will listen.",
        f"    server = socket.socket(socket.{family}, socket.SOCK_STREAM)",
    ]
    if config.reuse_addr:
        out += [
            "    # setsockopt(SO_REUSEADDR): bind even while old connections on the port are in TIME_WAIT.",
            "    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)",
        ]
    if ipv6:
        v6only = 0 if config.family is Family.DUAL else 1
        story = "also take IPv4 clients (dual-stack)" if v6only == 0 else "take IPv6 clients only"
        out += [
            f"    # setsockopt(IPV6_V6ONLY, {v6only}): {story}.",
            f"    server.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, {v6only})",
        ]
    out += [
        "    # bind(): claim the address and port.",
        "    server.bind((HOST, PORT))",
        f"    # listen({config.backlog}): the kernel now completes handshakes for us, queueing up to",
        f"    # {config.backlog} clients that accept() has not taken yet.",
        f"    server.listen({config.backlog})",
        '    print(f"listening on {format_address(server.getsockname())}", flush=True)',
    ]
    if config.mode is ServerMode.MANUAL:
        out.append("    threading.Thread(target=keyboard, daemon=True).start()")
    out += [
        "    with server:",
        "        while True:",
        "            # accept(): wait for the next client. Each gets a new socket; this one keeps listening.",
        "            conn, address = server.accept()",
        "            threading.Thread(target=serve_client, args=(conn, address), daemon=True).start()",
    ]
    return out


def _socketserver_main(config: TcpServerConfig, ipv6: bool) -> list[str]:
    out = [
        "class Handler(socketserver.BaseRequestHandler):",
        '    """socketserver calls handle() on a new thread for every client it accepts."""',
        "",
        "    def handle(self) -> None:",
        "        serve_client(self.request, self.client_address)",
        "",
        "",
        "class Server(socketserver.ThreadingTCPServer):",
        '    """socket(), bind() and listen() happen in the constructor; serve_forever() runs accept()."""',
        "",
        f"    address_family = socket.{'AF_INET6' if ipv6 else 'AF_INET'}",
        f"    allow_reuse_address = {config.reuse_addr}  # SO_REUSEADDR",
        f"    request_queue_size = {config.backlog}  # the listen() backlog",
        "    daemon_threads = True  # Ctrl+C does not wait for clients",
    ]
    if ipv6:
        v6only = 0 if config.family is Family.DUAL else 1
        out += [
            "",
            "    def server_bind(self) -> None:",
            f"        self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, {v6only})",
            "        super().server_bind()",
        ]
    out += [
        "",
        "",
        "def main() -> None:",
        "    with Server((HOST, PORT), Handler) as server:",
        '        print(f"listening on {format_address(server.server_address)}", flush=True)',
    ]
    if config.mode is ServerMode.MANUAL:
        out.append("        threading.Thread(target=keyboard, daemon=True).start()")
    out.append("        server.serve_forever()")
    return out


def _keyboard() -> list[str]:
    return [
        "def keyboard() -> None:",
        '    """Manual mode: every line you type goes to every client (NetLab has a send box for this)."""',
        "    for line in sys.stdin:",
        "        with clients_lock:",
        "            targets = list(clients)",
        "        for conn in targets:",
        "            conn.sendall(line.encode(ENCODING))",
    ]


# ---------------------------------------------------------------------- client


def _payload_lines(payload: Payload) -> list[str]:
    """DATA, written the way a person would: text.encode(), bytes.fromhex(), or a file's bytes."""
    if payload.kind is PayloadKind.FILE:
        return [
            f"PATH = {payload.text!r}",
            "with open(PATH, 'rb') as source:  # the file is sent as it is, byte for byte",
            "    DATA = source.read()",
        ]
    try:
        data = payload.to_bytes() if payload.text else b""
    except CodecError as exc:
        return [f"# The send box does not make bytes yet ({exc.message}): nothing is sent.", 'DATA = b""']
    if payload.kind is PayloadKind.HEX:
        return [f"DATA = bytes.fromhex({data.hex(' ')!r})"]
    if payload.escapes or not payload.text:
        what = "the text with its escapes read" if payload.escapes else "nothing"
        return [f"DATA = {data!r}  # {what}, in {payload.encoding}"]
    eol = "" if payload.eol is LineEnding.NONE else f" + {payload.eol.bytes!r}"
    return [f"TEXT = {payload.text!r}", f"DATA = TEXT.encode({payload.encoding!r}){eol}"]


def client_program(config: TcpClientConfig, send: SendBox | None = None, wait: float = REPLY_WAIT_S) -> str:
    """`wait` is how long the program keeps reading after the last reply (the CLI's --wait)."""
    send = send or SendBox()
    host = config.host.strip("[]")
    imports = {"socket", "sys", "time"}
    if config.tls:
        imports.add("ssl")
    periodic = send.periodic
    data_lines, sending = _send_functions(send, imports)  # first: it adds the imports it needs
    out = [
        f'"""A TCP client: connect to {host} port {config.port}, send the send box, print the replies.',
        "",
        f"Written by NetLab {__version__} from the client's settings; run it with python3.",
        '"""',
        "",
        *(f"import {name}" for name in sorted(imports)),
        "",
        f"HOST = {host!r}",
        f"PORT = {config.port}",
        *_client_option_lines(config),
        *data_lines,
        f"REPEAT = False  # True: send DATA every {periodic.interval_ms} ms, "
        + (f"{periodic.count} times" if periodic.count else "until Ctrl+C")
        + ", as NetLab's periodic send",
        f"INTERVAL_S = {periodic.interval_ms / 1000!r}",
        f"COUNT = {periodic.count}  # 0: until stopped",
        f"REPLY_WAIT_S = {wait!r}  # stop reading after this long without a reply",
        *sending,
        "",
        "",
        "def connect() -> socket.socket:",
    ]
    if config.local_address is not None:
        out += _bound_connect(config)
    elif config.family is Family.AUTO or config.family is Family.DUAL:
        out += [
            "    # create_connection() looks the host up (IPv4 or IPv6), then socket() and connect():",
            "    # the three-way handshake happens here.",
            f"    sock = socket.create_connection((HOST, PORT), timeout={config.connect_timeout!r})",
        ]
    else:
        family = "AF_INET6" if config.family is Family.IPV6 else "AF_INET"
        out += [
            f"    # socket(): {'IPv6' if family == 'AF_INET6' else 'IPv4'} only, as chosen.",
            f"    sock = socket.socket(socket.{family}, socket.SOCK_STREAM)",
            f"    sock.settimeout({config.connect_timeout!r})",
            "    sock.connect((HOST, PORT))  # the three-way handshake happens here",
        ]
    if config.nodelay:
        out += [
            "    # TCP_NODELAY: send small writes at once instead of waiting to fill a segment (Nagle).",
            "    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)",
        ]
    if config.keepalive:
        out += [
            "    # SO_KEEPALIVE: probe an idle connection so a vanished peer is noticed.",
            "    sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)",
        ]
    for option, size in (("SO_RCVBUF", config.rcvbuf), ("SO_SNDBUF", config.sndbuf)):
        if size:
            out += [
                f"    sock.setsockopt(socket.SOL_SOCKET, socket.{option}, {size})  # the kernel may double it"
            ]
    if config.tls:
        cafile = f"cafile={config.ca_file!r}" if config.ca_file else ""
        out += [
            "    # TLS: wrap the connected socket; the handshake checks the server's certificate.",
            f"    context = ssl.create_default_context({cafile})",
        ]
        if not config.tls_verify:
            out += [
                '    # "Don\'t verify the certificate": any certificate is accepted (a lab only).',
                "    context.check_hostname = False",
                "    context.verify_mode = ssl.CERT_NONE",
            ]
        out.append("    sock = context.wrap_socket(sock, server_hostname=HOST)")
    out += [
        "    return sock",
        "",
        "",
        "def main() -> None:",
        "    with connect() as sock:",
        '        print(f"connected to {sock.getpeername()[:2]}", file=sys.stderr)',
        *_before_sending(config),
        "        sent = 0",
        "        while DATA:",
        "            data = next_send(sent + 1)",
        "            sock.sendall(data)  # sendall() loops until the kernel has taken every byte",
        "            sent += 1",
        "            if not REPEAT or sent == COUNT:",
        "                break",
        "            time.sleep(INTERVAL_S)",
        "        sock.settimeout(REPLY_WAIT_S)",
        "        try:",
        "            while True:",
        f"                reply = sock.recv({READ_SIZE})",
        "                if not reply:",
        "                    # recv() returned b'': the server closed its side (FIN).",
        '                    print("the server closed the connection", file=sys.stderr)',
        "                    break",
        "                sys.stdout.buffer.write(reply)",
        "                sys.stdout.buffer.flush()",
        "        except TimeoutError:",
        '            print(f"no reply for {REPLY_WAIT_S} s: closing", file=sys.stderr)',
        "        except ConnectionResetError:",
        "            # RST: the server had closed before our data arrived, so its kernel refused it.",
        '            print("the server reset the connection", file=sys.stderr)',
        "    # Leaving the with block called close(): the kernel sends our FIN.",
        "",
        "",
        'if __name__ == "__main__":',
        "    main()",
        "",
    ]
    return "\n".join(out)


# ---------------------------------------------------------------------- client: protocol-developer options


def _client_option_lines(config: TcpClientConfig) -> list[str]:
    out = []
    local = config.local_address
    if local is not None:
        out += [f"LOCAL_HOST = {local[0]!r}  # '': any address of this machine", f"LOCAL_PORT = {local[1]}"]
    if config.wait_for_server:
        out.append(f"SERVER_FIRST_TIMEOUT_S = {config.server_first_timeout!r}  # wait this long for a banner")
    if config.connect_delay:
        out.append(f"DELAY_AFTER_CONNECT_S = {config.connect_delay!r}")
    return out


def _bound_connect(config: TcpClientConfig) -> list[str]:
    """connect() with a bind() first: the socket is made by hand, for the family the address needs."""
    local = config.local_address
    assert local is not None
    if local[0]:
        family = "AF_INET6" if ":" in local[0] else "AF_INET"
    else:
        family = {Family.IPV4: "AF_INET", Family.IPV6: "AF_INET6"}.get(config.family, "AF_UNSPEC")
    out = [
        "    # getaddrinfo(): the server's address, of the IP version our local address has.",
        f"    found = socket.getaddrinfo(HOST, PORT, socket.{family}, socket.SOCK_STREAM)",
        "    family, _, _, _, address = found[0]",
        "    sock = socket.socket(family, socket.SOCK_STREAM)",
    ]
    if local[1]:
        out += [
            "    # SO_REUSEADDR: the port may still be in TIME_WAIT from the last run; reuse it anyway.",
            "    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)",
        ]
    out += [
        "    # bind() before connect(): we choose our end's address instead of letting connect() pick.",
        '    any_address = "::" if family == socket.AF_INET6 else "0.0.0.0"',
        "    sock.bind((LOCAL_HOST or any_address, LOCAL_PORT))",
        f"    sock.settimeout({config.connect_timeout!r})",
        "    sock.connect(address)  # the three-way handshake happens here",
    ]
    return out


def _before_sending(config: TcpClientConfig) -> list[str]:
    """Waiting for the server's banner and the delay after connect, as NetLab holds its sends."""
    out = []
    if config.wait_for_server:
        out += [
            "        # The server speaks first (a banner): read it before sending anything.",
            "        sock.settimeout(SERVER_FIRST_TIMEOUT_S)",
            "        try:",
            f"            banner = sock.recv({READ_SIZE})",
            "            sys.stdout.buffer.write(banner)",
            "            sys.stdout.buffer.flush()",
            "        except TimeoutError:",
            '            print(f"the server said nothing within {SERVER_FIRST_TIMEOUT_S} s; sending anyway",'
            " file=sys.stderr)",
            f"        sock.settimeout({config.connect_timeout!r})",
        ]
    if config.connect_delay:
        out.append("        time.sleep(DELAY_AFTER_CONNECT_S)  # some devices need a moment after connecting")
    return out


def _send_functions(send: SendBox, imports: set[str]) -> tuple[list[str], list[str]]:
    """DATA (or the pieces it is made of), and next_send(n): the n-th send's bytes, its variables
    filled in and its checksum appended, as NetLab's send box makes them."""
    payload = send.payload
    pieces = _send_pieces(payload) if send.variables else None
    data_lines = _payload_lines(payload)
    out = ["", ""]
    if pieces is not None:
        names = {piece[0] for piece in pieces if isinstance(piece, tuple)}
        hex_mode = payload.kind is PayloadKind.HEX
        if "random" in names:
            imports.add("random")
        data_lines = [
            *([] if hex_mode else [f"ENCODING = {payload.encoding!r}"]),
            "# The send box with its variables: bytes as they are, (name, width) filled in on every send.",
            f"PIECES = {pieces!r}",
            "DATA = bool(PIECES)  # something to send",
        ]
        out += [*(_render_binary(names) if hex_mode else _render(names)), "", ""]
    checksum = send.checksum
    if checksum is not None and checksum.append:
        out += [*_checksum_function(checksum, imports), "", ""]
    out += ["def next_send(sent: int) -> bytes:", '    """The bytes of send number `sent` (1, 2, 3 ...)."""']
    data = 'render(PIECES, sent, f"{HOST}:{PORT}")' if pieces is not None else "DATA"
    if checksum is not None and checksum.append:
        out.append(f"    data = {data}")
        out.append("    return data + checksum(data)")
    else:
        out.append(f"    return {data}")
    return data_lines, out


def _send_pieces(payload: Payload) -> list[bytes | tuple[str, int]] | None:
    """The send box as NetLab renders it, when it has variables: literal text read for escapes and
    encoded (hex read as hex), {hex:..} as its bytes, the other variables as (name, width); the line
    ending last. None when there are no variables, or the box does not make bytes yet."""
    if payload.kind not in (PayloadKind.TEXT, PayloadKind.HEX):
        return None
    hex_mode = payload.kind is PayloadKind.HEX
    pieces: list[bytes | tuple[str, int]] = []
    try:
        parsed = parse(payload.text)
        if not any(isinstance(piece, Variable) for piece in parsed):
            return None
        for piece in parsed:
            if isinstance(piece, Literal):
                text = piece.text
                data = (
                    parse_hex(text)
                    if hex_mode
                    else encode_text(text, payload.encoding, escapes=payload.escapes)
                )
            elif piece.name == "hex":
                data = parse_hex(piece.arg)
            else:
                pieces.append((piece.name, int(piece.arg or 0)))
                continue
            if pieces and isinstance(pieces[-1], bytes):
                pieces[-1] += data
            else:
                pieces.append(data)
    except CodecError:
        return None
    if payload.eol.bytes and not hex_mode:
        pieces.append(payload.eol.bytes)
    return pieces


def _render_binary(names: set[str]) -> list[str]:
    """render() for a hex send box: numbers as big-endian bytes, {random:N} as N random bytes."""
    out = [
        "def render(pieces: list, counter: int, peer: str) -> bytes:",
        '    """One send\'s bytes: its pieces joined, variables filled in as bytes."""',
        '    out = b""',
        "    for piece in pieces:",
        "        if isinstance(piece, bytes):",
        "            out += piece",
        "            continue",
        "        name, width = piece",
    ]
    branches = {
        "counter": [
            "size = max(1, width)  # {counter}: one byte, {counter:N}: N bytes, wrapping round",
            'out += (counter % (1 << 8 * size)).to_bytes(size, "big")',
        ],
        "seq": ["size = max(1, width)", 'out += ((counter - 1) % (1 << 8 * size)).to_bytes(size, "big")'],
        "random": ["out += random.randbytes(width)"],
        "time": ['out += time.strftime("%H:%M:%S").encode("ascii")'],
        "date": ['out += time.strftime("%Y-%m-%d").encode("ascii")'],
        "peer": ['out += peer.encode("ascii")'],
    }
    for index, name in enumerate(sorted(names, key=list(branches).index)):
        keyword = "if" if index == 0 else "elif"
        out += [f"        {keyword} name == {name!r}:", *(f"            {line}" for line in branches[name])]
    out.append("    return out")
    return out


_CHECKSUM_CODE = {
    Algorithm.SUM8: ["    value = sum(covered) & 0xFF  # sum8: the bytes added up, mod 256"],
    Algorithm.XOR8: [
        "    value = 0",
        "    for byte in covered:  # XOR8: every byte XORed together",
        "        value ^= byte",
    ],
    Algorithm.CRC16_MODBUS: [
        "    value = 0xFFFF  # CRC-16/MODBUS: polynomial 0x8005 reflected (0xA001), start 0xFFFF",
        "    for byte in covered:",
        "        value ^= byte",
        "        for _ in range(8):",
        "            value = (value >> 1) ^ 0xA001 if value & 1 else value >> 1",
    ],
    Algorithm.CRC16_IBM_3740: [
        "    value = binascii.crc_hqx(covered, 0xFFFF)  # CRC-16/IBM-3740 (CCITT-FALSE)"
    ],
    Algorithm.CRC16_XMODEM: ["    value = binascii.crc_hqx(covered, 0)  # CRC-16/XMODEM"],
    Algorithm.CRC32: ["    value = binascii.crc32(covered)  # CRC-32, as zlib and Ethernet compute it"],
}


def _checksum_function(checksum: Checksum, imports: set[str]) -> list[str]:
    if checksum.algorithm in (Algorithm.CRC16_IBM_3740, Algorithm.CRC16_XMODEM, Algorithm.CRC32):
        imports.add("binascii")
    first, last = checksum.skip_first, checksum.skip_last
    return [
        "def checksum(data: bytes) -> bytes:",
        f'    """{checksum.algorithm.label} over the bytes from {first} in to {last} before the end,'
        f' {checksum.byte_order.value}-endian."""',
        f"    covered = data[{first} : len(data) - {last}]",
        *_CHECKSUM_CODE[checksum.algorithm],
        f"    return value.to_bytes({checksum.algorithm.width}, {checksum.byte_order.value!r})",
    ]
