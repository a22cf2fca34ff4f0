"""Step 3: each entity's name, type (voted by what the texts say) and stable id."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from typing import Mapping, Optional, Sequence

from ..model import Entity, Merge, Span, stable_id
from .clusters import _Clusters, _Context, _Node
from .names import _TITLE_WORDS, _content_tokens, normalise


# --- 8. entities ---------------------------------------------------------------------------


_LABEL_ORDER = ("PERSON", "ORG", "GPE", "NORP", "LOC", "FAC", "PRODUCT", "EVENT", "WORK_OF_ART", "LAW", "LANGUAGE")


def _entities(clusters: _Clusters, context: _Context) -> list[Entity]:
    entities: list[Entity] = []
    for root in clusters.roots():
        cluster = clusters.data[root]
        nodes = [clusters.nodes[n] for n in cluster.nodes]
        mentions = sorted((m for node in nodes for m in node.mentions), key=lambda m: (m.article, m.span))
        entity_type = _entity_type(nodes, context)
        name = _canonical_name(nodes, entity_type, context)
        aliases = sorted({m.text for m in mentions})
        entities.append(Entity(
            id=stable_id("n", entity_type or "", normalise(name, entity_type)),
            name=name,
            type=entity_type,
            aliases=aliases,
            articles=sorted(cluster.articles),
            mentions=mentions,
            merges=[_with_repeats(merge, cluster.repeats[(merge.rule, tuple(merge.aliases))])
                    for merge in cluster.merges],
        ))
    _disambiguate_ids(entities)
    return sorted(entities, key=lambda e: (-len(e.mentions), e.name, e.id))


def _with_repeats(merge: Merge, times: int) -> Merge:
    if times <= 1:
        return merge
    return Merge(merge.aliases, merge.rule, f"{merge.evidence} (and {times - 1} more like it)")


def _label_weights(nodes: Sequence[_Node], context: _Context) -> dict[str, float]:
    """Label votes: the model labels a full name with more context than a bare word, and labels
    machine-translated text worst."""
    votes: dict[str, float] = defaultdict(float)
    for node in nodes:
        settings = context.settings
        weight = ((settings.full_name_label_weight if len(node.key.split()) >= 2 else 1.0)
                  * (settings.translated_label_weight if node.article in context.translated else 1.0))
        for mention in node.mentions:
            if mention.label:
                votes[mention.label] += weight
    return votes


def _entity_type(nodes: Sequence[_Node], context: _Context) -> Optional[str]:
    """The entity's type: what the texts say it is, before what the NER model guessed.

    The model's labels are weak on names it has not seen and weaker on machine
    translations (a gang tagged as a person in every article). The texts often
    say the type outright: "gangs such as X", "X, a Marenian gang", "members
    of X", "President X"; and a name's own head word ("... Ministry",
    "... Airport") or a digit ("K-9 Unit": no person) says it too. Those cues win
    when at least two agree (or one with no label against it); otherwise the
    weighted label vote decides.
    """
    cues: dict[str, float] = defaultdict(float)
    for node in nodes:
        weight = context.settings.translated_label_weight if node.article in context.translated else 1.0
        for cue in _node_cues(node, context):
            if cue:
                cues[cue] += weight
        head = _head_word_type(node.key)
        if head:
            cues[head] += context.settings.head_word_weight * weight
    labels = _label_weights(nodes, context)
    if any(ch.isdigit() for node in nodes for ch in node.key):
        # A name carrying a number ("G7", "Unit 8200") is never a person's.
        labels.pop("PERSON", None)
        cues.pop("PERSON", None)
    if cues:
        best = _majority_label(cues)
        total = sum(cues.values())
        if best is not None and cues[best] * 2 > total and (cues[best] >= 2 or not labels):
            return best
    return _majority_label(labels)


def _node_cues(node: _Node, context: _Context) -> list[Optional[str]]:
    """The cue of each of the node's mentions (see ``_context_cue``), read from its text on first need."""
    if node.cues is None:
        text = context.texts.get(node.article, "")
        node.cues = [_context_cue(text, mention.span, mention.label) for mention in node.mentions]
    return node.cues


