"""Trainer: truncated vs full BPTT, resume bit for bit, NaN handling, early stopping, schedules, DDP."""

from __future__ import annotations

import json
import math
import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import torch

from seqlab import io
from seqlab.data.streams import StreamBatches, encode_stream
from seqlab.data.vocab import Vocabulary
from seqlab.exceptions import FormatError, InvalidParameterError
from seqlab.models import NeuralLM, RecurrentLM, RecurrentLMConfig
from seqlab.train import TrainConfig, Trainer, TrainingDivergedError
from seqlab.train.trainer import TRAINER_STATE

CORPUS = [["the", "cat", "sat"], ["the", "dog", "sat", "down"], ["a", "cat", "ran"], ["the", "cat", "ran", "down"],
          ["a", "dog", "sat"]] * 4
SRC = str(Path(__file__).resolve().parents[2] / "src")


def lm(**train_kw):
    model_kw = train_kw.pop("model_kw", {})
    train = TrainConfig(**{"max_steps": 8, "batch_size": 4, "bptt": 5, "lr": 1e-2, "eval_every": 2, **train_kw})
    return NeuralLM(**{"model": "lstm", "n_layers": 2, "d_hidden": 8, "d_embed": 8, "dropout": 0.2,
                       "device": "cpu", "train": train, **model_kw})


def weights(model: NeuralLM) -> dict[str, np.ndarray]:
    return {k: v.detach().numpy().copy() for k, v in model.module_.state_dict().items()}


# ---------------------------------------------------------------------- BPTT
def tiny_rnn() -> RecurrentLM:
    torch.manual_seed(0)
    return RecurrentLM(RecurrentLMConfig(vocab_size=9, d_embed=4, d_hidden=5, n_layers=2, dropout=0.0))


def test_truncated_bptt_equals_full_bptt_when_the_window_covers_the_sequence():
    stream = np.array([2, 4, 5, 6, 3, 2, 7, 8, 3, 2, 5, 5, 4, 3, 2, 6, 7, 3], dtype=np.int64)
    config = TrainConfig(optimizer="sgd", lr=0.5, schedule="constant", clip=None, batch_size=2, bptt=20,
                         max_steps=1, eval_every=1)
    data = StreamBatches(stream, batch_size=2, bptt=config.bptt)
    assert len(data) == 1, "one window covers each row"
    trained = tiny_rnn()
    Trainer(config).fit(trained, data)

    manual = tiny_rnn()
    rows = torch.from_numpy(stream.reshape(2, 9))
    targets = rows[:, 1:].clone()
    targets[targets == 2] = -100  # <s> is never predicted
    manual(rows[:, :-1], targets).loss.backward()
    with torch.no_grad():
        for p in manual.parameters():
            p -= 0.5 * p.grad
    for (name, a), b in zip(trained.state_dict().items(), manual.state_dict().values(), strict=True):
        torch.testing.assert_close(a, b, atol=1e-6, rtol=1e-6, msg=f"parameter {name} differs")


def test_windowed_evaluation_with_carried_state_equals_one_pass():
    stream = encode_stream(CORPUS, Vocabulary.build(CORPUS))
    model = tiny_rnn_for(stream)
    config = TrainConfig(max_steps=1)
    whole = Trainer(config).evaluate(model, StreamBatches(stream, batch_size=3, bptt=1000))
    windows = Trainer(config).evaluate(model, StreamBatches(stream, batch_size=3, bptt=4))
    assert windows == pytest.approx(whole, rel=1e-6)


def tiny_rnn_for(stream: np.ndarray) -> RecurrentLM:
    torch.manual_seed(1)
    return RecurrentLM(RecurrentLMConfig(vocab_size=int(stream.max()) + 1, d_embed=4, d_hidden=6, dropout=0.0))


# ---------------------------------------------------------------------- resume
class _Crash(Exception):
    pass


