"""Inputs for the Spark engine: local paths and Hadoop URIs of WARC, JSON(L), HTML, text and Parquet.

Every file is read by the same registered readers as the embedded engine
(:mod:`storyline.readers`), one file per task, and completed by
:func:`storyline.readers.metadata.complete_metadata`:

* a local path (file or directory, walked like ``storyline analyze`` walks it:
  sorted, hidden names left out) is read where it lies, so on a cluster it must
  be on a file system every executor mounts; sources are the paths as given,
  which makes article ids equal to the embedded engine's;
* a Hadoop URI (``s3a://``, ``hdfs://``, ``gs://``, ``file://`` ...) is listed
  on the driver and fetched by ``binaryFiles``: each file arrives whole in an
  executor's memory (a Common Crawl News WARC is about 1 GB: give executors 4 GB
  or more), is spooled to a local temporary file and read there;
* an ``http(s)://`` URL (Common Crawl serves every file over HTTPS) is
  streamed by the executor to a temporary file, with no Hadoop connector;
* Parquet (a ``.parquet`` file or a folder of them, local or remote) is read by
  Spark and each row mapped by the JSON reader's field names (``text``,
  ``title``, ``url``, ``published`` ...); its source is ``{uri}#id={id}`` when
  it has an ``id`` column, else ``{uri}#row={n}``.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import urllib.request
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Iterable, Iterator, Optional
from urllib.parse import urlparse

from ..readers.metadata import complete_metadata
from ..model import RawDocument, Skipped
from ..readers import read_paths
from ..readers.jsonl import record_to_document

PARQUET_SUFFIX = ".parquet"
DOWNLOAD_CHUNK = 1 << 20

# (order, result): order keeps the input order, so a source read twice keeps its first text.
Ordered = tuple[tuple[int, int], "RawDocument | Skipped"]


@dataclass(frozen=True)
class FileTask:
    """One file to read: ``location`` is a local path, a Hadoop URI or an http(s) URL."""

    order: int
    location: str
    kind: str  # "local" | "hadoop" | "http"


def is_uri(location: str) -> bool:
    scheme = urlparse(location).scheme
    # One letter is a Windows drive, not a scheme.
    return len(scheme) > 1


def plan(spark: Any, inputs: Iterable[str]) -> tuple[list[FileTask], list[str], list[Skipped]]:
    """Files to read one per task, Parquet datasets to read with Spark, and inputs that do not exist."""
    tasks: list[FileTask] = []
    parquet: list[str] = []
    missing: list[Skipped] = []
    for given in inputs:
        scheme = urlparse(given).scheme.lower() if is_uri(given) else ""
        if scheme in ("http", "https"):
            (parquet.append(given) if given.endswith(PARQUET_SUFFIX)
             else tasks.append(FileTask(len(tasks), given, "http")))
        elif scheme:
            files = _hadoop_files(spark, given)
            if files is None:
                missing.append(Skipped(given, "no such file or directory"))
            for location in files or []:
                (parquet.append(location) if location.endswith(PARQUET_SUFFIX)
                 else tasks.append(FileTask(len(tasks), location, "hadoop")))
        elif not os.path.lexists(given):
            missing.append(Skipped(given, "no such file or directory"))
        else:
            for location in _local_files(given):
                (parquet.append(os.path.abspath(location)) if location.endswith(PARQUET_SUFFIX)
                 else tasks.append(FileTask(len(tasks), location, "local")))
    return tasks, parquet, missing


def _local_files(given: str) -> Iterator[str]:
    """Files under a local path in the order ``storyline.readers.read_paths`` reads them."""
    path = Path(given)
    if not path.is_dir():
        yield given
        return
    for name in sorted(entry.name for entry in os.scandir(path)):
        if name.startswith("."):
            continue
        child = os.path.join(given, name)
        # Symlinked folders are not followed: they can loop (as in read_paths).
        if os.path.isdir(child) and not os.path.islink(child):
            yield from _local_files(child)
        elif not os.path.isdir(child):
            yield child


def _hadoop_files(spark: Any, uri: str) -> Optional[list[str]]:
    """Files under a Hadoop URI (recursively, sorted; names starting with '.' or '_' left out); None if absent."""
    jvm = spark.sparkContext._jvm
    configuration = spark.sparkContext._jsc.hadoopConfiguration()
    path = jvm.org.apache.hadoop.fs.Path(uri)
    file_system = path.getFileSystem(configuration)
    if not file_system.exists(path):
        return None
    if not file_system.getFileStatus(path).isDirectory():
        return [str(file_system.makeQualified(path).toString())]
    found: list[str] = []
    listing = file_system.listFiles(path, True)
    while listing.hasNext():
        status = listing.next()
        name = status.getPath().getName()
        if not name.startswith((".", "_")):
            found.append(str(status.getPath().toString()))
    return sorted(found)


# --- executor side ------------------------------------------------------------------


def read_local(task: FileTask) -> Iterator[Ordered]:
    for position, item in enumerate(read_paths([task.location])):
        yield (task.order, position), _completed(item)


def read_bytes(task: FileTask, data: bytes) -> Iterator[Ordered]:
    """A remote file's bytes, spooled to a temporary file and read with the source set to its URI."""
    with tempfile.TemporaryDirectory(prefix="storyline-") as folder:
        spooled = os.path.join(folder, _file_name(task.location))
        with open(spooled, "wb") as handle:
            handle.write(data)
        yield from _read_spooled(task, spooled)


def read_http(task: FileTask) -> Iterator[Ordered]:
    with tempfile.TemporaryDirectory(prefix="storyline-") as folder:
        spooled = os.path.join(folder, _file_name(task.location))
        try:
            with urllib.request.urlopen(task.location) as response, open(spooled, "wb") as handle:
                shutil.copyfileobj(response, handle, DOWNLOAD_CHUNK)
        except OSError as error:
            yield (task.order, 0), Skipped(task.location, f"cannot download: {error}")
            return
        yield from _read_spooled(task, spooled)


def _read_spooled(task: FileTask, spooled: str) -> Iterator[Ordered]:
    for position, item in enumerate(read_paths([spooled])):
        # Container readers append "#line=3" and the like to the path they were given.
        source = task.location + item.source[len(spooled):] if item.source.startswith(spooled) else item.source
        if isinstance(item, RawDocument):
            yield (task.order, position), _completed(replace(item, source=source))
        else:
            yield (task.order, position), Skipped(source, item.reason)


def _file_name(location: str) -> str:
    # The extension picks the reader, so the spooled file keeps the remote name.
    return os.path.basename(urlparse(location).path.rstrip("/")) or "input"


def parquet_record(uri: str, record: dict[str, Any], index: int) -> "RawDocument | Skipped":
    record_id = record.get("id")
    source = f"{uri}#id={record_id}" if record_id not in (None, "") else f"{uri}#row={index + 1}"
    document = record_to_document(record, source)
    if isinstance(document, RawDocument):
        return _completed(replace(document, reader="parquet"))
    return document


def _completed(item: "RawDocument | Skipped") -> "RawDocument | Skipped":
    return complete_metadata(item) if isinstance(item, RawDocument) else item
