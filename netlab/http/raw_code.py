"""The Raw HTTP request as a runnable Python socket program, for the code view and `--code`.

It reads like the lesson: create_connection(), wrap in TLS when asked, sendall() the exact bytes,
recv() until the peer closes or Content-Length is met, then split the reply at the empty line.
"""

from __future__ import annotations

from netlab.http.raw import request_bytes
from netlab.http.raw_config import RawHttpConfig


def program(config: RawHttpConfig) -> str:
    data = request_bytes(config.request, crlf=config.crlf, auto_length=config.auto_length)
    host = config.host.strip("[]")
    lines = [
        '"""Send one raw HTTP request over a socket and print the reply (made by NetLab)."""',
        "",
        "import socket",
    ]
    if config.tls:
        lines.append("import ssl")
    lines += [
        "",
        f"HOST, PORT = {host!r}, {config.port}",
        f"REQUEST = {data!r}",
        "",
        "# TCP connect: DNS lookup and three-way handshake in one call.",
        f"sock = socket.create_connection((HOST, PORT), timeout={config.timeout:g})",
    ]
    if config.tls:
        cafile = f"cafile={config.ca_file!r}" if config.ca_file else ""
        if config.verify:
            lines.append(
                f"context = ssl.create_default_context({cafile})  # checks the certificate and the name"
            )
        else:
            lines += [
                f"context = ssl.create_default_context({cafile})",
                "context.check_hostname = False  # 'Verify certificate' is off: any server is accepted",
                "context.verify_mode = ssl.CERT_NONE",
            ]
        sni = config.sni or host
        lines.append(f"sock = context.wrap_socket(sock, server_hostname={sni!r})  # TLS handshake, SNI")
    lines += [
        "",
        "sock.sendall(REQUEST)  # the exact bytes, CR LF and all",
        "",
        "reply = b''",
        "while True:",
        "    try:",
        "        chunk = sock.recv(65536)",
        "    except TimeoutError:",
        "        break  # no bytes for a while: the read timeout ends the wait",
        "    if not chunk:",
        "        break  # b'': the peer closed its side",
        "    reply += chunk",
        "    head, found, body = reply.partition(b'\\r\\n\\r\\n')",
        "    if found:",
        "        for line in head.split(b'\\r\\n')[1:]:",
        "            name, _, value = line.partition(b':')",
        "            if name.strip().lower() == b'content-length' and len(body) >= int(value):",
        "                break",
        "        else:",
        "            continue",
        "        break  # the whole body is here",
        "sock.close()",
        "",
        "head, _, body = reply.partition(b'\\r\\n\\r\\n')",
        "print(head.decode('latin-1'))",
        "print()",
        "print(body.decode('utf-8', errors='replace'))",
        "",
    ]
    return "\n".join(lines)
