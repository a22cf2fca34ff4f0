"""The reuse stage's thresholds, each with what it was measured on.
"""

from __future__ import annotations

# --- thresholds ----------------------------------------------------------------

# Shingle Jaccard at which LSH should make two articles candidates. Excerpts of
# long texts fall below it, but they are found by the embedding neighbours.
CANDIDATE_JACCARD = 0.5
# Article-vector cosine above which a pair is a candidate. Same-story articles
# score 0.75-0.9 with multilingual USE and an article and its machine
# translation ~0.86; unrelated news ~0.2-0.5. Kept loose: alignment verifies.
CANDIDATE_COSINE = 0.6
# At most this many candidates per new article from each source (LSH,
# embeddings, shared names), the most similar first: a story reprinted a
# thousand times is still one source, and linking each reprint to its closest
# few keeps it one group without comparing every pair.
CANDIDATE_LIMIT = 30
# Members of one LSH bucket looked at per article before ranking: a bucket of
# ten thousand reprints costs each of them this much, not ten thousand.
BUCKET_SCAN_LIMIT = 256
# Shared names and numbers that make a candidate (see _anchors): at least this
# many, and this share of the smaller set. A name or number carried by more
# than ANCHOR_MAX_POSTING articles ("2024", a country) says little about one
# pair and would make the lookup cost grow with the corpus: it is skipped.
ANCHOR_CANDIDATE_SHARED = 4
ANCHOR_CANDIDATE_DICE = 0.3
ANCHOR_MAX_POSTING = 500

# Sentences shorter than this (bylines, "Advertisement", photo credits) match
# too easily by chance and are left out of alignment and coverage.
MIN_SENTENCE_WORDS = 4
# A sentence pair aligns at this combined similarity. Multilingual USE gives
# 0.75-0.9 for a sentence and its (machine) translation, 0.5-0.7 for two
# different sentences about the same facts, ~0.1-0.3 for unrelated ones.
SENTENCE_MATCH = 0.70
# When a text's language was not identified, two texts whose most frequent
# words (FREQUENT_WORDS of them) overlap less than this are taken to be in
# different languages: two texts in one language share most of theirs (the
# function words), two in different languages share almost none.
FREQUENT_WORDS = 20
DIFFERENT_LANGUAGE_WORDS = 0.2
# The same across languages, where only links in the same order in both
# texts are kept (see _relation).
CROSS_LANGUAGE_MATCH = 0.5
# A sentence matched to two adjacent sentences of the other text must beat
# either of them alone by this much: the pair's mean vector is closer to
# anything related to both halves, so a bare win proves nothing.
MERGE_GAIN = 0.05
# Word-set Dice at which an aligned sentence counts as copied verbatim
# (allows a changed word or two, or a different dateline).
VERBATIM_SENTENCE = 0.85
# A word counts as copied verbatim when it lies in a run of this many words
# that the other text has too: four words in a row rarely recur by chance.
VERBATIM_GRAM = 4

# Both texts copied verbatim almost whole.
DUPLICATE_COVERAGE = 0.9
# Most of the shorter text is copied verbatim...
EXCERPT_COVERAGE = 0.8
# ...and it is at most this share of the longer text's length.
EXCERPT_LENGTH_RATIO = 0.7
# Share of the shorter text (by characters) that must align for it to be the
# same content reworded or translated: half the sentences of an independent
# report on the same event rarely reach 0.7 cosine with another's.
REUSE_COVERAGE = 0.5
# Mean content-word overlap (Dice) of the aligned sentences below which they
# are reworded rather than copied. A machine translation back into the language
# of its source keeps many of its content words (0.4-0.75 measured), so only a
# copy with a few edits (above 0.8) is kept from being called a translation.
LOW_LEXICAL = 0.8
# Shared source by attribution: both texts attribute their reporting to the
# same name, and at least this many aligned sentence pairs carry the same
# facts (names, numbers) in the same order in both texts, with at least this
# many distinct facts among them. Two reports written independently may share
# a source's name, but not several of its sentences in its order.
SHARED_SOURCE_PAIRS = 2
SHARED_SOURCE_FACTS = 3
# Share of the fact-carrying aligned pairs that must keep the same order.
SHARED_SOURCE_ORDER = 0.6
# Translation from a language the embedding model does not cover: the names
# and numbers of the text with fewer of them must recur in the other in the
# same order (longest common subsequence) at least this much, with at least
# ANCHOR_MIN_COUNT of them, and the two texts' sentence counts within
# ANCHOR_LENGTH_RATIO of each other. Independent reports of one event share
# some names, rarely most of them in one order.
ANCHOR_TRANSLATION = 0.5
# This route is only for texts the embedding model cannot read: when its
# alignment covers less than this of both texts. A model that reads both
# languages and aligns a third of them or more has already said "not a
# translation" (two reports of one story in two languages share most names).
ANCHOR_ROUTE_ALIGNED = 0.3
ANCHOR_MIN_COUNT = 6
ANCHOR_LENGTH_RATIO = 0.6
# Related (same story, independently written): high article cosine and some
# aligned content. The stories stage decides membership; this only records it.
RELATED_COSINE = 0.75
# Machine translation needs several signs, of at least two kinds or three in
# all: any one of them is an occasional typo in a human text.
MT_MIN_SIGN_KINDS = 2
MT_MIN_SIGNS = 3
# Two capitalised words with the same first letter and sound (metaphone) and
# this letter similarity are one name spelt two ways: a transliterated surname
# spelt twice in one text scored 65-85 here, while two ordinary words that
# share a sound code (a month and a first name) scored 60.
SAME_SOUND_RATIO = 65.0
# Name similarity for a mangled rendering of a name in the aligned sentence.
MANGLED_NAME_RATIO = 75.0

# Kinds in which one text derives from the other (not shared-source, not related).
DERIVED_KINDS = frozenset({"duplicate", "excerpt", "rewrite", "translation"})
