"""Seq2Seq: attention masking, teacher forcing vs free running, KV cache, beam search, save/load, bad input."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from seqlab import io
from seqlab.data.pairs import Pairs
from seqlab.exceptions import DataError, InvalidParameterError
from seqlab.generate import beam_search_batch
from seqlab.models.seq2seq import Seq2Seq, Seq2SeqStepper
from seqlab.models.seq2seq_net import SEQ2SEQ_CROSS_ENTROPY, Seq2SeqConfig, Seq2SeqNet, make_batch
from seqlab.nn.attention import AdditiveAttention
from seqlab.nn.seq2seq_attention import CrossAttention, MultiplicativeAttention, make_attention
from seqlab.train.batch import TensorBatch
from seqlab.train.config import TrainConfig

ARCHS = [("lstm", "additive"), ("gru", "dot"), ("rnn", "general"), ("lstm", "none"), ("transformer", None)]


def net(model: str, attention: str | None, **kw) -> Seq2SeqNet:
    torch.manual_seed(0)
    cfg = Seq2SeqConfig(src_vocab_size=12, tgt_vocab_size=9, model=model,
                        attention=attention or "multihead", d_embed=6, d_hidden=8, n_heads=2, n_layers=2,
                        dropout=0.0, max_source_length=20, max_target_length=20, **kw)
    return Seq2SeqNet(cfg).eval()


# ------------------------------------------------------------------ attention layers
@pytest.mark.parametrize("kind", ["additive", "dot", "general"])
def test_padding_is_never_attended(kind):
    torch.manual_seed(1)
    att = make_attention(kind, 5, 5)
    q, k = torch.randn(3, 4, 5), torch.randn(3, 6, 5)
    mask = torch.tensor([[1] * 6, [1] * 3 + [0] * 3, [1] + [0] * 5], dtype=torch.bool)
    ctx, w = att(q, k, mask=mask)
    assert torch.all(w[~mask[:, None, :].expand_as(w)] == 0), "padded keys get weight exactly 0"
    assert torch.allclose(w.sum(-1), torch.ones(3, 4)), "weights over real keys sum to 1"
    k2 = k.clone()
    k2[~mask] = 1e3  # whatever sits in the padding must not change the context
    assert torch.allclose(att(q, k2, mask=mask)[0], ctx, atol=1e-6)


def test_dot_and_general_scores_by_hand():
    att = MultiplicativeAttention(3, 3, score="dot")
    q, k = torch.tensor([[1.0, 0.0, 2.0]]), torch.tensor([[[1.0, 1.0, 1.0], [0.0, 0.0, 1.0]]])
    _, w = att(q, k)
    want = torch.softmax(torch.tensor([3.0, 2.0]), 0)  # q.k1 = 3, q.k2 = 2
    assert torch.allclose(w[0], want)
    with pytest.raises(InvalidParameterError, match="d_query == d_key"):
        MultiplicativeAttention(3, 4, score="dot")
    assert isinstance(make_attention("additive", 3, 4), AdditiveAttention)


def test_cross_attention_masks_padding():
    torch.manual_seed(2)
    att = CrossAttention(8, 2).eval()
    enc = torch.randn(2, 5, 8)
    mask = torch.tensor([[1, 1, 1, 1, 1], [1, 1, 0, 0, 0]], dtype=torch.bool)
    out, w = att(torch.randn(2, 3, 8), att.memory(enc), mask=mask)
    assert torch.all(w[1, :, 2:] == 0) and torch.allclose(w.sum(-1), torch.ones(2, 3))


# ------------------------------------------------------------------ the network
@pytest.mark.parametrize(("model", "attention"), ARCHS)
def test_padded_source_gives_the_same_output(model, attention):
    m = net(model, attention)
    short, long_ = torch.tensor([[5, 6, 7]]), torch.tensor([[5, 6, 7, 8, 9, 4]])
    batch = torch.tensor([[5, 6, 7, 0, 0, 0], [5, 6, 7, 8, 9, 4]])
    inp = torch.tensor([[2, 4, 5, 6], [2, 4, 5, 6]])
    with torch.no_grad():
        alone = m.decode_all(m.encode(short), inp[:1])[0]
        both = m.decode_all(m.encode(batch), inp)[0]
        other = m.decode_all(m.encode(long_), inp[:1])[0]
    assert torch.allclose(both[0], alone[0], atol=1e-5), "padding changed the output of the short source"
    assert torch.allclose(both[1], other[0], atol=1e-5)


@pytest.mark.parametrize(("model", "attention"), ARCHS)
def test_stepwise_decoding_equals_teacher_forcing(model, attention):
    """free_running(gold_ratio=1) runs the step path (KV cache for the Transformer) on gold inputs."""
    m = net(model, attention)
    src = torch.tensor([[5, 6, 7, 0], [4, 5, 6, 7]])
    inp = torch.tensor([[2, 4, 5, 6, 7], [2, 8, 7, 6, 5]])
    with torch.no_grad():
        enc = m.encode(src)
        full = m.decode_all(enc, inp)[0]
        steps = m.free_running(enc, inp, 1.0)
    assert torch.allclose(full, steps, atol=1e-5), "teacher forcing must equal one-step-at-a-time decoding"


@pytest.mark.parametrize(("model", "attention"), [("gru", "additive"), ("transformer", None)])
def test_free_running_feeds_its_own_argmax(model, attention):
    m = net(model, attention)
    src = torch.tensor([[5, 6, 7]])
    gold = torch.tensor([[2, 8, 8, 8, 8]])  # ignored after the first step when gold_ratio = 0
    with torch.no_grad():
        enc = m.encode(src)
        free = m.free_running(enc, gold, 0.0)
        fed = torch.cat([gold[:, :1], free.argmax(-1)[:, :-1]], 1)  # what the loop must have fed
        forced = m.decode_all(enc, fed)[0]
    assert torch.allclose(free, forced, atol=1e-5), "free running == teacher forcing on the model's own argmax"


def test_scheduled_sampling_schedules():
    lin = Seq2SeqConfig(src_vocab_size=5, tgt_vocab_size=5, teacher_forcing=0.25, scheduled_sampling="linear",
                        schedule_steps=100)
    assert lin.teacher_forcing_at(0) == 1.0 and lin.teacher_forcing_at(50) == pytest.approx(0.625)
    assert lin.teacher_forcing_at(100) == 0.25 and lin.teacher_forcing_at(10**6) == 0.25
    inv = Seq2SeqConfig(src_vocab_size=5, tgt_vocab_size=5, teacher_forcing=0.0, scheduled_sampling="inverse_sigmoid",
                        schedule_steps=100)
    vals = [inv.teacher_forcing_at(s) for s in range(0, 400, 10)]
    assert all(a >= b for a, b in zip(vals, vals[1:], strict=False)), "never rises"
    assert vals[0] > 0.9 and vals[-1] < 0.05, "decays from ~1 to 0"
    const = Seq2SeqConfig(src_vocab_size=5, tgt_vocab_size=5, teacher_forcing=0.5)
    assert const.teacher_forcing_at(0) == const.teacher_forcing_at(10**4) == 0.5


def test_label_smoothed_objective_by_hand():
    m = net("gru", "dot", label_smoothing=0.2)
    b = make_batch([np.array([5, 6, 7]), np.array([4, 5])], [np.array([2, 4, 5, 3]), np.array([2, 6, 3])])
    tb = TensorBatch(inputs=torch.from_numpy(b.inputs), targets=torch.from_numpy(b.targets),
                     source=torch.from_numpy(b.source), source_lengths=torch.from_numpy(b.source_lengths))
    targets_t = tb.targets
    m.train()
    m.updates.zero_()
    total, count, _ = SEQ2SEQ_CROSS_ENTROPY(m, tb, None)
    with torch.no_grad():
        m.eval()
        lp = torch.log_softmax(m(tb.source, tb.inputs), -1)  # dropout is 0, so train/eval logits agree
    keep = targets_t != -100
    nll = -lp[keep].gather(-1, targets_t[keep][:, None]).squeeze(-1)
    smooth = -lp[keep].mean(-1)  # uniform part: mean over all classes
    want = (0.8 * nll + 0.2 * smooth).sum()
    assert int(count) == 5 and float(total.detach()) == pytest.approx(float(want), rel=1e-5)


def test_config_rejects_bad_values():
    with pytest.raises(InvalidParameterError, match="attention for model='transformer'"):
        Seq2SeqConfig(src_vocab_size=5, tgt_vocab_size=5, model="transformer", attention="additive")
    with pytest.raises(InvalidParameterError, match="teacher_forcing"):
        Seq2SeqConfig(src_vocab_size=5, tgt_vocab_size=5, teacher_forcing=1.5)
    with pytest.raises(InvalidParameterError, match="divisible"):
        Seq2SeqConfig(src_vocab_size=5, tgt_vocab_size=5, model="transformer", attention="multihead", d_hidden=10,
                      n_heads=4)


# ------------------------------------------------------------------ the facade
WORDS = ["abc", "bca", "cab", "acb", "bac", "cba", "aab", "abb", "bba", "cca", "acc", "bcb"]
REVERSE = Pairs(WORDS, [" ".join(reversed(w)) for w in WORDS])


@pytest.fixture(scope="module", params=[("gru", "additive"), ("transformer", None)])
def fitted(request):
    model, attention = request.param
    return Seq2Seq(model=model, attention=attention, source_level="char", target_level="whitespace", d_embed=8,
                   d_hidden=16, n_heads=2, dropout=0.0, max_source_length=12, max_target_length=12,
                   train=TrainConfig(max_steps=60, batch_size=6, lr=0.01), random_state=0).fit(REVERSE)


def test_beam_one_equals_greedy_and_batched_equals_one_by_one(fitted):
    sources = ["abc", "cab", "bba", "abcabc", "c"]
    enc = fitted._encode_sources(sources)
    with torch.no_grad():
        greedy = []
        for ids in enc:  # a hand-written greedy loop through the module
            state = fitted.module_.start(fitted.module_.encode(torch.as_tensor(ids)[None]))
            prev, out = torch.tensor([2]), []
            for _ in range(11):
                logits, _, state = fitted.module_.step(state, prev)
                logits[:, [0, 2]] = float("-inf")
                tok = int(logits.argmax(-1))
                if tok == 3:
                    break
                out.append(tok)
                prev = torch.tensor([tok])
            greedy.append(out)
    (beam1) = beam_search_batch(Seq2SeqStepper(fitted, enc), len(enc), beam_size=1, max_new_tokens=11)
    assert [r[0].ids for r in beam1] == greedy, "beam_size=1 is greedy decoding"
    batched = fitted.translate(sources, beam_size=4, num_return_sequences=2)
    alone = [fitted.translate([s], beam_size=4, num_return_sequences=2)[0] for s in sources]
    assert batched == alone, "batched beam search returns what one-by-one decoding returns"
    assert fitted.translate(sources, beam_size=1, greedy=True) == fitted.translate(sources, beam_size=1)


def test_translations_learned_and_attention(fitted):
    out, att = fitted.translate(["abc", "bca"], beam_size=3, return_attention=True)
    assert all(len(o.split()) >= 1 for o in out)
    for o, a, src in zip(out, att, ["abc", "bca"], strict=True):
        assert a.shape == (len(o.split()) + 1, len(src)) and np.allclose(a.sum(1), 1.0)
    metrics = fitted.evaluate(REVERSE, beam_size=3, corpus_metrics=False)
    assert metrics["sequences"] == 12 and 0.0 <= metrics["exact_match"] <= 1.0
    assert fitted.train_result_["train_loss"] < 1.0, "60 steps on 12 reversals bring the loss well below ln(9)"


def test_transformer_starts_with_tokens_and_positions_on_one_scale():
    """Scaled token embeddings (x sqrt(E)) and learned position codes start at the same unit scale;
    with nn.Embedding's N(0, 1) against the table's N(0, 0.02) position was ~400x weaker at E = 64."""
    torch.manual_seed(0)
    m = Seq2SeqNet(Seq2SeqConfig(src_vocab_size=50, tgt_vocab_size=40, model="transformer", attention="multihead",
                                 d_hidden=64, n_heads=4, max_source_length=64, max_target_length=64))
    for embed, pos in ((m.src_embed, m.src_pos), (m.tgt_embed, m.tgt_pos)):
        tokens = embed.weight[1:] * 64 ** 0.5  # (V-1, E): what encode/decode_all add the positions to
        ratio = float(tokens.std() / pos.table.weight.std())
        assert 0.7 < ratio < 1.4, f"token/position scale ratio {ratio:.1f}"
        assert torch.all(embed.weight[0] == 0), "<pad> stays a zero vector"


@pytest.mark.parametrize("seed", [0, 1])
def test_transformer_learns_a_reversal_in_60_steps(seed):
    """Reversing needs positions: 60 steps reach every reversal (the old initialisation: 8-33%)."""
    m = Seq2Seq(model="transformer", source_level="char", target_level="whitespace", d_embed=8, d_hidden=16,
                n_heads=2, dropout=0.0, max_source_length=12, max_target_length=12,
                train=TrainConfig(max_steps=60, batch_size=6, lr=0.01), random_state=seed).fit(REVERSE)
    assert m.evaluate(REVERSE, beam_size=1, corpus_metrics=False)["exact_match"] == 1.0


def test_save_load_round_trip(fitted, tmp_path):
    io.save(fitted, tmp_path / "m")
    again = io.load(tmp_path / "m")
    assert isinstance(again, Seq2Seq) and again.config_ == fitted.config_
    assert again.source_vocabulary_ == fitted.source_vocabulary_
    assert again.target_vocabulary_ == fitted.target_vocabulary_
    assert again.translate(["abc", "cca"], beam_size=3) == fitted.translate(["abc", "cca"], beam_size=3)


def test_bad_input(fitted):
    with pytest.raises(DataError, match="more than this model's limit of 12"):
        fitted.translate(["a" * 13])
    with pytest.raises(DataError, match="single str"):
        fitted.translate("abc")
    with pytest.raises(InvalidParameterError, match="beam_size must be"):
        fitted.translate(["abc"], beam_size=0)
    with pytest.raises(DataError, match="empty target"):
        Seq2Seq().fit([("abc", "")])
    with pytest.raises(DataError, match="pair of strings"):
        Seq2Seq().fit([("abc",)])
    with pytest.raises(InvalidParameterError, match="multi-head"):
        Seq2Seq(model="transformer", attention="additive", train=TrainConfig(max_steps=1)).fit(REVERSE)
    with pytest.raises(InvalidParameterError, match="source_level"):
        Seq2Seq(source_level="bytes").fit(REVERSE)


def test_scheduled_sampling_goes_on_after_resume(tmp_path):
    def model(steps):
        return Seq2Seq(model="gru", attention="dot", source_level="char", target_level="whitespace", d_embed=4,
                       d_hidden=4, dropout=0.0, teacher_forcing=0.5, scheduled_sampling="linear", schedule_steps=10,
                       train=TrainConfig(max_steps=steps, batch_size=6, eval_every=2), random_state=0)

    model(2).fit(REVERSE, checkpoint_dir=tmp_path / "run")
    resumed = model(4).fit(REVERSE, checkpoint_dir=tmp_path / "run", resume=True)
    assert int(resumed.module_.updates) == 4  # 2 + 2 training forwards: the ratio goes on from step 2, not from 0
