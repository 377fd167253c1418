"""`netlab http URL`: the HTTP form from the terminal; the body to stdout, the status (and wire) to stderr."""

from __future__ import annotations

import argparse
import queue
import sys
import threading
from typing import Any

from netlab.core.config import ConfigError, FieldProblem
from netlab.core.events import Data, Direction, Error, Event, Info
from netlab.http.form_code import curl_command, requests_program, urllib_program
from netlab.http.form_config import METHODS, AuthKind, Backend, BodyKind, HttpFormConfig, NameValue, Upload


def add_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    http = commands.add_parser(
        "http", help="send one HTTP request with urllib or requests; the body to stdout, the status to stderr"
    )
    http.add_argument("url")
    http.add_argument("-X", "--method", default="GET", choices=METHODS, help="(default %(default)s)")
    http.add_argument(
        "--backend",
        default=Backend.REQUESTS.value,
        choices=[b.value for b in Backend],
        help="(default %(default)s)",
    )
    http.add_argument(
        "-H", "--header", action="append", default=[], metavar="'NAME: VALUE'", help="add a header"
    )
    body = http.add_mutually_exclusive_group()
    body.add_argument("--data", metavar="TEXT", help="send this text as the body")
    body.add_argument("--json", metavar="JSON", help="send this JSON (checked first)")
    body.add_argument("--form", action="append", metavar="NAME=VALUE", help="a form field (urlencoded)")
    body.add_argument("--multipart", action="append", metavar="NAME=VALUE", help="a multipart field")
    http.add_argument("--file", action="append", default=[], metavar="FIELD=PATH", help="a file (multipart)")
    auth = http.add_mutually_exclusive_group()
    auth.add_argument("--user", metavar="USER:PASSWORD", help="basic auth (digest with --digest)")
    auth.add_argument("--bearer", metavar="TOKEN", help="bearer token")
    http.add_argument("--digest", action="store_true", help="with --user, use digest auth")
    http.add_argument("--timeout", type=float, default=10.0, help="seconds (default %(default)s)")
    http.add_argument("--no-follow", action="store_true", help="don't follow redirects")
    http.add_argument("--insecure", action="store_true", help="don't verify the TLS certificate")
    http.add_argument("--cacert", default="", metavar="FILE", help="trust this CA file")
    http.add_argument("--proxy", default="", metavar="URL", help="send through this proxy")
    http.add_argument("--retries", type=int, default=0, help="retries after a failure or a 5xx")
    http.add_argument("--wire", action="store_true", help="print the bytes sent and received to stderr")
    http.add_argument(
        "--code",
        nargs="?",
        const="python",
        choices=["python", "curl"],
        help="print the program (Python with --backend's library, or curl) instead of running",
    )


def _pairs(values: list[str] | None, flag: str) -> tuple[NameValue, ...]:
    found = []
    for value in values or []:
        name, equals, rest = value.partition("=")
        if not equals:
            raise ConfigError(
                [FieldProblem("fields", f"{flag} {value!r} has no '='", f"write {flag} name=value")]
            )
        found.append(NameValue(name, rest))
    return tuple(found)


def config_from(args: argparse.Namespace) -> HttpFormConfig:
    headers = []
    for line in args.header:
        name, colon, value = line.partition(":")
        if not colon:
            raise ConfigError([FieldProblem("headers", f"-H {line!r} has no ':'", "write -H 'Name: value'")])
        headers.append(NameValue(name.strip(), value.strip()))
    fields: dict[str, Any] = {}
    if args.data is not None:
        fields = {"body_kind": BodyKind.RAW, "body": args.data}
    elif args.json is not None:
        fields = {"body_kind": BodyKind.JSON, "body": args.json}
    elif args.form:
        fields = {"body_kind": BodyKind.FORM, "fields": _pairs(args.form, "--form")}
    elif args.multipart or args.file:
        fields = {"body_kind": BodyKind.MULTIPART, "fields": _pairs(args.multipart, "--multipart")}
    if args.file:
        fields["files"] = tuple(Upload(p.name, p.value) for p in _pairs(args.file, "--file"))
    if args.user is not None:
        user, _, password = args.user.partition(":")
        kind = AuthKind.DIGEST if args.digest else AuthKind.BASIC
        fields.update(auth=kind, user=user, password=password)
    elif args.bearer is not None:
        fields.update(auth=AuthKind.BEARER, token=args.bearer)
    return HttpFormConfig(
        backend=Backend(args.backend),
        method=args.method,
        url=args.url,
        headers=tuple(headers),
        timeout=args.timeout,
        follow_redirects=not args.no_follow,
        verify=not args.insecure,
        ca_file=args.cacert,
        proxy=args.proxy,
        retries=args.retries,
        **fields,
    )


def program(args: argparse.Namespace) -> str:
    config = config_from(args)
    if args.code == "curl":
        return curl_command(config)
    return requests_program(config) if config.backend == Backend.REQUESTS else urllib_program(config)


def run(args: argparse.Namespace) -> int:
    """Send the request; 0 on any HTTP response (a 404 is an answer), 1 when no answer came."""
    from netlab.http.form_client import FormResponse, HttpFormClient  # urllib, ssl ...: only when sending

    config = config_from(args)
    events: queue.Queue[Event] = queue.Queue()
    client = HttpFormClient(events.put)
    thread = threading.Thread(target=client.run, name="netlab-http")
    thread.start()
    try:
        client.send(config)
        limit = (config.timeout + config.retries * (config.backoff + config.timeout)) * 3 + 5
        while True:
            try:
                event = events.get(timeout=limit)
            except queue.Empty:
                print("netlab: the request did not finish in time", file=sys.stderr)
                return 1
            if isinstance(event, FormResponse):
                sys.stdout.buffer.write(event.body)
                sys.stdout.buffer.flush()
                print(event.text, file=sys.stderr, flush=True)
                return 0
            if isinstance(event, Error):
                print(f"netlab: {event.message}" + (f": {event.hint}" if event.hint else ""), file=sys.stderr)
                return 1
            if args.wire and isinstance(event, Data):
                arrow = "→ sent" if event.direction is Direction.SENT else "← received"
                print(f"{event.conversation} {arrow} {len(event.data)} bytes:", file=sys.stderr)
                print(event.data.decode("utf-8", errors="replace"), file=sys.stderr, flush=True)
            elif args.wire and isinstance(event, Info):
                print(event.text, file=sys.stderr, flush=True)
    finally:
        client.stop()
        thread.join(5)
