"""Benchmark: encoder-decoders on the bundled pair sets, seqlab vs peers, in one run.

Sections (each can be skipped; figures on a shared 2-core CPU, one torch thread, budgets in
process CPU seconds so that other users of the machine do not shorten a run):

1. ``dates``: exact match on the test split for a GRU encoder-decoder with additive attention,
   the same model without attention (Sutskever: the decoder starts from the final encoder
   state) and a Transformer, each trained for ``--budget`` CPU seconds; greedy and beam 5.
   Also writes the attention heatmap of one test date (``bench/results/seq2seq_attention.png``).
2. ``speed``: (a) training tokens/s of ``Seq2Seq(model="gru", attention="additive")`` vs a bare
   PyTorch implementation of the same model on the same batches; (b) batched beam search vs
   decoding the sources one at a time (same outputs required).
3. ``g2p``: CMUdict (with stress) spelling -> phonemes, the same seeded random sample of training
   and test words for everyone: seqlab's BiLSTM attention model (``--g2p-budget`` CPU seconds) vs
   Sequitur G2P (the joint-sequence baseline) ramped up one order at a time while its training
   stays under ``--sequitur-cpu`` CPU seconds, each order scored; word error rate (1 - exact
   match, any variant accepted) and phoneme error rate. ``--skip seqlab`` / ``--skip sequitur``
   run one side (two processes can share the work; the JSON keeps both sides). The whole
   dictionary (key ``g2p_full``)::

       python bench/seq2seq.py --skip dates speed seqlab --g2p-train 1000000 --g2p-test 1000000 \
           --sequitur-cpu 5400 --sequitur-python /tmp/seqv/bin/python --g2p-key g2p_full
       python bench/seq2seq.py --skip dates speed sequitur --g2p-train 1000000 --g2p-test 1000000 \
           --g2p-budget 1800 --g2p-hidden 256 --g2p-schedule cosine --g2p-dropout 0.2 --g2p-key g2p_full
4. ``vae`` (``--vae``): SequenceVAE vs a NeuralLM of the same size on kjv verses of at most 25 words, the
   same number of epochs over the same batches: KL at the end of training (posterior collapse if
   ~0), the ELBO and importance-weighted perplexity bounds vs the LM's perplexity on the same valid
   verses, active units, and interpolations between two verses.
5. ``mt`` (``--mt``): kjv-rv1909 Spanish -> English words, BLEU/chrF by sacrebleu, no attention vs
   additive vs Transformer at one CPU budget, greedy vs beam 5.

Writes ``bench/results/seq2seq.json``. Run: ``PYTHONPATH=src python bench/seq2seq.py``.

Sequitur G2P does not work as ``pip install sequitur-g2p`` gives it (1.0.1668.30): the binary
wheel's SWIG bindings fail at run time (``'SwigPyObject' object has no attribute 'thisown'``,
SWIG's newer runtime; fixed upstream after that release), and the release calls ``numpy.sometrue``,
which NumPy 2 removed, while it declares ``numpy>=2``. It runs unchanged when built from the sdist
with SWIG 4.0.2, in its own environment with NumPy 1.26::

    python3.11 -m venv /tmp/seqv
    /tmp/seqv/bin/pip install setuptools wheel swig==4.0.2 "numpy<2"
    PATH=/tmp/seqv/bin:$PATH /tmp/seqv/bin/pip install --no-deps --no-build-isolation \
        --no-binary sequitur-g2p sequitur-g2p==1.0.1668.30
    PYTHONPATH=src python bench/seq2seq.py --sequitur-python /tmp/seqv/bin/python ...
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from seqlab.data.pairs import Pairs, load_pairs
from seqlab.evaluate.seq2seq import exact_match, token_error_rate
from seqlab.models import Seq2Seq
from seqlab.train import TrainConfig

RESULTS = Path(__file__).parent / "results" / "seq2seq.json"
HEATMAP = Path(__file__).parent / "results" / "seq2seq_attention.png"


def train_cfg(budget: float, **kw: Any) -> TrainConfig:
    base = {"max_time": budget, "clock": "process", "batch_size": 64, "lr": 3e-3, "eval_every": 10**9, "clip": 1.0,
            "schedule": "constant"}
    return TrainConfig(**{**base, **kw})


def scored(model: Seq2Seq, pairs: Pairs, beam: int) -> dict[str, Any]:
    t0 = time.process_time()
    out = model.translate(pairs.sources, beam_size=beam)
    cpu = time.process_time() - t0
    hyps = [model.tokenize_target(o) for o in out]
    refs = [[model.tokenize_target(r) for r in rs] for rs in pairs.references]
    return {"exact_match": round(exact_match(hyps, refs), 4),
            "token_error_rate": round(token_error_rate(hyps, refs), 4),
            "decode_cpu_s": round(cpu, 2)}


# ---------------------------------------------------------------------- 1. dates
DATES_MODELS = {"gru+additive": dict(model="gru", attention="additive"),
                "gru+none": dict(model="gru", attention="none"),
                "transformer": dict(model="transformer", n_layers=2, n_heads=4)}


def bench_dates(budget: float, n_test: int, names: list[str]) -> dict[str, Any]:
    train, test = load_pairs("dates", "train"), load_pairs("dates", "test")[:n_test]
    rows = {}
    for name in names:
        params = DATES_MODELS[name]
        m = Seq2Seq(**params, source_level="char", d_embed=32, d_hidden=64, dropout=0.0, train=train_cfg(budget),
                    random_state=0).fit(train)
        rows[name] = {"train_steps": m.train_result_["steps"], "train_cpu_s": budget,
                      "tokens_per_s": round(m.train_result_["tokens_per_second"]),
                      "greedy": scored(m, test, 1), "beam5": scored(m, test, 5)}
        print(name, rows[name], file=sys.stderr)
        if name == "gru+additive":
            plot_heatmap(m, "14 juillet 2023")
    return {"test_pairs": len(test), "budget_cpu_s_each": budget, "models": rows}


def plot_heatmap(model: Seq2Seq, source: str) -> None:
    from seqlab.plotting import pyplot

    (out,), (w,) = model.translate([source], beam_size=5, return_attention=True)
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6, 4.5))
    ax.imshow(w, cmap="viridis", aspect="auto", vmin=0, vmax=1)
    ax.set_xticks(range(len(source)), [c if c != " " else "␣" for c in source])
    ax.set_yticks(range(len(out) + 1), [*out, "</s>"])
    ax.set_xlabel("source characters")
    ax.set_ylabel("output characters")
    ax.set_title(f"additive attention: {source!r} -> {out!r}")
    fig.tight_layout()
    fig.savefig(HEATMAP, dpi=110)
    plt.close(fig)


# ---------------------------------------------------------------------- 2. speed
class BareGRUAttention(torch.nn.Module):
    """The same model as Seq2Seq(model="gru", attention="additive", bidirectional, 1 layer), in plain torch."""

    def __init__(self, src_v: int, tgt_v: int, e: int, h: int) -> None:
        super().__init__()
        nn = torch.nn
        self.src, self.tgt = nn.Embedding(src_v, e, padding_idx=0), nn.Embedding(tgt_v, e, padding_idx=0)
        self.enc = nn.GRU(e, h, batch_first=True, bidirectional=True)
        self.bridge, self.mem = nn.Linear(2 * h, h), nn.Linear(2 * h, h, bias=False)
        self.dec = nn.GRU(e, h, batch_first=True)
        self.wq, self.wk, self.v = nn.Linear(h, h, bias=False), nn.Linear(h, h), nn.Linear(h, 1, bias=False)
        self.combine, self.head = nn.Linear(2 * h, h, bias=False), nn.Linear(h, tgt_v)

    def forward(self, source: torch.Tensor, lengths: torch.Tensor, inputs: torch.Tensor) -> torch.Tensor:
        packed = torch.nn.utils.rnn.pack_padded_sequence(self.src(source), lengths.cpu(), batch_first=True,
                                                         enforce_sorted=False)
        out, hn = self.enc(packed)
        out, _ = torch.nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=source.size(1))
        h0 = torch.tanh(self.bridge(torch.cat([hn[0], hn[1]], -1)))[None]
        mem = self.mem(out)
        dec, _ = self.dec(self.tgt(inputs), h0)
        scores = self.v(torch.tanh(self.wq(dec)[:, :, None] + self.wk(mem)[:, None])).squeeze(-1)
        scores = scores.masked_fill((source == 0)[:, None, :], float("-inf"))
        ctx = scores.softmax(-1) @ mem
        return self.head(torch.tanh(self.combine(torch.cat([ctx, dec], -1))))


def bench_speed(steps: int, n_beam: int) -> dict[str, Any]:
    from seqlab.models.seq2seq_net import PairBatches

    train = load_pairs("dates", "train")
    m = Seq2Seq(model="gru", attention="additive", source_level="char", d_embed=32, d_hidden=64, dropout=0.0,
                train=train_cfg(None, max_steps=steps), random_state=0)
    warm = Seq2Seq(model="gru", attention="additive", source_level="char", d_embed=32, d_hidden=64, dropout=0.0,
                   train=train_cfg(None, max_steps=5), random_state=1)
    warm.fit(train)  # first use of torch's kernels (and allocator) is paid here, by neither side of the comparison
    t0 = time.process_time()
    Seq2Seq(source_level="char")._prepare(train)  # tokenising and encoding, not training: measured apart
    prep_cpu = time.process_time() - t0
    t0 = time.process_time()
    m.fit(train)
    seqlab_cpu = time.process_time() - t0 - prep_cpu
    src, tgt = m._encode(train)
    batches = PairBatches(src, tgt, batch_size=64, shuffle=True, seed=0)
    torch.manual_seed(0)
    bare = BareGRUAttention(len(m.source_vocabulary_), len(m.target_vocabulary_), 32, 64)
    opt = torch.optim.AdamW(bare.parameters(), lr=3e-3)
    tokens = 0
    t0 = time.process_time()
    for k in range(steps):
        b = batches.batch(0, k)
        logits = bare(torch.from_numpy(b.source), torch.from_numpy(b.source_lengths), torch.from_numpy(b.inputs))
        y = torch.from_numpy(b.targets)
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.size(-1)), y.reshape(-1),
                                                 ignore_index=-100)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(bare.parameters(), 1.0)
        opt.step()
        tokens += int((y != -100).sum())
    bare_cpu = time.process_time() - t0
    seqlab_tps = tokens / seqlab_cpu  # same batches, same token count
    # the step alone (module + loss + backward + AdamW, no Trainer): seqlab's module vs the bare one
    from seqlab.models.seq2seq_net import SEQ2SEQ_CROSS_ENTROPY
    from seqlab.train.batch import to_device

    net = m.module_.train()
    opt_s = torch.optim.AdamW(net.parameters(), lr=3e-3)
    t0 = time.process_time()
    for k in range(steps):
        tb = to_device(batches.batch(1, k), torch.device("cpu"))
        loss, count, _ = SEQ2SEQ_CROSS_ENTROPY(net, tb, None)
        opt_s.zero_grad()
        (loss / count).backward()
        opt_s.step()
    module_cpu = time.process_time() - t0
    t0 = time.process_time()
    for k in range(steps):
        b = batches.batch(1, k)
        logits = bare(torch.from_numpy(b.source), torch.from_numpy(b.source_lengths), torch.from_numpy(b.inputs))
        y = torch.from_numpy(b.targets)
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.size(-1)), y.reshape(-1),
                                                 ignore_index=-100)
        opt.zero_grad()
        loss.backward()
        opt.step()
    bare_step_cpu = time.process_time() - t0
    m.module_.eval()
    sources = load_pairs("dates", "test").sources[:n_beam]
    t0 = time.process_time()
    together = m.translate(sources, beam_size=5, batch_size=64)
    batched_cpu = time.process_time() - t0
    t0 = time.process_time()
    alone = [m.translate([s], beam_size=5)[0] for s in sources]
    alone_cpu = time.process_time() - t0
    return {"train_steps": steps, "batch_size": 64, "seqlab_prepare_cpu_s_subtracted": round(prep_cpu, 2),
            "seqlab_tokens_per_cpu_s": round(seqlab_tps),
            "bare_torch_tokens_per_cpu_s": round(tokens / bare_cpu), "ratio_seqlab_over_bare": round(bare_cpu
                                                                                                 / seqlab_cpu, 3),
            "step_only_seqlab_cpu_s": round(module_cpu, 3), "step_only_bare_cpu_s": round(bare_step_cpu, 3),
            "step_only_ratio_seqlab_over_bare": round(bare_step_cpu / module_cpu, 3),
            "beam_sources": len(sources), "beam_batched_cpu_s": round(batched_cpu, 2),
            "beam_one_by_one_cpu_s": round(alone_cpu, 2), "beam_speedup": round(alone_cpu / batched_cpu, 2),
            "beam_same_outputs": together == alone}


# ---------------------------------------------------------------------- 3. g2p
def sample_pairs(pairs: Pairs, n: int, seed: int) -> Pairs:
    """``n`` pairs drawn without replacement (seeded), kept in file order; all of them if ``n`` is larger.

    The bundled splits are in alphabetical order, so their first ``n`` words would all start with
    "a"; a random sample keeps the letter mix of the whole split.
    """
    if n >= len(pairs):
        return pairs
    keep = sorted(np.random.default_rng(seed).choice(len(pairs), size=n, replace=False).tolist())
    return Pairs([pairs.sources[i] for i in keep], [pairs.targets[i] for i in keep],
                 [pairs.references[i] for i in keep], pairs.name)


def g2p_scores(hyps: list[list[str]], pairs: Pairs) -> dict[str, float]:
    """Word error rate (1 - exact match, any accepted variant) and phoneme error rate."""
    refs = [[r.split() for r in rs] for rs in pairs.references]
    return {"wer": round(1 - exact_match(hyps, refs), 4), "per": round(token_error_rate(hyps, refs), 4)}


def bench_g2p(budget: float, n_train: int, n_test: int, max_order: int, sequitur_cpu: float,
              sequitur_python: str, skip: set[str], hidden: int = 128, schedule: str = "constant",
              dropout: float = 0.1, n_valid: int = 2000, model: str = "lstm") -> dict[str, Any]:
    """seqlab's BiLSTM attention model and Sequitur on the same sampled words (``skip`` may hold
    "seqlab" or "sequitur" to run one side, e.g. in two processes at once). seqlab's row is named
    after its settings, so runs of several settings sit side by side; each is also scored on
    ``n_valid`` validation words, the figure to choose a setting by (never the test words)."""
    train = sample_pairs(load_pairs("cmudict", "train"), n_train, seed=0)
    test = sample_pairs(load_pairs("cmudict", "test"), n_test, seed=1)
    out: dict[str, Any] = {"train_words": len(train), "test_words": len(test),
                           "sampling": "seeded random sample of each split (seed 0 train, 1 test)"}
    if "sequitur" not in skip:
        out["sequitur"] = bench_sequitur(train, test, max_order, sequitur_cpu, sequitur_python)
        print(out["sequitur"], file=sys.stderr)
    if "seqlab" in skip:
        return out
    valid = sample_pairs(load_pairs("cmudict", "valid"), n_valid, seed=2)
    arch = dict(model="lstm", attention="additive", d_embed=64) if model == "lstm" else \
        dict(model="transformer", n_layers=3, d_embed=hidden)
    m = Seq2Seq(**arch, source_level="char", target_level="whitespace", d_hidden=hidden, dropout=dropout,
                train=train_cfg(budget, schedule=schedule, min_lr_ratio=0.0,
                                **({} if model == "lstm" else {"lr": 1e-3, "warmup_steps": 1000})), random_state=0)
    t0 = time.process_time()
    m.fit(train)
    cpu = time.process_time() - t0
    t0 = time.process_time()
    hyps = [m.tokenize_target(o) for o in m.translate(test.sources, beam_size=5)]
    decode_cpu = time.process_time() - t0
    valid_hyps = [m.tokenize_target(o) for o in m.translate(valid.sources, beam_size=5)]
    base = "seqlab_bilstm_attention" if model == "lstm" else "seqlab_transformer"
    name = base if (model, hidden, schedule, dropout) == ("lstm", 128, "constant", 0.1) else \
        f"{base}_h{hidden}_{schedule}_d{dropout}"
    out[name] = {**g2p_scores(hyps, test), "valid": {**g2p_scores(valid_hyps, valid), "words": len(valid)},
                 "train_cpu_s": round(cpu, 1), "decode_cpu_s": round(decode_cpu, 1),
                 "steps": m.train_result_["steps"], "beam_size": 5, "budget_cpu_s": budget, "d_hidden": hidden,
                 "schedule": schedule, "dropout": dropout, "arch": arch}
    print(out, file=sys.stderr)
    return out


def merge_rows(old: Any, new: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    """Model rows of a partial run join the earlier rows when the settings ``keys`` are the same."""
    same = isinstance(old, dict) and all(old.get(k) == new[k] for k in keys)
    return {**old, "models": {**old["models"], **new["models"]}} if same else new


def merge_g2p(old: Any, new: dict[str, Any]) -> dict[str, Any]:
    """A one-sided g2p run keeps the other side's row when both used the same words."""
    same = isinstance(old, dict) and all(old.get(k) == new[k] for k in ("train_words", "test_words", "sampling"))
    return {**old, **new} if same else new


