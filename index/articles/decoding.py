"""Text from an article's bytes. Plain text, Markdown and JSON files must be UTF-8 (or UTF-16 with
its mark); HTML, a file or a fetched page, is read as a browser reads it: a byte-order mark, else
the server's charset (a fetched page's Content-Type), else the page's own charset declaration,
else UTF-8, else a detected encoding, each fallback noted."""

import re

from index.articles.article import ArticleError

# Where a page's declaration is looked for, as w3lib does; a browser's prescan reads 1,024 bytes.
DECLARATION_BYTES = 4096
DECLARED_CHARSET = re.compile(rb"""charset\s*=\s*["']?\s*([^\s"'/>;]+)""", re.IGNORECASE)
REPLACEMENT = "\ufffd"
NEAR_CHAOS = 0.02  # charset-normalizer's share of odd characters; a few accented letters differ by less
WEB_DEFAULT = "cp1252"  # what browsers in English and Western locales assume for an undeclared legacy page


def decode_text(raw: bytes) -> str:
    """Text from a plain, Markdown or JSON file's bytes: UTF-8 (with or without a byte-order mark)
    or UTF-16 with its mark. Anything else is an ArticleError saying what the bytes look like."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError:
            raise ArticleError("UTF-16 text with a broken character; save it as UTF-8") from None
    _refuse_binary(raw)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ArticleError(
            f"not UTF-8 text (byte {error.start}: 0x{raw[error.start]:02x}); if it is Latin-1 or "
            "Windows-1252, save it as UTF-8"
        ) from None


def decode_html(raw: bytes, notes: list[str], transport: str = "") -> str:
    """Text from an HTML page's bytes, as a browser reads them; `transport` is the charset its
    server sent, if any. Notes say when the encoding was guessed, a declared one was unknown or
    wrong, or bytes had to be replaced."""
    from w3lib.encoding import html_body_declared_encoding, read_bom, resolve_encoding

    bom, mark = read_bom(raw)
    if bom:
        return _decoded(raw[len(mark) :], bom, notes)
    _refuse_binary(raw)
    if transport:
        sent = resolve_encoding(transport)
        if sent:
            return _decoded(raw, sent, notes)
        notes.append(f"the server sends charset {transport!r}, which is unknown; read by the page's own declaration")
    declared = html_body_declared_encoding(raw[:DECLARATION_BYTES])  # aliases resolved: Latin-1 is Windows-1252
    if declared is None:
        named = DECLARED_CHARSET.search(raw[:DECLARATION_BYTES])
        if named:
            notes.append(
                f"the page declares charset {named.group(1).decode('ascii', 'replace')!r}, which is unknown; read as UTF-8 or detected"
            )
    if declared and declared != resolve_encoding("utf-8"):
        return _decoded(raw, declared, notes)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        first_bad = error.start
    text = raw.decode("utf-8", errors="replace")
    if any(ord(character) > 127 and character != REPLACEMENT for character in text):
        # Real UTF-8 among the bad bytes: a page of mixed encodings, not one in another encoding.
        notes.append(f"bytes that are not UTF-8 were replaced (the first at byte {first_bad})")
        return text
    return _detected(
        raw, text, "declares UTF-8 but is not UTF-8" if declared else "declares no charset and is not UTF-8", notes
    )


def _decoded(raw: bytes, encoding: str, notes: list[str]) -> str:
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as error:
        notes.append(f"bytes that are not {encoding} were replaced (the first at byte {error.start})")
        return raw.decode(encoding, errors="replace")


def _detected(raw: bytes, replaced: str, why: str, notes: list[str]) -> str:
    from charset_normalizer import from_bytes

    matches = from_bytes(raw)
    guess = matches.best()
    if guess is not None:
        # Legacy encodings often read a page about equally well; among those, the web's default wins.
        near = [m for m in matches if m.chaos <= guess.chaos + NEAR_CHAOS]
        guess = next((m for m in near if m.encoding == WEB_DEFAULT), guess)
    if guess is None:
        notes.append(f"the page {why}, and its encoding could not be told; bytes that are not UTF-8 were replaced")
        return replaced
    notes.append(f"the page {why}; read as {guess.encoding}, a guess")
    return str(guess)


def _refuse_binary(raw: bytes) -> None:
    head = raw[:8192]
    if head.count(0) > len(head) // 4 and (
        head[1::2].count(0) > len(head) // 3 or head[0::2].count(0) > len(head) // 3
    ):
        raise ArticleError("UTF-16 text without a byte-order mark; save it as UTF-8")
    if head.count(0) > max(4, len(head) // 100) or sum(byte < 9 or 13 < byte < 32 for byte in head) > len(head) // 10:
        raise ArticleError("binary data, not text (an image, archive or document?)")
