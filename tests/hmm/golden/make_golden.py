"""Regenerate ``hmmlearn.npz``: hmmlearn's outputs on fixed parameters, for the golden test.

The file lets ``test_golden.py`` check seqlab against hmmlearn's numbers where hmmlearn is not
installed. Run: ``python tests/hmm/golden/make_golden.py`` (needs hmmlearn).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from hmmlearn import hmm


def main() -> None:
    rng = np.random.default_rng(2024)
    start, trans = rng.dirichlet(np.ones(3)), rng.dirichlet(np.ones(3), size=3)
    emit = rng.dirichlet(np.ones(4), size=3)
    x = rng.integers(0, 4, 200)
    ref = hmm.CategoricalHMM(n_components=3, n_features=4)
    ref.startprob_, ref.transmat_, ref.emissionprob_ = start, trans, emit
    lp, path = ref.decode(x[:, None])
    seqs = [rng.integers(0, 4, n) for n in (60, 90)]
    fit = hmm.CategoricalHMM(n_components=3, n_features=4, init_params="", n_iter=10, tol=-np.inf)
    fit.startprob_, fit.transmat_, fit.emissionprob_ = start.copy(), trans.copy(), emit.copy()
    fit.fit(np.concatenate(seqs)[:, None], [60, 90])
    means, covars = rng.normal(size=(3, 2)) * 2, rng.uniform(0.5, 2.0, size=(3, 2))
    y = rng.normal(size=(150, 2)) * 2
    gref = hmm.GaussianHMM(n_components=3, covariance_type="diag")
    gref.startprob_, gref.transmat_, gref.means_, gref.covars_ = start, trans, means, covars
    glp, gpath = gref.decode(y)
    np.savez_compressed(
        Path(__file__).with_name("hmmlearn.npz"),
        startprob=start, transmat=trans, emissionprob=emit, x=x, score=ref.score(x[:, None]), viterbi_logprob=lp,
        viterbi_path=path, posteriors=ref.predict_proba(x[:, None]), seq0=seqs[0], seq1=seqs[1],
        trajectory=np.array(fit.monitor_.history), means=means, covars=covars, y=y, gscore=gref.score(y),
        gviterbi_logprob=glp, gviterbi_path=gpath, gposteriors=gref.predict_proba(y))


if __name__ == "__main__":
    main()