# Nouns that say what kind of thing a name is when the text puts them next to it.
_TYPE_NOUNS: dict[str, str] = {
    **dict.fromkeys((
        "gang", "gangs", "cartel", "cartels", "group", "groups", "organization", "organizations", "organisation",
        "organisations", "militia", "militias", "party", "parties", "company", "companies", "firm", "firms",
        "agency", "agencies", "network", "networks", "newspaper", "newspapers", "broadcaster", "broadcasters",
        "outlet", "outlets", "movement", "movements", "faction", "factions", "union", "unions", "club", "clubs",
        "team", "teams", "bank", "banks", "ministry", "ministries", "department", "departments", "court",
        "courts", "council", "university", "universities", "charity", "charities", "nonprofit", "ngo", "ngos",
        "syndicate", "syndicates", "insurgents", "rebels", "band", "bands", "label", "brand", "brands",
        "manufacturer", "carrier", "airline", "airlines", "retailer", "publisher", "magazine", "channel",
    ), "ORG"),
    **dict.fromkeys((
        "country", "countries", "nation", "nations", "city", "cities", "town", "towns", "village", "villages",
        "province", "provinces", "state", "states", "capital", "capitals", "region", "regions", "county",
        "counties", "territory", "territories", "municipality", "district", "districts", "island", "islands",
    ), "GPE"),
    **dict.fromkeys((
        "prison", "prisons", "airport", "airports", "hospital", "hospitals", "stadium", "bridge", "facility",
        "facilities", "jail", "jails", "port", "ports", "base", "hotel", "hotels", "center", "centre", "museum",
    ), "FAC"),
    **dict.fromkeys((
        "leader", "leaders", "official", "officials", "politician", "politicians", "man", "woman", "men", "women",
        "lawyer", "lawyers", "journalist", "journalists", "spokesman", "spokeswoman", "spokesperson", "actor",
        "actress", "singer", "player", "players", "founder", "executive", "businessman", "businesswoman",
        "activist", "activists", "candidate", "candidates", "politicians", "diplomat", "diplomats", "citizen",
        "son", "daughter", "brother", "sister", "father", "mother", "wife", "husband", "widow", "victim",
        "suspect", "author", "writer", "photographer", "coach", "doctor", "reporter", "correspondent",
    ), "PERSON"),
}
# The last word of a name that says its kind ("Department of ...", "... News", "... Airport").
_HEAD_WORDS: dict[str, str] = {
    **dict.fromkeys((
        "news", "corporation", "corp", "inc", "ltd", "llc", "plc", "company", "co", "group", "party", "union",
        "council", "committee", "commission", "ministry", "department", "agency", "institute", "institution",
        "university", "college", "bank", "court", "police", "army", "navy", "force", "forces", "guard",
        "association", "federation", "foundation", "society", "league", "network", "times", "post", "press",
        "tribune", "journal", "herald", "gazette", "office", "bureau", "service", "services", "authority",
        "administration", "board", "organization", "organisation", "cartel", "gang", "brigade", "front",
        "movement", "alliance", "coalition", "congress", "parliament", "senate", "assembly", "club",
    ), "ORG"),
    **dict.fromkeys(("airport", "prison", "hospital", "stadium", "bridge", "center", "centre", "museum", "hotel",
                     "station", "square", "palace", "tower", "jail", "base"), "FAC"),
    **dict.fromkeys(("city", "county", "province", "republic", "kingdom", "state", "emirates"), "GPE"),
}
_CUE_STOP = frozenset({"that", "which", "who", "whose", "with", "in", "on", "at", "by", "for", "from", "to", "and",
                       "or", "of", "as", "since", "after", "before", "where", "when", "whom"})
_CUE_TOKEN = re.compile(r"[^\W\d_][\w’'-]*|\d[\w-]*|[^\w\s]")
_HYPERNYM_LINKS = frozenset({"like", "including", "especially", "notably"})
_DETERMINERS = frozenset({"a", "an", "the"})


