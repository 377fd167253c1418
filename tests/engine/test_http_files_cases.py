"""The file server's pure rules, one table each: upload names, ranges, redirects, validators, listings and
request targets, with the exact statuses, names and words a user sees (found by mutation testing)."""

from __future__ import annotations

import email.utils
import os
import re
import time
from pathlib import Path

import pytest

from netlab.http.files import (
    MAX_NAME_BYTES,
    Entry,
    Refusal,
    Target,
    byte_range,
    content_type,
    display_name,
    display_target,
    error_html,
    etag,
    list_folder,
    listing_html,
    not_modified,
    redirect_location,
    resolve,
    safe_upload_name,
    unique_name,
)


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        ("notes.txt", "notes.txt"),
        ("C:\\Users\\me\\notes.txt", "notes.txt"),
        ("../../etc/passwd", "passwd"),
        ('a<b>c:d"e|f?g*h.txt', "a_b_c_d_e_f_g_h.txt"),
        ("tab\tnew\nline\x00nul\x7fdel.txt", "tab_new_line_nul_del.txt"),
        (".bashrc", "bashrc"),
        ("...hidden", "hidden"),
        (" . spaced.txt ", "spaced.txt"),
        ("", "upload"),
        ("..", "upload"),
        ("dir/", "upload"),
    ],
)
def test_upload_names_are_made_safe(sent: str, stored: str) -> None:
    assert safe_upload_name(sent) == stored


