"""InterpolatedLM: a mixture is a LanguageModel; EM weights; save/load; bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest

from seqlab import io
from seqlab.exceptions import DataError, InvalidParameterError
from seqlab.mix import InterpolatedLM, em_weights
from seqlab.ngram import Lidstone, NGramLM

TRAIN = [["a", "b", "a", "c"], ["b", "a", "b", "b"], ["c", "a", "b"], ["a", "a", "b", "c", "a"]] * 3
VALID = [["a", "b", "c"], ["b", "b", "a"], ["c", "c"]]


def _parts():
    vocab = NGramLM(order=1, smoothing=Lidstone(1.0)).fit(TRAIN).vocabulary_
    uni = NGramLM(order=1, smoothing=Lidstone(1.0)).fit(TRAIN, vocabulary=vocab)
    bi = NGramLM(order=2, smoothing=Lidstone(0.01)).fit(TRAIN, vocabulary=vocab)
    return uni, bi


def test_next_distribution_sums_to_one_and_is_the_weighted_sum():
    uni, bi = _parts()
    mix = InterpolatedLM([uni, bi], weights=[0.3, 0.7]).fit_weights(VALID)
    for ctx in ([], ["a"], ["b", "c"], ["zzz"]):
        p = np.exp(mix.next_log_probs(ctx))
        assert p.sum() == pytest.approx(1.0, abs=1e-12), ctx
        want = 0.3 * np.exp(uni.next_log_probs(ctx)) + 0.7 * np.exp(bi.next_log_probs(ctx))
        np.testing.assert_allclose(p, want, rtol=1e-12, atol=1e-15)


def test_token_log_probs_match_chain_rule_of_next_log_probs():
    uni, bi = _parts()
    mix = InterpolatedLM([uni, bi], weights=[0.5, 0.5]).fit_weights(VALID)
    lp, oov = mix.token_log_probs([["a", "b", "zzz"]])
    ids = [mix.vocabulary_[t] for t in ["a", "b", "zzz", "</s>"]]
    dist, state = mix.begin([])  # the chain rule through the decoding protocol: <s> is the first context
    manual = []
    for i in ids:
        manual.append(dist[i])
        dist, state = mix.advance(state, i)
    np.testing.assert_allclose(lp, manual, rtol=1e-10)
    assert oov.tolist() == [False, False, True, False]
    np.testing.assert_allclose(mix.begin(["a", "b"])[0], mix.next_log_probs(["<s>", "a", "b"]), rtol=1e-12)


def test_em_maximises_heldout_likelihood_against_a_grid():
    uni, bi = _parts()
    mix = InterpolatedLM([uni, bi], tol=1e-12, max_iter=2000).fit_weights(VALID)
    assert mix.weights_.sum() == pytest.approx(1.0, abs=1e-12)
    hist = mix.em_history_
    assert all(b >= a - 1e-12 for a, b in zip(hist, hist[1:], strict=False)), "EM must never decrease the likelihood"
    best = mix.score(VALID)
    for lam in np.linspace(0.0, 1.0, 101):  # the EM optimum beats every grid point (1-D, concave)
        other = InterpolatedLM([uni, bi], weights=[lam, 1 - lam]).fit_weights(VALID).score(VALID)
        assert best >= other - 1e-9, (lam, best, other)
    # and the mixture is at least as good as either part on the text it was fitted on
    assert best >= max(-math.log(uni.perplexity(VALID)), -math.log(bi.perplexity(VALID))) - 1e-9


def test_em_weights_recovers_a_known_mixture():
    rng = np.random.default_rng(0)
    # two "models" with known per-token probabilities; tokens drawn from component 0 w.p. 0.25
    p = rng.uniform(0.05, 1.0, size=(2, 20000))
    lp = np.log(p)
    w = em_weights(lp, max_iter=5000, tol=1e-13)
    # stationarity: the gradient of the mean log-likelihood is zero along the simplex
    mixp = (w[:, None] * p).sum(0)
    grad = (p / mixp).mean(1)
    assert grad[0] == pytest.approx(grad[1], rel=1e-5)


def test_fit_clones_and_fits_parts_on_one_vocabulary_and_save_load_round_trips(tmp_path):
    parts = [NGramLM(order=1, smoothing=Lidstone(1.0)), NGramLM(order=3, smoothing=Lidstone(0.1))]
    mix = InterpolatedLM(parts).fit(TRAIN, valid=VALID)
    assert mix.models_[0].vocabulary_ == mix.models_[1].vocabulary_
    assert not hasattr(mix.models[0], "vocabulary_"), "fit must not fit the templates in place"
    path = mix.save(tmp_path / "mix")
    back = io.load(path)
    assert isinstance(back, InterpolatedLM)
    np.testing.assert_allclose(back.weights_, mix.weights_)
    np.testing.assert_allclose(back.token_log_probs(VALID)[0], mix.token_log_probs(VALID)[0], rtol=1e-12)
    assert back.generate(["a"], max_tokens=5, seed=3) == mix.generate(["a"], max_tokens=5, seed=3)
    assert type(mix.clone()) is InterpolatedLM and not hasattr(mix.clone(), "weights_")


def test_fit_without_valid_holds_out_every_tenth_sequence():
    parts = [NGramLM(order=1, smoothing=Lidstone(1.0)), NGramLM(order=2, smoothing=Lidstone(0.1))]
    mix = InterpolatedLM(parts).fit(TRAIN)
    assert mix.weights_.shape == (2,) and mix.em_history_


def test_bad_input_is_one_clear_error():
    uni, bi = _parts()
    other = NGramLM(order=1, smoothing=Lidstone(1.0)).fit([["x", "y"]])
    with pytest.raises(DataError, match="same vocabulary"):
        InterpolatedLM([uni, other]).fit_weights(VALID)
    with pytest.raises(InvalidParameterError, match="not fitted"):
        InterpolatedLM([uni, NGramLM(order=2, smoothing=Lidstone(1.0))]).fit_weights(VALID)
    with pytest.raises(InvalidParameterError, match="weights must be 2"):
        InterpolatedLM([uni, bi], weights=[1.0]).fit_weights(VALID)
    with pytest.raises(InvalidParameterError, match="not a LanguageModel"):
        InterpolatedLM([uni, "lstm"]).fit_weights(VALID)
    with pytest.raises(InvalidParameterError, match="at least one"):
        InterpolatedLM([]).fit_weights(VALID)


def test_a_neural_part_mixes_with_an_ngram_and_round_trips(tmp_path):
    pytest.importorskip("torch")
    from seqlab.models import NeuralLM
    from seqlab.train import TrainConfig

    uni, _ = _parts()
    lstm = NeuralLM(model="lstm", n_layers=1, d_hidden=8, d_embed=8, dropout=0.0, device="cpu",
                    train=TrainConfig(max_steps=5, batch_size=2, bptt=4, eval_every=100)).fit(
        TRAIN, vocabulary=uni.vocabulary_)
    mix = InterpolatedLM([uni, lstm]).fit_weights(VALID)
    assert np.exp(mix.next_log_probs(["a"])).sum() == pytest.approx(1.0, abs=1e-6)
    back = io.load(mix.save(tmp_path / "m"))
    np.testing.assert_allclose(back.token_log_probs(VALID)[0], mix.token_log_probs(VALID)[0], rtol=1e-6)


def test_a_saved_mixture_with_a_neural_part_loads_in_a_fresh_process(tmp_path):
    """The manifest names each part's class and module, so io.load imports the family itself."""
    import subprocess
    import sys

    pytest.importorskip("torch")
    from seqlab.models import NeuralLM
    from seqlab.train import TrainConfig

    uni, _ = _parts()
    lstm = NeuralLM(model="lstm", n_layers=1, d_hidden=8, d_embed=8, dropout=0.0, device="cpu",
                    train=TrainConfig(max_steps=2, batch_size=2, bptt=4, eval_every=100)).fit(
        TRAIN, vocabulary=uni.vocabulary_)
    path = InterpolatedLM([uni, lstm]).fit_weights(VALID).save(tmp_path / "m")
    code = (f"from seqlab import io; m = io.load({str(path)!r}); "
            "print(type(m).__name__, [type(p).__name__ for p in m.models_], round(float(m.weights_.sum()), 6))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["InterpolatedLM", "['NGramLM',", "'NeuralLM']", "1.0"], out.stdout + out.stderr
