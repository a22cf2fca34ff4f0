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
