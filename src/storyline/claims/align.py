"""Step 2: align claim candidates across articles into claims, and the wording differences between them."""

from __future__ import annotations

import difflib
import functools
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable, Optional, Sequence

import numpy as np
from rapidfuzz import fuzz

from ..graph import DisjointSets
from ..model import Claim, Prepared, Relation, Span
from ..text import STOP_WORDS, content_words
from .conflicts import event_dates_conflict, same_counted_thing, share_anchor, values_agree
from .extract import ClaimCandidate
from .settings import in_use


# The thresholds are ClaimSettings (settings.py; claims/defaults.json says what each was learnt on): the
# cosines on ECB+ train, held back by FNC-1's false contradictions (a lower cosine aligns more sentences of
# one story, and every aligned pair can conflict); never ECB+ dev or the sample articles.


def _quote_overlap(a: str, b: str) -> float:
    wa, wb = set(content_words(a)), set(content_words(b))
    if len(wa) < in_use().min_quote_words - 1 or len(wb) < in_use().min_quote_words - 1:
        return 0.0
    return len(wa & wb) / len(wa | wb)


def _name_agreement(a: Sequence[str], b: Sequence[str]) -> float:
    """Jaccard of two sets of name tokens, a pair counted as shared when the spellings are close."""
    if not a and not b:
        return 1.0
    if not a or not b:
        return 0.0
    unmatched_b = list(dict.fromkeys(b))
    shared = 0
    for name in dict.fromkeys(a):
        best = max(unmatched_b, key=lambda other: fuzz.ratio(name.lower(), other.lower()), default=None)
        if best is not None and fuzz.ratio(name.lower(), best.lower()) >= in_use().name_match_ratio:
            shared += 1
            unmatched_b.remove(best)
    return shared / (len(set(a)) + len(set(b)) - shared)



def _pair_relation(x: ClaimCandidate, y: ClaimCandidate, cosine: float, *, in_passage: bool = False) -> Optional[str]:
    """'align', 'conflict' or None for two candidates of different articles.

    ``in_passage``: both lie in passages the reuse stage aligned between their
    articles.
    """
    quote_pair = x.kind == "quote" and y.kind == "quote"
    lexical = _quote_overlap(x.wording, y.wording) if quote_pair else 0.0
    similar = (
        cosine >= in_use().align_threshold
        or (cosine >= in_use().align_threshold_with_names
            and (_name_agreement(x.names, y.names) >= in_use().name_agreement or share_anchor(x, y)))
        or (in_passage and cosine >= in_use().passage_align_threshold)
        or (cosine >= in_use().lexical_floor and _shares_phrase(x.wording, y.wording, in_use().lexical_agreement))
    )
    if quote_pair and lexical >= in_use().quote_overlap:
        return "align"
    if not similar:
        return None
    if (x.kind == "number") != (y.kind == "number"):
        return None  # a number claim is aligned only with a claim giving a number
    if x.kind == "number" and y.kind == "number":
        qx, qy = x.quantities[0], y.quantities[0]
        if not same_counted_thing(qx, qy):
            return "align" if qx.value == qy.value else None
        return "align" if values_agree(qx, qy) else "conflict"
    if "event" in (x.kind, y.kind) and event_dates_conflict(x, y):
        return "conflict"
    return "align"


def candidate_vector(doc: Prepared, candidate: ClaimCandidate) -> np.ndarray:
    return np.asarray(doc.sentence_vectors[candidate.sentence_index], dtype=np.float32)


@dataclass
class Alignment:
    """Candidates grouped into claims (lists of candidate indexes) and the conflicts between groups."""

    groups: list[list[int]]
    conflicts: list[tuple[int, int]] = field(default_factory=list)  # pairs of group indexes


def shared_phrase(a: str, b: str) -> int:
    """Content words in the longest run of words two wordings share verbatim (case and punctuation aside)."""
    (words_a, content_a), (words_b, content_b) = _phrase_keys(a), _phrase_keys(b)
    # Every content word of a shared run occurs in both wordings: when they share
    # none, the diff (the costly part) has nothing to find.
    if not content_a & content_b:
        return 0
    match = difflib.SequenceMatcher(a=words_a, b=words_b, autojunk=False).find_longest_match(
        0, len(words_a), 0, len(words_b))
    return sum(1 for w in words_a[match.a:match.a + match.size] if w and w not in STOP_WORDS)


