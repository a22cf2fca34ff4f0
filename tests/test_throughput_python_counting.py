"""The reuse profiles' and the stories' counting done once per distinct word (issue 18) gives what the
word-by-word code gave: each replaced function is written out here as it was and compared on the
repository's fixture texts, with texts in other scripts and cases added so that every branch is met.
"""

from __future__ import annotations

import json
import unicodedata
from collections import Counter, defaultdict
from itertools import combinations
from typing import Optional, Sequence

import pytest
from unidecode import unidecode

from conftest import FIXTURES, make_articles
from storyline.embedders import HashingEmbedder
from storyline.model import Prepared
from storyline.prepare import prepare
from storyline.reuse.profile import _anchors, _frequent_words, _name_key, _spaceless_words
from storyline.reuse.translation import _inconsistent_names, _respelling_candidates
from storyline.reuse.words import _ANCHOR_TOKEN, _FUNCTION_WORDS, _WORD
from storyline.stories.features import (TermStatistics, _AnyName, _content_terms, _is_title_case, _lines_of, _normal,
                                        _specific_terms,
                                        _term, _TOKEN, term_statistics)
from storyline.stories.settings import StorySettings
from storyline.boilerplate import page_line_keys

# Scripts and cases the fixtures lack: wide characters, transliterated names, a dotted capital whose
# lower case is two characters, possessives, acronyms, numbers with separators.
_EXTRA = {
    "wide.txt": "東京で地震があった。 Tokyo Electric said 1,200 homes lost power.\n大阪でも停電。",
    "accents.txt": "Zoë Müller met Žofie Nováková in Reykjavík. Müller's deal with Reykjavíkur Bank, "
                   "worth 3.5 million, closed. Then Müller left; İstanbul and ISTANBUL agreed. The US and "
                   "the U.S. Senate's vote: 52-48.",
    "respelt.txt": "Maryanne Oduya spoke first. Later Maryanne Oduja said the Oduya family, and Mariane "
                   "Odouya, had left Kenya for Kenyan towns with Banque and Banqua staff.",
    "headings.txt": "BREAKING: Flood Warning For The Valley\nThe river rose overnight in the Valley, "
                    "officials of the Valley Water Board said. Residents of Riverton left.",
}


