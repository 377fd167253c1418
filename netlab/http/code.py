"""A file server config as a runnable http.server program, honest about what only NetLab does."""

from __future__ import annotations

from netlab import __version__
from netlab.http.config import FileServerConfig


def program(config: FileServerConfig) -> str:
    """`python -m http.server`, written out: the folder, the address and the port from the config."""
    host = config.host.strip("[]")
    ipv6 = ":" in host
    user = config.auth.partition(":")[0]
    limits = [
        "# Where NetLab does more than http.server can:",
        "# - Range requests (resuming downloads, seeking in videos): http.server sends whole files.",
        "# - NetLab refuses paths that leave the folder through symbolic links; http.server follows them.",
    ]
    if not config.show_hidden:
        limits.append("# - NetLab hides dot-files (.git, .env); http.server lists and serves them.")
    if config.upload:
        limits.append(
            f"# - NetLab takes uploads (up to {config.max_upload_mb} MB) from a form on the listing page;"
            " http.server has no upload handler, so this program only serves."
        )
    if config.auth:
        limits.append(
            f"# - NetLab asks for a login (user {user!r}) with HTTP basic auth; http.server has none,"
            " so this program lets anyone in."
        )
    out = [
        f'"""Share the folder {config.root} over HTTP, as NetLab\'s file server does.',
        "",
        f"Written by NetLab {__version__} from the File server settings; run it with python3 and stop it",
        "with Ctrl+C. It is `python -m http.server` written out, so you can see and change every part.",
        '"""',
        "",
        "import functools",
        "import http.server",
        "import socket",
        "",
        f"FOLDER = {config.root!r}",
        f"HOST = {host!r}{'  # every interface: others on the LAN can connect' if host == '0.0.0.0' else ''}",
        f"PORT = {config.port}{'  # 0: the kernel picks a free port' if config.port == 0 else ''}",
        "",
        *limits,
        "",
        "",
        "class Handler(http.server.SimpleHTTPRequestHandler):",
        '    """Answers GET and HEAD with a file, or a listing for a folder."""',
        "",
        f"    timeout = {config.idle_timeout!r}  # seconds a connection may sit idle before it is closed",
        '    protocol_version = "HTTP/1.1"  # keep-alive: several requests on one connection',
        "",
        "",
        "class Server(http.server.ThreadingHTTPServer):",
        '    """socket(), bind() and listen() in the constructor; a thread per connection."""',
        "",
        f"    address_family = socket.{'AF_INET6' if ipv6 else 'AF_INET'}",
        "",
        "",
        "def main() -> None:",
        "    handler = functools.partial(Handler, directory=FOLDER)",
        "    with Server((HOST, PORT), handler) as server:",
        "        host, port = server.server_address[:2]",
        '        shown = f"[{host}]" if ":" in host else host',
        '        print(f"serving {FOLDER} on http://{shown}:{port}/", flush=True)',
        "        server.serve_forever()",
        "",
        "",
        'if __name__ == "__main__":',
        "    main()",
        "",
    ]
    return "\n".join(out)
