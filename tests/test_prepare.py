import numpy as np

from storyline.model import Article
from storyline.prepare import detect_language, prepare, split_sentences


def texts(text):
    return [s.text for s in split_sentences(text)]


def test_sentences_keep_offsets_and_respect_lines():
    text = "Headline Without Stop\nDr. Smith said it. The U.S. State Dept. agreed!  Then J.D. Vance spoke."
    sentences = split_sentences(text)
    assert [s.text for s in sentences] == [
        "Headline Without Stop", "Dr. Smith said it.", "The U.S. State Dept. agreed!", "Then J.D. Vance spoke."]
    assert all(text[s.start:s.end] == s.text for s in sentences)


def test_full_width_punctuation_ends_sentences():
    assert texts("東京で会議が開かれた。首相が演説した！本当か？") == ["東京で会議が開かれた。", "首相が演説した！", "本当か？"]


def test_language_is_detected_or_left_unknown():
    assert detect_language("The council approved the new budget after a long debate on Tuesday.") == "en"
    assert detect_language("El consejo aprobó el nuevo presupuesto tras un largo debate el martes.") == "es"
    assert detect_language("ok") is None


def test_prepare_gives_unit_vectors_per_sentence_and_article(embedder):
    [prepared] = prepare([Article(id="a-1", source="x", text="One sentence here. Another one there.")], embedder)
    assert len(prepared.sentences) == 2 and prepared.sentence_vectors.shape == (2, embedder.dimensions)
    assert np.allclose(np.linalg.norm(prepared.sentence_vectors, axis=1), 1.0, atol=1e-4)
    assert abs(np.linalg.norm(prepared.vector) - 1.0) < 1e-4
    assert prepared.language == "en" and prepared.minhash.dtype == np.uint32


class _CountingEmbedder:
    """The test embedder, recording which sentences it was asked to encode."""

    def __init__(self, inner):
        self.inner, self.name, self.dimensions = inner, inner.name, inner.dimensions
        self.seen: list[str] = []

    def encode(self, texts):
        self.seen.extend(texts)
        return self.inner.encode(texts)


def test_a_sentence_shared_by_several_articles_is_embedded_once(embedder):
    wire = "Flood waters closed the coastal road on Monday.\nCrews expect to reopen it by Friday."
    articles = [Article(id="a-1", source="wire", text=wire),
                Article(id="a-2", source="reprint", text=wire),
                Article(id="a-3", source="local", text="Flood waters closed the coastal road on Monday.\nSchools stay shut.")]
    counting = _CountingEmbedder(embedder)
    first, reprint, local = prepare(articles, counting)
    assert sorted(counting.seen) == sorted({"Flood waters closed the coastal road on Monday.",
                                            "Crews expect to reopen it by Friday.", "Schools stay shut."})
    assert np.array_equal(first.sentence_vectors, reprint.sentence_vectors)
    assert np.array_equal(first.sentence_vectors[0], local.sentence_vectors[0])
    [alone] = prepare([articles[2]], embedder)
    assert np.allclose(alone.sentence_vectors, local.sentence_vectors, atol=1e-6)
