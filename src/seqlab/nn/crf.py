"""Linear-chain conditional random field over per-token scores, batched, with padding masks.

Symbols: ``N`` batch, ``L`` length, ``K`` tags. For emission scores ``e[t, y]`` (from any
encoder) and learned transition scores, the score of a tag path is

    s(y) = start[y_0] + sum_t e[t, y_t] + sum_{t>0} trans[y_{t-1}, y_t] + end[y_{T-1}]

and ``log p(y | x) = s(y) - log Z`` with ``log Z = logsumexp_y s(y)`` computed by the forward
algorithm in O(T K^2). Decoding is Viterbi. Padded steps (``mask`` False) sit after the real
ones and never change a row's result; the first step of every row must be real.

The parameters are named as in the ``pytorch-crf`` package (``start_transitions``,
``end_transitions``, ``transitions``), so its weights copy across (the parity test does this).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from seqlab._validation import check_int
from seqlab.exceptions import DataError


class LinearChainCRF(nn.Module):
    """Linear-chain CRF output layer.

    Parameters
    ----------
    n_tags : int
        Number of tags ``K``.

    Notes
    -----
    Shapes: ``emissions (N, L, K)`` float, ``tags (N, L)`` int64, ``mask (N, L)`` bool (True at
    real steps, a prefix of each row). Plain-Python forward algorithm for one sentence::

        alpha = start + e[0]
        for t in range(1, T):
            alpha = logsumexp(alpha[:, None] + trans, dim=0) + e[t]
        log_Z = logsumexp(alpha + end)
    """

    def __init__(self, n_tags: int) -> None:
        super().__init__()
        self.n_tags = check_int(n_tags, "n_tags of LinearChainCRF", low=1)
        self.start_transitions = nn.Parameter(torch.empty(n_tags).uniform_(-0.1, 0.1))
        self.end_transitions = nn.Parameter(torch.empty(n_tags).uniform_(-0.1, 0.1))
        self.transitions = nn.Parameter(torch.empty(n_tags, n_tags).uniform_(-0.1, 0.1))

    def extra_repr(self) -> str:
        return f"n_tags={self.n_tags}"

    def _check(self, emissions: Tensor, mask: Tensor | None) -> Tensor:
        if emissions.dim() != 3 or emissions.size(-1) != self.n_tags:
            raise DataError(f"LinearChainCRF expects emissions of shape (N, L, {self.n_tags}); "
                            f"got {tuple(emissions.shape)}.")
        if mask is None:
            return torch.ones(emissions.shape[:2], dtype=torch.bool, device=emissions.device)
        if mask.shape != emissions.shape[:2]:
            raise DataError(f"mask must have shape {tuple(emissions.shape[:2])}; got {tuple(mask.shape)}.")
        if emissions.size(1) and not bool(mask[:, 0].all()):
            raise DataError("every sequence needs at least one real step: mask[:, 0] must be all True.")
        return mask.bool()

    def score(self, emissions: Tensor, tags: Tensor, mask: Tensor | None = None) -> Tensor:
        """Unnormalised path score ``s(y)`` of the given tags, shape (N,)."""
        mask = self._check(emissions, mask)
        m = mask.to(emissions.dtype)                                             # (N, L)
        emit = emissions.gather(-1, tags.unsqueeze(-1)).squeeze(-1)              # (N, L)
        total = self.start_transitions[tags[:, 0]] + (emit * m).sum(1)           # (N,)
        trans = self.transitions[tags[:, :-1], tags[:, 1:]]                      # (N, L-1)
        total = total + (trans * m[:, 1:]).sum(1)
        last = tags.gather(1, (mask.sum(1) - 1).clamp(min=0).unsqueeze(1)).squeeze(1)  # (N,)
        return total + self.end_transitions[last]

    def log_partition(self, emissions: Tensor, mask: Tensor | None = None) -> Tensor:
        """``log Z`` of every row by the forward algorithm, shape (N,)."""
        mask = self._check(emissions, mask)
        alpha = self.start_transitions + emissions[:, 0]                         # (N, K)
        for t in range(1, emissions.size(1)):
            nxt = torch.logsumexp(alpha.unsqueeze(2) + self.transitions, dim=1) + emissions[:, t]  # (N, K)
            alpha = torch.where(mask[:, t].unsqueeze(1), nxt, alpha)            # padded steps keep alpha
        return torch.logsumexp(alpha + self.end_transitions, dim=1)

    def log_likelihood(self, emissions: Tensor, tags: Tensor, mask: Tensor | None = None) -> Tensor:
        """``log p(tags | x)`` per row, shape (N,). Tags at padded steps may be anything in range."""
        tags = tags.clamp(min=0)                                                 # -100 padding -> any valid id
        return self.score(emissions, tags, mask) - self.log_partition(emissions, mask)

    def marginals(self, emissions: Tensor, mask: Tensor | None = None) -> Tensor:
        """``P(y_t = k | x)`` (N, L, K) by differentiating ``log Z`` (forward-backward); 0 at padding."""
        mask = self._check(emissions, mask)
        with torch.enable_grad():
            e = emissions.detach().requires_grad_(True)
            (grad,) = torch.autograd.grad(self.log_partition(e, mask).sum(), e)
        return grad * mask.unsqueeze(-1)                                         # (N, L, K)

    def decode(self, emissions: Tensor, mask: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """Viterbi: best tags (N, L) (0 at padded steps) and their scores (N,)."""
        mask = self._check(emissions, mask)
        n, length, k = emissions.shape
        delta = self.start_transitions + emissions[:, 0]                         # (N, K)
        back = []
        for t in range(1, length):
            cand = delta.unsqueeze(2) + self.transitions                         # (N, K_prev, K)
            best, arg = cand.max(dim=1)                                          # (N, K)
            step = mask[:, t].unsqueeze(1)
            delta = torch.where(step, best + emissions[:, t], delta)
            back.append(torch.where(step, arg, torch.arange(k, device=arg.device).expand(n, k)))  # identity at pad
        final = delta + self.end_transitions
        score, last = final.max(dim=1)                                           # (N,)
        path = [last]
        for arg in reversed(back):
            last = arg.gather(1, last.unsqueeze(1)).squeeze(1)
            path.append(last)
        tags = torch.stack(path[::-1], dim=1)                                    # (N, L)
        return tags.masked_fill(~mask, 0), score