@pytest.fixture(scope="module")
def corpus() -> list[Prepared]:
    texts = {path.name: path.read_text(encoding="utf-8")
             for folder in ("reuse", "entities", "claims", "timeline")
             for path in sorted((FIXTURES / folder).glob("*.txt"))}
    texts.update(_EXTRA)
    titled = {}
    for path in sorted((FIXTURES / "stories").glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        for number, item in enumerate(data["articles"] if isinstance(data, dict) else data):
            source = f"{path.stem}-{number}.json"
            texts[source] = item["text"]
            titled[source] = {key: item[key] for key in ("title", "outlet", "published", "url") if item.get(key)}
    return prepare(make_articles(texts, **titled), HashingEmbedder())


# --- reuse: the profile's per-article signals ---------------------------------------------------------


def _name_key_transliterated(token: str) -> Optional[str]:
    """A name's anchor as every token was keyed: transliterated whatever its script."""
    key = unidecode(token).lower()
    return key[:5] if key.isalpha() and key not in _FUNCTION_WORDS else None


def _spaceless_words_char_by_char(text: str) -> int:
    return sum(1 for ch in text if unicodedata.east_asian_width(ch) in ("W", "F") and ch.isalnum()) // 3


def _frequent_words_word_by_word(text: str, limit: int = 40) -> frozenset[str]:
    counts: dict[str, int] = defaultdict(int)
    for word in _WORD.findall(text):
        if not word[0].isupper() and not word.isdigit():
            counts[word] += 1
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return frozenset(word for word, count in ranked[:limit] if count >= 2)


def _respelling_candidates_by_positions(words: Sequence[str], codes: dict[str, str]) -> set[tuple[int, int]]:
    blocks: dict[tuple[object, ...], list[int]] = {}
    for index, word in enumerate(words):
        lowered = word.lower()
        blocks.setdefault(("sound", lowered[0], codes[word]), []).append(index)
        size = len(lowered)
        if size > 14:
            blocks.setdefault(("long", size), []).append(index)
            continue
        for kept in combinations(range(size), size - size // 5):
            blocks.setdefault(("letters", size, "".join(lowered[k] for k in kept)), []).append(index)
    pairs: set[tuple[int, int]] = set()
    for members in blocks.values():
        reach = len(members) if len(members) <= 64 else 16
        for position, first in enumerate(members):
            pairs.update((first, second) for second in members[position + 1:position + 1 + reach])
    return pairs


def test_anchors_key_each_name_as_transliterating_every_token_did(corpus) -> None:
    tokens = {m.group() for p in corpus for s in p.sentences
              for m in _ANCHOR_TOKEN.finditer(unicodedata.normalize("NFKC", s.text)) if m.group()[:1].isupper()}
    assert any(not t.isascii() for t in tokens)  # transliteration is met
    assert {t: _name_key(t) for t in tokens} == {t: _name_key_transliterated(t) for t in tokens}
    # And each article's anchors are its tokens' keys in text order, numbers among them.
    for prepared in corpus:
        names = [a for a in _anchors(prepared) if not a.isdigit()]
        assert set(names) <= {_name_key_transliterated(t) for t in tokens}


def test_spaceless_words_count_as_each_character_was_tested() -> None:
    texts = [*_EXTRA.values(), "", "plain ASCII", "Ĥangul only after U+1100: 한국어 문장입니다", "ｆｕｌｌ ｗｉｄｔｈ ＡＢＣ"]
    counts = [_spaceless_words(text) for text in texts]
    assert counts == [_spaceless_words_char_by_char(text) for text in texts]
    assert any(counts)  # wide letters were met


def test_frequent_words_are_those_counted_word_by_word(corpus) -> None:
    from storyline.reuse.settings import in_use

    assert [_frequent_words(p.article.text) for p in corpus] == [
        _frequent_words_word_by_word(p.article.text, in_use().frequent_words) for p in corpus]


def test_respelling_candidates_are_those_of_the_position_keys(corpus) -> None:
    import jellyfish

    names = sorted({w for p in corpus for w in _WORD.findall(p.article.text) if w[:1].isupper() and len(w) >= 4
                    and w.isalpha() and not w.isupper()})
    for words in (names, names[:40], ["Oduya", "Oduja", "Odouya", "Annna", "Aanna", "Banque", "Banqua"]):
        codes = {w: jellyfish.metaphone(w) for w in words}
        assert _respelling_candidates(words, codes) == _respelling_candidates_by_positions(words, codes)
    assert _inconsistent_names(_EXTRA["respelt.txt"])  # the pairs still lead to a sign


# --- stories: the corpus counts and the title-case test ------------------------------------------------


def _is_title_case_word_by_word(text: str) -> bool:
    words = [w for w in text.split() if w[:1].isalpha()]
    if len(words) < 3:
        return True
    return sum(1 for w in words if w[0].isupper()) / len(words) > 0.6


def _term_statistics_token_by_token(docs: Sequence[Prepared], with_content: bool) -> TermStatistics:
    """The counts as they were made: each token normalised where it stands."""
    lines = [(doc, [(position, token, heading) for text, heading in _lines_of(doc)
                    for position, token in enumerate(_TOKEN.findall(text))]) for doc in docs]
    every_token = [entry for _, entries in lines for entry in entries]
    anything = _AnyName()
    return TermStatistics(
        capitalised=Counter(_normal(token).lower() for position, token, heading in every_token
                            if token[0].isupper() and position > 0 and not heading),
        lower=Counter(_normal(token).lower() for _, token, _ in every_token if token[0].islower()),
        document_frequency=Counter(
            term for doc, entries in lines
            for term in {_term(token, anything) for _, token, _ in entries} - {None}
            | (set(_content_terms_word_by_word(doc)) if with_content else set())),
        documents=len(docs),
        site_lines=Counter(key for doc in docs for key in page_line_keys(doc)))


def _content_terms_word_by_word(doc: Prepared) -> Counter[str]:
    import re

    terms: Counter[str] = Counter()
    for text, _ in _lines_of(doc):
        terms.update("w:" + word.lower() for word in re.findall(r"[^\W\d_]{3,}", text))
    return terms


def test_title_case_is_decided_as_word_by_word(corpus) -> None:
    lines = [s.text for p in corpus for s in p.sentences] + ["A B", "Flood Warning For The Valley", "x 1 2 3"]
    decided = [_is_title_case(text) for text in lines]
    assert decided == [_is_title_case_word_by_word(text) for text in lines]
    assert True in decided and False in decided


@pytest.mark.parametrize("content_share", [0.0, 0.3])
def test_term_statistics_are_those_counted_token_by_token(corpus, content_share) -> None:
    settings = StorySettings(content_share=content_share, content_merge=0.0)
    with_content = settings.content_share > 0
    counted = term_statistics(corpus, settings)
    expected = _term_statistics_token_by_token(corpus, with_content)
    assert counted.capitalised == expected.capitalised and counted.capitalised
    assert counted.lower == expected.lower and counted.lower
    assert counted.document_frequency == expected.document_frequency
    assert counted.documents == expected.documents and counted.site_lines == expected.site_lines
    assert [_content_terms(p) for p in corpus] == [_content_terms_word_by_word(p) for p in corpus]


def _specific_terms_token_by_token(doc: Prepared, names: frozenset[str], limit: Optional[int],
                                   statistics: Optional[TermStatistics]) -> list[tuple[str, int]]:
    """The terms with their counts, in the order a count per token met them (the weights' norm sums in it)."""
    lines = _lines_of(doc, statistics)[:limit]
    every = [_term(token, names) for text, _ in lines
             if statistics is None or not statistics.is_boilerplate(doc, text) for token in _TOKEN.findall(text)]
    return list(Counter(term for term in every if term).items())


def test_specific_terms_are_counted_and_ordered_as_token_by_token(corpus) -> None:
    statistics = term_statistics(corpus)
    names = statistics.name_forms()
    for limit, given in ((None, statistics), (3, None), (None, None)):
        found = [list(_specific_terms(p, names, limit, statistics=given).items()) for p in corpus]
        assert found == [_specific_terms_token_by_token(p, names, limit, given) for p in corpus]
        assert any(len(terms) > 3 for terms in found)
