"""Reuse (provenance) accuracy: reuse typing on Clough-Stevenson, translation detection on WMT21.

1. Clough-Stevenson: 95 short answers, each written from one of five source
   texts (``orig_task*.txt``) by copy-paste (``cut``), light revision
   (``light``), paraphrase (``heavy``) or independently (``non``). Each answer
   is compared with its own task's source by ``relation_between``; the
   relation's kind and its degree of rewriting (``alignment_measures``:
   aligned, similarity-weighted and verbatim coverage of the answer, word
   overlap of the aligned sentences) are mapped to the four labels by
   thresholds learnt on the training folds of a 5-fold cross-validation
   (folds stratified by label, fixed seed), so every answer is scored by
   thresholds that never saw it. Prints the kinds found per label, the
   confusion matrix and macro-F1.

2. WMT21: each sampled document's source text against its human translation
   (``ref``) and machine translations (``hyp``, one per system), with the
   translations of the other sampled documents of the same test set as
   negatives. The sources are the new articles and every translation of every
   sampled document is the existing corpus, so ``find_relations`` has to find
   the candidates itself (MinHash LSH and embedding neighbours) among them:
   a predicted positive is a ``translation`` relation between a source and a
   translation, and a gold positive is a translation of that same document.
   Prints precision, recall and F1 per language pair (is-en and en-is apart:
   Icelandic is not among the multilingual model's languages).

   Article texts are built from the segments: a ``<p>`` is one line with its
   segments joined by spaces; where a test set gives a whole document as one
   ``<p>`` (all but de-fr), each segment is its own line, as in news pages that
   print one or two sentences per paragraph.

Usage::

    .venv/bin/python benchmarks/bench_reuse_accuracy.py [--clough ../shared/bench-data/clough-stevenson]
        [--wmt ../shared/bench-data/wmt21] [--docs 20] [--pairs de-fr,fr-de,en-ja,is-en,en-is]
        [--only clough|wmt] [--metrics-json FILE]

``--metrics-json FILE`` writes the metrics as a flat JSON object for ``benchmarks/gate.py``,
which compares them with their floors in ``benchmarks/floors/``.

Prepared articles (the embeddings are the slow part) are cached under /tmp,
keyed by a hash of the texts, never in the repo.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import itertools
import json
import pickle
import random
import sys
import time
import xml.etree.ElementTree as ET
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Sequence

from storyline.embedders import load_embedder
from storyline.model import Article, Prepared
from storyline.prepare import prepare
from storyline.reuse import alignment_measures, find_relations

REPO = Path(__file__).resolve().parent.parent
DEFAULT_CLOUGH = REPO / ".." / "shared" / "bench-data" / "clough-stevenson"
DEFAULT_WMT = REPO / ".." / "shared" / "bench-data" / "wmt21"
CACHE = Path("/tmp/storyline-bench-cache")
LABELS = ("cut", "light", "heavy", "non")
PAIRS = ("de-fr", "fr-de", "en-ja", "is-en", "en-is")
SEED = 13


def prepared_cached(articles: Sequence[Article], tag: str) -> list[Prepared]:
    """``prepare`` with a cache keyed by the texts, sources and the embedder."""
    key = hashlib.sha1("\x1e".join(f"{a.source}\x1f{a.language}\x1f{a.text}" for a in articles).encode()).hexdigest()
    path = CACHE / f"reuse-{tag}-{key[:16]}.pkl"
    if path.exists():
        with path.open("rb") as handle:
            return pickle.load(handle)
    CACHE.mkdir(parents=True, exist_ok=True)
    result = prepare(articles, load_embedder())
    with path.open("wb") as handle:
        pickle.dump(result, handle)
    return result


def macro_f1(gold: Sequence[str], predicted: Sequence[str], labels: Sequence[str] = LABELS) -> float:
    scores = []
    for label in labels:
        tp = sum(g == label and p == label for g, p in zip(gold, predicted))
        fp = sum(g != label and p == label for g, p in zip(gold, predicted))
        fn = sum(g == label and p != label for g, p in zip(gold, predicted))
        scores.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return sum(scores) / len(scores)


# --- 1. Clough-Stevenson ----------------------------------------------------------------


@dataclass
class Answer:
    name: str
    task: str
    label: str
    kind: str  # the relation kind, or "none"
    aligned: float  # share of the answer's text that aligns with the source
    weighted: float  # the same, weighted by each aligned pair's similarity
    verbatim: float  # share copied verbatim
    lexical: float  # word overlap of the aligned sentence pairs

    @property
    def copied(self) -> float:
        """How much of what was reused is verbatim: an answer pasted together from the source scores 1."""
        return min(self.verbatim / max(self.aligned, self.verbatim, 1e-9), 1.0)


@dataclass(frozen=True)
class Thresholds:
    """non below ``reuse`` weighted coverage; then cut by the verbatim share of what aligns, light by word overlap, else heavy."""

    reuse: float
    cut: float
    light: float

    def label(self, answer: Answer) -> str:
        if answer.kind == "none" or answer.weighted < self.reuse:
            return "non"
        if answer.copied >= self.cut:
            return "cut"
        if answer.lexical >= self.light:
            return "light"
        return "heavy"


def learn_thresholds(answers: Sequence[Answer]) -> Thresholds:
    """The grid point with the best macro-F1 on ``answers`` (ties: the first, i.e. the lowest values)."""
    grid = [round(0.05 * i, 2) for i in range(1, 20)]
    best: Optional[tuple[float, Thresholds]] = None
    gold = [a.label for a in answers]
    for reuse, cut, light in itertools.product(grid, grid, grid):
        thresholds = Thresholds(reuse, cut, light)
        score = macro_f1(gold, [thresholds.label(a) for a in answers])
        if best is None or score > best[0] + 1e-12:
            best = (score, thresholds)
    assert best is not None
    return best[1]


def stratified_folds(answers: Sequence[Answer], folds: int, seed: int) -> list[list[int]]:
    rng = random.Random(seed)
    buckets: list[list[int]] = [[] for _ in range(folds)]
    by_label: dict[str, list[int]] = defaultdict(list)
    for index, answer in enumerate(answers):
        by_label[answer.label].append(index)
    position = 0
    for label in sorted(by_label):
        indices = by_label[label]
        rng.shuffle(indices)
        for index in indices:
            buckets[position % folds].append(index)
            position += 1
    return buckets


def run_clough(folder: Path, folds: int = 5) -> dict[str, float]:
    with (folder / "file_information.csv").open(encoding="utf-8") as handle:
        rows = [row for row in csv.DictReader(handle) if row["Category"] != "orig"]
    texts = {p.name: p.read_text(encoding="utf-8", errors="replace") for p in folder.glob("*.txt")}
    names = sorted(texts)
    articles = [Article(id=Article.id_for(f"clough/{n}"), source=f"clough/{n}", text=texts[n]) for n in names]
    started = time.perf_counter()
    prepared = {p.article.source.split("/", 1)[1]: p for p in prepared_cached(articles, "clough")}
    answers: list[Answer] = []
    for row in rows:
        answer, source = prepared[row["File"]], prepared[f"orig_task{row['Task']}.txt"]
        measures = alignment_measures(source, answer)
        relation = measures.relation
        answers.append(Answer(
            name=row["File"], task=row["Task"], label=row["Category"],
            kind=relation.kind if relation else "none",
            aligned=measures.aligned_b, weighted=measures.weighted_b, verbatim=measures.verbatim_b,
            lexical=measures.lexical,
        ))
    seconds = time.perf_counter() - started

    print(f"Clough-Stevenson: {len(answers)} answers against their task's source ({seconds:.1f} s)")
    kinds = sorted({a.kind for a in answers})
    print("\nRelation kind found, per gold label:")
    print(f"  {'gold':<6}" + "".join(f"{k:>14}" for k in kinds))
    for label in LABELS:
        counts = Counter(a.kind for a in answers if a.label == label)
        print(f"  {label:<6}" + "".join(f"{counts.get(k, 0):>14}" for k in kinds))

    print("\nMean degree of rewriting per gold label (shares of the answer):")
    print(f"  {'gold':<6}{'aligned':>9}{'weighted':>9}{'verbatim':>9}{'copied':>9}{'overlap':>9}")
    for label in LABELS:
        group = [a for a in answers if a.label == label]
        means = [sum(getattr(a, f) for a in group) / len(group)
                 for f in ("aligned", "weighted", "verbatim", "copied", "lexical")]
        print(f"  {label:<6}" + "".join(f"{m:>9.2f}" for m in means))

    predicted: dict[int, str] = {}
    learnt: list[Thresholds] = []
    for fold in stratified_folds(answers, folds, SEED):
        held_out = set(fold)
        thresholds = learn_thresholds([a for i, a in enumerate(answers) if i not in held_out])
        learnt.append(thresholds)
        for index in fold:
            predicted[index] = thresholds.label(answers[index])
    gold = [a.label for a in answers]
    guess = [predicted[i] for i in range(len(answers))]
    print(f"\n{folds}-fold cross-validation (stratified, seed {SEED}); thresholds learnt per fold "
          "(weighted coverage for reuse, verbatim/aligned for cut, word overlap for light):")
    for thresholds in learnt:
        print(f"  reuse >= {thresholds.reuse:.2f}  cut >= {thresholds.cut:.2f}  light >= {thresholds.light:.2f}")
    print("\nConfusion matrix (rows gold, columns predicted):")
    print(f"  {'':<6}" + "".join(f"{label:>7}" for label in LABELS))
    for label in LABELS:
        print(f"  {label:<6}" + "".join(
            f"{sum(g == label and p == other for g, p in zip(gold, guess)):>7}" for other in LABELS))
    accuracy = sum(g == p for g, p in zip(gold, guess)) / len(gold)
    score = macro_f1(gold, guess)
    reuse_gold = ["reuse" if g != "non" else "non" for g in gold]
    reuse_guess = ["reuse" if p != "non" else "non" for p in guess]
    binary = macro_f1(reuse_gold, reuse_guess, ("reuse", "non"))
    print(f"\n  macro-F1 {score:.3f}   accuracy {accuracy:.3f}   reuse-vs-non macro-F1 {binary:.3f}")
    return {"clough_macro_f1": score, "clough_accuracy": accuracy, "clough_binary_macro_f1": binary}


# --- 2. WMT21 ---------------------------------------------------------------------------------


def _element_text(element: ET.Element, one_line_per_segment: bool, joiner: str) -> str:
    lines: list[str] = []
    for paragraph in element.findall("p"):
        segments = [(seg.text or "").strip() for seg in paragraph.findall("seg")]
        segments = [s for s in segments if s]
        if one_line_per_segment:
            lines.extend(segments)
        elif segments:
            lines.append(joiner.join(segments))
    return "\n".join(lines)


@dataclass
class Document:
    docid: str
    source: Article
    translations: list[tuple[Article, str]]  # (article, "human" | "machine")


def load_wmt(path: Path, pair: str) -> list[Document]:
    source_language, target_language = pair.split("-")
    root = ET.parse(path).getroot()
    docs = root.findall("doc")
    one_per_segment = all(len(d.find("src").findall("p")) <= 1 for d in docs)  # type: ignore[union-attr]
    documents: list[Document] = []
    for doc in docs:
        docid = doc.attrib["id"]

        def article(element: ET.Element, name: str, language: str, docid: str = docid) -> Article:
            joiner = "" if language in ("ja", "zh") else " "
            source = f"wmt21/{pair}/{docid}/{name}"
            return Article(id=Article.id_for(source), source=source,
                           text=_element_text(element, one_per_segment, joiner))

        src = doc.find("src")
        assert src is not None
        translations = [(article(ref, f"ref-{ref.attrib.get('translator', 'A')}", target_language), "human")
                        for ref in doc.findall("ref")]
        translations += [(article(hyp, f"hyp-{hyp.attrib['system']}", target_language), "machine")
                         for hyp in doc.findall("hyp")]
        documents.append(Document(docid, article(src, "src", source_language), translations))
    return documents


def run_wmt(folder: Path, pair: str, doc_count: int) -> dict[str, float]:
    documents = load_wmt(folder / f"newstest2021.{pair}.all.xml", pair)
    total_docs = len(documents)
    if 0 < doc_count < len(documents):
        documents = sorted(random.Random(SEED).sample(documents, doc_count), key=lambda d: d.docid)
    articles = [d.source for d in documents] + [t for d in documents for t, _ in d.translations]
    started = time.perf_counter()
    prepared = prepared_cached(articles, f"wmt-{pair}")
    prepare_seconds = time.perf_counter() - started
    by_id = {p.id: p for p in prepared}
    sources = [by_id[d.source.id] for d in documents]
    translations = [by_id[t.id] for d in documents for t, _ in d.translations]

    started = time.perf_counter()
    relations = find_relations(sources, translations)
    reuse_seconds = time.perf_counter() - started

    document_of = {d.source.id: d.docid for d in documents}
    origin = {}
    for d in documents:
        for t, origin_kind in d.translations:
            document_of[t.id] = d.docid
            origin[t.id] = origin_kind
    source_ids = {d.source.id for d in documents}
    found: dict[tuple[str, str], str] = {}
    directed_right = 0
    for relation in relations:
        if (relation.a in source_ids) == (relation.b in source_ids):
            continue  # source-source pairs are not scored
        source_id, translation_id = (relation.a, relation.b) if relation.a in source_ids else (relation.b, relation.a)
        found[(source_id, translation_id)] = relation.kind
        if relation.kind == "translation" and document_of[source_id] == document_of[translation_id]:
            expected = "a->b" if relation.a == source_id else "b->a"
            directed_right += relation.direction == expected

    positives = [(d.source.id, t.id) for d in documents for t, _ in d.translations]
    tp = sum(found.get(p) == "translation" for p in positives)
    fp = sum(kind == "translation" and document_of[s] != document_of[t] for (s, t), kind in found.items())
    fn = len(positives) - tp
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    recall_by = {}
    for origin_kind in ("human", "machine"):
        group = [p for p in positives if origin[p[1]] == origin_kind]
        recall_by[origin_kind] = sum(found.get(p) == "translation" for p in group) / max(len(group), 1)
    missed_kinds = Counter(found.get(p, "none") for p in positives if found.get(p) != "translation")
    negatives = len(documents) * len(translations) - len(positives)
    print(f"  {pair:<6}{len(documents):>3}/{total_docs:<4}{len(positives):>6}{negatives:>7}"
          f"{precision:>7.3f}{recall:>7.3f}{f1:>7.3f}{recall_by['human']:>7.2f}{recall_by['machine']:>7.2f}"
          f"{directed_right / max(tp, 1):>7.2f}   {prepare_seconds:5.1f} s + {reuse_seconds:5.1f} s"
          f"   {dict(missed_kinds) if missed_kinds else ''}")
    return {f"wmt_{pair}_f1": f1, f"wmt_{pair}_precision": precision, f"wmt_{pair}_recall": recall}


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clough", type=Path, default=DEFAULT_CLOUGH)
    parser.add_argument("--wmt", type=Path, default=DEFAULT_WMT)
    parser.add_argument("--docs", type=int, default=20, help="documents sampled per test set (0: all)")
    parser.add_argument("--pairs", default=",".join(PAIRS))
    parser.add_argument("--only", choices=("clough", "wmt"))
    parser.add_argument("--metrics-json", type=Path, metavar="FILE",
                        help="write {metric: value} here for benchmarks/gate.py")
    args = parser.parse_args(argv)

    metrics: dict[str, float] = {}
    if args.only in (None, "clough"):
        metrics.update(run_clough(args.clough))
        print()
    if args.only in (None, "wmt"):
        print(f"WMT21 translation detection: each source against every translation of the sampled documents "
              f"({'all' if args.docs == 0 else args.docs} documents per test set, seed {SEED})")
        print(f"  {'pair':<6}{'docs':>8}{'pos':>6}{'neg':>7}{'P':>7}{'R':>7}{'F1':>7}{'R hum':>7}{'R MT':>7}"
              f"{'dir ok':>7}   prepare + reuse   positives missed, by kind found")
        for pair in args.pairs.split(","):
            metrics.update(run_wmt(args.wmt, pair, args.docs))

    if args.metrics_json:
        args.metrics_json.write_text(json.dumps(metrics, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
