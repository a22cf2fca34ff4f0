"""Web archives (``.warc``, ``.warc.gz``, the format of Common Crawl News) read with warcio.

The archive is streamed record by record, so it may be of any size. Each ``response``
(or ``resource``) record whose content type is HTML is one article: the page is
decoded (the HTTP charset first) and its text and metadata extracted with trafilatura
as for an HTML file. Its ``source`` is the record's ``WARC-Target-URI`` (a web
article's identity is its URL), else ``{path}#record={byte offset}``. Requests,
metadata and non-HTML responses (images, scripts) are not articles and are passed
over; a page over ``max_article_bytes``, an HTML response with an error status, or
one with no text is skipped with its reason. A damaged or truncated archive keeps
the records read before the damage and adds one ``Skipped`` for the rest.
"""

from __future__ import annotations

import gzip
import re
import zlib
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable, Iterator, Optional

from ..model import RawDocument, Skipped
from ._common import ReadOptions, ReadResult, decode_or_skip, oversize_reason
from .html import declared_charset, html_to_document

EXTENSIONS = (".warc", ".warc.gz", ".arc", ".arc.gz")

_ARTICLE_RECORD_TYPES = ("response", "resource")
_HTML_TYPES = ("text/html", "application/xhtml+xml")
_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9_.:-]+)", re.I)


def sniff_warc(head: bytes) -> bool:
    if head.startswith(b"\x1f\x8b"):
        try:
            # The head is a truncated gzip stream: a decompressobj reads what is there.
            head = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(head, 64)
        except zlib.error:
            return False
    return head.startswith(b"WARC/1.")


# Longest WARC or HTTP header line read; real ones are under a few KB. warcio reads a line
# whole, so a crafted line (a gzip member inflating to 600 MB) would otherwise be held in memory.
MAX_HEADER_LINE = 64 * 1024
# Most bytes one block of compressed input may inflate to at a time: 16 KB of gzip can
# inflate to 16 MB, and warcio inflates each block whole.
MAX_INFLATE = 1 << 20


class HeaderLineTooLong(ValueError):
    pass


def _bounded_iterator(handle: Any) -> Any:
    """warcio's ArchiveIterator with header lines capped and records without a target URI readable."""
    from warcio.archiveiterator import ArchiveIterator
    from warcio.bufferedreaders import DecompressingBufferedReader
    from warcio.recordloader import ArcWarcRecordLoader

    class BoundedLineReader(DecompressingBufferedReader):
        decompressor: Any
        def _fillbuff(self, block_size: Optional[int] = None) -> None:
            tail = self.decompressor.unconsumed_tail if self.decompressor is not None else b""
            if tail and self.empty():
                # Input left over by the bounded inflate below is inflated before more is read.
                self._process_read(tail)
                return
            super()._fillbuff(block_size)

        def _decompress(self, data: bytes) -> bytes:
            if self.decompressor is None or not data:
                return data
            try:
                inflated: bytes = self.decompressor.decompress(data, MAX_INFLATE)
                return inflated
            except zlib.error:
                if self.num_block_read == 0:
                    # As warcio does: a stream that does not start as gzip is read as it is.
                    self.decompressor = None
                    return data
                return b""

        def readline(self, length: Optional[int] = None) -> bytes:
            bounded = MAX_HEADER_LINE if length is None or length > MAX_HEADER_LINE else length
            line: bytes = super().readline(bounded)
            if len(line) >= MAX_HEADER_LINE and not line.endswith(b"\n") and bounded == MAX_HEADER_LINE:
                raise HeaderLineTooLong(f"a header line is over {MAX_HEADER_LINE:,} bytes")
            return line

    class TolerantLoader(ArcWarcRecordLoader):
        def load_http_headers(self, rec_type: str, uri: Optional[str], stream: Any, length: Any) -> Any:
            # A response without WARC-Target-URI still carries HTTP headers; warcio fails on the missing URI.
            return super().load_http_headers(rec_type, "http://" if uri is None else uri, stream, length)

    iterator = ArchiveIterator(handle)
    # Swapped in place: ArchiveIterator builds its reader and loader in __init__ and offers no hook.
    iterator.reader.__class__ = BoundedLineReader
    iterator.loader.__class__ = TolerantLoader
    return iterator


def read_warc(path: Path, source: str, options: ReadOptions) -> Iterator[ReadResult]:
    from warcio.exceptions import ArchiveLoadFailed

    articles = 0
    records = 0
    offset = 0
    with path.open("rb") as handle:
        iterator = _bounded_iterator(handle)
        try:
            for record in iterator:
                records += 1
                result = _record_to_result(record, source, iterator.get_record_offset, options)
                missing = _drain(record)
                if missing:
                    # warcio hands out a cut-off last record without complaint; its text is partial.
                    yield Skipped(
                        source,
                        f"truncated WARC: record {records} (at byte {iterator.get_record_offset()}) "
                        f"lacks {missing:,} byte(s) of its declared length; {articles} article(s) read before it",
                    )
                    return
                # Asked only now: warcio reads the record to its end to answer.
                offset = iterator.get_record_offset()
                if result is not None:
                    articles += 1
                    yield result
        except (ArchiveLoadFailed, EOFError, zlib.error, gzip.BadGzipFile, ValueError) as error:
            yield Skipped(
                source,
                f"damaged or truncated WARC after {records} record(s) (last good record at byte {offset}): "
                f"{type(error).__name__}: {_first_line(error)}",
            )
            return
    if records == 0:
        yield Skipped(source, "no WARC records in the file")
    elif articles == 0:
        yield Skipped(source, f"no HTML response records among {records} WARC record(s)")


def _record_to_result(
    record: Any, source: str, record_offset: Callable[[], int], options: ReadOptions
) -> Optional[ReadResult]:
    if record.rec_type not in _ARTICLE_RECORD_TYPES:
        return None
    target = record.rec_headers.get_header("WARC-Target-URI")
    content_type = _content_type(record)
    if not any(kind in content_type.lower() for kind in _HTML_TYPES):
        return None
    body = record.content_stream().read(options.max_article_bytes + 1)
    record_source = target or f"{source}#record={record_offset()}"
    status = record.http_headers.get_statuscode() if record.http_headers is not None else None
    if status and not status.startswith("2"):
        return Skipped(record_source, f"HTTP status {status}, not an article page")
    if len(body) > options.max_article_bytes:
        length = record.rec_headers.get_header("Content-Length")
        size = int(length) if length and length.isdigit() else len(body)
        return Skipped(record_source, oversize_reason(size, options.max_article_bytes, "archived page"))
    if not body.strip():
        return Skipped(record_source, "empty HTML response")
    charset_match = _CHARSET.search(content_type)
    markup = decode_or_skip(body, record_source, charset_match.group(1) if charset_match else declared_charset(body))
    if isinstance(markup, Skipped):
        return markup
    document = html_to_document(markup, record_source, url=target)
    if isinstance(document, RawDocument) and target and document.url is None:
        return replace(document, url=target)
    return document


def _drain(record: Any) -> int:
    """Reads the rest of the record; returns how many bytes its declared length still lacked."""
    stream = record.raw_stream
    while stream.read(1 << 16):
        pass
    remaining = getattr(stream, "limit", 0)
    return remaining if isinstance(remaining, int) else 0


def _content_type(record: Any) -> str:
    if record.rec_type == "response" and record.http_headers is not None:
        return record.http_headers.get_header("Content-Type") or ""
    return record.rec_headers.get_header("Content-Type") or ""


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else "unexpected end of data"
