"""HTML pages (``.html``, ``.htm``): main text and metadata extracted with trafilatura.

Metadata read from the page: title, author (→ ``byline``), date (→ ``published``, ISO
day), site name (→ ``outlet``), canonical URL (→ ``url``) and the ``<html lang>``
attribute (→ ``language``). Navigation, footers and adverts are left out of the text.
Malformed markup is read as far as lxml can repair it; a page with no text is skipped.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Iterator, Optional

from .metadata import normalize_date
from ..model import RawDocument, Skipped
from ._common import ReadOptions, ReadResult, decode_or_skip, normalize_newlines, read_article_bytes

if TYPE_CHECKING:
    from trafilatura.settings import Document

EXTENSIONS = (".html", ".htm", ".xhtml")

_HTML_START = re.compile(rb"^\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body)\b", re.I | re.S)
_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?([A-Za-z0-9_.:-]+)", re.I)
_LANG = re.compile(r"<html\b[^>]*?\blang\s*=\s*[\"']?([A-Za-z]{2,3})(?:[-_][A-Za-z0-9]+)?", re.I)


def sniff_html(head: bytes) -> bool:
    return bool(_HTML_START.match(head.lstrip(b"\xef\xbb\xbf")))


def read_html(path: Path, source: str, options: ReadOptions) -> Iterator[ReadResult]:
    data = read_article_bytes(path, source, options)
    markup = data if isinstance(data, Skipped) else decode_or_skip(data, source, declared_charset(data))
    yield markup if isinstance(markup, Skipped) else html_to_document(markup, source)


def declared_charset(data: bytes) -> Optional[str]:
    """The encoding a page declares in a ``<meta>`` tag, if any."""
    match = _META_CHARSET.search(data[:4096])
    return match.group(1).decode("ascii") if match else None


def html_to_document(markup: str, source: str, url: Optional[str] = None) -> RawDocument | Skipped:
    """One page's article; the WARC reader uses this for each archived response too."""
    if not markup.strip():
        return Skipped(source, "empty HTML page")
    extracted = _extract(markup, url, favor_recall=False)
    if extracted is None or not (extracted.text or "").strip():
        # Short pages fall under trafilatura's precision thresholds; ask again for recall.
        extracted = _extract(markup, url, favor_recall=True)
    if extracted is None or not (extracted.text or "").strip():
        return Skipped(source, "no article text found in the HTML")
    language_match = _LANG.search(markup[:5000])
    return RawDocument(
        source=source,
        text=normalize_newlines(extracted.text or ""),
        title=_clean(extracted.title),
        url=_clean(extracted.url) or url,
        outlet=_clean(extracted.sitename),
        published=normalize_date(extracted.date),
        language=language_match.group(1).lower() if language_match else None,
        byline=_clean(extracted.author),
    )


def _extract(markup: str, url: Optional[str], *, favor_recall: bool) -> Optional[Document]:
    import trafilatura
    from trafilatura.settings import use_config

    config = use_config()
    # Short news items are articles too; the default floor (250 characters) drops them.
    config.set("DEFAULT", "MIN_EXTRACTED_SIZE", "20")
    config.set("DEFAULT", "EXTENSIVE_DATE_SEARCH", "off")
    document = trafilatura.bare_extraction(
        markup,
        url=url,
        with_metadata=True,
        include_comments=False,
        favor_recall=favor_recall,
        # The page's own date only: no guessing from copyright years or nearby text.
        date_extraction_params={"extensive_search": False, "original_date": True},
        config=config,
    )
    # with_metadata and no as_dict: trafilatura returns its Document type or None.
    return None if isinstance(document, dict) else document


def _clean(value: Optional[str]) -> Optional[str]:
    if value is None:
        return None
    value = " ".join(str(value).split())
    return value or None