def _context_cue(text: str, span: Span, label: Optional[str] = None) -> Optional[str]:
    """The type the words around one mention give its name, or None.

    Read in this order: a title before it ("President X"), "members of X",
    an appositive or "as a ..." after it ("X, a Marenian gang"; "X as a
    terrorist organization"), a hypernym before it ("gangs such as X"), and
    a kind noun right after it ("the X gang").
    """
    before = _CUE_TOKEN.findall(text[max(0, span[0] - 80):span[0]])
    after = _CUE_TOKEN.findall(text[span[1]:span[1] + 80])
    if before and before[-1].lower().rstrip(".") in _TITLE_WORDS and before[-1][0].isupper():
        return "PERSON"
    lowered_before = [w.lower() for w in before]
    if lowered_before[-1:] == ["the"]:
        lowered_before = lowered_before[:-1]
    if lowered_before[-2:-1] and lowered_before[-1] == "of" and \
            re.fullmatch(r"members?|leaders?|founders?|branch(?:es)?|cells?|wings?", lowered_before[-2]):
        return "ORG"
    lowered_after = [w.lower() for w in after]
    phrase: list[str] = []
    if lowered_after[:1] == [","] and lowered_after[1:2] and lowered_after[1] in _DETERMINERS:
        phrase = lowered_after[2:7]
    elif lowered_after[:1] == ["as"] and lowered_after[1:2] and lowered_after[1] in ("a", "an"):
        phrase = lowered_after[2:6]
    head = None
    for word in phrase:
        if word in _CUE_STOP or not word[0].isalpha():
            break
        head = word
    if head in _TYPE_NOUNS:
        return _TYPE_NOUNS[head]
    if lowered_before and (lowered_before[-1] in _HYPERNYM_LINKS or lowered_before[-2:] == ["such", "as"]):
        window = lowered_before[-7:-1]
        for word in reversed(window):
            if word in _TYPE_NOUNS:
                return _TYPE_NOUNS[word]
            if word in (".", ";", ":"):
                break
    # A people's adjective precedes nouns of every kind ("Marenian gang"): no cue there.
    if label != "NORP" and lowered_after and after[0].islower() and _TYPE_NOUNS.get(lowered_after[0]) in ("ORG", "FAC") and \
            lowered_after[0] not in ("state", "states", "base", "port", "center", "centre"):
        return _TYPE_NOUNS[lowered_after[0]]
    return None


def _head_word_type(key: str) -> Optional[str]:
    """The kind a multi-word name's own head word gives it: its last word, or its first before "of"."""
    tokens = key.split()
    if len(tokens) < 2:
        return None
    if "of" in tokens[1:-1] and tokens[0] in _HEAD_WORDS:
        return _HEAD_WORDS[tokens[0]]
    return _HEAD_WORDS.get(tokens[-1])


def _majority_label(labels: Mapping[str, float]) -> Optional[str]:
    if not labels:
        return None
    return min(labels, key=lambda label: (-labels[label], _LABEL_ORDER.index(label) if label in _LABEL_ORDER else 99,
                                          label))


def _canonical_name(nodes: Sequence[_Node], entity_type: Optional[str], context: _Context) -> str:
    """The most used well-formed variant.

    Ranked by the articles (not machine-translated ones) that use it, then
    by how well its words are supported by the other variants (a garbled
    spelling shares few words), then by mentions and length. For people, a
    full name that extends the most used form wins ("Jane Doe" over "Doe").
    """
    clean_articles: dict[str, set[str]] = defaultdict(set)
    articles: dict[str, set[str]] = defaultdict(set)
    counts: Counter = Counter()
    token_counts: Counter = Counter()
    person_forms: set[str] = set()
    for node in nodes:
        person_forms.update(m.text for m in node.mentions if m.label == "PERSON")
        for surface, count in node.surfaces.items():
            articles[surface].add(node.article)
            if node.article not in context.translated:
                clean_articles[surface].add(node.article)
            counts[surface] += count
            token_counts.update({token: count for token in _content_tokens(normalise(surface))})

    def support(surface: str) -> float:
        tokens = _content_tokens(normalise(surface))
        return sum(token_counts[t] for t in tokens) / len(tokens) if tokens else 0.0

    def rank(surface: str) -> tuple:
        return (len(clean_articles[surface]), support(surface), len(articles[surface]), counts[surface],
                len(surface), surface)

    best = max(counts, key=rank)
    if entity_type == "PERSON":
        last = _content_tokens(normalise(best))[-1:]
        fuller = [s for s in counts if s in person_forms and len(normalise(s).split()) >= 2
                  and _content_tokens(normalise(s))[-1:] == last and clean_articles[s]]
        if fuller and len(normalise(best).split()) == 1:
            best = max(fuller, key=rank)
    return best


def _disambiguate_ids(entities: list[Entity]) -> None:
    """Two entities with one canonical form (kept apart by a conflict) get ids that still differ."""
    seen: Counter = Counter()
    for entity in sorted(entities, key=lambda e: (e.id, e.articles[0] if e.articles else "", e.mentions[0].span
                                                  if e.mentions else (0, 0))):
        seen[entity.id] += 1
        if seen[entity.id] > 1:
            entity.id = stable_id("n", entity.type or "", normalise(entity.name, entity.type),
                                  entity.articles[0] if entity.articles else "")
