"""JSON (``.json``) and JSON Lines (``.jsonl``, ``.ndjson``) articles.

A ``.json`` file holds one article object or a list of them; a JSON Lines file holds
one article object per line and is streamed, so it may be of any size. Keys are
matched case-insensitively; the first key present with a non-empty value is used:

==========  ==========================================================================
field       keys read, in order of preference
==========  ==========================================================================
text        ``text``, ``content``, ``body``, ``maintext``, ``article`` (a list of strings
            is joined with newlines)
title       ``title``, ``headline``
url         ``url``, ``link``
outlet      ``outlet``, ``source``, ``source_domain``, ``publisher``, ``site_name``
            (an object's ``name`` is used, e.g. ``"source": {"name": "..."}``)
published   ``published``, ``date``, ``date_publish``, ``publish_date``, ``pubDate``
            (ISO strings, RFC 822 dates, ``February 4, 2025`` and Unix timestamps are
            normalised to ``YYYY-MM-DD``, ``YYYY-MM`` or ``YYYY``; the time is dropped)
language    ``language``, ``lang`` (the primary subtag, lower case: ``en-US`` → ``en``)
byline      ``byline``, ``author``, ``authors`` (a list is joined with ``", "``)
record id   ``id``
==========  ==========================================================================

Each record's ``source`` is ``{path}#id={id}`` when it has an ``id``, else
``{path}#line={n}`` for JSON Lines (1-based) and ``{path}#item={n}`` for a list in a
``.json`` file (1-based); a ``.json`` file holding a single object is the path itself.
A malformed line is skipped with its line number and the rest of the file is read;
a record with no text, or an id seen before in the same file, is skipped.
A ``.json`` file is parsed whole, so it must fit under ``max_article_bytes``: write
larger collections as JSON Lines. A ``.json`` file that turns out to hold JSON Lines is
read as JSON Lines.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, BinaryIO, Iterable, Iterator, Optional

from .metadata import normalize_date
from ..model import RawDocument, Skipped
from ..printable import is_encodable
from ._common import (
    NotText,
    ReadOptions,
    ReadResult,
    decode_bytes,
    decode_or_skip,
    normalize_newlines,
    oversize_reason,
    read_article_bytes,
)

JSON_EXTENSIONS = (".json",)
JSONL_EXTENSIONS = (".jsonl", ".ndjson", ".jsonlines")

TEXT_KEYS = ("text", "content", "body", "maintext", "article")
TITLE_KEYS = ("title", "headline")
URL_KEYS = ("url", "link")
OUTLET_KEYS = ("outlet", "source", "source_domain", "publisher", "site_name")
DATE_KEYS = ("published", "date", "date_publish", "publish_date", "pubdate")
LANGUAGE_KEYS = ("language", "lang")
BYLINE_KEYS = ("byline", "author", "authors")
ID_KEY = "id"


def sniff_json(head: bytes) -> bool:
    return head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith((b"{", b"["))


def sniff_jsonl(head: bytes) -> bool:
    """Two or more lines that each open an object, the first of them complete JSON."""
    lines = [line.strip() for line in head.lstrip(b"\xef\xbb\xbf").splitlines() if line.strip()]
    if len(lines) < 2 or not all(line.startswith(b"{") for line in lines[:2]):
        return False
    try:
        return isinstance(json.loads(lines[0]), dict)
    except ValueError:
        return False


def read_jsonl(path: Path, source: str, options: ReadOptions) -> Iterator[ReadResult]:
    with path.open("rb") as handle:
        yield from _records_from_lines(_limited_lines(handle, options.max_article_bytes), source, options.max_article_bytes)


def read_json(path: Path, source: str, options: ReadOptions) -> Iterator[ReadResult]:
    data = read_article_bytes(path, source, options)
    if isinstance(data, Skipped):
        if "over the limit" in data.reason:
            data = Skipped(source, f"{data.reason}; a .json file is parsed whole: write large collections as JSON Lines (.jsonl), which is streamed")
        yield data
        return
    text = decode_or_skip(data, source)
    if isinstance(text, Skipped):
        yield text
        return
    try:
        value = json.loads(text)
    except RecursionError:
        yield Skipped(source, "JSON nested too deeply to read")
        return
    except json.JSONDecodeError as error:
        if error.msg == "Extra data" and text.lstrip().startswith("{"):
            # One object per line in a file named .json: read it as JSON Lines.
            lines = ((number, line.encode("utf-8")) for number, line in enumerate(text.split("\n"), start=1))
            yield from _records_from_lines(lines, source, options.max_article_bytes)
            return
        yield Skipped(source, f"malformed JSON: {error.msg} at line {error.lineno} column {error.colno}")
        return
    if isinstance(value, dict):
        yield record_to_document(value, source, source)
    elif isinstance(value, list):
        if not value:
            yield Skipped(source, "empty JSON list (no articles)")
            return
        seen: dict[str, str] = {}
        for number, item in enumerate(value, start=1):
            yield _record_result(item, source, f"{source}#item={number}", f"item {number}", seen)
    else:
        yield Skipped(source, f"JSON holds a {type(value).__name__}, not an article object or a list of them")


def _limited_lines(handle: BinaryIO, limit: int) -> Iterator[tuple[int, bytes | int]]:
    """(line number, bytes) for each line, or (line number, size) for a line over ``limit``.

    Reads at most ``limit`` + 1 bytes of a line into memory; the rest of an oversize line is
    consumed in chunks and only its size is kept.
    """
    number = 0
    while True:
        line = handle.readline(limit + 1)
        if not line:
            return
        number += 1
        if len(line) > limit and not line.endswith(b"\n"):
            size = len(line)
            while line and not line.endswith(b"\n"):
                line = handle.readline(1 << 20)
                size += len(line)
            yield number, size
        else:
            yield number, line


def _records_from_lines(lines: Iterable[tuple[int, bytes | int]], source: str, limit: int) -> Iterator[ReadResult]:
    seen: dict[str, str] = {}
    any_line = False
    for number, line in lines:
        line_source = f"{source}#line={number}"
        if isinstance(line, int):
            any_line = True
            yield Skipped(line_source, oversize_reason(line, limit, f"record on line {number}"))
            continue
        if not line.strip():
            continue
        any_line = True
        value, reason = parse_line(line, number)
        if reason is not None:
            yield Skipped(line_source, reason)
            continue
        yield _record_result(value, source, line_source, f"line {number}", seen)
    if not any_line:
        yield Skipped(source, "no JSON records in the file")


def parse_line(line: bytes, number: int) -> tuple[Any, Optional[str]]:
    """The JSON value of one line (numbered ``number``), or None and why it cannot be read."""
    try:
        decoded = line.decode("utf-8")  # the common case, without decode_bytes' checks
    except UnicodeDecodeError:
        try:
            decoded = decode_bytes(line)
        except NotText as error:
            return None, f"line {number}: {error}"
    try:
        return json.loads(decoded), None
    except json.JSONDecodeError as error:
        return None, f"malformed JSON on line {number}: {error.msg} (column {error.colno})"
    except RecursionError:
        return None, f"line {number}: JSON nested too deeply to read"


def _record_result(value: Any, source: str, position_source: str, where: str, seen: dict[str, str]) -> ReadResult:
    if not isinstance(value, dict):
        return Skipped(position_source, f"{where} is a JSON {type(value).__name__}, not an article object")
    record_id = _scalar(value.get(ID_KEY))
    if record_id is None:
        return record_to_document(value, position_source, position_source)
    if record_id in seen:
        return Skipped(position_source, f"duplicate id {record_id!r} ({where}; first seen at {seen[record_id]})")
    seen[record_id] = where
    return record_to_document(value, f"{source}#id={record_id}", position_source)


def record_to_document(record: dict[str, Any], source: str, position: Optional[str] = None) -> RawDocument | Skipped:
    """A document from one JSON object, reading the keys in the module docstring."""
    fields = {str(key).lower(): value for key, value in record.items()}
    text = _text(_first(fields, TEXT_KEYS))
    if text is None or not text.strip():
        return Skipped(position or source, f"no text (looked for keys: {', '.join(TEXT_KEYS)})")
    document = RawDocument(
        source=source,
        text=normalize_newlines(text),
        title=_one_line(_scalar(_first(fields, TITLE_KEYS))),
        url=_scalar(_first(fields, URL_KEYS)),
        outlet=_one_line(_named(_first(fields, OUTLET_KEYS))),
        published=normalize_date(_first(fields, DATE_KEYS)),
        language=language_code(_scalar(_first(fields, LANGUAGE_KEYS))),
        byline=_one_line(_names(_first(fields, BYLINE_KEYS))),
    )
    for name in ("source", "text", "title", "url", "outlet", "byline"):
        value = getattr(document, name)
        if value is not None and not is_encodable(value):
            # A JSON escape like "\ud800" decodes to a lone surrogate, which UTF-8 (and the store) cannot hold.
            return Skipped(position or source, f"its {name} is not valid Unicode (a lone surrogate escape)")
    return document


def language_code(value: Optional[str]) -> Optional[str]:
    """The primary subtag of a language tag (``en-US`` → ``en``), or None when it is not one (``"<b>x"``)."""
    if not value:
        return None
    primary = value.replace("_", "-").split("-")[0].strip().lower()
    return primary if primary.isascii() and primary.isalpha() and 2 <= len(primary) <= 3 else None


def _first(fields: dict[str, Any], keys: tuple[str, ...]) -> Any:
    for key in keys:
        value = fields.get(key)
        if value not in (None, "", [], {}):
            return value
    return None


def _text(value: Any) -> Optional[str]:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(part, str) for part in value):
        return "\n".join(value)
    return None


def _scalar(value: Any) -> Optional[str]:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (str, int, float)):
        text = str(value).strip()
        return text or None
    return None


def _named(value: Any) -> Optional[str]:
    """A string, or the ``name`` of an object (``{"name": "..."}``, as schema.org and news APIs write it)."""
    if isinstance(value, dict):
        return _scalar(value.get("name"))
    return _scalar(value)


def _names(value: Any) -> Optional[str]:
    if isinstance(value, list):
        names = [name for name in (_named(item) for item in value) if name]
        return ", ".join(names) or None
    return _named(value)


def _one_line(value: Optional[str]) -> Optional[str]:
    if value is None:
        return None
    return " ".join(value.split()) or None
