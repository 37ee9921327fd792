"""``lm train --condition label|vector`` and ``lm generate --label/--vectors``: the ConditionalLM path of ``lm``.

Data: ``--condition label`` with a labelled data set (``brown-genres``, ``spamassassin``: every
line of a document gets its label) or a ``label<TAB>text`` file; ``--condition vector`` with a
text file and ``--vectors FEATS.npy`` holding one row per non-empty line.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import numpy as np

from seqlab.cli._common import emit
from seqlab.exceptions import DataError, InvalidParameterError, SeqlabError


def add_train_options(p: argparse.ArgumentParser) -> None:
    """The conditioning flags of ``lm train`` (model sizes and training flags are the neural ones)."""
    g = p.add_argument_group("conditional language models (--condition)")
    g.add_argument("--condition", choices=("label", "vector"), default=None,
                   help="condition a neural LM on each line's label or on a feature vector per line")
    g.add_argument("--inject", choices=("init", "input", "both"), default="init",
                   help="condition through the initial hidden state, every input, or both")
    g.add_argument("--vectors", default=None, help="--condition vector: a .npy file with one row per text line")


def add_generate_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("conditional language models")
    g.add_argument("--label", default=None, help="generate under this label (a model trained with --condition label)")
    g.add_argument("--vectors", default=None, help="a .npy file of condition vectors (--condition vector models)")
    g.add_argument("--row", type=int, default=0, help="which row of --vectors to condition on")


def _read_vectors(path: str) -> np.ndarray:
    p = Path(path)
    if not p.is_file():
        raise DataError(f"{path} does not exist; give a .npy file of condition vectors.")
    try:
        loaded = np.load(p, allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise DataError(f"{path} is not a numeric .npy array ({str(exc).splitlines()[0]}).") from None
    if not isinstance(loaded, np.ndarray):  # an .npz archive: several arrays, not one
        loaded.close()
        raise DataError(f"{path} is an .npz archive; save the condition vectors as one .npy array (np.save).")
    arr: np.ndarray = loaded
    if not np.issubdtype(arr.dtype, np.number) or np.issubdtype(arr.dtype, np.complexfloating):
        raise DataError(f"{path} holds {arr.dtype} values; give real numbers (float .npy array).")
    if arr.ndim != 2:
        raise DataError(f"{path} holds an array of shape {arr.shape}; give one row per text line (2-D).")
    return arr


def _tokenize(text: str, args: argparse.Namespace) -> list[str]:
    from seqlab.data.tokenize import get_tokenizer

    return get_tokenizer(args.tokenizer or args.level or "whitespace", lowercase=args.lowercase)(text)


def _data(args: argparse.Namespace) -> tuple[list[list[str]], Any]:
    from seqlab import datasets
    from seqlab.data.readers import read_lines

    resolved = datasets.resolve(args.data)
    if args.condition == "label":
        if resolved is not None:
            if datasets.info(resolved[0]).kind != "labelled":
                raise DataError(f"--condition label needs labelled data (brown-genres, spamassassin) or a "
                                f"label<TAB>text file; {resolved[0]!r} is a {datasets.info(resolved[0]).kind} set.")
            data = datasets.load(*resolved)
            texts, labels = [], []
            for doc, label in zip(data.texts, data.labels, strict=True):
                for line in doc.split("\n"):
                    tokens = datasets.tokenize(line, level=args.level or "word")
                    if tokens:
                        texts.append(tokens)
                        labels.append(label)
            return texts, labels
        texts, labels = [], []
        for n, line in enumerate(read_lines(args.data, encoding=args.encoding), 1):
            if not line.strip():
                continue
            label, tab, text = line.partition("\t")
            if not tab or not label.strip() or not text.strip():
                raise DataError(f"{args.data}: line {n} is not 'label<TAB>text'; write one labelled line each.")
            texts.append(_tokenize(text, args))
            labels.append(label.strip())
        return texts, labels
    if args.vectors is None:
        raise InvalidParameterError("--condition vector needs --vectors FEATS.npy (one row per text line).")
    lines = [line for line in read_lines(args.data, encoding=args.encoding) if line.strip()] if resolved is None \
        else datasets.load_lines(*resolved)
    texts = [_tokenize(line, args) for line in lines]
    vectors = _read_vectors(args.vectors)
    if vectors.shape[0] != len(texts):
        raise DataError(f"{args.vectors} has {vectors.shape[0]} rows but {args.data} has {len(texts)} lines; "
                        "give one row per line.")
    return texts, vectors


def train(args: argparse.Namespace) -> int:
    """``lm train --condition ...``."""
    from seqlab.cli._neural import configure_threads, train_config
    from seqlab.models import ConditionalLM

    configure_threads(getattr(args, "threads", None))
    out = Path(args.output)
    if out.exists() and any(out.iterdir()) and not args.force:
        raise SeqlabError(f"{out} already exists; refusing to overwrite the existing model. "
                          "Choose a new path or pass --force.")
    if args.model not in ("lstm", "gru", "rnn"):
        raise InvalidParameterError(f"--condition works with --model lstm, gru or rnn; got {args.model!r}.")
    model = ConditionalLM(model=args.model, condition=args.condition, inject=args.inject, d_embed=args.d_embed,
                          d_hidden=args.d_hidden, n_layers=args.n_layers, dropout=args.dropout,
                          min_count=args.min_count, train=train_config(args), random_state=args.seed)
    model.check_params()
    texts, conditions = _data(args)
    model.fit(texts, conditions, quiet=getattr(args, "quiet", False))
    model.save(out)
    emit(args, {"model": str(out), "condition": args.condition, "sequences": len(texts),
                "vocab": len(model.vocabulary_), "labels": len(getattr(model, "labels_", []) or []),
                **{k: model.train_result_.get(k) for k in ("steps", "train_loss", "valid_loss")}})
    return 0


def generate(args: argparse.Namespace) -> int:
    """``lm generate DIR --label L`` or ``--vectors F.npy --row K``."""
    from seqlab import io
    from seqlab.generate import generate_sequences
    from seqlab.models import ConditionalLM

    if not Path(args.model_dir).is_dir():
        raise DataError(f"{args.model_dir} is not a model directory.")
    model = io.load(args.model_dir)
    if not isinstance(model, ConditionalLM):
        raise SeqlabError(f"{args.model_dir} holds a {type(model).__name__}; --label and --vectors need a model "
                          "trained with 'lm train --condition'.")
    if model.condition == "label":
        if args.label is None:
            raise InvalidParameterError(f"this model is conditioned on labels; give --label (one of "
                                        f"{', '.join(model.labels_)}).")
        view = model.given(args.label)
    else:
        if args.vectors is None:
            raise InvalidParameterError("this model is conditioned on vectors; give --vectors FEATS.npy [--row K].")
        vectors = _read_vectors(args.vectors)
        if not 0 <= args.row < vectors.shape[0]:
            raise DataError(f"--row {args.row} is outside {args.vectors} (rows 0..{vectors.shape[0] - 1}).")
        view = model.given(vectors[args.row])
    prompt = args.prompt.split() if args.prompt else []
    beam = getattr(args, "beam_size", None) or 1
    outs = generate_sequences(view, prompt, max_new_tokens=getattr(args, "max_new_tokens", None) or args.max_tokens,
                              greedy=args.greedy, beam_size=beam,
                              temperature=1.0 if args.temperature is None else args.temperature, top_k=args.top_k,
                              top_p=args.top_p, num_return_sequences=getattr(args, "num_return_sequences", 1),
                              repetition_penalty=getattr(args, "repetition_penalty", 1.0),
                              no_repeat_ngram_size=getattr(args, "no_repeat_ngram_size", 0), seed=args.seed)
    for words in outs:
        print(" ".join(prompt + words), file=sys.stdout)
    return 0