def _shares_phrase(a: str, b: str, content_words: int) -> bool:
    """Whether :func:`shared_phrase` reaches ``content_words``, without the diff when the words cannot."""
    content_a, content_b = _phrase_keys(a)[1], _phrase_keys(b)[1]
    if sum(min(count, content_b[word]) for word, count in content_a.items() if word in content_b) < content_words:
        return False
    return shared_phrase(a, b) >= content_words


@functools.lru_cache(maxsize=1 << 16)
def _phrase_keys(wording: str) -> tuple[list[str], Counter[str]]:
    """The wording's words as compared (case and punctuation aside) and its content words counted.

    Memoised: one claim candidate meets dozens of partners. Callers must not modify the result.
    """
    words = [_diff_key(t) for t in wording.split()]
    return words, Counter(w for w in words if w and w not in STOP_WORDS)


def passage_pairs(candidates: Sequence[ClaimCandidate], relations: Sequence[Relation]) -> set[tuple[int, int]]:
    """Index pairs (i < j) of candidates whose sentences lie in one aligned passage of a derivation between their articles.

    A sentence lies in a passage when most of it falls inside the passage's span.
    """
    by_article: dict[str, list[int]] = {}
    for index, candidate in enumerate(candidates):
        by_article.setdefault(candidate.article, []).append(index)

    def inside(index: int, span: Span) -> bool:
        start, end = candidates[index].sentence_span
        overlap = min(end, span[1]) - max(start, span[0])
        return overlap > 0 and overlap * 2 >= end - start

    pairs: set[tuple[int, int]] = set()
    for relation in relations:
        # Passages of a `related` pair are only similar sentences of independent
        # reports: the vectors already weigh those; only derivation vouches for them.
        if relation.kind == "related" or relation.a not in by_article or relation.b not in by_article:
            continue
        for passage in relation.passages:
            side_a = [i for i in by_article[relation.a] if inside(i, passage.a)]
            side_b = [j for j in by_article[relation.b] if inside(j, passage.b)]
            pairs.update((min(i, j), max(i, j)) for i in side_a for j in side_b)
    return pairs


def align_candidates(candidates: Sequence[ClaimCandidate], vectors: np.ndarray, *,
                     in_passages: Iterable[tuple[int, int]] = (),
                     derived_pairs: Iterable[tuple[int, int]] = ()) -> Alignment:
    """Group candidates of different articles that state the same fact.

    ``vectors`` has one unit row per candidate (its sentence's embedding);
    ``in_passages`` lists index pairs whose sentences lie in passages the reuse
    stage aligned (see :func:`passage_pairs`); ``derived_pairs`` pairs a derived
    article's candidate with its origin's (see ``ledger``). Pairs are joined strongest
    first; a pair that conflicts (same counted thing, different number; same
    event, different date) is never joined, and its two groups are recorded as
    conflicting. Each candidate weighs only its ``align_partners`` most similar
    partners, so a story's cost grows with its candidates, not their square.
    """
    count = len(candidates)
    passage_set = {(min(i, j), max(i, j)) for i, j in in_passages}
    pairs: list[tuple[float, int, int, str]] = []
    for i, j, cosine in _partner_pairs(candidates, vectors):
        relation = _pair_relation(candidates[i], candidates[j], cosine, in_passage=(i, j) in passage_set)
        if relation is not None:
            pairs.append((cosine, i, j, relation))
    # A derived wording and the origin's candidate it best matches inside one aligned passage are one claim
    # whatever their cosine (a garbled translation can fall far below any threshold): a copy cannot contradict
    # the text it copies, so what a translation garbles is no conflict.
    derived = {(min(i, j), max(i, j)) for i, j in derived_pairs}
    pairs = [(cosine, i, j, "align" if (i, j) in derived else kind) for cosine, i, j, kind in pairs]
    weighed = {(i, j) for _, i, j, _ in pairs}
    for i, j in derived - weighed:
        pairs.append((float(vectors[i] @ vectors[j]), i, j, "align"))
    pairs.sort(key=lambda p: (-p[0], p[1], p[2]))
    conflict_pairs = [(i, j) for _, i, j, kind in pairs if kind == "conflict"]
    # Per group (kept at its root): its members, their articles, and the candidates they contradict.
    members: dict[int, set[int]] = {i: {i} for i in range(count)}
    articles: dict[int, set[str]] = {i: {candidates[i].article} for i in range(count)}
    blocked: dict[int, set[int]] = {i: set() for i in range(count)}
    for i, j in conflict_pairs:
        blocked[i].add(j)
        blocked[j].add(i)
    sets = DisjointSets(count)
    for _, i, j, kind in pairs:
        if kind != "align":
            continue
        ri, rj = sets.find(i), sets.find(j)
        if ri == rj:
            continue
        # Two articles' claims are one claim only if no member of one contradicts a member of the other,
        # and one article carries a claim once: joining must not pull two claims of one article together.
        if not blocked[ri].isdisjoint(members[rj]) or not articles[ri].isdisjoint(articles[rj]):
            continue
        kept = sets.union(ri, rj)
        gone = rj if kept == ri else ri
        members[kept] |= members.pop(gone)
        articles[kept] |= articles.pop(gone)
        blocked[kept] |= blocked.pop(gone)
    groups = sets.groups()
    group_of_root = {sets.find(group[0]): n for n, group in enumerate(groups)}
    conflicts = sorted({
        tuple(sorted((group_of_root[sets.find(i)], group_of_root[sets.find(j)])))
        for i, j in conflict_pairs if sets.find(i) != sets.find(j)
    })
    return Alignment(groups=groups, conflicts=[(a, b) for a, b in conflicts])


