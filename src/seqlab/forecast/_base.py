"""What every seqlab forecaster shares: the observed history and the ``update`` path.

The backtest (written once, :func:`seqlab.forecast.backtest`) talks to a forecaster through
three calls only:

- ``fit(series)``: estimate parameters on a training window (forgetting any earlier fit);
- ``update(new_values, refit=..., forget=k)``: append newly observed values to the history,
  drop the ``k`` oldest ones from the training window (sliding windows), and, if ``refit`` is
  true, re-estimate the parameters on the resulting window. ``refit=False`` keeps the
  parameters and only conditions later forecasts on the new values;
- ``predict(horizon)``: forecast the values after the end of the history.

``update(new, refit=True, forget=k)`` must give the same forecasts as ``fit`` on the new window
(``ARForecaster`` does it with updated normal equations instead of a refit from scratch; the
others refit). Forecasters that only implement ``fit``/``predict`` still work in the backtest,
which then refits them from scratch on every fold.
"""

from __future__ import annotations

import copy
from typing import Any, Self

import numpy as np

from seqlab.base import BaseModel
from seqlab.exceptions import DataError
from seqlab.forecast._data import as_values


class History:
    """A growable float64 buffer holding the current window of a series (amortised O(1) appends)."""

    def __init__(self, values: np.ndarray) -> None:
        values = np.asarray(values, dtype=np.float64)
        self._buf = np.array(values, copy=True)
        self._start, self._stop = 0, len(values)

    @property
    def values(self) -> np.ndarray:
        """The current window, oldest first (a view: do not modify)."""
        return self._buf[self._start : self._stop]

    def __len__(self) -> int:
        return self._stop - self._start

    def extend(self, new: np.ndarray, forget: int = 0) -> None:
        """Append ``new`` values and drop the ``forget`` oldest ones (at least one value stays)."""
        n = len(new)
        if self._stop + n > len(self._buf):
            keep = self.values
            cap = max(2 * (len(keep) + n), 16)
            buf = np.empty((cap, *self._buf.shape[1:]))
            buf[: len(keep)] = keep
            self._buf, self._start, self._stop = buf, 0, len(keep)
        self._buf[self._stop : self._stop + n] = new
        self._stop += n
        self.drop(forget)

    def drop(self, k: int) -> None:
        """Drop the ``k`` oldest values (at least one value stays)."""
        self._start += max(0, min(int(k), len(self) - 1))


class BaseForecaster(BaseModel):
    """Base class of seqlab forecasters: history bookkeeping, ``update``, ``score``.

    Subclasses implement ``fit``, ``predict`` and ``_refit()`` (re-estimate on ``history_``);
    they call ``self._set_history(values)`` in ``fit``.
    """

    _history: History
    _input_kind = "series"  # scikit-learn tags: one array of shape (n_steps,) or (n_steps, n_features)

    def fit(self, series: Any) -> Self:
        """Estimate parameters on ``series`` (subclasses)."""
        raise NotImplementedError

    def predict(self, horizon: int = 1) -> np.ndarray:
        """Forecast the ``horizon`` values after the history (subclasses)."""
        raise NotImplementedError

    def _is_fitted(self) -> bool:  # cheaper than scanning vars(): called on every backtest step
        return "n_features_in_" in self.__dict__

    # ------------------------------------------------------------------ history
    def _set_history(self, values: np.ndarray) -> None:
        self._history = History(values)
        self.n_features_in_ = 1 if values.ndim == 1 else int(values.shape[1])

    @property
    def history_(self) -> np.ndarray:
        """The values the forecaster conditions on: the training window plus later updates."""
        self._check_fitted()
        return self._history.values

    def _check_new(self, new_values: Any) -> np.ndarray:
        new = as_values(new_values, name="new_values", min_length=0)
        ndim = 1 if self.n_features_in_ == 1 and new.ndim == 1 else 2
        if ndim == 2:
            new = new.reshape(len(new), -1)
            if new.shape[1] != self.n_features_in_ or self._history.values.ndim != 2:
                raise DataError(
                    f"new_values must have {self.n_features_in_} feature(s) like the fitted series, "
                    f"got shape {new.shape}."
                )
        return new

    # ------------------------------------------------------------------ the backtest path
    def update(self, new_values: Any, *, refit: bool = True, forget: int = 0) -> Self:
        """Append observed values; optionally drop old ones and re-estimate (see module docs).

        Parameters
        ----------
        new_values : array-like of shape (k,) or (k, n_features)
            Values observed after the current history, oldest first.
        refit : bool, default=True
            Re-estimate the parameters on the new training window; False only conditions
            later forecasts on the new values.
        forget : int, default=0
            Drop this many of the oldest values from the training window (sliding windows).
        """
        self._check_fitted()
        new = self._check_new(new_values)
        self._history.extend(new, forget)
        if refit:
            self._refit()
        return self

    def _refit(self) -> None:
        self.fit(np.array(self._history.values))

    def score(self, series: Any) -> float:
        """Negative MAE of one-step forecasts over ``series``, read as the continuation of the history.

        Parameters stay fixed; each forecast conditions on the true values before it.
        Higher is better (STYLE.md B2).
        """
        self._check_fitted()
        values = self._check_new(series)
        if len(values) == 0:
            raise DataError("score needs at least one value to forecast, got an empty series.")
        model = copy.deepcopy(self)
        preds = []
        for value in values:
            preds.append(model.predict(1)[0])
            model.update(value[None] if np.ndim(value) else [value], refit=False)
        return -float(np.mean(np.abs(np.asarray(preds) - values)))
