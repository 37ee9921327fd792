"""DistributedDataParallel plumbing: who am I, how to sum across processes, how to wrap a module.

Launch with ``torchrun --nproc-per-node N -m seqlab lm train ...``: the process group is
created from torchrun's environment (gloo on CPU, NCCL on CUDA). Each process reads its own
rows of every global batch; the loss is normalised by the *global* number of target tokens, so
the averaged gradient equals the gradient of a single process seeing the whole batch.
"""

from __future__ import annotations

import atexit
import os
from dataclasses import dataclass

import torch
import torch.distributed as dist
from torch import Tensor, nn

from seqlab.exceptions import InvalidParameterError


@dataclass(frozen=True)
class DistContext:
    """Rank and world size of this process (``world_size == 1`` when not distributed)."""

    rank: int = 0
    world_size: int = 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    def rows(self, batch_size: int) -> slice | None:
        """The slice of a global batch of ``batch_size`` rows this process reads."""
        if self.world_size == 1:
            return None
        if batch_size % self.world_size:
            raise InvalidParameterError(
                f"batch_size ({batch_size}) must be divisible by the number of processes ({self.world_size}).")
        per = batch_size // self.world_size
        return slice(self.rank * per, (self.rank + 1) * per)

    def all_sum(self, value: Tensor) -> Tensor:
        """Sum of ``value`` over all processes (``value`` itself when not distributed)."""
        if self.world_size > 1:
            value = value.clone()
            dist.all_reduce(value, op=dist.ReduceOp.SUM)
        return value

    def wrap(self, module: nn.Module, device: torch.device) -> nn.Module:
        """``module`` wrapped in DistributedDataParallel when distributed, else unchanged."""
        if self.world_size == 1:
            return module
        ids = [device.index] if device.type == "cuda" else None
        return nn.parallel.DistributedDataParallel(module, device_ids=ids)


def current(device: torch.device) -> DistContext:
    """The distributed context: an existing process group, one from torchrun's env, or none."""
    if not dist.is_available():
        return DistContext()
    if not dist.is_initialized() and int(os.environ.get("WORLD_SIZE", "1")) > 1:
        dist.init_process_group(backend="nccl" if device.type == "cuda" else "gloo")
        atexit.register(_teardown)  # the group seqlab created is destroyed at exit (saves end at a barrier)
    if dist.is_initialized():
        return DistContext(dist.get_rank(), dist.get_world_size())
    return DistContext()


def current_rank_is_main() -> bool:
    """Whether this process writes shared outputs: rank 0 of a process group, or the only process."""
    return not (dist.is_available() and dist.is_initialized()) or dist.get_rank() == 0


def barrier() -> None:
    """Wait until every process gets here (a no-op when not distributed)."""
    if dist.is_available() and dist.is_initialized():
        dist.barrier()


def finish() -> None:
    """Wait for every process, then tear the process group down (a no-op when not distributed).

    Call it after the first process has written its files: with gloo, a process that exits while
    a peer still holds its connection can abort ("terminate called without an active exception").
    """
    if dist.is_available() and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()


def _teardown() -> None:
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()
