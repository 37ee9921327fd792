"""The TorchEstimator contract and the Trainer pieces every neural family relies on.

Each test here must fail if the shared piece it names breaks: the settings check, padding,
weight decay groups, gradient accumulation, mixed precision, the time budget, callbacks,
shape checks on load, and the registries the command line reads.
"""

from __future__ import annotations

import json
import time

import numpy as np
import pytest
import torch
from torch import nn

from seqlab import io
from seqlab.data.streams import PaddedBatches, encode_sentences
from seqlab.data.vocab import Vocabulary
from seqlab.data.windows import WindowBatches
from seqlab.exceptions import FormatError, InvalidParameterError
from seqlab.models import FORECAST_ARCHITECTURES, LM_ARCHITECTURES, MLPForecaster, NeuralLM, RecurrentForecaster
from seqlab.models.lm import RecurrentLM, RecurrentLMConfig, TransformerLM, TransformerLMConfig
from seqlab.train import MEAN_SQUARED_ERROR, TOKEN_CROSS_ENTROPY, TrainConfig, Trainer
from seqlab.train.batch import to_device
from seqlab.train.callbacks import Callback

CORPUS = [["the", "cat", "sat"], ["a", "dog", "ran", "far"], ["the", "dog", "sat"]] * 4
TINY = TrainConfig(max_steps=3, batch_size=2, bptt=4, eval_every=10)


def tiny_lm(**kw):
    params = {"model": "lstm", "n_layers": 1, "d_hidden": 8, "d_embed": 8, "dropout": 0.0, "device": "cpu",
              "train": TINY}
    return NeuralLM(**{**params, **kw})


# ---------------------------------------------------------------------- settings
@pytest.mark.parametrize("model,setting", [("lstm", {"n_heads": 2}), ("transformer", {"d_embed": 32}),
                                           ("window", {"n_layers": 3}), ("gru", {"kernel_size": 5})])
def test_a_setting_the_architecture_does_not_use_raises_before_any_data_is_read(model, setting):
    lm = NeuralLM(model=model, **setting)
    name = next(iter(setting))
    with pytest.raises(InvalidParameterError, match=f"{name}=.*does not apply"):
        lm.check_params()
    with pytest.raises(InvalidParameterError, match="does not apply"):
        lm.fit(object())  # the data is never looked at


def test_every_registered_architecture_builds_from_the_facade_defaults():
    for name in LM_ARCHITECTURES:
        NeuralLM(model=name).check_params()
    assert LM_ARCHITECTURES.names()[:3] == ["rnn", "jordan", "lstm"]
    with pytest.raises(InvalidParameterError, match="unknown language model 'lsmt'; choose one of: rnn"):
        LM_ARCHITECTURES["lsmt"]
    assert set(FORECAST_ARCHITECTURES) == {"mlp", "lstm", "gru", "rnn", "conv"}


def test_registries_are_readable_without_building_anything():
    arch = LM_ARCHITECTURES["peephole"]
    assert arch.fixed == {"cell": "peephole"} and arch.config is RecurrentLMConfig and arch.module is RecurrentLM


def test_random_state_overrides_the_train_seed_and_gives_the_same_model():
    a = tiny_lm(random_state=7).fit(CORPUS)
    b = tiny_lm(random_state=7, train=TrainConfig(max_steps=3, batch_size=2, bptt=4, eval_every=10, seed=99)).fit(
        CORPUS)
    c = tiny_lm(random_state=8).fit(CORPUS)
    wa, wb, wc = (dict(m.module_.state_dict()) for m in (a, b, c))
    assert all(torch.equal(wa[k], wb[k]) for k in wa)
    assert not all(torch.equal(wa[k], wc[k]) for k in wa)


def test_threads_are_restored_after_fit():
    before = torch.get_num_threads()
    tiny_lm(threads=1).fit(CORPUS)
    assert torch.get_num_threads() == before


