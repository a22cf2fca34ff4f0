"""The entities stage's settings: read from its defaults file, validated, and used by the rules (issue 15, item 4)."""

from __future__ import annotations

import json
from dataclasses import asdict, fields

import numpy as np
import pytest

from storyline.entities import EntitySettings, resolve_entities
from storyline.entities.settings import DEFAULTS_PATH
from storyline.model import Article, Mention, Prepared
from storyline.prepare import split_sentences


def test_every_setting_comes_from_the_defaults_file_with_its_source() -> None:
    shipped = json.loads(DEFAULTS_PATH.read_text(encoding="utf-8"))
    names = {field.name for field in fields(EntitySettings)}
    assert names == {key for key in shipped if not key.startswith("_")}
    assert names == set(shipped["_source"])  # each value says where it came from
    assert all(shipped["_source"][name].strip() for name in names)
    assert asdict(EntitySettings()) == {name: shipped[name] for name in names}


def test_a_settings_file_round_trips(tmp_path) -> None:
    changed = EntitySettings.from_mapping({"single_fuzzy_ratio": 90, "neighbourhood": 5})
    path = tmp_path / "entities.json"
    path.write_text(json.dumps(asdict(changed)))
    assert EntitySettings.from_file(path) == changed != EntitySettings()


@pytest.mark.parametrize("values", [
    {"single_fuzzy_ratio": 120},
    {"aligned_min_score": 1.5},
    {"token_fuzzy_min_chars": 0},
    {"all_pairs_block": 1},
    {"neighbourhood": 0},
    {"head_word_weight": -1},
    {"multi_word_ratio": "high"},
    {"no_such_setting": 1},
])
def test_a_value_that_makes_no_sense_is_refused_with_its_name(values) -> None:
    with pytest.raises(ValueError, match=next(iter(values))):
        EntitySettings.from_mapping(values)


def _article(article_id: str, text: str, names: list[str]) -> tuple[Prepared, list[Mention]]:
    article = Article(id=article_id, source=f"{article_id}.txt", text=text)
    prepared = Prepared(article=article, language="en", sentences=split_sentences(text),
                        vector=np.zeros(4, np.float32), sentence_vectors=np.zeros((0, 4), np.float32), minhash=None)
    mentions = [Mention(article_id, (text.index(name), text.index(name) + len(name)), name, "ORG") for name in names]
    return prepared, mentions


def test_the_rules_read_the_settings_they_are_given() -> None:
    # Two spellings of one organisation in two articles of one story: alike enough for the shipped
    # one-word threshold, not for a stricter one.
    first, first_mentions = _article("a", "Ingvarsdottir opened the hall on Monday.", ["Ingvarsdottir"])
    second, second_mentions = _article("b", "Ingvarsdotir opened the hall on Monday.", ["Ingvarsdotir"])
    mentions = {"a": first_mentions, "b": second_mentions}
    assert len(resolve_entities(mentions, [first, second])) == 1
    strict = EntitySettings(single_fuzzy_ratio=99, single_phonetic_ratio=99)
    assert len(resolve_entities(mentions, [first, second], settings=strict)) == 2
