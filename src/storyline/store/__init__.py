"""The SQLite store (moving into a package: the whole store is in writes.py until it is split)."""

from .writes import (
    DEFAULT_DB, MIGRATIONS, EntitySummary, IngestOutcome, Store, StoreError, StorySummary, describe_sqlite_error,
    open_store,
)

__all__ = ["DEFAULT_DB", "MIGRATIONS", "EntitySummary", "IngestOutcome", "Store", "StoreError", "StorySummary",
           "describe_sqlite_error", "open_store"]
