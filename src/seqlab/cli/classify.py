"""``seqlab classify train|eval|predict``: Bayes and neural sequence classifiers from the command line.

``--model bayes-ngram`` (default) is the Bayes classifier over n-gram class models;
``--model lstm|gru|rnn|peephole|cnn|cnn-lstm|transformer`` trains a
:class:`~seqlab.models.NeuralClassifier` (its flags and the training flags of ``lm train``
appear only then, so a Bayes command never imports torch). ``eval`` and ``predict`` read
either kind of model directory. ``--data japanese-vowels`` gives numeric (T, 12) sequences
(neural models only).

Data (``--data``): a bundled set name (its train split for ``train``, its test split for
``eval``; ``name:split`` picks a split), a TSV file ``label<TAB>text``, or a folder with one
sub-folder per class holding one file per text. The model directory holds the classifier
(``manifest.json`` + ``arrays.safetensors``) and ``classify.json`` (tokenizer and data used).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

from seqlab.cli._common import (
    add_force,
    add_group,
    add_verb,
    check_finite,
    check_output,
    defer_options,
    emit,
    progress,
)
from seqlab.exceptions import DataError, FormatError, InvalidParameterError

SIDECAR = "classify.json"  # where releases before 0.2 kept the tokenizer (still read)
SMOOTHINGS = ("mle", "laplace", "lidstone", "absolute-discount", "kneser-ney", "witten-bell",
              "modified-kneser-ney", "katz", "stupid-backoff")  # seqlab.ngram.SMOOTHING's names


def register(groups: Any) -> None:
    verbs = add_group(groups, "classify", "sequence classification with one language model per class")

    train = add_verb(verbs, "train", "fit a Bayes sequence classifier and save it", run_train)
    train.add_argument("--data", required=True, help="bundled set name[:split], TSV file (label<TAB>text) or folder")
    train.add_argument("-o", "--output", required=True, help="model directory to create")
    add_force(train, "model directory")
    train.add_argument("--model", choices=("bayes-ngram", *_neural_names()), default="bayes-ngram",
                       help="classifier family: bayes-ngram, or a neural encoder")
    train.add_argument("--order", type=int, default=2, help="n-gram order of the class models (1 = naive Bayes)")
    train.add_argument("--smoothing", choices=SMOOTHINGS, default="lidstone", help="n-gram smoothing")
    train.add_argument("--alpha", type=float, default=None,
                       help="pseudo-count of lidstone smoothing (default 0.1) or stupid-backoff's alpha")
    train.add_argument("--discount", type=float, default=None, help="discount of absolute-discount / kneser-ney")
    train.add_argument("--prior", choices=("empirical", "uniform"), default="empirical", help="class prior p(c)")
    train.add_argument("--oov", choices=("unk", "ignore"), default="unk",
                       help="score unknown tokens as <unk>, or drop them")
    train.add_argument("--no-boundaries", dest="boundaries", action="store_false",
                       help="do not model <s>/</s> (with --order 1 --oov ignore: multinomial naive Bayes)")
    train.add_argument("--length-normalize", action="store_true", help="score by per-token log-likelihood")
    _add_text_options(train, tokenizer=True)
    defer_options(train, _add_neural_options)

    ev = add_verb(verbs, "eval", "accuracy, macro F1 and per-class figures of a saved classifier", run_eval)
    ev.add_argument("model", help="model directory written by 'seqlab classify train'")
    ev.add_argument("--data", required=True, help="bundled set name[:split], TSV file or folder")
    _add_text_options(ev, tokenizer=False)

    pr = add_verb(verbs, "predict", "label each input line: label<TAB>probability", run_predict)
    pr.add_argument("model", help="model directory written by 'seqlab classify train'")
    pr.add_argument("input", nargs="?", default="-", help="text file, one text per line (- for stdin)")
    pr.add_argument("--data", default=None, metavar="FILE",
                    help="the same input as a flag, like every command that reads data (- for stdin)")
    _add_text_options(pr, tokenizer=False)


def _add_text_options(p: argparse.ArgumentParser, *, tokenizer: bool) -> None:
    if tokenizer:
        p.add_argument("--tokenizer", choices=("word", "char", "whitespace"), default="word", help="how texts split")
        p.add_argument("--lowercase", action="store_true", help="fold case before tokenising")
    p.add_argument("--encoding", default="utf-8", help="text encoding of input files")


# ---------------------------------------------------------------------- neural flags
def _neural_names() -> tuple[str, ...]:
    from seqlab.models.architectures import CLASSIFY_ARCHITECTURES

    return tuple(CLASSIFY_ARCHITECTURES.names())


def _kernel_sizes(text: str) -> tuple[int, ...]:
    try:
        sizes = tuple(int(k) for k in text.split(",") if k.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated ints such as 3,4,5, got {text!r}") from None
    return sizes


def _add_neural_options(parser: argparse.ArgumentParser, argv: list[str]) -> None:
    """The NeuralClassifier flags and lm train's training flags, when --model is neural (or for --help)."""
    wants = any(a in ("-h", "--help") for a in argv) or any(
        (a == "--model" and i + 1 < len(argv) and argv[i + 1] != "bayes-ngram")
        or (a.startswith("--model=") and a != "--model=bayes-ngram") for i, a in enumerate(argv))
    if not wants:
        return
    from seqlab.cli._neural import MODEL_ALIASES, add_train_options
    from seqlab.cli._options import add_param_options, init_params
    from seqlab.models import NeuralClassifier

    g = parser.add_argument_group("neural options (--model " + "|".join(_neural_names()) + ")")
    add_param_options(g, init_params(NeuralClassifier),
                      aliases={**MODEL_ALIASES, "n_filters": ["--filters"]},
                      skip=("model", "train", "random_state", "tokenizer", "lowercase"),
                      existing={a.dest for a in parser._actions},
                      types={"kernel_sizes": _kernel_sizes})
    add_train_options(parser)
    parser.add_argument("--valid-fraction", type=float, default=0.1,
                        help="stratified share of the training data held out for validation (early stopping)")


