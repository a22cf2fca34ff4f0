"""Step 3: the story's ledger: aligned claims with status, speaker, provenance, rank, conflicts and omissions."""

from __future__ import annotations

from typing import Iterable, Mapping, Optional, Sequence

import numpy as np

from ..graph import independent_groups
from ..model import Claim, ClaimStatus, Entity, Evidence, Omission, Prepared, Relation, Span, Story, stable_id
from ..text import DateMention
from ..text.spans import SpanIndex
from .align import candidate_vector, align_candidates, passage_pairs
from .checkworthiness import CheckworthinessModel, EnglishEmbedder, Inputs, TaggedText, cascade_scores, model_for
from .conflicts import denial_conflicts, denies
from .extract import ClaimCandidate, extract_claim_candidates
from .framing import framing, hedge_markers
from .omissions import find_omissions, ranked
from .settings import ClaimSettings, in_use

# Relations in which one article's text derives from the other's (a shared source is a third text).
DERIVING_KINDS = frozenset({"duplicate", "excerpt", "rewrite", "translation"})
# Places never speak: a speaker's words overlapping only a place ("envoy for Latin America X said") name X.
_PLACE_TYPES = frozenset({"GPE", "LOC", "FAC"})


def _evidence(candidate: ClaimCandidate, derived_from: Optional[tuple[str, str]] = None) -> Evidence:
    attributed_to, markers, hedges, quotes = framing(candidate)
    return Evidence(article=candidate.article, span=candidate.span, sentence=candidate.sentence,
                    wording=candidate.wording, attributed_to=attributed_to, markers=markers, hedges=hedges,
                    quotes=quotes, derived_from=derived_from[0] if derived_from else None,
                    derivation=derived_from[1] if derived_from else None)


def claim_status(conflicts: Sequence[str], independent_sources: int) -> ClaimStatus:
    if conflicts:
        return "contradicted"
    return "corroborated" if independent_sources >= 2 else "single-source"


def article_order(docs: Iterable[Prepared]) -> dict[str, int]:
    """Earliest-published first (undated last), then by id."""
    ordered = sorted(docs, key=lambda d: (d.article.published is None, d.article.published or "", d.id))
    return {doc.id: rank for rank, doc in enumerate(ordered)}


def _speaker(article: str, span: Optional[Span], text: Optional[str],
             mentions: dict[str, SpanIndex[tuple[Span, str, Optional[str], str]]]) -> tuple[Optional[str], Optional[str]]:
    """(entity id, name) of who speaks in ``span``: the person or organisation whose mention overlaps the
    speaker's words, the one ending last (a name follows its title); a place never speaks. With no such entity,
    the speaker's words without the places in them ("envoy for Latin America X" -> "X")."""
    if span is None or text is None:
        return None, None
    best: Optional[tuple[int, int, str, str]] = None
    places: list[Span] = []
    located = mentions.get(article)
    for (ms, me), entity_id, entity_type, name in located.overlapping(span) if located is not None else ():
        overlap = min(me, span[1]) - max(ms, span[0])
        if overlap <= 0:
            continue
        if entity_type in _PLACE_TYPES:
            places.append((ms, me))
        elif best is None or (me, overlap) > (best[0], best[1]):
            best = (me, overlap, entity_id, name)
    if best is not None:
        return best[2], best[3]
    cut = max((me for ms, me in places if me <= span[1]), default=span[0])
    name = text[max(0, cut - span[0]):].strip(" ,")
    return None, name or text


def derivations(relations: Sequence[Relation]) -> dict[str, tuple[str, str]]:
    """Derived article -> (the article it derives from, the relation's kind), for relations with a direction."""
    out: dict[str, tuple[str, str]] = {}
    for relation in relations:
        if relation.kind not in DERIVING_KINDS or relation.direction is None:
            continue
        origin, derived = (relation.a, relation.b) if relation.direction == "a->b" else (relation.b, relation.a)
        out.setdefault(derived, (origin, relation.kind))
    return out


def _ancestors(article: str, derived_from: dict[str, tuple[str, str]]) -> list[str]:
    chain: list[str] = []
    while article in derived_from and derived_from[article][0] not in chain and len(chain) < 32:
        article = derived_from[article][0]
        chain.append(article)
    return chain


def _mutual_best(origin_rows: np.ndarray, derived_doc: Prepared, origin_sentence: int, derived_sentence: int) -> bool:
    """Whether the derived article's sentence most similar to ``origin_sentence`` is ``derived_sentence``."""
    derived_rows = np.asarray(derived_doc.sentence_vectors, dtype=np.float32)
    return int(np.argmax(derived_rows @ origin_rows[origin_sentence])) == derived_sentence


