"""Serving a folder over HTTP, the pure part: safe paths, ranges, validators, listings, upload names.

No sockets here (the engine in file_server.py is the I/O shell), so every rule is testable on its own.
"""

from __future__ import annotations

import email.utils
import functools
import html
import mimetypes
import os
import re
import stat
import time
import unicodedata
import urllib.parse
from collections.abc import Collection
from dataclasses import dataclass

from netlab.core.present import human_bytes

MAX_NAME_BYTES = 200


@dataclass(frozen=True)
class Refusal:
    """Why a request target cannot be served: an HTTP status and a plain message."""

    status: int
    message: str


@dataclass(frozen=True)
class Target:
    """A request target that is safely inside the folder."""

    path: str  # real filesystem path, inside root
    segments: tuple[str, ...]  # the decoded URL path, split at "/"
    raw_query: bytes
    wants_directory: bool  # the URL ended with "/"
    info: os.stat_result  # the stat of path (symlinks followed)

    @property
    def url_path(self) -> str:
        """The canonical URL path: starts with exactly one "/", every segment quoted."""
        return "/" + "/".join(quote(s) for s in self.segments)

    @property
    def query(self) -> dict[str, str]:
        return dict(urllib.parse.parse_qsl(self.raw_query.decode("latin-1")))


def resolve(real_root: str, target: bytes, show_hidden: bool = False) -> Target | Refusal:
    """Map a request target to a path inside real_root (already os.path.realpath'd), or say why not.

    Percent-decoding happens once; '..' segments, NUL bytes, backslashes, drive letters and
    (unless show_hidden) dot-files are refused; symlinks count only while they stay inside root.
    """
    if not target.startswith(b"/"):
        return Refusal(400, "The request target must start with /")
    raw_path, _, raw_query = target.partition(b"?")
    raw_path = raw_path.partition(b"#")[0]
    decoded = urllib.parse.unquote_to_bytes(raw_path)
    if b"\0" in decoded:
        return Refusal(400, "The path contains a NUL byte")
    # surrogateescape keeps undecodable bytes as they are on disk; they can never spell "..".
    text = decoded.decode("utf-8", "surrogateescape")
    if "\\" in text:
        return Refusal(400, "Backslashes are not allowed in paths")
    segments = [s for s in text.split("/") if s not in ("", ".")]
    if ".." in segments:
        return Refusal(403, "Paths may not leave the shared folder")
    if any(len(s) > 1 and s[1] == ":" and s[0].isascii() and s[0].isalpha() for s in segments):
        return Refusal(400, "Drive letters are not allowed in paths")
    if not show_hidden and any(s.startswith(".") for s in segments):
        return Refusal(404, "Not found")
    found = _walk(real_root, segments)
    if found is None:
        return Refusal(404, "Not found")
    real, info = found
    return Target(real, tuple(segments), raw_query, text.endswith("/") or not segments, info)


def _walk(real_root: str, segments: list[str]) -> tuple[str, os.stat_result] | None:
    """The real path and its stat, or None if missing or if a symlink leads out of real_root.

    One lstat per segment; only a symlink costs a realpath (a full walk of the rest).
    """
    path = real_root
    for index, segment in enumerate(segments):
        path = f"{path}{os.sep}{segment}"
        try:
            info = os.lstat(path)
        except (OSError, ValueError):
            return None
        if stat.S_ISLNK(info.st_mode):
            real = os.path.realpath(os.path.join(path, *segments[index + 1 :]))
            if real != real_root and not real.startswith(real_root + os.sep):
                return None  # a symlink that leads out of the folder
            try:
                return real, os.stat(real)
            except OSError:
                return None
    try:
        return path, info if segments else os.stat(real_root)
    except OSError:
        return None


def quote(name: str) -> str:
    """A file name as one URL path segment, undecodable bytes included."""
    return urllib.parse.quote(os.fsencode(name), safe="")


