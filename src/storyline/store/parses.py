"""The kept parses: spaCy's parse of each distinct line, by the line's hash and the pipeline that made it.

The entities and claims stages read articles line by line through one cached pipeline
(:class:`storyline.entities.cached_pipeline.CachedPipeline`); with the store behind it, a
line parsed in any earlier run (a reprint, an outlet's boilerplate, an article of a story
that grew or that a user opened later) is read back instead of parsed again.
"""

from __future__ import annotations

from typing import Sequence

from .schema import StoreBase

# Keys per query: well under SQLite's limit on bound parameters.
_KEYS_PER_QUERY = 500


class StoredParses:
    """A :class:`~storyline.entities.cached_pipeline.ParseCache` over a store's ``parses`` table."""

    def __init__(self, store: StoreBase) -> None:
        self.store = store

    def load_parses(self, model: str, keys: Sequence[str]) -> dict[str, bytes]:
        found: dict[str, bytes] = {}
        for start in range(0, len(keys), _KEYS_PER_QUERY):
            chunk = list(keys[start:start + _KEYS_PER_QUERY])
            marks = ",".join("?" * len(chunk))
            found.update(self.store.db.execute(
                f"SELECT key, payload FROM parses WHERE model = ? AND key IN ({marks})", [model, *chunk]))
        return found

    def save_parses(self, model: str, parses: dict[str, bytes]) -> None:
        with self.store.transaction() as db:
            db.executemany("INSERT OR REPLACE INTO parses (model, key, payload) VALUES (?, ?, ?)",
                           [(model, key, payload) for key, payload in parses.items()])

    def forget_texts(self, texts: Sequence[str]) -> int:
        """Delete the kept parses of every line of ``texts`` (an article being removed); the rows deleted.

        The parses hold their lines' words, so a removed article's lines go with it. A line
        another article shares goes too: the rows are a cache, and a miss only parses it again.
        """
        # The stages' own cut into lines and their key: imported here, as the store never runs the stages.
        from ..entities.cached_pipeline import text_key
        from ..entities.mentions import line_pieces

        keys = sorted({text_key(piece) for text in texts for piece in line_pieces(text)})
        deleted = 0
        for start in range(0, len(keys), _KEYS_PER_QUERY):
            chunk = keys[start:start + _KEYS_PER_QUERY]
            marks = ",".join("?" * len(chunk))
            deleted += self.store.db.execute(f"DELETE FROM parses WHERE key IN ({marks})", chunk).rowcount
        return deleted

    def count(self) -> int:
        return int(self.store.db.execute("SELECT COUNT(*) FROM parses").fetchone()[0])