def _train_neural(args: argparse.Namespace) -> int:
    from seqlab.cli._neural import configure_threads, estimator_kwargs, train_config
    from seqlab.evaluate.classification import stratified_split
    from seqlab.models import NeuralClassifier
    from seqlab.models.classifier import fit_summary

    configure_threads(args.threads)
    check_output(args.output, args.force, "model directory")
    kwargs = estimator_kwargs(NeuralClassifier, args, skip=("tokenizer", "lowercase"))
    train = train_config(args)
    clf = NeuralClassifier(model=args.model, tokenizer=args.tokenizer, lowercase=args.lowercase,
                           train=train, **kwargs)
    clf.check_params()                                                # flags checked before any data is read
    X, labels, source = load_inputs(args.data, "train", encoding=args.encoding)
    valid = None
    if 0 < args.valid_fraction < 1 and len(X) >= 10:
        tr, va = stratified_split(labels, test_size=args.valid_fraction, random_state=clf.seed_)
        valid = ([X[i] for i in va], [labels[i] for i in va])
        X, labels = [X[i] for i in tr], [labels[i] for i in tr]
    clf.fit(X, labels, valid=valid, quiet=bool(getattr(args, "quiet", False)))
    clf.save(args.output)
    summary = {"output": str(args.output), "data": source, "texts": len(X),
               **{k: v for k, v in fit_summary(clf).items() if not isinstance(v, dict | list)}}
    emit(args, summary)
    return 0


# ---------------------------------------------------------------------- data
def load_inputs(spec: str, default_split: str, *, encoding: str = "utf-8") -> tuple[list[Any], list[str], str]:
    """Like :func:`load_texts`, but a numeric bundled set (``japanese-vowels``) gives (T, F) arrays."""
    from seqlab import datasets

    resolved = datasets.resolve(spec)
    if resolved is not None and datasets.info(resolved[0]).kind == "sequences":
        name, split = resolved
        split = split if ":" in spec else default_split
        data = datasets.load(name, split)
        return list(data.sequences), list(data.labels), f"{name}:{split}"
    texts, labels, source = load_texts(spec, default_split, encoding=encoding)
    return list(texts), labels, source


def load_texts(spec: str, default_split: str, *, encoding: str = "utf-8") -> tuple[list[str], list[str], str]:
    """(texts, labels, description) from a bundled name[:split], a TSV file or a folder per class.

    A bundled name without ``:split`` means ``default_split`` (train for training, test for
    evaluation); a bundled name wins over a file of the same name (write ``./name``).
    """
    from seqlab import datasets

    resolved = datasets.resolve(spec)
    if resolved is None:
        from seqlab.classify.labelled import read_labelled

        texts, labels = read_labelled(spec, encoding=encoding)
        return texts, labels, str(spec)
    name, split = resolved
    if ":" not in spec:
        split = default_split
    data = datasets.load(name, split=split)
    if not hasattr(data, "labels"):
        raise DataError(f"{name} is not a labelled data set; classification needs labels "
                        "(e.g. spamassassin, brown-genres, or a TSV file label<TAB>text).")
    return list(data.texts), [str(x) for x in data.labels], f"{name}:{split}"


def _tokenize(texts: list[str], tok: Any, quiet: bool) -> list[list[str]]:
    return [tok(t) for t in progress(texts, quiet=quiet, desc="tokenising", unit="text")]


def _check_texts(seqs: list[list[str]], where: str) -> None:
    bad = next((i for i, s in enumerate(seqs) if not s), None)
    if bad is not None:
        raise DataError(f"{where}: text {bad + 1} has no tokens after tokenising; remove it or use another tokenizer.")


