"""The ``Recurrent`` runner: stacked, bidirectional, padded-batch recurrence over any cell.

Symbols used in shapes: ``N`` batch size, ``L`` sequence length, ``C`` input features,
``H`` hidden units (``d_hidden``), ``D`` directions (2 if bidirectional else 1),
``K`` layers (``n_layers``). Everything is batch-first. The cells live in
:mod:`seqlab.nn.cells`; where a cell equals a torch built-in the runner uses the fused module.
"""

from __future__ import annotations

from typing import cast

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from seqlab._validation import check_int
from seqlab.exceptions import DataError, InvalidParameterError
from seqlab.nn.cells import (
    _FUSED,
    State,
    _Cell,
    _check_activation,
    _check_cell,
    make_cell,
)


class Recurrent(nn.Module):
    r"""Stacked, optionally bidirectional recurrent layer over batch-first sequences.

    Parameters
    ----------
    input_size : int
        Features per input step ``C`` (torch ``input_size``).
    d_hidden : int
        Hidden units ``H`` per direction (torch ``hidden_size``).
    cell : {"lstm", "gru", "rnn", "peephole", "jordan"}, default="lstm"
        ``"rnn"`` (alias ``"elman"``) is the Elman cell.
    n_layers : int, default=1
        Stacked layers ``K`` (torch ``num_layers``); layer ``k + 1`` reads layer ``k``'s outputs.
    bidirectional : bool, default=False
        Run a second stack of cells right to left and concatenate (torch ``bidirectional``).
    dropout : float, default=0.0
        Dropout on the outputs of every layer but the last, in training (torch ``dropout``).
    nonlinearity : {"tanh", "relu"}, default="tanh"
        Activation of the Elman and Jordan cells (torch ``nonlinearity``); ignored by gated cells.
    bias : bool, default=True
    return_sequences : bool, default=True
        Keras' flag (document 001): ``True`` returns every step's output ``(N, L, D*H)``,
        ``False`` only the last one ``(N, D*H)`` -- the forward direction at each row's last
        real step and the backward direction at step 0. (Keras' ``return_state`` is always on:
        ``forward`` returns ``(output, state)``; write ``out, _ = rnn(x)`` to drop the state.)
    implementation : {"auto", "fused", "loop"}, default="auto"
        ``"auto"`` uses torch's fused ``nn.LSTM`` / ``nn.GRU`` / ``nn.RNN`` where the cell is a
        built-in and the eager loop otherwise; ``"loop"`` forces the seqlab cells (the readable
        reference, also the one that matches a custom cell's equations step by step).

    Notes
    -----
    ============  =====================================================
    ``x``         ``(N, L, C)``
    ``state``     ``h`` or ``(h, c)`` for LSTM cells, each ``(K*D, N, H)``; ``None`` = zeros
    ``lengths``   ``(N,)`` ints in ``[1, L]``; or ``mask`` ``(N, L)`` bool, True at real steps
    ``output``    ``(N, L, D*H)`` (zeros at padding) or ``(N, D*H)``
    ``state``     final state, same layout as the input state, taken at each row's last real step
    ============  =====================================================

    State index ``k * D + d`` is layer ``k``, direction ``d`` (torch's layout), so a state from
    ``torch.nn.LSTM`` can be passed in and vice versa. For stateful truncated BPTT pass the
    previous window's final state through :func:`detach_state`.

    Plain-Python equivalent (one direction)::

        inp = x
        for k in range(n_layers):
            state_k = state[k] if state is not None else zeros
            outs = []
            for t in range(L):
                out_t, state_k = cells[k](inp[:, t], state_k)   # frozen at padded steps
                outs.append(out_t)
            inp = dropout(stack(outs, 1)) if k < n_layers - 1 else stack(outs, 1)
        output = inp

    The seqlab loop hoists ``inp @ W_ih.T`` out of the time loop (one matrix product per layer)
    and iterates ``unbind(1)``; the peephole cell also back-propagates by hand.

    Examples
    --------
    >>> rnn = Recurrent(8, 16, cell="peephole", n_layers=2, bidirectional=True)
    >>> out, (h, c) = rnn(torch.zeros(3, 5, 8), lengths=torch.tensor([5, 2, 4]))
    >>> tuple(out.shape), tuple(h.shape)
    ((3, 5, 32), (4, 3, 16))
    """

    def __init__(
        self,
        input_size: int,
        d_hidden: int,
        *,
        cell: str = "lstm",
        n_layers: int = 1,
        bidirectional: bool = False,
        dropout: float = 0.0,
        nonlinearity: str = "tanh",
        bias: bool = True,
        return_sequences: bool = True,
        implementation: str = "auto",
    ) -> None:
        super().__init__()
        self.cell = _check_cell(cell)
        self.input_size = check_int(input_size, "input_size of Recurrent", low=1)
        self.d_hidden = check_int(d_hidden, "d_hidden of Recurrent", low=1)
        self.n_layers = check_int(n_layers, "n_layers of Recurrent", low=1)
        if not isinstance(dropout, int | float) or isinstance(dropout, bool) or not 0.0 <= dropout < 1.0:
            raise InvalidParameterError(f"dropout of Recurrent must be a float in [0, 1); got {dropout!r}.")
        if implementation not in ("auto", "fused", "loop"):
            raise InvalidParameterError(
                f"implementation must be 'auto', 'fused' or 'loop'; got {implementation!r}."
            )
        if implementation == "fused" and self.cell not in _FUSED:
            raise InvalidParameterError(
                f"cell {self.cell!r} has no fused torch built-in (only {sorted(_FUSED)} do); "
                "use implementation='auto' or 'loop'."
            )
        self.nonlinearity = _check_activation(nonlinearity)
        self.bidirectional = bool(bidirectional)
        self.dropout = float(dropout)
        self.return_sequences = bool(return_sequences)
        self.n_directions = 2 if self.bidirectional else 1
        self.fused = self.cell in _FUSED and implementation != "loop"
        self.rnn: nn.RNNBase | None = None
        self.cells: nn.ModuleList | None = None
        if self.fused:
            kwargs: dict[str, object] = {"num_layers": self.n_layers, "bias": bias, "batch_first": True,
                                         "dropout": self.dropout if self.n_layers > 1 else 0.0,
                                         "bidirectional": self.bidirectional}
            if self.cell == "rnn":
                kwargs["nonlinearity"] = self.nonlinearity
            self.rnn = _FUSED[self.cell](self.input_size, self.d_hidden, **kwargs)
        else:
            sizes = [self.input_size] + [self.n_directions * self.d_hidden] * (self.n_layers - 1)
            self.cells = nn.ModuleList(
                make_cell(self.cell, sizes[k], self.d_hidden, nonlinearity=self.nonlinearity, bias=bias)
                for k in range(self.n_layers)
                for _ in range(self.n_directions)
            )

    @property
    def output_size(self) -> int:
        """Features per output step: ``D * H``."""
        return self.n_directions * self.d_hidden

    @property
    def has_cell_state(self) -> bool:
        """True when the state is an ``(h, c)`` pair (LSTM and peephole cells)."""
        return self.cell in ("lstm", "peephole")

    def extra_repr(self) -> str:
        return (f"{self.input_size}, {self.d_hidden}, cell={self.cell!r}, n_layers={self.n_layers}, "
                f"bidirectional={self.bidirectional}, dropout={self.dropout}, fused={self.fused}")

    def forward(
        self,
        x: Tensor,
        state: State | None = None,
        *,
        lengths: Tensor | list[int] | None = None,
        mask: Tensor | None = None,
    ) -> tuple[Tensor, State]:
        """Run the stack over ``x`` (N, L, C); returns ``(output, final_state)`` (shapes above)."""
        self._check_input(x)
        full = self._resolve_lengths(x, lengths, mask)  # None when no row is padded
        self._check_state(state, x.size(0))
        if self.fused:
            out, final = self._forward_fused(x, state, full)
        else:
            out, final = self._forward_loop(x, state, full)
        if not self.return_sequences:
            h = final[0] if isinstance(final, tuple) else final  # (K*D, N, H)
            out = h[-self.n_directions :].transpose(0, 1).reshape(x.size(0), self.output_size)  # (N, D*H)
        return out, final

    def _forward_fused(self, x: Tensor, state: State | None, lengths: Tensor | None) -> tuple[Tensor, State]:
        assert self.rnn is not None
        if lengths is None:
            out, final = self.rnn(x, state)  # (N, L, D*H)
            return out, final
        packed = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
        out_packed, final = self.rnn(packed, state)
        out, _ = pad_packed_sequence(out_packed, batch_first=True, total_length=x.size(1))  # (N, L, D*H)
        return out, final

    def _forward_loop(self, x: Tensor, state: State | None, lengths: Tensor | None) -> tuple[Tensor, State]:
        assert self.cells is not None
        n, length = x.shape[:2]
        mask = rev = None
        if lengths is not None:
            steps = torch.arange(length, device=x.device)  # (L,)
            valid = steps[None, :] < lengths[:, None]  # (N, L)
            mask = valid.unsqueeze(-1).to(x.dtype)  # (N, L, 1)
            rev = torch.where(valid, lengths[:, None] - 1 - steps[None, :], steps[None, :])  # (N, L)
        starts = self._split_state(state, n, x)
        finals: list[State] = []
        inp = x
        for k in range(self.n_layers):
            outs = []
            for d in range(self.n_directions):
                cell = cast(_Cell, self.cells[k * self.n_directions + d])
                seq = inp if d == 0 else _reverse(inp, rev)
                out, final = cell.run(seq, starts[k * self.n_directions + d], mask)  # (N, L, H)
                outs.append(out if d == 0 else _reverse(out, rev))
                finals.append(final)
            inp = outs[0] if len(outs) == 1 else torch.cat(outs, -1)  # (N, L, D*H)
            if k < self.n_layers - 1 and self.dropout > 0:
                inp = F.dropout(inp, self.dropout, self.training)
        return inp, _stack_states(finals)

    def _split_state(self, state: State | None, n: int, like: Tensor) -> list[State]:
        assert self.cells is not None
        if state is None:
            return [cast(_Cell, cell).init_state(n, like) for cell in self.cells]
        if isinstance(state, tuple):
            return list(zip(state[0].unbind(0), state[1].unbind(0), strict=True))
        return list(state.unbind(0))

    def _check_input(self, x: Tensor) -> None:
        if not isinstance(x, Tensor) or x.dim() != 3 or x.size(-1) != self.input_size:
            shape = tuple(x.shape) if isinstance(x, Tensor) else type(x).__name__
            raise DataError(f"Recurrent expects input of shape (N, L, {self.input_size}); got {shape}. "
                            "Batch-first: (batch, time, features).")
        if x.size(0) == 0 or x.size(1) == 0:
            raise DataError(f"Recurrent needs a non-empty batch; got input of shape {tuple(x.shape)}.")

    def _check_state(self, state: State | None, n: int) -> None:
        if state is None:
            return
        want = (self.n_layers * self.n_directions, n, self.d_hidden)
        parts = state if isinstance(state, tuple) else (state,)
        if len(parts) != (2 if self.has_cell_state else 1) or any(tuple(p.shape) != want for p in parts):
            kind = "an (h, c) pair" if self.has_cell_state else "one tensor h"
            got = [tuple(p.shape) for p in parts]
            raise DataError(f"Recurrent(cell={self.cell!r}) state must be {kind} of shape {want} "
                            f"(n_layers * directions, N, d_hidden); got {got}.")

    @staticmethod
    def _resolve_lengths(x: Tensor, lengths: Tensor | list[int] | None, mask: Tensor | None) -> Tensor | None:
        n, length = x.shape[:2]
        if lengths is not None and mask is not None:
            raise InvalidParameterError("Pass either lengths or mask to Recurrent, not both.")
        if mask is not None:
            if tuple(mask.shape) != (n, length):
                raise DataError(f"mask must have shape (N, L) = {(n, length)}; got {tuple(mask.shape)}.")
            mask = mask.to(device=x.device, dtype=torch.bool)
            lengths = mask.sum(1)
            prefix = torch.arange(length, device=x.device)[None, :] < lengths[:, None]
            if not torch.equal(prefix, mask):
                raise DataError("mask must be True on a prefix of each row (right padding); got a mask with gaps "
                                "or left padding. Right-pad the batch, or pass lengths.")
        if lengths is None:
            return None
        lengths = torch.as_tensor(lengths, device=x.device).long()
        if tuple(lengths.shape) != (n,):
            raise DataError(f"lengths must have shape (N,) = ({n},); got {tuple(lengths.shape)}.")
        low, high = int(lengths.min()), int(lengths.max())
        if low < 1 or high > length:
            raise DataError(f"lengths must lie in [1, L] = [1, {length}]; got values from {low} to {high}. "
                            "Drop empty sequences from the batch.")
        return None if low == length else lengths


def _reverse(t: Tensor, rev: Tensor | None) -> Tensor:
    """Reverse the time axis of (N, L, F) within each row's real length (whole axis if ``rev`` is None)."""
    if rev is None:
        return t.flip(1)
    return t.gather(1, rev.unsqueeze(-1).expand_as(t))


def _stack_states(finals: list[State]) -> State:
    """Per-cell final states -> runner layout ``(K*D, N, H)`` (or a pair of them)."""
    if isinstance(finals[0], tuple):
        hs, cs = zip(*finals, strict=True)
        return (torch.stack(hs), torch.stack(cs))
    return torch.stack(finals)  # type: ignore[arg-type]
