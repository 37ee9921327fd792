"""Supervised HMM part-of-speech tagger: counts, smoothing, unknown words, Viterbi.

States are tags, observations are words. Fitting is counting (no training loop):

* transitions ``P(t_j | t_i) = (c(t_i, t_j) + k) / (c(t_i) + k * n_tags)`` and start
  probabilities the same way from the first tag of each sentence (``k`` =
  ``transition_smoothing``);
* emissions of training words ``P(w | t) = c(w, t) / (c(t) + h(t))``, where ``h(t)`` is
  the number of words seen once with tag ``t``: that mass is kept for unseen words;
* an unseen word gets ``P(w | t) = h(t) / (c(t) + h(t)) * s(t | w) / P_h(t)``, where
  ``P_h`` is the tag distribution of once-seen words and ``s(t | w)`` is either ``P_h(t)``
  itself (``unknown="unk"``: one ``<unk>`` word) or, with ``unknown="suffix"``, the tag
  distribution of rare training words (count <= ``rare_count``) sharing the longest known
  suffix of ``w`` (up to ``max_suffix`` letters, separately for capitalised words), built
  by Brants' (2000, TnT) successive abstraction.

Decoding reuses :func:`seqlab.hmm._algorithms.viterbi`, and ``predict_proba`` the
forward-backward posteriors of :func:`seqlab.hmm._algorithms.posteriors`.

>>> tagger = HMMTagger().fit([["the", "dog", "barks"], ["a", "cat", "sleeps"]],
...                          [["DET", "NOUN", "VERB"], ["DET", "NOUN", "VERB"]])
>>> tagger.predict([["the", "cat", "jumps"]])
[['DET', 'NOUN', 'VERB']]
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any, Self

import numpy as np

from seqlab.base import BaseModel, float_at_least, int_at_least
from seqlab.io import register
from seqlab.tag._common import check_tagged, check_untagged


@register
class HMMTagger(BaseModel):
    """First-order hidden Markov model tagger fitted by counting.

    Parameters
    ----------
    transition_smoothing : float, default=0.1
        Add-``k`` constant of the start and transition counts (> 0: no transition is impossible).
    unknown : {"suffix", "unk"}, default="suffix"
        How unseen words are scored (see the module docstring).
    max_suffix : int, default=5
        Longest suffix used by ``unknown="suffix"``.
    rare_count : int, default=10
        Training words seen at most this often feed the suffix tables.

    Attributes
    ----------
    tags_ : list of str
        The tags (states), sorted.
    vocabulary_ : dict of str to int
        Training words -> row of ``log_emit_``.
    startprob_ : ndarray of shape (n_tags,)
    transmat_ : ndarray of shape (n_tags, n_tags)
    log_emit_ : ndarray of shape (n_words, n_tags)
        ``log P(w | t)`` of the training words.
    log_unknown_ : ndarray of shape (n_tags,)
        ``log P(<unk> | t)``: the mass kept for unseen words.
    suffix_table_ : dict of str to ndarray of shape (n_tags,)
        ``log s(t | suffix)``; keys are ``"c:" + suffix`` (capitalised) or ``"l:" + suffix``.
    """

    _constraints = {
        "transition_smoothing": float_at_least(0, strict=True),
        "unknown": (lambda v: v in ("suffix", "unk"), "'suffix' or 'unk'"),
        "max_suffix": int_at_least(0),
        "rare_count": int_at_least(1),
    }

    def __init__(self, *, transition_smoothing: float = 0.1, unknown: str = "suffix", max_suffix: int = 5,
                 rare_count: int = 10) -> None:
        self.transition_smoothing = transition_smoothing
        self.unknown = unknown
        self.max_suffix = max_suffix
        self.rare_count = rare_count

    # ------------------------------------------------------------------ fit
    def fit(self, sentences: Sequence[Sequence[str]], tags: Sequence[Sequence[str]]) -> Self:
        """Count transitions and emissions of tagged sentences; returns ``self``."""
        self._validate_params()
        sents, tag_lists = check_tagged(sentences, tags)
        for attr in [k for k in vars(self) if k.endswith("_") and not k.startswith("_")]:
            delattr(self, attr)
        tagset = sorted({t for ts in tag_lists for t in ts})
        index = {t: i for i, t in enumerate(tagset)}
        n = len(tagset)
        k = float(self.transition_smoothing)
        start = np.full(n, k)
        trans = np.full((n, n), k)
        pair_counts: Counter[tuple[str, int]] = Counter()
        for s, ts in zip(sents, tag_lists, strict=False):
            ids = [index[t] for t in ts]
            start[ids[0]] += 1
            np.add.at(trans, (ids[:-1], ids[1:]), 1.0)
            pair_counts.update(zip(s, ids, strict=False))
        words = sorted({w for w, _ in pair_counts})
        vocab = {w: i for i, w in enumerate(words)}
        emit = np.zeros((len(words), n))
        for (w, t), c in pair_counts.items():
            emit[vocab[w], t] = c
        word_total = emit.sum(axis=1)
        hapax = emit[word_total == 1].sum(axis=0) + 0.5            # (n,): +0.5 so every tag keeps some mass
        denom = emit.sum(axis=0) + hapax                           # (n,)
        with np.errstate(divide="ignore"):
            self.log_emit_ = np.log(emit / denom)                  # (V, n)
        self.log_unknown_ = np.log(hapax / denom)                  # (n,)
        self.tags_ = tagset
        self.vocabulary_ = vocab
        self.startprob_ = start / start.sum()
        self.transmat_ = trans / trans.sum(axis=1, keepdims=True)
        self.suffix_table_ = self._suffix_table(emit, words, word_total) if self.unknown == "suffix" else {}
        return self

    def _suffix_table(self, emit: np.ndarray, words: list[str], word_total: np.ndarray) -> dict[str, np.ndarray]:
        """``log s(t | suffix) - log P_h(t)`` per suffix, by TnT's successive abstraction."""
        rare = word_total <= self.rare_count
        prior = emit[rare].sum(axis=0) + 1e-3
        prior = prior / prior.sum()                                # (n,) tag distribution of rare words
        theta = max(float(np.std(prior)), 1e-3)                    # Brants (2000), eq. 6 (> 0: no zero rows)
        counts: dict[str, np.ndarray] = {}
        for i in np.flatnonzero(rare):
            w = words[i]
            key = "c:" if w[:1].isupper() else "l:"
            low = w.lower()
            for j in range(0, min(self.max_suffix, len(low)) + 1):
                suffix = key + (low[len(low) - j:] if j else "")
                counts.setdefault(suffix, np.zeros(len(prior)))
                counts[suffix] += emit[i]
        table: dict[str, np.ndarray] = {}
        for suffix in sorted(counts, key=len):                     # shorter suffixes first
            c = counts[suffix]
            p_hat = c / c.sum()
            parent = table.get(suffix[:2] + suffix[3:], None) if len(suffix) > 2 else None
            base = np.exp(parent) * prior if parent is not None else prior
            table[suffix] = (p_hat + theta * base) / (1 + theta)
        return {s: np.log(p / prior) for s, p in table.items()}

    # ------------------------------------------------------------------ decode
    def _log_emissions(self, sentence: list[str]) -> np.ndarray:
        """``log P(w_t | tag)`` for every token of one sentence, shape (T, n_tags)."""
        out = np.empty((len(sentence), len(self.tags_)))
        for t, w in enumerate(sentence):
            row = self.vocabulary_.get(w)
            if row is not None:
                out[t] = self.log_emit_[row]
                continue
            out[t] = self.log_unknown_
            if self.suffix_table_:
                key = "c:" if w[:1].isupper() else "l:"
                low = w.lower()
                for j in range(min(self.max_suffix, len(low)), -1, -1):
                    adj = self.suffix_table_.get(key + (low[len(low) - j:] if j else ""))
                    if adj is not None:
                        out[t] = self.log_unknown_ + adj
                        break
        return out

    def predict(self, sentences: Sequence[Sequence[str]]) -> list[list[str]]:
        """The most probable tag sequence (Viterbi) of each sentence."""
        from seqlab.hmm._algorithms import viterbi

        self._check_fitted()
        log_start = np.log(self.startprob_)
        log_trans = np.log(self.transmat_)
        out: list[list[str]] = []
        for s in check_untagged(sentences):
            if not s:
                out.append([])
                continue
            _, path = viterbi(log_start, log_trans, self._log_emissions(s))
            out.append([self.tags_[i] for i in path])
        return out

    def predict_proba(self, sentences: Sequence[Sequence[str]]) -> list[np.ndarray]:
        """Posterior ``P(tag_t = k | sentence)`` per token: one array of shape (T, n_tags) per sentence."""
        from seqlab.hmm._algorithms import posteriors

        self._check_fitted()
        return [posteriors(self.startprob_, self.transmat_, self._log_emissions(s))[1] if s
                else np.zeros((0, len(self.tags_))) for s in check_untagged(sentences)]

    def score(self, sentences: Sequence[Sequence[str]], tags: Sequence[Sequence[str]]) -> float:
        """Token accuracy of :meth:`predict` (higher is better)."""
        from seqlab.evaluate.tagging import token_accuracy

        sents, tag_lists = check_tagged(sentences, tags)
        return token_accuracy(tag_lists, self.predict(sents))

    # ------------------------------------------------------------------ persistence
    def _to_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        suffixes = sorted(self.suffix_table_)
        meta = {"tags": self.tags_, "words": sorted(self.vocabulary_, key=self.vocabulary_.__getitem__),
                "suffixes": suffixes}
        arrays = {"startprob": self.startprob_, "transmat": self.transmat_, "log_emit": self.log_emit_,
                  "log_unknown": self.log_unknown_,
                  "suffix_table": (np.stack([self.suffix_table_[s] for s in suffixes]) if suffixes
                                   else np.zeros((0, len(self.tags_))))}
        return meta, arrays

    @classmethod
    def _from_state(cls, params: dict[str, Any], state: dict[str, Any], arrays: dict[str, np.ndarray]) -> Self:
        from seqlab.exceptions import FormatError

        model = cls(**params)
        n, v = len(state["tags"]), len(state["words"])
        expected = {"startprob": (n,), "transmat": (n, n), "log_emit": (v, n), "log_unknown": (n,),
                    "suffix_table": (len(state["suffixes"]), n)}
        for name, shape in expected.items():
            if name not in arrays or arrays[name].shape != shape:
                got = arrays[name].shape if name in arrays else "missing"
                raise FormatError(f"HMMTagger array {name!r} must have shape {shape}; got {got}.")
        model.tags_ = list(state["tags"])
        model.vocabulary_ = {w: i for i, w in enumerate(state["words"])}
        model.startprob_, model.transmat_ = arrays["startprob"], arrays["transmat"]
        model.log_emit_, model.log_unknown_ = arrays["log_emit"], arrays["log_unknown"]
        model.suffix_table_ = {s: arrays["suffix_table"][i] for i, s in enumerate(state["suffixes"])}
        return model

    @classmethod
    def _test_params(cls) -> dict[str, Any]:
        return {"max_suffix": 2}

    @classmethod
    def _test_data(cls) -> tuple[list[list[str]], list[list[str]]]:
        return ([["the", "dog", "barks"], ["a", "Cat", "sleeps", "."], ["dogs", "bark"]],
                [["DET", "NOUN", "VERB"], ["DET", "NOUN", "VERB", "."], ["NOUN", "VERB"]])
