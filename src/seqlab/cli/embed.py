"""``seqlab embed train|similar|analogy|eval|export``: Word2Vec word vectors from the command line.

``DIR`` arguments accept a model directory written by ``embed train`` (a ``Word2Vec`` or an
``Embeddings``) or a word2vec text/binary file.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import Any

from seqlab.cli._common import add_force, add_group, add_verb, check_output, emit
from seqlab.exceptions import DataError, InvalidParameterError, SeqlabError


def register(groups: Any) -> None:
    verbs = add_group(groups, "embed", "word embeddings: Word2Vec (skip-gram, CBOW), queries, evaluation, export")

    p = add_verb(verbs, "train", "train Word2Vec vectors on a corpus and save the model directory", _train)
    p.add_argument("--data", required=True,
                   help="text file, one sentence per line (whitespace-tokenised unless --tokenizer), "
                        "or a bundled corpus name such as kjv")
    arch = p.add_mutually_exclusive_group()
    arch.add_argument("--sg", dest="architecture", action="store_const", const="skipgram",
                      help="skip-gram: predict the context from the centre word (the default)")
    arch.add_argument("--cbow", dest="architecture", action="store_const", const="cbow",
                      help="CBOW: predict the centre word from the mean of its context")
    p.add_argument("--hs", action="store_true", help="hierarchical softmax instead of negative sampling")
    p.add_argument("--negative", type=int, default=None, help="noise words per example (5 when unset; not with --hs)")
    p.add_argument("--window", type=int, default=5, help="largest context distance (dynamic window)")
    p.add_argument("--dim", type=int, default=100, help="vector size")
    p.add_argument("--min-count", type=int, default=5, help="drop words seen fewer times")
    p.add_argument("--max-vocab-size", type=int, default=None, help="prune rare words while counting beyond this")
    p.add_argument("--sample", type=float, default=1e-3, help="frequent-word subsampling threshold (0: off)")
    p.add_argument("--alpha", type=float, default=0.025, help="initial learning rate")
    p.add_argument("--min-alpha", type=float, default=0.0001, help="final learning rate")
    p.add_argument("--ns-exponent", type=float, default=0.75, help="exponent of the negative-sampling distribution")
    p.add_argument("--epochs", type=int, default=5, help="passes over the corpus")
    p.add_argument("--workers", type=int, default=2, help="training threads")
    p.add_argument("--tokenizer", choices=("whitespace", "word", "char"), default="whitespace",
                   help="how lines of --data are split into tokens")
    p.add_argument("--lowercase", action="store_true", help="lower-case the text first")
    p.add_argument("--encoding", default="utf-8", help="encoding of --data")
    p.add_argument("-o", "--output", required=True, help="model directory to create")
    add_force(p, "model directory")
    p.set_defaults(architecture="skipgram", seed=1)

    p = add_verb(verbs, "similar", "nearest words to a word by cosine similarity", _similar)
    p.add_argument("model", metavar="DIR", help="model directory or word2vec file")
    p.add_argument("words", nargs="+", metavar="WORD", help="query word(s); several are summed")
    p.add_argument("--negative-words", nargs="*", default=[], metavar="WORD", help="words to subtract")
    p.add_argument("--topn", type=int, default=10, help="how many neighbours")
    p.add_argument("--method", choices=("3cosadd", "3cosmul"), default="3cosadd", help="scoring rule")

    p = add_verb(verbs, "analogy", "a is to b as c is to ?: the words nearest b - a + c", _analogy)
    p.add_argument("model", metavar="DIR", help="model directory or word2vec file")
    p.add_argument("a")
    p.add_argument("b")
    p.add_argument("c")
    p.add_argument("--topn", type=int, default=5, help="how many answers")
    p.add_argument("--method", choices=("3cosadd", "3cosmul"), default="3cosadd", help="scoring rule")

    p = add_verb(verbs, "eval", "analogy accuracy and word-similarity correlation", _eval)
    p.add_argument("model", metavar="DIR", help="model directory or word2vec file")
    p.add_argument("--analogies", metavar="FILE", help="questions-words.txt format")
    p.add_argument("--similarity", metavar="FILE", help="wordsim353.tsv format (word1 TAB word2 TAB score)")
    p.add_argument("--restrict-vocab", type=int, default=30000, help="search only the most frequent words")
    p.add_argument("--method", choices=("3cosadd", "3cosmul"), default="3cosadd", help="analogy scoring rule")

    p = add_verb(verbs, "export", "write the vectors in the word2vec text or binary format", _export)
    p.add_argument("model", metavar="DIR", help="model directory")
    p.add_argument("--word2vec", required=True, metavar="OUT", help="file to write")
    p.add_argument("--binary", action="store_true", help="binary format (default: text)")
    add_force(p, "file")


# ---------------------------------------------------------------------- helpers
def _corpus(args: argparse.Namespace) -> Any:
    """A bundled corpus (``kjv``, ``kjv:test``, ...) or a text file streamed from disk each epoch."""
    from seqlab import datasets
    from seqlab.data import LineCorpus

    if datasets.resolve(args.data) is not None:
        return datasets.load_corpus(args.data, tokenizer=args.tokenizer, lowercase=args.lowercase)
    return LineCorpus(Path(args.data), args.tokenizer, encoding=args.encoding, lowercase=args.lowercase)


def _load(path: str) -> Any:
    """Embeddings from a model directory or a word2vec file."""
    from seqlab import io
    from seqlab.embed import Embeddings

    p = Path(path)
    if p.is_dir():
        obj = io.load(p)
        if isinstance(obj, Embeddings):
            return obj
        if hasattr(obj, "wv"):
            return obj.wv
        raise SeqlabError(f"{p} holds a {type(obj).__name__}, not word embeddings; train one with seqlab embed train.")
    if not p.exists():
        raise DataError(f"{p} does not exist; give a model directory from 'seqlab embed train' or a word2vec file.")
    return Embeddings.load_word2vec_format(p)


# ---------------------------------------------------------------------- verbs
def _train(args: argparse.Namespace) -> int:
    from seqlab.embed import Word2Vec

    model = Word2Vec(architecture=args.architecture, loss="hierarchical" if args.hs else "negative",
                     negative=args.negative, window=args.window, vector_size=args.dim, min_count=args.min_count,
                     max_vocab_size=args.max_vocab_size, sample=args.sample, alpha=args.alpha,
                     min_alpha=args.min_alpha, epochs=args.epochs, workers=args.workers, seed=args.seed,
                     ns_exponent=args.ns_exponent)
    model.check_params()  # fail before reading the corpus
    check_output(args.output, args.force, "model directory")
    corpus = _corpus(args)
    from seqlab.cli._common import save_with_curve
    from seqlab.train.log import MetricsLog

    log = MetricsLog(None)  # one row per epoch, saved as metrics.csv
    model.fit(corpus, progress=False if getattr(args, "quiet", False) else None, log=log)
    save_with_curve(model, args.output, log)
    stats = model.train_stats_
    emit(args, {"model": type(model).__name__, "output": str(args.output), "vocabulary": len(model.wv),
                "vector_size": model.wv.vector_size,
                "tokens_trained": stats["words"], "seconds": round(stats["seconds"], 3),
                "words_per_second": round(stats["words_per_second"]),
                # None when the last epoch sampled no example for the loss (a tiny corpus)
                "final_loss": model.loss_history_[-1] if math.isfinite(model.loss_history_[-1]) else None})
    return 0


def _similar(args: argparse.Namespace) -> int:
    emb = _load(args.model)
    rows = emb.most_similar(args.words, args.negative_words, topn=args.topn, method=args.method)
    emit(args, [{"word": w, "similarity": s} for w, s in rows])
    return 0


def _analogy(args: argparse.Namespace) -> int:
    emb = _load(args.model)
    rows = emb.most_similar([args.b, args.c], [args.a], topn=args.topn, method=args.method)
    emit(args, [{"word": w, "score": s} for w, s in rows], title=f"{args.a} : {args.b} :: {args.c} : ?")
    return 0


def _eval(args: argparse.Namespace) -> int:
    if not args.analogies and not args.similarity:
        raise DataError("embed eval needs --analogies FILE and/or --similarity FILE.")
    if args.restrict_vocab < 1:
        raise InvalidParameterError(f"--restrict-vocab must be >= 1 (the most frequent words searched), "
                                    f"got {args.restrict_vocab}.")
    emb = _load(args.model)
    result: dict[str, Any] = {"analogy_accuracy": None, "analogy_coverage": None, "similarity_spearman": None,
                              "similarity_pearson": None, "similarity_coverage": None}
    if args.analogies:
        ana = emb.evaluate_analogies(args.analogies, restrict_vocab=args.restrict_vocab, method=args.method)
        result.update(analogy_accuracy=ana["accuracy"], analogy_coverage=ana["coverage"])
    if args.similarity:
        sim = emb.evaluate_similarity(args.similarity)
        result.update(similarity_spearman=sim["spearman"], similarity_pearson=sim["pearson"],
                      similarity_coverage=sim["coverage"])
    emit(args, result)
    return 0


def _export(args: argparse.Namespace) -> int:
    check_output(args.word2vec, args.force, "file")
    emb = _load(args.model)
    path = emb.save_word2vec_format(args.word2vec, binary=args.binary)
    emit(args, {"output": str(path), "format": "word2vec binary" if args.binary else "word2vec text",
                "vocabulary": len(emb), "vector_size": emb.vector_size})
    return 0
