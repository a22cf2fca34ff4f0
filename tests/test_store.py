import os
import sqlite3

import numpy as np
import pytest

from storyline.model import Article, RawDocument, Relation
from storyline.prepare import prepare
from storyline.store import MIGRATIONS, StoreError, open_store


@pytest.fixture
def store(tmp_path):
    with open_store(tmp_path / "test.db") as opened:
        yield opened


def doc(source: str, text: str, **metadata) -> RawDocument:
    return RawDocument(source=source, text=text, reader="text", **metadata)


def test_migrations_are_recorded_once(tmp_path):
    path = tmp_path / "m.db"
    with open_store(path) as first:
        recorded = first.migrations()
        names = [name for _, name, _ in recorded]
        assert names[:3] == ["articles and versions", "prepared signals and stage results",
                             "entities indexed by article"]
        assert names == [name for name, _ in MIGRATIONS]  # later issues append theirs
    with open_store(path) as second:
        assert second.migrate() == []
        assert second.migrations() == recorded
        assert second.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_same_source_same_text_adds_nothing(store):
    assert store.ingest(doc("a.txt", "Text one."))[0] == "added"
    outcome, article = store.ingest(doc("a.txt", "Text one."))
    assert outcome == "unchanged" and article.version == 1
    assert store.article_count() == 1


def test_same_source_new_text_adds_a_version_and_keeps_the_old(store):
    store.ingest(doc("a.txt", "First wording."))
    outcome, article = store.ingest(doc("a.txt", "Second wording."))
    assert outcome == "updated" and article.version == 2 and article.text == "Second wording."
    assert [text for _, _, text in store.versions(article.id)] == ["First wording.", "Second wording."]
    assert store.article_count() == 1
    assert [hit for hit, _ in store.search("second")] == [article.id]
    assert store.search("first") == []


def test_same_text_from_two_sources_is_two_articles(store):
    # The reuse stage joins them (tests/test_pipeline.py): the store holds no rule of its own.
    _, a = store.ingest(doc("wire/a.txt", "The same wire story, word for word."))
    _, b = store.ingest(doc("paper/b.txt", "The same wire story, word for word."))
    assert a.id != b.id and store.article_count() == 2
    assert store.relations() == []


def test_metadata_is_stored(store):
    _, article = store.ingest(doc("x.html", "Body text here.", title="Headline", outlet="Daily Example",
                                  published="2025-02-04", byline="A. Writer", url="https://example.com/x"))
    assert (article.title, article.outlet, article.published, article.byline) == (
        "Headline", "Daily Example", "2025-02-04", "A. Writer")


def test_search_tolerates_fts_syntax_errors(store):
    _, article = store.ingest(doc("a.txt", 'He said "safe third country" twice.'))
    assert store.search('"safe third') == [(article.id, store.search('"safe third')[0][1])]
    assert store.search("safe AND country")[0][0] == article.id


def test_remove_deletes_the_article_and_what_derives_from_it(store, embedder):
    _, a = store.ingest(doc("a.txt", "Identical text in two places."))
    store.ingest(doc("b.txt", "Identical text in two places."))
    store.save_prepared(prepare([a], embedder), embedder.name)
    assert store.remove("a.txt")
    assert store.article_count() == 1
    assert store.relations() == [] and store.prepared() == [] and store.search("identical") != []
    assert not store.remove("a.txt")


def test_prepared_signals_round_trip(store, embedder):
    _, article = store.ingest(doc("a.txt", "One sentence here. Another sentence there."))
    [computed] = prepare([article], embedder)
    store.save_prepared([computed], embedder.name)
    [loaded] = store.prepared()
    assert [s.text for s in loaded.sentences] == ["One sentence here.", "Another sentence there."]
    assert np.allclose(loaded.vector, computed.vector)
    assert np.allclose(loaded.sentence_vectors, computed.sentence_vectors, atol=1e-3)
    assert (loaded.minhash == computed.minhash).all()
    assert store.unprepared(embedder.name) == []
    store.ingest(doc("a.txt", "A new version of the text."))
    assert [a.id for a in store.unprepared(embedder.name)] == [article.id]
    assert store.prepared() == []  # stale signals are never served


def test_a_failed_unit_of_work_leaves_the_store_as_it_was(store):
    store.ingest(doc("a.txt", "Kept."))
    with pytest.raises(RuntimeError):
        with store.transaction() as db:
            db.execute("DELETE FROM articles")
            raise RuntimeError("interrupted")
    assert store.article_count() == 1


def test_relations_survive_until_their_article_changes(store):
    _, a = store.ingest(doc("a.txt", "Alpha text."))
    _, b = store.ingest(doc("b.txt", "Beta text."))
    x, y = sorted((a.id, b.id))
    store.save_relations([], [Relation(x, y, "rewrite", "a->b", 0.8, ["evidence"], [])])
    assert store.relations()[0].kind == "rewrite"
    store.ingest(doc("a.txt", "Alpha text, revised."))
    assert store.relations() == []


def test_not_a_database_is_a_clear_error(tmp_path):
    path = tmp_path / "junk.db"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="not a storyline database"):
        open_store(path)


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores file permissions")
def test_read_only_database_is_a_clear_error(tmp_path):
    path = tmp_path / "ro.db"
    open_store(path).close()
    path.chmod(0o444)
    tmp_path.chmod(0o555)
    try:
        with pytest.raises((StoreError, sqlite3.OperationalError)):
            with open_store(path) as store:
                store.ingest(doc("a.txt", "text"))
    finally:
        tmp_path.chmod(0o755)


def test_locked_database_is_a_clear_error(tmp_path):
    path = tmp_path / "locked.db"
    open_store(path).close()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with open_store(path) as store:
            store.db.execute("PRAGMA busy_timeout = 100")
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                store.ingest(doc("a.txt", "text"))
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_article_ids_are_stable():
    assert Article.id_for("examples/seeds/x.txt") == Article.id_for("examples/seeds/x.txt")
    assert Article.id_for("a") != Article.id_for("b")
