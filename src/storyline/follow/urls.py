"""Lists of article URLs: one per line, or a CSV with a ``url`` column (a Media Cloud or GDELT export).

A CSV's ``media_name``/``outlet``, ``publish_date``/``published`` and ``title`` columns are kept
as what the list says about each URL; the page's own metadata wins where it has some.
"""

from __future__ import annotations

import csv
import io
from typing import Optional
from urllib.parse import urlsplit

from ..readers.metadata import normalize_date

OUTLET_COLUMNS = ("media_name", "outlet", "source", "domain")
DATE_COLUMNS = ("publish_date", "published", "date")


class UrlListError(ValueError):
    """A file that holds no usable list of URLs."""


def read_url_list(text: str, name: str = "list") -> tuple[list[tuple[str, dict]], list[str]]:
    """(url, what the list says about it) pairs in order, and one problem line per unusable row."""
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        raise UrlListError(f"{name}: empty file")
    header = [cell.strip().lower() for cell in next(csv.reader([lines[0]]))]
    if "url" in header:
        return _read_csv(text, name)
    found: list[tuple[str, dict]] = []
    problems: list[str] = []
    for number, line in enumerate(lines, start=1):
        url = line.strip()
        if url.startswith("#"):
            continue
        if _is_http(url):
            found.append((url, {}))
        else:
            problems.append(f"{name} line {number}: not an http(s) URL: {url[:80]!r}")
    return found, problems


def _read_csv(text: str, name: str) -> tuple[list[tuple[str, dict]], list[str]]:
    found, problems = [], []
    reader = csv.DictReader(io.StringIO(text))
    reader.fieldnames = [field.strip().lower() for field in reader.fieldnames or []]
    for number, row in enumerate(reader, start=2):
        url = (row.get("url") or "").strip()
        if not _is_http(url):
            problems.append(f"{name} row {number}: not an http(s) URL: {url[:80]!r}")
            continue
        found.append((url, {
            "outlet": _first(row, OUTLET_COLUMNS),
            "published": normalize_date(_first(row, DATE_COLUMNS)),
            "title": _first(row, ("title",)),
        }))
    return found, problems


def _first(row: dict, columns: tuple[str, ...]) -> Optional[str]:
    for column in columns:
        value = (row.get(column) or "").strip()
        if value:
            return value
    return None


def _is_http(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc)
