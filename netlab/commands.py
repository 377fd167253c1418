"""NetLab's terminal commands: `netlab tcp-server`, `tcp-client`, `serve`, `udp-send` and the rest.

netlab.cli hands a command line here only when it names a command, so starting the desktop app never
loads any of this (issue 8).
"""

from __future__ import annotations

import argparse
import os
import queue
import signal
import sys
import threading
import time
from collections.abc import Sequence
from types import FrameType

from netlab import __version__
from netlab.core.checksum import Algorithm, ByteOrder, Checksum
from netlab.core.codec import CodecError, LineEnding, Payload, PayloadKind, hexdump
from netlab.core.config import ConfigError, Family, FieldProblem, format_address
from netlab.core.engine import Engine
from netlab.core.events import (
    Closed,
    Data,
    Error,
    Event,
    HttpExchange,
    Info,
    Listening,
    Opened,
    Stopped,
    direction_of,
)
from netlab.core.present import access_line, arrow, connection_label, format_time, summary
from netlab.core.sendbox import PeriodicSend, SendBox, send_bytes
from netlab.core.variables import Expander, payload_bytes
from netlab.http import code as http_code
from netlab.http import form_cli
from netlab.http.file_server import FileServer, FileServerConfig
from netlab.http.raw import to_crlf
from netlab.http.raw_client import RawHttpClient
from netlab.http.raw_code import program as raw_http_program
from netlab.http.raw_config import RawHttpConfig
from netlab.tcp import code as tcp_code
from netlab.tcp.client import TcpClients
from netlab.tcp.config import ServerMode, TcpClientConfig, TcpServerConfig, TlsServerSettings
from netlab.tcp.rewrite import RelayTarget
from netlab.tcp.server import TcpServer
from netlab.udp.code import program as udp_program
from netlab.udp.config import ReceiverMode, UdpReceiverConfig, UdpSenderConfig
from netlab.udp.receiver import UdpReceiver
from netlab.udp.sender import UdpSender

