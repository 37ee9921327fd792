"""``seqlab lm train|eval|generate|export``: language models, with the model family as an option.

``--model`` picks a :class:`ModelFamily` from :data:`FAMILIES`; a family adds its own flags
(an argument group) and builds an unfitted model from the parsed arguments. ``eval`` and
``generate`` work through the ``LanguageModel`` protocol and :func:`seqlab.io.load`, so they
serve any saved language model. A new family is one ``FAMILIES[...] = ModelFamily(...)``.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from seqlab import io
from seqlab.cli._common import add_group, add_verb, check_output, defer_options, emit, gc_paused, progress
from seqlab.data.tokenize import Tokenizer, get_tokenizer, tokenizer_from_json
from seqlab.exceptions import DataError, InvalidParameterError, SeqlabError


@dataclass(frozen=True)
class ModelFamily:
    """One ``--model`` choice: its flags, how to build it, how to fit it."""

    name: str
    help: str
    add_options: Callable[[argparse.ArgumentParser], None]
    build: Callable[[argparse.Namespace], Any]
    fit: Callable[[Any, Iterable[list[str]], argparse.Namespace], Any] = lambda model, corpus, args: model.fit(corpus)
    #: writes the fitted model to ``-o DIR`` (neural models keep their trainer state there for --resume)
    save: Callable[[Any, Path], Any] = lambda model, out: model.save(out)
    #: the family's own lines of the ``train`` summary (order, vocabulary, n-gram counts, ...)
    describe: Callable[[Any], dict[str, Any]] = lambda model: {}


FAMILIES: dict[str, ModelFamily] = {}


# ---------------------------------------------------------------------- the n-gram family
def _ngram_options(p: argparse.ArgumentParser) -> None:
    from seqlab.ngram.smoothing import SMOOTHING

    g = p.add_argument_group("n-gram options (--model ngram)")
    g.add_argument("--order", type=int, default=3, help="largest n-gram length, 1..10")
    g.add_argument("--smoothing", default="modified-kneser-ney", metavar="NAME",
                   help=f"one of: {', '.join(SMOOTHING)}")
    g.add_argument("--alpha", type=float, default=None, help="add-k pseudo-count (lidstone) or backoff factor "
                   "(stupid-backoff)")
    g.add_argument("--discount", type=float, default=None, help="discount D (absolute-discount, kneser-ney)")
    g.add_argument("--memory", default=None, metavar="SIZE",
                   help="count out of core within SIZE (e.g. 4G, 512M; at least 1M): sorted runs on disk, merged")
    g.add_argument("--temp-dir", default=None, metavar="DIR", help="where --memory writes its runs (default: $TMPDIR)")
    g.add_argument("--engine", choices=("local", "dask"), default="local",
                   help="dask: count on a Dask cluster (needs seqlab[dask]); the workers read --data themselves")
    g.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="--engine dask: join this scheduler (tcp://HOST:8786) instead of starting workers")
    g.add_argument("--workers", type=int, default=None, metavar="N",
                   help="--engine dask: start a local cluster of N worker processes (default 2)")


def _ngram_build(args: argparse.Namespace) -> Any:
    from seqlab.ngram import NGramLM, make_smoothing

    smoothing = make_smoothing(args.smoothing, alpha=args.alpha, discount=args.discount)
    model = NGramLM(order=args.order, smoothing=smoothing, min_count=args.min_count,
                    memory=getattr(args, "memory", None), temp_dir=getattr(args, "temp_dir", None))
    model.check_params()  # fail before reading any data
    if getattr(args, "engine", "local") != "dask" and (args.scheduler or args.workers is not None):
        raise InvalidParameterError("--scheduler and --workers apply to --engine dask; add --engine dask.")
    return model


def _ngram_streams(args: argparse.Namespace) -> bool:
    """True when the n-gram path reads --data itself (out of core or on Dask) instead of loading it."""
    return args.model == "ngram" and (getattr(args, "memory", None) is not None
                                      or getattr(args, "engine", "local") == "dask")


def _ngram_fit(model: Any, corpus: Any, args: argparse.Namespace) -> Any:
    if getattr(args, "engine", "local") != "dask":
        return model.fit(corpus)
    from seqlab.ngram.dask_engine import DaskEngine

    with DaskEngine.from_options(scheduler=args.scheduler, workers=args.workers, tokenizer=args.tokenizer
                                 or "whitespace", encoding=args.encoding, lowercase=args.lowercase) as engine:
        return model.fit(corpus, engine=engine)


def _ngram_describe(model: Any) -> dict[str, Any]:
    out = {"order": model.order, "smoothing": model.smoothing.name, "vocabulary": len(model.vocabulary_),
           "ngrams": model.ngram_counts_}
    if model.discounts_:
        out["discounts"] = [[round(d, 6) for d in ds] for ds in model.discounts_]
    return out


FAMILIES["ngram"] = ModelFamily("ngram", "n-gram (Markov) model, counted and smoothed", _ngram_options, _ngram_build,
                                _ngram_fit, describe=_ngram_describe)


# ---------------------------------------------------------------------- the neural families
def _neural_fit(model: Any, corpus: Iterable[list[str]], args: argparse.Namespace) -> Any:
    from seqlab.cli import _neural

    tok = getattr(args, "tokenizer", None)
    return _neural.fit(model, corpus, args, load_valid=lambda spec: load_data(
        spec, tokenizer=tok, encoding=args.encoding, lowercase=args.lowercase))


def _neural_options(p: argparse.ArgumentParser) -> None:
    """Add the neural flags when the command line asks for a neural model (or for help): an n-gram
    command never imports torch."""
    def add(parser: argparse.ArgumentParser, argv: list[str]) -> None:
        from seqlab.deps import has_torch

        if _asks_for_neural(argv) and has_torch():  # without torch, building the model says what to install
            from seqlab.cli import _neural

            _neural.add_options(parser)

    defer_options(p, add)


def _asks_for_neural(argv: list[str]) -> bool:
    if any(a in ("-h", "--help") for a in argv):
        return True
    for i, a in enumerate(argv):
        name = a.partition("=")[2] if a.startswith("--model=") else (argv[i + 1] if a == "--model" and
                                                                        i + 1 < len(argv) else None)
        if name is not None:
            return name != "ngram"
    return False


def _register_neural() -> None:
    from seqlab.models import LM_ARCHITECTURES

    for name in LM_ARCHITECTURES:
        FAMILIES[name] = ModelFamily(name, LM_ARCHITECTURES[name].help, _neural_options, _neural_build,
                                     _neural_fit, lambda model, out: model.save(out))


def _neural_build(args: argparse.Namespace) -> Any:
    from seqlab.deps import require_torch

    require_torch(f"--model {args.model}")
    from seqlab.cli import _neural

    return _neural.build(args)


_register_neural()


# ---------------------------------------------------------------------- data
def load_data(spec: str, *, tokenizer: str | Tokenizer | None, encoding: str = "utf-8", lowercase: bool = False
              ) -> list[list[str]]:
    """Token sequences from a file (one per line) or a bundled corpus ``NAME[:SPLIT]`` (e.g. ``kjv:test``)."""
    from seqlab.datasets import load_corpus

    return load_corpus(spec, tokenizer=tokenizer or "whitespace", encoding=encoding, lowercase=lowercase)


def _stream_data(args: argparse.Namespace) -> Any:
    """--data for the out-of-core and Dask n-gram paths: a file is streamed line by line (never
    loaded whole) or, with --engine dask, handed over as a path; a bundled corpus is small and loaded."""
    from seqlab.data.readers import read_sequences
    from seqlab.datasets import resolve

    if resolve(args.data) is not None:
        if getattr(args, "engine", "local") == "dask":
            raise DataError(f"--engine dask reads text files on the workers; {args.data} is a bundled corpus. "
                            "Give a file path (one sentence per line).")
        return load_data(args.data, tokenizer=args.tokenizer, encoding=args.encoding, lowercase=args.lowercase)
    if getattr(args, "engine", "local") == "dask":
        return [args.data]
    return read_sequences(args.data, args.tokenizer or "whitespace", encoding=args.encoding,
                          lowercase=args.lowercase)


def _data_tokenizer(spec: str, tokenizer: str | None, lowercase: bool) -> dict[str, Any]:
    """The tokenizer to save with a model, so that eval and generate read text the same way."""
    from seqlab.datasets import resolve

    if resolve(spec) is not None:  # bundled corpora: lowercased words (the reference regex) or characters
        return {"name": "char", "lowercase": lowercase} if tokenizer == "char" else \
            {"name": "word", "lowercase": True, "dataset": spec}
    return get_tokenizer(tokenizer or "whitespace", lowercase=lowercase).to_json()


def _model_tokenizer(model: Any, override: str | None) -> Tokenizer | None:
    if override is not None:
        return get_tokenizer(override)
    saved = getattr(model, "tokenizer_", None)  # a Tokenizer (or its JSON form), restored exactly
    return tokenizer_from_json(saved) if saved is not None else None


def _load_lm(path: str) -> Any:
    """A saved model directory, or an ARPA file (``.arpa``, optionally ``.gz``/``.xz``/``.bz2``)."""
    p = Path(path)
    if p.is_file() and ".arpa" in p.suffixes:
        from seqlab.ngram import read_arpa

        return read_arpa(p)
    if not p.is_dir():
        raise DataError(f"{path} is not a model directory (or an .arpa file); "
                        f"train one with 'seqlab lm train ... -o {path}'.")
    model = io.load(path)
    if not all(hasattr(model, m) for m in ("token_log_probs", "begin", "advance", "vocabulary_")):
        raise SeqlabError(f"{path} holds a {type(model).__name__}, which is not a language model.")
    return model


def _refuse_existing(path: Path, force: bool, what: str) -> None:
    check_output(path, force, what)  # and lock it for the run


# ---------------------------------------------------------------------- verbs
def cmd_train(args: argparse.Namespace) -> int:
    if getattr(args, "condition", None):  # a ConditionalLM (seqlab.cli._conditional)
        from seqlab.cli import _conditional

        return _conditional.train(args)
    if getattr(args, "level", None) and args.tokenizer is None:
        args.tokenizer = args.level
    family = FAMILIES[args.model]
    out = Path(args.output)
    _refuse_existing(out, args.force or getattr(args, "resume", False), "existing model")
    model = family.build(args)
    tokenizer_json = _data_tokenizer(args.data, args.tokenizer, args.lowercase)
    model.tokenizer_ = tokenizer_json  # set before fitting too, so checkpoints carry it
    streams = _ngram_streams(args)  # out of core or on Dask: --data is streamed, never held as lists
    with gc_paused(args.model == "ngram" and not streams):  # token lists and count tables: no cycles
        corpus = (_stream_data(args) if streams else
                  load_data(args.data, tokenizer=args.tokenizer, encoding=args.encoding, lowercase=args.lowercase))
        start = time.perf_counter()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                family.fit(model, corpus, args)
            except DataError as exc:
                raise DataError(f"{args.data}: {exc}") from None
        del corpus  # before the collector resumes
    for w in caught:  # one readable line each (e.g. fallback discounts on a small corpus)
        print(f"seqlab: warning: {str(w.message).splitlines()[0]}", file=sys.stderr)
    seconds = time.perf_counter() - start
    model.tokenizer_ = tokenizer_json
    family.save(model, out)
    # the one JSON schema: "model" is the saved class, "output" the directory, "architecture" the --model name
    result: dict[str, Any] = {"model": type(model).__name__, "output": str(out), "architecture": args.model,
                              "seconds": round(seconds, 3)}
    described = family.describe(model)
    if not described:
        described = {k: v for k, v in model.describe().items() if not isinstance(v, dict)}
    result.update(described)
    result.update(getattr(model, "train_result_", None) or {})  # trained models: losses, steps, tokens/s
    emit(args, result)
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from seqlab.evaluate import perplexity_report

    model = _load_lm(args.model_dir)
    tok = _model_tokenizer(model, args.tokenizer)
    with gc_paused(hasattr(model, "to_arpa")):  # an n-gram model: token lists and arrays, no cycles
        data = load_data(args.data, tokenizer=tok, encoding=args.encoding,
                         lowercase=bool(tok and tok.lowercase))
        corpus = list(progress(data, quiet=getattr(args, "quiet", False), desc="reading", unit=" lines"))
        if not any(corpus):
            raise DataError(f"{args.data} holds no tokens (empty, or only blank lines); give a non-empty corpus.")
        rep = perplexity_report(model, corpus)
        del data, corpus  # before the collector resumes
    result = {"perplexity": rep.perplexity, "bits_per_token": rep.bits_per_token, "tokens": rep.tokens,
              "oov": rep.oov, "perplexity_excl_oov": rep.perplexity_excl_oov, "sentences": rep.sentences}
    emit(args, result)
    return 0


def cmd_generate(args: argparse.Namespace) -> int:
    from seqlab.generate import generate

    if getattr(args, "label", None) is not None or getattr(args, "vectors", None) is not None:
        from seqlab.cli import _conditional

        return _conditional.generate(args)
    if uses_decoding_options(args):
        return _cmd_generate_decoding(args)
    model = _load_lm(args.model_dir)
    tok = _model_tokenizer(model, args.tokenizer) or get_tokenizer("whitespace")
    prompt = tok(args.prompt) if args.prompt else []
    if args.greedy and (args.temperature is not None or args.top_k is not None or args.top_p is not None):
        raise InvalidParameterError("--greedy takes the most likely token; leave --temperature, --top-k and "
                                    "--top-p unset.")
    words = generate(model, prompt, max_tokens=args.max_tokens,
                     temperature=1.0 if args.temperature is None else args.temperature,
                     top_k=args.top_k, top_p=args.top_p, greedy=args.greedy, seed=args.seed)
    text = tok.detokenize(prompt + words)
    if args.format == "json":
        emit(args, {"prompt": args.prompt, "tokens": words, "text": text})
    else:
        print(text)
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    model = _load_lm(args.model_dir)
    if not hasattr(model, "to_arpa"):
        raise SeqlabError(f"{args.model_dir} holds a {type(model).__name__}; only n-gram models export to ARPA.")
    out = Path(args.arpa)
    _refuse_existing(out, args.force, "existing file")
    model.to_arpa(out)
    emit(args, {"arpa": str(out), "order": len(model.keys_), "ngrams": " / ".join(map(str, model.ngram_counts_))})
    return 0


# ---------------------------------------------------------------------- decoding options (beam search, penalties,
# stop strings, several sequences, streaming): one set of flags shared with `seq2seq translate`
def add_decoding_options(p: argparse.ArgumentParser) -> None:
    """The HF-style decoding flags of :func:`seqlab.generate.generate_sequences`."""
    p.add_argument("--max-new-tokens", type=int, default=None, help="most tokens to generate (same as --max-tokens)")
    p.add_argument("--beam-size", type=int, default=None, help="beam search with this many beams (1 = greedy)")
    p.add_argument("--length-penalty", type=float, default=1.0,
                   help="beam ranking divides log-probability by length**P (0: raw log-probability)")
    p.add_argument("--repetition-penalty", type=float, default=1.0, help="> 1 discourages tokens already produced")
    p.add_argument("--no-repeat-ngram-size", type=int, default=0, help="never repeat an n-gram of this size")
    p.add_argument("--stop", action="append", default=[], help="stop once the text contains this string (repeatable)")
    p.add_argument("--num-return-sequences", type=int, default=1, help="sequences to print, one per line")
    p.add_argument("--stream", action="store_true", help="print tokens as they are produced")


def uses_decoding_options(args: argparse.Namespace) -> bool:
    """True when any flag of :func:`add_decoding_options` differs from its default."""
    return bool(getattr(args, "max_new_tokens", None) is not None or getattr(args, "beam_size", None) is not None
                or getattr(args, "length_penalty", 1.0) != 1.0 or getattr(args, "repetition_penalty", 1.0) != 1.0
                or getattr(args, "no_repeat_ngram_size", 0) or getattr(args, "stop", None)
                or getattr(args, "num_return_sequences", 1) != 1 or getattr(args, "stream", False))


def _cmd_generate_decoding(args: argparse.Namespace) -> int:
    from seqlab.generate import generate_sequences

    model = _load_lm(args.model_dir)
    tok = _model_tokenizer(model, args.tokenizer) or get_tokenizer("whitespace")
    prompt = tok(args.prompt) if args.prompt else []
    if args.greedy and (args.temperature is not None or args.top_k is not None or args.top_p is not None):
        raise InvalidParameterError("--greedy takes the most likely token; leave --temperature, --top-k and "
                                    "--top-p unset.")
    if args.stream and args.format == "json":
        raise InvalidParameterError("--stream prints plain text; drop --format json or --stream.")
    joiner = "" if tok.name == "char" else " "
    streamed: list[str] = []

    def stream(piece: str) -> None:
        sys.stdout.write(("" if not streamed else joiner) + piece)
        sys.stdout.flush()
        streamed.append(piece)

    if args.stream and args.prompt:
        sys.stdout.write(args.prompt + joiner)
    outs = generate_sequences(
        model, prompt, max_new_tokens=args.max_new_tokens,
        max_tokens=None if args.max_new_tokens is not None else args.max_tokens,
        temperature=1.0 if args.temperature is None else args.temperature, top_k=args.top_k, top_p=args.top_p,
        greedy=args.greedy, beam_size=1 if args.beam_size is None else args.beam_size,
        length_penalty=args.length_penalty, repetition_penalty=args.repetition_penalty,
        no_repeat_ngram_size=args.no_repeat_ngram_size, stop=args.stop, joiner=joiner,
        num_return_sequences=args.num_return_sequences, callback=stream if args.stream else None, seed=args.seed)
    if args.stream:
        print()
        return 0
    texts = [tok.detokenize(prompt + words) for words in outs]
    if args.format == "json":
        sequences = [{"tokens": w, "text": t} for w, t in zip(outs, texts, strict=True)]
        emit(args, {"prompt": args.prompt, "sequences": sequences,
                    "tokens": outs[0], "text": texts[0]})
    else:
        print("\n".join(texts))
    return 0


# ---------------------------------------------------------------------- parser
def _data_options(p: argparse.ArgumentParser, *, default_tokenizer: str | None) -> None:
    p.add_argument("--tokenizer", choices=("word", "char", "whitespace"), default=default_tokenizer,
                   help="how lines become tokens (unset: the model's tokenizer; whitespace for files)")
    p.add_argument("--encoding", default="utf-8", help="text encoding of --data files")


def register(groups: Any) -> None:
    verbs = add_group(groups, "lm", "language models: n-gram and neural")

    p = add_verb(verbs, "train", "fit a language model and save it to a directory", cmd_train)
    p.add_argument("--model", choices=sorted(FAMILIES), default="ngram", help="model family")
    p.add_argument("--data", required=True, help="training text (one sentence per line), or a dataset: kjv")
    p.add_argument("-o", "--output", required=True, help="model directory to create")
    p.add_argument("--min-count", type=int, default=1, help="training tokens seen fewer times become <unk>")
    p.add_argument("--lowercase", action="store_true", help="fold case before tokenizing")
    p.add_argument("--level", choices=("word", "char"), default=None,
                   help="word or character tokens (same as --tokenizer word|char)")
    p.add_argument("--force", action="store_true", help="replace an existing model directory")
    _data_options(p, default_tokenizer=None)
    for options in dict.fromkeys(family.add_options for family in FAMILIES.values()):
        options(p)
    from seqlab.cli._conditional import add_train_options as _conditional_train_options

    _conditional_train_options(p)

    p = add_verb(verbs, "eval", "perplexity, bits per token, tokens and OOVs of a saved model on a corpus", cmd_eval)
    p.add_argument("model_dir", help="model directory (or an ARPA file)")
    p.add_argument("--data", required=True, help="test text (one sentence per line), or a dataset split: kjv:test")
    _data_options(p, default_tokenizer=None)

    p = add_verb(verbs, "generate", "sample text from a saved language model", cmd_generate)
    p.add_argument("model_dir", help="model directory")
    p.add_argument("--prompt", default="", help="text to continue")
    p.add_argument("--max-tokens", type=int, default=50, help="most tokens to generate (stops early at </s>)")
    p.add_argument("--temperature", type=float, default=None, help="< 1 sharpens, > 1 flattens (default 1)")
    p.add_argument("--top-k", type=int, default=None, help="sample among the K most likely tokens")
    p.add_argument("--top-p", type=float, default=None, help="nucleus sampling: smallest set with mass >= P")
    p.add_argument("--greedy", action="store_true", help="always take the most likely token")
    p.add_argument("--tokenizer", choices=("word", "char", "whitespace"), default=None,
                   help="how the prompt becomes tokens (unset: the model's tokenizer)")
    add_decoding_options(p)
    from seqlab.cli._conditional import add_generate_options as _conditional_generate_options

    _conditional_generate_options(p)

    p = add_verb(verbs, "export", "write an n-gram model as an ARPA file", cmd_export)
    p.add_argument("model_dir", help="model directory")
    p.add_argument("--arpa", required=True, help="output ARPA file")
    p.add_argument("--force", action="store_true", help="replace an existing file")
