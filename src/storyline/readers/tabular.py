"""Tables of articles: CSV (``.csv``, ``.tsv``) and Parquet (``.parquet``), one article a row.

Columns are read as the JSON reader reads keys (see :mod:`storyline.readers.jsonl`: ``text``,
``title``, ``url``, ``outlet``, ``published`` ... matched without case), plus Media Cloud's
export columns: ``media_name`` is the outlet, ``publish_date``, ``url`` and ``title`` as named.
A row's ``source`` is ``{path}#id={id}`` when the table has an ``id`` column, else
``{path}#row={n}`` (1-based, header not counted). A table with no text column at all is
skipped as a whole, with the columns it looked for; a row with no text, or an id seen before
in the same file, is skipped with its row number. Both are streamed, so a table may be of any size.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from ..model import Skipped
from ._common import ReadOptions, ReadResult, oversize_reason
from .jsonl import ID_KEY, TEXT_KEYS, record_to_document

CSV_EXTENSIONS = (".csv", ".tsv")
PARQUET_EXTENSIONS = (".parquet", ".pq")
# Media Cloud's names for what the JSON reader calls outlet.
_MEDIA_CLOUD_OUTLET = ("media_name",)
_PARQUET_BATCH = 1024


def sniff_parquet(head: bytes) -> bool:
    return head.startswith(b"PAR1")


def _plain(value: Any) -> Any:
    """A cell as the JSON reader expects it: dates as ISO text, bytes decoded, everything else as is."""
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return value


def _records(rows: Iterable[Mapping[str, Any]], columns: Iterable[str], source: str,
             options: ReadOptions) -> Iterator[ReadResult]:
    lowered = {str(c).strip().lower() for c in columns}
    if not lowered & set(TEXT_KEYS):
        yield Skipped(source, f"no text column (looked for: {', '.join(TEXT_KEYS)}; found: "
                              f"{', '.join(sorted(lowered)) or 'none'})")
        return
    has_id = ID_KEY in lowered
    seen: dict[str, int] = {}
    for number, row in enumerate(rows, start=1):
        record = {str(k).strip().lower(): _plain(v) for k, v in row.items() if k is not None}
        for key in _MEDIA_CLOUD_OUTLET:
            if record.get(key) not in (None, "") and record.get("outlet") in (None, ""):
                record["outlet"] = record[key]
        if "outlet" in lowered and record.get("outlet") in (None, ""):
            # A table with an outlet column (storyline's own export among them) says the outlet is unknown:
            # its "source" column is then the article's identity, not an outlet to fall back on.
            record.pop("source", None)
        text = next((record[k] for k in TEXT_KEYS if isinstance(record.get(k), str) and record[k]), "")
        position = f"{source}#row={number}"
        if len(text.encode("utf-8")) > options.max_article_bytes:
            yield Skipped(position, oversize_reason(len(text.encode("utf-8")), options.max_article_bytes))
            continue
        record_id = record.get(ID_KEY) if has_id else None
        if record_id not in (None, ""):
            record_id = str(record_id).strip()
            if record_id in seen:
                yield Skipped(position, f"duplicate id {record_id!r} (row {number}; first seen at row {seen[record_id]})")
                continue
            seen[record_id] = number
            record.pop(ID_KEY, None)
            yield record_to_document(record, f"{source}#id={record_id}", position)
        else:
            yield record_to_document(record, position, position)


def read_csv(path: Path, source: str, options: ReadOptions) -> Iterator[ReadResult]:
    csv.field_size_limit(max(options.max_article_bytes * 4, 131072))
    with path.open("rb") as raw:
        # Undecodable bytes become U+FFFD rather than costing the whole table.
        handle = io.TextIOWrapper(raw, encoding="utf-8-sig", errors="replace", newline="")
        head = handle.read(8192)
        handle.seek(0)
        # The header row says the delimiter (comma, semicolon as spreadsheets in many locales write, or tab);
        # quoting is always the standard one (csv.Sniffer guesses it wrong on quoted quotes).
        header = head.split("\n", 1)[0]
        delimiter = "\t" if path.name.lower().endswith(".tsv") else max(",;\t", key=header.count)
        reader = csv.DictReader(handle, delimiter=delimiter)
        try:
            columns = reader.fieldnames or []
        except csv.Error as error:
            yield Skipped(source, f"malformed CSV: {error}")
            return
        if not columns:
            yield Skipped(source, "empty CSV (no header row)")
            return
        try:
            yield from _records(reader, columns, source, options)
        except csv.Error as error:
            yield Skipped(f"{source}#row={reader.line_num}", f"malformed CSV at line {reader.line_num}: {error}")


def read_parquet(path: Path, source: str, options: ReadOptions) -> Iterator[ReadResult]:
    import pyarrow.parquet as pq  # imported on first use: only Parquet inputs need it

    try:
        table = pq.ParquetFile(path)
    except Exception as error:  # noqa: BLE001 - pyarrow raises several types for a damaged file; say which
        yield Skipped(source, f"not a readable Parquet file: {error}")
        return
    columns = table.schema_arrow.names

    def rows() -> Iterator[dict[str, Any]]:
        for batch in table.iter_batches(batch_size=_PARQUET_BATCH):
            yield from batch.to_pylist()

    yield from _records(rows(), columns, source, options)
