"""The small view-model pieces the HTML report, the web app and the charts share.

Each takes an article of the ``storyline/1`` export (or an :class:`~storyline.model.Article`)
and gives what a reader sees: a short label, the outlet as a column heading, a link that is
safe to put in an ``href``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any, Optional
from urllib.parse import urlsplit

from ..model import Article

__all__ = ["STATUS_ORDER", "article_labels", "external_href", "outlet_name", "short_source"]

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
