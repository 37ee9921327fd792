"""Hidden Markov models: categorical and Gaussian emissions, Baum-Welch, Viterbi, sampling.

A hidden Markov model has a discrete hidden state ``z_t`` that moves by a transition matrix
and emits an observation ``x_t`` from a distribution of that state (document 003: "memoryful
models, time-cost to infer the hidden state distribution"). Parameter names follow hmmlearn
(``startprob_``, ``transmat_``, ``emissionprob_``, ``means_``, ``covars_``) so code moves over;
hyperparameters follow seqlab's glossary (``n_states``, ``n_symbols``, ``n_iter``, ``tol``).

Tutorial
--------
The dishonest casino: a fair die and a loaded one that shows a six half the time.

>>> import numpy as np
>>> from seqlab.hmm import CategoricalHMM
>>> casino = CategoricalHMM(n_states=2, n_symbols=6)
>>> casino.startprob_ = np.array([0.5, 0.5])
>>> casino.transmat_ = np.array([[0.95, 0.05], [0.10, 0.90]])
>>> casino.emissionprob_ = np.array([[1 / 6] * 6, [0.1] * 5 + [0.5]])
>>> rolls, dice = casino.sample(300, random_state=0)
>>> log_prob, path = casino.decode(rolls)            # Viterbi: most likely die per roll
>>> bool((path == dice).mean() > 0.7)
True
>>> model = CategoricalHMM(n_states=2, n_symbols=6, n_init=3, random_state=0).fit([rolls])
>>> model.score([rolls]) >= casino.score([rolls])    # mean log-likelihood per roll
True

``fit`` takes a list of sequences; ``log_likelihood(seq)`` is the total natural-log
likelihood of one sequence, ``score(seqs)`` the mean per step, ``predict_proba(seq)`` the state
posteriors, ``decode(seq, algorithm="viterbi"|"map")`` returns ``(log_prob, states)``.

Emission families: :class:`CategoricalHMM` (symbols), :class:`GaussianHMM` (covariance types
"diag", "full", "spherical", "tied"), :class:`GMMHMM` (Gaussian mixtures), :class:`PoissonHMM`
(counts). ``fit_supervised(seqs, states)`` fits from labelled state sequences by counting.

Coming from hmmlearn: its calling convention (one array ``X`` of all sequences concatenated
plus ``lengths``) is accepted by ``fit``, ``score``, ``log_likelihood``, ``score_samples``,
``predict``, ``predict_proba``, ``decode``, ``aic`` and ``bic``. One difference is deliberate:
hmmlearn's ``score(X, lengths)`` is the *total* log-likelihood, seqlab's ``score`` is the
*mean per step* (higher is better, comparable across lengths); hmmlearn's number is
``log_likelihood(X, lengths)``.
The kernels (:mod:`seqlab.hmm._algorithms`) are compiled with numba and shared by all
emission families.
"""

from __future__ import annotations

from seqlab.hmm.base import BaseHMM, split_lengths
from seqlab.hmm.categorical import CategoricalHMM
from seqlab.hmm.gaussian import GaussianHMM
from seqlab.hmm.gmm import GMMHMM
from seqlab.hmm.poisson import PoissonHMM

__all__ = ["BaseHMM", "CategoricalHMM", "GMMHMM", "GaussianHMM", "PoissonHMM", "split_lengths"]
