"""Word2Vec training: planted structure, reproducibility, continued training, persistence, bad input."""

from __future__ import annotations

import numpy as np
import pytest

from seqlab import io
from seqlab.data import LineCorpus
from seqlab.embed import Embeddings, Word2Vec
from seqlab.exceptions import DataError, InvalidParameterError, NotFittedError


def planted_corpus(rng: np.random.Generator, n_clusters: int = 5, per_cluster: int = 8,
                   n_sentences: int = 1500, length: int = 10) -> tuple[list[list[str]], dict[str, int]]:
    """Sentences whose words all come from one hidden cluster."""
    cluster_of = {f"c{k}w{i}": k for k in range(n_clusters) for i in range(per_cluster)}
    words = np.array(sorted(cluster_of))
    members = [np.array([w for w in words if cluster_of[w] == k]) for k in range(n_clusters)]
    corpus = [list(rng.choice(members[rng.integers(n_clusters)], size=length)) for _ in range(n_sentences)]
    return corpus, cluster_of


def _neighbour_purity(wv: Embeddings, cluster_of: dict[str, int], k: int) -> float:
    hits = [cluster_of[n] == cluster_of[w] for w in wv.index_to_key for n, _ in wv.most_similar(w, topn=k)]
    return float(np.mean(hits))


@pytest.mark.parametrize("architecture,loss", [("skipgram", "negative"), ("cbow", "negative"),
                                               ("skipgram", "hierarchical"), ("cbow", "hierarchical")])
def test_planted_clusters_are_recovered(rng, architecture, loss):
    corpus, cluster_of = planted_corpus(rng)
    model = Word2Vec(architecture=architecture, loss=loss, vector_size=20, window=4, min_count=1, epochs=5,
                     sample=0, workers=2, seed=3).fit(corpus)
    # chance level is 7/39 = 0.18; calibrated: every variant scores >= 0.97 on seeds 0-4
    assert _neighbour_purity(model.wv, cluster_of, k=7) >= 0.9


def test_same_seed_one_worker_is_reproducible(rng):
    corpus, _ = planted_corpus(rng, n_sentences=200)
    a = Word2Vec(vector_size=10, min_count=1, epochs=2, workers=1, seed=7).fit(corpus)
    b = Word2Vec(vector_size=10, min_count=1, epochs=2, workers=1, seed=7).fit(corpus)
    c = Word2Vec(vector_size=10, min_count=1, epochs=2, workers=1, seed=8).fit(corpus)
    np.testing.assert_array_equal(a.input_vectors_, b.input_vectors_)
    assert not np.array_equal(a.input_vectors_, c.input_vectors_)


def test_vocabulary_ids_and_counts(rng):
    corpus = [["b", "a", "a", "c"], ["a", "b", "rare"]]
    model = Word2Vec(vector_size=4, min_count=2, epochs=1, workers=1).fit(corpus)
    assert model.vocabulary_.itos[:4] == ["<pad>", "<unk>", "<s>", "</s>"]
    assert model.wv.index_to_key == ["a", "b"]  # most frequent first; specials and rare words left out
    assert model.vocabulary_.counts == [3, 2]
    assert "<unk>" not in model.wv and all(w not in ("<pad>", "<unk>") for w, _ in model.wv.most_similar("a"))


def test_fit_streams_a_file_path(tmp_path, rng):
    corpus, cluster_of = planted_corpus(rng, n_sentences=600)
    path = tmp_path / "corpus.txt"
    path.write_text("\n".join(" ".join(s) for s in corpus) + "\n", encoding="utf-8")
    kw = dict(vector_size=16, window=4, min_count=1, epochs=4, sample=0, workers=1, seed=2)
    from_path = Word2Vec(**kw).fit(path)
    from_list = Word2Vec(**kw).fit(corpus)
    from_line_corpus = Word2Vec(**kw).fit(LineCorpus(path))
    np.testing.assert_array_equal(from_path.input_vectors_, from_list.input_vectors_)
    np.testing.assert_array_equal(from_line_corpus.input_vectors_, from_list.input_vectors_)