# Manual and rules need the app; a relay has its own command, tcp-relay.
CLI_MODES = [m.value for m in ServerMode if m not in (ServerMode.MANUAL, ServerMode.RULES, ServerMode.RELAY)]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="netlab",
        description=(
            "NetLab, a desktop network lab. With no command, opens the desktop app; "
            "`netlab LAB.netlab` opens a lab in it."
        ),
    )
    parser.add_argument("--version", action="version", version=f"netlab {__version__}")
    # Without a command, `netlab` opens the app (netlab.cli): here, options alone are a mistake.
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    server = commands.add_parser("tcp-server", help="run a TCP server and print every event")
    server.add_argument("--host", default=TcpServerConfig.host, help="address to bind (default %(default)s)")
    server.add_argument(
        "--port", type=int, default=TcpServerConfig.port, help="0 = any free port (default %(default)s)"
    )
    server.add_argument(
        "--mode", choices=CLI_MODES, default="echo", help="what to do with data (default %(default)s)"
    )
    server.add_argument("--banner", default="", help="banner text for --mode banner")
    server.add_argument("--ipv6", action="store_true", help="use IPv6 (host :: or ::1)")
    server.add_argument(
        "--tls-self-signed", action="store_true", help="TLS with a fresh self-signed certificate"
    )
    server.add_argument("--trace", action="store_true", help="also print each socket API call")
    _add_code_option(server)

    relay = commands.add_parser(
        "tcp-relay",
        help="relay each client to a server and print what both sides say",
        description="Listen on LISTEN_PORT; each client that connects is relayed to TARGET_HOST:TARGET_PORT, "
        "and every byte either side sends is printed.",
    )
    relay.add_argument("listen_port", type=int, help="0 = any free port")
    relay.add_argument("target_host")
    relay.add_argument("target_port", type=int)
    relay.add_argument("--host", default=TcpServerConfig.host, help="address to bind (default %(default)s)")
    relay.add_argument("--tls", action="store_true", help="speak TLS to the target server")
    relay.add_argument("--insecure", action="store_true", help="with --tls: don't verify its certificate")
    relay.add_argument("--ca-file", default="", help="with --tls: also trust this CA (PEM file)")
    relay.add_argument("--trace", action="store_true", help="also print each socket API call")
    _add_code_option(relay)

    client = commands.add_parser("tcp-client", help="connect, send, and print what comes back")
    client.add_argument("host")
    client.add_argument("port", type=int)
    what = client.add_mutually_exclusive_group()
    what.add_argument("--send", metavar="TEXT", help="text to send")
    what.add_argument("--hex", metavar="HEX", help="bytes to send as hex, e.g. '48 65 6c 6c 6f'")
    what.add_argument("--file", metavar="PATH", help="send this file's contents")
    client.add_argument(
        "--eol", choices=[e.value for e in LineEnding], default="none", help="line ending after --send"
    )
    client.add_argument("--escapes", action="store_true", help=r"read \r \n \t \xNN in --send")
    client.add_argument("--encoding", default="utf-8", help="encoding of --send (default %(default)s)")
    client.add_argument(
        "--wait", type=float, default=2.0, help="seconds to wait for replies (default %(default)s)"
    )
    client.add_argument("--timeout", type=float, default=5.0, help="connect timeout in seconds")
    client.add_argument("--hexdump", action="store_true", help="print replies as a hexdump")
    client.add_argument("--tls", action="store_true", help="connect with TLS")
    client.add_argument(
        "--no-verify",
        "--insecure",
        dest="no_verify",
        action="store_true",
        help="with --tls, don't verify the certificate: any server is accepted, and its certificate is shown",
    )
    client.add_argument("--ca-file", default="", metavar="PEM", help="with --tls, also trust this CA")
    client.add_argument("--trace", action="store_true", help="print each socket API call to stderr")
    _add_protocol_options(client)
    _add_code_option(client)
    serve = commands.add_parser(
        "serve", help="serve a folder over HTTP, safely (python -m http.server, grown up)"
    )
    serve.add_argument("dir", nargs="?", default=".", help="the folder to share (default: this one)")
    serve.add_argument(
        "--bind", default=FileServerConfig.host, help="address (default %(default)s; 0.0.0.0 = LAN)"
    )
    serve.add_argument(
        "--port", type=int, default=FileServerConfig.port, help="0 = any free port (default %(default)s)"
    )
    serve.add_argument("--upload", action="store_true", help="allow uploads from the listing page")
    serve.add_argument(
        "--max-upload",
        type=int,
        default=FileServerConfig.max_upload_mb,
        metavar="MB",
        help="largest upload in MB (default %(default)s)",
    )
    serve.add_argument("--auth", metavar="USER:PASS", default="", help="ask for this user name and password")
    serve.add_argument("--show-hidden", action="store_true", help="list and serve dot-files too")
    serve.add_argument(
        "--idle-timeout",
        type=float,
        default=FileServerConfig.idle_timeout,
        metavar="SECONDS",
        help="close a connection idle this long (default %(default)s)",
    )
    _add_code_option(serve)
    _add_udp_commands(commands)
    _add_raw_http_command(commands)
    form_cli.add_command(commands)
    return parser


def _add_code_option(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--code", action="store_true", help="print the equivalent Python program instead of running"
    )


def _add_raw_http_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    raw = commands.add_parser(
        "raw-http", help="send a raw HTTP request's exact bytes; the raw reply to stdout, timing to stderr"
    )
    raw.add_argument("host")
    raw.add_argument("port", type=int)
    raw.add_argument("--tls", action="store_true", help="connect with TLS")
    raw.add_argument(
        "--insecure", action="store_true", help="with --tls, don't verify the server's certificate"
    )
    raw.add_argument("--ca-file", default="", help="with --tls, also trust this CA certificate (PEM)")
    what = raw.add_mutually_exclusive_group(required=True)
    what.add_argument("--file", metavar="REQUEST_FILE", help="send this file's bytes as the request")
    what.add_argument("--request", metavar="TEXT", help="send this text as the request")
    raw.add_argument("--crlf", action="store_true", help="convert every line end to CRLF first")
    raw.add_argument(
        "--timeout", type=float, default=10.0, help="seconds to wait for more bytes (default %(default)s)"
    )
    _add_code_option(raw)


