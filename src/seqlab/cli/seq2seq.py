"""``seqlab seq2seq train|eval|translate``: encoder-decoders with attention on pairs of sequences.

``--data`` takes a bundled pair set (``cmudict``, ``dates``, ``kjv-rv1909``, with ``:SPLIT``) or a
``source<TAB>target`` file. Training flags are those of ``lm train`` (the same helper builds
them from :class:`~seqlab.train.TrainConfig`), model flags those of
:class:`~seqlab.models.Seq2Seq`'s ``__init__``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from seqlab.cli._common import add_force, add_group, add_verb, check_output, emit
from seqlab.exceptions import DataError, InvalidParameterError, SeqlabError

#: Flags this module sets itself (dataset-dependent defaults; a yes/no switch).
_OWN = ("source_level", "target_level", "bidirectional")


def _pairs(spec: str, *, stress: bool = True, encoding: str = "utf-8") -> Any:
    from seqlab.data.pairs import load_pairs_spec

    return load_pairs_spec(spec, encoding=encoding, stress=stress)


def _levels(spec: str) -> tuple[str, str]:
    """Default (source, target) levels of a data spec: the pair set's own, else characters."""
    from seqlab import datasets

    resolved = datasets.resolve(spec)
    if resolved is not None:
        levels = datasets.info(resolved[0]).extra.get("levels")
        if levels:
            return levels[0], levels[1]
    return "char", "char"


def _load_model(path: str) -> Any:
    from seqlab import io
    from seqlab.models import Seq2Seq

    if not Path(path).is_dir():
        raise DataError(f"{path} is not a model directory; train one with 'seqlab seq2seq train ... -o {path}'.")
    model = io.load(path)
    if not isinstance(model, Seq2Seq):
        raise SeqlabError(f"{path} holds a {type(model).__name__}, not a seq2seq model; give a directory "
                          "written by 'seqlab seq2seq train'.")
    return model


def _check_beam(beam: int) -> None:
    if beam < 1:
        raise InvalidParameterError(f"--beam-size must be >= 1, got {beam}.")


