"""``storyline dedup`` and its core: MinHash LSH candidates, verified pairs, groups."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from storyline import fingerprint
from conftest import run_cli
from storyline.dedup import dedup_texts, find_near_duplicates, read_corpus
from storyline.fingerprint import candidate_probability, lsh_bands, minhash, shingle_hashes, token_hashes

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "dedup"
COUNCIL = (FIXTURES / "council.txt").read_text(encoding="utf-8")
EDITED = (FIXTURES / "council-edited.txt").read_text(encoding="utf-8")
HARBOUR = (FIXTURES / "harbour.txt").read_text(encoding="utf-8")


run = run_cli


def exact_jaccard(a: str, b: str) -> float:
    sa, sb = set(shingle_hashes(token_hashes(a)).tolist()), set(shingle_hashes(token_hashes(b)).tolist())
    return len(sa & sb) / len(sa | sb)


# --- fingerprints -------------------------------------------------------------------


def test_tokens_are_the_words_python_finds():
    text = "Hello WORLD, it's a_test — naïve Émile 東京 x2 “quoted” 😀 end"
    words = re.findall(r"\w+", text.lower())
    hashes = token_hashes(text)
    assert len(hashes) == len(words)
    # Equal words hash equally, different words differently.
    assert token_hashes("Word word WORD").tolist() == [token_hashes("word")[0]] * 3
    assert len(set(hashes.tolist())) == len(set(words))


def test_signature_estimates_jaccard():
    assert (minhash(COUNCIL) == minhash(COUNCIL)).all()
    estimate = fingerprint.estimated_jaccard(minhash(COUNCIL), minhash(EDITED))
    assert abs(estimate - exact_jaccard(COUNCIL, EDITED)) < 0.12
    assert fingerprint.estimated_jaccard(minhash(COUNCIL), minhash(HARBOUR)) < 0.1
    assert (minhash("!!! ...") == fingerprint.EMPTY_VALUE).all()


def test_signatures_of_json_string_bodies_match_decoded_text():
    texts = [COUNCIL, "Caf\u00e9 \u201cquoted\u201d line\nbreak tab\there \\ slash / and \U0001F600 emoji x\u00e9y",
             "surrogate pair \U0001F600 lone \ud800 surrogate and CAPITALS \u00c9COLE"]
    encoded = [json.dumps(text, ensure_ascii=ascii_only)[1:-1].encode("utf-8", "surrogatepass")
               for text in texts for ascii_only in (True, False)]
    buffer = np.frombuffer(b"".join(encoded), dtype=np.uint8)
    ends = np.cumsum([len(part) for part in encoded])
    out = np.empty((len(encoded), fingerprint.NUM_PERM), dtype=np.uint32)
    fingerprint.signatures_of_spans(buffer, ends - [len(part) for part in encoded], ends, out, json_escapes=True)
    expected = fingerprint.signatures([text for text in texts for _ in (True, False)])
    assert (out == expected).all()


def test_lsh_layout_finds_pairs_of_jaccard_0_6_for_threshold_0_5():
    bands, rows = lsh_bands(0.5)
    assert bands * rows <= fingerprint.NUM_PERM
    for jaccard in (0.6, 0.7, 0.8, 0.9):
        assert candidate_probability(jaccard, bands, rows) >= 0.99
    # and it still leaves out most unrelated pairs
    assert candidate_probability(0.1, bands, rows) < 0.1


@pytest.mark.parametrize("bad", [0, 1, -0.2, 1.5])
def test_threshold_outside_0_1_is_refused(bad):
    with pytest.raises(ValueError, match="between 0 and 1"):
        lsh_bands(bad)


# --- the core ----------------------------------------------------------------------------


def test_exact_and_near_duplicates_found_unrelated_not_paired():
    result = dedup_texts([COUNCIL, COUNCIL, EDITED, HARBOUR], 0.5)
    pairs = {tuple(pair) for pair in result.pairs.tolist()}
    assert pairs == {(0, 1), (0, 2), (1, 2)}
    similarity = dict(zip(map(tuple, result.pairs.tolist()), result.similarities.tolist()))
    assert similarity[(0, 1)] == 1.0
    assert 0.5 <= similarity[(0, 2)] < 1.0
    assert result.groups == [[0, 1, 2]]


def _signature(base: int, *runs: tuple[int, int, int], width: int = 128) -> np.ndarray:
    """Distinct values from ``base``, with each run (start, end, value) overwritten."""
    signature = np.arange(base, base + width, dtype=np.uint32)
    for start, end, value in runs:
        signature[start:end] = value
    return signature


def test_chain_of_bucket_collisions_does_not_join_unrelated_documents():
    # A and B share band 0 only, B and C band 1 only: both are candidates, neither is similar.
    a = _signature(1000, (0, 4, 7))
    b = _signature(2000, (0, 4, 7), (4, 8, 9))
    c = _signature(3000, (4, 8, 9))
    result = find_near_duplicates(np.stack([a, b, c]), 0.5, bands_rows=(32, 4))
    assert result.candidates_checked == 2
    assert len(result.pairs) == 0
    assert result.groups == []


def test_groups_are_components_of_verified_pairs_only():
    # A~B and B~C are similar (80 of 128 values equal), A and C are not (32 of 128):
    # A-C is not a pair, though all three are one group.
    a = _signature(1000, (0, 48, 1), (48, 80, 2))
    b = _signature(2000, (0, 48, 1), (48, 80, 2))
    c = _signature(3000, (48, 80, 2))
    c[80:] = b[80:]
    result = find_near_duplicates(np.stack([a, b, c]), 0.5)
    assert fingerprint.estimated_jaccard(a, c) == 0.25
    pairs = dict(zip(map(tuple, result.pairs.tolist()), result.similarities.tolist()))
    assert pairs == {(0, 1): 0.625, (1, 2): 0.625}
    assert result.groups == [[0, 1, 2]]


def test_texts_without_words_are_left_out():
    result = dedup_texts(["...", "!!!", COUNCIL], 0.5)
    assert len(result.pairs) == 0


# --- reading ------------------------------------------------------------------------------


def test_jsonl_names_and_skipped_records():
    skipped = []
    corpus = read_corpus([FIXTURES / "records.jsonl"], on_skip=skipped.append)
    usable = corpus.usable()
    names = [corpus.name(row) for row in range(len(corpus)) if usable[row]]
    path = str(FIXTURES / "records.jsonl")
    assert names == ["wire-1", "wire-2", f"{path}:3", "42"]
    reasons = {item.source: item.reason for item in skipped}
    assert "malformed JSON on line 4" in reasons[f"{path}:4"]
    assert "not an article object" in reasons[f"{path}:5"]
    assert "no text" in reasons[f"{path}:6"]
    assert "duplicate id 'wire-1'" in reasons[f"{path}:7"]
    assert len(skipped) == 4


def test_native_and_python_record_parsing_agree(tmp_path):
    # Lines the native parser accepts and lines it hands to Python give the same signature.
    records = [
        {"id": "plain", "text": COUNCIL},
        {"id": "escaped", "text": COUNCIL.replace(" ", "\n", 3)},
        {"id": "listed", "text": [COUNCIL[:200], COUNCIL[200:]]},  # a list of strings: Python joins it
        {"id": "  padded  ", "TEXT": COUNCIL},
        {"id": "nested", "meta": {"a": [1, 2.5e3, None, True, {"b": "c"}]}, "body": COUNCIL},
    ]
    path = tmp_path / "r.jsonl"
    path.write_text("\n".join(json.dumps(record, ensure_ascii=i % 2 == 0) for i, record in enumerate(records)) + "\n",
                    encoding="utf-8")
    corpus = read_corpus([path], signature_bits=32)
    assert [corpus.name(row) for row in range(len(corpus))] == ["plain", "escaped", "listed", "padded", "nested"]
    expected = fingerprint.signatures([COUNCIL, COUNCIL.replace(" ", "\n", 3), COUNCIL[:200] + "\n" + COUNCIL[200:],
                                       COUNCIL, COUNCIL])
    assert (corpus.signatures == expected).all()


def test_same_id_in_two_files_is_named_by_file(tmp_path):
    for name in ("one.jsonl", "two.jsonl"):
        (tmp_path / name).write_text(json.dumps({"id": "x", "text": COUNCIL}) + "\n", encoding="utf-8")
    corpus = read_corpus([tmp_path])
    assert sorted(corpus.name(row) for row in range(len(corpus))) == [
        f"{tmp_path / 'one.jsonl'}#id=x", f"{tmp_path / 'two.jsonl'}#id=x"]


# --- the command ------------------------------------------------------------------------------


def test_dedup_command_prints_groups_and_writes_pairs(capsys, tmp_path):
    out = tmp_path / "pairs.jsonl"
    code, stdout, stderr = run(capsys, "dedup", FIXTURES / "council.txt", FIXTURES / "council-copy.txt",
                               FIXTURES / "council-edited.txt", FIXTURES / "harbour.txt", "--jsonl", out)
    assert code == 0, stderr
    pairs = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    named = {(pair["a"], pair["b"]): pair["similarity"] for pair in pairs}
    council, copy = str(FIXTURES / "council.txt"), str(FIXTURES / "council-copy.txt")
    edited = str(FIXTURES / "council-edited.txt")
    assert set(named) == {(council, copy), (council, edited), (copy, edited)}
    assert named[(council, copy)] == 1.0
    assert "group 1: 3 documents" in stdout
    assert str(FIXTURES / "harbour.txt") not in stdout
    assert "4 documents read, 0 skipped: 3 pairs" in stdout


def test_dedup_command_on_bad_input_goes_on_and_exits_1(capsys, tmp_path):
    code, stdout, stderr = run(capsys, "dedup", FIXTURES / "records.jsonl", FIXTURES / "council.txt",
                               tmp_path / "missing.txt", "--quiet", "--jsonl", "-")
    assert code == 1
    pairs = [json.loads(line) for line in stdout.splitlines()]
    assert {(pair["a"], pair["b"]) for pair in pairs} == {
        ("wire-1", "wire-2"), ("wire-1", str(FIXTURES / "council.txt")), ("wire-2", str(FIXTURES / "council.txt"))}
    lines = stderr.splitlines()
    assert f"skipped {tmp_path / 'missing.txt'}: no such file or directory" in lines
    assert sum(line.startswith("skipped ") and ": " in line for line in lines) == 5
    assert "5 documents read, 5 skipped" in stderr


def test_dedup_command_refuses_a_bad_threshold(capsys):
    code, _, stderr = run(capsys, "dedup", FIXTURES / "council.txt", "--threshold", "1.5")
    assert code == 2
    assert "similarity threshold must be between 0 and 1" in stderr


def test_one_banding_for_reuse_dedup_and_spark():
    """The buckets of ``similarity.buckets`` are exactly the groups of equal band values, and one
    signature's keys (Spark's shuffle keys) are the matrix's keys (reuse's), whose high halves dedup keeps."""
    from storyline.similarity import band_keys, band_keys_into, buckets, signature_band_keys, with_words

    rng = np.random.default_rng(7)
    signatures = rng.integers(0, 4, size=(300, 12)).astype(np.uint32)  # few values: many shared bands
    signatures[5] = 0xFFFFFFFF  # a text without words: in no bucket
    bands, rows = 4, 3
    usable = with_words(signatures)
    assert not usable[5] and usable.sum() == 299
    members = np.flatnonzero(usable)
    keys = band_keys(signatures, 0, bands, rows, usable)
    for band in range(bands):
        by_values: dict[bytes, list[int]] = {}
        for row in members.tolist():
            by_values.setdefault(signatures[row, band * rows:(band + 1) * rows].tobytes(), []).append(row)
        expected = sorted(group for group in by_values.values() if len(group) >= 2)
        found = sorted(bucket.tolist() for bucket in buckets(keys[band], members))
        assert found == expected and expected
    assert signature_band_keys(signatures[9], bands, rows) == keys[:, 9].tolist()
    assert signature_band_keys(signatures[5], bands, rows) == []
    halves = np.zeros((bands, len(signatures)), dtype=np.uint32)
    band_keys_into(signatures, usable, 0, rows, halves, 32)
    assert np.array_equal(halves[:, usable], (keys[:, usable] >> np.uint64(32)).astype(np.uint32))