@pytest.mark.parametrize("batching", ["stream", "padded"])
def test_resume_continues_the_same_loss_curve(batching, tmp_path, monkeypatch):
    straight = lm(batching=batching, log_every=1).fit(CORPUS, valid=CORPUS[:5], checkpoint_dir=tmp_path / "a")

    class CrashAtStep5:  # a callback: the run dies between two checkpoints
        def on_step(self, trainer, run, record):
            if record["step"] == 5:
                raise _Crash

    with pytest.raises(_Crash):
        lm(batching=batching, log_every=1).fit(CORPUS, valid=CORPUS[:5], checkpoint_dir=tmp_path / "b",
                                               callbacks=[CrashAtStep5()])
    assert torch.load(tmp_path / "b" / TRAINER_STATE, weights_only=True)["step"] == 4
    resumed = lm(batching=batching, log_every=1).fit(CORPUS, valid=CORPUS[:5], checkpoint_dir=tmp_path / "b",
                                                     resume=True)
    assert [h["valid_loss"] for h in resumed.history_] == [h["valid_loss"] for h in straight.history_]
    a, b = weights(straight), weights(resumed)
    for k in a:
        np.testing.assert_array_equal(a[k], b[k], err_msg=f"{k} differs after resume")


def test_resume_from_a_different_model_is_refused_and_leaves_the_checkpoint(tmp_path):
    lm().fit(CORPUS, checkpoint_dir=tmp_path / "c")
    before = (tmp_path / "c" / "manifest.json").read_bytes()
    with pytest.raises(FormatError, match="Cannot resume"):
        lm(model_kw={"d_hidden": 12, "d_embed": 12}).fit(CORPUS, checkpoint_dir=tmp_path / "c", resume=True)
    assert (tmp_path / "c" / "manifest.json").read_bytes() == before
    with pytest.raises(Exception, match="no trainer.pt|not a seqlab model"):
        lm().fit(CORPUS, checkpoint_dir=tmp_path / "empty", resume=True)


# ---------------------------------------------------------------------- failures and stopping
def test_nan_loss_stops_with_a_clear_message_and_keeps_the_last_good_checkpoint(tmp_path, monkeypatch):
    original = Trainer._sum_loss
    calls = {"n": 0}

    def poisoned(self, module, batch, state):
        total, count, new_state = original(self, module, batch, state)
        if module.training:
            calls["n"] += 1
            if calls["n"] == 3:
                total = total * float("nan")
        return total, count, new_state

    monkeypatch.setattr(Trainer, "_sum_loss", poisoned)
    with pytest.raises(TrainingDivergedError, match="loss became nan at step 3.*last good checkpoint"):
        lm(eval_every=1).fit(CORPUS, checkpoint_dir=tmp_path / "run")
    kept = io.load(tmp_path / "run")
    assert torch.load(tmp_path / "run" / TRAINER_STATE, weights_only=True)["step"] == 2
    assert all(np.isfinite(v).all() for v in weights(kept).values())


def test_early_stopping_and_max_time(monkeypatch):
    monkeypatch.setattr(Trainer, "evaluate", lambda self, module, data: 1.0)
    model = lm(max_steps=50, eval_every=1, patience=2).fit(CORPUS, valid=CORPUS[:5])
    assert model.train_result_["stopped"] == "early_stopping" and model.train_result_["steps"] == 3
    for clock in ("wall", "process"):
        quick = lm(max_steps=None, max_epochs=None, max_time=1e-9, clock=clock).fit(CORPUS)
        assert quick.train_result_["stopped"] == "max_time" and quick.train_result_["steps"] == 0


def test_metrics_are_json_lines(tmp_path):
    path = tmp_path / "metrics.jsonl"
    lm(log_every=2).fit(CORPUS, valid=CORPUS[:5], metrics_path=path)
    records = [json.loads(line) for line in path.read_text().splitlines()]
    assert [r["step"] for r in records if r["event"] == "train"] == [2, 4, 6, 8]
    evals = [r for r in records if r["event"] == "eval"]
    assert len(evals) == 4 and all(math.isfinite(r["valid_loss"]) for r in evals)


