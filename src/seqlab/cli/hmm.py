"""``seqlab hmm fit|decode|sample``: hidden Markov models from the command line.

Data is either a text file with one symbol sequence per line (symbols are whitespace-separated
tokens, or characters when no line has whitespace; a categorical HMM) or a numeric CSV with
one row per step (a Gaussian, Gaussian-mixture or Poisson HMM over one sequence; ``.csv``/``.tsv``
files). The symbol table is model state (``CategoricalHMM.symbols_``, saved in the manifest);
model directories written before that, with the table in a ``symbols.json`` side file, still load.
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from seqlab.exceptions import ConvergenceWarning, DataError, FormatError, SeqlabError

SYMBOLS = "symbols.json"


def register(groups: Any) -> None:
    from seqlab.cli._common import add_force, add_group, add_verb

    verbs = add_group(groups, "hmm", "hidden Markov models: fit, decode, sample")
    p = add_verb(verbs, "fit", "fit an HMM by Baum-Welch and save it", run_fit)
    p.add_argument("--states", type=int, required=True, help="number of hidden states")
    p.add_argument("--data", required=True, help="symbol sequences (one per line) or a numeric CSV")
    p.add_argument("-o", "--output", required=True, help="model directory to create")
    add_force(p, "model directory")
    _add_kind(p)
    p.add_argument("--n-iter", type=int, default=100, help="largest number of Baum-Welch iterations")
    p.add_argument("--tol", type=float, default=1e-4, help="stop when an iteration gains less log-likelihood")
    p.add_argument("--n-init", type=int, default=5, help="restarts; the best is kept")
    p.add_argument("--covariance-type", choices=("diag", "full", "spherical", "tied"), default="diag",
                   help="Gaussian and Gaussian-mixture HMMs only")
    p.add_argument("--emission", choices=("gaussian", "gmm", "poisson"), default="gaussian",
                   help="emission family of numeric data: Gaussian, Gaussian mixture (--n-mix) or Poisson counts")
    p.add_argument("--n-mix", type=int, default=2, help="Gaussian components per state (--emission gmm)")

    p = add_verb(verbs, "decode", "most likely hidden states of each sequence", run_decode)
    p.add_argument("model", help="model directory written by 'seqlab hmm fit'")
    p.add_argument("--data", required=True, help="data in the format the model was fitted on")
    p.add_argument("--algorithm", choices=("viterbi", "map"), default="viterbi", help="decoder")
    _add_kind(p)

    p = add_verb(verbs, "sample", "draw a sequence from a saved HMM", run_sample)
    p.add_argument("model", help="model directory written by 'seqlab hmm fit'")
    p.add_argument("-n", type=int, default=100, help="number of steps")


def _add_kind(p: argparse.ArgumentParser) -> None:
    p.add_argument("--kind", choices=("auto", "symbols", "numeric"), default="auto",
                   help="data format; auto: numeric for .csv/.tsv files, else symbols")


def _is_numeric(path: str, kind: str) -> bool:
    return kind == "numeric" or (kind == "auto" and Path(path).suffix.lower() in (".csv", ".tsv"))


def read_symbol_lines(path: str) -> list[list[str]]:
    """One sequence per non-blank line: whitespace tokens, or characters if no line has whitespace."""
    from seqlab.data.readers import read_lines

    lines = [line for line in read_lines(path) if line.strip()]
    if not lines:
        raise DataError(f"{path} holds no sequences; give one symbol sequence per line.")
    if any(len(line.split()) > 1 for line in lines):
        return [line.split() for line in lines]
    return [list(line.strip()) for line in lines]


def _encode(seqs: list[list[str]], symbols: list[str], path: str) -> list[np.ndarray]:
    index = {s: i for i, s in enumerate(symbols)}
    out = []
    for n, seq in enumerate(seqs, start=1):
        unknown = [s for s in seq if s not in index]
        if unknown:
            raise DataError(f"{path}, sequence {n}: symbol {unknown[0]!r} was not seen when the model was fitted "
                            f"({len(symbols)} known symbols).")
        out.append(np.array([index[s] for s in seq], dtype=np.int64))
    return out


def _save(model: Any, path: str, symbols: list[str] | None, log: Any = None) -> None:
    """Save the model (and its Baum-Welch curve); a categorical model carries its symbol table as ``symbols_``."""
    from seqlab.cli._common import save_with_curve

    if symbols is not None:
        model.symbols_ = list(symbols)
    save_with_curve(model, path, log)


def _load(path: str) -> tuple[Any, list[str] | None]:
    from seqlab import io
    from seqlab.hmm import BaseHMM

    model = io.load(path)
    if not isinstance(model, BaseHMM):
        raise FormatError(f"{path} holds a {type(model).__name__}, not an HMM.")
    table: list[str] | None = getattr(model, "symbols_", None)
    if table is not None:
        return model, list(table)
    file = Path(path) / SYMBOLS  # model directories written before symbols_ was model state
    if not file.is_file():
        return model, None
    try:
        symbols = json.loads(file.read_text(encoding="utf-8"))["symbols"]
    except (json.JSONDecodeError, KeyError, TypeError):
        raise FormatError(f"{file} is damaged: expected {{\"symbols\": [...]}}.") from None
    return model, [str(s) for s in symbols]


def _read(path: str, kind: str, symbols: list[str] | None) -> tuple[list[np.ndarray], list[str] | None]:
    from seqlab.cli.kalman import read_numeric_csv

    if _is_numeric(path, kind):
        X = read_numeric_csv(path)
        if np.isnan(X).any():
            raise DataError(f"{path} has empty or NaN cells; an HMM needs every value.")
        return [X], None
    seqs = read_symbol_lines(path)
    if symbols is None:
        symbols = sorted({s for seq in seqs for s in seq})
    return _encode(seqs, symbols, path), symbols


def run_fit(args: argparse.Namespace) -> int:
    from seqlab.cli._common import check_output, emit
    from seqlab.hmm import GMMHMM, CategoricalHMM, GaussianHMM, PoissonHMM

    if args.states < 1:
        raise SeqlabError(f"--states must be >= 1, got {args.states}.")
    if args.n_mix < 1:
        raise SeqlabError(f"--n-mix must be >= 1, got {args.n_mix}.")
    check_output(args.output, args.force, "model directory")
    seqs, symbols = _read(args.data, args.kind, None)
    if args.n_iter < 1:
        raise SeqlabError(f"--n-iter must be >= 1 (Baum-Welch iterations), got {args.n_iter}.")
    common = {"n_states": args.states, "n_iter": args.n_iter, "tol": args.tol, "n_init": args.n_init,
              "random_state": args.seed}
    if symbols is None and args.emission == "poisson":
        model: Any = PoissonHMM(**common)
    elif symbols is None and args.emission == "gmm":
        model = GMMHMM(n_mix=args.n_mix, covariance_type=args.covariance_type, **common)
    elif symbols is None:
        model = GaussianHMM(covariance_type=args.covariance_type, **common)
    else:
        model = CategoricalHMM(n_symbols=len(symbols), **common)
    from seqlab.train.log import MetricsLog

    log = MetricsLog(None)  # one row per Baum-Welch iteration, saved as metrics.csv
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        model.fit(seqs, log=log)
    for w in caught:
        print(f"seqlab: warning: {w.message}", file=sys.stderr)
    _save(model, args.output, symbols, log)
    n_steps = sum(len(s) for s in seqs)
    score = model.score(seqs)
    ll = model.log_likelihood(seqs[0]) if len(seqs) == 1 else score * n_steps
    emit(args, {"model": type(model).__name__, "n_states": args.states, "n_sequences": len(seqs),
                "n_steps": n_steps, "log_likelihood": ll, "score": score, "aic": model.aic(seqs),
                "bic": model.bic(seqs), "n_iter": model.n_iter_,
                "converged": bool(model.converged_), "best_init": model.best_init_, "output": args.output})
    return 0


def run_decode(args: argparse.Namespace) -> int:
    from seqlab.cli._common import emit

    model, symbols = _load(args.model)
    seqs, _ = _read(args.data, "numeric" if symbols is None else "symbols", symbols)
    rows = []
    for i, seq in enumerate(seqs):
        log_prob, states = model.decode(seq, algorithm=args.algorithm)
        rows.append({"sequence": i, "length": len(seq), "log_prob": log_prob,
                     "states": states.tolist()})
    emit(args, rows)
    return 0


def run_sample(args: argparse.Namespace) -> int:
    from seqlab.cli._common import emit

    if args.n < 1:
        raise SeqlabError(f"-n must be >= 1, got {args.n}.")
    model, symbols = _load(args.model)
    obs, states = model.sample(args.n, random_state=args.seed)
    if symbols is not None:
        values = [symbols[int(v)] for v in obs]
        joiner = "" if all(len(s) == 1 for s in symbols) else " "
        emit(args, {"observations": joiner.join(values), "states": states.tolist()})
    else:
        emit(args, [{"step": t, "state": int(states[t]), **{f"x{j + 1}": float(v) for j, v in enumerate(obs[t])}}
                    for t in range(len(obs))])
    return 0