# ---------------------------------------------------------------------- batches and objectives
def test_padding_never_changes_a_loss():
    """The same sentences in a batch padded to their own width and in one padded much wider: same loss."""
    vocab = Vocabulary.build(CORPUS)
    encoded = encode_sentences(CORPUS[:3], vocab)
    torch.manual_seed(0)
    for module in (RecurrentLM(RecurrentLMConfig(vocab_size=len(vocab), d_embed=6, d_hidden=6, dropout=0.0)),
                   TransformerLM(TransformerLMConfig(vocab_size=len(vocab), d_model=8, n_heads=2, dropout=0.0,
                                                     context_size=32))):
        module.eval()
        narrow = PaddedBatches(encoded, batch_size=3, shuffle=False).batch(0, 0)
        long_tail = np.concatenate([encoded[0], np.full(12, vocab["the"])])  # a 4th, much longer row
        wide = PaddedBatches([*encoded, long_tail], batch_size=4, shuffle=False).batch(0, 0)
        with torch.no_grad():
            total_n, count_n, _ = TOKEN_CROSS_ENTROPY(module, to_device(narrow, torch.device("cpu")), None)
            rows = to_device(wide, torch.device("cpu"))
            out = module(rows.inputs)
            logp = torch.log_softmax(out.logits, -1)  # (4, L, V)
            picked = logp.gather(-1, rows.targets.clamp(min=0).unsqueeze(-1)).squeeze(-1)  # (4, L)
            per_row = torch.where(rows.targets >= 0, -picked, torch.zeros_like(picked))
        assert wide.inputs.shape[1] > narrow.inputs.shape[1]
        assert float(per_row[:3].sum()) == pytest.approx(float(total_n), rel=1e-5)
        assert int((rows.targets[:3] >= 0).sum()) == int(count_n)
        mask = rows.mask
        assert mask is not None and mask.sum(1).tolist() == wide.lengths.tolist()


def test_weight_decay_applies_to_weight_matrices_only():
    module = TransformerLM(TransformerLMConfig(vocab_size=20, d_model=8, n_heads=2, n_layers=1, context_size=16))
    opt = Trainer(TrainConfig(weight_decay=0.1)).make_optimizer(module)
    decayed = {id(p) for g in opt.param_groups if g["weight_decay"] > 0 for p in g["params"]}
    names = {id(p): n for n, p in module.named_parameters()}
    decayed_names = {names[i] for i in decayed}
    assert decayed_names and all(n.endswith("weight") and "norm" not in n and "embed" not in n
                                 for n in decayed_names), decayed_names
    assert "embed.weight" not in decayed_names  # tied with the head: excluded once, as an embedding
    assert all(p.dim() >= 2 for g in opt.param_groups if g["weight_decay"] > 0 for p in g["params"])
    n_params = len({id(p) for p in module.parameters()})
    assert sum(len(g["params"]) for g in opt.param_groups) == n_params  # every parameter exactly once


def _one_step_weights(batch_size: int, accumulate: int) -> dict[str, torch.Tensor]:
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(32, 3)), rng.normal(size=(32, 1))
    torch.manual_seed(0)
    module = nn.Linear(3, 1)
    config = TrainConfig(optimizer="sgd", lr=0.1, schedule="constant", clip=None, batch_size=batch_size,
                         max_steps=1, eval_every=10, accumulate_steps=accumulate)
    Trainer(config, objective=MEAN_SQUARED_ERROR, quiet=True).fit(
        module, WindowBatches(x, y, batch_size=batch_size, seed=3))
    return {k: v.clone() for k, v in module.state_dict().items()}


def test_gradient_accumulation_equals_one_large_batch():
    big = _one_step_weights(16, 1)
    accumulated = _one_step_weights(8, 2)
    small = _one_step_weights(8, 1)
    for k in big:
        torch.testing.assert_close(big[k], accumulated[k], rtol=1e-6, atol=1e-7)
    assert not torch.allclose(big["weight"], small["weight"])


def test_bf16_mixed_precision_trains_on_cpu():
    lm = tiny_lm(train=TrainConfig(max_steps=30, batch_size=4, bptt=6, lr=2e-2, eval_every=100, precision="bf16"))
    lm.fit(CORPUS, valid=CORPUS[:3])
    history = lm.train_result_
    assert np.isfinite(history["train_loss"]) and history["steps"] == 30
    start = tiny_lm(train=TrainConfig(max_steps=1, batch_size=4, bptt=6, lr=1e-9, eval_every=100)).fit(
        CORPUS, valid=CORPUS[:3])
    assert history["valid_loss"] < start.train_result_["valid_loss"]


def test_max_time_bounds_the_final_evaluation_too():
    class SlowValid:  # every validation batch takes 0.2 s
        def __init__(self, inner):
            self.inner = inner

        def __len__(self):
            return 50

        def batch(self, epoch, k):
            time.sleep(0.2)
            return self.inner.batch(0, 0)

    rng = np.random.default_rng(0)
    data = WindowBatches(rng.normal(size=(8, 3)), rng.normal(size=(8, 1)), batch_size=8)
    config = TrainConfig(max_time=0.5, max_steps=10**6, eval_every=10**6, schedule="constant")
    start = time.perf_counter()
    Trainer(config, objective=MEAN_SQUARED_ERROR, quiet=True).fit(nn.Linear(3, 1), data, SlowValid(data))
    assert time.perf_counter() - start < 2.0  # 50 validation batches alone would take 10 s


