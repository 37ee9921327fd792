"""Recurrent cells: Elman, Jordan, LSTM, peephole LSTM and GRU, one time step each.

Symbols used in shapes: ``N`` batch size, ``L`` sequence length, ``C`` input features,
``H`` hidden units (``d_hidden``). Everything is batch-first.

A *cell* computes one time step. Each cell also exposes the two halves the runner
(:class:`seqlab.nn.Recurrent`) uses: ``project(x)`` applies the input weights to all steps at
once (one large matrix product, hoisted out of the time loop), and ``scan(gx, state, mask)``
runs the recurrence over the projected sequence, iterating the time axis with ``unbind(1)``
(issue 5 measured slicing ``x[:, t]`` in the loop 9x slower on CPU).
"""

from __future__ import annotations

import math
from typing import TypeAlias

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from seqlab._validation import check_int
from seqlab.exceptions import InvalidParameterError
from seqlab.nn._peephole import peephole_scan

State: TypeAlias = Tensor | tuple[Tensor, Tensor]
"""A recurrent state: ``h`` or ``(h, c)``; per cell ``(N, H)``, per runner ``(K * D, N, H)``."""

CELLS = ("rnn", "jordan", "lstm", "peephole", "gru")
_ALIASES = {"elman": "rnn"}
_FUSED = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}
_ACTIVATIONS = {"tanh": torch.tanh, "relu": torch.relu}


def _check_activation(nonlinearity: str) -> str:
    if nonlinearity not in _ACTIVATIONS:
        raise InvalidParameterError(
            f"nonlinearity must be one of {sorted(_ACTIVATIONS)}; got {nonlinearity!r}. Use 'tanh' or 'relu'."
        )
    return nonlinearity


def detach_state(state: State | None) -> State | None:
    """Cut the autograd history of a carried state (stateful truncated BPTT).

    Between two windows of a long stream, keep the state's *values* (so the model still sees
    the past) but drop its graph (so backpropagation stops at the window edge)::

        state = None
        for x, y in windows:                      # consecutive (N, bptt) slices of the stream
            out, state = rnn(x, state)
            loss = criterion(head(out), y)
            loss.backward(); opt.step(); opt.zero_grad()
            state = detach_state(state)           # truncate here

    Without the detach, the second ``backward`` fails (the first graph is freed) or, with
    ``retain_graph=True``, backpropagates through every earlier window.
    """
    if isinstance(state, Tensor):
        return state.detach()
    if isinstance(state, tuple):  # (h, c), nested caches
        return tuple(detach_state(s) for s in state)  # type: ignore[return-value]
    if isinstance(state, list):  # per-layer states
        return [detach_state(s) for s in state]
    return state