def test_continued_training_keeps_improving_and_can_grow_vocab(rng):
    corpus, cluster_of = planted_corpus(rng, n_sentences=300)
    model = Word2Vec(vector_size=16, window=4, min_count=1, epochs=1, sample=0, workers=1).fit(corpus)
    before = model.input_vectors_.copy()
    model.train(corpus, epochs=2)
    assert len(model.loss_history_) == 3 and not np.array_equal(before, model.input_vectors_)
    model.train([["brand", "new", "words"]] * 5 + corpus[:50], update_vocab=True, epochs=1)
    assert "brand" in model.wv and model.input_vectors_.shape[0] == len(model.vocabulary_) - 4
    np.testing.assert_array_equal(model.vocabulary_.itos[4:4 + len(before)], model.vocabulary_.itos[4:4 + len(before)])
    unknown_only = Word2Vec(vector_size=8, min_count=1, epochs=1, workers=1).fit([["x", "y"]] * 3)
    unknown_only.train([["never", "seen"]])  # unknown words are skipped, not an error
    assert unknown_only.wv.index_to_key == ["x", "y"]


def test_save_load_round_trip(tmp_path, rng):
    corpus, _ = planted_corpus(rng, n_sentences=100)
    for loss in ("negative", "hierarchical"):
        model = Word2Vec(loss=loss, vector_size=8, min_count=1, epochs=1, workers=1).fit(corpus)
        path = model.save(tmp_path / loss)
        back = io.load(path)
        assert isinstance(back, Word2Vec) and back.get_params() == model.get_params()
        np.testing.assert_array_equal(back.input_vectors_, model.input_vectors_)
        assert back.vocabulary_ == model.vocabulary_
        assert back.wv.most_similar("c0w0", topn=3) == model.wv.most_similar("c0w0", topn=3)
        back.train(corpus[:10])  # a loaded model can continue training
        assert isinstance(Embeddings.load(path), Embeddings)


def test_progress_bar_shows_rate_and_loss(capsys, rng):
    corpus, _ = planted_corpus(rng, n_sentences=100)
    Word2Vec(vector_size=8, min_count=1, epochs=1, workers=1).fit(corpus, progress=True)
    err = capsys.readouterr().err
    assert "word2vec" in err and "loss=" in err and "word/s" in err


# ---------------------------------------------------------------------- bad input
@pytest.mark.parametrize("corpus,match", [
    ([], "no tokens"),
    ([[], []], "no tokens"),
    (["a sentence as a str"], r"corpus\[0\] is a str.*split"),
    ("", "empty path"),
    ("/nonexistent/corpus.txt", "does not exist"),
])
def test_bad_corpus_is_refused(corpus, match):
    with pytest.raises(DataError, match=match):
        Word2Vec(min_count=1).fit(corpus)


def test_one_shot_generator_is_refused():
    gen = (s for s in [["a", "b"]] * 3)
    with pytest.raises(DataError, match="one-shot generator.*LineCorpus"):
        Word2Vec(min_count=1).fit(gen)


def test_all_words_below_min_count():
    with pytest.raises(DataError, match=r"No word occurs at least min_count=5 times.*'a'.*2 times"):
        Word2Vec(min_count=5).fit([["a", "b", "a"]])


@pytest.mark.parametrize("params,match", [
    ({"vector_size": 0}, "'vector_size' parameter of Word2Vec must be an int >= 1. Got 0"),
    ({"vector_size": -3}, "vector_size"),
    ({"architecture": "skip"}, "'skipgram' or 'cbow'"),
    ({"loss": "hierarchical", "negative": 5}, "negative=5 has no effect with loss='hierarchical'"),
    ({"window": 0}, "window"),
    ({"min_alpha": 0.5}, "min_alpha must be <= alpha"),
    ({"sample": 1.5}, "sample"),
])
def test_bad_hyperparameters(params, match):
    with pytest.raises(InvalidParameterError, match=match):
        Word2Vec(**params).fit([["a", "b"]] * 5)


def test_not_fitted():
    with pytest.raises(NotFittedError):
        _ = Word2Vec().wv


def test_embed_imports_without_torch():
    import subprocess
    import sys

    code = "import sys, seqlab.embed, seqlab.cli.embed; assert 'torch' not in sys.modules, 'torch was imported'"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_max_vocab_size_prunes_rare_words_while_counting():
    # 6 distinct words > max_vocab_size=3: words seen once are pruned (gensim's rule), "a" and "b" survive
    corpus = [["a", "a", "a", "b", "b", "c", "d", "e", "f"]]
    model = Word2Vec(vector_size=4, min_count=1, max_vocab_size=3, epochs=1, workers=1).fit(corpus)
    assert model.wv.index_to_key == ["a", "b"]
    assert Word2Vec(vector_size=4, min_count=1, epochs=1, workers=1).fit(corpus).wv.index_to_key[:2] == ["a", "b"]


