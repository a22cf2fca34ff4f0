"""Helpers every reader shares: decoding bytes of unknown encoding, size limits, HTML to text."""

from __future__ import annotations

import codecs
import re
from pathlib import Path
from dataclasses import dataclass
from typing import Optional, Union

from ..model import RawDocument, Skipped

ReadResult = Union[RawDocument, Skipped]

# How much of a file is looked at to tell binary from text and to sniff the format.
HEAD_BYTES = 8192

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# A valid multi-byte UTF-8 sequence. Text in a single legacy encoding (latin-1, cp1252)
# almost never contains one, so finding one next to invalid bytes means mixed encodings.
_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")
_NOISE = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f\ufffd]")


@dataclass(frozen=True)
class ReadOptions:
    """Limits a reader applies; passed to every registered reader."""

    max_article_bytes: int = 10_000_000


class NotText(ValueError):
    """The bytes are not text in any encoding we can recognise."""


def decode_bytes(data: bytes, declared_encoding: Optional[str] = None) -> str:
    """Text from bytes of unknown encoding; never fails on odd bytes, raises NotText on binary data.

    Order: a byte-order mark; NUL bytes mean binary; UTF-8 and then the declared encoding
    (an HTTP or ``<meta>`` header), strictly (UTF-8 first because pages often declare
    latin-1 and send UTF-8, and latin-1 accepts any bytes); mixed UTF-8 and legacy bytes are read as UTF-8 with
    the bad bytes replaced; otherwise charset_normalizer's best guess.
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return _without_nul(data.decode(encoding, errors="replace"))
    utf16 = utf16_without_bom(data[:HEAD_BYTES])
    if utf16:
        try:
            return _checked(_without_nul(data.decode(utf16)))
        except UnicodeDecodeError:
            raise NotText(f"binary file (looks like {utf16.upper()} without a byte-order mark, but does not decode)") from None
    # The whole file is searched, not just its head: a NUL further in would be stored inside the text.
    if b"\x00" in data:
        raise NotText("binary file (NUL bytes)")
    for encoding in ("utf-8", declared_encoding or ""):
        if not encoding:
            continue
        try:
            return data.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            continue
    if _UTF8_MULTIBYTE.search(data):
        return _checked(data.decode("utf-8", errors="replace"))
    from charset_normalizer import from_bytes

    matches = from_bytes(data)
    best = matches.best()
    if best is None:
        raise NotText("binary file (not text in any recognised encoding)")
    # Short Western texts often fit several single-byte code pages equally well; cp1252 is
    # the one the web means (browsers read a latin-1 label as cp1252), so it wins ties.
    tied = [match for match in matches if (match.chaos, match.coherence) == (best.chaos, best.coherence)]
    best = next((match for match in tied if match.encoding == "cp1252"), best)
    return _checked(str(best))


def utf16_without_bom(head: bytes) -> Optional[str]:
    """``utf-16-le`` or ``-be`` when ``head`` looks like UTF-16 text without a byte-order mark, else None.

    Text in a Latin script in UTF-16 has a NUL as every other byte (the high byte of
    each code unit); binary data does not keep that rhythm.
    """
    pairs = len(head) // 2
    if pairs < 2:
        return None
    even_nuls = head[0 : 2 * pairs : 2].count(0)
    odd_nuls = head[1 : 2 * pairs : 2].count(0)
    if odd_nuls >= 0.6 * pairs and even_nuls <= 0.05 * pairs:
        return "utf-16-le"
    if even_nuls >= 0.6 * pairs and odd_nuls <= 0.05 * pairs:
        return "utf-16-be"
    return None


def _without_nul(text: str) -> str:
    if "\x00" in text:
        raise NotText("binary file (NUL bytes)")
    return text


def _checked(text: str) -> str:
    """Refuses decoded bytes that are mostly replacement or control characters: binary data."""
    sample = text[:HEAD_BYTES]
    noise = len(_NOISE.findall(sample))
    if sample and noise > 0.05 * len(sample):
        raise NotText("binary file (not text in any recognised encoding)")
    return text


def normalize_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def oversize_reason(size: int, limit: int, what: str = "article") -> str:
    return f"{what} is {size:,} bytes, over the limit of {limit:,} bytes per article (max_article_bytes)"


_BLOCK_TAGS = {
    "p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre",
    "tr", "table", "section", "article", "header", "footer", "figure", "figcaption", "hr", "dd", "dt",
}


def html_fragment_to_text(fragment: str) -> str:
    """Visible text of an HTML fragment (a feed entry's content), one line per block element.

    trafilatura is tuned for whole pages and drops short fragments, so feed snippets
    are flattened here with lxml instead.
    """
    import lxml.etree
    import lxml.html

    if "<" not in fragment:
        return _tidy_lines(_unescape(fragment))
    try:
        root = lxml.html.fragment_fromstring(fragment, create_parent="div")
    except (lxml.etree.ParserError, ValueError):
        return _tidy_lines(_unescape(re.sub(r"<[^>]*>", " ", fragment)))
    for element in root.iter("script", "style", "noscript"):
        element.drop_tree()
    for element in root.iter():
        if isinstance(element.tag, str) and element.tag.lower() in _BLOCK_TAGS:
            element.tail = "\n" + (element.tail or "")
    return _tidy_lines(root.text_content())


def _unescape(text: str) -> str:
    import html

    return html.unescape(text)


def _tidy_lines(text: str) -> str:
    lines = (" ".join(line.split()) for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def read_article_bytes(path: Path, source: str, options: ReadOptions) -> bytes | Skipped:
    """The bytes of a one-article file, refusing files over the per-article limit before reading them."""
    size = path.stat().st_size
    if size > options.max_article_bytes:
        return Skipped(source, oversize_reason(size, options.max_article_bytes, "file"))
    data = path.read_bytes()
    if not data:
        return Skipped(source, "empty file")
    return data


def decode_or_skip(data: bytes, source: str, declared_encoding: Optional[str] = None) -> str | Skipped:
    try:
        return normalize_newlines(decode_bytes(data, declared_encoding))
    except NotText as error:
        return Skipped(source, str(error))