class _Cell(nn.Module):
    """Shared plumbing of the recurrent cells: weights, initialisation and the eager scan."""

    n_gates: int = 1
    has_cell_state: bool = False

    def __init__(self, input_size: int, d_hidden: int, *, bias: bool = True) -> None:
        super().__init__()
        self.input_size = check_int(input_size, f"input_size of {type(self).__name__}", low=1)
        self.d_hidden = check_int(d_hidden, f"d_hidden of {type(self).__name__}", low=1)
        self.bias = bool(bias)
        g = self.n_gates * self.d_hidden
        self.weight_ih = nn.Parameter(torch.empty(g, self.input_size))  # (G*H, C)
        self.weight_hh = nn.Parameter(torch.empty(g, self.d_hidden))  # (G*H, H)
        self.bias_ih = nn.Parameter(torch.empty(g)) if bias else None
        self.bias_hh = nn.Parameter(torch.empty(g)) if bias else None

    def reset_parameters(self) -> None:
        """Uniform(-1/sqrt(H), 1/sqrt(H)) for every weight, as torch's recurrent layers do."""
        bound = 1.0 / math.sqrt(self.d_hidden)
        for p in self.parameters():
            nn.init.uniform_(p, -bound, bound)

    def init_state(self, n: int, like: Tensor) -> State:
        """Zero state for a batch of ``n`` rows, on ``like``'s device and dtype."""
        h = like.new_zeros(n, self.d_hidden)
        return (h, like.new_zeros(n, self.d_hidden)) if self.has_cell_state else h

    def project(self, x: Tensor) -> Tensor:
        """Input projection for every step at once: ``(N, L, C) -> (N, L, G*H)``."""
        return F.linear(x, self.weight_ih, self._projection_bias())

    def _projection_bias(self) -> Tensor | None:
        return self.bias_ih

    def _merged_bias(self) -> Tensor | None:
        """``b_ih + b_hh``: for cells whose recurrent bias adds straight to the input's, fold both in."""
        if self.bias_ih is None or self.bias_hh is None:
            return None
        return self.bias_ih + self.bias_hh

    def step(self, gx_t: Tensor, state: State) -> tuple[Tensor, State]:
        """One step on a projected input ``gx_t`` of shape (N, G*H); returns (output, state)."""
        raise NotImplementedError

    def forward(self, x_t: Tensor, state: State | None = None) -> tuple[Tensor, State]:
        """One time step: ``x_t`` (N, C) and a state (zeros if None) -> (output (N, H), state)."""
        if state is None:
            state = self.init_state(x_t.size(0), x_t)
        return self.step(self.project(x_t), state)

    def run(self, x: Tensor, state: State, mask: Tensor | None = None) -> tuple[Tensor, State]:
        """Project ``x`` (N, L, C) and run the recurrence: ``scan(project(x), state, mask)``."""
        return self.scan(self.project(x), state, mask)

    def scan(self, gx: Tensor, state: State, mask: Tensor | None = None) -> tuple[Tensor, State]:
        """Run the recurrence over projected inputs ``gx`` (N, L, G*H).

        ``mask`` (N, L, 1), 1.0 at real steps and 0.0 at right padding: padded steps keep the
        state and output zeros. Returns (outputs (N, L, H), final state).
        """
        outs = []
        masks = mask.unbind(1) if mask is not None else None
        for t, g_t in enumerate(gx.unbind(1)):  # g_t: (N, G*H)
            out, new = self.step(g_t, state)
            if masks is not None:
                m = masks[t]  # (N, 1)
                out = out * m
                new = _blend(new, state, m)
            outs.append(out)
            state = new
        return torch.stack(outs, 1), state  # (N, L, H)


def _blend(new: State, old: State, m: Tensor) -> State:
    """``m * new + (1 - m) * old`` for a state (tensor or (h, c) pair)."""
    if isinstance(new, tuple):
        assert isinstance(old, tuple)
        return (torch.lerp(old[0], new[0], m), torch.lerp(old[1], new[1], m))
    assert isinstance(old, Tensor)
    return torch.lerp(old, new, m)


class ElmanCell(_Cell):
    r"""Elman (simple) recurrent cell: :math:`h_t = \sigma(W_{ih} x_t + b_{ih} + W_{hh} h_{t-1} + b_{hh})`.

    Parameters
    ----------
    input_size : int
        Features per input step ``C`` (torch ``input_size``).
    d_hidden : int
        Hidden units ``H`` (torch ``hidden_size``).
    nonlinearity : {"tanh", "relu"}, default="tanh"
    bias : bool, default=True

    Notes
    -----
    Same weights and layout as ``torch.nn.RNNCell`` (``weight_ih`` (H, C), ``weight_hh`` (H, H)).

    ======  ==============
    input   ``(N, C)``
    state   ``(N, H)``
    output  ``(N, H)`` (equal to the new state)
    ======  ==============

    Plain-Python equivalent over a sequence::

        h = zeros(N, H)
        for t in range(L):
            h = tanh(x[:, t] @ W_ih.T + b_ih + h @ W_hh.T + b_hh)
    """

    def __init__(self, input_size: int, d_hidden: int, *, nonlinearity: str = "tanh", bias: bool = True) -> None:
        super().__init__(input_size, d_hidden, bias=bias)
        self.nonlinearity = _check_activation(nonlinearity)
        self._act = _ACTIVATIONS[nonlinearity]
        self.reset_parameters()

    def _projection_bias(self) -> Tensor | None:
        return self._merged_bias()

    def step(self, gx_t: Tensor, state: State) -> tuple[Tensor, State]:
        assert isinstance(state, Tensor)
        h = self._act(torch.addmm(gx_t, state, self.weight_hh.t()))  # (N, H)
        return h, h


