"""Neural language models: forward contract, carried state, causality, overfitting, the NeuralLM facade."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from seqlab import io
from seqlab.data.vocab import BOS_ID, PAD_ID
from seqlab.evaluate.language import perplexity
from seqlab.exceptions import DataError, FormatError, InvalidParameterError
from seqlab.generate import SamplingConfig, generate, sample_ids
from seqlab.models import (
    ConvLM,
    ConvLMConfig,
    NeuralLM,
    RecurrentLM,
    RecurrentLMConfig,
    TransformerLM,
    TransformerLMConfig,
    WindowLM,
    WindowLMConfig,
)
from seqlab.train import TrainConfig

V = 11


def tiny(kind: str, **kw):
    torch.manual_seed(0)
    if kind in ("rnn", "jordan", "lstm", "peephole", "gru"):
        return RecurrentLM(RecurrentLMConfig(vocab_size=V, cell=kind, d_embed=6, d_hidden=6, n_layers=2,
                                             dropout=0.0, **kw))
    if kind == "conv":
        return ConvLM(ConvLMConfig(vocab_size=V, d_embed=6, d_hidden=8, n_layers=3, dropout=0.0, **kw))
    if kind == "transformer":
        return TransformerLM(TransformerLMConfig(vocab_size=V, d_model=8, n_heads=2, context_size=32,
                                                 dropout=0.0, **kw))
    return WindowLM(WindowLMConfig(vocab_size=V, context_size=3, d_embed=4, d_hidden=8, dropout=0.0, **kw))


KINDS = ["rnn", "jordan", "lstm", "peephole", "gru", "conv", "transformer", "window"]


def random_ids(rng, n=3, length=12):
    """Ids of ordinary tokens and </s> (3..V-1): valid inputs and valid targets."""
    return torch.from_numpy(rng.integers(3, V, size=(n, length)))


@pytest.mark.parametrize("kind", KINDS)
def test_forward_contract(kind, rng):
    model = tiny(kind).eval()
    x, y = random_ids(rng), random_ids(rng)
    y[0, :3] = -100
    out = model(x, y)
    assert out.logits.shape == (3, 12, V)
    assert torch.isinf(out.logits[..., [PAD_ID, BOS_ID]]).all(), "<pad> and <s> are never predicted"
    manual = F.cross_entropy(out.logits.reshape(-1, V), y.reshape(-1), ignore_index=-100)
    assert out.loss.item() == pytest.approx(manual.item(), rel=1e-6)
    assert model(x).loss is None


@pytest.mark.parametrize("kind", KINDS)
def test_carried_state_equals_feeding_the_whole_sequence(kind, rng):
    """Stateful decoding / truncated BPTT: continuing from ``state`` equals one pass over the prefix."""
    model = tiny(kind).eval()
    x = random_ids(rng, n=2, length=14)
    full = model(x).logits
    first = model(x[:, :5])
    second = model(x[:, 5:9], state=first.state)
    state = second.state
    steps = []
    for t in range(9, 14):  # one token at a time, as in generation
        out = model(x[:, t: t + 1], state=state)
        steps.append(out.logits)
        state = out.state
    pieced = torch.cat([first.logits, second.logits, *steps], 1)
    torch.testing.assert_close(pieced, full, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("kind", ["conv", "transformer", "window"])
@settings(max_examples=15)
@given(cut=st.integers(1, 10), seed=st.integers(0, 1000))
def test_outputs_do_not_depend_on_future_inputs(kind, cut, seed):
    g = np.random.default_rng(seed)
    model = tiny(kind).eval()
    x = torch.from_numpy(g.integers(2, V, size=(1, 12)))
    changed = x.clone()
    changed[0, cut:] = torch.from_numpy(g.integers(2, V, size=12 - cut))
    torch.testing.assert_close(model(x).logits[:, :cut], model(changed).logits[:, :cut], atol=1e-6, rtol=0)


@pytest.mark.parametrize("kind", ["lstm", "peephole", "transformer"])
def test_can_overfit_one_batch(kind, rng):
    model = tiny(kind)
    x, y = random_ids(rng, n=2, length=8), random_ids(rng, n=2, length=8)
    opt = torch.optim.Adam(model.parameters(), lr=3e-2)
    for _ in range(200):
        opt.zero_grad()
        loss = model(x, y).loss
        loss.backward()
        opt.step()
    assert loss.item() < 0.1, f"{kind} could not memorise one batch (loss {loss.item():.3f})"


def test_weight_tying_shares_one_tensor():
    model = tiny("lstm", tie_weights=True)
    assert model.head.weight is model.embed.weight
    untied = tiny("lstm")
    assert model.num_parameters() == untied.num_parameters() - V * 6


# ---------------------------------------------------------------------- bad input
def test_transformer_refuses_positions_beyond_its_table():
    model = tiny("transformer")
    with pytest.raises(DataError, match="position table has 32 entries"):
        model(torch.full((1, 33), 5))
    sinus = tiny("transformer", positions="sinusoidal")
    assert sinus(torch.full((1, 40), 5)).logits.shape == (1, 40, V)


def test_empty_batch_and_foreign_ids_are_refused():
    model = tiny("gru")
    with pytest.raises(DataError, match="empty batch"):
        model(torch.zeros((0, 4), dtype=torch.int64))
    with pytest.raises(DataError, match="different vocabulary"):
        model(torch.tensor([[3, V + 4]]))


@pytest.mark.parametrize("kwargs,match", [
    ({"d_hidden": 0}, "d_hidden must be an int >= 1"),
    ({"cell": "elman2"}, "cell must be one of"),
    ({"dropout": 1.0}, "dropout"),
    ({"tie_weights": True, "d_embed": 4}, "tie_weights needs d_embed == d_hidden"),
])
def test_bad_configs_raise(kwargs, match):
    base = {"vocab_size": V, "d_embed": 6, "d_hidden": 6}
    with pytest.raises(InvalidParameterError, match=match):
        RecurrentLMConfig(**{**base, **kwargs})


def test_transformer_heads_must_divide_width():
    with pytest.raises(InvalidParameterError, match="divisible by n_heads"):
        TransformerLMConfig(vocab_size=V, d_model=10, n_heads=4)


# ---------------------------------------------------------------------- facade
CORPUS = [["the", "cat", "sat"], ["the", "dog", "sat", "down"], ["a", "cat", "ran"], ["the", "cat", "ran", "down"]] * 6


def fit_lm(model="lstm", **kw):
    train = kw.pop("train", TrainConfig(max_steps=20, batch_size=4, bptt=6, lr=1e-2, eval_every=10))
    params = {"n_layers": 1, "d_hidden": 12, "dropout": 0.0, "device": "cpu",
              **({"n_heads": 2} if model == "transformer" else {"d_embed": 12})}
    if model == "window":
        params.pop("n_layers")
    return NeuralLM(model=model, train=train, **{**params, **kw}).fit(CORPUS, valid=CORPUS[:4])


@pytest.fixture(scope="module")
def lstm():
    return fit_lm("lstm")


def test_distributions_sum_to_one_in_every_context(lstm):
    for context in ([], ["the"], ["the", "zzz"], ["cat", "cat", "cat"]):
        lp = lstm.next_log_probs(context)
        assert np.exp(lp).sum() == pytest.approx(1.0, abs=1e-9)
        assert lp[PAD_ID] == -np.inf and lp[BOS_ID] == -np.inf


@pytest.mark.parametrize("model", ["lstm", "transformer", "conv", "window"])
def test_begin_advance_equals_refeeding_the_prefix(model):
    lm = lstm_like = fit_lm(model) if model != "lstm" else None
    lm = lm or fit_lm("lstm")
    del lstm_like
    prefix = ["the", "cat", "sat", "down", "the"]
    lp, state = lm.begin(prefix[:1])
    for i, tok in enumerate(prefix[1:], start=2):
        lp, state = lm.advance(state, lm.vocabulary_[tok])
        np.testing.assert_allclose(lp, lm.next_log_probs(prefix[:i]), atol=1e-5)


def test_token_log_probs_match_step_by_step_scoring(lstm):
    corpus = [["the", "cat"], ["a", "zzz", "ran", "down"], []]
    log_probs, oov = lstm.token_log_probs(corpus)
    expected = []
    for sentence in corpus:
        for i, tok in enumerate([*sentence, "</s>"]):
            expected.append(lstm.log_prob(tok, sentence[:i]))
    np.testing.assert_allclose(log_probs, expected, atol=1e-5)
    assert oov.tolist() == [False, False, False, False, True, False, False, False, False]
    assert perplexity(lstm, corpus) == pytest.approx(math.exp(-np.mean(expected)), rel=1e-5)


def test_long_sentences_are_scored_beyond_the_position_table():
    lm = fit_lm("transformer", context_size=8, positions="sinusoidal",
                train=TrainConfig(max_steps=5, batch_size=4, bptt=8, eval_every=5))
    sentence = (["the", "cat", "sat", "down"] * 5)[:15]
    log_probs, _ = lm.token_log_probs([sentence])
    assert log_probs.shape == (16,) and np.isfinite(log_probs).all()
    # windows of 8 inputs: the first 8 predictions see the whole prefix, so they match exactly
    direct = [lm.log_prob(t, sentence[:i]) for i, t in enumerate(sentence[:7])]
    np.testing.assert_allclose(log_probs[:7], direct, atol=1e-5)


def test_save_load_gives_identical_logits(lstm, tmp_path):
    back = io.load(lstm.save(tmp_path / "m"))
    assert type(back) is NeuralLM and back.config_ == lstm.config_
    x = torch.tensor([[BOS_ID, 5, 6, 7]])
    torch.testing.assert_close(back.module_(x).logits, lstm.module_(x).logits, atol=0, rtol=0)
    np.testing.assert_array_equal(back.token_log_probs(CORPUS[:3])[0], lstm.token_log_probs(CORPUS[:3])[0])


def test_tied_weights_round_trip(tmp_path):
    lm = fit_lm("transformer")
    assert lm.config_.tie_weights
    back = NeuralLM.load(lm.save(tmp_path / "t"))
    assert back.module_.head.weight is back.module_.embed.weight
    np.testing.assert_array_equal(back.next_log_probs(["the"]), lm.next_log_probs(["the"]))


def test_top_k_one_equals_greedy_and_seed_repeats(lstm):
    greedy = generate(lstm, ["the"], max_tokens=8, greedy=True)
    assert generate(lstm, ["the"], max_tokens=8, top_k=1, seed=3) == greedy
    a = sample_ids(lstm, ["the"], SamplingConfig(max_new_tokens=8, temperature=1.3), seed=5)
    assert a == sample_ids(lstm, ["the"], SamplingConfig(max_new_tokens=8, temperature=1.3), seed=5)


def test_training_lowers_perplexity_below_uniform(lstm):
    assert perplexity(lstm, CORPUS[:4]) < len(lstm.vocabulary_) - 2


def test_vocabulary_is_shared_when_given(lstm):
    lm = NeuralLM(model="gru", n_layers=1, d_hidden=8, d_embed=8, device="cpu",
                  train=TrainConfig(max_steps=2, batch_size=2, bptt=4)).fit(CORPUS[:2], vocabulary=lstm.vocabulary_)
    assert lm.vocabulary_ == lstm.vocabulary_


def test_loading_another_class_is_refused(tmp_path):
    from toymodels import MeanModel

    path = MeanModel().fit([[1.0, 2.0]]).save(tmp_path / "mean")
    with pytest.raises(FormatError, match="holds a MeanModel, not a NeuralLM"):
        NeuralLM.load(path)


def test_bad_facade_parameters(tmp_path):
    with pytest.raises(InvalidParameterError, match="'d_hidden' parameter of NeuralLM must be an int >= 1"):
        NeuralLM(d_hidden=0).fit(CORPUS)
    with pytest.raises(InvalidParameterError, match="bptt"):
        NeuralLM(model="transformer", d_hidden=8, n_heads=2, context_size=4, device="cpu",
                 train=TrainConfig(max_steps=1, bptt=8)).fit(CORPUS)
    with pytest.raises(DataError, match="single str"):
        NeuralLM().fit("the cat sat")


def test_generation_runs_past_the_position_table():
    lm = fit_lm("transformer", context_size=8, train=TrainConfig(max_steps=3, batch_size=4, bptt=8))
    ids = sample_ids(lm, ["the"], SamplingConfig(max_new_tokens=20, greedy=True, stop_at_eos=False))
    assert len(ids) == 20
    # past the table the state re-feeds the last 8 tokens: the same as scoring that window afresh
    lp, state = lm.begin(["the"])
    history = ["the"]
    for tok in ids[:12]:
        lp, state = lm.advance(state, tok)
        history.append(lm.vocabulary_.token(tok))
    window = lm.begin([])[1][0]  # ids of "<s>"
    assert window == (2,)
    direct, _ = lm._forward(torch.tensor([[lm.vocabulary_[t] for t in history[-8:]]]), last_only=True)
    np.testing.assert_allclose(lp, direct[0, -1].numpy(), atol=1e-5)


@pytest.mark.parametrize("model", ["lstm", "transformer"])
def test_init_range_draws_every_weight_but_layer_norms_uniformly(model):
    lm = fit_lm(model, init_range=0.05, train=TrainConfig(max_steps=1, batch_size=4, bptt=6, lr=1e-9))
    norms = {id(p) for m in lm.module_.modules() if isinstance(m, torch.nn.LayerNorm) for p in m.parameters()}
    drawn = [p.detach() for p in lm.module_.parameters() if id(p) not in norms]
    assert all(float(p.abs().max()) <= 0.05 + 1e-6 for p in drawn)
    assert all(float(p.std()) > 0.02 for p in drawn if p.numel() > 50), "U(-0.05, 0.05) has std 0.029"
    assert all(float(p.detach().float().std()) < 1e-6 for p in lm.module_.parameters() if id(p) in norms)
    with pytest.raises(InvalidParameterError, match="init_range"):
        fit_lm(model, init_range=0)
