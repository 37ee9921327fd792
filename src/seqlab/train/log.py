"""Training logs: one ``metrics.csv`` writer shared by the neural ``Trainer`` and the classical fitters.

Every fitting run (a neural model's optimisation steps, Word2Vec's epochs, Baum-Welch's and
Kalman EM's iterations, an interpolated model's EM) records its curve with :class:`MetricsLog`
in the same columns, so ``seqlab report`` draws every learning curve the same way::

    step,wall_seconds,cpu_seconds,train_loss,valid_metric,lr

``wall_seconds`` and ``cpu_seconds`` count from the log's creation. ``train_loss`` is the
objective being minimised (for EM: the negative mean log-likelihood per observation), and
``valid_metric`` is whatever the run validates on (perplexity for language models); a column
a run does not have is left empty. This module imports no torch. ``tensorboard_dir`` also
writes the same scalars for TensorBoard (the ``tensorboard`` extra).
"""

from __future__ import annotations

import csv
import math
import time
from pathlib import Path
from typing import Any

from seqlab.exceptions import DataError, SeqlabError

NOW: Any = object()
"""Default of the clock arguments of :meth:`MetricsLog.write`: the time since the log was created."""

COLUMNS = ("step", "wall_seconds", "cpu_seconds", "train_loss", "valid_metric", "lr")
FILENAME = "metrics.csv"


class MetricsLog:
    """Append rows of a training curve to a CSV file (and optionally TensorBoard).

    Parameters
    ----------
    path : path or None
        CSV file to write; a directory means ``DIR/metrics.csv``. ``None`` keeps the rows in
        memory only (:attr:`rows`), so a fitter can always log and the caller decides where.
    tensorboard_dir : path, optional
        Also write the scalars as TensorBoard events (needs the ``tensorboard`` package).
    append : bool, default=False
        Continue an existing file (a resumed run) instead of starting a new one.

    Examples
    --------
    >>> log = MetricsLog(None)
    >>> log.write(step=1, train_loss=2.5)
    >>> log.rows[0]["step"], log.rows[0]["train_loss"], log.rows[0]["valid_metric"]
    (1, 2.5, None)
    """

    def __init__(self, path: str | Path | None = None, *, tensorboard_dir: str | Path | None = None,
                 append: bool = False) -> None:
        self.path = None if path is None else Path(path)
        if self.path is not None and self.path.is_dir():
            self.path = self.path / FILENAME
        self.rows: list[dict[str, Any]] = []
        self._wall0, self._cpu0 = time.perf_counter(), time.process_time()
        if self.path is not None and not (append and self.path.is_file()):
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with open(self.path, "w", newline="", encoding="utf-8") as fh:
                csv.writer(fh).writerow(COLUMNS)
        self._tb: Any = None
        if tensorboard_dir is not None:
            try:
                from torch.utils.tensorboard import SummaryWriter  # noqa: PLC0415
            except ImportError:
                try:
                    from tensorboardX import SummaryWriter  # type: ignore[no-redef]  # noqa: PLC0415
                except ImportError:
                    raise SeqlabError("--tensorboard needs the tensorboard package: "
                                      "pip install 'seqlab[tensorboard]'.") from None
            self._tb = SummaryWriter(str(tensorboard_dir))

    def write(self, *, step: int, train_loss: float | None = None, valid_metric: float | None = None,
              lr: float | None = None, wall_seconds: float | None = NOW, cpu_seconds: float | None = NOW) -> None:
        """Record one row; the clocks default to the time since the log was created (None: unknown)."""
        wall = time.perf_counter() - self._wall0 if wall_seconds is NOW else wall_seconds
        cpu = time.process_time() - self._cpu0 if cpu_seconds is NOW else cpu_seconds
        row: dict[str, Any] = {"step": int(step), "wall_seconds": _finite(wall), "cpu_seconds": _finite(cpu),
               "train_loss": _finite(train_loss), "valid_metric": _finite(valid_metric), "lr": _finite(lr)}
        self.rows.append(row)
        if self.path is not None:
            with open(self.path, "a", newline="", encoding="utf-8") as fh:
                csv.writer(fh).writerow(["" if row[c] is None else _num(row[c]) for c in COLUMNS])
        if self._tb is not None:
            for name in ("train_loss", "valid_metric", "lr"):  # TensorBoard's x axis: the step
                if row[name] is not None:  # rows hold finite floats or None
                    self._tb.add_scalar(name, row[name], row["step"])
            self._tb.flush()

    def close(self) -> None:
        """Close the TensorBoard writer (the CSV file is closed after every row)."""
        if self._tb is not None:
            self._tb.close()
            self._tb = None


def _finite(value: Any) -> float | None:
    """A float, or None for a value that is missing or not finite (an empty cell, never a bare NaN)."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _num(value: Any) -> str:
    return str(value) if isinstance(value, int) else repr(float(value))


def write_metrics(path: str | Path, rows: list[dict[str, Any]]) -> None:
    """Write ``rows`` (as :attr:`MetricsLog.rows` holds them) to a ``metrics.csv`` file in one go."""
    with open(path, "w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(COLUMNS)
        for row in rows:
            out.writerow(["" if row.get(c) is None else _num(row[c]) for c in COLUMNS])


def read_metrics(path: str | Path) -> list[dict[str, Any]]:
    """Rows of a ``metrics.csv`` (a file or a model directory holding one); empty cells are None.

    Raises :class:`DataError` naming the file when it is missing or has other columns.
    """
    path = Path(path)
    if path.is_dir():
        path = path / FILENAME
    if not path.is_file():
        raise DataError(f"{path} is missing: the run left no training log.")
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        if tuple(reader.fieldnames or ()) != COLUMNS:
            raise DataError(f"{path} has columns {reader.fieldnames}, expected {list(COLUMNS)}.")
        rows = []
        for raw in reader:
            row: dict[str, Any] = {"step": int(raw["step"])}
            for c in COLUMNS[1:]:
                row[c] = float(raw[c]) if raw[c] not in ("", None) else None
            rows.append(row)
    return rows
