"""The compiled kernels against hand-derived values and torch autograd."""

from __future__ import annotations

import math

import numpy as np
import pytest

from seqlab.embed import Word2Vec, _kernels
from seqlab.embed.word2vec import alias_table, huffman_paths, subsample_thresholds


def _weights(rng: np.random.Generator, v: int = 7, d: int = 5) -> tuple[np.ndarray, np.ndarray]:
    syn0 = rng.normal(0, 0.5, size=(v, d)).astype(np.float32)
    syn1 = rng.normal(0, 0.5, size=(v, d)).astype(np.float32)
    return syn0, syn1


def test_sgns_step_matches_autograd(rng):
    torch = pytest.importorskip("torch")
    syn0, syn1neg = _weights(rng)
    inp, target, negs, alpha = 2, 4, np.array([1, 5, 6]), 0.1
    w0 = torch.tensor(syn0, requires_grad=True)
    w1 = torch.tensor(syn1neg, requires_grad=True)
    h = w0[inp]
    loss = -torch.nn.functional.logsigmoid(h @ w1[target]) - torch.nn.functional.logsigmoid(-(w1[negs] @ h)).sum()
    loss.backward()
    got_loss = _kernels.sg_pair_step(syn0, syn1neg, inp, target, negs, alpha)
    assert got_loss == pytest.approx(loss.item(), rel=1e-5)
    np.testing.assert_allclose(syn0, (w0 - alpha * w0.grad).detach().numpy(), atol=1e-6, rtol=0)
    np.testing.assert_allclose(syn1neg, (w1 - alpha * w1.grad).detach().numpy(), atol=1e-6, rtol=0)


def test_sgns_negative_equal_to_target_is_skipped(rng):
    syn0, syn1neg = _weights(rng)
    a0, a1 = syn0.copy(), syn1neg.copy()
    b0, b1 = syn0.copy(), syn1neg.copy()
    _kernels.sg_pair_step(a0, a1, 2, 4, np.array([4, 5]), 0.1)   # 4 == target: skipped (word2vec.c)
    _kernels.sg_pair_step(b0, b1, 2, 4, np.array([5]), 0.1)
    np.testing.assert_array_equal(a0, b0)
    np.testing.assert_array_equal(a1, b1)


@pytest.mark.parametrize("cbow_mean", [True, False])
def test_cbow_step_matches_autograd(rng, cbow_mean):
    torch = pytest.importorskip("torch")
    syn0, syn1neg = _weights(rng)
    context, target, negs, alpha = np.array([0, 3, 5]), 2, np.array([1, 4]), 0.05
    w0 = torch.tensor(syn0, requires_grad=True)
    w1 = torch.tensor(syn1neg, requires_grad=True)
    h = w0[context].mean(0) if cbow_mean else w0[context].sum(0)
    loss = -torch.nn.functional.logsigmoid(h @ w1[target]) - torch.nn.functional.logsigmoid(-(w1[negs] @ h)).sum()
    loss.backward()
    got_loss = _kernels.cbow_step(syn0, syn1neg, context, target, negs, alpha, cbow_mean)
    assert got_loss == pytest.approx(loss.item(), rel=1e-5)
    np.testing.assert_allclose(syn1neg, (w1 - alpha * w1.grad).detach().numpy(), atol=1e-6, rtol=0)
    # word2vec.c / gensim convention: each context row gets the full step of the hidden vector,
    # i.e. count x the autograd gradient of the mean (and 1/count x the gradient of the sum).
    scale = len(context) if cbow_mean else 1.0 / len(context)
    np.testing.assert_allclose(syn0, (w0 - alpha * scale * w0.grad).detach().numpy(), atol=1e-6, rtol=0)


def test_hierarchical_softmax_sums_to_one_over_vocabulary(rng):
    counts = rng.integers(1, 1000, size=40).astype(np.float64)
    points, codes, lens = huffman_paths(counts)
    syn1 = rng.normal(0, 1.0, size=(len(counts) - 1, 6)).astype(np.float32)
    for _ in range(3):
        h = rng.normal(0, 1.0, size=6).astype(np.float32)
        total = sum(math.exp(_kernels.hs_path_log_prob(h, syn1, points[w, :lens[w]], codes[w, :lens[w]]))
                    for w in range(len(counts)))
        assert total == pytest.approx(1.0, abs=1e-5), "p(w | h) over the Huffman tree must sum to 1"


def test_trained_hs_model_is_a_distribution():
    corpus = [["a", "b", "c", "d", "e"], ["b", "c", "a", "f"], ["e", "f", "a"]] * 30
    model = Word2Vec(loss="hierarchical", vector_size=8, min_count=1, epochs=3, workers=1, sample=0).fit(corpus)
    for context in ("a", "f"):
        total = sum(math.exp(model.hs_log_prob(w, context)) for w in model.wv.index_to_key)
        assert total == pytest.approx(1.0, abs=1e-5)