def _raw_http_config(args: argparse.Namespace) -> RawHttpConfig:
    if args.file is not None:
        try:
            with open(args.file, "rb") as file:
                text = file.read().decode("utf-8", errors="surrogateescape")
        except OSError as exc:
            raise ConfigError(
                [FieldProblem("file", f"Cannot read {args.file}: {exc.strerror}", "check the path")]
            ) from None
    else:
        text = args.request
    return RawHttpConfig(
        host=args.host,
        port=args.port,
        tls=args.tls,
        verify=not args.insecure,
        ca_file=args.ca_file,
        request=text,
        crlf=args.crlf,
        auto_length=False,  # the CLI sends the bytes as given
        timeout=args.timeout,
    )


def _raw_http(args: argparse.Namespace) -> int:
    config = _raw_http_config(args)
    data = config.request.encode("utf-8", errors="surrogateescape")
    if config.crlf:
        data = to_crlf(config.request).encode("utf-8", errors="surrogateescape")
    events: queue.Queue[Event] = queue.Queue()
    engine = RawHttpClient(events.put)
    thread = threading.Thread(target=engine.run, name="netlab-raw-http")
    thread.start()
    status = 0
    opened = False
    out = sys.stdout.buffer
    try:
        engine.request(config, data)
        while True:
            try:
                event = events.get(timeout=config.timeout * 3 + 5)
            except queue.Empty:
                print("netlab: the request did not finish in time", file=sys.stderr)
                return 1
            if isinstance(event, Error):
                _say(event)
                status = 1
            elif isinstance(event, Data) and event.direction.value == "received":
                out.write(event.data)
                out.flush()
            elif isinstance(event, Info):
                print(event.text, file=sys.stderr, flush=True)
                if event.text.startswith("Response:"):
                    return status
            elif isinstance(event, Opened):
                opened = True
            elif isinstance(event, Closed) and not opened:
                return 1  # never connected: the error above says why
    finally:
        engine.stop()
        thread.join(5)


def _add_udp_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    recv = commands.add_parser("udp-recv", help="receive UDP datagrams and print each one")
    recv.add_argument("--host", default=None, help="address to bind (default 127.0.0.1, or :: with --ipv6)")
    recv.add_argument(
        "--port", type=int, default=UdpReceiverConfig.port, help="0 = any free port (default %(default)s)"
    )
    recv.add_argument("--echo", action="store_true", help="send every datagram back to its sender")
    recv.add_argument("--ipv6", action="store_true", help="use IPv6")
    recv.add_argument("--group", metavar="MCAST_ADDR", default="", help="join this multicast group")
    recv.add_argument("--interface", default="", help="interface address (IPv4) or name (IPv6) for --group")
    recv.add_argument("--trace", action="store_true", help="also print each socket API call")
    _add_code_option(recv)

    send = commands.add_parser("udp-send", help="send UDP datagrams and print the replies")
    send.add_argument("host")
    send.add_argument("port", type=int)
    what = send.add_mutually_exclusive_group(required=True)
    what.add_argument("--send", metavar="TEXT", help="text to send; {counter}, {time} … expand")
    what.add_argument("--hex", metavar="HEX", help="bytes to send as hex, e.g. '48 65 6c 6c 6f'")
    send.add_argument("--count", type=int, default=1, help="how many datagrams (default %(default)s)")
    send.add_argument("--interval", type=int, default=1000, metavar="MS", help="ms between datagrams")
    send.add_argument("--broadcast", action="store_true", help="allow broadcast addresses (SO_BROADCAST)")
    send.add_argument("--source-port", type=int, default=0, help="send from this port (default: any)")
    send.add_argument(
        "--wait", type=float, default=1.0, metavar="SECONDS", help="how long to print replies after sending"
    )
    send.add_argument("--trace", action="store_true", help="print each socket API call to stderr")
    _add_code_option(send)


def run(words: Sequence[str]) -> int:
    """Run the command `words` names (netlab.cli has already sent the app's own command lines there).

    With no command at all (only options such as --version or --help), argparse answers and exits.
    """
    args = build_parser().parse_args(words)
    try:
        if getattr(args, "code", False):
            print(_program(args), end="")
            return 0
        if args.command in ("tcp-server", "tcp-relay"):
            return _tcp_server(args)
        if args.command == "serve":
            return _serve(args)
        if args.command == "udp-recv":
            return _udp_recv(args)
        if args.command == "udp-send":
            return _udp_send(args)
        if args.command == "raw-http":
            return _raw_http(args)
        if args.command == "http":
            return form_cli.run(args)
        return _tcp_client(args)
    except (ConfigError, CodecError) as exc:
        hint = f": {exc.hint}" if isinstance(exc, CodecError) else ""
        print(f"netlab: {exc}{hint}", file=sys.stderr)
        return 2


