"""The compiled hash scorer gives the numpy scorer's results bit for bit, for every kind of model."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from seqlab.ngram import MLE, Katz, ModifiedKneserNey, NGramLM, StupidBackoff, WittenBell, read_arpa
from seqlab.ngram import _kernels as K

pytest.importorskip("numba")
from seqlab.ngram._fastscore import HashIndex  # noqa: E402


def corpus(n: int, seed: int) -> list[list[str]]:
    rng = np.random.default_rng(seed)
    return [[f"w{w}" for w in rng.zipf(1.4, size=rng.integers(0, 25)) % 300] for _ in range(n)]


def both(lm: NGramLM, sents: list[list[str]]) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    ids, pos, _ = K.encode(sents, lm.vocabulary_.stoi)
    V = len(lm.vocabulary_)
    ref = K.backoff_scores(pos, K.lookup(ids, pos, lm.keys_, V), lm.log_probs_, lm.log_backoffs_, lm.default_backoff_)
    fast = HashIndex(lm.keys_, lm.log_probs_, lm.log_backoffs_).score(ids, pos, V, lm.default_backoff_)
    return ref, fast


@pytest.mark.parametrize("order", [2, 3, 5])
@pytest.mark.parametrize("smoothing", [ModifiedKneserNey(), WittenBell(), Katz(), MLE(), StupidBackoff()],
                         ids=lambda s: s.name)
def test_hash_scorer_equals_numpy_scorer(order, smoothing):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lm = NGramLM(order=order, smoothing=smoothing).fit(corpus(1500, 0))
    test = corpus(400, 1) + [["never", "seen", "w1"], []]
    (lp_ref, n_ref), (lp_fast, n_fast) = both(lm, test)
    assert np.array_equal(lp_ref, lp_fast, equal_nan=True), "log-probs differ"
    assert np.array_equal(n_ref, n_fast), "matched lengths differ"
    n_predicted = sum(len(s) + 1 for s in test)
    assert (~np.isnan(lp_fast)).sum() == n_predicted, "every token and </s> gets a score, <s> none"


def test_pruned_arpa_without_every_suffix(tmp_path):
    """An ARPA model may hold an n-gram whose suffix is missing; look-ups follow prefixes only."""
    arpa = tmp_path / "p.arpa"
    arpa.write_text("\\data\\\nngram 1=5\nngram 2=2\nngram 3=1\n\n\\1-grams:\n-1\t<unk>\t0\n0\t<s>\t-0.3\n"
                    "-0.5\t</s>\t0\n-0.4\ta\t-0.2\n-0.6\tb\t-0.1\n\n\\2-grams:\n-0.2\t<s> a\t-0.05\n"
                    "-0.3\ta b\t-0.07\n\n\\3-grams:\n-0.1\t<s> a a\n\n\\end\\\n")
    lm = read_arpa(arpa)
    (lp_ref, n_ref), (lp_fast, n_fast) = both(lm, [["a", "a", "b", "a"], ["b"], ["a", "b", "zz"]])
    assert np.array_equal(lp_ref, lp_fast, equal_nan=True) and np.array_equal(n_ref, n_fast)
    assert 3 in n_fast.tolist(), "the trigram <s> a a should be matched"


def test_model_uses_the_same_numbers_on_both_paths(monkeypatch):
    from seqlab.ngram import model as M

    lm = NGramLM(order=4).fit(corpus(800, 2))
    test = corpus(200, 3)
    monkeypatch.setattr(M, "FAST_SCORE_MIN_POSITIONS", 1)
    fast = lm.token_log_probs(test)[0]
    monkeypatch.setattr(M, "FAST_SCORE_MIN_POSITIONS", 10**12)
    monkeypatch.setattr(M.sys, "modules", {k: v for k, v in M.sys.modules.items() if k != "numba"})
    slow = lm.token_log_probs(test)[0]
    assert np.array_equal(fast, slow)
    assert lm._hash_index is not None


@pytest.mark.parametrize("order", [2, 4, 6])
def test_sentences_shorter_and_longer_than_the_order(order):
    """Contexts cut by the sentence start, at every length around the order, OOV words among them."""
    lm = NGramLM(order=order).fit(corpus(1200, 4))
    rng = np.random.default_rng(5)
    test = [[f"w{w}" if rng.random() > 0.1 else "oov" for w in rng.zipf(1.4, size=k) % 300]
            for k in list(range(0, 2 * order + 2)) * 20]
    (lp_ref, n_ref), (lp_fast, n_fast) = both(lm, test)
    assert np.array_equal(lp_ref, lp_fast, equal_nan=True) and np.array_equal(n_ref, n_fast)
    assert n_fast.max() == order, "some position should match a full-order n-gram"


def test_arpa_without_unk(tmp_path):
    """A model read from an ARPA file with no <unk> (ln P(<unk>) = -100 ln 10, as KenLM does)."""
    from tests.ngram.test_short_training_and_nounk import NOUNK

    path = tmp_path / "nounk.arpa"
    path.write_text(NOUNK)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lm = read_arpa(path)
    test = [["a", "b"], ["zz", "a", "b", "c"], [], ["b", "a", "a", "q"]] * 30
    (lp_ref, n_ref), (lp_fast, n_fast) = both(lm, test)
    assert np.array_equal(lp_ref, lp_fast, equal_nan=True) and np.array_equal(n_ref, n_fast)


def test_random_models_many_seeds():
    """Random vocabularies, orders and corpora: bit-identical log-probs and lengths every time."""
    for seed in range(8):
        rng = np.random.default_rng(seed)
        order = int(rng.integers(2, 8))
        vocab = int(rng.integers(3, 400))
        train = [[f"t{w}" for w in rng.integers(0, vocab, size=rng.integers(0, 30))] for _ in range(300)]
        test = [[f"t{w}" for w in rng.integers(0, vocab + 20, size=rng.integers(0, 30))] for _ in range(200)]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            lm = NGramLM(order=order, smoothing=WittenBell() if seed % 2 else ModifiedKneserNey()).fit(train)
        (lp_ref, n_ref), (lp_fast, n_fast) = both(lm, test)
        assert np.array_equal(lp_ref, lp_fast, equal_nan=True), f"seed {seed}: log-probs differ"
        assert np.array_equal(n_ref, n_fast), f"seed {seed}: lengths differ"


def test_unigram_model_is_refused():
    lm = NGramLM(order=1).fit(corpus(50, 6))
    with pytest.raises(ValueError, match="order >= 2"):
        HashIndex(lm.keys_, lm.log_probs_, lm.log_backoffs_)


# ---------------------------------------------------------------------- tokens to ids
from seqlab.ngram._fastscore import SEP, TokenIndex  # noqa: E402
from seqlab.ngram.model import _encode_flat  # noqa: E402


def encode_both(lm: NGramLM, sents: list[list[str]]) -> tuple[np.ndarray, np.ndarray | None]:
    ref = _encode_flat(sents, lm.vocabulary_.stoi)[0]
    fast = TokenIndex(lm.vocabulary_.itos).encode(sents, ref.size, 1)
    return ref, fast


def test_token_index_equals_the_dict_mapping():
    """Unicode (2-, 3-, 4-byte UTF-8), OOV, literal specials, empty sentences and the empty-string token."""
    words = ["a", "ab", "é", "éa", "日本", "🙂", "x" * 40, "", "<s>", "</s>", "<unk>", "<pad>"]
    train = [[words[i % 8], words[(i * 3) % 8], "b"] for i in range(40)]
    lm = NGramLM(order=2, smoothing=WittenBell()).fit(train)
    assert "" in lm.vocabulary_.stoi and "🙂" in lm.vocabulary_.stoi
    test = [words, [], ["zz", "é", "e", "日", "🙂🙂"], [""], ["", ""], [], ["b"]]
    ref, fast = encode_both(lm, test)
    assert fast is not None and np.array_equal(ref, fast)
    assert set(ref.tolist()) >= {0, 1, 2, 3}, "literal specials keep their ids"


def test_token_index_on_a_large_random_vocabulary():
    rng = np.random.default_rng(7)
    alphabet = list("abcdefghijklmnopqrstuvwxyzäöü")
    words = sorted({"".join(rng.choice(alphabet, size=rng.integers(1, 9))) for _ in range(5000)})
    train = [list(rng.choice(words, size=12)) for _ in range(600)]
    lm = NGramLM(order=2, smoothing=WittenBell()).fit(train)
    test = [list(rng.choice(words + ["unseen", "zzzz"], size=rng.integers(0, 20))) for _ in range(400)]
    ref, fast = encode_both(lm, test)
    assert fast is not None and np.array_equal(ref, fast)


@pytest.mark.parametrize("bad", [["a" + SEP + "b"], [SEP], ["a", 3], ["\ud800"]],
                         ids=["sep-inside", "sep-alone", "not-a-str", "lone-surrogate"])
def test_token_index_defers_where_it_cannot_tell(bad):
    """A token holding the separator or a non-str gives None (the model then maps token by token)."""
    lm = NGramLM(order=2, smoothing=WittenBell()).fit([["a", "b"], ["b", "a"]])
    index = TokenIndex(lm.vocabulary_.itos)
    sents = [["a"], bad, ["b"]]
    out = index.encode(sents, sum(map(len, sents)), 1)
    if bad == ["\ud800"]:  # encodable with surrogatepass: answered, and equal to the dict path
        assert out is not None and np.array_equal(out, _encode_flat(sents, lm.vocabulary_.stoi)[0])
    else:
        assert out is None


def test_model_encodes_the_same_on_both_paths(monkeypatch):
    """token_log_probs through the compiled token mapping and scorer equals the dict + numpy path."""
    from seqlab.ngram import model as M

    lm = NGramLM(order=3).fit(corpus(500, 8))
    test = corpus(300, 9) + [["w1", "a" + SEP + "b", "w2"], [], ["never"]]
    monkeypatch.setattr(M, "FAST_SCORE_MIN_POSITIONS", 1)
    fast = lm.token_log_probs(test)
    monkeypatch.setattr(M, "FAST_SCORE_MIN_POSITIONS", 10**12)
    monkeypatch.setattr(M.sys, "modules", {k: v for k, v in M.sys.modules.items() if k != "numba"})
    slow = lm.token_log_probs(test)
    assert np.array_equal(fast[0], slow[0]) and np.array_equal(fast[1], slow[1])
    assert lm._token_index is not None


def test_score_sentences_equals_score_then_filter():
    """The fused path (boundaries added and <s> dropped in the kernel) against score() + filtering."""
    lm = NGramLM(order=4).fit(corpus(600, 10))
    index = HashIndex(lm.keys_, lm.log_probs_, lm.log_backoffs_)
    V = len(lm.vocabulary_)
    for test in (corpus(250, 11) + [[], ["zz"], []], [[]], []):
        ids, pos, _ = K.encode(test, lm.vocabulary_.stoi)
        lp, _n = index.score(ids, pos, V, lm.default_backoff_)
        flat = np.asarray([lm.vocabulary_[w] for s in test for w in s], dtype=np.int64)
        lengths = np.asarray([len(s) for s in test], dtype=np.int64)
        got_lp, got_oov = index.score_sentences(flat, lengths, V, lm.default_backoff_)
        keep = pos > 0
        assert np.array_equal(got_lp, lp[keep]) and np.array_equal(got_oov, ids[keep] == 1)
        assert got_lp.size == sum(len(s) + 1 for s in test)
