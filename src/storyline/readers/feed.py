"""RSS and Atom feeds (``.rss``, ``.atom``, ``.xml``, or sniffed) read with feedparser.

Each entry is one article, ``source`` ``{path}#entry={n}`` (1-based) and ``url`` its
link. Text is the entry's full content (``content[0]``), else its summary, with HTML
flattened to text, one line per paragraph. Metadata: the entry's title, link,
published date (else updated; the date as written, without the time), author, and
language (the entry's ``xml:lang`` or the feed's ``<language>``); the outlet is the
entry's own source title, else the feed's title. A feed too broken to yield entries,
or with no entries, is skipped with the parser's reason; entries without text are
skipped one by one. A feed is parsed whole, so one over ``MAX_FEED_BYTES`` (64 MB) is
refused with that reason.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Iterator, Optional

from .metadata import normalize_date
from ..model import RawDocument, Skipped
from ._common import ReadOptions, ReadResult, html_fragment_to_text, oversize_reason

EXTENSIONS = (".rss", ".atom", ".xml")
# feedparser builds the whole document in memory (about five times the file's size), so
# feeds past this size are refused with the reason; split them, or convert them to JSON Lines.
MAX_FEED_BYTES = 64 * 1024 * 1024

_FEED_START = re.compile(rb"^\s*(?:<\?xml[^>]*\?>\s*)?(?:<!--.*?-->\s*|<\?[^>]*\?>\s*)*<(?:rss|feed|rdf:RDF)\b", re.S)


def sniff_feed(head: bytes) -> bool:
    return bool(_FEED_START.match(head.lstrip(b"\xef\xbb\xbf")))


def read_feed(path: Path, source: str, options: ReadOptions) -> Iterator[ReadResult]:
    import feedparser

    # feedparser parses the whole document: a feed's size is capped (MAX_FEED_BYTES) and
    # the per-article limit applies to each entry.
    size = path.stat().st_size
    if size > MAX_FEED_BYTES:
        yield Skipped(source, f"feed is {size:,} bytes, over the limit of {MAX_FEED_BYTES:,} bytes per feed "
                              "(feeds are parsed whole): split it or convert it to JSON Lines, which is streamed")
        return
    with path.open("rb") as handle:
        parsed = feedparser.parse(handle)
    entries = parsed.get("entries") or []
    if not entries:
        if parsed.get("bozo"):
            yield Skipped(source, f"malformed feed XML, no entries could be read: {parsed.get('bozo_exception')}")
        elif not parsed.get("version"):
            yield Skipped(source, "not an RSS or Atom feed (no <rss> or <feed> element)")
        else:
            yield Skipped(source, "feed has no entries")
        return
    feed_info = parsed.get("feed") or {}
    feed_title = _clean(feed_info.get("title"))
    feed_language = _language(feed_info.get("language"))
    for number, entry in enumerate(entries, start=1):
        yield _entry_to_document(entry, f"{source}#entry={number}", feed_title, feed_language, options)


def _entry_to_document(
    entry: Any, source: str, feed_title: Optional[str], feed_language: Optional[str], options: ReadOptions
) -> RawDocument | Skipped:
    body, body_type, body_language = _body(entry)
    if body is None or not body.strip():
        return Skipped(source, "feed entry has no content or summary")
    size = len(body.encode("utf-8"))
    if size > options.max_article_bytes:
        return Skipped(source, oversize_reason(size, options.max_article_bytes, "feed entry"))
    text = html_fragment_to_text(body) if "html" in body_type else "\n".join(
        line.strip() for line in body.splitlines() if line.strip()
    )
    if not text.strip():
        return Skipped(source, "feed entry has no text once its HTML is removed")
    entry_source = entry.get("source") or {}
    return RawDocument(
        source=source,
        text=text,
        title=_clean(entry.get("title")),
        url=_clean(entry.get("link")),
        outlet=_clean(entry_source.get("title")) or feed_title,
        published=normalize_date(entry.get("published") or entry.get("updated")),
        language=body_language or feed_language,
        byline=_clean(entry.get("author")),
    )


def _body(entry: Any) -> tuple[Optional[str], str, Optional[str]]:
    """The entry's fullest text, its MIME type and its declared language."""
    for content in entry.get("content") or []:
        value = content.get("value")
        if value and value.strip():
            return value, content.get("type") or "text/html", _language(content.get("language"))
    detail = entry.get("summary_detail") or {}
    summary = entry.get("summary")
    return summary, detail.get("type") or "text/html", _language(detail.get("language"))


def _language(value: Optional[str]) -> Optional[str]:
    if not value:
        return None
    primary = value.replace("_", "-").split("-")[0].strip().lower()
    return primary if primary.isalpha() and 2 <= len(primary) <= 3 else None


def _clean(value: Optional[str]) -> Optional[str]:
    if not value:
        return None
    return " ".join(str(value).split()) or None
