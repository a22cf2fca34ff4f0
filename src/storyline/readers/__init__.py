"""Readers: turn files into ``RawDocument`` records (or ``Skipped`` with a reason).

Every input format is a reader registered by name in one registry; the built-in
readers (text, html, json, jsonl, feed, warc) are registered through the same
``register_reader`` call users get, so a new format is one call::

    from storyline.readers import register_reader

    def read_srt(path, source, options):
        yield RawDocument(source=source, text=path.read_text())

    register_reader("subtitles", read_srt, extensions=(".srt",))

How a file's reader is chosen:

1. by extension (the longest registered suffix that ends the file name, e.g. ``.warc.gz``);
2. else by sniffing its first bytes, readers asked in registration order, fallback readers last;
3. a file no reader claims is skipped as binary.

``read_paths`` never raises on bad input: every file or record that cannot be read
yields exactly one ``Skipped(source, reason)`` and the batch goes on.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Iterable, Iterator, Optional, Union

from ..model import RawDocument, Skipped
from ..printable import is_encodable, one_line
from ._common import HEAD_BYTES, ReadOptions, ReadResult

ReadFunction = Callable[[Path, str, ReadOptions], Iterator[ReadResult]]
SniffFunction = Callable[[bytes], bool]

__all__ = [
    "ReadFunction",
    "ReadOptions",
    "MAX_ARTICLE_CHARS",
    "ReaderSpec",
    "SniffFunction",
    "get_reader",
    "read_paths",
    "reader_for",
    "register_reader",
    "registered_readers",
    "unregister_reader",
]


@dataclass(frozen=True)
class ReaderSpec:
    """A registered reader.

    ``read(path, source, options)`` yields the file's documents; ``source`` is the identity
    to give them (container readers append ``#line=3`` and the like). ``sniff(head)`` gets
    the file's first bytes and says whether the reader claims a file whose extension no
    reader knows. A ``fallback`` reader is asked last (plain text claims anything that decodes).
    """

    name: str
    read: ReadFunction
    extensions: tuple[str, ...] = ()
    sniff: Optional[SniffFunction] = None
    fallback: bool = False


_REGISTRY: dict[str, ReaderSpec] = {}


def register_reader(
    name: str,
    read: ReadFunction,
    extensions: Iterable[str] = (),
    sniff: Optional[SniffFunction] = None,
    *,
    fallback: bool = False,
    replace_existing: bool = False,
) -> ReaderSpec:
    """Register a reader under ``name``; extensions are matched case-insensitively (``.html``)."""
    if not name:
        raise ValueError("a reader needs a name")
    if name in _REGISTRY and not replace_existing:
        raise ValueError(f"a reader named {name!r} is already registered (pass replace_existing=True)")
    normalized = tuple(ext.lower() if ext.startswith(".") else f".{ext.lower()}" for ext in extensions)
    spec = ReaderSpec(name=name, read=read, extensions=normalized, sniff=sniff, fallback=fallback)
    _REGISTRY[name] = spec
    return spec


def unregister_reader(name: str) -> None:
    _REGISTRY.pop(name, None)


def get_reader(name: str) -> ReaderSpec:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise KeyError(f"no reader named {name!r}; registered: {', '.join(_REGISTRY)}") from None


def registered_readers() -> list[ReaderSpec]:
    return list(_REGISTRY.values())


def reader_for(file_name: str, head: bytes) -> Optional[ReaderSpec]:
    """The reader for a file: by extension first, else the first reader whose sniff claims ``head``."""
    lowered = file_name.lower()
    by_extension = [
        (len(ext), spec) for spec in _REGISTRY.values() for ext in spec.extensions if lowered.endswith(ext)
    ]
    if by_extension:
        # The longest suffix wins: ``.warc.gz`` over a hypothetical ``.gz`` reader.
        return max(by_extension, key=lambda pair: pair[0])[1]
    ordered = sorted(_REGISTRY.values(), key=lambda spec: spec.fallback)
    for spec in ordered:
        if spec.sniff is not None and spec.sniff(head):
            return spec
    return None


def read_paths(
    paths: Iterable[Union[str, Path]], *, max_article_bytes: int = 10_000_000, leave_out: Iterable[Union[str, Path]] = ()
) -> Iterator[ReadResult]:
    """Documents from files and directories, in order; directories are read recursively.

    Directory entries are read sorted by name; hidden files and folders (``.name``) are
    left out, and so, quietly, are the files in ``leave_out`` met in a directory (the
    store being written and its ``-wal`` and ``-shm`` files). A document's ``source`` is
    the path as given (joined with the names below a directory), with a record marker
    for container files. Bad input yields ``Skipped``, one printable line each.
    """
    if max_article_bytes <= 0:
        raise ValueError(f"max_article_bytes must be positive, got {max_article_bytes}")
    options = ReadOptions(max_article_bytes=max_article_bytes)
    for result in _read_all(paths, options, _LeftOut(leave_out)):
        yield _printable(result) if isinstance(result, Skipped) else result


def _read_all(paths: Iterable[Union[str, Path]], options: ReadOptions, left_out: "_LeftOut") -> Iterator[ReadResult]:
    for given in paths:
        source = os.fspath(given)
        if isinstance(source, bytes):
            source = os.fsdecode(source)
        path = Path(source)
        if not is_encodable(source):
            yield _unreadable_name(source)
        elif not os.path.lexists(path):
            yield Skipped(source, "no such file or directory")
        elif path.is_dir():
            yield from _read_directory(path, source, options, left_out)
        else:
            yield from _read_file(path, source, options)


class _LeftOut:
    """Files a directory walk passes over quietly, matched by name first so most files cost no syscall."""

    def __init__(self, paths: Iterable[Union[str, Path]]) -> None:
        self.resolved = {os.path.realpath(os.fspath(path)) for path in paths}
        self.names = {os.path.basename(path) for path in self.resolved}

    def __contains__(self, path: object) -> bool:
        assert isinstance(path, Path)
        return path.name in self.names and os.path.realpath(path) in self.resolved


def _unreadable_name(source: str) -> Skipped:
    return Skipped(source, "the file name is not valid UTF-8 (rename the file to read it)")


def walk_directory(
    path: Path, source: str, leave_out: Optional[_LeftOut] = None
) -> Iterator[Union[tuple[Path, str], Skipped]]:
    """The files below a directory with their sources, sorted; hidden and left-out files are passed over."""
    try:
        names = sorted(entry.name for entry in os.scandir(path))
    except OSError as error:
        yield Skipped(one_line(source), f"cannot list directory: {error.strerror or error}")
        return
    for name in names:
        if name.startswith("."):
            continue
        child = path / name
        child_source = os.path.join(source, name)
        if leave_out is not None and child in leave_out:
            continue
        if not is_encodable(child_source):
            yield _unreadable_name(child_source)
        elif child.is_dir() and child.is_symlink():
            # Symlinked folders are not followed (they can loop); say so, so nothing goes missing unnoticed.
            yield Skipped(one_line(child_source), "symlinked folder not followed (give its path to read it)")
        elif child.is_dir():
            yield from walk_directory(child, child_source, leave_out)
        else:
            yield child, child_source


def _read_directory(path: Path, source: str, options: ReadOptions, leave_out: _LeftOut) -> Iterator[ReadResult]:
    for item in walk_directory(path, source, leave_out):
        if isinstance(item, Skipped):
            yield item
        else:
            yield from _read_file(*item, options)


def _read_file(path: Path, source: str, options: ReadOptions) -> Iterator[ReadResult]:
    try:
        mode = path.stat().st_mode
        if not stat.S_ISREG(mode):
            yield Skipped(source, "not a regular file")
            return
        with path.open("rb") as handle:
            head = handle.read(HEAD_BYTES)
    except FileNotFoundError:
        yield Skipped(source, "no such file or directory")
        return
    except PermissionError:
        yield Skipped(source, "permission denied")
        return
    except OSError as error:
        yield Skipped(source, f"cannot read file: {error.strerror or error}")
        return
    if not head:
        yield Skipped(source, "empty file")
        return
    spec = reader_for(path.name, head)
    if spec is None:
        yield Skipped(source, "binary file (no reader recognises it)")
        return
    yield from _run_reader(spec, path, source, options)


def _run_reader(spec: ReaderSpec, path: Path, source: str, options: ReadOptions) -> Iterator[ReadResult]:
    try:
        for result in spec.read(path, source, options):
            if isinstance(result, RawDocument):
                yield _checked_document(result if result.reader else replace(result, reader=spec.name))
            else:
                yield _printable(result)
    except PermissionError:
        yield _printable(Skipped(source, "permission denied"))
    except OSError as error:
        yield _printable(Skipped(source, f"cannot read file: {error.strerror or error}"))
    except Exception as error:  # noqa: BLE001 - a reader bug must cost one file, not the batch; it is reported
        yield _printable(Skipped(source, f"{spec.name} reader failed: {type(error).__name__}: {error}"))


def _printable(skipped: Skipped) -> Skipped:
    """Every reason is one short printable line, whatever a reader or a parser put in it."""
    return Skipped(one_line(skipped.source), one_line(skipped.reason))


# Longest article text analysed, in characters (the longest news articles are under 100,000).
# Every stage handles a long text in bounded pieces, but a text past this is a book or a
# dump, not an article: it is refused at reading, with this reason, rather than stored.
MAX_ARTICLE_CHARS = 1_000_000

_TEXT_FIELDS = ("source", "text", "title", "url", "outlet", "published", "language", "byline")


def _checked_document(document: RawDocument) -> ReadResult:
    """Refuses a document holding a lone surrogate (a JSON ``"\\ud800"``): UTF-8, and so the store, cannot hold it.

    Also refuses a text over MAX_ARTICLE_CHARS.
    """
    if len(document.text) > MAX_ARTICLE_CHARS:
        return Skipped(document.source, f"article text is {len(document.text):,} characters, over the limit of "
                                        f"{MAX_ARTICLE_CHARS:,} characters per article")
    for name in _TEXT_FIELDS:
        value = getattr(document, name)
        if isinstance(value, str) and not is_encodable(value):
            return Skipped(document.source, f"its {name} is not valid Unicode (a lone surrogate)")
    return document


def _register_builtins() -> None:
    from . import feed, html, jsonl, tabular, text, warc

    register_reader("html", html.read_html, html.EXTENSIONS, html.sniff_html)
    register_reader("feed", feed.read_feed, feed.EXTENSIONS, feed.sniff_feed)
    register_reader("warc", warc.read_warc, warc.EXTENSIONS, warc.sniff_warc)
    register_reader("jsonl", jsonl.read_jsonl, jsonl.JSONL_EXTENSIONS, jsonl.sniff_jsonl)
    register_reader("json", jsonl.read_json, jsonl.JSON_EXTENSIONS, jsonl.sniff_json)
    register_reader("csv", tabular.read_csv, tabular.CSV_EXTENSIONS)
    register_reader("parquet", tabular.read_parquet, tabular.PARQUET_EXTENSIONS, tabular.sniff_parquet)
    register_reader("text", text.read_text, text.EXTENSIONS, text.sniff_text, fallback=True)


_register_builtins()