def test_huffman_codes_are_prefix_free_and_frequent_words_short(rng):
    counts = np.sort(rng.integers(1, 10_000, size=200))[::-1].astype(np.float64)
    points, codes, lens = huffman_paths(counts)
    words = ["".join(map(str, codes[w, :lens[w]])) for w in range(len(counts))]
    assert len(set(words)) == len(words)
    for a in words:
        assert not any(b != a and b.startswith(a) for b in words), "Huffman codes must be prefix-free"
    assert lens[0] <= lens[-1], "the most frequent word gets a code no longer than the rarest"
    assert points.max() == len(counts) - 2 and (points[:, 0] == len(counts) - 2).all(), "every path starts at the root"
    # Kraft equality for a full binary tree: sum 2^-len = 1
    assert sum(2.0 ** -int(n) for n in lens) == pytest.approx(1.0, abs=1e-12)


def test_subsampling_matches_the_word2vec_formula():
    counts = np.array([1000.0, 100.0, 10.0])
    keep = subsample_thresholds(counts, 1e-2) / 2**32
    t = 1e-2 * counts.sum()  # 11.1
    expected = np.minimum((np.sqrt(counts / t) + 1) * t / counts, 1.0)  # 0.1054, 0.4441, 1.0
    np.testing.assert_allclose(keep, expected, rtol=1e-9)
    assert (subsample_thresholds(counts, 0) == 2**32).all()


def test_negative_sampling_frequencies_follow_unigram_power():
    counts = np.array([800.0, 100.0, 50.0, 1.0, 3.0])
    keep, alias = alias_table(counts, 0.75)
    # exact: the alias tables hold the distribution, p(i) = (keep_i + sum_{j: alias_j = i} (2^32 - keep_j)) / (n 2^32)
    n = len(counts)
    mass = keep.astype(np.float64) / 2**32
    for j in range(n):
        mass[alias[j]] += 1.0 - keep[j] / 2**32
    expected = counts ** 0.75 / (counts ** 0.75).sum()
    np.testing.assert_allclose(mass / n, expected, rtol=1e-7)  # keep is rounded to 1/2^32
    state = np.array([12345], np.uint64)
    draws = np.array([_kernels._draw_negative(keep, alias, state) for _ in range(40_000)])
    freq = np.bincount(draws, minlength=n) / len(draws)
    np.testing.assert_allclose(freq, expected, atol=0.01)  # 4 sigma of a 40k-draw binomial is < 0.01


def test_saturated_rows_are_not_updated_as_in_gensim(rng):
    syn0, syn1neg = _weights(rng)
    syn1neg[4] = 10.0 * syn0[2] / float(syn0[2] @ syn0[2])  # score h . u_target = 10 >= MAX_EXP
    before0, before1 = syn0.copy(), syn1neg.copy()
    loss = _kernels.sg_pair_step(syn0, syn1neg, 2, 4, np.array([], dtype=np.int64), 0.1)
    assert loss == pytest.approx(np.log1p(np.exp(-10.0)), rel=1e-4)  # the loss is still reported
    np.testing.assert_array_equal(syn1neg, before1)
    np.testing.assert_array_equal(syn0, before0)


def test_learning_rate_decays_by_sentence_within_a_chunk(rng):
    """Sentence ``s`` of ``S`` in a chunk trains at ``a0 + (a1 - a0) * s / S``, whatever the sentence lengths.

    The second of two sentences (after a 10-word one) must train at the midpoint of the chunk's
    rates; a word-based interpolation would give it ``a0 + (a1 - a0) * 10 / 12``. Its rate is read
    off the first update of an output row that started at zero: ``u_a = (1 - sigma(0)) * alpha * h``.
    """
    syn0 = rng.uniform(-0.5, 0.5, size=(5, 4)).astype(np.float32)
    syn1neg = np.zeros((5, 4), np.float32)
    ids = np.array([2, 3] * 5 + [0, 1], np.int32)  # sentence 0: ten words of rows 2, 3; sentence 1: rows 0, 1
    starts = np.array([0, 10, 12], np.int64)
    n = syn0.shape[0]
    sample_int = np.full(n, 2**32, np.uint64)  # no subsampling
    ns_keep, ns_alias = np.zeros(n, np.uint64), np.full(n, 4, np.int32)  # every negative is row 4
    empty = np.zeros((n, 1), np.int32)
    h_for_a = syn0[1].copy()  # centre 0's only context word in a two-word sentence is row 1
    a0, a1 = 0.1, 0.02
    _kernels.train_chunk(syn0, syn1neg, np.zeros((1, 1), np.float32), ids, starts, sample_int, ns_keep, ns_alias,
                         empty, empty.astype(np.uint8), np.zeros(n, np.int32), False, False, 1, 2, True,
                         a0, a1, np.array([7], np.uint64), 1)
    alpha = syn1neg[0] / (0.5 * h_for_a)  # row 0 is only ever the positive target of centre 0
    np.testing.assert_allclose(alpha, a0 + (a1 - a0) * 1 / 2, rtol=1e-5)
