"""``seqlab warm-up``: compile the numba kernels once, into numba's cache, right after installing.

The HMM, Kalman, Word2Vec and n-gram scoring kernels are compiled by numba on first use and cached on disk
(``cache=True``), so only the very first use pays for compiling (5-10 CPU seconds per family,
``bench/results/first_run.json``). This command runs a tiny workload of each family so that
the first real use starts from the cache; ``make demo`` runs it.

Where the cache lives is numba's rule: ``NUMBA_CACHE_DIR`` when set; otherwise
``__pycache__`` beside the installed sources when that directory is writable, and a per-user
cache directory (``~/.cache/numba``) when the install is read-only. seqlab never writes
anywhere else.
"""

from __future__ import annotations

import argparse
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np


def _hmm() -> None:
    from seqlab.hmm import CategoricalHMM, GaussianHMM

    rng = np.random.default_rng(0)
    seqs = [list(rng.integers(0, 3, 30)) for _ in range(3)]
    for algorithm in ("viterbi", "map"):
        model = CategoricalHMM(n_states=2, n_iter=2, n_init=1, random_state=0).fit(seqs)
        model.decode(seqs[0], algorithm=algorithm)
    model.sample(10, random_state=0)
    model.score(seqs)
    for covariance_type in ("diag", "full"):
        g = GaussianHMM(n_states=2, covariance_type=covariance_type, n_iter=2, n_init=1, random_state=0)
        g.fit([rng.normal(size=(30, 2))])
        g.decode(rng.normal(size=(10, 2)))
        g.sample(10, random_state=0)


def _statespace() -> None:
    from seqlab.statespace import KalmanFilter

    rng = np.random.default_rng(0)
    for d in (1, 2):
        z = np.cumsum(rng.normal(size=(20, d)), axis=0)
        kf = KalmanFilter(F=np.eye(d), H=np.eye(d), Q=np.eye(d), R=np.eye(d), x0=np.zeros(d), P0=np.eye(d))
        kf.filter(z)
        kf.smooth(z)
        kf.log_likelihood(z)
        kf.predict(z, n_steps=2)
        kf.em(z, n_iter=2)


def _embed() -> None:
    from seqlab.embed import Word2Vec

    corpus = [["a", "b", "c", "d"], ["b", "c", "a"], ["d", "a", "b"]] * 10
    for architecture in ("skipgram", "cbow"):
        for loss in ("negative", "hierarchical"):
            w2v = Word2Vec(architecture=architecture, loss=loss, vector_size=4, min_count=1, epochs=1, workers=1,
                           seed=0).fit(corpus)
    w2v.wv.most_similar("a", topn=2)


def _ngram() -> None:
    import numba  # noqa: F401  (loaded: the n-gram model then takes its compiled path whatever the corpus size)

    from seqlab.ngram import NGramLM, WittenBell

    lm = NGramLM(order=3, smoothing=WittenBell()).fit([["a", "b", "c"], ["b", "c", "a"], ["c", "a", "b"]])
    lm.token_log_probs([["a", "b"], ["zz"]])  # tokens to ids, hash tables, the sentence scorer
    lm.full_scores(["a", "b", "c"])  # the position scorer


FAMILIES: dict[str, Callable[[], None]] = {"hmm": _hmm, "statespace": _statespace, "embed": _embed,
                                           "ngram": _ngram}


def register(groups: Any) -> None:
    from seqlab.cli._common import add_logging_options

    p = groups.add_parser("warm-up", help="compile the numba kernels into the cache once, after installing",
                          description=__doc__.splitlines()[0])
    p.add_argument("--family", default=",".join(FAMILIES),
                   help=f"comma-separated families to compile (default: all of {', '.join(FAMILIES)})")
    add_logging_options(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from seqlab.exceptions import InvalidParameterError

    names = [n.strip() for n in args.family.split(",") if n.strip()]
    unknown = [n for n in names if n not in FAMILIES]
    if unknown or not names:
        raise InvalidParameterError(f"--family must name some of {', '.join(FAMILIES)}; got {args.family!r}.")
    quiet = getattr(args, "quiet", False)
    for name in names:
        start = time.perf_counter()
        with warnings.catch_warnings():  # the workloads are tiny: convergence warnings are expected
            warnings.simplefilter("ignore")
            FAMILIES[name]()
        if not quiet:
            print(f"{name:<12} ready ({time.perf_counter() - start:.1f} s)")
    return 0