def test_a_long_multibyte_upload_name_is_cut_at_a_character_boundary() -> None:
    name = safe_upload_name("中" * 100 + ".txt")  # 3 bytes a character
    assert len(name.encode()) <= MAX_NAME_BYTES and name == "中" * (MAX_NAME_BYTES // 3)
    assert safe_upload_name("a" * 300) == "a" * MAX_NAME_BYTES


def info_for(tmp_path: Path, data: bytes) -> os.stat_result:
    path = tmp_path / "f.bin"
    path.write_bytes(data)
    return os.stat(path)


@pytest.mark.parametrize(
    ("header", "answer"),
    [
        (b"bytes=0-3", (0, 4)),
        (b"bytes=2-", (2, 8)),
        (b"bytes=-3", (7, 3)),
        (b"bytes=-30", (0, 10)),
        (b"bytes=5-100", (5, 5)),
        (b"bytes=9-9", (9, 1)),
        (b" bytes=1-1 ", (1, 1)),
        (b"bytes=-0", Refusal(416, "Empty suffix range")),
        (b"bytes=10-", Refusal(416, "The range starts beyond the file's 10 bytes")),
        (b"bytes=4-3", Refusal(416, "The range starts beyond the file's 10 bytes")),
        (b"bytes=-", None),
        (b"bytes=0-1,4-5", None),
        (b"items=0-1", None),
    ],
)
def test_ranges(tmp_path: Path, header: bytes, answer: object) -> None:
    assert byte_range({b"range": header}, info_for(tmp_path, b"0123456789")) == answer


def test_ranges_of_an_empty_file_and_if_range(tmp_path: Path) -> None:
    assert byte_range({b"range": b"bytes=-5"}, info_for(tmp_path, b"")) == Refusal(416, "Empty file")
    info = info_for(tmp_path, b"0123456789")
    assert byte_range({}, info) is None
    assert byte_range({b"range": b"bytes=0-0", b"if-range": etag(info).encode()}, info) == (0, 1)
    assert byte_range({b"range": b"bytes=0-0", b"if-range": b'"old"'}, info) is None


@pytest.mark.parametrize(
    ("path", "location"),
    [("/docs", "/docs/"), ("docs", "/docs/"), ("//evil.example", "/evil.example/"), ("/", "/"), ("", "/")],
)
def test_redirects_add_the_slash_and_never_leave_the_site(path: str, location: str) -> None:
    assert redirect_location(path) == location


def test_validators(tmp_path: Path) -> None:
    info = info_for(tmp_path, b"x")
    tag = etag(info).encode()
    assert etag(info) == f'"{info.st_mtime_ns:x}-{info.st_size:x}"'
    assert not_modified({b"if-none-match": tag}, info)
    assert not_modified({b"if-none-match": b'"a", W/' + tag}, info)
    assert not_modified({b"if-none-match": b"*"}, info)
    assert not not_modified(
        {b"if-none-match": b'"a"', b"if-modified-since": b"Fri, 01 Jan 2100 00:00:00 GMT"}, info
    )
    later = email.utils.formatdate(info.st_mtime + 60, usegmt=True).encode()
    earlier = email.utils.formatdate(info.st_mtime - 60, usegmt=True).encode()
    same = email.utils.formatdate(int(info.st_mtime), usegmt=True).encode()
    assert not_modified({b"if-modified-since": later}, info)
    assert not_modified({b"if-modified-since": same}, info)
    assert not not_modified({b"if-modified-since": earlier}, info)
    assert not not_modified({b"if-modified-since": b"yesterday"}, info)
    assert not not_modified({}, info)


def test_content_types() -> None:
    assert content_type(".html") == "text/html; charset=utf-8"
    assert content_type(".png") == "image/png"
    assert content_type(".nope-not-a-type") == "application/octet-stream"


def test_names_in_pages_are_escaped() -> None:
    assert display_name("<b>&'\".txt") == "&lt;b&gt;&amp;&#x27;&quot;.txt"
    assert display_name(os.fsdecode(b"bad\xff.txt")) == "bad\ufffd.txt"
    page = error_html(404, "Not <Found>", "no <script>")
    assert "<h1>404 Not &lt;Found&gt;</h1>" in page and "<p>no &lt;script&gt;</p>" in page
    assert "<title>404 Not &lt;Found&gt;</title>" in page


def test_targets_are_shown_decoded_but_nothing_hidden() -> None:
    assert display_target(b"/plain") == "/plain"
    assert display_target(b"/%E4%B8%AD%E6%96%87") == "/中文"
    assert display_target(b"/a%E2%80%AEb") == "/a%E2%80%AEb"  # a right-to-left override stays visible
    assert display_target(b"/x%FFy") == "/x%FFy"  # not UTF-8: stays percent-encoded
    assert display_target("/é".encode()) == "/é"


ENTRIES = [
    Entry("b.txt", False, 52_428_800, 200.0),
    Entry("a <x>.txt", False, 10, 300.0),
    Entry("sub", True, 4096, 100.0),
]


def names(page: str) -> list[str]:
    return re.findall(r'<tr><td><a href="([^"]*)">', page)


def test_listing_links_escaping_and_sizes() -> None:
    page = listing_html("/docs/", ENTRIES)
    assert names(page) == ["../", "sub/", "a%20%3Cx%3E.txt", "b.txt"]  # folders first, then by name
    assert ">a &lt;x&gt;.txt</a>" in page and "<x>" not in page
    assert '<td class="n" title="52,428,800 bytes">50.0 MB</td>' in page
    assert "<title>Index of /docs/</title>" in page and "<h1>Index of /docs/</h1>" in page
    assert "<form" not in page
    assert names(listing_html("/", ENTRIES))[0] == "sub/"  # no parent link at the top


def test_listing_sorts_and_flips() -> None:
    by_size = listing_html("/", ENTRIES, sort="size", order="desc")
    assert names(by_size) == ["b.txt", "a%20%3Cx%3E.txt", "sub/"]  # the whole order flips
    assert '<a href="?sort=size&amp;order=asc">Size ▼</a>' in by_size
    assert '<a href="?sort=name&amp;order=asc">Name</a>' in by_size
    by_date = listing_html("/", ENTRIES, sort="date")
    assert names(by_date) == ["sub/", "b.txt", "a%20%3Cx%3E.txt"]
    assert '<a href="?sort=date&amp;order=desc">Modified ▲</a>' in by_date
    assert names(listing_html("/", ENTRIES, sort="nonsense")) == ["sub/", "a%20%3Cx%3E.txt", "b.txt"]


def test_listing_title_is_decoded_and_escaped_and_upload_form_posts_here() -> None:
    page = listing_html("/%3Cdir%3E/", [], upload=True)
    assert "<h1>Index of /&lt;dir&gt;/</h1>" in page
    assert '<form method="post" action="/%3Cdir%3E/" enctype="multipart/form-data">' in page


def test_unique_names_never_overwrite(tmp_path: Path) -> None:
    assert unique_name(str(tmp_path), "n.txt") == "n.txt"
    (tmp_path / "n.txt").write_text("1")
    (tmp_path / "n (1).txt").write_text("2")
    assert unique_name(str(tmp_path), "n.txt") == "n (2).txt"


def test_folder_listing_hides_dot_files_unless_asked(tmp_path: Path) -> None:
    (tmp_path / ".secret").write_text("s")
    (tmp_path / "open.txt").write_text("abc")
    (tmp_path / "sub").mkdir()
    os.symlink(tmp_path / "missing", tmp_path / "broken")
    shown = {e.name: (e.is_dir, e.size) for e in list_folder(str(tmp_path), show_hidden=False)}
    assert shown == {"open.txt": (False, 3), "sub": (True, shown["sub"][1])}
    assert ".secret" in {e.name for e in list_folder(str(tmp_path), show_hidden=True)}


@pytest.mark.parametrize(
    ("target", "refusal"),
    [
        (b"docs", Refusal(400, "The request target must start with /")),
        (b"/a%00b", Refusal(400, "The path contains a NUL byte")),
        (b"/a%5Cb", Refusal(400, "Backslashes are not allowed in paths")),
        (b"/sub/../../x", Refusal(403, "Paths may not leave the shared folder")),
        (b"/C:/x", Refusal(400, "Drive letters are not allowed in paths")),
        (b"/.hidden", Refusal(404, "Not found")),
        (b"/missing", Refusal(404, "Not found")),
    ],
)
def test_request_targets_that_are_refused(tmp_path: Path, target: bytes, refusal: Refusal) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / ".hidden").write_text("h")
    assert resolve(os.path.realpath(tmp_path), target) == refusal


