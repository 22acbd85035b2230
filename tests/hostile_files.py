"""A folder of three good articles among many broken files and records, as a careless export, a
half-finished download or a hostile upload leaves them. Each broken one is listed with a word its
warning must hold."""

import json
import os
import socket
from pathlib import Path

GOOD = {
    "good-one.md": "---\ntitle: Harbour bridge reopens\npublished: 2025-06-02\n---\n\n"
    "The harbour bridge in Port Elms reopened on Monday after eight months of repairs costing 40 million euros. "
    "Engineers replaced every cable of the main span.\n",
    "good-two.txt": "Library wins award\n\nThe Westfield public\x00 library won the national reading prize for its "
    "night-time opening hours, the culture ministry said on Tuesday.\n",
    # A lone surrogate escape and stray control characters: removed, and the article read.
    "good-three.jsonl": json.dumps(
        {
            "title": "Orchard harvest doubles",
            "text": "Apple growers in the Tarn valley\ud800 picked twice last year's harvest,\x07 the growers' union said, "
            "after a mild spring and no late frost.",
            "published": "2025-09-14",
        }
    )
    + "\n",
}


def write_hostile_folder(folder: Path) -> dict[str, str]:
    """Writes the folder; returns {name of each broken file or record: a word its warning holds}.
    Names are as they appear in the warnings (a record as file:line)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in GOOD.items():
        (folder / name).write_text(text, encoding="utf-8")
    body = "A sentence of ordinary article text for the broken files to carry. " * 4
    broken: dict[str, str] = {}

    def write(name: str, content: bytes | str, expect: str) -> None:
        data = content.encode("utf-8") if isinstance(content, str) else content
        (folder / name).write_bytes(data)
        broken[name] = expect

    os.makedirs(folder, exist_ok=True)
    # A file name that is not valid UTF-8.
    raw_name = os.path.join(os.fsencode(folder), b"bad-name-\xff.txt")
    with open(raw_name, "wb") as handle:
        handle.write(b"")
    broken["bad-name-"] = "empty"
    write("bad-date.md", f"---\ntitle: Bad date\npublished: 2025-13-45\n---\n\n{body}", "2025-13-45")
    write("long-title.md", f"---\ntitle: {'T' * 100_000}\n---\n\n{body}", "title")
    write("nested.json", "[" * 100_000 + "]" * 100_000, "nested")
    write("no-spaces.txt", "x" * 950_000, "space")
    write("utf16-no-mark.txt", ("Utf sixteen\n\n" + body).encode("utf-16-le"), "UTF-16")
    write("only-front-matter.md", "---\ntitle: Nothing here\npublished: 2025-01-01\n---\n", "no article text")
    write("nul-bytes.txt", b"\x00\x01\x02" * 1000, "binary")
    write("png.html", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40, "binary")
    write("empty.md", "", "empty")
    write("whitespace.txt", " \n\t\n  ", "empty")
    write("latin1.txt", ("Caf\u00e9 news\n\n" + body + " cr\u00e8me").encode("latin-1"), "UTF-8")
    write("top-level-string.json", json.dumps("just a string"), "object")
    write("list-of-junk.json", json.dumps([1, None, "x"]), "object")
    write("bad-line.jsonl", "{not json}\n", "JSON")
    write("text-is-number.jsonl", json.dumps({"title": "n", "text": 42}) + "\n", "text")
    write("title-is-list.json", json.dumps({"title": ["a", "b"], "text": body}), "title")
    write("published-is-number.json", json.dumps({"title": "n", "text": body, "published": 20250101}), "published")
    write("url-is-object.json", json.dumps({"title": "n", "text": body, "url": {"href": "x"}}), "url")
    write("unterminated.md", f"---\ntitle: x\n{body}", "front matter")
    write("python-tag.md", f"---\ntitle: !!python/object/apply:os.system ['true']\n---\n\n{body}", "YAML")
    write("front-matter-list.md", f"---\n- a\n- b\n---\n\n{body}", "mapping")
    write(
        "billion-laughs.md",
        "---\na: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
        "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
        "title: *d\n---\n\n" + body,
        "title",
    )
    write("nav-only.html", "<html><body><nav><a href='/'>Home</a> <a href='/news'>News</a></nav></body></html>", "body")
    write("huge.txt", "word " * 1_300_000, "limit")
    write("control-chars-only.txt", "\x07\x08\x1b[31m\x0b\x0c" * 50, "text")
    (folder / "folder.md").mkdir()
    broken["folder.md"] = "folder"
    os.mkfifo(folder / "pipe.txt")
    broken["pipe.txt"] = "not a regular file"
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(str(folder / "socket.md"))
    listener.close()
    broken["socket.md"] = "not a regular file"
    os.symlink(folder / "loop-b.md", folder / "loop-a.md")
    os.symlink(folder / "loop-a.md", folder / "loop-b.md")
    broken["loop-a.md"] = "link"
    broken["loop-b.md"] = "link"
    os.symlink("/dev/zero", folder / "zero.txt")
    broken["zero.txt"] = "not a regular file"
    return broken