def _partner_pairs(candidates: Sequence[ClaimCandidate], vectors: np.ndarray) -> list[tuple[int, int, float]]:
    """Pairs (i < j, cosine) of candidates of different articles that :func:`_pair_relation` could join.

    Below ``passage_align_threshold`` only two quotes can be one claim. Of the
    rest, each candidate keeps its ``align_partners`` most similar partners; a
    pair is weighed when either side keeps it. Rows are scored in blocks, so
    memory stays bounded in very large stories.
    """
    count = len(candidates)
    if count < 2:
        return []
    vectors = np.asarray(vectors, dtype=np.float32)
    _, article_code = np.unique([c.article for c in candidates], return_inverse=True)
    article_code = article_code.ravel()
    quote = np.array([c.kind == "quote" for c in candidates])
    found: dict[tuple[int, int], float] = {}
    block = 512
    for start in range(0, count, block):
        stop = min(start + block, count)
        cosine = vectors[start:stop] @ vectors.T
        possible = (cosine >= in_use().passage_align_threshold) | (quote[start:stop, None] & quote[None, :])
        possible &= article_code[start:stop, None] != article_code[None, :]
        scores = np.where(possible, cosine, -np.inf)
        if count > in_use().align_partners:
            top = np.argpartition(-scores, in_use().align_partners - 1, axis=1)[:, :in_use().align_partners]
            kept = np.zeros_like(possible)
            np.put_along_axis(kept, top, True, axis=1)
            possible &= kept
        rows, columns = np.nonzero(possible)
        for row, column, value in zip((rows + start).tolist(), columns.tolist(), cosine[rows, columns].tolist()):
            found[(min(row, column), max(row, column))] = value
    return [(i, j, value) for (i, j), value in found.items()]


# --- wording differences ----------------------------------------------------------


_NOT_WORD = re.compile(r"[^\w]")


def _diff_key(token: str) -> str:
    return _NOT_WORD.sub("", token.lower().replace("’", "'"))


def wording_diff(a: str, b: str) -> list[tuple[str, str]]:
    """A word diff from wording ``a`` to wording ``b``: ``("=", words)``, ``("-", words only in a)``, ``("+", words only in b)``.

    Words are compared without case and punctuation, so "world," and "world." are the same word.
    """
    tokens_a, tokens_b = a.split(), b.split()
    matcher = difflib.SequenceMatcher(a=[_diff_key(t) for t in tokens_a], b=[_diff_key(t) for t in tokens_b],
                                      autojunk=False)
    out: list[tuple[str, str]] = []
    for op, a0, a1, b0, b1 in matcher.get_opcodes():
        if op == "equal":
            out.append(("=", " ".join(tokens_a[a0:a1])))
            continue
        if a1 > a0:
            out.append(("-", " ".join(tokens_a[a0:a1])))
        if b1 > b0:
            out.append(("+", " ".join(tokens_b[b0:b1])))
    return out


def claim_wording_diffs(claim: Claim) -> list[tuple[str, list[tuple[str, str]]]]:
    """For each other evidence whose wording differs: its article and the word diff from the claim's text."""
    diffs = []
    representative = next((e for e in claim.evidence if e.wording == claim.text), None)
    for evidence in claim.evidence:
        if evidence is representative:
            continue
        diff = wording_diff(claim.text, evidence.wording)
        if any(op != "=" for op, _ in diff):
            diffs.append((evidence.article, diff))
    return diffs