class JordanCell(_Cell):
    r"""Jordan recurrent cell: the previous *output* ``y_{t-1}``, not the hidden layer, is fed back.

    .. math::
        h_t = \sigma_h(W_{ih} x_t + b_{ih} + W_{hh} y_{t-1} + b_{hh}), \qquad
        y_t = \tanh(W_{out} h_t + b_{out})

    Parameters
    ----------
    input_size : int
        Features per input step ``C``.
    d_hidden : int
        Hidden units ``H``; the output ``y`` has ``H`` units too, so cells stack.
    nonlinearity : {"tanh", "relu"}, default="tanh"
        :math:`\sigma_h`; the output activation is ``tanh`` (bounded feedback).
    bias : bool, default=True

    Notes
    -----
    ======  ========================================
    input   ``(N, C)``
    state   ``(N, H)``: the previous output ``y``
    output  ``(N, H)``: ``y_t`` (equal to the new state)
    ======  ========================================

    Plain-Python equivalent over a sequence (Jordan 1997; document 003)::

        y = zeros(N, H)
        for t in range(L):
            h = tanh(x[:, t] @ W_ih.T + b_ih + y @ W_hh.T + b_hh)
            y = tanh(h @ W_out.T + b_out)
    """

    def __init__(self, input_size: int, d_hidden: int, *, nonlinearity: str = "tanh", bias: bool = True) -> None:
        super().__init__(input_size, d_hidden, bias=bias)
        self.nonlinearity = _check_activation(nonlinearity)
        self._act = _ACTIVATIONS[nonlinearity]
        self.weight_out = nn.Parameter(torch.empty(self.d_hidden, self.d_hidden))  # (H, H)
        self.bias_out = nn.Parameter(torch.empty(self.d_hidden)) if bias else None
        self.reset_parameters()

    def _projection_bias(self) -> Tensor | None:
        return self._merged_bias()

    def step(self, gx_t: Tensor, state: State) -> tuple[Tensor, State]:
        assert isinstance(state, Tensor)
        h = self._act(torch.addmm(gx_t, state, self.weight_hh.t()))  # (N, H)
        z = h @ self.weight_out.t() if self.bias_out is None else torch.addmm(self.bias_out, h, self.weight_out.t())
        y = torch.tanh(z)  # (N, H)
        return y, y


