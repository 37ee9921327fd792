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

from seqlab.cli._options import add_param_options, dataclass_params, init_params, values_from_args
from seqlab.exceptions import InvalidParameterError

#: Most torch threads a command may ask for (torch's own limit is a C int; more is never useful).
MAX_THREADS = 4096


def configure_threads(threads: int | None) -> None:
    """Apply the thread policy: passive OpenMP waiting unless set, then ``threads`` (default 1) threads.

    Also keeps large freed blocks in glibc's heap (mmap/trim thresholds of 1 GiB): word-level
    logits are tens of MB per step, and returning them to the OS each step cost a 12k-word LSTM
    step 40% of its CPU time in page faults here (0.40 -> 0.28 CPU-s per step).
    """
    n = 1 if threads is None else threads
    if not 1 <= n <= MAX_THREADS:
        raise InvalidParameterError(f"--threads must be >= 1 and <= {MAX_THREADS}, got {n}.")
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


#: TrainConfig fields under their earlier flag names too (users' scripts use them).
TRAIN_ALIASES = {"warmup_steps": ["--warmup"], "step_start": ["--decay-start"], "step_every": ["--decay-every"]}
#: NeuralLM-style estimator parameters under their earlier flag names too.
MODEL_ALIASES = {"n_layers": ["--layers"], "d_hidden": ["--hidden"], "d_embed": ["--embed-dim"],
                 "n_heads": ["--heads"]}
#: Parameters every neural estimator takes but the command line sets another way.
_NOT_FLAGS = ("model", "train", "random_state", "seed")


def _clip(text: str) -> float | None:
    value = float(text)
    return None if value == 0 else value


def _tie(text: str) -> bool | None:
    choices = {"auto": None, "yes": True, "no": False, "true": True, "false": False}
    if text.lower() not in choices:
        raise argparse.ArgumentTypeError(f"expected auto, yes or no, got {text!r}")
    return choices[text.lower()]


def add_train_options(p: argparse.ArgumentParser) -> None:
    """One ``--flag`` per :class:`~seqlab.train.TrainConfig` field (``--seed`` is the common option)."""
    from seqlab.train import TrainConfig

    g = p.add_argument_group("training options (every neural model)")
    add_param_options(g, dataclass_params(TrainConfig), aliases=TRAIN_ALIASES, skip=("seed",),
                      types={"max_time": str, "clip": _clip},
                      helps={"max_time": "stop after this long, e.g. 90s, 5m, 1h",
                             "clip": "clip the global gradient norm (0: no clipping)"})


def train_config(args: argparse.Namespace, **overrides: Any) -> Any:
    """The :class:`~seqlab.train.TrainConfig` of parsed ``add_train_options`` flags."""
    from seqlab.train import TrainConfig

    values = values_from_args(dataclass_params(TrainConfig), args, skip=("seed",))
    values["seed"] = 0 if getattr(args, "seed", None) is None else args.seed
    if isinstance(values.get("max_time"), str):
        values["max_time"] = parse_duration(values["max_time"])
    return TrainConfig(**{**values, **overrides})


def add_estimator_options(p: argparse.ArgumentParser, cls: type, *, title: str, skip: tuple[str, ...] = (),
                          aliases: dict[str, list[str]] | None = None) -> None:
    """One ``--flag`` per keyword parameter of a neural estimator class (flags already present are kept)."""
    existing = {a.dest for a in p._actions}
    g = p.add_argument_group(title)
    add_param_options(g, init_params(cls), aliases={**MODEL_ALIASES, **(aliases or {})},
                      skip=(*_NOT_FLAGS, *skip), existing=existing, types={"tie_weights": _tie})


def estimator_kwargs(cls: type, args: argparse.Namespace, *, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    """The estimator keywords held by parsed ``add_estimator_options`` flags."""
    return values_from_args(init_params(cls), args, skip=(*_NOT_FLAGS, *skip))


def add_options(p: argparse.ArgumentParser) -> None:
    """The neural flags of ``lm train`` (one set of argument groups shared by every neural ``--model``)."""
    if any(a.dest == "valid" for a in p._actions):  # added already (the last group below holds --valid)
        return
    from seqlab.models import LM_ARCHITECTURES, NeuralLM

    add_estimator_options(p, NeuralLM, title="neural options (--model " + "|".join(LM_ARCHITECTURES) + ")")
    add_train_options(p)
    g = p.add_argument_group("neural data and run options")
    g.add_argument("--valid", default=None,
                   help="validation data (file or dataset split); default: the dataset's valid split, "
                        "or the last 5%% of the lines of a file")
    g.add_argument("--vocab-from", default=None, metavar="MODEL_DIR",
                   help="use the vocabulary of a saved model (e.g. an n-gram model) instead of building one")
    g.add_argument("--resume", action="store_true", help="continue from the checkpoint in -o DIR")
    g.add_argument("--metrics", default=None, help="append metrics as JSON lines to this file")


def build(args: argparse.Namespace) -> Any:
    """An unfitted ``NeuralLM`` from the parsed flags (validated before any data is read)."""
    from seqlab.deps import require_torch

    require_torch(f"--model {args.model}")
    configure_threads(args.threads)
    from seqlab.models import NeuralLM

    model = NeuralLM(model=args.model, **estimator_kwargs(NeuralLM, args), train=train_config(args))
    return model.check_params()


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
