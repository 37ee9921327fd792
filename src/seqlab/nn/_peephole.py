"""Hand-written BPTT for the peephole LSTM (a ``torch.autograd.Function``).

The peephole cell has no fused torch built-in. Run as an eager autograd loop it records about
a dozen small ops per time step, and back-propagating through that graph trained at
0.53-0.57x of ``nn.LSTM``'s speed here (batch 32, 64 steps, 256 units, one thread, CPU time).
This module runs the forward loop without recording a graph into time-major buffers, saves
the gate activations, and back-propagates through time by hand: each backward step is a few
in-cache elementwise ops (torch's fused ``sigmoid_backward`` / ``tanh_backward``) and one
matrix product, and the weight gradients are hoisted out of the loop into one product each.
That reaches about 0.76x of ``nn.LSTM`` in ``bench/neural_cells.py`` (char-level LM). A numba
kernel for the per-step elementwise work was tried and was no faster (its scalar ``exp`` /
``tanh`` lose to torch's vectorised ones). ``tests/nn`` checks this Function against the eager
cell (outputs and gradients) and with ``torch.autograd.gradcheck``.

Symbols: ``N`` batch, ``L`` steps, ``H`` hidden units. Gate order ``i, f, g, o`` as in torch.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor
from torch.autograd.function import once_differentiable


class _PeepholeScan(torch.autograd.Function):
    @staticmethod
    def forward(
        ctx: Any, gx: Tensor, w_hh: Tensor, w_peep: Tensor, h0: Tensor, c0: Tensor, mask: Tensor | None
    ) -> tuple[Tensor, Tensor, Tensor]:
        length, n = gx.shape[:2]  # gx: (L, N, 4H) time-major, input projection plus both biases
        hid = w_hh.size(1)
        p_if, p_o = w_peep[:2], w_peep[2]  # (2, H), (H,)
        w_hh_t = w_hh.t().contiguous()  # (H, 4H): a contiguous right operand is the faster GEMM layout
        # Time-major buffers, so that every per-step slice is contiguous and written in place.
        gates = gx.new_empty(length, n, 4, hid)  # activated i, f, g, o
        tanh_c = gx.new_empty(length, n, hid)
        hs = gx.new_empty(length + 1, n, hid)  # carried h_{t-1}, h_t
        cs = gx.new_empty(length + 1, n, hid)  # carried c_{t-1}, c_t
        cells = cs[1:] if mask is None else gx.new_empty(length, n, hid)  # c~_t (before masking)
        hs[0], cs[0] = h0, c0
        masks = mask.unbind(1) if mask is not None else None  # each (N, 1)
        for t, g_t in enumerate(gx.unbind(0)):
            a = torch.addmm(g_t, hs[t], w_hh_t, out=gates[t].view(n, 4 * hid)).view(n, 4, hid)  # (N, 4, H)
            a[:, :2].addcmul_(p_if, cs[t].unsqueeze(1)).sigmoid_()  # i, f look at c_{t-1}
            a[:, 2].tanh_()
            ct = torch.addcmul(a[:, 1] * cs[t], a[:, 0], a[:, 2], out=cells[t])  # (N, H)
            a[:, 3].addcmul_(p_o, ct).sigmoid_()  # o looks at c_t
            torch.tanh(ct, out=tanh_c[t])
            if masks is None:
                torch.mul(a[:, 3], tanh_c[t], out=hs[t + 1])  # c_t = c~_t, already in place
            else:  # padded rows keep their state
                m = masks[t]
                torch.lerp(hs[t], a[:, 3] * tanh_c[t], m, out=hs[t + 1])
                torch.lerp(cs[t], ct, m, out=cs[t + 1])
        out = hs[1:].transpose(0, 1)  # (N, L, H)
        if mask is not None:
            out = out * mask  # zeros at padding
        ctx.save_for_backward(w_hh, w_peep, mask)
        ctx.saved = (gates, cells, tanh_c, hs, cs)
        return out, hs[length], cs[length]

    @staticmethod
    @once_differentiable
    def backward(
        ctx: Any, d_out: Tensor, d_h_last: Tensor, d_c_last: Tensor
    ) -> tuple[Tensor | None, ...]:
        w_hh, w_peep, mask = ctx.saved_tensors
        gates, c_new, tanh_c, hs, cs = ctx.saved  # (L, N, 4, H); (L, N, H) x 2; (L + 1, N, H) x 2
        length, n, _, hid = gates.shape
        p_i, p_f, p_o = w_peep.unbind(0)
        d_a = gates.new_empty(length, n, 4, hid)  # gradient w.r.t. gate pre-activations
        dh, dc = d_h_last, d_c_last  # (N, H): zeros when unused (grads are materialised)
        d_outs = (d_out * mask if mask is not None else d_out).unbind(1)  # each (N, H)
        masks = mask.unbind(1) if mask is not None else None
        c_prev = cs[:-1]
        sig_bwd = torch.ops.aten.sigmoid_backward.grad_input  # fused g * y * (1 - y), written in place
        tanh_bwd = torch.ops.aten.tanh_backward.grad_input  # fused g * (1 - y * y)
        for t in range(length - 1, -1, -1):  # small in-cache ops; fused sigmoid'/tanh' kernels
            i, f, g, o = gates[t].unbind(1)  # each (N, H)
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
        d_a = d_a.view(length * n, 4 * hid)
        d_w_hh = torch.mm(d_a.t(), hs[:-1].reshape(length * n, hid))  # (4H, H)
        return d_a.view(length, n, 4 * hid), d_w_hh, d_peep, dh, dc, None


def peephole_scan(
    gx: Tensor, w_hh: Tensor, w_peep: Tensor, h0: Tensor, c0: Tensor, mask: Tensor | None = None
) -> tuple[Tensor, Tensor, Tensor]:
    """Run a peephole LSTM over ``gx`` with hand-written backward; see the module docstring.

    Parameters
    ----------
    gx : Tensor of shape (L, N, 4H)
        Time-major input projection ``x W_ih^T + b_ih + b_hh``, gate order ``i, f, g, o``
        (time-major so that each step's slice and the returned gradient are contiguous).
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
        gx, w_hh, w_peep, h0, c0, mask)
    return out
