"""Plain text (``.txt``, ``.text``, ``.md``): the whole file is one article's text.

Line breaks are normalised to ``\\n`` (as Python's text mode does); nothing else is changed.
Metadata is left to ``storyline.readers.metadata.complete_metadata``, which reads it from the text.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

from ..model import RawDocument, Skipped
from ._common import ReadOptions, ReadResult, decode_or_skip, read_article_bytes, utf16_without_bom

EXTENSIONS = (".txt", ".text", ".md")


def sniff_text(head: bytes) -> bool:
    """Claims anything without NUL bytes, and UTF-16 without a byte-order mark; ``read_text`` refuses what does not decode."""
    return b"\x00" not in head or utf16_without_bom(head) is not None


def read_text(path: Path, source: str, options: ReadOptions) -> Iterator[ReadResult]:
    data = read_article_bytes(path, source, options)
    text = data if isinstance(data, Skipped) else decode_or_skip(data, source)
    if isinstance(text, Skipped):
        yield text
    elif not text.strip():
        yield Skipped(source, "no text (the file holds only whitespace)")
    else:
        yield RawDocument(source=source, text=text)
