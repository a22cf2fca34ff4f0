"""Corpus-level near-duplicate detection with MinHash LSH: no models, no store.

The core is one pure function, :func:`storyline.similarity.find_near_duplicates`
(importable from here too), over a matrix of MinHash signatures (one row per
document, from :mod:`storyline.fingerprint`), with the LSH banding the reuse stage
and the Spark engine use: candidate pairs by band buckets, each verified once, and
groups as the connected components of the verified pairs only.

:func:`read_corpus` turns files, directories and JSON Lines files into such a matrix
without holding the texts: JSON Lines files are read in large blocks and each record
is parsed, tokenised and hashed in native code, in parallel, straight from the UTF-8
bytes (JSON escapes decoded on the way); any record that native parsing does not
accept as plain is handed to Python's ``json`` with the same rules and messages as
:mod:`storyline.readers.jsonl`. Other files go through the registered readers.

A document's name: a JSON Lines record's ``id`` field (as the reader reads it), else
``{file}:{line}``; any other document's ``source`` (a plain file's path as given).
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator, Optional, Sequence, Union

import numpy as np
from numba import njit

from . import fingerprint
from .fingerprint import JSONL_BLANK, JSONL_FALLBACK, JSONL_OK, NUM_PERM, lsh_bands
from .model import RawDocument, Skipped
from .similarity import DEFAULT_THRESHOLD, DedupResult, find_near_duplicates

__all__ = [
    "Corpus",
    "DedupResult",
    "dedup_texts",
    "find_near_duplicates",
    "read_corpus",
]

DEFAULT_MAX_RECORD_BYTES = 10_000_000
# JSON Lines are read in blocks of this size (grown for a longer line, up to the record limit).
_BLOCK_BYTES = 8 << 20

SkipHandler = Callable[[Skipped], None]


def dedup_texts(texts: Sequence[str], threshold: float = DEFAULT_THRESHOLD, *,
                num_perm: int = NUM_PERM) -> DedupResult:
    """:func:`find_near_duplicates` over the MinHash signatures of ``texts`` (rows in their order)."""
    lsh_bands(threshold, num_perm)  # a bad threshold fails before any hashing
    return find_near_duplicates(fingerprint.signatures(texts, num_perm), threshold)


# --- reading a corpus into signatures -----------------------------------------------


class _Grower:
    """An array that grows along its first axis without keeping a list of pieces."""

    def __init__(self, dtype: np.dtype, tail: tuple[int, ...] = (), capacity: int = 1024) -> None:
        self.values = np.empty((capacity, *tail), dtype=dtype)
        self.size = 0

    def reserve(self, extra: int, expected_total: Optional[int] = None) -> None:
        needed = self.size + extra
        if needed <= len(self.values):
            return
        capacity = max(needed, int(len(self.values) * 1.25), expected_total or 0)
        grown = np.empty((capacity, *self.values.shape[1:]), dtype=self.values.dtype)
        grown[:self.size] = self.values[:self.size]
        self.values = grown

    def extend(self, values: np.ndarray, expected_total: Optional[int] = None) -> None:
        self.reserve(len(values), expected_total)
        self.values[self.size:self.size + len(values)] = values
        self.size += len(values)

    def view(self) -> np.ndarray:
        return self.values[:self.size]


@dataclass
class Corpus:
    """Signatures of the documents read, and their names, without their texts.

    Per document it keeps the signature (``num_perm`` values of ``signature_bits``
    bits) and about 30 bytes for its name: an offset into one byte blob, or a file
    index and line number from which ``{file}:{line}`` is made when asked.
    """

    num_perm: int = NUM_PERM
    signature_bits: int = 16
    files: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)

    def __post_init__(self) -> None:
        dtype = np.uint16 if self.signature_bits == 16 else np.uint32
        if self.signature_bits not in (16, 32):
            raise ValueError(f"signature_bits must be 16 or 32, got {self.signature_bits}")
        self._signatures = _Grower(np.dtype(dtype), (self.num_perm,))
        self._name_start = _Grower(np.dtype(np.int64))
        self._name_end = _Grower(np.dtype(np.int64))
        self._file = _Grower(np.dtype(np.int32))
        self._line = _Grower(np.dtype(np.int64))
        self._blob = bytearray()
        self._renamed: dict[int, str] = {}
        self._dropped: set[int] = set()
        self._plain_file: Optional[int] = None
        self.expected_documents: Optional[int] = None

    def __len__(self) -> int:
        return self._signatures.size

    @property
    def signatures(self) -> np.ndarray:
        return self._signatures.view()

    def name(self, row: int) -> str:
        renamed = self._renamed.get(row)
        if renamed is not None:
            return renamed
        start = int(self._name_start.values[row])
        if start >= 0:
            return self._blob[start:int(self._name_end.values[row])].decode("utf-8", "surrogatepass")
        return f"{self.files[self._file.values[row]]}:{self._line.values[row]}"

    def location(self, row: int) -> str:
        """Where a document was read: ``{file}:{line}`` for a JSON Lines record, else its name."""
        line = int(self._line.values[row])
        return f"{self.files[self._file.values[row]]}:{line}" if line > 0 else self.name(row)

    def usable(self) -> np.ndarray:
        """Rows to compare: all but those left out as duplicate names (see :meth:`resolve_names`)."""
        usable = np.ones(len(self), dtype=bool)
        usable[list(self._dropped)] = False
        return usable

    # -- adding documents

    def _add(self, signatures: np.ndarray, names: Sequence[Optional[bytes]], file_index: int,
             lines: np.ndarray) -> None:
        """Rows with a name (bytes) or, for None, ``{file}:{line}``."""
        count = len(signatures)
        starts = np.full(count, -1, dtype=np.int64)
        ends = np.full(count, -1, dtype=np.int64)
        for row, name in enumerate(names):
            if name is not None:
                starts[row] = len(self._blob)
                self._blob += name
                ends[row] = len(self._blob)
        self._append(signatures, starts, ends, file_index, lines)

    def _append(self, signatures: np.ndarray, starts: np.ndarray, ends: np.ndarray, file_index: int,
                lines: np.ndarray) -> None:
        expected = self.expected_documents
        if self.signature_bits == 16:
            signatures = signatures.astype(np.uint16)  # the low, random bits of each value
        self._signatures.extend(signatures, expected)
        self._name_start.extend(starts, expected)
        self._name_end.extend(ends, expected)
        self._file.extend(np.full(len(signatures), file_index, dtype=np.int32), expected)
        self._line.extend(np.asarray(lines, dtype=np.int64), expected)

    def _append_blob(self, data: np.ndarray) -> int:
        start = len(self._blob)
        self._blob += data.tobytes()
        return start

    def plain_file_index(self) -> int:
        """The file index shared by documents named by their source (their line is 0)."""
        if self._plain_file is None:
            self._plain_file = len(self.files)
            self.files.append("")
        return self._plain_file

    # -- names

    def resolve_names(self) -> list[Skipped]:
        """Make names unique, as the readers do with record ids.

        The same id twice in one file (or the same source read twice): the later one is
        skipped. The same id in different JSON Lines files: each such record is named
        ``{file}#id={id}`` (the reader's source form). Returns what was skipped.
        """
        self._dropped = set()
        named = np.flatnonzero(self._name_start.view() >= 0)
        if len(named) < 2:
            return []
        hashes = _name_hashes(np.frombuffer(bytes(self._blob), dtype=np.uint8) if self._blob else
                              np.zeros(0, dtype=np.uint8), self._name_start.view()[named], self._name_end.view()[named])
        order = np.argsort(hashes, kind="stable")
        sorted_hashes = hashes[order]
        repeated = np.flatnonzero(sorted_hashes[1:] == sorted_hashes[:-1])
        if len(repeated) == 0:
            return []
        candidates = np.unique(np.concatenate([order[repeated], order[repeated + 1]]))
        by_name: dict[str, list[int]] = {}
        for index in sorted(named[candidates].tolist()):
            by_name.setdefault(self.name(index), []).append(index)
        skipped = []
        for name, rows in by_name.items():
            if len(rows) < 2:
                continue
            first_in_file: dict[int, int] = {}
            kept = []
            for row in rows:
                file_index = int(self._file.values[row])
                if file_index in first_in_file:
                    first = first_in_file[file_index]
                    self._dropped.add(row)
                    line = int(self._line.values[row])
                    reason = (f"duplicate id {name!r} (line {line}; first seen at {self.location(first)})" if line > 0
                              else f"duplicate name {name!r} (read twice)")
                    skipped.append(Skipped(self.location(row), reason))
                else:
                    first_in_file[file_index] = row
                    kept.append(row)
            if len(kept) > 1:
                for row in kept:
                    if self._line.values[row] > 0:
                        self._renamed[row] = f"{self.files[self._file.values[row]]}#id={name}"
        return skipped


@njit(cache=True, nogil=True)
def _name_hashes(blob, starts, ends):
    hashes = np.empty(starts.shape[0], dtype=np.uint64)
    for row in range(starts.shape[0]):
        h = np.uint64(0xCBF29CE484222325)
        for k in range(starts[row], ends[row]):
            h = (h ^ np.uint64(blob[k])) * np.uint64(0x100000001B3)
        hashes[row] = h
    return hashes


# --- reading files ------------------------------------------------------------------


@dataclass(frozen=True)
class _Settings:
    num_perm: int
    max_record_bytes: int
    on_skip: SkipHandler


def read_corpus(paths: Iterable[Union[str, Path]], *, num_perm: int = NUM_PERM, signature_bits: int = 16,
                max_record_bytes: int = DEFAULT_MAX_RECORD_BYTES,
                on_skip: Optional[SkipHandler] = None) -> Corpus:
    """Signatures and names of every document under ``paths`` (files, directories, JSON Lines).

    Directories are read recursively in name order, hidden entries left out, as
    ``storyline ingest`` does. Nothing is raised for bad input: each file or record that
    cannot be used becomes one :class:`Skipped` (passed to ``on_skip`` as it happens and
    kept in ``corpus.skipped``), and reading goes on. A document with no words is skipped.
    """
    fingerprint.check_num_perm(num_perm)
    if max_record_bytes <= 0:
        raise ValueError(f"max_record_bytes must be positive, got {max_record_bytes}")
    corpus = Corpus(num_perm=num_perm, signature_bits=signature_bits)

    def skip(item: Skipped) -> None:
        corpus.skipped.append(item)
        if on_skip is not None:
            on_skip(item)

    settings = _Settings(num_perm, max_record_bytes, skip)
    files = list(_files(paths, skip))
    corpus.expected_documents = None
    pending = _PlainBatch(corpus, settings)
    for path, source in files:
        reader = _reader_name(path, source, skip)
        if reader is None:
            continue
        if reader == "jsonl":
            pending.flush()
            _read_jsonl(path, source, corpus, settings)
        else:
            _read_with_reader(path, source, pending, settings)
    pending.flush()
    for item in corpus.resolve_names():
        skip(item)
    return corpus


def _files(paths: Iterable[Union[str, Path]], skip: SkipHandler) -> Iterator[tuple[Path, str]]:
    for given in paths:
        source = os.fspath(given)
        path = Path(source)
        if not os.path.lexists(path):
            skip(Skipped(source, "no such file or directory"))
        elif path.is_dir():
            yield from _directory_files(path, source, skip)
        else:
            yield path, source


def _directory_files(path: Path, source: str, skip: SkipHandler) -> Iterator[tuple[Path, str]]:
    from .readers import walk_directory

    for item in walk_directory(path, source):
        if isinstance(item, Skipped):
            skip(item)
        else:
            yield item


def _reader_name(path: Path, source: str, skip: SkipHandler) -> Optional[str]:
    """'jsonl' for a JSON Lines file (read natively), another reader's name, or None (skipped)."""
    from .readers import reader_for
    from .readers._common import HEAD_BYTES

    try:
        if not stat.S_ISREG(path.stat().st_mode):
            skip(Skipped(source, "not a regular file"))
            return None
        with path.open("rb") as handle:
            head = handle.read(HEAD_BYTES)
    except FileNotFoundError:
        skip(Skipped(source, "no such file or directory"))
        return None
    except PermissionError:
        skip(Skipped(source, "permission denied"))
        return None
    except OSError as error:
        skip(Skipped(source, f"cannot read file: {error.strerror or error}"))
        return None
    if not head:
        skip(Skipped(source, "empty file"))
        return None
    spec = reader_for(path.name, head)
    if spec is None:
        skip(Skipped(source, "binary file (no reader recognises it)"))
        return None
    return spec.name