def test_callbacks_see_steps_evaluations_checkpoints_and_the_end(tmp_path):
    seen: list[str] = []

    class Spy(Callback):
        def on_step(self, trainer, run, record):
            seen.append(f"step{record['step']}")

        def on_eval(self, trainer, run, record):
            seen.append(f"eval{record['step']}")
            return record["step"] >= 4  # stop like early stopping would

        def on_checkpoint(self, trainer, run, payload):
            seen.append(f"ckpt{payload['step']}")

        def on_end(self, trainer, run, result):
            seen.append(f"end:{result.stopped}")

    lm = tiny_lm(train=TrainConfig(max_steps=10, batch_size=2, bptt=4, eval_every=2)).fit(
        CORPUS, valid=CORPUS[:2], callbacks=[Spy()], checkpoint_dir=tmp_path / "ck")
    assert seen == ["step1", "step2", "eval2", "ckpt2", "step3", "step4", "eval4", "ckpt4", "end:early_stopping"]
    assert lm.train_result_["steps"] == 4 and (tmp_path / "ck" / "trainer.pt").is_file()


# ---------------------------------------------------------------------- saving
def test_save_writes_this_runs_trainer_state_not_a_copy_from_disk(tmp_path):
    out = tmp_path / "m"
    lm = tiny_lm().fit(CORPUS, checkpoint_dir=out)
    other = tiny_lm(random_state=5, train=TrainConfig(max_steps=7, batch_size=2, bptt=4, eval_every=10))
    other.fit(CORPUS, checkpoint_dir=out)  # another run's checkpoint now sits in the directory
    lm.save(out)
    state = torch.load(out / "trainer.pt", weights_only=True)
    assert state["step"] == 3  # lm's own state (3 steps), not the other run's 7


def test_damaged_weight_shapes_are_refused_before_building(tmp_path):
    path = tiny_lm().fit(CORPUS).save(tmp_path / "m")
    manifest = json.loads((path / "manifest.json").read_text())
    manifest["state"]["config"]["d_hidden"] = 10**9  # a huge module, if it were built
    (path / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(FormatError, match="cannot be built"):
        io.load(path)
    manifest["state"]["config"]["d_hidden"] = 9  # plausible, but not what the weights are
    (path / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(FormatError, match="has shape .* but the saved config builds"):
        io.load(path)


def test_forecasters_are_torch_estimators_with_device_threads_and_seed(tmp_path):
    x = np.sin(np.arange(80) / 4.0)
    a = MLPForecaster(lags=4, epochs=5, random_state=3).fit(x)
    b = MLPForecaster(lags=4, epochs=5, random_state=3).fit(x)
    np.testing.assert_array_equal(a.predict(5), b.predict(5))
    assert a.device_.type == "cpu" and a.threads == 1
    back = io.load(a.save(tmp_path / "f"))
    np.testing.assert_allclose(back.predict(5), a.predict(5), rtol=1e-6)
    with pytest.raises(InvalidParameterError, match="'device' parameter"):
        RecurrentForecaster(device="gpu").fit(x)


def test_a_very_long_line_is_scored_in_windows_with_the_same_numbers(monkeypatch):
    from seqlab.models import neural

    lm = tiny_lm().fit(CORPUS)
    line = [["the", "cat", "sat", "a", "dog", "ran", "far"] * 30]  # 210 tokens + </s>
    whole, _ = lm.token_log_probs(line)
    monkeypatch.setattr(neural, "_STATEFUL_WINDOW", 16)  # force 14 windows carrying the state
    windowed, _ = lm.token_log_probs(line)
    np.testing.assert_allclose(windowed, whole, rtol=1e-5, atol=1e-6)


def test_the_training_curve_is_saved_as_metrics_csv_and_survives_resume(tmp_path):
    from seqlab.train.log import read_metrics

    cfg = dict(batch_size=2, bptt=4, eval_every=2, log_every=1)
    lm = tiny_lm(train=TrainConfig(max_steps=4, **cfg)).fit(CORPUS, valid=CORPUS[:2], checkpoint_dir=tmp_path / "m")
    rows = read_metrics(lm.save(tmp_path / "m"))
    assert [r["step"] for r in rows if r["valid_metric"] is None] == [1, 2, 3, 4]
    evals = [r for r in rows if r["valid_metric"] is not None]
    assert [r["step"] for r in evals] == [2, 4]
    assert evals[-1]["valid_metric"] == pytest.approx(lm.train_result_["valid_perplexity"])
    more = tiny_lm(train=TrainConfig(max_steps=6, **cfg)).fit(CORPUS, valid=CORPUS[:2], checkpoint_dir=tmp_path / "m",
                                                              resume=True)
    rows = read_metrics(more.save(tmp_path / "m"))
    assert [r["step"] for r in rows if r["valid_metric"] is not None] == [2, 4, 6]
