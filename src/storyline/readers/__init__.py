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
from ._common import HEAD_BYTES, ReadOptions, ReadResult

ReadFunction = Callable[[Path, str, ReadOptions], Iterator[ReadResult]]
SniffFunction = Callable[[bytes], bool]

__all__ = [
    "ReadFunction",
    "ReadOptions",
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


def read_paths(paths: Iterable[Union[str, Path]], *, max_article_bytes: int = 10_000_000) -> Iterator[ReadResult]:
    """Documents from files and directories, in order; directories are read recursively.

    Directory entries are read sorted by name; hidden files and folders (``.name``) are
    left out. A document's ``source`` is the path as given (joined with the names below a
    directory), with a record marker for container files. Bad input yields ``Skipped``.
    """
    if max_article_bytes <= 0:
        raise ValueError(f"max_article_bytes must be positive, got {max_article_bytes}")
    options = ReadOptions(max_article_bytes=max_article_bytes)
    for given in paths:
        source = os.fspath(given)
        path = Path(source)
        if not os.path.lexists(path):
            yield Skipped(source, "no such file or directory")
        elif path.is_dir():
            yield from _read_directory(path, source, options)
        else:
            yield from _read_file(path, source, options)


def walk_directory(path: Path, source: str) -> Iterator[Union[tuple[Path, str], Skipped]]:
    """The files below a directory with their sources, sorted; hidden files are left out."""
    try:
        names = sorted(entry.name for entry in os.scandir(path))
    except OSError as error:
        yield Skipped(source, f"cannot list directory: {error.strerror or error}")
        return
    for name in names:
        if name.startswith("."):
            continue
        child = path / name
        child_source = os.path.join(source, name)
        # Symlinked folders are not followed: they can loop.
        if child.is_dir() and not child.is_symlink():
            yield from walk_directory(child, child_source)
        elif not child.is_dir():
            yield child, child_source


def _read_directory(path: Path, source: str, options: ReadOptions) -> Iterator[ReadResult]:
    for item in walk_directory(path, source):
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
            if isinstance(result, RawDocument) and not result.reader:
                result = replace(result, reader=spec.name)
            yield result
    except PermissionError:
        yield Skipped(source, "permission denied")
    except OSError as error:
        yield Skipped(source, f"cannot read file: {error.strerror or error}")
    except Exception as error:  # noqa: BLE001 - a reader bug must cost one file, not the batch; it is reported
        yield Skipped(source, f"{spec.name} reader failed: {type(error).__name__}: {error}")


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