def test_learning_rate_schedules_hand_worked():
    warm = TrainConfig(lr=1.0, warmup_steps=4, schedule="cosine", min_lr_ratio=0.0, max_steps=14)
    assert [warm.lr_at(s, 14) for s in range(4)] == [0.25, 0.5, 0.75, 1.0]
    assert warm.lr_at(9, 14) == pytest.approx(0.5)  # halfway through the 10 cosine steps: (1 + cos(pi/2)) / 2
    assert warm.lr_at(14, 14) == pytest.approx(0.0, abs=1e-12)
    zaremba = TrainConfig(optimizer="sgd", lr=1.0, schedule="step", step_start=40, step_every=10, gamma=0.5)
    assert [zaremba.lr_at(s, None) for s in (0, 39, 40, 49, 50, 60)] == [1.0, 1.0, 0.5, 0.5, 0.25, 0.125]


def test_cosine_anneals_over_the_time_budget_hand_worked():
    cfg = TrainConfig(lr=1.0, schedule="cosine", min_lr_ratio=0.0, max_time=10.0)
    assert cfg.lr_at(0, None, 0.0) == 1.0
    assert cfg.lr_at(7, None, 0.5) == pytest.approx(0.5)
    assert cfg.lr_at(100, 1000, 0.75) == pytest.approx(0.5 * (1 + math.cos(0.75 * math.pi)))  # time ends first
    assert cfg.lr_at(750, 1000, 0.1) == pytest.approx(0.5 * (1 + math.cos(0.75 * math.pi)))  # steps end first
    assert cfg.lr_at(5, None, None) == 1.0  # no bound at all: constant


def test_a_time_budgeted_run_decays_its_learning_rate():
    lrs = []

    class Record:
        def on_step(self, trainer, run, record):
            lrs.append(record["lr"])

    lm(max_steps=None, max_time=0.6, schedule="cosine", min_lr_ratio=0.0, eval_every=10**6).fit(
        CORPUS, callbacks=[Record()])
    assert len(lrs) > 5
    assert all(b <= a for a, b in zip(lrs, lrs[1:], strict=False))
    assert lrs[0] > 0.9e-2 and lrs[-1] < 0.3e-2


def test_resume_on_the_process_clock_counts_cpu_seconds_not_wall_seconds(tmp_path):
    lm(max_steps=4).fit(CORPUS, checkpoint_dir=tmp_path)
    payload = torch.load(tmp_path / TRAINER_STATE, weights_only=True)
    assert 0 <= payload["budget_used"] < 60
    payload["elapsed"] = 1e6  # a run that waited a long time in wall seconds, e.g. on a busy machine
    torch.save(payload, tmp_path / TRAINER_STATE)
    resumed = lm(max_steps=8, max_time=120.0, clock="process").fit(CORPUS, checkpoint_dir=tmp_path, resume=True)
    assert resumed.train_result_["steps"] == 8


@pytest.mark.parametrize("kwargs,match", [
    ({"lr": 0}, "lr must be a positive number"),
    ({"clip": -1.0}, "clip must be > 0"),
    ({"batch_size": 0}, "batch_size must be an int >= 1"),
    ({"optimizer": "adam"}, "optimizer must be one of"),
    ({"clock": "gpu"}, "clock must be one of"),
])
def test_bad_train_configs(kwargs, match):
    with pytest.raises(InvalidParameterError, match=match):
        TrainConfig(**kwargs)


@pytest.mark.parametrize("restore", [True, False])
def test_restore_best_ends_with_the_weights_of_the_lowest_validation_loss(monkeypatch, restore):
    losses, seen = iter([3.0, 1.0, 2.0, 2.5, 2.7, 2.9]), []

    def scripted(self, module, data):
        seen.append({k: v.detach().clone().numpy() for k, v in module.state_dict().items()})
        return next(losses)

    monkeypatch.setattr(Trainer, "evaluate", scripted)
    model = lm(max_steps=6, eval_every=1, restore_best=restore).fit(CORPUS, valid=CORPUS[:5])
    want, got = seen[1 if restore else -1], weights(model)
    for k in want:
        np.testing.assert_array_equal(got[k], want[k], err_msg=k)
    assert model.train_result_.get("best_step") == (2 if restore else None)
    assert model.train_result_["valid_loss"] == (1.0 if restore else 2.9)