def _program(args: argparse.Namespace) -> str:
    """--code: the Python program that does what this command would, instead of running it."""
    if args.command in ("tcp-server", "tcp-relay"):
        return tcp_code.server_program(_tcp_server_config(args))
    if args.command == "tcp-client":
        return tcp_code.client_program(_tcp_client_config(args), _tcp_client_send_box(args), args.wait)
    if args.command == "serve":
        return http_code.program(_serve_config(args))
    if args.command == "udp-recv":
        return udp_program(_udp_recv_config(args))
    if args.command == "udp-send":
        return udp_program(_udp_send_config(args), _udp_send_box(args), repeat=args.count != 1)
    if args.command == "raw-http":
        return raw_http_program(_raw_http_config(args))
    if args.command == "http":
        return form_cli.program(args)
    raise ConfigError([FieldProblem("code", f"{args.command} has no --code yet", "")])


def _say(error: Error) -> None:
    """An error as one plain line on stderr: message, then hint."""
    print(f"netlab: {error.message}" + (f": {error.hint}" if error.hint else ""), file=sys.stderr, flush=True)


def event_line(event: Event) -> str:
    size = f" {len(event.data)} bytes:" if isinstance(event, Data) else ""
    where = connection_label(event)
    return f"{format_time(event.wall)}  {where}  {arrow(direction_of(event))}{size} {summary(event)}"


def _tcp_server_config(args: argparse.Namespace) -> TcpServerConfig:
    if args.command == "tcp-relay":
        target = RelayTarget(
            host=args.target_host,
            port=args.target_port,
            tls=args.tls,
            tls_verify=not args.insecure,
            ca_file=args.ca_file,
        )
        return TcpServerConfig(
            host=args.host, port=args.listen_port, mode=ServerMode.RELAY, relay=target, trace=args.trace
        )
    return TcpServerConfig(
        host=args.host,
        port=args.port,
        family=Family.IPV6 if args.ipv6 else Family.IPV4,
        mode=ServerMode(args.mode),
        banner=args.banner.replace("\\r\\n", "\r\n"),
        tls=TlsServerSettings(self_signed=True) if args.tls_self_signed else None,
        trace=args.trace,
    )


def _tcp_server(args: argparse.Namespace) -> int:
    config = _tcp_server_config(args)
    early: list[Event] = []
    listening = False
    failed = False

    def sink(event: Event) -> None:
        nonlocal listening, failed
        if isinstance(event, Listening):
            listening = True
            print(summary(event), flush=True)
            for held in early:
                print(event_line(held), flush=True)
            return
        if isinstance(event, Error):
            failed = failed or not listening
            _say(event)
        elif not listening:
            early.append(event)
        elif not isinstance(event, Stopped):
            print(event_line(event), flush=True)

    return _run_until_signal(TcpServer(config, sink)) or (1 if failed else 0)


def _serve_config(args: argparse.Namespace) -> FileServerConfig:
    return FileServerConfig(
        root=args.dir,
        host=args.bind,
        port=args.port,
        upload=args.upload,
        max_upload_mb=args.max_upload,
        auth=args.auth,
        show_hidden=args.show_hidden,
        idle_timeout=args.idle_timeout,
    )


def _serve(args: argparse.Namespace) -> int:
    config = _serve_config(args)
    failed = False

    def sink(event: Event) -> None:
        nonlocal failed
        if isinstance(event, Listening):
            where = format_address((event.host, event.port))
            print(f"serving {os.path.abspath(config.root)} on http://{where}/", flush=True)
        elif isinstance(event, HttpExchange):
            print(access_line(event))  # flushed by the timer below, not a write() per request
        elif isinstance(event, Error):
            failed = failed or server.address is None
            _say(event)

    server = FileServer(config, sink)

    def flush_often() -> None:
        sys.stdout.flush()
        server.loop.call_later(0.1, flush_often)

    server.loop.call_soon(flush_often)
    status = _run_until_signal(server) or (1 if failed else 0)
    sys.stdout.flush()
    return status