def test_request_targets_that_are_served(tmp_path: Path) -> None:
    root = os.path.realpath(tmp_path)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "中 文.txt").write_text("x")
    (tmp_path / ".hidden").write_text("h")
    os.symlink(tmp_path / "sub", tmp_path / "inside")
    os.symlink("/etc", tmp_path / "outside")
    found = resolve(root, b"/sub/%E4%B8%AD%20%E6%96%87.txt#top")
    assert isinstance(found, Target)
    assert found.path == os.path.join(root, "sub", "中 文.txt") and found.segments == ("sub", "中 文.txt")
    assert found.url_path == "/sub/%E4%B8%AD%20%E6%96%87.txt" and not found.wants_directory
    assert found.query == {}
    queried = resolve(root, b"/sub/?sort=size&order=desc")
    assert isinstance(queried, Target) and queried.query == {"sort": "size", "order": "desc"}
    top = resolve(root, b"/")
    assert isinstance(top, Target) and top.wants_directory and top.url_path == "/"
    folder = resolve(root, b"/./sub/")
    assert isinstance(folder, Target) and folder.wants_directory and folder.segments == ("sub",)
    assert isinstance(resolve(root, b"/.hidden", show_hidden=True), Target)
    assert isinstance(resolve(root, "/inside/中 文.txt".encode()), Target)
    assert resolve(root, b"/outside/hostname") == Refusal(404, "Not found")
    assert resolve(root, b"/outside") == Refusal(404, "Not found")


def test_more_upload_name_edges() -> None:
    assert safe_upload_name("Xmas.txt") == "Xmas.txt"
    assert safe_upload_name("a\udcff.txt") == "a.txt"  # a byte that was not UTF-8 is dropped, never "?"


def test_more_range_and_redirect_edges(tmp_path: Path) -> None:
    info = info_for(tmp_path, b"0123456789")
    assert byte_range({b"range": b"bytes=10-10"}, info) == Refusal(
        416, "The range starts beyond the file's 10 bytes"
    )
    assert redirect_location("/Xdocs") == "/Xdocs/"
    assert redirect_location("X") == "/X/"
    tag = etag(info).encode()
    assert not not_modified({b"if-none-match": b'"a",W/"b"'}, info)
    assert not_modified({b"if-none-match": b'"a",' + tag}, info)


def test_a_symlinked_folder_serves_the_file_itself(tmp_path: Path) -> None:
    root = os.path.realpath(tmp_path)
    (tmp_path / "sub" / "deeper").mkdir(parents=True)
    (tmp_path / "sub" / "deeper" / "f.txt").write_text("x")
    os.symlink(tmp_path / "sub", tmp_path / "inside")
    found = resolve(root, b"/inside/deeper/f.txt")
    assert isinstance(found, Target) and found.path == os.path.join(root, "sub", "deeper", "f.txt")


def test_folder_entries_carry_their_times(tmp_path: Path) -> None:
    (tmp_path / "f.txt").write_text("abc")
    os.utime(tmp_path / "f.txt", (1_000_000, 1_000_000))
    assert list_folder(str(tmp_path), show_hidden=False) == [Entry("f.txt", False, 3, 1_000_000.0)]


def test_listing_page_exactly_where_it_matters() -> None:
    page = listing_html("/X/", ENTRIES, upload=True)
    lines = page.split("\n")
    assert lines[:3] == [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
    ]
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(200.0))
    dir_when = time.strftime("%Y-%m-%d %H:%M", time.localtime(100.0))
    assert '<tr><td><a href="../">../</a></td><td></td><td></td></tr>' in lines
    assert f'<tr><td><a href="sub/">sub/</a></td><td></td><td>{dir_when}</td></tr>' in lines
    assert (
        f'<tr><td><a href="b.txt">b.txt</a></td><td class="n" title="52,428,800 bytes">50.0 MB</td>'
        f"<td>{when}</td></tr>"
    ) in lines
    assert '<a href="?sort=name&amp;order=desc">Name ▲</a>' in page  # the default order, marked
    assert (
        '<form method="post" action="/X/" enctype="multipart/form-data"><input type="file" name="file" '
        'multiple required> <button type="submit">Upload</button></form>'
    ) in lines
    assert lines[-1] == "</table></body></html>"
    assert "<h1>Index of /\ufffd/</h1>" in listing_html("/%FF/", [])  # a byte that is not UTF-8