def _derived_pairs(candidates: Sequence[ClaimCandidate], vectors: np.ndarray, relations: Sequence[Relation],
                   derived_from: dict[str, tuple[str, str]],
                   docs: dict[str, Prepared]) -> tuple[set[tuple[int, int]], set[int]]:
    """Candidate pairs (origin, derived) of one derivation, and the derived candidates that are no claim.

    Each candidate of a derived article is matched to the origin's sentence it derives from: the most similar
    origin sentence inside the aligned passage that holds it, or, outside every passage (the reuse stage aligns
    long runs, and a garbled translation breaks them), the most similar origin sentence when it reaches
    ``derived_sentence_threshold`` (a ClaimSettings value) and the derived sentence is its most similar one too. It pairs with that
    sentence's candidate; when the origin made no claim of that sentence, the copy makes none either.
    """
    by_article: dict[str, list[int]] = {}
    for index, candidate in enumerate(candidates):
        by_article.setdefault(candidate.article, []).append(index)

    def inside(span: Span, region: Span) -> bool:
        overlap = min(span[1], region[1]) - max(span[0], region[0])
        return overlap > 0 and overlap * 2 >= span[1] - span[0]

    pairs: set[tuple[int, int]] = set()
    orphans: set[int] = set()
    for relation in relations:
        if relation.kind not in DERIVING_KINDS or relation.direction is None:
            continue
        a_is_origin = relation.direction == "a->b"
        origin, derived = (relation.a, relation.b) if a_is_origin else (relation.b, relation.a)
        origin_doc = docs.get(origin)
        if derived_from.get(derived, (None,))[0] != origin or origin_doc is None or not len(origin_doc.sentences):
            continue
        rows = np.asarray(origin_doc.sentence_vectors, dtype=np.float32)
        if rows.shape[1] != vectors.shape[1]:
            continue
        spans = [(passage.b, passage.a) if a_is_origin else (passage.a, passage.b) for passage in relation.passages]
        for j in by_article.get(derived, []):
            passage = next((origin_span for derived_span, origin_span in spans
                            if inside(candidates[j].sentence_span, derived_span)), None)
            similarity = rows @ vectors[j]
            if passage is not None:
                allowed = np.array([inside((s.start, s.end), passage) for s in origin_doc.sentences])
                similarity = np.where(allowed, similarity, -np.inf) if allowed.any() else similarity
            elif float(np.max(similarity)) < in_use().derived_sentence_threshold or not _mutual_best(
                    rows, docs[derived], int(np.argmax(similarity)), candidates[j].sentence_index):
                continue
            sentence = origin_doc.sentences[int(np.argmax(similarity))]
            origin_side = [i for i in by_article.get(origin, [])
                           if candidates[i].sentence_span[0] < sentence.end and sentence.start < candidates[i].sentence_span[1]]
            if origin_side:
                pairs.add((max(origin_side, key=lambda i: float(vectors[i] @ vectors[j])), j))
            else:
                orphans.add(j)
    return pairs, orphans - {j for _, j in pairs}


def build_ledger(
    story: Story,
    docs: Sequence[Prepared],
    relations: Sequence[Relation] = (),
    entities: Sequence[Entity] = (),
    *,
    sentence_model: Optional[str] = None,
    tags: Optional[Mapping[str, TaggedText]] = None,
    settings: Optional[ClaimSettings] = None,
    dates: Optional[Mapping[str, Sequence[tuple[DateMention, ...]]]] = None,
    english_embedder: Optional[EnglishEmbedder] = None,
) -> tuple[list[Claim], list[Omission]]:
    """The story's claims, aligned across its articles, ranked, with status, provenance, conflicts and omissions.

    ``docs`` may hold articles of other stories; only the story's are read.
    ``relations`` give the independent sources (over the whole story's
    provenance graph), which article derives from which, and the aligned
    passages of derived articles. ``sentence_model`` names the embedder of the
    docs' sentence vectors: the check-worthiness model reads them only when it
    was trained on that embedder's vectors. ``tags``: each article's
    part-of-speech tags by offset (from the parse the stages keep), which the
    check-worthiness model reads too; an article without them is scored by
    the fit made without tags.

    A statement is a claim only when check-worthy (quotes with a speaker,
    numbers with what they count and dated events always are). A claim is
    worded as its origin wrote it: the member whose article derives from no
    other member's; derived wordings stay as evidence naming what they derive
    from. Claims come ranked (see ``omissions.ranked``); omissions per article
    follow ``omissions.find_omissions``. ``settings``: the stage's thresholds (None: those in use,
    by default the shipped ones). ``dates``: each article's ``extract.sentence_dates``, when the caller
    has them already. ``english_embedder``: the check-worthiness cascade's (see ``cascade_scores``).
    """
    with in_use.using(settings):
        return _build_ledger(story, docs, relations, entities, sentence_model, tags or {}, dates or {},
                             english_embedder)


