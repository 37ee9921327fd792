"""``seqlab kalman filter|smooth``: Kalman filtering and RTS smoothing of a track in a CSV file.

The model is a named one (``--model``) sized from the file, or a saved ``KalmanFilter``
(``--load``); either way the file must fit it (one column per observed coordinate), else a
one-line error names its rows, columns and what the model expects. ``--control`` adds a
control input (accelerations for the constant-velocity model, velocities for the random walk).
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import Any

import numpy as np

from seqlab.exceptions import DataError, SeqlabError
from seqlab.io import atomic_file
from seqlab.plotting import pyplot

MODELS = ("constant-velocity", "random-walk")


def read_numeric_csv(path: str) -> np.ndarray:
    """Rows of numbers (comma, tab or whitespace separated) as a (T, D) float array.

    A first row that is not numeric is a header and skipped; empty cells and ``nan`` are NaN
    (missing). Raises ``DataError`` naming the line of the first bad cell.
    """
    from seqlab.data.readers import read_lines

    rows: list[list[float]] = []
    width = None
    for lineno, line in enumerate(read_lines(path), start=1):
        if not line.strip():
            continue
        cells = [c.strip() for c in (line.split(",") if "," in line else line.split())]
        try:
            values = [float(c) if c else math.nan for c in cells]
        except ValueError:
            if not rows and lineno == 1:
                continue  # header
            raise DataError(f"{path}, line {lineno}: {line[:60]!r} is not a row of numbers.") from None
        if width is not None and len(values) != width:
            raise DataError(f"{path}, line {lineno}: {len(values)} columns, but earlier rows have {width}.")
        width = len(values)
        rows.append(values)
    if not rows:
        raise DataError(f"{path} holds no numeric rows; give one row per time step.")
    return np.array(rows, dtype=np.float64)


def model_matrices(name: str, z: np.ndarray, *, q: float, r: float, dt: float) -> dict[str, np.ndarray]:
    """Matrices of the named model for observations ``z`` (T, D); x0 starts at the first observed row.

    ``B`` is the control matrix of a D-column input: accelerations (constant velocity:
    ``[dt^2/2 I; dt I]``) or velocities (random walk: ``dt I``).
    """
    from seqlab.statespace import constant_velocity

    d = z.shape[1]
    first = np.nanmean(z[: min(len(z), 5)], axis=0) if np.isfinite(z[: min(len(z), 5)]).any() else np.zeros(d)
    first = np.where(np.isfinite(first), first, 0.0)
    if name == "constant-velocity":
        mats = constant_velocity(d, dt=dt, q=q, r=r, p0=1.0)
        mats["x0"] = np.concatenate([first, np.zeros(d)])
        mats["P0"] = np.diag(np.concatenate([np.full(d, max(r, 1e-12)), np.full(d, 1e2 * max(r, 1e-12))]))
        mats["B"] = np.vstack([0.5 * dt**2 * np.eye(d), dt * np.eye(d)])
        return mats
    eye = np.eye(d)
    return {"F": eye, "H": eye, "Q": q * dt * eye, "R": r * eye, "x0": first, "P0": max(r, 1e-12) * eye,
            "B": dt * eye}


def register(groups: Any) -> None:
    from seqlab.cli._common import add_force, add_group, add_verb

    verbs = add_group(groups, "kalman", "Kalman filter and RTS smoother for noisy tracks")
    for verb, help_text in (("filter", "filtered state estimates (each step uses the past only)"),
                            ("smooth", "RTS-smoothed state estimates (each step uses the whole track)")):
        p = add_verb(verbs, verb, help_text, run)
        p.add_argument("--model", choices=MODELS, default="constant-velocity", help="state-space model")
        p.add_argument("--data", required=True, help="CSV track: one row per step, one column per observed coordinate")
        p.add_argument("--q", type=float, default=1e-2, help="process-noise intensity")
        p.add_argument("--r", type=float, default=1.0, help="measurement-noise variance")
        p.add_argument("--dt", type=float, default=1.0, help="time between rows")
        p.add_argument("--em", type=int, default=0, metavar="N", help="first estimate Q, R, x0, P0 by N EM iterations")
        p.add_argument("--em-vars", default="Q,R,x0,P0",
                       help="comma-separated matrices EM estimates (any of F,H,Q,R,x0,P0, or 'all')")
        p.add_argument("--control", metavar="CSV", help="control input: one row per step, one column per coordinate "
                       "(accelerations for constant-velocity, velocities for random-walk; row 0 is not used)")
        p.add_argument("--dims", type=int, help="refuse a data file that does not have this many columns")
        p.add_argument("--load", metavar="DIR", help="use a KalmanFilter saved by --save instead of --model")
        p.add_argument("--save", metavar="DIR", help="save the model (after --em) as a seqlab model directory")
        p.add_argument("-o", "--output", help="write the estimated states to this CSV file")
        p.add_argument("--plot", help="write a PNG plot of observations and estimates")
        add_force(p, "output (file or --save directory)")


def _fits(path: str, z: np.ndarray, expected: int, what: str) -> None:
    if z.shape[1] != expected:
        raise DataError(f"{path} has {z.shape[0]} rows x {z.shape[1]} columns, but {what} expects {expected} "
                        f"column{'s' if expected != 1 else ''} (one per observed coordinate).")


def run(args: argparse.Namespace) -> int:
    from seqlab import io
    from seqlab.cli._common import check_finite, check_output, emit
    from seqlab.statespace import KalmanFilter

    for name in ("q", "r", "dt"):
        if not getattr(args, name) > 0:
            raise SeqlabError(f"--{name} must be > 0, got {getattr(args, name)}.")
    if args.em < 0:
        raise SeqlabError(f"--em must be >= 0, got {args.em}.")
    if args.save and not args.em:
        raise SeqlabError("--save needs --em N: a model is saved once EM has estimated its matrices.")
    check_output(args.output, args.force, "file")
    check_output(args.plot, args.force, "file")
    check_output(args.save, args.force, "model directory")
    z = read_numeric_csv(args.data)
    if len(z) and np.isnan(z).all():
        raise DataError(f"{args.data}: every observation is missing (empty or NaN); a filter needs at least one "
                        "observed value.")
    if args.dims is not None:
        _fits(args.data, z, args.dims, f"--dims {args.dims}")
    if args.load:
        kf = io.load(args.load)
        if not isinstance(kf, KalmanFilter):
            raise SeqlabError(f"{args.load} holds a {type(kf).__name__}, not a KalmanFilter.")
        H = np.asarray(getattr(kf, "H_", None) if getattr(kf, "H_", None) is not None else kf.H)
        _fits(args.data, z, H.shape[-2], f"the model in {args.load} (H of shape {H.shape})")
        label = f"loaded:{args.load}"
    else:
        kf = KalmanFilter(**model_matrices(args.model, z, q=args.q, r=args.r, dt=args.dt))
        label = args.model
    u = None
    if args.control:
        u = read_numeric_csv(args.control)
        B = getattr(kf, "B_", None) if getattr(kf, "B_", None) is not None else kf.B
        p = 0 if B is None else np.asarray(B).shape[1]
        if B is None:
            raise SeqlabError(f"--control was given but the model has no control matrix B ({label}).")
        if u.shape != (len(z), p):
            raise DataError(f"{args.control} has {u.shape[0]} rows x {u.shape[1]} columns, but the control input "
                            f"must have {len(z)} rows (one per row of {args.data}) x {p} columns.")
        if np.isnan(u).any():
            raise DataError(f"{args.control} has empty or NaN cells; a control input needs every value.")
    from seqlab.train.log import MetricsLog

    log = MetricsLog(None)  # one row per EM iteration, saved as metrics.csv with --save
    if args.em:
        em_vars = [v.strip() for v in args.em_vars.split(",") if v.strip()]
        kf.em(z, u, n_iter=args.em, em_vars="all" if em_vars == ["all"] else em_vars, log=log)
    if args.save:
        from seqlab.cli._common import save_with_curve

        save_with_curve(kf, args.save, log)
    means, covs = kf.smooth(z, u) if args.verb == "smooth" else kf.filter(z, u)
    ll = kf.log_likelihood(z, u)
    check_finite({"the state estimates": means, "the log-likelihood": ll})
    d = z.shape[1]
    names = [f"p{i + 1}" for i in range(d)] + ([f"v{i + 1}" for i in range(d)] if means.shape[1] > d else [])
    if args.output:
        with atomic_file(args.output) as f:
            np.savetxt(f, means, delimiter=",", header=",".join(names), comments="")
    if args.plot:
        _plot(Path(args.plot), z, means, covs, args.verb)
    summary = {"model": label, "mode": args.verb, "n_steps": len(z), "log_likelihood": ll,
               "rmse_to_observations": float(np.sqrt(np.nanmean((means[:, :d] - z) ** 2)))}
    if args.format == "json":
        emit(args, {**summary, "states": means.tolist()})
    else:
        rows = [{"step": t, **{n: float(v) for n, v in zip(names, means[t], strict=True)}} for t in range(len(means))]
        emit(args, rows, title=" ".join(f"{k}={v:.6g}" if isinstance(v, float) else f"{k}={v}"
                                        for k, v in summary.items()))
    return 0


def _plot(path: Path, z: np.ndarray, means: np.ndarray, covs: np.ndarray, mode: str) -> None:
    plt = pyplot()
    d = z.shape[1]
    fig, ax = plt.subplots(figsize=(7, 5))
    if d >= 2:
        ax.plot(z[:, 0], z[:, 1], ".", ms=3, alpha=0.5, label="observations")
        ax.plot(means[:, 0], means[:, 1], "-", lw=1.5, label=f"{mode}ed estimate")
        ax.set_xlabel("p1")
        ax.set_ylabel("p2")
    else:
        t = np.arange(len(z))
        sd = np.sqrt(covs[:, 0, 0])
        ax.plot(t, z[:, 0], ".", ms=3, alpha=0.5, label="observations")
        ax.plot(t, means[:, 0], "-", lw=1.5, label=f"{mode}ed estimate")
        ax.fill_between(t, means[:, 0] - 2 * sd, means[:, 0] + 2 * sd, alpha=0.2, label="±2 sd")
        ax.set_xlabel("step")
    ax.legend()
    ax.set_title(f"Kalman {mode}")
    with atomic_file(path) as f:
        fig.savefig(f, format="png", dpi=100)
    plt.close(fig)