def sequitur_script(python: str) -> str | None:
    """Path of Sequitur's ``g2p.py`` next to ``python`` or on PATH (None when not installed)."""
    here = Path(python).parent / "g2p.py"
    return str(here) if here.exists() else shutil.which("g2p.py")


def run_child(args: list[str]) -> tuple[str, float]:
    """Run a command; (stdout, its CPU seconds: user + system of the child)."""
    before = os.times()
    stdout = subprocess.run(args, check=True, capture_output=True, text=True).stdout
    after = os.times()
    return stdout, (after.children_user + after.children_system) - (before.children_user + before.children_system)


def bench_sequitur(train: Pairs, test: Pairs, max_order: int, cpu_cap: float, python: str) -> dict[str, Any] | str:
    """Sequitur G2P on the same words: order 1, then ``--ramp-up`` one order at a time, as its
    README describes, while the training CPU stays under ``cpu_cap`` (an order is only started
    when twice the CPU of the one before still fits under the cap: each order costs more than the
    last). Each order's
    model is scored on the test words, so the table shows what each extra order bought."""
    g2p = sequitur_script(python)
    if g2p is None:
        return "not installed (see the module docstring for the SWIG 4.0.2 build step)"
    rows: list[dict[str, Any]] = []
    total = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        lex, words = Path(tmp) / "train.lex", Path(tmp) / "test.words"
        lex.write_text("".join(f"{s} {t}\n" for s, t in zip(train.sources, train.targets, strict=True)))
        words.write_text("".join(f"{s}\n" for s in test.sources))
        model = None
        try:
            for order in range(1, max_order + 1):
                last = rows[-1]["train_cpu_s"] if rows else 0.0
                if rows and total + 2 * last > cpu_cap:
                    break
                new = Path(tmp) / f"model-{order}"
                start = ["--train", str(lex)] if model is None else ["--model", str(model), "--ramp-up", "--train",
                                                                     str(lex)]
                _, cpu = run_child([python, g2p, *start, "--devel", "5%", "--write-model", str(new)])
                total += cpu
                model = new
                applied, apply_cpu = run_child([python, g2p, "--model", str(model), "--apply", str(words)])
                pred = {}
                for line in applied.splitlines():
                    word, _, phones = line.partition("\t")
                    pred[word] = phones.split()
                rows.append({"order": order, **g2p_scores([pred.get(w, []) for w in test.sources], test),
                             "train_cpu_s": round(cpu, 1), "cumulative_train_cpu_s": round(total, 1),
                             "apply_cpu_s": round(apply_cpu, 1)})
                print("sequitur", rows[-1], file=sys.stderr)
        except subprocess.CalledProcessError as exc:  # e.g. a wheel whose SWIG bindings fail at run time
            errors = [line for line in (exc.stderr or "").splitlines() if "Error" in line or "failed" in line]
            return {"failed": "; ".join(errors[-2:]) or str(exc), "orders": rows}
    return {"cpu_cap_s": cpu_cap, "orders": rows, "final": rows[-1] if rows else None}