def test_corpus_tokens_equal_to_specials_are_not_words():
    model = Word2Vec(vector_size=4, min_count=1, epochs=1, workers=1).fit([["<unk>", "a", "<s>", "b"]] * 3)
    assert model.wv.index_to_key == ["a", "b"]


def test_continued_training_schedule_follows_the_new_corpus(rng):
    corpus, _ = planted_corpus(rng, n_sentences=200)
    model = Word2Vec(vector_size=8, min_count=1, epochs=1, workers=1, sample=0).fit(corpus)
    seen: list[tuple[float, float]] = []
    original = model._alpha_at

    def spy(progress: float) -> float:
        value = original(progress)
        seen.append((progress, value))
        return value

    model._alpha_at = spy  # type: ignore[method-assign]
    model.train(corpus * 5, epochs=1)  # 5x the words of the first fit: alpha must still end at min_alpha
    assert seen[-1][0] == pytest.approx(1.0) and seen[-1][1] == pytest.approx(model.min_alpha)
    assert all(model.min_alpha - 1e-12 <= a <= model.alpha for _, a in seen)


def test_max_vocab_size_pruning_everything_is_an_error():
    with pytest.raises(DataError, match="max_vocab_size pruned every word"):
        Word2Vec(min_count=1, max_vocab_size=1).fit([["a", "b", "c"]])


def test_a_failing_worker_is_reported_not_hung(monkeypatch, rng):
    from seqlab.embed import word2vec as w2v_module

    def boom(*args, **kwargs):
        raise RuntimeError("kernel failed")

    monkeypatch.setattr(w2v_module._kernels, "train_chunk", boom)
    corpus, _ = planted_corpus(rng, n_sentences=3000)
    with pytest.raises(RuntimeError, match="kernel failed"):
        Word2Vec(vector_size=4, min_count=1, epochs=3, workers=2).fit(corpus)


def test_gensim_sg_spelling_selects_the_architecture():
    corpus = [["a", "b", "c", "a", "b"]] * 10
    cbow = Word2Vec(sg=0, vector_size=4, min_count=1, epochs=1, workers=1).fit(corpus)
    same = Word2Vec(architecture="cbow", vector_size=4, min_count=1, epochs=1, workers=1).fit(corpus)
    np.testing.assert_array_equal(cbow.input_vectors_, same.input_vectors_)
    with pytest.raises(InvalidParameterError, match="contradicts"):
        Word2Vec(sg=1, architecture="cbow").fit(corpus)


def test_initial_vectors_span_gensims_range():
    """gensim 4 starts every input vector uniform in [-1/D, 1/D) (``prep_vectors``); so does seqlab."""
    from seqlab.embed.word2vec import _initial_vectors

    v = _initial_vectors(np.random.default_rng(0), 2000, 50)
    assert v.dtype == np.float32 and v.shape == (2000, 50)
    assert v.min() >= -1 / 50 and v.max() < 1 / 50
    assert v.min() < -0.9 / 50 and v.max() > 0.9 / 50  # the full range, not word2vec.c's half


def test_learning_rate_follows_the_share_of_sentences_trained(monkeypatch, rng):
    """gensim's schedule: the rate falls with the sentences trained, not the words (they differ here).

    Long sentences first, then short ones: after the first job (all long sentences) a word-based
    schedule would already be far down, a sentence-based one has barely moved.
    """
    from seqlab.embed import word2vec as w2v_module

    words = [f"w{i}" for i in range(20)]
    corpus = [list(rng.choice(words, size=400)) for _ in range(60)] + [list(rng.choice(words, size=4))
                                                                      for _ in range(6000)]
    jobs: list[tuple[int, float, float]] = []
    original = w2v_module._kernels.train_chunk

    def spy(*args):  # type: ignore[no-untyped-def]
        jobs.append((len(args[4]) - 1, args[16], args[17]))  # (sentences, alpha_start, alpha_end)
        return original(*args)

    monkeypatch.setattr(w2v_module._kernels, "train_chunk", spy)
    model = Word2Vec(vector_size=4, min_count=1, epochs=2, workers=1, alpha=0.025, min_alpha=0.0001).fit(corpus)
    total = 2 * len(corpus)
    done = 0
    for n_sentences, a0, a1 in jobs:
        assert a0 == pytest.approx(model.alpha - (model.alpha - model.min_alpha) * done / total)
        done += n_sentences
        assert a1 == pytest.approx(model.alpha - (model.alpha - model.min_alpha) * done / total)
    assert done == total and jobs[-1][2] == pytest.approx(model.min_alpha)
    assert jobs[1][1] > 0.024  # 50 of 6060 sentences trained; a word-based one would be near 0.0198
