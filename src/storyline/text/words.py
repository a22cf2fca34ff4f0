"""Words: the tokeniser, the stop-word list and the name rules every stage shares."""

from __future__ import annotations

import re


WORD_PATTERN = re.compile(r"[\w'’-]+")
STOP_WORDS = frozenset("""
a an the of in on at to for from by with and or but as is are was were be been being has have had do does did
who whom which that this these those it its their them they he she his her we our you your i me my
not no than then so such into onto over under about after before during since while per each other more most
across among between against toward towards within without via around up down out off
""".split())
DETERMINERS = frozenset("""
the a an this that these those it its he she they we i you his her their our there here however meanwhile
moreover furthermore additionally instead if when while as after before although though but and or so yet
under one some many most all any each both either neither last earlier later amid despite since until
""".split())


def split_words(text: str) -> list[str]:
    return WORD_PATTERN.findall(text)


def singular(word: str) -> str:
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("s") and not word.endswith("ss") and len(word) > 3:
        return word[:-1]
    return word



def content_words(text: str) -> list[str]:
    return [w.lower().replace("’", "'") for w in split_words(text) if w.lower() not in STOP_WORDS]
