"""LinearChainCRF: log Z, Viterbi and marginals vs brute-force enumeration; pytorch-crf parity; masks."""

from __future__ import annotations

import itertools

import pytest
import torch

from seqlab.exceptions import DataError
from seqlab.nn.crf import LinearChainCRF


def _setup(seed: int = 0, n: int = 3, length: int = 4, k: int = 3) -> tuple[LinearChainCRF, torch.Tensor, torch.Tensor]:
    torch.manual_seed(seed)
    crf = LinearChainCRF(k).double()
    with torch.no_grad():
        for p in crf.parameters():
            p.normal_()
    emissions = torch.randn(n, length, k, dtype=torch.float64)
    lengths = torch.tensor([length, length - 1, 1][:n])
    mask = torch.arange(length)[None, :] < lengths[:, None]
    return crf, emissions, mask


def _enumerate(crf: LinearChainCRF, e: torch.Tensor, length: int) -> tuple[torch.Tensor, list[tuple[int, ...]]]:
    paths = list(itertools.product(range(crf.n_tags), repeat=length))
    tags = torch.tensor(paths)                                          # (P, T)
    scores = crf.score(e[:length].expand(len(paths), -1, -1), tags)     # (P,)
    return scores, paths


def test_log_partition_and_viterbi_equal_enumeration() -> None:
    crf, emissions, mask = _setup()
    log_z = crf.log_partition(emissions, mask)
    best, best_score = crf.decode(emissions, mask)
    marg = crf.marginals(emissions, mask)
    for i in range(emissions.size(0)):
        length = int(mask[i].sum())
        scores, paths = _enumerate(crf, emissions[i], length)
        assert log_z[i].item() == pytest.approx(torch.logsumexp(scores, 0).item(), abs=1e-10)
        j = int(scores.argmax())
        assert best[i, :length].tolist() == list(paths[j]) and best[i, length:].eq(0).all()
        assert best_score[i].item() == pytest.approx(scores[j].item(), abs=1e-10)
        probs = torch.softmax(scores, 0)
        ref = torch.zeros(length, crf.n_tags, dtype=torch.float64)
        for p, path in zip(probs, paths, strict=False):
            ref[torch.arange(length), torch.tensor(path)] += p
        assert torch.allclose(marg[i, :length], ref, atol=1e-10)
        assert marg[i, length:].abs().sum() == 0


def test_likelihoods_of_all_paths_sum_to_one() -> None:
    crf, emissions, _ = _setup(n=1, length=3)
    paths = torch.tensor(list(itertools.product(range(3), repeat=3)))
    ll = crf.log_likelihood(emissions.expand(len(paths), -1, -1), paths)
    assert torch.logsumexp(ll, 0).item() == pytest.approx(0.0, abs=1e-10)


def test_appended_padding_changes_nothing() -> None:
    crf, emissions, mask = _setup()
    tags = torch.randint(0, 3, mask.shape)
    more = torch.cat([emissions, torch.randn(3, 2, 3, dtype=torch.float64)], 1)
    more_mask = torch.cat([mask, torch.zeros(3, 2, dtype=torch.bool)], 1)
    more_tags = torch.cat([tags, torch.full((3, 2), -100)], 1)
    assert torch.allclose(crf.log_likelihood(emissions, tags, mask), crf.log_likelihood(more, more_tags, more_mask))
    assert torch.equal(crf.decode(emissions, mask)[0], crf.decode(more, more_mask)[0][:, :4])


@pytest.mark.reference
def test_matches_pytorch_crf() -> None:
    torchcrf = pytest.importorskip("torchcrf")
    torch.manual_seed(1)
    ours = LinearChainCRF(5)
    ref = torchcrf.CRF(5, batch_first=True)
    ref.load_state_dict(ours.state_dict())
    emissions = torch.randn(6, 9, 5)
    lengths = torch.tensor([9, 7, 5, 3, 2, 1])
    mask = torch.arange(9)[None, :] < lengths[:, None]
    tags = torch.randint(0, 5, (6, 9))
    got = ours.log_likelihood(emissions, tags, mask)
    want = ref(emissions, tags, mask=mask, reduction="none")
    assert torch.allclose(got, want, atol=1e-5)
    paths = ref.decode(emissions, mask=mask)
    best = ours.decode(emissions, mask)[0]
    for i, p in enumerate(paths):
        assert best[i, : len(p)].tolist() == p


def test_bad_shapes() -> None:
    crf = LinearChainCRF(3)
    with pytest.raises(DataError, match=r"\(N, L, 3\)"):
        crf.log_partition(torch.randn(2, 4, 5))
    with pytest.raises(DataError, match="mask\\[:, 0\\]"):
        crf.log_partition(torch.randn(2, 4, 3), torch.zeros(2, 4, dtype=torch.bool))
