"""The small view-model pieces the HTML report, the web app and the charts share.

Each takes an article of the ``storyline/1`` export (or an :class:`~storyline.model.Article`)
and gives what a reader sees: a short label, the outlet as a column heading, a link that is
safe to put in an ``href``, and the article's text with its cited spans marked.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Optional
from urllib.parse import urlsplit

from markupsafe import Markup, escape

from ..model import Article

__all__ = ["STATUS_ORDER", "Mark", "article_labels", "external_href", "marked_text", "outlet_name", "short_source"]

# How claims are listed: what is disputed first, then what is confirmed, then the rest.
STATUS_ORDER = {"contradicted": 0, "corroborated": 1, "single-source": 2}


def short_source(source: str) -> str:
    """The last part of a source path or URL, which is what a reader recognises."""
    return source.rstrip("/").rsplit("/", 1)[-1] or source


def outlet_name(article: Mapping[str, Any]) -> str:
    """The outlet as a column heading: the stored outlet, else the source's last part (never invented)."""
    return article.get("outlet") or short_source(article["source"])


def article_labels(articles: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """A short label per article; two articles from one outlet stay tell-apart."""
    counts = Counter(outlet_name(article) for article in articles)
    labels = {}
    for article in articles:
        label = outlet_name(article)
        if counts[label] > 1 and article.get("outlet"):
            label = f"{label} ({short_source(article['source'])})"
        labels[article["id"]] = label
    return labels


def external_href(article: Article) -> Optional[str]:
    """The article's own address, only when plainly http(s): never ``javascript:``, ``data:`` and the like."""
    for candidate in (article.url, article.source):
        if candidate and urlsplit(candidate.strip()).scheme.lower() in ("http", "https"):
            return candidate.strip()
    return None


@dataclass(frozen=True)
class Mark:
    """A span of an article's text to highlight: CSS classes, an optional link, tooltip and anchor."""

    start: int
    end: int
    css: str
    title: str = ""
    href: str = ""
    anchor: str = ""


def marked_text(text: str, marks: Iterable[Mark], *, element: str = "span") -> Markup:
    """The escaped text with every mark laid in; overlapping marks merge their classes on the overlap.

    A mark's ``anchor`` is an empty ``<span class="anchor">`` at its start (a mark may be empty,
    to place only an anchor). A marked stretch without a link is wrapped in ``element``: ``span``
    in the web app, ``mark`` in the static report, whose stylesheet highlights ``<mark>``.
    """
    usable = [m for m in marks if 0 <= m.start <= m.end <= len(text)]
    anchors: dict[int, list[str]] = {}
    for mark in usable:
        if mark.anchor:
            anchors.setdefault(mark.start, []).append(mark.anchor)
    cuts = sorted({0, len(text), *(m.start for m in usable), *(m.end for m in usable)})
    by_start = sorted((m for m in usable if m.end > m.start), key=lambda m: (m.start, m.end))
    pieces: list[str] = []
    active: list[Mark] = []
    next_mark = 0
    for start, end in zip(cuts, cuts[1:] + [len(text)]):
        for anchor in anchors.get(start, []):
            pieces.append(f'<span class="anchor" id="{escape(anchor)}"></span>')
        if end <= start:
            continue
        active = [m for m in active if m.end > start]
        while next_mark < len(by_start) and by_start[next_mark].start <= start:
            active.append(by_start[next_mark])
            next_mark += 1
        segment = escape(text[start:end])
        if not active:
            pieces.append(str(segment))
            continue
        classes = " ".join(sorted({css for m in active for css in m.css.split()}))
        title = " | ".join(dict.fromkeys(m.title for m in active if m.title))[:600]
        href = next((m.href for m in active if m.href), "")
        title_attr = f' title="{escape(title)}"' if title else ""
        class_attr = f' class="{escape(classes)}"' if classes else ""
        if href:
            pieces.append(f'<a{class_attr} href="{escape(href)}"{title_attr}>{segment}</a>')
        else:
            pieces.append(f"<{element}{class_attr}{title_attr}>{segment}</{element}>")
    return Markup("".join(pieces))
