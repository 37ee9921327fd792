"""Toy registered models shared by the foundation tests (importable: tests/ is on pythonpath)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Self

import numpy as np

from seqlab import io
from seqlab.base import BaseModel


@io.register
@dataclass(frozen=True)
class Shrink:
    """A registered strategy object, saved as {"type": "Shrink", ...}."""

    amount: float = 0.5


@io.register
class MeanModel(BaseModel):
    """Smallest useful estimator: learns a (shrunk) mean vector."""

    _constraints = {"scale": (lambda v: isinstance(v, int | float) and v > 0, "a number > 0")}

    def __init__(self, *, scale: float = 1.0, shrink: Shrink = Shrink()) -> None:
        self.scale, self.shrink = scale, shrink

    def fit(self, x: Any) -> Self:
        self._validate_params()
        self.mean_ = np.asarray(x, dtype=np.float64).mean(axis=0) * self.scale * (1 - self.shrink.amount)
        return self

    def _to_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        return {"summary": {"dims": int(self.mean_.size)}}, {"mean": self.mean_}

    @classmethod
    def _from_state(cls, params: dict[str, Any], state: dict[str, Any], arrays: dict[str, np.ndarray]) -> Self:
        model = cls(**params)
        model.mean_ = arrays["mean"]
        return model
