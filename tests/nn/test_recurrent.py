"""Recurrent cells and the Recurrent runner: parity with torch's built-ins, padding, state, gradients."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from seqlab.exceptions import DataError, InvalidParameterError
from seqlab.nn import (
    ElmanCell,
    GRUCell,
    JordanCell,
    LSTMCell,
    PeepholeLSTMCell,
    Recurrent,
    detach_state,
)
from seqlab.nn._peephole import peephole_scan
from seqlab.nn.cells import _Cell

ATOL = 1e-5


@pytest.fixture(autouse=True)
def _seed() -> None:
    torch.manual_seed(0)


def _copy_into_torch(ours: Recurrent, ref: nn.RNNBase) -> None:
    """Copy the loop cells' weights into a torch module (torch names weight_ih_l{k}[_reverse])."""
    assert ours.cells is not None
    with torch.no_grad():
        for idx, cell in enumerate(ours.cells):
            k, d = divmod(idx, ours.n_directions)
            sfx = f"l{k}" + ("_reverse" if d else "")
            for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                getattr(ref, f"{name}_{sfx}").copy_(getattr(cell, name))


def _grads(module: nn.Module) -> list[torch.Tensor]:
    return [p.grad.clone() for p in module.parameters()]


TORCH_CELLS = [
    ("lstm", nn.LSTM, {}),
    ("gru", nn.GRU, {}),
    ("rnn", nn.RNN, {"nonlinearity": "tanh"}),
    ("rnn", nn.RNN, {"nonlinearity": "relu"}),
]


@pytest.mark.reference
@pytest.mark.parametrize(("cell", "torch_cls", "kw"), TORCH_CELLS)
@pytest.mark.parametrize("bidirectional", [False, True])
def test_loop_equals_torch_builtin_outputs_and_gradients(cell, torch_cls, kw, bidirectional):
    ours = Recurrent(5, 7, cell=cell, n_layers=2, bidirectional=bidirectional, implementation="loop", **kw)
    ref = torch_cls(5, 7, num_layers=2, bidirectional=bidirectional, batch_first=True, **kw)
    _copy_into_torch(ours, ref)
    x = torch.randn(3, 6, 5)
    x1, x2 = x.clone().requires_grad_(), x.clone().requires_grad_()
    out, state = ours(x1)
    ref_out, ref_state = ref(x2)
    torch.testing.assert_close(out, ref_out, atol=ATOL, rtol=0)
    for a, b in zip(state if isinstance(state, tuple) else (state,),
                    ref_state if isinstance(ref_state, tuple) else (ref_state,), strict=True):
        torch.testing.assert_close(a, b, atol=ATOL, rtol=0)
    weights = torch.randn_like(out)
    (out * weights).sum().backward()
    (ref_out * weights).sum().backward()
    torch.testing.assert_close(x1.grad, x2.grad, atol=ATOL, rtol=0)
    ours_grads = {n: p.grad for n, p in ours.named_parameters()}
    for idx in range(len(ours.cells)):
        k, d = divmod(idx, ours.n_directions)
        sfx = f"l{k}" + ("_reverse" if d else "")
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            torch.testing.assert_close(ours_grads[f"cells.{idx}.{name}"], getattr(ref, f"{name}_{sfx}").grad,
                                       atol=ATOL, rtol=0)


@pytest.mark.reference
@pytest.mark.parametrize(("ours_cls", "torch_cls", "kw"), [
    (LSTMCell, nn.LSTMCell, {}), (GRUCell, nn.GRUCell, {}),
    (ElmanCell, nn.RNNCell, {"nonlinearity": "tanh"}), (ElmanCell, nn.RNNCell, {"nonlinearity": "relu"}),
])
def test_single_cells_equal_torch_cells(ours_cls, torch_cls, kw):
    ours, ref = ours_cls(4, 6, **kw), torch_cls(4, 6, **kw)
    ref.load_state_dict(ours.state_dict())  # same parameter names and layout
    x = torch.randn(5, 4)
    state = (torch.randn(5, 6), torch.randn(5, 6)) if ours_cls is LSTMCell else torch.randn(5, 6)
    out, new = ours(x, state)
    ref_new = ref(x, state)
    ref_out = ref_new[0] if isinstance(ref_new, tuple) else ref_new
    torch.testing.assert_close(out, ref_out, atol=ATOL, rtol=0)
    out.sum().backward()
    ref_out.sum().backward()
    for a, b in zip(_grads(ours), _grads(ref), strict=True):
        torch.testing.assert_close(a, b, atol=ATOL, rtol=0)


