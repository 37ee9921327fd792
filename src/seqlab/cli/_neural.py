"""The neural families of ``seqlab lm train``: flags, thread policy, building and fitting ``NeuralLM``.

Thread policy (documented in the README): by default a neural command uses **one** torch
thread and sets ``OMP_WAIT_POLICY=PASSIVE`` when the environment does not choose one. On a
shared 2-core machine, OpenMP threads that spin-wait made a 2x256 LSTM step 3-4x slower with 2
threads than with 1; passive waiting avoids that, and ``--threads N`` asks for more. On glibc
Linux large freed blocks stay in the process heap (``SEQLAB_NO_MALLOPT=1`` turns that off).
"""

from __future__ import annotations

import argparse
import ctypes
import os
import re
import sys
from pathlib import Path
from typing import Any

from seqlab.exceptions import InvalidParameterError

NEURAL_MODELS = ("rnn", "jordan", "lstm", "peephole", "gru", "conv", "transformer", "window")
_HELP = {
    "rnn": "Elman RNN language model (torch nn.RNN)",
    "jordan": "Jordan RNN language model (output fed back)",
    "lstm": "LSTM language model (torch nn.LSTM)",
    "peephole": "peephole LSTM language model (Gers & Schmidhuber)",
    "gru": "GRU language model (torch nn.GRU)",
    "conv": "residual dilated causal convolution language model",
    "transformer": "GPT-style Transformer language model",
    "window": "Bengio et al.'s fixed-window neural language model",
}
_added: set[int] = set()


def configure_threads(threads: int | None) -> None:
    """Apply the thread policy: passive OpenMP waiting unless set, then ``threads`` (default 1) threads.

    Also keeps large freed blocks in glibc's heap (mmap/trim thresholds of 1 GiB): word-level
    logits are tens of MB per step, and returning them to the OS each step cost a 12k-word LSTM
    step 40% of its CPU time in page faults here (0.40 -> 0.28 CPU-s per step).
    """
    n = 1 if threads is None else threads
    if n < 1:
        raise InvalidParameterError(f"--threads must be >= 1, got {n}.")
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # effective when torch is not imported yet
    _keep_freed_memory()
    import torch

    torch.set_num_threads(n)


def _keep_freed_memory() -> None:
    if sys.platform != "linux" or os.environ.get("SEQLAB_NO_MALLOPT"):
        return
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-3, 1 << 30)  # M_MMAP_THRESHOLD
        libc.mallopt(-1, 1 << 30)  # M_TRIM_THRESHOLD
    except (OSError, AttributeError):  # not glibc: nothing to tune
        pass


def parse_duration(text: str | None) -> float | None:
    """``"90"``, ``"90s"``, ``"5m"``, ``"1.5h"`` -> seconds."""
    if text is None:
        return None
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smh]?)\s*", text)
    if not m or float(m.group(1)) <= 0:
        raise InvalidParameterError(f"--max-time must be a positive duration like 90s, 5m or 1h; got {text!r}.")
    return float(m.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600}[m.group(2)]


def add_options(p: argparse.ArgumentParser) -> None:
    """The neural flags (one argument group shared by every neural ``--model``)."""
    if id(p) in _added:
        return
    _added.add(id(p))
    g = p.add_argument_group("neural options (--model " + "|".join(NEURAL_MODELS) + ")")
    g.add_argument("--layers", type=int, default=2, help="recurrent / convolution / Transformer layers")
    g.add_argument("--hidden", type=int, default=256, help="hidden units (d_model for the Transformer)")
    g.add_argument("--embed-dim", type=int, default=64, help="embedding width (not the Transformer's)")
    g.add_argument("--heads", type=int, default=4, help="attention heads (transformer)")
    g.add_argument("--context-size", type=int, default=None,
                   help="position table (transformer, default 256) or window (window, default 4)")
    g.add_argument("--positions", choices=("learned", "sinusoidal"), default="learned",
                   help="Transformer positions; sinusoidal ones extend past --context-size")
    g.add_argument("--kernel-size", type=int, default=3, help="convolution taps (conv)")
    g.add_argument("--dropout", type=float, default=0.1, help="dropout rate")
    g.add_argument("--tie-weights", choices=("auto", "yes", "no"), default="auto",
                   help="share input and output embeddings (auto: Transformer only)")
    g.add_argument("--init-range", type=float, default=None, metavar="R",
                   help="draw weights from U(-R, R) (Zaremba et al.'s PTB LSTMs: 0.1); default: each layer's own")
    g.add_argument("--batch-size", type=int, default=32, help="rows per batch (global, over all processes)")
    g.add_argument("--bptt", type=int, default=64, help="truncated-BPTT window / longest padded piece")
    g.add_argument("--batching", choices=("stream", "padded"), default="stream",
                   help="stream: one token stream with carried state; padded: one sentence per row")
    g.add_argument("--optimizer", choices=("adamw", "sgd"), default="adamw", help="optimizer")
    g.add_argument("--lr", type=float, default=2e-3, help="peak learning rate")
    g.add_argument("--weight-decay", type=float, default=0.01, help="AdamW weight decay")
    g.add_argument("--schedule", choices=("cosine", "constant", "step"), default="cosine",
                   help="learning-rate schedule")
    g.add_argument("--warmup", type=int, default=0, help="linear warm-up steps")
    g.add_argument("--decay-start", type=int, default=0, help="step schedule: first step of decay")
    g.add_argument("--decay-every", type=int, default=1000, help="step schedule: steps between decays")
    g.add_argument("--gamma", type=float, default=0.5, help="step schedule: decay factor")
    g.add_argument("--clip", type=float, default=1.0, help="clip the gradient norm (0: no clipping)")
    g.add_argument("--max-steps", type=int, default=None, help="stop after N optimisation steps")
    g.add_argument("--max-epochs", type=int, default=None, help="stop after N passes over the data")
    g.add_argument("--max-time", default=None, help="stop after this long, e.g. 90s, 5m, 1h")
    g.add_argument("--clock", choices=("wall", "process"), default="wall",
                   help="what --max-time measures: elapsed time or this process's CPU time")
    g.add_argument("--eval-every", type=int, default=200, help="evaluate + checkpoint every N steps")
    g.add_argument("--eval-batches", type=int, default=None, help="cap validation batches per evaluation")
    g.add_argument("--patience", type=int, default=None, help="early stopping after N evaluations without gain")
    g.add_argument("--restore-best", action="store_true",
                   help="end with the weights of the best validation loss, not the last ones")
    g.add_argument("--valid", default=None,
                   help="validation data (file or dataset split); default: the dataset's valid split, "
                        "or the last 5%% of the lines of a file")
    g.add_argument("--vocab-from", default=None, metavar="MODEL_DIR",
                   help="use the vocabulary of a saved model (e.g. an n-gram model) instead of building one")
    g.add_argument("--threads", type=int, default=None,
                   help="torch threads (default 1, with OMP_WAIT_POLICY=PASSIVE unless set)")
    g.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto", help="where to train")
    g.add_argument("--resume", action="store_true", help="continue from the checkpoint in -o DIR")
    g.add_argument("--metrics", default=None, help="append metrics as JSON lines to this file")