class _PlainBatch:
    """Documents from the registered readers, hashed a batch at a time."""

    _LIMIT_BYTES = 16 << 20

    def __init__(self, corpus: Corpus, settings: _Settings) -> None:
        self.corpus = corpus
        self.settings = settings
        self.texts: list[str] = []
        self.names: list[str] = []
        self.bytes = 0

    def add(self, name: str, text: str) -> None:
        self.texts.append(text)
        self.names.append(name)
        self.bytes += len(text)
        if self.bytes >= self._LIMIT_BYTES:
            self.flush()

    def flush(self) -> None:
        if not self.texts:
            return
        signatures = fingerprint.signatures(self.texts, self.settings.num_perm)
        has_words = ~np.all(signatures == fingerprint.EMPTY_VALUE, axis=1)
        for name in np.asarray(self.names, dtype=object)[~has_words]:
            self.settings.on_skip(Skipped(name, "no words to compare"))
        names = [name.encode("utf-8", "surrogatepass") for name, keep in zip(self.names, has_words) if keep]
        file_index = self.corpus.plain_file_index()
        self.corpus._add(signatures[has_words], names, file_index, np.zeros(len(names), dtype=np.int64))
        self.texts, self.names, self.bytes = [], [], 0


def _read_with_reader(path: Path, source: str, batch: _PlainBatch, settings: _Settings) -> None:
    from .readers import read_paths

    for result in read_paths([path], max_article_bytes=settings.max_record_bytes):
        if isinstance(result, Skipped):
            # read_paths names the file by the path object given; report it as the user gave it.
            settings.on_skip(Skipped(source + result.source[len(os.fspath(path)):], result.reason))
        elif isinstance(result, RawDocument):
            batch.add(source + result.source[len(os.fspath(path)):], result.text)


