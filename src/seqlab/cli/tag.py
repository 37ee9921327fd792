"""``seqlab tag train|eval|predict``: sequence taggers (HMM and neural) from the command line.

Data (``--data``): ``brown-pos[:split]`` (``--tagset universal|brown``), or a CoNLL-style file
(``token<TAB>tag`` per line, blank line between sentences; the last column is the tag) or a
``word/TAG`` file (one sentence per line). ``--model hmm`` fits :class:`~seqlab.tag.HMMTagger`
by counting; the other models train a :class:`~seqlab.models.NeuralTagger` with the training
flags of ``lm train`` (added only when a neural model is asked for, so ``hmm`` never imports
torch). The model directory holds the model and ``tag.json`` (tag set and data used).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from seqlab.cli._common import add_force, add_group, add_verb, check_output, defer_options, emit
from seqlab.exceptions import DataError, FormatError

SIDECAR = "tag.json"


def _neural_names() -> tuple[str, ...]:
    from seqlab.models.architectures import TAG_ARCHITECTURES

    return tuple(TAG_ARCHITECTURES.names())


def register(groups: Any) -> None:
    verbs = add_group(groups, "tag", "sequence tagging: one tag per token (part of speech, BIO entities)")

    train = add_verb(verbs, "train", "fit a tagger and save it", run_train)
    train.add_argument("--data", required=True, help="brown-pos[:split], a CoNLL-style file or a word/TAG file")
    train.add_argument("-o", "--output", required=True, help="model directory to create")
    add_force(train, "model directory")
    train.add_argument("--model", choices=(*_neural_names(), "hmm"), default="bilstm", help="tagger family")
    train.add_argument("--tagset", choices=("universal", "brown"), default="universal",
                       help="tag set of brown-pos (files keep their own tags)")
    train.add_argument("--valid", default=None,
                       help="validation data (neural models); default: brown-pos:valid, or the last 5%% of a file")
    train.add_argument("--unknown", choices=("suffix", "unk"), default="suffix", help="hmm: unseen-word model")
    train.add_argument("--encoding", default="utf-8", help="text encoding of input files")
    defer_options(train, _add_neural_options)

    ev = add_verb(verbs, "eval", "token accuracy, OOV accuracy, per-tag scores (and entity F1 for BIO)", run_eval)
    ev.add_argument("model", help="model directory written by 'seqlab tag train'")
    ev.add_argument("--data", required=True, help="brown-pos:test, a CoNLL-style file or a word/TAG file")
    ev.add_argument("--encoding", default="utf-8", help="text encoding of input files")

    pr = add_verb(verbs, "predict", "tag each input line (whitespace-separated tokens): word/TAG", run_predict)
    pr.add_argument("model", help="model directory written by 'seqlab tag train'")
    pr.add_argument("input", nargs="?", default="-", help="text file, one sentence per line (- for stdin)")
    pr.add_argument("--data", default=None, metavar="FILE",
                    help="the same input as a flag, like every command that reads data (- for stdin)")
    pr.add_argument("--encoding", default="utf-8", help="text encoding of input files")
    pr.add_argument("--output-format", dest="output_format", choices=("slash", "conll"), default="slash",
                    help="word/TAG lines, or CoNLL blocks (token<TAB>tag); --format conll is the same")
    pr.set_defaults(format="table")
    for action in pr._actions:          # --format also accepts conll here
        if action.dest == "format":
            action.choices = ("table", "json", "tsv", "conll")


def _add_neural_options(parser: argparse.ArgumentParser, argv: list[str]) -> None:
    wants = any(a in ("-h", "--help") for a in argv) or not any(
        (a == "--model" and i + 1 < len(argv) and argv[i + 1] == "hmm") or a == "--model=hmm"
        for i, a in enumerate(argv))
    if not wants:
        return
    from seqlab.cli._neural import MODEL_ALIASES, add_train_options
    from seqlab.cli._options import add_param_options, init_params
    from seqlab.cli.classify import _kernel_sizes
    from seqlab.models import NeuralTagger

    g = parser.add_argument_group("neural options (--model " + "|".join(_neural_names()) + ")")
    add_param_options(g, init_params(NeuralTagger), aliases={**MODEL_ALIASES, "n_filters": ["--filters"]},
                      skip=("model", "train", "random_state", "bidirectional"),
                      existing={a.dest for a in parser._actions}, types={"kernel_sizes": _kernel_sizes})
    g.add_argument("--unidirectional", dest="bidirectional", action="store_false", default=True,
                   help="lstm/gru/rnn: one direction only (they are bidirectional by default)")
    add_train_options(parser)


def _load(spec: str, default_split: str, tagset: str, encoding: str) -> tuple[Any, str]:
    from seqlab import datasets
    from seqlab.data.tagged import load_tagged

    resolved = datasets.resolve(spec)
    if resolved is not None and ":" not in spec:
        spec = f"{resolved[0]}:{default_split}"
    data = load_tagged(spec, tagset=tagset, encoding=encoding)
    return data, spec


def _read_model(directory: str) -> tuple[Any, dict[str, Any]]:
    from seqlab import io

    model = io.load(directory)
    if type(model).__name__ not in ("HMMTagger", "NeuralTagger"):
        raise FormatError(f"{directory} holds a {type(model).__name__}, not a tagger; "
                          "train one with 'seqlab tag train'.")
    sidecar = Path(directory) / SIDECAR
    try:
        meta = json.loads(sidecar.read_text(encoding="utf-8")) if sidecar.is_file() else {}
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise FormatError(f"{sidecar} is damaged ({exc}).") from None
    return model, meta


# ---------------------------------------------------------------------- verbs
def run_train(args: argparse.Namespace) -> int:
    from seqlab import io

    quiet = bool(getattr(args, "quiet", False))
    check_output(args.output, args.force, "model directory")
    if args.model == "hmm":
        from seqlab.tag import HMMTagger

        model: Any = HMMTagger(unknown=args.unknown)
        model.check_params()
    else:
        from seqlab.cli._neural import configure_threads, estimator_kwargs, train_config
        from seqlab.models import NeuralTagger

        configure_threads(args.threads)
        model = NeuralTagger(model=args.model, train=train_config(args),
                             **estimator_kwargs(NeuralTagger, args))
        model.check_params()
    data, source = _load(args.data, "train", args.tagset, args.encoding)
    if args.model == "hmm":
        model.fit(data.sentences, data.tags)
        summary: dict[str, Any] = {}
    else:
        from seqlab import datasets
        from seqlab.data.tagged import load_tagged

        sents, tags = data.sentences, data.tags
        valid_pair: tuple[Any, Any] | None
        if args.valid is not None:
            valid = load_tagged(args.valid, tagset=args.tagset, encoding=args.encoding)
            valid_pair = (valid.sentences, valid.tags)
        elif datasets.resolve(args.data) is not None:
            valid = load_tagged(f"{args.data.partition(':')[0]}:valid", tagset=args.tagset)
            valid_pair = (valid.sentences, valid.tags)
        else:
            cut = len(sents) // 20
            valid_pair = (sents[-cut:], tags[-cut:]) if cut else None
            sents, tags = (sents[:-cut], tags[:-cut]) if cut else (sents, tags)
        model.fit(sents, tags, valid=valid_pair, quiet=quiet)
        summary = {k: v for k, v in model.train_result_.items() if not isinstance(v, dict | list)}
    sidecar = {"data": source, "tagset": args.tagset, "tags": list(model.tags_), "sentences": len(data)}

    def fill(tmp: Path) -> None:
        io.write_model_files(model, tmp)
        io.write_json(tmp / SIDECAR, sidecar)

    io.write_directory(args.output, fill)
    emit(args, {"output": str(args.output), "data": source, "model": args.model, "sentences": len(data),
                "tokens": data.n_tokens, "tags": len(model.tags_), **summary})
    return 0


def run_eval(args: argparse.Namespace) -> int:
    from seqlab.evaluate.tagging import tagging_report

    model, meta = _read_model(args.model)
    data, source = _load(args.data, "test", meta.get("tagset", "universal"), args.encoding)
    pred = model.predict(data.sentences)
    keys = model.word_keys(data.sentences) if hasattr(model, "word_keys") else data.sentences
    report = tagging_report(data.tags, pred, sentences=keys, known=model.vocabulary_)
    if args.format == "json":
        emit(args, {"data": source, **{k: v for k, v in report.items() if k not in ("confusion", "labels")},
                    "confusion": {"labels": report["labels"], "matrix": report["confusion"]}})
        return 0
    head = {"data": source, "tokens": report["tokens"], "accuracy": report["accuracy"],
            "oov_tokens": report["oov_tokens"], "oov_accuracy": report["oov_accuracy"]}
    if "entity_f1" in report:
        head.update(entity_precision=report["entity_precision"], entity_recall=report["entity_recall"],
                    entity_f1=report["entity_f1"])
    emit(args, head)
    print()
    emit(args, [{"tag": t, **v} for t, v in report["per_tag"].items()])
    return 0


def run_predict(args: argparse.Namespace) -> int:
    from seqlab.data.readers import read_lines
    from seqlab.data.tagged import write_tagged

    model, _ = _read_model(args.model)
    source = args.data if args.data is not None else args.input
    sents = [line.split() for line in read_lines(source, encoding=args.encoding)]
    tags = model.predict(sents)
    if args.format == "json":
        rows: Any = [[{"word": w, "tag": t} for w, t in zip(s, ts, strict=True)]
                     for s, ts in zip(sents, tags, strict=True)]
        emit(args, rows)
        return 0
    fmt = "conll" if args.format == "conll" or args.output_format == "conll" else "slash"
    sys.stdout.write(write_tagged(sents, tags, format=fmt))
    return 0


__all__ = ["register", "DataError"]