# Characters a log reader cannot see or that reorder a line (bidi overrides, zero-width, separators).
_UNSEEN = frozenset({"Cf", "Zl", "Zp", "Co", "Cn", "Cs"})


def display_target(target: bytes) -> str:
    """A request target as a person reads it: percent-escapes decoded (/中文 rather than /%E4%B8%AD%E6%96%87).

    Bytes that are not UTF-8 and characters that would hide or reorder text stay percent-encoded.
    Control characters come out as they are: the log's printable() shows them as \\xNN.
    """
    if b"%" not in target and target.isascii():
        return target.decode("ascii")
    text = urllib.parse.unquote_to_bytes(target).decode("utf-8", "surrogateescape")
    return "".join(
        urllib.parse.quote(char.encode("utf-8", "surrogateescape"), safe="")
        if unicodedata.category(char) in _UNSEEN
        else char
        for char in text
    )


def display_name(name: str) -> str:
    """A file name fit for HTML: undecodable bytes as U+FFFD, then escaped."""
    return html.escape(os.fsencode(name).decode("utf-8", "replace"))


def redirect_location(url_path: str) -> str:
    """Where a directory requested without its slash lives. Never begins with '//' (no open redirect)."""
    return "/" + url_path.lstrip("/") + ("/" if url_path.strip("/") else "")


@functools.lru_cache(maxsize=256)
def content_type(extension: str) -> str:
    """The MIME type for a file extension; text types say UTF-8."""
    guessed = mimetypes.guess_type("file" + extension)[0] or "application/octet-stream"
    return guessed + "; charset=utf-8" if guessed.startswith("text/") else guessed


def etag(info: os.stat_result) -> str:
    return f'"{info.st_mtime_ns:x}-{info.st_size:x}"'


@functools.lru_cache(maxsize=4096)
def http_date(timestamp: float) -> str:
    return email.utils.formatdate(timestamp, usegmt=True)


def not_modified(headers: dict[bytes, bytes], info: os.stat_result) -> bool:
    """If-None-Match wins over If-Modified-Since (RFC 9110 13.2.2)."""
    if_none_match = headers.get(b"if-none-match")
    if if_none_match is not None:
        tags = [t.strip().removeprefix(b"W/") for t in if_none_match.split(b",")]
        return b"*" in tags or etag(info).encode() in tags
    since = headers.get(b"if-modified-since")
    if since is None:
        return False
    try:
        moment = email.utils.parsedate_to_datetime(since.decode("latin-1"))
    except (TypeError, ValueError, IndexError):
        return False
    return int(info.st_mtime) <= moment.timestamp()


_RANGE = re.compile(rb"^bytes=(\d*)-(\d*)$")


def byte_range(headers: dict[bytes, bytes], info: os.stat_result) -> tuple[int, int] | Refusal | None:
    """(start, length) for one satisfiable range; Refusal(416) when unsatisfiable; None for the whole file.

    Multiple ranges, bad syntax, or an If-Range that no longer matches all mean: send the whole file.
    """
    value = headers.get(b"range")
    if value is None:
        return None
    if_range = headers.get(b"if-range")
    if if_range is not None and if_range.strip() != etag(info).encode():
        return None
    match = _RANGE.match(value.strip())
    if not match or not (match[1] or match[2]):
        return None
    size = info.st_size
    if not match[1]:  # the last N bytes
        suffix = int(match[2])
        if suffix == 0:
            return Refusal(416, "Empty suffix range")
        return (max(0, size - suffix), min(suffix, size)) if size else Refusal(416, "Empty file")
    start = int(match[1])
    end = int(match[2]) if match[2] else size - 1
    if start >= size or end < start:
        return Refusal(416, f"The range starts beyond the file's {size} bytes")
    return start, min(end, size - 1) - start + 1


def safe_upload_name(name: str) -> str:
    """A name to store an upload under: no folders, no control or reserved characters, no leading dots."""
    base = re.split(r"[/\\]", name)[-1]
    base = re.sub(r'[\x00-\x1f\x7f<>:"|?*]', "_", base).strip().lstrip(". ")
    encoded = base.encode("utf-8", "ignore")[:MAX_NAME_BYTES]  # "replace" would bring back a "?"
    base = encoded.decode("utf-8", "ignore").strip()
    return base or "upload"


