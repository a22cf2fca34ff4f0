"""The store's reads made cheaper (issue 18) give what the reads they replace gave.

``StoreReads.claims`` takes each stored claims result's two lists out with SQLite instead of
decoding the whole result (whose event sub-claims are most of its size); the route it replaced
is written out here.
"""

from __future__ import annotations

from storyline.model import Claim, ClaimEvent, Evidence, Omission
from storyline.store import Store, open_store
from storyline.store.reads import _claim


def _claims_by_whole_decode(store: Store) -> tuple[list[Claim], list[Omission]]:
    """``StoreReads.claims`` before issue 18: every stored result decoded whole."""
    claims: list[Claim] = []
    omissions: list[Omission] = []
    for payload in store.story_results("claims").values():
        claims.extend(_claim(c) for c in payload["claims"])
        omissions.extend(Omission(**o) for o in payload["omissions"])
    return claims, omissions


def _claim_of(story: str, number: int, text: str, score: float) -> Claim:
    evidence = Evidence(article=f"{story}-a{number}", span=(3, 40), sentence=text, wording=text[:12],
                        attributed_to="the mayor", markers=("slammed",), hedges=("reportedly",), quotes=("non",))
    return Claim(id=f"{story}-c{number}", story=story, text=text, kind="quote", speaker="Elena Ruiz",
                 articles=[f"{story}-a{number}"], status="corroborated", independent_sources=2, conflicts=[],
                 evidence=[evidence], markers=["slammed"], checkworthiness=score, sources=[evidence.article],
                 events=[f"{story}-e1"])


def test_claims_are_those_a_whole_decode_reads(tmp_path) -> None:
    # Wordings JSON escapes or keeps as they are, and numbers whose text a re-rendering could change.
    texts = ['Le maire a dit «non» — "jamais".', "line\nbreak\tand \\ backslash", "emoji 🗞 and \u2028 separator",
             "plain words"]
    scores = [0.1, 1e-7, 0.30000000000000004, 2.5e+300]
    with open_store(tmp_path / "s.db") as store:
        for index, story in enumerate(["s2", "s1", "s3"]):  # stored out of order: read back by story id
            claims = [_claim_of(story, n, texts[(n + index) % 4], scores[(n + index) % 4]) for n in range(3)]
            event = ClaimEvent(id=f"{story}-e1", story=story, lemma="say", text="said no", articles=[claims[0].articles[0]],
                               mentions=claims[0].evidence, claims=[claims[0].id])
            omissions = [Omission(story=story, article=f"{story}-a9", claims=[claims[1].id])] if index != 1 else []
            store.save_story_result(story, "claims", f"key-{story}", {"claims": claims, "omissions": omissions,
                                                                       "events": [event] * 5})
        store.save_story_result("s1", "timeline", "key", [])  # another stage's result is not read as claims
        expected = _claims_by_whole_decode(store)
        assert store.claims() == expected
        assert [c.story for c in expected[0]] == ["s1"] * 3 + ["s2"] * 3 + ["s3"] * 3
        assert len(expected[1]) == 2


def test_no_stored_claims_read_as_none(tmp_path) -> None:
    with open_store(tmp_path / "s.db") as store:
        assert store.claims() == ([], [])