def build(args: argparse.Namespace) -> Any:
    """An unfitted ``NeuralLM`` from the parsed flags (validated before any data is read)."""
    from seqlab._deps import require_torch

    require_torch(f"--model {args.model}")
    configure_threads(args.threads)
    from seqlab.models import NeuralLM
    from seqlab.train import TrainConfig

    train = TrainConfig(
        optimizer=args.optimizer, lr=args.lr, weight_decay=args.weight_decay, schedule=args.schedule,
        warmup_steps=args.warmup, step_start=args.decay_start, step_every=args.decay_every, gamma=args.gamma,
        clip=args.clip or None, batch_size=args.batch_size, bptt=args.bptt, batching=args.batching,
        max_steps=args.max_steps, max_epochs=args.max_epochs, max_time=parse_duration(args.max_time),
        clock=args.clock,
        eval_every=args.eval_every, eval_batches=args.eval_batches, patience=args.patience,
        restore_best=args.restore_best,
        seed=0 if args.seed is None else args.seed)
    tie = {"auto": None, "yes": True, "no": False}[args.tie_weights]
    model = NeuralLM(model=args.model, n_layers=args.layers, d_hidden=args.hidden, d_embed=args.embed_dim,
                     n_heads=args.heads, context_size=args.context_size, kernel_size=args.kernel_size,
                     dropout=args.dropout, tie_weights=tie, positions=args.positions, min_count=args.min_count,
                     init_range=args.init_range, train=train, device=args.device)
    model._validate_params()
    from seqlab.models.lm import ARCHITECTURES

    family, fields = model._config_fields(5)  # bad widths / heads fail here, before any data is read
    ARCHITECTURES[family][1](**fields)
    return model


def fit(model: Any, corpus: Any, args: argparse.Namespace, *, load_valid: Any) -> Any:
    """Train with checkpoints in ``-o DIR``; validation from ``--valid``, the dataset, or a 5% tail."""
    train = list(corpus)
    if args.valid is not None:
        valid = list(load_valid(args.valid))
    elif not (Path(args.data).exists() or args.data == "-"):
        valid = list(load_valid(f"{args.data.partition(':')[0]}:valid"))
    else:
        cut = max(1, len(train) // 20) if len(train) > 1 else 0
        train, valid = (train[:-cut], train[-cut:]) if cut else (train, [])
    vocabulary = None
    if args.vocab_from is not None:
        from seqlab import io

        vocabulary = getattr(io.load(args.vocab_from), "vocabulary_", None)
        if vocabulary is None:
            raise InvalidParameterError(f"--vocab-from {args.vocab_from}: that model has no vocabulary_.")
    return model.fit(train, valid=[s for s in valid if s] or None, vocabulary=vocabulary, checkpoint_dir=args.output,
                     resume=args.resume, metrics_path=args.metrics, quiet=getattr(args, "quiet", False))


def help_for(name: str) -> str:
    return _HELP[name]


# ---------------------------------------------------------------------- demo rows
DEMO_MODELS: dict[str, dict[str, Any]] = {
    "lstm": {"model": "lstm", "n_layers": 1, "d_hidden": 256, "d_embed": 128, "dropout": 0.0},
    "transformer": {"model": "transformer", "n_layers": 2, "d_hidden": 128, "n_heads": 4, "context_size": 64,
                    "dropout": 0.0},
}


def demo_model(name: str, params: dict[str, Any], train: list[list[str]], vocabulary: Any, *, budget: float,
               quiet: bool, seed: int = 0) -> Any:
    """Train one of :data:`DEMO_MODELS` for ``budget`` CPU seconds with the given ``vocabulary``."""
    from seqlab.models import NeuralLM
    from seqlab.train import TrainConfig

    train_cfg = TrainConfig(lr=3e-3, batch_size=32, bptt=32, max_time=budget, clock="process", max_steps=10**7,
                            schedule="constant", eval_every=10**7, seed=seed)
    return NeuralLM(**params, device="auto", train=train_cfg).fit(train, vocabulary=vocabulary, quiet=quiet)