def _per_sequence_reference(rnn: Recurrent, x: torch.Tensor, lengths: list[int]):
    outs, states = [], []
    for row, n in enumerate(lengths):
        out, state = rnn(x[row : row + 1, :n])
        outs.append(out[0])
        states.append(state)
    return outs, states


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn", "peephole", "jordan"])
@pytest.mark.parametrize("implementation", ["auto", "loop"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_padded_batch_equals_per_sequence_runs(cell, implementation, bidirectional):
    rnn = Recurrent(3, 4, cell=cell, n_layers=2, bidirectional=bidirectional, implementation=implementation)
    lengths = [5, 2, 4, 1]
    x = torch.randn(4, 5, 3)
    out, state = rnn(x, lengths=torch.tensor(lengths))
    ref_outs, ref_states = _per_sequence_reference(rnn, x, lengths)
    for row, n in enumerate(lengths):
        torch.testing.assert_close(out[row, :n], ref_outs[row], atol=ATOL, rtol=0)
        assert torch.all(out[row, n:] == 0), "outputs at padded steps must be zero"
        got = state if isinstance(state, tuple) else (state,)
        want = ref_states[row] if isinstance(ref_states[row], tuple) else (ref_states[row],)
        for a, b in zip(got, want, strict=True):
            torch.testing.assert_close(a[:, row], b[:, 0], atol=ATOL, rtol=0)
    # the same batch described by a mask gives the same result
    mask = torch.arange(5)[None, :] < torch.tensor(lengths)[:, None]
    torch.testing.assert_close(rnn(x, mask=mask)[0], out, atol=0, rtol=0)


@pytest.mark.parametrize("cell", ["peephole", "jordan"])
@pytest.mark.parametrize("with_lengths", [False, True])
def test_custom_cells_pass_gradcheck(cell, with_lengths):
    rnn = Recurrent(3, 2, cell=cell, n_layers=2, bidirectional=True).double()
    x = torch.randn(2, 4, 3, dtype=torch.float64, requires_grad=True)
    lengths = torch.tensor([4, 2]) if with_lengths else None
    h0 = torch.randn(4, 2, 2, dtype=torch.float64, requires_grad=True)
    c0 = torch.randn(4, 2, 2, dtype=torch.float64, requires_grad=True)
    params = list(rnn.parameters())

    def fn(x, h0, c0, *ps):
        state = (h0, c0) if cell == "peephole" else h0
        out, final = rnn(x, state, lengths=lengths)
        return (out, *(final if isinstance(final, tuple) else (final,)))

    assert torch.autograd.gradcheck(fn, (x, h0, c0, *params), atol=1e-6, rtol=1e-4)


@pytest.mark.parametrize("bias", [True, False])
def test_peephole_hand_written_bptt_equals_autograd_of_the_step(bias):
    cell = PeepholeLSTMCell(3, 5, bias=bias).double()
    x = torch.randn(4, 6, 3, dtype=torch.float64, requires_grad=True)
    state = (torch.randn(4, 5, dtype=torch.float64), torch.randn(4, 5, dtype=torch.float64))
    mask = (torch.arange(6)[None, :] < torch.tensor([6, 3, 1, 5])[:, None]).unsqueeze(-1).double()
    wrt = (x, *cell.parameters())
    for m in (None, mask):
        eager_out, (eager_h, eager_c) = _Cell.run(cell, x, state, m)  # project, then the autograd loop over step()
        fast_out, fast_h, fast_c = peephole_scan(x, cell.weight_ih, cell._projection_bias(), cell.weight_hh,
                                                 cell.weight_peephole, *state, m)
        torch.testing.assert_close(fast_out, eager_out, atol=1e-12, rtol=0)
        torch.testing.assert_close(fast_h, eager_h, atol=1e-12, rtol=0)
        torch.testing.assert_close(fast_c, eager_c, atol=1e-12, rtol=0)
        w = torch.randn_like(eager_out)
        g_eager = torch.autograd.grad((eager_out * w).sum() + eager_c.sum() + eager_h.sum(), wrt)
        g_fast = torch.autograd.grad((fast_out * w).sum() + fast_c.sum() + fast_h.sum(), wrt)
        for a, b in zip(g_fast, g_eager, strict=True):
            torch.testing.assert_close(a, b, atol=1e-12, rtol=0)


@pytest.mark.parametrize("needs_grad", [True, False])
def test_peephole_computes_the_input_gradient_only_when_needed(monkeypatch, needs_grad):
    layer = Recurrent(3, 5, cell="peephole")
    w_ih = layer.cells[0].weight_ih
    x = torch.randn(2, 4, 3, requires_grad=needs_grad)
    out, _ = layer(x)
    products_with_w_ih = []
    real_mm = torch.mm

    def counting_mm(a, b, *args, **kwargs):
        if b.data_ptr() == w_ih.data_ptr():  # d_x = d_a @ W_ih, the product the input gradient needs
            products_with_w_ih.append(tuple(a.shape))
        return real_mm(a, b, *args, **kwargs)

    monkeypatch.setattr(torch, "mm", counting_mm)
    out.sum().backward()
    assert len(products_with_w_ih) == (1 if needs_grad else 0)
    assert (x.grad is not None) == needs_grad
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in layer.parameters())


def test_jordan_cell_follows_its_equations():
    cell = JordanCell(2, 3)
    x = torch.randn(4, 5, 2)
    rnn = Recurrent(2, 3, cell="jordan")
    rnn.cells[0].load_state_dict(cell.state_dict())
    out, y_last = rnn(x)
    y = torch.zeros(4, 3)
    for t in range(5):  # h_t = tanh(W x_t + b + U y_{t-1} + b'); y_t = tanh(W_out h_t + b_out)
        h = torch.tanh(x[:, t] @ cell.weight_ih.T + cell.bias_ih + y @ cell.weight_hh.T + cell.bias_hh)
        y = torch.tanh(h @ cell.weight_out.T + cell.bias_out)
        torch.testing.assert_close(out[:, t], y, atol=ATOL, rtol=0)
    torch.testing.assert_close(y_last[0], y, atol=ATOL, rtol=0)


@pytest.mark.parametrize("cell", ["lstm", "peephole", "jordan", "gru"])
def test_carried_state_equals_one_long_run(cell):
    """Stateful truncated BPTT: two windows with the carried (detached) state = one run over both."""
    rnn = Recurrent(3, 4, cell=cell, n_layers=2)
    x = torch.randn(2, 10, 3)
    full, full_state = rnn(x)
    first, state = rnn(x[:, :6])
    second, state = rnn(x[:, 6:], detach_state(state))
    torch.testing.assert_close(torch.cat([first, second], 1), full, atol=ATOL, rtol=0)
    for got, want in zip(state if isinstance(state, tuple) else (state,),
                         full_state if isinstance(full_state, tuple) else (full_state,), strict=True):
        torch.testing.assert_close(got, want, atol=ATOL, rtol=0)
    detached = detach_state(state)
    assert all(p.grad_fn is None for p in (detached if isinstance(detached, tuple) else (detached,)))


@pytest.mark.parametrize("cell", ["lstm", "peephole", "rnn"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_return_sequences_false_gives_last_real_step(cell, bidirectional):
    kw = dict(cell=cell, bidirectional=bidirectional, n_layers=2)
    seqs, last = Recurrent(3, 4, **kw), Recurrent(3, 4, return_sequences=False, **kw)
    last.load_state_dict(seqs.state_dict())
    x, lengths = torch.randn(3, 5, 3), torch.tensor([5, 3, 1])
    out, _ = seqs(x, lengths=lengths)
    got, _ = last(x, lengths=lengths)
    assert got.shape == (3, 4 * (2 if bidirectional else 1))
    forward_last = out[torch.arange(3), lengths - 1, :4]
    torch.testing.assert_close(got[:, :4], forward_last, atol=ATOL, rtol=0)
    if bidirectional:  # the backward direction ends at step 0
        torch.testing.assert_close(got[:, 4:], out[:, 0, 4:], atol=ATOL, rtol=0)


def test_initial_state_is_used_and_torch_state_layout_accepted():
    rnn = Recurrent(3, 4, cell="lstm", n_layers=2, implementation="loop")
    ref = nn.LSTM(3, 4, num_layers=2, batch_first=True)
    _copy_into_torch(rnn, ref)
    x = torch.randn(2, 5, 3)
    h0, c0 = torch.randn(2, 2, 4), torch.randn(2, 2, 4)
    torch.testing.assert_close(rnn(x, (h0, c0))[0], ref(x, (h0, c0))[0], atol=ATOL, rtol=0)
    assert not torch.allclose(rnn(x, (h0, c0))[0], rnn(x)[0])


def test_dropout_between_layers_only_in_training():
    rnn = Recurrent(3, 16, cell="jordan", n_layers=2, dropout=0.5)
    x = torch.randn(2, 5, 3)
    rnn.eval()
    torch.testing.assert_close(rnn(x)[0], rnn(x)[0], atol=0, rtol=0)
    rnn.train()
    assert not torch.equal(rnn(x)[0], rnn(x)[0])


@pytest.mark.parametrize("kwargs", [
    {"d_hidden": 0}, {"input_size": 0}, {"n_layers": 0}, {"dropout": 1.0}, {"dropout": -0.1},
    {"cell": "transformer"}, {"nonlinearity": "sigmoid"}, {"implementation": "cudnn"},
    {"cell": "peephole", "implementation": "fused"}, {"d_hidden": 2.5},
])
def test_bad_constructor_args_raise(kwargs):
    args = {"input_size": 3, "d_hidden": 4, **kwargs}
    with pytest.raises(InvalidParameterError):
        Recurrent(args.pop("input_size"), args.pop("d_hidden"), **args)


def test_bad_cell_args_raise():
    with pytest.raises(InvalidParameterError, match="d_hidden"):
        LSTMCell(3, 0)
    with pytest.raises(InvalidParameterError, match="nonlinearity"):
        ElmanCell(3, 2, nonlinearity="sigmoid")


@pytest.mark.parametrize("cell", ["lstm", "jordan"])
def test_bad_inputs_raise_clear_errors(cell):
    rnn = Recurrent(3, 4, cell=cell)
    x = torch.randn(2, 5, 3)
    with pytest.raises(DataError, match="shape"):
        rnn(torch.randn(2, 5, 4))
    with pytest.raises(DataError, match="non-empty"):
        rnn(torch.randn(0, 5, 3))
    with pytest.raises(DataError, match="lengths"):
        rnn(x, lengths=[5, 0])
    with pytest.raises(DataError, match="lengths"):
        rnn(x, lengths=[6, 2])
    with pytest.raises(DataError, match="prefix"):
        rnn(x, mask=torch.tensor([[1, 0, 1, 1, 1], [1, 1, 1, 1, 1]]).bool())
    with pytest.raises(InvalidParameterError):
        rnn(x, lengths=[5, 5], mask=torch.ones(2, 5, dtype=torch.bool))
    with pytest.raises(DataError, match="state"):
        rnn(x, torch.zeros(1, 3, 4))
