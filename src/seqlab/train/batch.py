"""Batches on the training device: the numpy :class:`~seqlab.data.batch.Batch` as torch tensors."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import Tensor

from seqlab.data.batch import Batch, Batches

_ARRAYS = ("inputs", "targets", "lengths", "source", "source_lengths", "weights")


@dataclass(frozen=True)
class TensorBatch:
    """The fields of a :class:`~seqlab.data.batch.Batch` as tensors on one device (absent fields stay None)."""

    inputs: Tensor
    targets: Tensor
    lengths: Tensor | None = None
    source: Tensor | None = None
    source_lengths: Tensor | None = None
    weights: Tensor | None = None
    continues: bool = False

    @property
    def mask(self) -> Tensor | None:
        """``(N, L)`` bool, True on real steps of ``inputs`` (None when the batch has no lengths)."""
        if self.lengths is None:
            return None
        steps = torch.arange(self.inputs.size(1), device=self.inputs.device)  # (L,)
        return steps[None, :] < self.lengths[:, None]  # (N, L)

    @property
    def source_mask(self) -> Tensor | None:
        """``(N, S)`` bool, True on real steps of ``source``."""
        if self.source is None or self.source_lengths is None:
            return None
        steps = torch.arange(self.source.size(1), device=self.source.device)
        return steps[None, :] < self.source_lengths[:, None]

    @property
    def size(self) -> int:
        """Number of examples (rows) in the batch."""
        return int(self.inputs.size(0))


def to_device(batch: Any, device: torch.device) -> TensorBatch:
    """Any batch object with the :class:`Batch` attributes (missing ones are None) as a :class:`TensorBatch`."""
    fields: dict[str, Any] = {}
    for name in _ARRAYS:
        value = getattr(batch, name, None)
        fields[name] = None if value is None else torch.from_numpy(np.ascontiguousarray(value)).to(device)
    return TensorBatch(**fields, continues=bool(getattr(batch, "continues", False)))


__all__ = ["Batch", "Batches", "TensorBatch", "to_device"]