class LSTMCell(_Cell):
    r"""Long short-term memory cell (Hochreiter & Schmidhuber 1997), torch's gate layout.

    .. math::
        i, f, g, o = \sigma(a_i), \sigma(a_f), \tanh(a_g), \sigma(a_o), \quad
        a = W_{ih} x_t + b_{ih} + W_{hh} h_{t-1} + b_{hh}; \quad
        c_t = f c_{t-1} + i g, \quad h_t = o \tanh(c_t)

    Parameters
    ----------
    input_size : int
        Features per input step ``C`` (torch ``input_size``).
    d_hidden : int
        Hidden units ``H`` (torch ``hidden_size``).
    bias : bool, default=True

    Notes
    -----
    Same weights as ``torch.nn.LSTMCell``: ``weight_ih`` (4H, C), ``weight_hh`` (4H, H), gates
    stacked in the order ``i, f, g, o``. The runner uses the fused ``nn.LSTM`` for this cell;
    the cell itself is the readable reference (and the parity tests compare the two).

    ======  ======================
    input   ``(N, C)``
    state   ``(h, c)``, each ``(N, H)``
    output  ``(N, H)`` (equal to ``h``)
    ======  ======================

    Plain-Python equivalent over a sequence::

        h, c = zeros(N, H), zeros(N, H)
        for t in range(L):
            i, f, g, o = (x[:, t] @ W_ih.T + b_ih + h @ W_hh.T + b_hh).chunk(4, 1)
            c = sigmoid(f) * c + sigmoid(i) * tanh(g)
            h = sigmoid(o) * tanh(c)
    """

    n_gates = 4
    has_cell_state = True

    def __init__(self, input_size: int, d_hidden: int, *, bias: bool = True) -> None:
        super().__init__(input_size, d_hidden, bias=bias)
        self.reset_parameters()

    def _projection_bias(self) -> Tensor | None:
        return self._merged_bias()

    def step(self, gx_t: Tensor, state: State) -> tuple[Tensor, State]:
        h, c = state
        i, f, g, o = torch.addmm(gx_t, h, self.weight_hh.t()).chunk(4, 1)  # each (N, H)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        h = torch.sigmoid(o) * torch.tanh(c)
        return h, (h, c)


class PeepholeLSTMCell(LSTMCell):
    r"""LSTM with peephole connections (Gers & Schmidhuber 2000): the gates look at the cell.

    .. math::
        i = \sigma(a_i + p_i \odot c_{t-1}), \quad f = \sigma(a_f + p_f \odot c_{t-1}), \quad
        g = \tanh(a_g), \quad c_t = f c_{t-1} + i g, \quad
        o = \sigma(a_o + p_o \odot c_t), \quad h_t = o \tanh(c_t)

    with :math:`a` as in :class:`LSTMCell` and diagonal peephole weights ``weight_peephole``
    of shape (3, H) holding :math:`p_i, p_f, p_o`. The output gate peeks at the *new* cell.

    Parameters
    ----------
    input_size : int
        Features per input step ``C``.
    d_hidden : int
        Hidden units ``H``.
    bias : bool, default=True

    Notes
    -----
    Shapes as :class:`LSTMCell`. ``run`` (what :class:`Recurrent` calls) projects the input and
    runs a hand-written BPTT (:mod:`seqlab.nn._peephole`) instead of recording an autograd graph
    per step: on CPU that is what brings it close to ``nn.LSTM``'s training speed (about 0.84x in
    ``bench/neural_cells.py``; the recorded autograd loop was about 0.55x). ``step`` is the
    readable version, and the inherited ``scan`` the generic loop over it.

    Plain-Python equivalent over a sequence::

        h, c = zeros(N, H), zeros(N, H)
        for t in range(L):
            a_i, a_f, a_g, a_o = (x[:, t] @ W_ih.T + b_ih + h @ W_hh.T + b_hh).chunk(4, 1)
            i, f = sigmoid(a_i + p_i * c), sigmoid(a_f + p_f * c)
            c = f * c + i * tanh(a_g)
            h = sigmoid(a_o + p_o * c) * tanh(c)
    """

    def __init__(self, input_size: int, d_hidden: int, *, bias: bool = True) -> None:
        super().__init__(input_size, d_hidden, bias=bias)
        self.weight_peephole = nn.Parameter(torch.empty(3, self.d_hidden))  # (3, H): p_i, p_f, p_o
        self.reset_parameters()

    def step(self, gx_t: Tensor, state: State) -> tuple[Tensor, State]:
        h, c = state
        a_i, a_f, a_g, a_o = torch.addmm(gx_t, h, self.weight_hh.t()).chunk(4, 1)  # each (N, H)
        p_i, p_f, p_o = self.weight_peephole.unbind(0)
        i = torch.sigmoid(a_i + p_i * c)
        f = torch.sigmoid(a_f + p_f * c)
        c = f * c + i * torch.tanh(a_g)
        h = torch.sigmoid(a_o + p_o * c) * torch.tanh(c)
        return h, (h, c)

    def run(self, x: Tensor, state: State, mask: Tensor | None = None) -> tuple[Tensor, State]:
        h0, c0 = state
        out, h, c = peephole_scan(x, self.weight_ih, self._projection_bias(), self.weight_hh, self.weight_peephole,
                                  h0, c0, mask)
        return out, (h, c)