def test_restore_best_survives_resume(tmp_path):
    def run(steps, **fit_kw):
        return lm(max_steps=steps, eval_every=2, restore_best=True, lr=0.5, schedule="constant").fit(
            CORPUS, valid=CORPUS[:5], **fit_kw)

    straight = run(6)
    run(4, checkpoint_dir=tmp_path / "r")
    resumed = run(6, checkpoint_dir=tmp_path / "r", resume=True)
    assert straight.train_result_["best_step"] == 2, "the case must train past its best evaluation"
    assert resumed.train_result_["best_step"] == 2
    a, b = weights(straight), weights(resumed)
    for k in a:
        np.testing.assert_allclose(a[k], b[k], atol=1e-6, err_msg=k)


# ---------------------------------------------------------------------- distributed
WORKER = textwrap.dedent("""
    import sys, torch
    torch.set_num_threads(1)
    sys.path.insert(0, {src!r})
    from seqlab.models import NeuralLM
    from seqlab.train import TrainConfig
    corpus = {corpus!r}
    lm = NeuralLM(model="lstm", n_layers=1, d_hidden=8, d_embed=8, dropout=0.0, device="cpu",
                  train=TrainConfig(max_steps=4, batch_size=4, bptt=5, lr=1e-2, eval_every=2)).fit(corpus, valid=corpus)
    lm.save(sys.argv[1])  # every process calls save: the first one writes, all meet at a barrier
""")


def run_two_processes(argv: list[str], cwd: Path) -> None:
    """Run ``python ARGV`` as ranks 0 and 1 of a gloo process group (what torchrun sets up); both must exit 0."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    procs = []
    for rank in range(2):
        env = {**os.environ, "RANK": str(rank), "LOCAL_RANK": str(rank), "WORLD_SIZE": "2",
               "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(port), "OMP_NUM_THREADS": "1",
               "PYTHONPATH": SRC}
        procs.append(subprocess.Popen([sys.executable, *argv], env=env, cwd=cwd,
                                      stdout=subprocess.PIPE, stderr=subprocess.STDOUT))
    for rank, p in enumerate(procs):
        out, _ = p.communicate(timeout=240)
        assert p.returncode == 0, f"rank {rank} exited {p.returncode}: " + out.decode()[-2000:]


@pytest.mark.slow
def test_two_process_ddp_matches_one_process_with_the_same_global_batch(tmp_path):
    script = tmp_path / "worker.py"
    script.write_text(WORKER.format(src=SRC, corpus=CORPUS))
    run_two_processes([str(script), str(tmp_path / "ddp")], tmp_path)
    ddp = io.load(tmp_path / "ddp")
    single = NeuralLM(model="lstm", n_layers=1, d_hidden=8, d_embed=8, dropout=0.0, device="cpu",
                      train=TrainConfig(max_steps=4, batch_size=4, bptt=5, lr=1e-2, eval_every=2)).fit(
        CORPUS, valid=CORPUS)
    a, b = weights(ddp), weights(single)
    for k in a:
        np.testing.assert_allclose(a[k], b[k], atol=1e-5, rtol=1e-5, err_msg=f"{k}: DDP differs from one process")
    assert ddp.train_result_["valid_loss"] == pytest.approx(single.train_result_["valid_loss"], rel=1e-5)


@pytest.mark.slow
def test_cli_training_under_two_processes_writes_one_model_and_both_exit_cleanly(tmp_path):
    # Each rank tears the process group down after rank 0 has written (gloo aborts a rank that leaves early).
    corpus = tmp_path / "train.txt"
    corpus.write_text("\n".join(" ".join(s) for s in CORPUS * 10) + "\n")
    out = tmp_path / "model"
    run_two_processes(["-m", "seqlab", "lm", "train", "--model", "gru", "--data", str(corpus), "--layers", "1",
                       "--hidden", "8", "--embed-dim", "8", "--batch-size", "4", "--bptt", "5", "--max-steps", "3",
                       "--device", "cpu", "-o", str(out), "--quiet"], tmp_path)
    assert io.load(out).train_result_["steps"] == 3
