"""``seqlab vae train|sample|interpolate``: sequence (variational) autoencoders over text.

``--data`` takes a bundled text corpus (``kjv``, ``kjv:train`` ...) or a text file (one
sequence per line); ``--level char|word`` picks the tokens. Training flags are those of
``lm train``; model flags those of :class:`~seqlab.models.SequenceVAE`'s ``__init__``.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from seqlab.cli._common import add_group, add_verb, emit
from seqlab.exceptions import DataError, InvalidParameterError, SeqlabError


def _tokens(model: Any, text: str) -> list[str]:
    level = getattr(model, "text_level_", "word")
    if level == "char":
        return list(text)
    if level == "word":
        from seqlab.datasets import tokenize

        return tokenize(text, level="word")
    return text.split()


def _text(model: Any, tokens: list[str]) -> str:
    return ("" if getattr(model, "text_level_", "word") == "char" else " ").join(tokens)


def _load(path: str) -> Any:
    from seqlab import io
    from seqlab.models import SequenceVAE

    if not Path(path).is_dir():
        raise DataError(f"{path} is not a model directory; train one with 'seqlab vae train ... -o {path}'.")
    model = io.load(path)
    if not isinstance(model, SequenceVAE):
        raise SeqlabError(f"{path} holds a {type(model).__name__}, not a sequence autoencoder; give a directory "
                          "written by 'seqlab vae train'.")
    return model


def cmd_train(args: argparse.Namespace) -> int:
    from seqlab.cli._neural import configure_threads, estimator_kwargs, train_config
    from seqlab.data.datasets import load_corpus, resolve
    from seqlab.models import SequenceVAE

    configure_threads(args.threads)
    if args.limit < 0:
        raise InvalidParameterError(f"--limit must be >= 0 (0: every sequence), got {args.limit}.")
    out = Path(args.output)
    if out.exists() and any(out.iterdir()) and not (args.force or args.resume):
        raise SeqlabError(f"{out} already exists; refusing to overwrite the model directory. "
                          "Choose a new path, pass --force, or --resume a run.")
    model = SequenceVAE(model=args.model, **estimator_kwargs(SequenceVAE, args, skip=("variational",)),
                        variational=args.variational == "yes", train=train_config(args), random_state=args.seed)
    model.check_params()
    tokenizer = "char" if args.level == "char" else "word" if resolve(args.data) else "whitespace"
    corpus = [s for s in load_corpus(args.data, tokenizer=tokenizer) if len(s) <= args.max_length]
    if args.limit:
        corpus = corpus[:args.limit]
    if not corpus:
        raise DataError(f"no sequence of at most {args.max_length} tokens in {args.data}; raise --max-length.")
    model.fit(corpus, checkpoint_dir=args.output, resume=args.resume, quiet=getattr(args, "quiet", False))
    model.text_level_ = "char" if args.level == "char" else tokenizer
    model.save(out)
    report = model.evaluate(corpus[: min(len(corpus), 500)])
    emit(args, {"model": str(out), "sequences": len(corpus), "vocab": len(model.vocabulary_),
                "steps": model.train_result_.get("steps"),
                **{k: report[k] for k in ("reconstruction", "kl", "elbo_perplexity", "iw_perplexity", "active_units")}})
    return 0


def cmd_sample(args: argparse.Namespace) -> int:
    model = _load(args.model_dir)
    seqs = model.sample(args.n, method=args.method, random_state=args.seed)
    for s in seqs:
        print(_text(model, s))
    return 0


def cmd_interpolate(args: argparse.Namespace) -> int:
    model = _load(args.model_dir)
    a, b = _tokens(model, args.a), _tokens(model, args.b)
    if not a or not b:
        raise DataError("both sentences need at least one token.")
    path = model.interpolate(a, b, steps=args.steps)
    if args.format == "json":
        emit(args, [{"t": round(i / (len(path) - 1), 4), "text": _text(model, s)} for i, s in enumerate(path)])
    else:
        for s in path:
            print(_text(model, s))
    return 0


def _train_options(p: argparse.ArgumentParser, argv: list[str]) -> None:
    from seqlab.cli._neural import add_estimator_options, add_train_options
    from seqlab.models import SequenceVAE

    add_estimator_options(p, SequenceVAE, title="autoencoder options", skip=("variational",))
    add_train_options(p)


def register(groups: Any) -> None:
    from seqlab.cli._common import defer_options
    from seqlab.models.vae_architectures import VAE_ARCHITECTURES

    verbs = add_group(groups, "vae", "sequence (variational) autoencoders: sample, interpolate")
    p = add_verb(verbs, "train", "fit a sequence autoencoder and save it", cmd_train)
    p.add_argument("--model", choices=VAE_ARCHITECTURES.names(), default="gru", help="recurrent cell")
    p.add_argument("--data", required=True, help="text corpus (kjv, kjv:train, ...) or a file, one sequence a line")
    p.add_argument("--level", choices=("word", "char"), default="word", help="word or character tokens")
    p.add_argument("--variational", choices=("yes", "no"), default="yes",
                   help="a VAE (yes) or a deterministic autoencoder (no)")
    p.add_argument("--max-length", type=int, default=40, help="skip longer sequences (tokens)")
    p.add_argument("--limit", type=int, default=0, help="use only the first N sequences (0: all)")
    p.add_argument("-o", "--output", required=True, help="model directory to create")
    p.add_argument("--resume", action="store_true", help="continue from the checkpoint in -o DIR")
    p.add_argument("--force", action="store_true", help="replace an existing model directory")
    defer_options(p, _train_options)

    p = add_verb(verbs, "sample", "decode codes drawn from the prior", cmd_sample)
    p.add_argument("model_dir", help="model directory")
    p.add_argument("-n", type=int, default=5, help="how many")
    p.add_argument("--method", choices=("greedy", "sample", "beam"), default="greedy", help="decoding")

    p = add_verb(verbs, "interpolate", "decode evenly spaced codes between two sentences", cmd_interpolate)
    p.add_argument("model_dir", help="model directory")
    p.add_argument("a", help="first sentence")
    p.add_argument("b", help="last sentence")
    p.add_argument("--steps", type=int, default=5, help="points, both ends included")