class GRUCell(_Cell):
    r"""Gated recurrent unit (Cho et al. 2014), torch's gate layout ``r, z, n``.

    .. math::
        r = \sigma(W_{ir} x + b_{ir} + W_{hr} h + b_{hr}), \quad
        z = \sigma(W_{iz} x + b_{iz} + W_{hz} h + b_{hz}), \\
        n = \tanh(W_{in} x + b_{in} + r \odot (W_{hn} h + b_{hn})), \quad
        h_t = (1 - z) \odot n + z \odot h_{t-1}

    Parameters
    ----------
    input_size : int
        Features per input step ``C`` (torch ``input_size``).
    d_hidden : int
        Hidden units ``H`` (torch ``hidden_size``).
    bias : bool, default=True

    Notes
    -----
    Same weights as ``torch.nn.GRUCell``. Shapes: input ``(N, C)``, state and output ``(N, H)``.

    Plain-Python equivalent over a sequence::

        h = zeros(N, H)
        for t in range(L):
            xr, xz, xn = (x[:, t] @ W_ih.T + b_ih).chunk(3, 1)
            hr, hz, hn = (h @ W_hh.T + b_hh).chunk(3, 1)
            r, z = sigmoid(xr + hr), sigmoid(xz + hz)
            h = (1 - z) * tanh(xn + r * hn) + z * h
    """

    n_gates = 3

    def __init__(self, input_size: int, d_hidden: int, *, bias: bool = True) -> None:
        super().__init__(input_size, d_hidden, bias=bias)
        self.reset_parameters()

    def step(self, gx_t: Tensor, state: State) -> tuple[Tensor, State]:
        assert isinstance(state, Tensor)
        gh = F.linear(state, self.weight_hh, self.bias_hh)  # (N, 3H)
        x_r, x_z, x_n = gx_t.chunk(3, 1)
        h_r, h_z, h_n = gh.chunk(3, 1)
        r = torch.sigmoid(x_r + h_r)
        z = torch.sigmoid(x_z + h_z)
        n = torch.tanh(x_n + r * h_n)
        h = torch.lerp(n, state, z)  # (1 - z) * n + z * h
        return h, h


def make_cell(cell: str, input_size: int, d_hidden: int, *, nonlinearity: str = "tanh", bias: bool = True) -> _Cell:
    """Build one cell by name: ``"rnn"`` (alias ``"elman"``), ``"jordan"``, ``"lstm"``, ``"peephole"``, ``"gru"``."""
    name = _check_cell(cell)
    if name == "rnn":
        return ElmanCell(input_size, d_hidden, nonlinearity=nonlinearity, bias=bias)
    if name == "jordan":
        return JordanCell(input_size, d_hidden, nonlinearity=nonlinearity, bias=bias)
    classes: dict[str, type[_Cell]] = {"lstm": LSTMCell, "peephole": PeepholeLSTMCell, "gru": GRUCell}
    return classes[name](input_size, d_hidden, bias=bias)


def _check_cell(cell: str) -> str:
    name = _ALIASES.get(cell, cell) if isinstance(cell, str) else cell
    if name not in CELLS:
        raise InvalidParameterError(f"cell must be one of {list(CELLS)} (or 'elman'); got {cell!r}.")
    return name