def _run_until_signal(engine: Engine) -> int:
    """Run an engine on this thread until Ctrl-C or SIGTERM; 0 once it has stopped cleanly."""

    def on_signal(_signum: int, _frame: FrameType | None) -> None:
        engine.stop()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    engine.run()
    return 0


def _add_protocol_options(client: argparse.ArgumentParser) -> None:
    """The send box's variables and checksum, and the client's bind and banner options."""
    client.add_argument(
        "--no-variables",
        action="store_true",
        help="send {braces} as typed instead of filling in {counter}, {time}, {random:N} ...",
    )
    client.add_argument(
        "--checksum", choices=[a.value for a in Algorithm], help="append this checksum to what is sent"
    )
    client.add_argument(
        "--checksum-order", choices=[o.value for o in ByteOrder], default="big", help="its byte order"
    )
    client.add_argument("--bind", metavar="HOST:PORT", help="bind() to this local address before connecting")
    client.add_argument(
        "--wait-banner",
        type=float,
        metavar="SECONDS",
        help="send only after the server's first bytes (or after this many seconds)",
    )
    client.add_argument(
        "--delay",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="wait this long after connecting before sending",
    )


def _tcp_client_config(args: argparse.Namespace) -> TcpClientConfig:
    local_host, local_port = "", 0
    if args.bind:
        host, _, port = args.bind.rpartition(":")
        if not port.isdigit():
            raise ConfigError(
                [
                    FieldProblem(
                        "bind", f"--bind {args.bind}: no port after the colon", "write e.g. 127.0.0.1:40000"
                    )
                ]
            )
        local_host, local_port = host.strip("[]"), int(port)
    return TcpClientConfig(
        host=args.host,
        port=args.port,
        connect_timeout=args.timeout,
        tls=args.tls,
        tls_verify=not args.no_verify,
        ca_file=args.ca_file,
        trace=args.trace,
        local_host=local_host,
        local_port=local_port,
        wait_for_server=args.wait_banner is not None,
        server_first_timeout=args.wait_banner or TcpClientConfig.server_first_timeout,
        connect_delay=args.delay,
    )


def _tcp_client_send_box(args: argparse.Namespace) -> SendBox:
    checksum = Checksum(Algorithm(args.checksum), ByteOrder(args.checksum_order)) if args.checksum else None
    if args.hex is not None:
        payload = Payload(PayloadKind.HEX, args.hex)
    elif args.file is not None:
        payload = Payload(PayloadKind.FILE, args.file)
    else:
        payload = Payload(
            PayloadKind.TEXT, args.send or "", args.encoding, LineEnding(args.eol), args.escapes
        )
    return SendBox(payload, variables=not args.no_variables, checksum=checksum)


def _tcp_client(args: argparse.Namespace) -> int:
    config = _tcp_client_config(args)
    box = _tcp_client_send_box(args)
    payload = box.payload
    peer = f"{args.host}:{args.port}"
    data = send_bytes(box, Expander(), peer) if payload.kind is not PayloadKind.FILE and payload.text else b""
    events: queue.Queue[Event] = queue.Queue()
    engine = TcpClients(events.put, trace=args.trace)
    thread = threading.Thread(target=engine.run, name="netlab-tcp-client")
    thread.start()
    try:
        return _client_session(engine, config, events, data, args)
    finally:
        engine.stop()
        thread.join(5)


def _client_session(
    engine: TcpClients,
    config: TcpClientConfig,
    events: queue.Queue[Event],
    data: bytes,
    args: argparse.Namespace,
) -> int:
    conn = engine.open(config)
    deadline = time.monotonic() + config.connect_timeout + 1
    opened = sent = False
    status = 0
    out = sys.stdout.buffer
    while True:
        if opened and not sent:
            sent = True
            if args.file:
                engine.send_file(conn, args.file)
            elif data:
                engine.send(conn, data)
            deadline = time.monotonic() + args.wait
        try:
            event = events.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            if not opened:
                print(f"netlab: no connection to {config.host}:{config.port} in time", file=sys.stderr)
                return 1
            return status
        if isinstance(event, Opened):
            opened = True
        elif isinstance(event, Error):
            _say(event)
            if not opened:  # the connection failed for the reason just printed: nothing more will come
                return 1
            status = 1
        elif isinstance(event, Closed):
            return status if opened else 1
        elif isinstance(event, Data) and event.direction.value == "received":
            out.write((hexdump(event.data) + "\n").encode() if args.hexdump else event.data)
            out.flush()
        elif args.trace:
            print(event_line(event), file=sys.stderr)


