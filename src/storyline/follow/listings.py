"""What a followed source lists: entries of an RSS/Atom feed, a news sitemap, a site sitemap, or an OPML file.

Pure functions over bytes: no fetching here. ``parse_listing`` recognises the kind from the
document itself, so ``storyline follow add URL`` needs no ``--kind``: a URL that served a
feed yesterday and a sitemap today is read as what it serves.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field
from typing import Any, Literal, Optional
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

ListingKind = Literal["feed", "news-sitemap", "sitemap", "sitemap-index", "opml"]

_ROOT = re.compile(rb"<\s*(?:[A-Za-z0-9_-]+:)?(rss|feed|RDF|urlset|sitemapindex|opml)\b")
NEWS_NAMESPACE = "http://www.google.com/schemas/sitemap-news/0.9"


class ListingError(ValueError):
    """A document that is not a feed, sitemap or OPML file, or too broken to read."""


@dataclass(frozen=True)
class Entry:
    """One page a listing points at, with what the listing says about it.

    ``listed_date`` is the date the listing gives the entry (a feed's updated/published, a
    sitemap's lastmod): when it changes, the page is fetched again to look for a new version.
    """

    url: str
    title: Optional[str] = None
    published: Optional[str] = None
    listed_date: Optional[str] = None


@dataclass(frozen=True)
class Listing:
    kind: ListingKind
    title: Optional[str] = None
    entries: list[Entry] = field(default_factory=list)
    children: list[str] = field(default_factory=list)  # sitemaps of an index, feeds of an OPML file


def parse_listing(data: bytes, base_url: str = "") -> Listing:
    """The entries (or child listings) of a feed, sitemap, sitemap index or OPML document."""
    match = _ROOT.search(data[:4096])
    if match is None:
        raise ListingError("not an RSS/Atom feed, sitemap or OPML file")
    root = match.group(1).decode("ascii")
    if root in ("rss", "feed", "RDF"):
        return _parse_feed(data, base_url)
    tree = _xml(data)
    if root == "opml":
        return _parse_opml(tree, base_url)
    if root == "sitemapindex":
        children = [urljoin(base_url, loc) for loc in _texts(tree, "sitemap", "loc")]
        return Listing("sitemap-index", children=[u for u in children if _is_http(u)])
    return _parse_urlset(tree, base_url)


def _xml(data: bytes) -> Any:
    from lxml import etree

    # No entities resolved and nothing fetched: a listing is untrusted input.
    parser = etree.XMLParser(resolve_entities=False, no_network=True, recover=True, huge_tree=False)
    try:
        tree = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as error:
        raise ListingError(f"malformed XML: {error}") from error
    if tree is None:
        raise ListingError("malformed XML: no root element")
    return tree


def _local(tag: object) -> str:
    return str(tag).rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _texts(tree: Any, parent: str, child: str) -> list[str]:
    found = []
    for element in tree.iter():
        if _local(element.tag) != parent:
            continue
        for sub in element:
            if _local(sub.tag) == child and (sub.text or "").strip():
                found.append(sub.text.strip())
    return found


def _parse_urlset(tree: Any, base_url: str) -> Listing:
    entries, is_news = [], False
    for element in tree.iter():
        if _local(element.tag) != "url":
            continue
        fields: dict[str, str] = {}
        for sub in element.iter():
            name = _local(sub.tag)
            if name == "news":
                is_news = True
            if name in ("loc", "lastmod", "publication_date", "title") and (sub.text or "").strip():
                fields.setdefault(name, " ".join(sub.text.split()))
        url = urljoin(base_url, fields.get("loc", ""))
        if fields.get("loc") and _is_http(url):
            published = fields.get("publication_date")
            entries.append(Entry(canonical_url(url), fields.get("title"), _day(published),
                                 fields.get("lastmod") or published))
    return Listing("news-sitemap" if is_news else "sitemap", entries=entries)


def _parse_opml(tree: Any, base_url: str) -> Listing:
    feeds = []
    for element in tree.iter():
        if _local(element.tag) == "outline":
            url = element.get("xmlUrl") or element.get("xmlurl")
            if url and _is_http(urljoin(base_url, url.strip())):
                feeds.append(urljoin(base_url, url.strip()))
    title = next((" ".join((e.text or "").split()) for e in tree.iter() if _local(e.tag) == "title"), None)
    return Listing("opml", title=title or None, children=list(dict.fromkeys(feeds)))


def _parse_feed(data: bytes, base_url: str) -> Listing:
    import feedparser

    parsed = feedparser.parse(data)
    if not parsed.get("entries") and parsed.get("bozo") and not parsed.get("version"):
        raise ListingError(f"malformed feed: {parsed.get('bozo_exception')}")
    entries = []
    with warnings.catch_warnings():
        # feedparser warns when "updated" falls back to "published": that fallback is what is wanted here.
        warnings.simplefilter("ignore", DeprecationWarning)
        for entry in parsed.get("entries") or []:
            link = (entry.get("link") or "").strip()
            url = urljoin(base_url, link)
            if not link or not _is_http(url):
                continue
            published = entry.get("published") or entry.get("updated")
            title = " ".join(str(entry.get("title") or "").split()) or None
            entries.append(Entry(canonical_url(url), title, _day(published),
                                 entry.get("updated") or entry.get("published")))
    feed_title = " ".join(str((parsed.get("feed") or {}).get("title") or "").split()) or None
    return Listing("feed", title=feed_title, entries=entries)


def canonical_url(url: str) -> str:
    """The address an article is known by: no #fragment, no utm_* tracking parameters, a lower-case host.

    Two feeds linking one page with different tracking tags must not make it two articles.
    """
    parts = urlsplit(url.strip())
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    kept = [(k, v) for k, v in pairs if not k.lower().startswith("utm_")]
    # The query is rebuilt only when a tag was dropped: a signed or oddly encoded one stays byte for byte.
    query = parts.query if len(kept) == len(pairs) else urlencode(kept)
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path or "/", query, ""))


def _day(value: Optional[str]) -> Optional[str]:
    from ..readers.metadata import normalize_date

    return normalize_date(value) if value else None


def _is_http(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc)