def _read_model(directory: str) -> tuple[Any, Any]:
    from seqlab import io
    from seqlab.classify import BayesSequenceClassifier
    from seqlab.data.tokenize import tokenizer_from_json

    model = io.load(directory)
    if type(model).__name__ == "NeuralClassifier":
        return model, None                       # it tokenises texts itself, with its saved tokenizer
    if not isinstance(model, BayesSequenceClassifier):
        raise FormatError(f"{directory} holds a {type(model).__name__}, not a classifier; "
                          "train one with 'seqlab classify train'.")
    tok = getattr(model, "tokenizer_", None)  # saved with the model
    if tok is None:  # directories of earlier releases kept it in a side file
        sidecar = Path(directory) / SIDECAR
        try:
            meta = json.loads(sidecar.read_text(encoding="utf-8")) if sidecar.is_file() else {}
            tok = tokenizer_from_json(meta.get("tokenizer", {"name": "word"}))
        except (json.JSONDecodeError, UnicodeDecodeError, KeyError) as exc:
            raise FormatError(f"{sidecar} is damaged ({exc}).") from None
    return model, tok


# ---------------------------------------------------------------------- model
def _smoothing(args: argparse.Namespace) -> Any:
    from seqlab.ngram import make_smoothing

    if args.smoothing == "stupid-backoff":
        raise InvalidParameterError("--smoothing stupid-backoff gives unnormalised scores, but a Bayes classifier "
                                    "needs probabilities; choose another smoothing (e.g. lidstone or witten-bell).")
    alpha = 0.1 if args.alpha is None and args.smoothing == "lidstone" else args.alpha
    return make_smoothing(args.smoothing, alpha=alpha, discount=args.discount)


def _build_classifier(args: argparse.Namespace) -> Any:
    from seqlab.classify import BayesSequenceClassifier
    from seqlab.ngram import NGramLM

    if not 1 <= args.order <= 10:
        raise InvalidParameterError(f"--order must be between 1 and 10, got {args.order}.")
    lm = NGramLM(order=args.order, smoothing=_smoothing(args))
    return BayesSequenceClassifier(lm=lm, prior=args.prior, oov=args.oov, boundaries=args.boundaries,
                                   length_normalize=args.length_normalize)


# ---------------------------------------------------------------------- verbs
def run_train(args: argparse.Namespace) -> int:
    from seqlab import io
    from seqlab.data.tokenize import get_tokenizer

    if args.model != "bayes-ngram":
        return _train_neural(args)
    quiet = bool(getattr(args, "quiet", False))
    check_output(args.output, args.force, "model directory")
    clf = _build_classifier(args)
    texts, labels, source = load_texts(args.data, "train", encoding=args.encoding)
    tok = get_tokenizer(args.tokenizer, lowercase=args.lowercase)
    seqs = _tokenize(texts, tok, quiet)
    _check_texts(seqs, source)
    clf.fit(seqs, labels)
    clf.tokenizer_ = tok  # saved with the model: eval and predict read texts the same way
    io.save(clf, args.output)
    counts = {str(c): int(n) for c, n in zip(clf.classes_, clf.class_count_, strict=True)}
    summary: dict[str, Any] = {"model": type(clf).__name__, "output": str(args.output), "data": source,
                               "texts": len(seqs),
                               "vocabulary": len(clf.vocabulary_)}
    if args.format == "json":
        emit(args, {**summary, "class_counts": counts})
    else:
        emit(args, {**summary, "classes": " ".join(f"{c}={n}" for c, n in counts.items())})
    return 0


def run_eval(args: argparse.Namespace) -> int:
    from seqlab.evaluate.classification import classification_report

    model, tok = _read_model(args.model)
    texts, labels, source = load_inputs(args.data, "test", encoding=args.encoding)
    known = {str(c) for c in model.classes_}
    unknown = next((i for i, lab in enumerate(labels) if lab not in known), None)
    if unknown is not None:
        raise DataError(f"{source}: text {unknown + 1} has label {labels[unknown]!r}, which the model never saw; "
                        f"its classes are {sorted(known)}.")
    seqs = texts if tok is None else _tokenize(texts, tok, bool(getattr(args, "quiet", False)))
    classes = [str(c) for c in model.classes_]
    proba = model.predict_proba(seqs)
    pred = [classes[i] for i in proba.argmax(axis=1)]
    report = classification_report(labels, pred, labels=classes, proba=proba)
    if args.format == "json":
        emit(args, {"data": source, **report.to_dict()})
    elif args.format == "tsv":
        emit(args, [{"class": c, **v} for c, v in report.per_class().items()])
    else:
        print(f"{source}: {len(seqs)} texts")
        print(report)
    return 0


def run_predict(args: argparse.Namespace) -> int:
    from seqlab.data.readers import read_lines

    model, tok = _read_model(args.model)
    lines = list(read_lines(args.data if args.data is not None else args.input, encoding=args.encoding))
    if not lines:
        return 0
    proba = model.predict_proba(lines if tok is None else [tok(line) for line in lines])
    best = proba.argmax(axis=1)
    labels = [str(model.classes_[i]) for i in best]
    probs = proba[np.arange(len(lines)), best]
    check_finite(probs, "a class probability")
    if args.format == "json":
        emit(args, [{"label": lab, "probability": float(p)} for lab, p in zip(labels, probs, strict=True)])
    else:
        sys.stdout.write("".join(f"{lab}\t{p:.6g}\n" for lab, p in zip(labels, probs, strict=True)))
    return 0
