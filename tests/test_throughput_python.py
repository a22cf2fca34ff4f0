"""The Python work of ``analyze`` made cheaper (issue 18) gives the same answers as before.

Each test compares a replaced path with the one it replaced (written out here) or checks what
a run does, on small real inputs.
"""

from __future__ import annotations

import json
from dataclasses import asdict, replace

from storyline.model import (
    Claim,
    ClaimEvent,
    Entity,
    Evidence,
    Mention,
    Merge,
    Passage,
    Relation,
    Story,
    TimelineEntry,
)
from storyline.pipeline import Models, analyze, ingest
from storyline.store import open_store
from storyline.store.schema import _dumps
from storyline.timeline.expressions import _RULES, TimeExpression, _accept, find_time_expressions

# --- the store's JSON writer ---------------------------------------------------------------------


def _dumps_with_asdict(value: object) -> str:
    """The writer before issue 18: each dataclass deep-copied by ``asdict``."""
    def plain(item: object) -> object:
        return asdict(item) if hasattr(item, "__dataclass_fields__") else item  # type: ignore[call-overload]
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=plain)


def test_store_json_is_what_asdict_wrote() -> None:
    evidence = Evidence(article="a1", span=(3, 40), sentence="Le maire a dit «non».", wording="a dit «non»",
                        attributed_to="the mayor", markers=("slammed",), hedges=(), quotes=("non",),
                        derived_from="a0", derivation="translation")
    claim = Claim(id="c1", story="s1", text="The mayor said no.", kind="quote", speaker=None, articles=["a0", "a1"],
                  status="corroborated", independent_sources=2, conflicts=["c2"], evidence=[evidence, evidence],
                  markers=["slammed"], checkworthiness=0.25, sources=["a0"], events=["e1"])
    event = ClaimEvent(id="e1", story="s1", lemma="say", text="said no", articles=["a0"], mentions=[evidence],
                       claims=["c1"])
    entity = Entity(id="n1", name="Elena Ruiz", type="PERSON", aliases=["Ruiz", "Elena Ruiz"], articles=["a0"],
                    mentions=[Mention("a0", (0, 10), "Elena Ruiz", "PERSON"), Mention("a0", (20, 24), "Ruiz")],
                    merges=[Merge(["Ruiz", "Elena Ruiz"], "surname", "same article")])
    relation = Relation("a0", "a1", "translation", "a->b", 0.91, ["stuttered phrases"],
                        [Passage((0, 40), (0, 38), 0.88)])
    story = Story(id="s1", title=None, articles=["a0", "a1"])
    entry = TimelineEntry(**{name: None for name in TimelineEntry.__dataclass_fields__})  # type: ignore[arg-type]
    for value in ({"claims": [claim], "omissions": [], "events": [event]}, entity, relation, story, [entry],
                  [[0, 5], [6, 9]], {"nested": {"tuple": (1, 2.5, None)}}):
        assert _dumps(value) == _dumps_with_asdict(value)


# --- the timeline's grammar ------------------------------------------------------------------------


def _time_expressions_every_rule(text: str) -> list[TimeExpression]:
    """``find_time_expressions`` before issue 18: every rule run over every text."""
    candidates = [(m.start(), m.end(), kind) for kind, pattern in _RULES for m in pattern.finditer(text)
                  if _accept(kind, m, text)]
    candidates.sort(key=lambda c: (-(c[1] - c[0]), c[0]))
    taken: list[tuple[int, int, str]] = []
    for start, end, kind in candidates:
        if all(end <= s or start >= e for s, e, _ in taken):
            taken.append((start, end, kind))
    return [TimeExpression((s, e), text[s:e], k) for s, e, k in sorted(taken)]


SENTENCES = [
    "On Monday, March 3, 2025 the council met.", "The vote was held on the 4th of July, 2024.",
    "It opened in early February 2023 and closed Feb. 9.", "Talks resumed last September.",
    "By 2022 members had left; the 2024 campaign began in spring of 2021.", "He spoke last Friday night.",
    "Black Friday sales rose; USA Today said so.", "The storm hit yesterday and again last night.",
    "Prices rose over the past month and this coming weekend.", "Three weeks ago the plant closed.",
    "She said it TONIGHT, not tomorrow morning.", "MARCH 5 was the date in the record.",
    "Nothing here names a time at all.", "The 1990s were different; 2024's budget is not.", "Marching on, he may go.",
    "A 12-year-old boy, 3 days after the quake.", "From Jan 2 through the end of December 2020.",
    "", "2100", "a day", "Monday", "ago ago ago",
]


def test_time_expressions_are_those_every_rule_finds() -> None:
    found = 0
    for text in SENTENCES:
        assert find_time_expressions(text) == _time_expressions_every_rule(text), text
        found += len(find_time_expressions(text))
    assert found >= 15  # the sentences exercise the grammar, not only the shortcut


# --- the runner ---------------------------------------------------------------------------------------


