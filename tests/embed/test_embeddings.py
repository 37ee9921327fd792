"""Embeddings queries: hand-worked cases, gensim parity of queries and evaluation, torch export."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from seqlab.data import Vocabulary
from seqlab.embed import Embeddings, UnknownWordError
from seqlab.exceptions import DataError, FormatError, InvalidParameterError

WORDS = ["king", "queen", "man", "woman", "apple"]
VECS = np.array([[1, 1, 0, 0], [1, 0, 1, 0], [0, 1, 0, 0.1], [0, 0, 1, 0.1], [0, 0, 0, 1]], dtype=np.float32)


@pytest.fixture
def emb() -> Embeddings:
    return Embeddings(WORDS, VECS, counts=[50, 40, 30, 20, 10])


def test_lookup_and_contains(emb):
    np.testing.assert_array_equal(emb["queen"], VECS[1])
    assert emb[["man", "king"]].shape == (2, 4)
    assert "king" in emb and "King" not in emb and len(emb) == 5 and emb.vector_size == 4


def test_unknown_word_names_it_and_suggests(emb):
    with pytest.raises(UnknownWordError, match=r"Word 'kin' is not in the vocabulary \(5 words\); did you mean 'king'"):
        emb["kin"]
    with pytest.raises(KeyError):  # also a KeyError, like a dict
        emb.similarity("zzzzzz", "king")


def test_hand_worked_similarity_and_analogy(emb):
    # cos(king, queen) = (1*1) / (sqrt2 * sqrt2) = 0.5
    assert emb.similarity("king", "queen") == pytest.approx(0.5, abs=1e-6)
    # king - man + woman: unit vectors give (0.707, 0.707-0.995, 0.995, -0.099+0.099) -> queen best
    assert emb.analogy("man", "king", "woman") == "queen"
    assert emb.analogy("man", "king", "woman", method="3cosmul") == "queen"
    assert emb.doesnt_match(["king", "queen", "man", "apple"]) == "apple"
    # cos(king, man) = 1 / (sqrt2 * sqrt1.01) = 0.7036 > cos(king, queen) = 0.5 > cos(king, woman) = 0
    top = emb.most_similar("king", topn=2)
    assert [w for w, _ in top] == ["man", "queen"]
    assert top[0][1] == pytest.approx(1 / np.sqrt(2 * 1.01), abs=1e-6)
    assert emb.similar_by_vector(VECS[4], topn=1)[0][0] == "apple"  # a raw vector excludes nothing


def test_unit_vector_cache_is_reused(emb):
    assert emb.unit_vectors is emb.unit_vectors
    np.testing.assert_allclose(np.linalg.norm(emb.unit_vectors, axis=1), 1.0, rtol=1e-6)


def test_bad_queries(emb):
    with pytest.raises(InvalidParameterError, match="method"):
        emb.most_similar("king", method="3cosfoo")
    with pytest.raises(InvalidParameterError, match="at least one"):
        emb.most_similar()
    with pytest.raises(DataError, match="unique"):
        Embeddings(["a", "a"], np.zeros((2, 3)))


@pytest.mark.reference
@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # gensim most_similar_cosmul calls init_sims
def test_most_similar_matches_gensim(rng):
    kv_mod = pytest.importorskip("gensim.models.keyedvectors")
    words = [f"w{i}" for i in range(300)]
    vecs = rng.normal(size=(300, 16)).astype(np.float32)
    ours = Embeddings(words, vecs)
    ref = kv_mod.KeyedVectors(16)
    ref.add_vectors(words, vecs)
    for pos, neg in ((["w1"], []), (["w1", "w2"], ["w3"]), (["w10", "w20", "w30"], ["w40", "w50"])):
        got = ours.most_similar(pos, neg, topn=10)
        exp = ref.most_similar(positive=pos, negative=neg, topn=10)
        assert [w for w, _ in got] == [w for w, _ in exp]
        got = ours.most_similar(pos, neg, topn=10, method="3cosmul")
        exp = ref.most_similar_cosmul(positive=pos, negative=neg, topn=10)
        assert [w for w, _ in got] == [w for w, _ in exp]
        np.testing.assert_allclose([s for _, s in got], [s for _, s in exp], rtol=1e-4)
    assert ours.doesnt_match(["w1", "w2", "w3", "w4"]) == ref.doesnt_match(["w1", "w2", "w3", "w4"])


def _analogy_file(tmp_path: Path, rng: np.random.Generator, words: list[str]) -> Path:
    lines = []
    for s in range(3):
        lines.append(f": section-{s}")
        for _ in range(60):
            quad = rng.choice(words, size=4, replace=False)
            lines.append(" ".join(quad))
        lines.append("Unknownword w1 w2 w3")
    path = tmp_path / "questions.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.reference
def test_evaluate_analogies_matches_gensim(tmp_path, rng):
    kv_mod = pytest.importorskip("gensim.models.keyedvectors")
    # two case variants make the case folding and the ignore rule matter
    words = [f"w{i}" for i in range(120)] + ["W5", "W7"]
    base = rng.normal(size=(20, 8))
    vecs = (base[rng.integers(0, 20, size=len(words))] + 0.3 * rng.normal(size=(len(words), 8))).astype(np.float32)
    path = _analogy_file(tmp_path, rng, words[:120])
    ours = Embeddings(words, vecs)
    ref = kv_mod.KeyedVectors(8)
    ref.add_vectors(words, vecs)
    for restrict in (100, 300):
        got = ours.evaluate_analogies(path, restrict_vocab=restrict)
        score, sections = ref.evaluate_word_analogies(str(path), restrict_vocab=restrict)
        assert got["accuracy"] == pytest.approx(score, abs=1e-12)
        assert sections[-1]["section"] == "Total accuracy"
        for mine, theirs in zip(got["sections"], sections[:-1], strict=True):
            assert mine["correct"] == len(theirs["correct"])
            assert mine["covered"] == len(theirs["correct"]) + len(theirs["incorrect"])
        assert got["questions"] == 183 and got["coverage"] == pytest.approx(got["covered"] / 183)


@pytest.mark.reference
def test_evaluate_similarity_matches_gensim(tmp_path, rng):
    kv_mod = pytest.importorskip("gensim.models.keyedvectors")
    words = [f"w{i}" for i in range(50)]
    vecs = rng.normal(size=(50, 8)).astype(np.float32)
    lines = ["# a comment", "# another"]
    lines += [f"{a}\t{b}\t{rng.integers(0, 10)}" for a, b in rng.choice(words, size=(80, 2))]
    lines += ["w1\tnotaword\t3.0"]
    path = tmp_path / "pairs.tsv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    ours = Embeddings(words, vecs).evaluate_similarity(path)
    ref = kv_mod.KeyedVectors(8)
    ref.add_vectors(words, vecs)
    pearson, spearman, oov = ref.evaluate_word_pairs(str(path))
    assert ours["spearman"] == pytest.approx(spearman[0], abs=1e-9)  # integer scores: ties are exercised
    assert ours["pearson"] == pytest.approx(pearson[0], abs=1e-6)
    assert 100 * (1 - ours["coverage"]) == pytest.approx(oov, abs=1e-9)


def test_evaluation_file_errors(tmp_path, emb):
    bad = tmp_path / "bad.txt"
    bad.write_text("king queen man woman\n", encoding="utf-8")
    with pytest.raises(FormatError, match="before any ': section' header"):
        emb.evaluate_analogies(bad)
    with pytest.raises(DataError, match="does not exist"):
        emb.evaluate_similarity(tmp_path / "missing.tsv")
    bad.write_bytes(b"king\tqu\xffeen\t3\n")
    with pytest.raises(FormatError, match="line 1 is not valid UTF-8"):
        emb.evaluate_similarity(bad)


def test_to_torch_aligns_to_a_vocabulary(emb):
    torch = pytest.importorskip("torch")
    vocab = Vocabulary(["queen", "unseen", "king"])
    layer = emb.to_torch(vocab)
    assert isinstance(layer, torch.nn.Embedding) and layer.weight.shape == (len(vocab), 4)
    assert not layer.weight.requires_grad and layer.padding_idx == 0
    np.testing.assert_array_equal(layer.weight[vocab["queen"]].numpy(), VECS[1])
    np.testing.assert_array_equal(layer.weight[vocab["king"]].numpy(), VECS[0])
    assert (layer.weight[0] == 0).all(), "<pad> row is zeros"
    assert layer.weight[vocab["unseen"]].abs().sum() > 0, "missing words get a random row"
    assert emb.to_torch(vocab, freeze=False).weight.requires_grad
    default = emb.to_torch()
    assert default.weight.shape == (4 + len(emb), 4)


def test_projection_and_plot(tmp_path, emb):
    xy = emb.project_2d(WORDS)
    assert xy.shape == (5, 2)
    np.testing.assert_allclose(xy.mean(axis=0), 0.0, atol=1e-9)  # PCA coordinates are centred
    pytest.importorskip("matplotlib")
    out = tmp_path / "plot.png"
    emb.plot(WORDS, path=out, arrows=[("man", "woman"), ("king", "queen")])
    assert out.stat().st_size > 1000


def test_own_format_round_trip(tmp_path, emb):
    path = emb.save(tmp_path / "emb")
    back = Embeddings.load(path)
    assert back.index_to_key == emb.index_to_key and back.counts == emb.counts
    np.testing.assert_array_equal(back.vectors, emb.vectors)