# ---------------------------------------------------------------------- verbs
def cmd_train(args: argparse.Namespace) -> int:
    from seqlab.cli._neural import configure_threads, estimator_kwargs, train_config
    from seqlab.models import Seq2Seq

    configure_threads(args.threads)
    out = Path(args.output)
    if out.exists() and any(out.iterdir()) and not (args.force or args.resume):
        raise SeqlabError(f"{out} already exists; refusing to overwrite the model directory. "
                          "Choose a new path, pass --force, or --resume a run.")
    src_level, tgt_level = _levels(args.data)
    model = Seq2Seq(model=args.model, **estimator_kwargs(Seq2Seq, args, skip=_OWN),
                    source_level=args.source_level or src_level, target_level=args.target_level or tgt_level,
                    bidirectional=args.bidirectional == "yes",
                    train=train_config(args), random_state=args.seed)
    model.check_params()  # bad settings fail before any data is read
    train = _pairs(args.data, stress=not args.no_stress, encoding=args.encoding)
    if args.valid is not None:
        valid = _pairs(args.valid, stress=not args.no_stress, encoding=args.encoding)
    elif not (Path(args.data).exists() or args.data == "-"):
        valid = _pairs(f"{args.data.partition(':')[0]}:valid", stress=not args.no_stress)
    else:
        cut = max(1, len(train) // 20) if len(train) > 1 else 0
        train, valid = (train[:-cut], train[-cut:]) if cut else (train, None)
    if valid is not None and args.valid_limit:
        valid = valid[:args.valid_limit]
    model.fit(train, valid=valid, checkpoint_dir=args.output, resume=args.resume, metrics_path=args.metrics,
              quiet=getattr(args, "quiet", False))
    model.save(out)
    result = {"model": str(out), "architecture": args.model, "attention": model.config_.attention,
              "pairs": len(train), "source_vocab": len(model.source_vocabulary_),
              "target_vocab": len(model.target_vocabulary_), "parameters": model.num_parameters(),
              **{k: model.train_result_.get(k) for k in ("steps", "train_loss", "valid_loss", "stopped")}}
    emit(args, result)
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    _check_beam(args.beam_size)
    if args.limit < 0:
        raise InvalidParameterError(f"--limit must be >= 0 (0: every pair), got {args.limit}.")
    model = _load_model(args.model_dir)
    pairs = _pairs(args.data, stress=not args.no_stress, encoding=args.encoding)
    if args.limit:
        pairs = pairs[:args.limit]
    metrics = model.evaluate(pairs, beam_size=args.beam_size, batch_size=args.batch_size)
    emit(args, metrics)
    return 0


def cmd_translate(args: argparse.Namespace) -> int:
    _check_beam(args.beam_size)
    check_output(args.plot_attention, args.force, "plot file")
    model = _load_model(args.model_dir)
    if args.data is not None:
        from seqlab.data.readers import read_lines

        sources = [line for line in read_lines(args.data, encoding=args.encoding) if line.strip()]
    else:
        sources = [line.rstrip("\n") for line in sys.stdin if line.strip()]
    if not sources:
        raise DataError("no source to translate; give one per line on stdin or with --data FILE.")
    result = model.translate(sources, beam_size=args.beam_size, max_new_tokens=args.max_new_tokens,
                             length_penalty=args.length_penalty, repetition_penalty=args.repetition_penalty,
                             no_repeat_ngram_size=args.no_repeat_ngram_size,
                             num_return_sequences=args.num_return_sequences, batch_size=args.batch_size,
                             return_attention=args.plot_attention is not None)
    outputs, attention = result if args.plot_attention is not None else (result, None)
    if attention is not None:
        _plot_attention(model, sources[0], outputs[0], attention[0], args.plot_attention)
    if args.format == "json":
        emit(args, [{"source": s, "output": o} for s, o in zip(sources, outputs, strict=True)])
    else:
        for o in outputs:
            print("\t".join(o) if isinstance(o, list) else o)
    return 0


def _plot_attention(model: Any, source: str, output: Any, weights: Any, path: str) -> None:
    """Heatmap of one source (columns) against its output tokens + </s> (rows)."""
    from seqlab.plotting import pyplot

    if weights is None:
        raise InvalidParameterError("--plot-attention needs a model with attention; this one was trained with "
                                    "--attention none.")
    best = output[0] if isinstance(output, list) else output
    src_tokens = model.source_tokenizer(source)
    tgt_tokens = model.tokenize_target(best) + ["</s>"]
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(max(4.0, 0.35 * len(src_tokens) + 1.5), max(3.0, 0.35 * len(tgt_tokens) + 1.2)))
    ax.imshow(weights, cmap="viridis", aspect="auto", vmin=0.0, vmax=1.0)
    ax.set_xticks(range(len(src_tokens)), [t if t.strip() else "␣" for t in src_tokens], rotation=90)
    ax.set_yticks(range(len(tgt_tokens)), tgt_tokens)
    ax.set_xlabel("source")
    ax.set_ylabel("output")
    ax.set_title(f"attention ({model.config_.attention})")
    fig.tight_layout()
    from seqlab.io import atomic_file

    with atomic_file(path, "wb") as fh:
        fig.savefig(fh, format="png", dpi=120)
    plt.close(fig)
    print(f"wrote {path}", file=sys.stderr)


# ---------------------------------------------------------------------- parser
def _train_options(p: argparse.ArgumentParser, argv: list[str]) -> None:
    from seqlab.cli._neural import add_estimator_options, add_train_options
    from seqlab.models import Seq2Seq

    add_estimator_options(p, Seq2Seq, title="seq2seq model options", skip=_OWN)
    add_train_options(p)