# ---------------------------------------------------------------------- 4. vae
def bench_vae(budget: float, n_valid: int, epochs: int = 5, free_bits: float = 0.03,
              word_dropout: float = 0.1) -> dict[str, Any]:
    """SequenceVAE vs a NeuralLM of the same size on kjv verses of at most 25 words.

    Both train for the same number of ``epochs`` over the same verses in the same batches
    (``budget`` CPU seconds each is only a safety cap; ``epochs_done`` says whether it bit) and
    share one vocabulary. Perplexities count the same tokens (every word and ``</s>``, not
    ``<s>``; checked below): the LM's exact perplexity, the VAE's ELBO bound (10 posterior draws)
    and its importance-weighted bound (Burda et al.) on the same valid verses. Interpolations
    decode each point of the path greedily; identical lines along a path mean z is ignored.
    """
    from seqlab import datasets
    from seqlab.evaluate.language import perplexity_report
    from seqlab.models import NeuralLM, SequenceVAE

    train = [s for s in datasets.load("kjv", "train") if len(s) <= 25]
    valid = [s for s in datasets.load("kjv", "valid") if len(s) <= 25][:n_valid]
    batch_size, min_count = 64, 5
    steps_per_epoch = -(-len(train) // batch_size)
    cfg = train_cfg(budget, batch_size=batch_size, batching="padded", max_epochs=epochs)
    vae_params = dict(model="lstm", d_latent=32, d_embed=128, d_hidden=256, inject="both", word_dropout=word_dropout,
                      kl_annealing="sigmoid", kl_anneal_steps=2 * steps_per_epoch, free_bits=free_bits)
    t0 = time.process_time()
    vae = SequenceVAE(**vae_params, min_count=min_count, train=cfg, random_state=0).fit(train)
    vae_cpu = time.process_time() - t0
    t0 = time.process_time()
    lm = NeuralLM(model="lstm", n_layers=1, d_embed=128, d_hidden=256, dropout=0.0, min_count=min_count,
                  train=cfg, random_state=0).fit(train, vocabulary=vae.vocabulary_)
    lm_cpu = time.process_time() - t0
    report = vae.evaluate(valid, samples=10)
    lm_report = perplexity_report(lm, valid)
    if lm_report.tokens != report["tokens"]:
        raise AssertionError(f"token counts differ: LM {lm_report.tokens}, VAE {report['tokens']}")
    genesis = (["in", "the", "beginning", "god", "created", "the", "heaven", "and", "the", "earth", "."],
               ["and", "god", "said", ",", "let", "there", "be", "light", ":", "and", "there", "was", "light", "."])
    paths = {"genesis": genesis, "valid_0_1": (valid[0], valid[1])}
    interpolations = {name: [" ".join(s) for s in vae.interpolate(a, b, steps=7)] for name, (a, b) in paths.items()}
    done = {name: round(m.train_result_["steps"] / steps_per_epoch, 2) for name, m in (("vae", vae), ("lm", lm))}
    return {
        "train_verses": len(train), "valid_verses": len(valid), "vocabulary": len(vae.vocabulary_),
        "batch_size": batch_size, "epochs": epochs, "epochs_done": done, "budget_cpu_s_cap_each": budget,
        "vae_params": vae_params, "vae_steps": vae.train_result_["steps"], "lm_steps": lm.train_result_["steps"],
        "vae_train_cpu_s": round(vae_cpu, 1), "lm_train_cpu_s": round(lm_cpu, 1),
        "vae": {k: round(v, 3) if isinstance(v, float) else v for k, v in report.items()},
        "lstm_lm_perplexity": round(lm_report.perplexity, 3), "lm_tokens": lm_report.tokens,
        "elbo_over_lm": round(report["elbo_perplexity"] / lm_report.perplexity, 3),
        "iw_over_lm": round(report["iw_perplexity"] / lm_report.perplexity, 3),
        "reconstructions": {name: [" ".join(s) for s in vae.reconstruct([a, b])] for name, (a, b) in paths.items()},
        "interpolation": interpolations,
        "distinct_points": {name: len(set(path)) for name, path in interpolations.items()},
        "prior_samples": [" ".join(s) for s in vae.sample(3, random_state=0)]}


# ---------------------------------------------------------------------- 5. mt
MT_MODELS = {"lstm+none": dict(model="lstm", attention="none"),
             "lstm+additive": dict(model="lstm", attention="additive"),
             "transformer": dict(model="transformer", n_layers=2)}


def bench_mt(budget: float, n_test: int, names: list[str]) -> dict[str, Any]:
    from seqlab.evaluate.seq2seq import bleu, chrf

    train, test = load_pairs("kjv-rv1909", "train"), load_pairs("kjv-rv1909", "test")[:n_test]
    rows = {}
    for name in names:
        params = MT_MODELS[name]
        m = Seq2Seq(**params, source_level="word", target_level="word", min_count=3, d_embed=128, d_hidden=128,
                    max_source_length=200, max_target_length=200, train=train_cfg(budget, batch_size=32),
                    random_state=0).fit(train)
        row: dict[str, Any] = {"steps": m.train_result_["steps"]}
        refs = [[m.tokenize_target(r)] for r in test.targets]
        for beam in (1, 5):
            hyps = [m.tokenize_target(o) for o in m.translate(test.sources, beam_size=beam, max_new_tokens=80)]
            row[f"beam{beam}"] = {"bleu": round(bleu(hyps, refs), 2), "chrf": round(chrf(hyps, refs), 2)}
        rows[name] = row
        print(name, row, file=sys.stderr)
    return {"test_verses": len(test), "budget_cpu_s_each": budget, "models": rows}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--budget", type=float, default=60.0, help="CPU seconds of training per dates model")
    ap.add_argument("--dates-test", type=int, default=1000)
    ap.add_argument("--dates-models", nargs="+", default=list(DATES_MODELS), choices=list(DATES_MODELS),
                    help="dates rows to (re)run; the others stay when test size and budget match")
    ap.add_argument("--speed-steps", type=int, default=60)
    ap.add_argument("--beam-sources", type=int, default=100)
    ap.add_argument("--g2p-budget", type=float, default=300.0)
    ap.add_argument("--g2p-train", type=int, default=10000)
    ap.add_argument("--g2p-test", type=int, default=500)
    ap.add_argument("--g2p-hidden", type=int, default=128, help="seqlab's hidden size for g2p")
    ap.add_argument("--g2p-schedule", default="constant", choices=("constant", "cosine"),
                    help="learning-rate schedule (cosine anneals over the CPU budget)")
    ap.add_argument("--g2p-dropout", type=float, default=0.1)
    ap.add_argument("--g2p-model", default="lstm", choices=("lstm", "transformer"),
                    help="BiLSTM encoder + additive attention, or a Transformer (3 layers, d_model = --g2p-hidden)")
    ap.add_argument("--g2p-key", default="g2p",
                    help="JSON key of the g2p result: g2p (the 10k-word sample) or g2p_full (the whole dictionary)")
    ap.add_argument("--g2p-ramp", type=int, default=8, help="highest Sequitur model order (ramp-up iterations + 1)")
    ap.add_argument("--sequitur-cpu", type=float, default=600.0,
                    help="CPU seconds of Sequitur training; no further order is started past it")
    ap.add_argument("--sequitur-python", default=os.environ.get("SEQUITUR_PYTHON", sys.executable),
                    help="interpreter that has sequitur-g2p installed (default: $SEQUITUR_PYTHON or this one)")
    ap.add_argument("--results", type=Path, default=RESULTS, help="JSON file to update")
    ap.add_argument("--vae", action="store_true", help="also run the VAE section")
    ap.add_argument("--vae-budget", type=float, default=900.0, help="CPU-second cap per VAE/LM model")
    ap.add_argument("--vae-epochs", type=int, default=5, help="epochs for both the VAE and the LM")
    ap.add_argument("--vae-free-bits", type=float, default=0.03, help="free bits (nats per latent dimension)")
    ap.add_argument("--vae-word-dropout", type=float, default=0.1, help="decoder word dropout (Bowman et al.)")
    ap.add_argument("--mt", action="store_true", help="also run the kjv-rv1909 translation section")
    ap.add_argument("--mt-budget", type=float, default=120.0)
    ap.add_argument("--mt-test", type=int, default=200, help="test verses")
    ap.add_argument("--mt-models", nargs="+", default=list(MT_MODELS), choices=list(MT_MODELS),
                    help="translation rows to (re)run; the others stay when test size and budget match")
    ap.add_argument("--skip", nargs="*", default=[], choices=("dates", "speed", "g2p", "seqlab", "sequitur"),
                    help="sections to leave out; 'seqlab' or 'sequitur' leaves out one side of g2p")
    args = ap.parse_args()
    torch.set_num_threads(1)
    results: dict[str, Any] = {"machine": {"cpu_count": os.cpu_count(), "python": platform.python_version(),
                                           "torch": torch.__version__, "threads": 1}}
    if args.results.exists():  # keep sections this run skips
        results = {**json.loads(args.results.read_text()), **results}
    ran = {name for name in ("dates", "speed") if name not in args.skip} | \
        ({args.g2p_key} if "g2p" not in args.skip else set()) | \
        ({"vae"} if args.vae else set()) | ({"mt"} if args.mt else set())
    if "dates" not in args.skip:
        results["dates"] = bench_dates(args.budget, args.dates_test, args.dates_models)
    if "speed" not in args.skip:
        results["speed"] = bench_speed(args.speed_steps, args.beam_sources)
        print(results["speed"], file=sys.stderr)
    if "g2p" not in args.skip:
        results[args.g2p_key] = bench_g2p(args.g2p_budget, args.g2p_train, args.g2p_test, args.g2p_ramp,
                                          args.sequitur_cpu, args.sequitur_python, set(args.skip), args.g2p_hidden,
                                          args.g2p_schedule, args.g2p_dropout, model=args.g2p_model)
    if args.vae:
        results["vae"] = bench_vae(args.vae_budget, 300, args.vae_epochs, args.vae_free_bits,
                                  args.vae_word_dropout)
        print(results["vae"], file=sys.stderr)
    if args.mt:
        results["mt"] = bench_mt(args.mt_budget, args.mt_test, args.mt_models)
    if args.results.exists():  # sections another run wrote meanwhile stay
        latest = json.loads(args.results.read_text())
        results = {**latest, **{k: v for k, v in results.items() if k == "machine" or k not in latest or k in ran}}
        if "dates" in ran and set(args.dates_models) != set(DATES_MODELS):
            results["dates"] = merge_rows(latest.get("dates"), results["dates"], ("test_pairs", "budget_cpu_s_each"))
        if "mt" in ran and set(args.mt_models) != set(MT_MODELS):
            results["mt"] = merge_rows(latest.get("mt"), results["mt"], ("test_verses", "budget_cpu_s_each"))
        if args.g2p_key in ran and {"seqlab", "sequitur"} & set(args.skip):
            results[args.g2p_key] = merge_g2p(latest.get(args.g2p_key), results[args.g2p_key])
    args.results.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