def _build_ledger(story: Story, docs: Sequence[Prepared], relations: Sequence[Relation], entities: Sequence[Entity],
                  sentence_model: Optional[str], tags: Mapping[str, TaggedText],
                  dates: Mapping[str, Sequence[tuple[DateMention, ...]]],
                  english_embedder: Optional[EnglishEmbedder]) -> tuple[list[Claim], list[Omission]]:
    in_story = set(story.articles)
    story_docs = [doc for doc in docs if doc.id in in_story]
    order = article_order(story_docs)
    story_docs.sort(key=lambda d: order[d.id])
    mention_rows: dict[str, list[tuple[Span, tuple[Span, str, Optional[str], str]]]] = {}
    for entity in entities:
        for mention in entity.mentions:
            if mention.article in in_story:
                mention_rows.setdefault(mention.article, []).append(
                    (mention.span, (mention.span, entity.id, entity.type, entity.name)))
    # Indexed by span: each speaker reads the mentions around it, not every mention of a long article.
    mentions = {article: SpanIndex(rows) for article, rows in mention_rows.items()}

    found: list[ClaimCandidate] = []
    found_vectors: list[np.ndarray] = []
    inputs: list[Inputs] = []
    scorers: list[CheckworthinessModel] = []
    english: list[bool] = []
    seen: set[tuple[str, Span, str, str]] = set()
    for doc in story_docs:
        tagged = tags.get(doc.id)
        scorer = model_for(sentence_model, tagged=tagged is not None)
        for candidate in extract_claim_candidates(doc, dates.get(doc.id)):
            key = (candidate.article, candidate.span, candidate.kind, candidate.wording)
            # A clause holding two counts is found once per count: it is one claim.
            if key not in seen:
                seen.add(key)
                found.append(candidate)
                found_vectors.append(candidate_vector(doc, candidate))
                inputs.append((candidate.wording, found_vectors[-1],
                               None if tagged is None else tagged.within(candidate.span)))
                scorers.append(scorer)
                english.append(doc.language in (None, "en"))
    # The English vector's fit rescores the uncertain scores of English articles (its model is English): the
    # whole story's in one cascade, whose encoder then batches sentences of like length across its articles.
    in_english = [i for i, is_english in enumerate(english) if is_english]
    cascaded = dict(zip(in_english, cascade_scores([scorers[i] for i in in_english], [inputs[i] for i in in_english],
                                                   english_embedder)))
    scored = [cascaded[i] if i in cascaded else (scorers[i].score(*inputs[i]), scorers[i]) for i in range(len(inputs))]
    candidates: list[ClaimCandidate] = []
    scores: list[float] = []
    rows: list[np.ndarray] = []
    for candidate, vector, (score, fit) in zip(found, found_vectors, scored):
        # Background is not a claim; a quote with its speaker, a count and a dated event are, whatever the
        # model says of their wording. Opinion stays, marked, outside every count.
        if candidate.kind == "statement" and not candidate.opinion and score < fit.claim_floor:
            continue
        candidates.append(candidate)
        scores.append(score)
        rows.append(vector)
    vectors = np.vstack(rows) if rows else np.zeros((0, 1), np.float32)
    story_relations = [r for r in relations if r.a in in_story and r.b in in_story]
    derived_from = derivations(story_relations)
    # Derivation is transitive through articles that do not carry the claim: a
    # translation of an original and a rewrite of the same original are one
    # source even when the original leaves the claim out.
    groups_of_sources = independent_groups(in_story, story_relations)
    source_of = {article: n for n, group in enumerate(groups_of_sources) for article in group}
    forced, orphans = _derived_pairs(candidates, vectors, story_relations, derived_from,
                                     {doc.id: doc for doc in story_docs})
    kept = [i for i in range(len(candidates)) if i not in orphans]
    candidates = [candidates[i] for i in kept]
    scores = [scores[i] for i in kept]
    vectors = vectors[kept] if len(kept) else np.zeros((0, vectors.shape[1]), np.float32)
    renumber = {old: new for new, old in enumerate(kept)}
    forced = {(renumber[i], renumber[j]) for i, j in forced if i in renumber and j in renumber}
    alignment = align_candidates(candidates, vectors, in_passages=passage_pairs(candidates, story_relations),
                                 derived_pairs=forced)

    claims: list[Claim] = []
    evidence_vectors: dict[str, np.ndarray] = {}
    origin_of = {derived: origin for origin, derived in forced}
    group_of = {member: n for n, group in enumerate(alignment.groups) for member in group}
    kept_groups: list[int] = []
    for n, group in enumerate(alignment.groups):
        # A derived wording the origin's claim could not take (a translation that split one sentence in two,
        # whose other half it holds already) is that claim too: it gets no ledger entry of its own.
        if all(i in origin_of and group_of[origin_of[i]] != n for i in group):
            continue
        kept_groups.append(n)
    claim_index = {n: position for position, n in enumerate(kept_groups)}
    for group in (alignment.groups[n] for n in kept_groups):
        members = sorted(group, key=lambda i: (order[candidates[i].article], candidates[i].span))
        articles = list(dict.fromkeys(candidates[i].article for i in members))
        # The claim is worded as its origin wrote it: a member whose article derives from no other member's
        # article, stating it as a fact; only when every article words it as opinion is it an opinion claim.
        originals = [i for i in members if not set(_ancestors(candidates[i].article, derived_from)) & set(articles)]
        # Among independent originals, the one other members derive from words the claim (the report a copy or
        # translation traces to), then the earliest published: never an accident of article ids.
        derived_count = {i: sum(1 for j in members if candidates[i].article in _ancestors(candidates[j].article,
                                                                                        derived_from))
                         for i in originals}
        first = candidates[min(originals, key=lambda i: (not candidates[i].is_fact, -derived_count[i],
                                                         order[candidates[i].article], candidates[i].span))]
        speakers = [_speaker(candidates[i].article, candidates[i].speaker_span, candidates[i].speaker_text, mentions)
                    for i in members]
        speaker, speaker_name = next((found for found in speakers if found[0] is not None),
                                     next((found for found in speakers if found[1]), (None, None)))
        # A derived wording (a translation drops loaded words) does not make the origin's opinion a fact.
        opinion = not any(candidates[i].is_fact for i in originals)
        markers = list(dict.fromkeys(word for i in originals
                                     for word in candidates[i].opinion_words + hedge_markers(candidates[i].sentence))
                       ) if opinion else []
        evidence = []
        for i in members:
            ancestry = [a for a in _ancestors(candidates[i].article, derived_from) if a in articles]
            origin = (ancestry[0], derived_from[candidates[i].article][1]) if ancestry else None
            evidence.append(_evidence(candidates[i], origin))
        claim_sources = [next(a for a in articles if source_of[a] == n)
                         for n in dict.fromkeys(source_of[a] for a in articles)]
        claim = Claim(
            # Two claims can start at one offset (a sentence holding two counts), so the whole span and the
            # wording go into the id too.
            id=stable_id("c", story.id, first.article, f"{first.span[0]}:{first.span[1]}", first.kind, first.wording),
            story=story.id, text=first.wording, kind=first.kind, speaker=speaker, articles=articles,
            status="single-source", independent_sources=len(claim_sources),
            evidence=evidence, opinion=opinion, markers=markers,
            checkworthiness=round(max(scores[i] for i in members if candidates[i] is first), 4),
            origin=first.article, sources=claim_sources, speaker_name=speaker_name,
        )
        claims.append(claim)
        evidence_vectors[claim.id] = vectors[members]
    # A denial and the account it denies are two claims in conflict when each side is one-sided: every
    # wording of the one denies, and no article carrying the other denies anything (a claim both camps
    # carry is no side; aligned as one claim, a denial and its account are not told apart).
    denying_articles = {doc.id for doc in story_docs if any(denies(s.text) for s in doc.sentences)}
    denials = {(group_of[i], group_of[j]) for i, j in denial_conflicts(candidates, vectors, denying_articles)
               if i in group_of and j in group_of and group_of[i] != group_of[j]
               and all(denies(candidates[m].sentence) for m in alignment.groups[group_of[i]])
               and not any(candidates[m].article in denying_articles for m in alignment.groups[group_of[j]])}
    for a, b in [*alignment.conflicts, *sorted(denials)]:
        if a in claim_index and b in claim_index:
            claims[claim_index[a]].conflicts.append(claims[claim_index[b]].id)
            claims[claim_index[b]].conflicts.append(claims[claim_index[a]].id)
    for claim in claims:
        claim.conflicts = sorted(set(claim.conflicts))
        claim.status = claim_status(claim.conflicts, claim.independent_sources)
    claims = ranked(claims)
    return claims, find_omissions(story.id, claims, story_docs, source_of, evidence_vectors)