def register(groups: Any) -> None:
    from seqlab.cli._common import defer_options
    from seqlab.data.pairs import PAIR_SETS
    from seqlab.models.seq2seq_architectures import SEQ2SEQ_ARCHITECTURES

    verbs = add_group(groups, "seq2seq", "encoder-decoders with attention: translation, G2P, normalisation")
    data_help = f"a pair set ({', '.join(PAIR_SETS)}, optionally :SPLIT) or a source<TAB>target file"

    p = add_verb(verbs, "train", "fit an encoder-decoder and save it to a directory", cmd_train)
    p.add_argument("--model", choices=SEQ2SEQ_ARCHITECTURES.names(), default="lstm",
                   help="; ".join(f"{n}: {SEQ2SEQ_ARCHITECTURES[n].help}" for n in SEQ2SEQ_ARCHITECTURES))
    p.add_argument("--data", required=True, help=data_help)
    p.add_argument("-o", "--output", required=True, help="model directory to create")
    p.add_argument("--source-level", choices=("char", "word", "whitespace"), default=None,
                   help="source tokens (default: the pair set's, else char)")
    p.add_argument("--target-level", choices=("char", "word", "whitespace"), default=None,
                   help="target tokens (default: the pair set's, else char)")
    p.add_argument("--bidirectional", choices=("yes", "no"), default="yes", help="bidirectional recurrent encoder")
    p.add_argument("--valid", default=None, help="validation pairs (default: the pair set's valid split, or the "
                                                 "last 5%% of a file)")
    p.add_argument("--valid-limit", type=int, default=2000, help="use at most this many validation pairs (0: all)")
    p.add_argument("--no-stress", action="store_true", help="cmudict: drop the stress digits")
    p.add_argument("--encoding", default="utf-8", help="text encoding of files")
    p.add_argument("--resume", action="store_true", help="continue from the checkpoint in -o DIR")
    p.add_argument("--metrics", default=None, help="append metrics as JSON lines to this file")
    p.add_argument("--force", action="store_true", help="replace an existing model directory")
    defer_options(p, _train_options)

    p = add_verb(verbs, "eval", "exact match, token error rate, BLEU and chrF of a saved model", cmd_eval)
    p.add_argument("model_dir", help="model directory")
    p.add_argument("--data", required=True, help=data_help + " (e.g. cmudict:test)")
    p.add_argument("--beam-size", type=int, default=5, help="beams (1 = greedy)")
    p.add_argument("--batch-size", type=int, default=64, help="sources decoded together")
    p.add_argument("--limit", type=int, default=0, help="score only the first N pairs (0: all)")
    p.add_argument("--no-stress", action="store_true", help="cmudict: drop the stress digits")
    p.add_argument("--encoding", default="utf-8", help="text encoding of files")

    p = add_verb(verbs, "translate", "decode sources (one per line, stdin or --data) with a saved model",
                 cmd_translate)
    p.add_argument("model_dir", help="model directory")
    p.add_argument("--data", default=None, help="a file of sources, one per line (default: stdin)")
    p.add_argument("--beam-size", type=int, default=5, help="beams (1 = greedy)")
    p.add_argument("--max-new-tokens", type=int, default=None, help="longest output (default: the model's limit)")
    p.add_argument("--length-penalty", type=float, default=1.0, help="beam ranking: log-prob / length**P")
    p.add_argument("--repetition-penalty", type=float, default=1.0, help="> 1 discourages repeated tokens")
    p.add_argument("--no-repeat-ngram-size", type=int, default=0, help="never repeat an n-gram of this size")
    p.add_argument("--num-return-sequences", type=int, default=1, help="outputs per source (tab-separated)")
    p.add_argument("--batch-size", type=int, default=64, help="sources decoded together")
    p.add_argument("--plot-attention", default=None, metavar="PNG",
                   help="write the attention heatmap of the first source to this PNG")
    add_force(p, "plot file")
    p.add_argument("--encoding", default="utf-8", help="text encoding of --data")
