"""A download as a runnable program: stream a body to a file with a progress line, with requests or urllib.

The program does what the Downloads panel does, in a page a student can read: the name from
Content-Disposition or the URL, a free name if that one is taken, the body to NAME.part in
chunks, a progress line on stderr at most 10 times a second, then the rename. It ends by
printing `saved PATH (N bytes)`.
"""

from __future__ import annotations

from netlab.http.download import CHUNK, DownloadConfig
from netlab.http.form_config import Backend

_NAMES = '''

def file_name(content_disposition, url):
    """The server's name for the file, else the last part of the URL's path; never a folder."""
    message = email.message.Message()
    message["Content-Disposition"] = content_disposition
    name = message.get_filename() or urllib.parse.unquote(urllib.parse.urlsplit(url).path)
    name = os.path.basename(name.replace("\\\\", "/")).strip().lstrip(". ")
    return name or "download"


def free_name(folder, name):
    """name, or 'stem (1).ext', 'stem (2).ext' ...: never overwrite a file."""
    stem, ext = os.path.splitext(name)
    candidate, n = name, 0
    while os.path.exists(os.path.join(folder, candidate)):
        n += 1
        candidate = f"{stem} ({n}){ext}"
    return os.path.join(folder, candidate)


def copy_with_progress(chunks, out, total):
    """Write every chunk; show bytes, percent, rate and time left at most 10 times a second."""
    started = shown = time.monotonic()
    done = 0
    for chunk in chunks:
        out.write(chunk)
        done += len(chunk)
        now = time.monotonic()
        if now - shown >= 0.1:
            shown = now
            rate = done / (now - started)
            line = f"{done} bytes, {rate / 1e6:.1f} MB/s"
            if total:
                line += f", {100 * done / total:.0f} %, {(total - done) / rate:.0f} s left"
            print("\\r" + line, end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    return done
'''


def download_program(config: DownloadConfig) -> str:
    """The program for config's library (requests or urllib)."""
    if config.backend == Backend.URLLIB:
        return urllib_program(config)
    return requests_program(config)


def _head(library: str, imports: list[str], config: DownloadConfig) -> list[str]:
    return [
        f'"""Download one file with {library}, streamed to disk with a progress line (made by NetLab)."""',
        "",
        *(
            f"import {name}"
            for name in sorted({"email.message", "os", "sys", "time", "urllib.parse", *imports})
        ),
        *(["", f"import {library}"] if library == "requests" else []),
        *_NAMES.splitlines(),
        "",
        "",
        f"URL = {config.url!r}",
        f"FOLDER = {config.folder!r}",
        f"CHUNK = {CHUNK}  # bytes read and written at a time: memory stays small, however big the file",
        "",
    ]


_TAIL = [
    "    path = free_name(FOLDER, file_name(disposition, final_url))",
    "    # Write to NAME.part and rename at the end: a half file never carries the final name.",
    '    with open(path + ".part", "xb") as out:',
    "        try:",
    "            done = copy_with_progress(chunks, out, total)",
    "        except BaseException:  # Ctrl+C, a broken connection: no half file is left behind",
    "            out.close()",
    '            os.remove(path + ".part")',
    "            raise",
    "if total is not None and done < total:",
    '    os.remove(path + ".part")',
    '    sys.exit(f"the server closed the connection after {done} of {total} bytes")',
    'os.rename(path + ".part", path)',
    'print(f"saved {path} ({done} bytes)")',
    "",
]


def requests_program(config: DownloadConfig) -> str:
    verify: list[str] = []
    if not config.verify:
        verify = ["VERIFY = False  # 'Verify TLS' is off: any certificate is accepted"]
    elif config.ca_file:
        verify = [f"VERIFY = {config.ca_file!r}  # trust this CA instead of the system's"]
    return "\n".join(
        [
            *_head("requests", [], config),
            *verify,
            "# stream=True: the headers arrive now, the body only as iter_content() asks for it",
            f"with requests.get(URL, stream=True, timeout={config.timeout:g}"
            + (", verify=VERIFY" if verify else "")
            + ") as response:",
            "    response.raise_for_status()  # a 404 or 500 is the server's error page, not the file",
            '    length = response.headers.get("Content-Length")',
            "    total = int(length) if length else None",
            '    disposition = response.headers.get("Content-Disposition", "")',
            "    final_url = response.url  # after any redirects",
            "    chunks = response.iter_content(CHUNK)",
            *_TAIL,
        ]
    )


def urllib_program(config: DownloadConfig) -> str:
    https = config.url.lower().startswith("https:")
    context: list[str] = []
    argument = ""
    if https and not config.verify:
        context = [
            "context = ssl.create_default_context()",
            "context.check_hostname = False  # 'Verify TLS' is off: any certificate is accepted",
            "context.verify_mode = ssl.CERT_NONE",
        ]
        argument = ", context=context"
    elif https and config.ca_file:
        context = [f"context = ssl.create_default_context(cafile={config.ca_file!r})  # trust this CA"]
        argument = ", context=context"
    imports = ["ssl", "urllib.request"] if context else ["urllib.request"]
    return "\n".join(
        [
            *_head("urllib.request", imports, config),
            *context,
            "# urlopen() returns once the headers are in; read(CHUNK) then takes the body a piece at a time.",
            "# A 404 or 500 raises urllib.error.HTTPError: the server's error page is not the file.",
            f"with urllib.request.urlopen(URL, timeout={config.timeout:g}{argument}) as response:",
            '    length = response.headers.get("Content-Length")',
            "    total = int(length) if length else None",
            '    disposition = response.headers.get("Content-Disposition", "")',
            "    final_url = response.geturl()  # after any redirects",
            "    chunks = iter(lambda: response.read(CHUNK), b'')",
            *_TAIL,
        ]
    )
