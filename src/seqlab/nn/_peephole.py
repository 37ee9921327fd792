"""Hand-written BPTT for the peephole LSTM (a ``torch.autograd.Function``).

The peephole cell has no fused torch built-in. Run as an eager autograd loop it records about
a dozen small ops per time step, and back-propagating through that graph trained at
0.53-0.57x of ``nn.LSTM``'s speed here (batch 32, 64 steps, 256 units, one thread, CPU time).
This module runs the whole layer without recording a graph: the input projection (one batched
product) writes the gate pre-activations gate-major, ``(4, L, N, H)``, so every gate of every
step is a contiguous block for the per-step elementwise ops; the forward loop saves the gate
activations; the backward loop is a few in-cache elementwise ops a step (torch's fused
``sigmoid_backward`` / ``tanh_backward``) and one matrix product on a time-major gradient
buffer; the weight, bias and input gradients are one product each after the loop.
Measured in ``bench/neural_cells.py`` (char-level LM): 0.82x of ``nn.LSTM`` with a time-major
``(L, N, 4H)`` buffer fed by ``F.linear``, 0.84x gate-major (the layer alone: 68.3 ->
66.2 ms per forward + backward, ``nn.LSTM`` 56.3 ms). A numba kernel for the per-step
elementwise work was tried and was no faster (its scalar ``exp`` / ``tanh`` lose to torch's
vectorised ones). ``tests/nn`` checks this Function against the eager cell (outputs and every
gradient) and with ``torch.autograd.gradcheck``.

Symbols: ``N`` batch, ``L`` steps, ``C`` input features, ``H`` hidden units. Gate order
``i, f, g, o`` as in torch.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor
from torch.autograd.function import once_differentiable


class _PeepholeScan(torch.autograd.Function):
    @staticmethod
    def forward(
        ctx: Any, x: Tensor, w_ih: Tensor, bias: Tensor | None, w_hh: Tensor, w_peep: Tensor, h0: Tensor, c0: Tensor,
        mask: Tensor | None,
    ) -> tuple[Tensor, Tensor, Tensor]:
        n, length, c_in = x.shape  # x: (N, L, C) batch-first
        hid = w_hh.size(1)
        xt = x.transpose(0, 1).reshape(length * n, c_in)  # (L*N, C) time-major
        # Gate-major pre-activations (4, L, N, H): the projection writes each gate of each step as
        # one contiguous (N, H) block, so the per-step elementwise ops run on flat memory.
        w_in = w_ih.view(4, hid, c_in).transpose(1, 2)  # (4, C, H)
        if bias is None:
            gates = torch.bmm(xt.expand(4, -1, -1), w_in)  # (4, L*N, H)
        else:
            gates = torch.baddbmm(bias.view(4, 1, hid), xt.expand(4, -1, -1), w_in)
        gates = gates.view(4, length, n, hid)  # becomes the activated i, f, g, o
        w_rec = w_hh.view(4, hid, hid).transpose(1, 2).contiguous()  # (4, H, H): a_k += h @ w_rec[k]
        p_if, p_o = w_peep[:2].unsqueeze(1), w_peep[2]  # (2, 1, H), (H,)
        tanh_c = x.new_empty(length, n, hid)
        hs = x.new_empty(length + 1, n, hid)  # carried h_{t-1}, h_t
        cs = x.new_empty(length + 1, n, hid)  # carried c_{t-1}, c_t
        cells = cs[1:] if mask is None else x.new_empty(length, n, hid)  # c~_t (before masking)
        hs[0], cs[0] = h0, c0
        masks = mask.unbind(1) if mask is not None else None  # each (N, 1)
        for t in range(length):
            a = gates[:, t].baddbmm_(hs[t].expand(4, n, hid), w_rec)  # (4, N, H)
            i, f, g, o = a.unbind(0)
            a[:2].addcmul_(p_if, cs[t]).sigmoid_()  # i, f look at c_{t-1}
            g.tanh_()
            ct = torch.mul(f, cs[t], out=cells[t]).addcmul_(i, g)  # (N, H)
            o.addcmul_(p_o, ct).sigmoid_()  # o looks at c_t
            torch.tanh(ct, out=tanh_c[t])
            if masks is None:
                torch.mul(o, tanh_c[t], out=hs[t + 1])  # c_t = c~_t, already in place
            else:  # padded rows keep their state
                m = masks[t]
                torch.lerp(hs[t], o * tanh_c[t], m, out=hs[t + 1])
                torch.lerp(cs[t], ct, m, out=cs[t + 1])
        out = hs[1:].transpose(0, 1)  # (N, L, H)
        if mask is not None:
            out = out * mask  # zeros at padding
        ctx.save_for_backward(xt, w_ih, w_hh, w_peep, mask)
        ctx.saved = (gates, cells, tanh_c, hs, cs)
        ctx.has_bias = bias is not None
        return out, hs[length], cs[length]

    @staticmethod
    @once_differentiable
    def backward(
        ctx: Any, d_out: Tensor, d_h_last: Tensor, d_c_last: Tensor
    ) -> tuple[Tensor | None, ...]:
        xt, w_ih, w_hh, w_peep, mask = ctx.saved_tensors
        gates, c_new, tanh_c, hs, cs = ctx.saved  # (4, L, N, H); (L, N, H) x 2; (L + 1, N, H) x 2
        _, length, n, hid = gates.shape
        p_i, p_f, p_o = w_peep.unbind(0)
        # Time-major (L, N, 4, H): each step's gradient is one (N, 4H) row block, so dh is one GEMM.
        d_a = gates.new_empty(length, n, 4, hid)
        dh, dc = d_h_last, d_c_last  # (N, H): zeros when unused (grads are materialised)
        d_outs = (d_out * mask if mask is not None else d_out).unbind(1)  # each (N, H)
        masks = mask.unbind(1) if mask is not None else None
        c_prev = cs[:-1]
        sig_bwd = torch.ops.aten.sigmoid_backward.grad_input  # fused g * y * (1 - y), written in place
        tanh_bwd = torch.ops.aten.tanh_backward.grad_input  # fused g * (1 - y * y)
        for t in range(length - 1, -1, -1):  # small in-cache ops; fused sigmoid'/tanh' kernels
            i, f, g, o = gates[:, t].unbind(0)  # each (N, H), contiguous
            tc, cp, da = tanh_c[t], c_prev[t], d_a[t]
            dh_t = dh + d_outs[t]  # (N, H)
            if masks is not None:
                m = masks[t]
                dh_skip, dc_skip = dh - dh * m, dc - dc * m  # padded rows pass gradients through
                dh_t, dc = dh_t * m, dc * m
            dao = sig_bwd(dh_t * tc, o, grad_input=da[:, 3])
            dct = torch.ops.aten.tanh_backward(dh_t * o, tc).add_(dc).addcmul_(dao, p_o)  # dc~, also via o
            dai = sig_bwd(dct * g, i, grad_input=da[:, 0])
            daf = sig_bwd(dct * cp, f, grad_input=da[:, 1])
            tanh_bwd(dct * i, g, grad_input=da[:, 2])
            dc = (dct * f).addcmul_(dai, p_i).addcmul_(daf, p_f)
            dh = torch.mm(da.view(n, 4 * hid), w_hh)  # (N, H)
            if masks is not None:
                dh, dc = dh + dh_skip, dc + dc_skip
        d_a_i, d_a_f, _, d_a_o = d_a.unbind(2)
        d_peep = torch.stack(
            ((d_a_i * c_prev).sum((0, 1)), (d_a_f * c_prev).sum((0, 1)), (d_a_o * c_new).sum((0, 1)))
        )  # (3, H)
        flat = d_a.view(length * n, 4 * hid)
        d_w_hh = torch.mm(flat.t(), hs[:-1].reshape(length * n, hid))  # (4H, H)
        d_w_ih = torch.mm(flat.t(), xt)  # (4H, C)
        d_bias = flat.sum(0) if ctx.has_bias else None  # (4H,)
        d_x = None
        if ctx.needs_input_grad[0]:  # skipped for inputs that need no gradient (a first layer's data)
            d_x = torch.mm(flat, w_ih).view(length, n, -1).transpose(0, 1)  # (N, L, C)
        return d_x, d_w_ih, d_bias, d_w_hh, d_peep, dh, dc, None


def peephole_scan(
    x: Tensor, w_ih: Tensor, bias: Tensor | None, w_hh: Tensor, w_peep: Tensor, h0: Tensor, c0: Tensor,
    mask: Tensor | None = None,
) -> tuple[Tensor, Tensor, Tensor]:
    """Run a peephole LSTM over ``x`` with hand-written backward; see the module docstring.

    Parameters
    ----------
    x : Tensor of shape (N, L, C)
        The input sequence, batch-first.
    w_ih : Tensor of shape (4H, C)
    bias : Tensor of shape (4H,) or None
        ``b_ih + b_hh``, gate order ``i, f, g, o``.
    w_hh : Tensor of shape (4H, H)
    w_peep : Tensor of shape (3, H)
        Diagonal peephole weights for the ``i``, ``f`` and ``o`` gates.
    h0, c0 : Tensor of shape (N, H)
    mask : Tensor of shape (N, L, 1) or None
        1.0 at real steps, 0.0 at padding (right-padded): padded steps leave the state
        unchanged and output zeros.

    Returns
    -------
    out : Tensor of shape (N, L, H)
    h_last, c_last : Tensor of shape (N, H)
    """
    out: tuple[Tensor, Tensor, Tensor] = _PeepholeScan.apply(  # type: ignore[no-untyped-call]
        x, w_ih, bias, w_hh, w_peep, h0, c0, mask)
    return out