def test_stages_run_with_one_blas_thread(tmp_path, monkeypatch) -> None:
    from threadpoolctl import threadpool_info

    from storyline import pipeline

    seen: list[int] = []

    def prepare_and_look(store, models, progress):  # type: ignore[no-untyped-def]
        seen.extend(pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas")
        return 0

    monkeypatch.setitem(pipeline._RUNNERS, "prepare", prepare_and_look)
    with open_store(tmp_path / "s.db") as store:
        analyze(store, models=Models(embedder_name="hashing"), until="prepare")
    assert seen and set(seen) == {1}


TEXTS = {
    "a.txt": "Harbor Bridge to close\nMayor Elena Ruiz said on Monday, March 3, 2025 that the Harbor Bridge "
             "will close for three weeks.\nThe Department of Transportation said detours would be posted.\n",
    "b.txt": "Harbor Bridge closing\nMayor Elena Ruiz said on Monday, March 3, 2025 that the Harbor Bridge "
             "will close for three weeks.\nRuiz added that ferries would run every hour.\n",
}


def test_a_second_run_reads_no_story_articles_and_a_changed_claim_rebuilds_the_timeline(tmp_path, monkeypatch) -> None:
    for name, text in TEXTS.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    models = Models(embedder_name="hashing", all_in_depth=True)
    with open_store(tmp_path / "s.db") as store:
        ingest(store, sorted(str(p) for p in tmp_path.glob("*.txt")))
        first = analyze(store, models=models)
        assert first.counts["claims"] >= 1 and first.counts["timeline"] >= 1
        timeline = store.timeline()
        assert timeline

        read: list[object] = []
        real_prepared = store.prepared

        def counted(ids=None, **options):  # type: ignore[no-untyped-def]
            read.append(ids)
            return real_prepared(ids=ids, **options)

        monkeypatch.setattr(store, "prepared", counted)
        calls_before = len(read)
        again = analyze(store, models=models, until="timeline")
        assert again.counts["claims"] == 0 and again.counts["timeline"] == 0
        # Only whole-corpus stages read articles on a second run; no per-story read happened.
        assert all(ids is None for ids in read[calls_before:])

        # Claims built under other settings (their key changes) make the timeline be built again; the
        # same claims built again from the same inputs (the same key) leave it as it is.
        other = replace(models.settings, claims=replace(models.settings.claims, align_threshold=0.99))
        rebuilt = analyze(store, models=replace(models, settings=other))
        assert rebuilt.counts["claims"] == 1 and rebuilt.counts["timeline"] == 1
        story = store.stories()[0]
        store.save_story_result(story.id, "claims", "a key no inputs give", {"claims": [], "omissions": [], "events": []})
        back = analyze(store, models=models)
        assert back.counts["claims"] == 1 and back.counts["timeline"] == 1
        assert store.timeline() == timeline
        again = analyze(store, models=models)
        assert again.counts["claims"] == 0 and again.counts["timeline"] == 0


# --- the claims' framing -------------------------------------------------------------------------------


def _writers_words_word_by_word(text: str) -> list[str]:
    """``_writers_words`` before issue 18: every word tested against the designation pattern."""
    from storyline.claims.framing import _DESIGNATION
    from storyline.claims.settings import in_use
    from storyline.text import QUOTE_PAIRS, split_words

    kept = []
    since_designation = in_use().designation_reach + 1
    for position, word in enumerate(split_words(QUOTE_PAIRS.sub(" ", text))):
        since_designation += 1
        if _DESIGNATION.fullmatch(word):
            since_designation = 0
            continue
        if position > 0 and word[:1].isupper():
            continue
        if since_designation <= in_use().designation_reach:
            continue
        kept.append(word.lower())
    return kept


def test_writers_words_are_those_a_word_by_word_reading_finds() -> None:
    from storyline.claims.framing import _writers_words

    sentences = SENTENCES + [
        "The group was designated a terrorist organisation by the State Department, officials said.",
        "It was listed as a terrorist group; re-designated militants and redesignated thugs were held.",
        "Designated thugs rioted.", "The \"so-called\" regime slammed critics, who called it brutal.",
        "Classified files: the blacklisted firm's proscribed rioters, mob-led, were undesignated.",
        "Police said the 'illegal aliens' were not designated anything.",
    ]
    for text in sentences:
        assert _writers_words(text) == _writers_words_word_by_word(text), text
    assert _writers_words(sentences[-6]) == ["the", "group", "was", "officials", "said"]  # a designation met


# --- what the stages read from the store -------------------------------------------------------------------


def test_reuse_over_stored_vectors_finds_the_same_relations(tmp_path, embedder) -> None:
    from conftest import SEEDS

    from storyline.prepare import prepare
    from storyline.stages import stage

    with open_store(tmp_path / "s.db") as store:
        ingest(store, sorted(str(p) for p in SEEDS.glob("*.txt")))
        store.save_prepared(prepare(store.articles(), embedder), embedder.name)
        as_float32, as_stored = store.prepared(), store.prepared(stored_vectors=True)
        assert store.prepared_versions() == {p.id: p.article.version for p in as_float32}
    assert all(p.sentence_vectors.dtype.name == "float16" for p in as_stored)
    for mine, theirs in zip(as_float32, as_stored):
        assert (mine.sentence_vectors == theirs.sentence_vectors.astype("float32")).all()
    relations = stage("reuse").core(as_float32, [], known=[])
    assert relations and stage("reuse").core(as_stored, [], known=[]) == relations