def _udp_recv(args: argparse.Namespace) -> int:
    config = _udp_recv_config(args)
    failed = False
    early: list[Event] = []  # trace rows before the listening line, which must come first

    def sink(event: Event) -> None:
        nonlocal failed
        if isinstance(event, Listening):
            print(summary(event), flush=True)
            for held in early:
                print(event_line(held), flush=True)
            early.clear()
        elif isinstance(event, Error):
            failed = failed or receiver.address is None
            _say(event)
        elif receiver.address is None:
            early.append(event)
        elif not isinstance(event, Stopped):
            print(event_line(event), flush=True)

    receiver = UdpReceiver(config, sink)
    return _run_until_signal(receiver) or (1 if failed else 0)


def _udp_recv_config(args: argparse.Namespace) -> UdpReceiverConfig:
    host = args.host or ("::" if args.ipv6 and args.group else "::1" if args.ipv6 else "127.0.0.1")
    if args.group and args.host is None and not args.ipv6:
        host = "0.0.0.0"  # group datagrams are addressed to the group, not to 127.0.0.1
    return UdpReceiverConfig(
        host=host,
        port=args.port,
        family=Family.IPV6 if args.ipv6 else Family.IPV4,
        mode=ReceiverMode.ECHO if args.echo else ReceiverMode.LOG,
        group=args.group,
        interface=args.interface,
        trace=args.trace,
    )


def _udp_send_config(args: argparse.Namespace) -> UdpSenderConfig:
    return UdpSenderConfig(
        host=args.host,
        port=args.port,
        broadcast=args.broadcast,
        source_port=args.source_port,
        trace=args.trace,
    )


def _udp_send_box(args: argparse.Namespace) -> SendBox:
    """The send box from --send/--hex, --count and --interval; bad hex or a bad variable fails here."""
    kind, text = (PayloadKind.TEXT, args.send) if args.send is not None else (PayloadKind.HEX, args.hex)
    if args.count < 1:
        raise ConfigError([FieldProblem("count", f"--count {args.count} sends nothing", "use 1 or more")])
    box = SendBox(payload=Payload(kind, text), periodic=PeriodicSend(args.interval, args.count))
    payload_bytes(box.payload, Expander())
    return box


def _udp_send(args: argparse.Namespace) -> int:
    config = _udp_send_config(args)
    box = _udp_send_box(args)
    events: queue.Queue[Event] = queue.Queue()
    sender = UdpSender(config, events.put)
    thread = threading.Thread(target=sender.run, name="netlab-udp-send")
    thread.start()
    try:
        return _udp_session(sender, box, events, args)
    finally:
        sender.stop()
        thread.join(5)


def _udp_session(
    sender: UdpSender, box: SendBox, events: queue.Queue[Event], args: argparse.Namespace
) -> int:
    """Print replies (stdout) and failures (stderr) until --wait seconds after the last datagram."""
    status = 0
    sent = 0
    started = False
    deadline = time.monotonic() + 5.0  # for set-up
    out = sys.stdout.buffer
    while True:
        try:
            event = events.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            return status if started else 1
        if isinstance(event, Listening):
            started = True
            sender.send(box, repeat=args.count != 1)
            deadline = time.monotonic() + (args.count - 1) * args.interval / 1000 + args.wait + 1
        elif isinstance(event, Error):
            _say(event)
            status = 1
            if not started:
                return 1
        elif isinstance(event, Stopped):
            return status if started else 1
        elif isinstance(event, Data) and event.direction.value == "received":
            out.write(f"{event.peer} {len(event.data)} bytes: ".encode() + event.data + b"\n")
            out.flush()
        elif isinstance(event, Data):
            sent += 1
            if sent == args.count:
                deadline = time.monotonic() + args.wait
        elif args.trace:
            print(event_line(event), file=sys.stderr)
