"""storyline: read the news across outlets.

The library is the product; the ``storyline`` command and the web app are
thin layers over these functions::

    from storyline import open_store, ingest, analyze, load_analysis, to_json

    with open_store("news.db") as store:
        ingest(store, ["articles/"])
        analyze(store)
        export = to_json(load_analysis(store))
        tables = frames(store)          # pandas DataFrames: articles, stories, relations, claims, timeline
"""

from .embedders import load_embedder, register_embedder
from .graph import count_independent, independent_groups
from .readers.metadata import complete_metadata
from .model import (
    Analysis, Article, Claim, Entity, Event, Evidence, Mention, Merge, Omission, Passage, Prepared, RawDocument,
    Relation, Sentence, Skipped, Story, TimelineEntry,
)
from .pipeline import STAGES, IngestReport, Models, RunReport, analyze, ingest, load_analysis
from .readers import read_paths, register_reader
from .store import Store, StoreError, open_store
from .views.csv_export import write_csv
from .views.exporters import EXPORTERS, Exporter, register_exporter
from .views.filters import filter_analysis
from .views.graph_export import write_gexf, write_graphml
from .views.json_export import to_json, validate_export, write_json
from .views.report import render_html, write_html
from .views.tables import Frames, frames, write_parquet

__all__ = [
    "EXPORTERS", "Exporter", "register_exporter", "write_graphml", "write_html",
    "Analysis", "Article", "Claim", "Entity", "Event", "Evidence", "Frames", "IngestReport", "Mention", "Merge", "Models",
    "Omission", "Passage", "Prepared", "RawDocument", "Relation", "RunReport", "STAGES", "Sentence", "Skipped",
    "Store", "StoreError", "Story", "TimelineEntry", "analyze", "complete_metadata", "count_independent",
    "filter_analysis", "frames", "independent_groups", "ingest", "load_analysis", "load_embedder", "open_store",
    "read_paths", "register_embedder", "register_reader", "render_html", "to_json", "validate_export",
    "write_csv", "write_gexf", "write_json", "write_parquet",
]