def _read_jsonl(path: Path, source: str, corpus: Corpus, settings: _Settings) -> None:
    # The reader's own key list, so both paths pick the same field.
    from .readers.jsonl import TEXT_KEYS

    limit = settings.max_record_bytes
    file_index = len(corpus.files)
    corpus.files.append(source)
    seen_records = False
    try:
        handle = path.open("rb", buffering=0)
    except OSError as error:
        settings.on_skip(Skipped(source, f"cannot read file: {error.strerror or error}"))
        return
    with handle:
        size = os.fstat(handle.fileno()).st_size
        buffer = np.empty(min(_BLOCK_BYTES, max(size, 1) + 1), dtype=np.uint8)
        filled = 0
        first_line = 1
        at_end = False
        estimated = False
        discarding = 0  # bytes of a line over the limit, being skipped
        while True:
            if not at_end and filled < len(buffer):
                got = handle.readinto(buffer.data[filled:])
                if got:
                    filled += got
                    continue  # fill the block before parsing it
                at_end = True
            newlines = np.flatnonzero(buffer[:filled] == 10)
            if discarding:
                if len(newlines) == 0 and not at_end:
                    discarding += filled
                    filled = 0
                    continue
                cut = int(newlines[0]) + 1 if len(newlines) else filled
                settings.on_skip(Skipped(f"{source}:{first_line}", _oversize(discarding + cut, limit, first_line)))
                seen_records = True
                first_line += 1
                buffer[:filled - cut] = buffer[cut:filled]
                filled -= cut
                discarding = 0
                continue
            if filled == 0:
                break
            if len(newlines) == 0 and not at_end:
                if len(buffer) <= limit:
                    grown = np.empty(min(len(buffer) * 2, limit + 1), dtype=np.uint8)
                    grown[:filled] = buffer[:filled]
                    buffer = grown
                else:
                    discarding = filled
                    filled = 0
                continue
            usable_end = filled if at_end else int(newlines[-1]) + 1
            line_ends = newlines[newlines < usable_end]
            starts = np.concatenate(([0], line_ends + 1)).astype(np.int64)
            ends = np.concatenate((line_ends, [usable_end])).astype(np.int64)
            if starts[-1] >= usable_end:
                starts, ends = starts[:-1], ends[:-1]  # nothing after the last newline
            if first_line == 1 and len(starts) and buffer[:3].tobytes() == b"\xef\xbb\xbf":
                starts[0] += 3  # a UTF-8 byte-order mark
            if not estimated and len(starts):
                # Size the arrays once from the first block rather than by repeated growth.
                estimated = True
                corpus.expected_documents = len(corpus) + int(size / max(usable_end / len(starts), 1) * 1.05) + 64
            seen_records |= _sign_lines(buffer, starts, ends, first_line, file_index, corpus, settings, TEXT_KEYS)
            first_line += len(starts)
            buffer[:filled - usable_end] = buffer[usable_end:filled]
            filled -= usable_end
    if not seen_records:
        settings.on_skip(Skipped(source, "no JSON records in the file"))


