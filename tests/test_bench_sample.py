"""How bench_analyze.py's --limit picks articles: the ``mix`` sample keeps the whole set's make-up."""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))

import bench_analyze  # noqa: E402  (benchmarks/ is not a package)

# corpus -> story sizes; mlcrisis' labels are topics (bench_analyze.TOPIC_LABELLED)
CORPORA = {"gva-window": [1, 2, 3, 4, 5, 6], "fnc1": [7, 2, 9, 3], "np4e": [10, 2], "mlcrisis": [30, 12]}


@pytest.fixture
def data(tmp_path: Path) -> Path:
    for corpus, sizes in CORPORA.items():
        docs = tmp_path / corpus / "docs"
        docs.mkdir(parents=True)
        labels = {}
        for story, size in enumerate(sizes):
            for n in range(size):
                name = f"{corpus}-{story}-{n:02d}.json"
                (docs / name).write_text(json.dumps({"text": f"{corpus} story {story} article {n}."}))
                labels[name] = f"s{story}"
        (tmp_path / corpus / "gold.json").write_text(json.dumps({"labels": labels}))
    return tmp_path


def _story(path: Path) -> str:
    corpus, story, _ = path.stem.rsplit("-", 2)
    return f"{corpus}:{story}"


def test_the_mix_gives_each_corpus_its_share_and_cuts_at_most_one_story(data: Path) -> None:
    everything = bench_analyze.set_files("labelled", data, None)
    limit = 40
    chosen = bench_analyze.set_files("labelled", data, limit)
    assert len(chosen) == limit == len(set(chosen))
    per_corpus = Counter(_story(p).split(":")[0] for p in chosen)
    total = len(everything)
    for corpus, sizes in CORPORA.items():
        assert abs(per_corpus[corpus] - limit * sum(sizes) / total) < 1
    taken = Counter(_story(p) for p in chosen)
    whole = Counter(_story(p) for p in everything)
    for corpus in CORPORA:
        if corpus in bench_analyze.TOPIC_LABELLED:
            continue
        cut = [story for story in taken if story.startswith(corpus) and taken[story] < whole[story]]
        assert len(cut) <= 1
        if cut:  # a story still arriving: its first articles
            got = sorted(p.name for p in chosen if _story(p) == cut[0])
            assert got == sorted(p.name for p in everything if _story(p) == cut[0])[: len(got)]


def test_a_topic_labelled_corpus_gives_every_topic_its_part(data: Path) -> None:
    chosen = bench_analyze.set_files("labelled", data, 40)
    topics = Counter(_story(p) for p in chosen if p.name.startswith("mlcrisis"))
    assert set(topics) == {"mlcrisis:0", "mlcrisis:1"}
    assert topics["mlcrisis:0"] > topics["mlcrisis:1"]  # 30 articles against 12


def test_whole_stories_keeps_the_earlier_sample(data: Path) -> None:
    chosen = bench_analyze.set_files("labelled", data, 40, sample="whole-stories")
    taken = Counter(_story(p) for p in chosen)
    whole = Counter(_story(p) for p in bench_analyze.set_files("labelled", data, None))
    assert all(taken[story] == whole[story] for story in taken)
    assert len(chosen) <= 40


def test_the_ten_k_mix_is_the_first_articles_to_arrive(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bench_analyze, "CACHE", tmp_path / "cache")
    (tmp_path / "ecbplus").mkdir()
    rows = [{"subtopic": f"t{i % 3}", "text": "\n".join(f"Sentence {i} {n}." for n in range(5))} for i in range(9)]
    (tmp_path / "ecbplus" / "ecbplus-traindev.jsonl").write_text("\n".join(json.dumps(r) for r in rows))
    everything = bench_analyze.set_files("10k", tmp_path, None, size=30)
    assert bench_analyze.set_files("10k", tmp_path, 12, size=30) == everything[:12]
    sampled = bench_analyze.set_files("10k", tmp_path, 12, size=30, sample="whole-stories")
    assert len(sampled) == 12 and sampled != everything[:12]
