"""Entity resolution accuracy: ECB+ cross-document entity coreference, and names across WMT21 translations.

Two benchmarks, one script (both run unless ``--only`` picks one):

1. **ECB+** (``../shared/bench-data/ecbplus/xml``), dev topics of the Barhom et al. 2019 split
   (``split_barhom2019`` in ``ecbplus-traindev.jsonl``). Counted entity markables: people,
   organisations, places and named things: ``HUMAN_PART_PER/ORG/GPE/FAC/VEH/MET``, ``HUMAN_PART``,
   ``LOC_GEO/FAC/OTHER`` and ``NON_HUMAN_PART`` (not ``*_GENERIC``, ``TIME_*`` or ``ACTION_*``).
   storyline resolves *names*, so only **named** mentions are scored: a mention counts when it
   holds a capitalised word that is not a sentence-initial function word (pronouns and common
   noun phrases such as "she" or "the actress" are left out of key and response alike).
   Gold chains: ``CROSS_DOC_COREF`` relations (their ``note`` names the instance), then
   ``INTRA_DOC_COREF``; a mention in neither is a singleton.
   Article text = the tokens joined by spaces, sentences by newlines (as in the jsonl).
   Settings:
   - *gold mentions*: the resolver gets the gold named spans (no NER labels);
   - *predicted mentions*: ``extract_mentions`` over the same texts; a predicted mention is
     matched to a gold one when their character spans overlap and end together or overlap by
     half their union; unmatched predictions in annotated sentences stay in the response
     (they cost precision), those outside annotated sentences are dropped (ECB+ annotates
     only some sentences).
   Scopes: *gold topic* (resolution run separately per topic, as the literature does);
   *whole split* (all dev articles at once, one story); *predicted stories* (all dev articles
   at once, stories from ``cluster_stories``: the realistic setting).
   Metrics: MUC, B3, CEAF-e and CoNLL F1 (their mean), with singletons and without
   (singletons removed from key and response, as Cattan et al. 2021 recommend).
   Baseline in the same run: exact string match (the same lower-cased surface, same scope).

2. **WMT21 is-en** (``../shared/bench-data/wmt21/newstest2021.is-en.all.xml``): each source
   document has a human translation and 10 machine translations into English, aligned by
   segment. Each translation is fed as an article; every pair of translations of a document is
   a ``shared-source`` relation whose passages pair segment i with segment i (what the reuse
   stage provides); each document is one story. Mentions come from ``extract_mentions``.
   Gold (anchored on the human translation, per segment):
   - a mention of a machine translation *corresponds* to a mention of the human translation
     of the same segment when their normalised forms are equal, or when each is the only
     mention of its coarse NER class (person / place / organisation / other) in its segment,
     both segments hold as many mentions, and the two stand at the same place in their order;
   - *same-entity pairs*: two mentions (different translations, same segment) that correspond
     to the same human-translation mention (that mention itself included);
   - *different-entity pairs*: two such mentions corresponding to two human-translation mentions of
     one segment whose normalised forms share no word and neither is the other's acronym.
   Recall = share of same-entity pairs resolved into one entity, reported for all pairs and for the
   pairs whose forms differ (the garbled ones); false merges = share of different-entity pairs
   resolved into one entity. Baseline: exact match of normalised forms.

Usage::

    .venv/bin/python benchmarks/bench_entities.py [--ecbplus DIR] [--wmt FILE] [--only ecbplus|wmt]
        [--no-predicted] [--metrics-json FILE]

``--metrics-json FILE`` writes the metrics as a flat JSON object for ``benchmarks/gate.py``,
which compares them with their floors (and ceilings: false merges) in ``benchmarks/floors/``.

Runs in a few minutes (spaCy over ~200 ECB+ dev articles and ~500 WMT translations).
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import sys
import time
import xml.etree.ElementTree as ET
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Hashable, Iterable, Mapping, Optional, Sequence

import numpy as np
from scipy.optimize import linear_sum_assignment

from storyline.entities import _acronym_letters, _looks_like_acronym, extract_mentions, load_nlp, normalise, \
    resolve_entities
from storyline.model import Article, Entity, Mention, Passage, Prepared, Relation, Sentence, Story

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / ".." / "shared" / "bench-data"
DEFAULT_ECB = DATA / "ecbplus" / "xml"
DEFAULT_WMT = DATA / "wmt21" / "newstest2021.is-en.all.xml"

ENTITY_CLASSES = frozenset({
    "HUMAN_PART_PER", "HUMAN_PART_ORG", "HUMAN_PART_GPE", "HUMAN_PART_FAC", "HUMAN_PART_VEH", "HUMAN_PART_MET",
    "HUMAN_PART", "LOC_GEO", "LOC_FAC", "LOC_OTHER", "NON_HUMAN_PART",
})
FUNCTION_WORDS = frozenset({
    "the", "a", "an", "this", "that", "these", "those", "he", "she", "it", "they", "his", "her", "its", "their",
    "we", "our", "i", "you", "my", "your", "him", "them", "who", "which", "one", "some", "all", "both", "us",
    "there", "here", "another", "other", "each", "every", "no", "any", "many", "most", "several",
})

Clustering = list[frozenset]


# --- coreference metrics --------------------------------------------------------------------


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


def muc(key: Clustering, response: Clustering) -> tuple[float, float, float]:
    def score(a: Clustering, b: Clustering) -> float:
        where = {m: i for i, c in enumerate(b) for m in c}
        num = den = 0
        for cluster in a:
            parts = {where.get(m, ("alone", m)) for m in cluster}
            num += len(cluster) - len(parts)
            den += len(cluster) - 1
        return num / den if den else 0.0
    r, p = score(key, response), score(response, key)
    return p, r, _f1(p, r)


def b_cubed(key: Clustering, response: Clustering) -> tuple[float, float, float]:
    def score(a: Clustering, b: Clustering) -> float:
        where = {m: c for c in b for m in c}
        num = total = 0.0
        for cluster in a:
            for m in cluster:
                other = where.get(m)
                num += (len(cluster & other) / len(cluster)) if other else 0.0
                total += 1
        return num / total if total else 0.0
    r, p = score(key, response), score(response, key)
    return p, r, _f1(p, r)


def ceaf_e(key: Clustering, response: Clustering) -> tuple[float, float, float]:
    if not key or not response:
        return 0.0, 0.0, 0.0
    where: dict[Hashable, list[int]] = defaultdict(list)
    for j, c in enumerate(response):
        for m in c:
            where[m].append(j)
    pairs: dict[int, set[int]] = defaultdict(set)
    for i, c in enumerate(key):
        for m in c:
            pairs[i].update(where.get(m, ()))
    # Only clusters that share a mention can score: the assignment runs over those alone.
    ks = [i for i in range(len(key)) if pairs[i]]
    rs = sorted({j for i in ks for j in pairs[i]})
    r_index = {j: n for n, j in enumerate(rs)}
    sim = np.zeros((len(ks), len(rs)))
    for a, i in enumerate(ks):
        for j in pairs[i]:
            overlap = len(key[i] & response[j])
            sim[a, r_index[j]] = 2 * overlap / (len(key[i]) + len(response[j]))
    rows, cols = linear_sum_assignment(-sim)
    total = float(sim[rows, cols].sum())
    r, p = total / len(key), total / len(response)
    return p, r, _f1(p, r)


def conll(key: Clustering, response: Clustering) -> dict[str, float]:
    m, b, c = muc(key, response), b_cubed(key, response), ceaf_e(key, response)
    return {"MUC": m[2], "B3 P": b[0], "B3 R": b[1], "B3": b[2], "CEAF-e": c[2], "CoNLL": (m[2] + b[2] + c[2]) / 3}


def without_singletons(key: Clustering, response: Clustering) -> tuple[Clustering, Clustering]:
    """Singletons removed from both sides (Cattan et al. 2021): gold singletons and system singletons."""
    return [c for c in key if len(c) > 1], [c for c in response if len(c) > 1]


# --- ECB+ -----------------------------------------------------------------------------------


@dataclass
class GoldMention:
    doc: str
    span: tuple[int, int]
    text: str
    kind: str
    instance: str
    sentence: int


@dataclass
class EcbDoc:
    doc_id: str
    topic: str
    subtopic: str
    text: str
    sentences: list[tuple[int, int, int]]  # (sentence number, start, end)
    mentions: list[GoldMention] = field(default_factory=list)
    annotated: set[int] = field(default_factory=set)


def _named(text: str, first_in_sentence: bool) -> bool:
    words = text.split()
    for n, word in enumerate(words):
        if not word[:1].isupper() or word == "I" or word.startswith(("I'", "I’")):
            continue
        if n == 0 and first_in_sentence and word.lower() in FUNCTION_WORDS:
            continue
        if word.lower() in FUNCTION_WORDS and n == 0:
            continue
        return True
    return False


def load_ecb(xml_dir: Path, split: str) -> list[EcbDoc]:
    rows = [json.loads(line) for line in (xml_dir.parent / "ecbplus-traindev.jsonl").read_text().splitlines() if line]
    wanted = {r["doc_id"]: r for r in rows if r["split_barhom2019"] == split}
    annotated: dict[str, set[int]] = defaultdict(set)
    for line in (xml_dir.parent / "ECBplus_coreference_sentences.csv").read_text().splitlines()[1:]:
        topic, name, number = line.split(",")
        annotated[f"{topic}_{name}.xml"].add(int(number))
    docs = []
    for doc_id in sorted(wanted):
        row = wanted[doc_id]
        root = ET.parse(xml_dir / str(row["topic"]) / doc_id).getroot()
        offsets: dict[str, tuple[int, int, int]] = {}
        lines: list[str] = []
        sentences: list[tuple[int, int, int]] = []
        position, current, words = 0, None, []
        for token in root.iter("token"):
            number = int(token.get("sentence"))
            if current is not None and number != current:
                sentences.append((current, position, position + len(" ".join(words))))
                position += len(" ".join(words)) + 1
                lines.append(" ".join(words))
                words = []
            current = number
            start = position + len(" ".join(words)) + (1 if words else 0)
            words.append(token.text or "")
            offsets[token.get("t_id")] = (start, start + len(token.text or ""), number)
        if words:
            sentences.append((current, position, position + len(" ".join(words))))
            lines.append(" ".join(words))
        text = "\n".join(lines)
        doc = EcbDoc(doc_id, str(row["topic"]), row["subtopic"], text, sentences, annotated=annotated[doc_id])
        instance: dict[str, str] = {}
        for relation in root.find("Relations") or ():
            targets = [t.get("m_id") for t in relation.findall("target")]
            name = relation.get("note") if relation.tag == "CROSS_DOC_COREF" else f"{doc_id}#{targets[0]}"
            for source in relation.findall("source"):
                instance.setdefault(source.get("m_id"), name)
        for markable in root.find("Markables") or ():
            anchors = [a.get("t_id") for a in markable.findall("token_anchor")]
            if not anchors or markable.tag not in ENTITY_CLASSES:
                continue
            start, end, number = offsets[anchors[0]][0], offsets[anchors[-1]][1], offsets[anchors[0]][2]
            first_in_sentence = any(s == number and b == start for s, b, _ in sentences)
            surface = text[start:end]
            # Coreference is annotated only in the sentences the corpus lists: elsewhere an unlinked
            # markable is not a singleton, just not annotated.
            if number not in doc.annotated or not _named(surface, first_in_sentence):
                continue
            m_id = markable.get("m_id")
            doc.mentions.append(GoldMention(doc_id, (start, end), surface, markable.tag,
                                            instance.get(m_id, f"{doc_id}#{m_id}#single"), number))
        docs.append(doc)
    return docs


def prepared_of(doc: EcbDoc) -> Prepared:
    article = Article(id=doc.doc_id, source=doc.doc_id, text=doc.text)
    sentences = [Sentence(s, e, doc.text[s:e]) for _, s, e in doc.sentences]
    return Prepared(article, "en", sentences, np.zeros(1), np.zeros((len(sentences), 1)), np.zeros(1, np.uint32))


def gold_clusters(docs: Sequence[EcbDoc]) -> Clustering:
    chains: dict[str, set] = defaultdict(set)
    for doc in docs:
        for m in doc.mentions:
            chains[m.instance].add((doc.doc_id, m.span))
    return [frozenset(c) for c in chains.values()]


def _match_predicted(doc: EcbDoc, predicted: Sequence[Mention]) -> list[tuple[Mention, tuple]]:
    """Each predicted mention in an annotated sentence with the id it is scored under."""
    starts = [(s, b, e) for s, b, e in doc.sentences]
    gold = sorted(doc.mentions, key=lambda m: m.span)
    used: set[tuple[int, int]] = set()
    out = []
    for mention in predicted:
        sentence = next((n for n, b, e in starts if b <= mention.span[0] < e + 1), None)
        if sentence not in doc.annotated:
            continue
        best, best_score = None, 0.0
        for g in gold:
            if g.span in used:
                continue
            overlap = min(g.span[1], mention.span[1]) - max(g.span[0], mention.span[0])
            if overlap <= 0:
                continue
            union = max(g.span[1], mention.span[1]) - min(g.span[0], mention.span[0])
            score = overlap / union + (1.0 if g.span[1] == mention.span[1] else 0.0)
            if score > best_score and (g.span[1] == mention.span[1] or overlap / union >= 0.5):
                best, best_score = g, score
        if best is not None:
            used.add(best.span)
            out.append((mention, (doc.doc_id, best.span)))
        else:
            out.append((mention, (doc.doc_id, mention.span, "system")))
    return out


def _response(entities: Iterable[Entity], ids: Mapping[tuple[str, tuple[int, int]], Hashable]) -> Clustering:
    clusters = []
    for entity in entities:
        members = {ids[(m.article, m.span)] for m in entity.mentions if (m.article, m.span) in ids}
        if members:
            clusters.append(frozenset(members))
    return clusters


def _exact_match(mentions: Mapping[str, Sequence[Mention]], ids: Mapping, groups: Mapping[str, str]) -> Clustering:
    chains: dict[tuple[str, str], set] = defaultdict(set)
    for article, items in mentions.items():
        for m in items:
            chains[(groups[article], m.text.lower())].add(ids[(m.article, m.span)])
    return [frozenset(c) for c in chains.values()]


def _resolve_in_groups(mentions: Mapping[str, Sequence[Mention]], prepared: Mapping[str, Prepared],
                       groups: Mapping[str, str], stories: Optional[Sequence[Story]] = None) -> list[Entity]:
    """Resolution run once per group (gold topics), or once over all with the given stories."""
    if stories is not None:
        return resolve_entities(mentions, list(prepared.values()), (), stories)
    entities: list[Entity] = []
    for group in sorted(set(groups.values())):
        members = [a for a in mentions if groups[a] == group]
        entities.extend(resolve_entities({a: mentions[a] for a in members}, [prepared[a] for a in members], (),
                                         [Story(group, None, members)]))
    return entities


def predicted_stories(docs: Sequence[EcbDoc]) -> Optional[list[Story]]:
    """Stories from the stories stage over the dev articles (needs the embedder; None when unavailable)."""
    try:
        from storyline.embedders import load_embedder
        from storyline.prepare import prepare
        from storyline.stories import cluster_stories
    except ImportError as error:
        print(f"# predicted stories skipped: {error}", file=sys.stderr)
        return None
    articles = [Article(id=d.doc_id, source=d.doc_id, text=d.text) for d in docs]
    prepared = prepare(articles, load_embedder())
    return cluster_stories(prepared)


def run_ecbplus(xml_dir: Path, with_predicted: bool, nlp: Callable | None) -> dict[str, float]:
    started = time.perf_counter()
    docs = load_ecb(xml_dir, "dev")
    prepared = {d.doc_id: prepared_of(d) for d in docs}
    topics = {d.doc_id: d.topic for d in docs}
    whole = {d.doc_id: "*" for d in docs}
    key = gold_clusters(docs)
    mentions_total = sum(len(c) for c in key)
    print(f"\n## ECB+ dev: {len(docs)} articles, {len(set(topics.values()))} topics, {mentions_total} named gold "
          f"entity mentions in {len(key)} gold entities ({sum(len(c) == 1 for c in key)} singletons)")
    gold_mentions = {d.doc_id: [Mention(d.doc_id, m.span, m.text) for m in d.mentions] for d in docs}
    gold_ids = {(d.doc_id, m.span): (d.doc_id, m.span) for d in docs for m in d.mentions}

    stories = None
    if with_predicted:
        stories = predicted_stories(docs)
    results: dict[str, float] = {}
    rows: list[tuple[str, str, str, dict[str, float], dict[str, float]]] = []

    def evaluate(setting: str, mentions: Mapping[str, Sequence[Mention]], ids: Mapping) -> None:
        scopes: list[tuple[str, Mapping[str, str], Optional[Sequence[Story]]]] = [
            ("gold topic", topics, None), ("whole split", whole, None)]
        if stories is not None:
            scopes.append(("predicted stories", whole, stories))
        for scope, groups, story_list in scopes:
            for system in ("exact match", "storyline"):
                if system == "exact match":
                    response = _exact_match(mentions, ids, topics if scope == "gold topic" else whole)
                else:
                    response = _response(_resolve_in_groups(mentions, prepared, groups, story_list), ids)
                    # Mentions the resolver dropped stay in the response as singletons.
                    covered = {m for c in response for m in c}
                    response += [frozenset({ids[(a, m.span)]}) for a, items in mentions.items() for m in items
                                 if ids[(a, m.span)] not in covered]
                full = conll(key, response)
                plain = conll(*without_singletons(key, response))
                rows.append((setting, scope, system, full, plain))
                tag = f"ecb/{setting.split()[0]}/{scope.replace(' ', '-')}/{system.split()[0]}"
                results[f"{tag}/conll"] = full["CoNLL"]
                results[f"{tag}/b3"] = full["B3"]

    evaluate("gold mentions", gold_mentions, gold_ids)
    if nlp is not None:
        predicted: dict[str, list[Mention]] = {}
        ids: dict = {}
        for doc in docs:
            matched = _match_predicted(doc, extract_mentions(prepared[doc.doc_id], nlp))
            predicted[doc.doc_id] = [m for m, _ in matched]
            ids.update({(doc.doc_id, m.span): i for m, i in matched})
        found = sum(1 for i in ids.values() if len(i) == 2)
        print(f"predicted mentions in annotated sentences: {len(ids)}, matching a gold named mention: {found} "
              f"(mention recall {found / mentions_total:.3f}, precision {found / max(1, len(ids)):.3f})")
        evaluate("predicted mentions", predicted, ids)

    print("\n| mentions | scope | system | MUC F1 | B3 P | B3 R | B3 F1 | CEAF-e F1 | CoNLL F1 | CoNLL F1 w/o singletons |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for setting, scope, system, full, plain in rows:
        print(f"| {setting} | {scope} | {system} | {full['MUC']:.3f} | {full['B3 P']:.3f} | {full['B3 R']:.3f} | "
              f"{full['B3']:.3f} | {full['CEAF-e']:.3f} | {full['CoNLL']:.3f} | {plain['CoNLL']:.3f} |")
    print(f"\n(ECB+ part took {time.perf_counter() - started:.0f} s)")
    return results


# --- WMT21 ----------------------------------------------------------------------------------


COARSE = {"PERSON": "person", "GPE": "place", "LOC": "place", "FAC": "place", "ORG": "org"}


@dataclass
class Translation:
    article: Prepared
    segments: list[tuple[int, int]]  # segment i -> span


def load_wmt(path: Path) -> list[list[Translation]]:
    root = ET.parse(path).getroot()
    documents = []
    for doc in root.iter("doc"):
        versions = []
        for element in list(doc.findall("ref")) + list(doc.findall("hyp")):
            name = "ref-" + element.get("translator", "") if element.tag == "ref" else "hyp-" + element.get("system")
            segs = [seg.text or "" for seg in element.iter("seg")]
            spans, position = [], 0
            for seg in segs:
                spans.append((position, position + len(seg)))
                position += len(seg) + 1
            text = "\n".join(segs)
            article_id = f"{doc.get('id')}/{name}"
            article = Article(id=article_id, source=article_id, text=text, language="en")
            sentences = [Sentence(s, e, text[s:e]) for s, e in spans]
            prepared = Prepared(article, "en", sentences, np.zeros(1), np.zeros((len(sentences), 1)),
                                np.zeros(1, np.uint32))
            versions.append(Translation(prepared, spans))
        documents.append(versions)
    return documents


def _segment_of(translation: Translation, span: tuple[int, int]) -> int:
    for i, (s, e) in enumerate(translation.segments):
        if s <= span[0] < e + 1:
            return i
    return -1


def _acronym_of(x: Mention, y: Mention) -> bool:
    for a, b in ((x, y), (y, x)):
        if _looks_like_acronym(a.text) and _acronym_letters(a.text) == "".join(
                t[0] for t in normalise(b.text).split() if t):
            return True
    return False


def run_wmt(path: Path, nlp: Callable, examples: int = 0) -> dict[str, float]:
    started = time.perf_counter()
    documents = load_wmt(path)
    all_mentions: dict[str, list[Mention]] = {}
    for versions in documents:
        for t in versions:
            all_mentions[t.article.id] = extract_mentions(t.article, nlp)
    print(f"\n## WMT21 is-en: {len(documents)} documents, {sum(len(v) for v in documents)} translations "
          f"(1 human + machine each), {sum(len(m) for m in all_mentions.values())} predicted mentions "
          f"(mentions took {time.perf_counter() - started:.0f} s)")

    same_pairs: list[tuple[Mention, Mention]] = []
    diff_pairs: list[tuple[Mention, Mention]] = []
    systems: dict[str, dict[tuple[str, tuple[int, int]], Hashable]] = {"exact match": {}, "storyline": {},
                                                                         "storyline, no passages": {}}
    for versions in documents:
        ref = versions[0]
        by_segment: dict[str, dict[int, list[Mention]]] = {}
        for t in versions:
            grouped: dict[int, list[Mention]] = defaultdict(list)
            for m in all_mentions[t.article.id]:
                grouped[_segment_of(t, m.span)].append(m)
            by_segment[t.article.id] = grouped
        # Gold correspondence to the human translation, segment by segment.
        for segment in range(len(ref.segments)):
            ref_mentions = by_segment[ref.article.id].get(segment, [])
            anchored: dict[int, list[Mention]] = {i: [r] for i, r in enumerate(ref_mentions)}
            ref_coarse = Counter(COARSE.get(r.label or "", "other") for r in ref_mentions)
            for t in versions[1:]:
                hyp_mentions = by_segment[t.article.id].get(segment, [])
                hyp_coarse = Counter(COARSE.get(h.label or "", "other") for h in hyp_mentions)
                same_shape = len(hyp_mentions) == len(ref_mentions)
                for position, h in enumerate(hyp_mentions):
                    for i, r in enumerate(ref_mentions):
                        coarse = COARSE.get(h.label or "", "other")
                        equal = normalise(h.text, h.label) == normalise(r.text, r.label)
                        # The only name of its class on both sides, in segments naming as many things, at the
                        # same place in the order of names.
                        only = same_shape and position == i and coarse == COARSE.get(r.label or "", "other") \
                            and hyp_coarse[coarse] == 1 and ref_coarse[coarse] == 1
                        if equal or only:
                            anchored[i].append(h)
                            break
            for group in anchored.values():
                same_pairs.extend((a, b) for a, b in itertools.combinations(group, 2) if a.article != b.article)
            for i, j in itertools.combinations(sorted(anchored), 2):
                ri, rj = ref_mentions[i], ref_mentions[j]
                words_i, words_j = set(normalise(ri.text).split()), set(normalise(rj.text).split())
                if words_i & words_j or _acronym_of(ri, rj):
                    continue
                diff_pairs.extend((a, b) for a in anchored[i] for b in anchored[j] if a.article != b.article)

        # Systems over this document's translations.
        docs = [t.article for t in versions]
        mentions = {t.article.id: all_mentions[t.article.id] for t in versions}
        relations = []
        for a, b in itertools.combinations(sorted(versions, key=lambda t: t.article.id), 2):
            passages = [Passage(sa, sb, 1.0) for sa, sb in zip(a.segments, b.segments) if sa[1] > sa[0] and sb[1] > sb[0]]
            relations.append(Relation(a.article.id, b.article.id, "shared-source", None, 1.0, [], passages))
        story = [Story(docs[0].id, None, [d.id for d in docs])]
        for system, rels in (("storyline", relations), ("storyline, no passages", [])):
            for n, entity in enumerate(resolve_entities(mentions, docs, rels, story)):
                for m in entity.mentions:
                    systems[system][(m.article, m.span)] = (docs[0].id, n)
        for items in mentions.values():
            for m in items:
                systems["exact match"][(m.article, m.span)] = (docs[0].id, normalise(m.text, m.label))

    def together(assign: Mapping, a: Mention, b: Mention) -> bool:
        x, y = assign.get((a.article, a.span)), assign.get((b.article, b.span))
        return x is not None and x == y

    differing = [(a, b) for a, b in same_pairs if normalise(a.text, a.label) != normalise(b.text, b.label)]
    print(f"gold: {len(same_pairs)} same-entity pairs ({len(differing)} with differing forms), "
          f"{len(diff_pairs)} different-entity pairs")
    print("\n| system | recall, all same-entity pairs | recall, differing forms | false merges |")
    print("|---|---|---|---|")
    results: dict[str, float] = {}
    for system, assign in systems.items():
        recall = sum(together(assign, a, b) for a, b in same_pairs) / max(1, len(same_pairs))
        recall_diff = sum(together(assign, a, b) for a, b in differing) / max(1, len(differing))
        false = sum(together(assign, a, b) for a, b in diff_pairs) / max(1, len(diff_pairs))
        print(f"| {system} | {recall:.3f} | {recall_diff:.3f} | {false:.4f} |")
        tag = "wmt/" + system.replace(", ", "-").replace(" ", "-")
        results[f"{tag}/recall"] = recall
        results[f"{tag}/recall-differing"] = recall_diff
        results[f"{tag}/false-merges"] = false
    if examples:
        assign = systems["storyline"]
        missed = Counter((a.text, b.text) for a, b in differing if not together(assign, a, b))
        merged = Counter((a.text, b.text) for a, b in diff_pairs if together(assign, a, b))
        print("\nstoryline, most frequent missed pairs with differing forms:",
              "; ".join(f"{x} / {y} ({n})" for (x, y), n in missed.most_common(examples)))
        print("storyline, most frequent false merges:",
              "; ".join(f"{x} / {y} ({n})" for (x, y), n in merged.most_common(examples)))
    print(f"\n(WMT part took {time.perf_counter() - started:.0f} s)")
    return results


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ecbplus", type=Path, default=DEFAULT_ECB, help="the ECB+ xml folder")
    parser.add_argument("--wmt", type=Path, default=DEFAULT_WMT, help="newstest2021.is-en.all.xml")
    parser.add_argument("--only", choices=("ecbplus", "wmt"))
    parser.add_argument("--no-predicted", action="store_true",
                        help="skip spaCy mentions and predicted stories on ECB+ (gold mentions only)")
    parser.add_argument("--examples", type=int, default=0, help="print this many of the commonest WMT errors")
    parser.add_argument("--metrics-json", type=Path, metavar="FILE",
                        help="write {metric: value} here for benchmarks/gate.py")
    args = parser.parse_args(argv)
    random.seed(0)
    nlp = load_nlp()
    results: dict[str, float] = {}
    if args.only in (None, "ecbplus"):
        results.update(run_ecbplus(args.ecbplus, not args.no_predicted, None if args.no_predicted else nlp))
    if args.only in (None, "wmt"):
        results.update(run_wmt(args.wmt, nlp, args.examples))
    if args.metrics_json:
        args.metrics_json.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