def _oversize(size: int, limit: int, line: int) -> str:
    return (f"record on line {line} is {size:,} bytes, over the limit of {limit:,} bytes per article "
            f"(max_article_bytes)")


def _sign_lines(buffer: np.ndarray, starts: np.ndarray, ends: np.ndarray, first_line: int, file_index: int,
                corpus: Corpus, settings: _Settings, text_keys: Sequence[str]) -> bool:
    """Sign a block of lines into the corpus; returns whether any line held a record."""
    count = len(starts)
    num_perm = settings.num_perm
    out = np.empty((count, num_perm), dtype=np.uint32)
    oversize = (ends - starts) > settings.max_record_bytes
    status, id_starts, id_ends = fingerprint.jsonl_signatures(buffer, starts, ends, text_keys, out)
    lines = np.arange(first_line, first_line + count, dtype=np.int64)
    python_names: dict[int, Optional[bytes]] = {}
    for row in np.flatnonzero((status == JSONL_FALLBACK) | oversize).tolist():
        line = int(lines[row])
        if oversize[row]:
            status[row] = JSONL_FALLBACK
            settings.on_skip(Skipped(f"{corpus.files[file_index]}:{line}",
                                     _oversize(int(ends[row] - starts[row]), settings.max_record_bytes, line)))
            continue
        result = _python_record(buffer[starts[row]:ends[row]].tobytes(), line)
        if isinstance(result, Skipped):
            settings.on_skip(Skipped(f"{corpus.files[file_index]}:{line}", result.reason))
            continue
        record_id, text = result
        signature = fingerprint.signatures([text], num_perm)[0]
        if np.all(signature == fingerprint.EMPTY_VALUE):
            settings.on_skip(Skipped(f"{corpus.files[file_index]}:{line}", f"line {line}: no words to compare"))
            continue
        out[row] = signature
        status[row] = JSONL_OK
        python_names[row] = record_id.encode("utf-8", "surrogatepass") if record_id is not None else None
    kept = np.flatnonzero(status == JSONL_OK)
    if len(kept) == 0:
        return bool(np.any(status != JSONL_BLANK))
    name_starts = np.full(len(kept), -1, dtype=np.int64)
    name_ends = np.full(len(kept), -1, dtype=np.int64)
    with_id = id_starts[kept] >= 0
    if np.any(with_id):
        spans_start = id_starts[kept][with_id]
        spans_end = id_ends[kept][with_id]
        lengths = spans_end - spans_start
        # All the ids' bytes gathered at once, appended to the name blob.
        offsets_in_blob = np.cumsum(lengths) - lengths
        gather = np.repeat(spans_start - offsets_in_blob, lengths) + np.arange(int(lengths.sum()))
        base = corpus._append_blob(buffer[gather])
        name_starts[with_id] = base + offsets_in_blob
        name_ends[with_id] = base + offsets_in_blob + lengths
    positions = {row: position for position, row in enumerate(kept.tolist())} if python_names else {}
    for row, name in python_names.items():
        if name is not None:
            position = positions[row]
            name_starts[position] = len(corpus._blob)
            corpus._blob += name
            name_ends[position] = len(corpus._blob)
    corpus._append(out[kept], name_starts, name_ends, file_index, lines[kept])
    return True


def _python_record(line: bytes, number: int) -> Union[Skipped, tuple[Optional[str], str]]:
    """(id, text) of one JSON Lines record by the reader's rules, or why it is skipped."""
    from .readers.jsonl import ID_KEY, TEXT_KEYS, parse_line, record_to_document

    value, reason = parse_line(line, number)
    if reason is not None:
        return Skipped("", reason)
    if not isinstance(value, dict):
        return Skipped("", f"line {number} is a JSON {type(value).__name__}, not an article object")
    document = record_to_document(value, "")
    if isinstance(document, Skipped):
        return Skipped("", f"line {number}: no text (looked for keys: {', '.join(TEXT_KEYS)})")
    return _record_id(value.get(ID_KEY)), document.text


def _record_id(value: object) -> Optional[str]:
    # As the JSON reader reads an id: a string, number or float, stripped; else none.
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (str, int, float)):
        return str(value).strip() or None
    return None