def unique_name(folder: str, name: str, taken: Collection[str] = ()) -> str:
    """name, or 'stem (1).ext', 'stem (2).ext' ... : the first that does not exist yet (nor is in taken)."""
    stem, ext = os.path.splitext(name)
    candidate, n = name, 0
    while candidate in taken or os.path.lexists(os.path.join(folder, candidate)):
        n += 1
        candidate = f"{stem} ({n}){ext}"
    return candidate


@dataclass(frozen=True)
class Entry:
    name: str
    is_dir: bool
    size: int
    mtime: float


def list_folder(path: str, show_hidden: bool) -> list[Entry]:
    entries = []
    with os.scandir(path) as scan:
        for item in scan:
            if not show_hidden and item.name.startswith("."):
                continue
            try:
                info = item.stat()  # follows links; a broken one is left out
            except OSError:
                continue
            entries.append(Entry(item.name, stat.S_ISDIR(info.st_mode), info.st_size, info.st_mtime))
    return entries


SORT_KEYS = {
    "name": lambda e: (not e.is_dir, e.name.lower()),
    "size": lambda e: (not e.is_dir, e.size),
    "date": lambda e: (not e.is_dir, e.mtime),
}


def listing_html(
    url_path: str, entries: list[Entry], sort: str = "name", order: str = "asc", upload: bool = False
) -> str:
    """The directory page: sortable by name, size and date; every name escaped and quoted."""
    key = SORT_KEYS.get(sort, SORT_KEYS["name"])
    rows = sorted(entries, key=key, reverse=order == "desc")
    title = display_name(urllib.parse.unquote(url_path, errors="surrogateescape"))
    base = url_path.rstrip("/") + "/"

    def header(column: str, label: str) -> str:
        flip = "desc" if sort == column and order != "desc" else "asc"
        mark = (" ▲" if order != "desc" else " ▼") if sort == column else ""
        return f'<th><a href="?sort={column}&amp;order={flip}">{label}{mark}</a></th>'

    lines = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>Index of {title}</title>",
        "<style>body{font-family:system-ui,sans-serif;margin:2em}table{border-collapse:collapse}"
        "td,th{padding:.2em 1em;text-align:left}td.n{text-align:right}tr:nth-child(even){background:#f4f4f8}"
        "</style></head><body>",
        f"<h1>Index of {title}</h1>",
    ]
    if upload:
        lines.append(
            f'<form method="post" action="{html.escape(base)}" enctype="multipart/form-data">'
            '<input type="file" name="file" multiple required> <button type="submit">Upload</button></form>'
        )
    lines.append(
        f"<table><tr>{header('name', 'Name')}{header('size', 'Size')}{header('date', 'Modified')}</tr>"
    )
    if url_path.strip("/"):
        lines.append('<tr><td><a href="../">../</a></td><td></td><td></td></tr>')
    for entry in rows:
        slash = "/" if entry.is_dir else ""
        # Readable at a glance (50.0 MB); the exact count stays one hover away.
        size = (
            "<td></td>"
            if entry.is_dir
            else f'<td class="n" title="{entry.size:,} bytes">{human_bytes(entry.size)}</td>'
        )
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(entry.mtime))
        lines.append(
            f'<tr><td><a href="{quote(entry.name)}{slash}">{display_name(entry.name)}{slash}</a></td>'
            f"{size}<td>{when}</td></tr>"
        )
    lines.append("</table></body></html>")
    return "\n".join(lines)


def error_html(status: int, reason: str, message: str) -> str:
    """An error page; everything it echoes is escaped."""
    heading = f"{status} {html.escape(reason)}"
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{heading}</title></head>'
        f"<body><h1>{heading}</h1><p>{html.escape(message)}</p></body></html>"
    )
