"""Every output format in one registry: what ``storyline export``, ``analyze`` and the web app's downloads use.

An :class:`Exporter` names a writer ``(analysis, path) -> written path(s)`` and what it
writes: one file with a suffix, or a directory of files. Built-in formats are registered
here exactly as a user's own would be, with :func:`register_exporter`.
"""

from __future__ import annotations

import io
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..model import Analysis
from .csv_export import write_csv
from .graph_export import write_gexf, write_graphml
from .json_export import write_json
from .report import write_html
from .tables import write_parquet

__all__ = ["EXPORTERS", "Exporter", "export_file", "register_exporter"]


@dataclass(frozen=True)
class Exporter:
    """One output format: its writer, the suffix of what it writes, and a line of help."""

    write: Callable[[Analysis, Path], object]
    suffix: str
    """``.json``, ``.html`` ...: the file's suffix; empty when the writer fills a directory."""
    media_type: str
    """What the web app sends the file as (a directory is sent as a zip of its files)."""
    help: str

    @property
    def writes_directory(self) -> bool:
        return not self.suffix


EXPORTERS: dict[str, Exporter] = {}


def register_exporter(name: str, exporter: Exporter) -> None:
    """Add (or replace) the output format ``name``: the CLI's ``export --format`` and the web app offer it."""
    if not name or not name.replace("-", "").isalnum():
        raise ValueError(f"an exporter's name is letters, digits and '-': got {name!r}")
    EXPORTERS[name] = exporter


for _name, _exporter in (
    ("json", Exporter(write_json, ".json", "application/json", "the storyline/1 JSON export")),
    ("csv", Exporter(write_csv, "", "text/csv", "one CSV file per table")),
    ("html", Exporter(write_html, ".html", "text/html", "the static single-file HTML report")),
    ("graphml", Exporter(write_graphml, ".graphml", "application/graphml+xml",
                         "the provenance graph (articles, reuse relations) for Gephi or networkx")),
    ("parquet", Exporter(write_parquet, "", "application/vnd.apache.parquet",
                         "one Parquet file per table (articles.parquet holds the texts: it reads back in)")),
    ("gexf", Exporter(write_gexf, ".gexf", "application/gexf+xml",
                      "the provenance and outlet graph (articles, outlets, reuse and published-by edges)")),
):
    register_exporter(_name, _exporter)


def export_file(analysis: Analysis, name: str) -> tuple[str, str, bytes]:
    """``analysis`` in the format ``name`` as one download: its file name, media type and bytes.

    A format that writes a directory is sent as a zip of its files.
    """
    exporter = EXPORTERS[name]
    with tempfile.TemporaryDirectory(prefix="storyline-export-") as folder:
        if not exporter.writes_directory:
            target = Path(folder) / f"storyline{exporter.suffix}"
            exporter.write(analysis, target)
            return target.name, exporter.media_type, target.read_bytes()
        target = Path(folder) / name
        exporter.write(analysis, target)
        packed = io.BytesIO()
        with zipfile.ZipFile(packed, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(target.rglob("*")):
                if path.is_file():
                    archive.write(path, f"{name}/{path.relative_to(target).as_posix()}")
        return f"storyline-{name}.zip", "application/zip", packed.getvalue()
