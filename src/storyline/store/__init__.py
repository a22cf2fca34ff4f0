"""The SQLite store: articles and their versions, prepared signals, and every stage's results.

One file, WAL mode, migrations recorded in the database (each in its own
transaction). Every write that belongs together is one transaction, so an
interrupted run leaves the store as it was before that unit of work and a
second run finishes the job.

- :mod:`~storyline.store.schema`  the tables and their migrations, the connection, errors;
- :mod:`~storyline.store.writes`  ingesting articles and saving each stage's results;
- :mod:`~storyline.store.reads`   the queries the stages, the views and the web app read with.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Optional

from .reads import EntitySummary, StorySummary
from .schema import DEFAULT_DB, MIGRATIONS, StoreError, describe_sqlite_error
from .writes import IngestOutcome, StoreWrites

__all__ = ["DEFAULT_DB", "MIGRATIONS", "EntitySummary", "IngestOutcome", "Store", "StoreError", "StorySummary",
           "describe_sqlite_error", "open_store"]


class Store(StoreWrites):
    """The storyline database. Open with :func:`open_store`; use as a context manager."""


def open_store(path: str | Path = DEFAULT_DB, *, read_only: bool = False) -> Store:
    """Open (and create or migrate) a store, or raise StoreError saying what is wrong with the file."""
    path = str(path)
    connection: Optional[sqlite3.Connection] = None
    try:
        if read_only:
            if not Path(path).exists():
                raise StoreError(f"{path}: no such database")
            connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10, isolation_level=None,
                                         check_same_thread=False)
        else:
            connection = sqlite3.connect(path, timeout=10, isolation_level=None, check_same_thread=False)
            connection.execute("PRAGMA journal_mode = WAL")
        connection.execute("PRAGMA foreign_keys = ON")
        connection.execute("PRAGMA synchronous = NORMAL")
        store = Store(connection, path)
        if not read_only:
            store.migrate()
        return store
    except sqlite3.DatabaseError as error:
        if connection is not None:
            connection.close()  # else the file stays open until the garbage collector finds it
        raise StoreError(f"{path}: {describe_sqlite_error(error)}") from error
