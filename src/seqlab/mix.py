"""``InterpolatedLM``: a linear mixture of language models over one vocabulary, weights fitted by EM.

    p(w | h) = sum_k lambda_k p_k(w | h),     lambda_k >= 0,  sum_k lambda_k = 1

The classic way an n-gram and a neural language model are combined (Jelinek-Mercer
interpolation of whole models): the parts are fitted on the training text, then the weights
``lambda`` are chosen to maximise the likelihood of held-out text. That is a mixture model with
the component as the hidden variable, so EM fits it exactly and monotonically::

    E-step   r_kt = lambda_k p_k(w_t | h_t) / sum_j lambda_j p_j(w_t | h_t)
    M-step   lambda_k = mean_t r_kt

The mixture is itself a :class:`~seqlab.protocols.LanguageModel` (it only uses the protocol of its
parts), so perplexity, sampling, beam search, the Bayes classifier, ``seqlab compare`` and
save/load work on it unchanged. No torch is imported here: the parts bring their own.
"""

from __future__ import annotations

import importlib
import inspect
import math
from collections.abc import Iterable, Sequence
from typing import Any, Self

import numpy as np

from seqlab import io
from seqlab._validation import check_sequences
from seqlab.base import BaseModel
from seqlab.data.tokenize import tokenizer_from_json, tokenizer_to_json
from seqlab.exceptions import DataError, FormatError, InvalidParameterError
from seqlab.protocols import LanguageModelMixin, as_corpus

_PROTOCOL = ("token_log_probs", "next_log_probs", "begin", "advance")


def _is_lm(model: Any) -> bool:
    return all(callable(getattr(model, m, None)) for m in _PROTOCOL)


def _is_fitted(model: Any) -> bool:
    return getattr(model, "vocabulary_", None) is not None


def _mix(log_weights: np.ndarray, log_probs: np.ndarray) -> np.ndarray:
    """log sum_k exp(log_weights[k] + log_probs[k, ...]) over axis 0, -inf safe."""
    mixed: np.ndarray = np.logaddexp.reduce(log_weights.reshape((-1,) + (1,) * (log_probs.ndim - 1)) + log_probs,
                                            axis=0)
    return mixed


@io.register
class InterpolatedLM(LanguageModelMixin, BaseModel):
    """Linear interpolation of language models sharing one vocabulary.

    Parameters
    ----------
    models : list of LanguageModel
        The parts. :meth:`fit` fits clones of them on the training text; :meth:`fit_weights`
        uses already fitted ones as they are (e.g. an ``NGramLM`` and a trained ``NeuralLM``).
    weights : list of float or None, default=None
        Fixed mixture weights (normalised to sum to 1); None fits them by EM on held-out text.
    max_iter : int, default=100
        Most EM iterations.
    tol : float, default=1e-7
        Stop when the held-out mean log-likelihood per token improves by less than this.

    Attributes
    ----------
    models_ : list of LanguageModel
        The fitted parts, in the order of ``models``.
    weights_ : ndarray of shape (n_models,)
        The mixture weights.
    vocabulary_ : Vocabulary
        The shared vocabulary.
    em_history_ : list of float
        Held-out mean log-likelihood per token after each EM iteration (non-decreasing).

    Examples
    --------
    >>> from seqlab.ngram import NGramLM, Lidstone
    >>> train = [["a", "b", "a"], ["b", "a", "b", "b"]]
    >>> mix = InterpolatedLM([NGramLM(order=1, smoothing=Lidstone(1.0)), NGramLM(order=2, smoothing=Lidstone(0.1))])
    >>> mix = mix.fit(train, valid=[["a", "b"], ["b", "b", "a"]])
    >>> round(float(mix.weights_.sum()), 6)
    1.0
    >>> round(float(np.exp(mix.next_log_probs(["a"])).sum()), 6)
    1.0
    """

    tokenizer_: Any  # optional: how a str becomes tokens (saved with the mixture)

    _constraints = {
        "max_iter": (lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 1, "an int >= 1"),
        "tol": (lambda v: isinstance(v, int | float) and not isinstance(v, bool) and v >= 0, "a float >= 0"),
    }

    def __init__(self, models: Sequence[Any] = (), *, weights: Sequence[float] | None = None, max_iter: int = 100,
                 tol: float = 1e-7) -> None:
        self.models = models
        self.weights = weights
        self.max_iter = max_iter
        self.tol = tol

    @classmethod
    def _param_names(cls) -> list[str]:
        return sorted(["models", *super()._param_names()])

    # ------------------------------------------------------------------ checks
    def _check_models(self, models: Sequence[Any]) -> list[Any]:
        models = list(models)
        if len(models) < 1:
            raise InvalidParameterError("InterpolatedLM needs at least one language model in models, got none.")
        for i, m in enumerate(models):
            if not _is_lm(m):
                raise InvalidParameterError(
                    f"models[{i}] is a {type(m).__name__}, not a LanguageModel (it lacks one of {list(_PROTOCOL)}).")
        return models

    def _fixed_weights(self, k: int) -> np.ndarray | None:
        if self.weights is None:
            return None
        w = np.asarray(self.weights, dtype=np.float64).reshape(-1)
        if w.size != k or not np.all(np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
            raise InvalidParameterError(
                f"weights must be {k} non-negative numbers with a positive sum (one per model), got {self.weights!r}.")
        normalised: np.ndarray = w / w.sum()
        return normalised

    # ------------------------------------------------------------------ fitting
    def fit(self, sequences: Iterable[Sequence[str]], *, valid: Iterable[Sequence[str]] | None = None) -> Self:
        """Fit clones of the parts on ``sequences`` (one shared vocabulary), then the weights on ``valid``.

        Without ``valid``, every 10th sequence is held out: the parts are fitted on the rest
        and the weights on it (fitting weights on the parts' own training text would favour the
        part that memorises it most).
        """
        self._validate_params()
        templates = self._check_models(self.models)
        corpus = check_sequences(sequences)
        if valid is None and self.weights is None and len(templates) > 1:
            held = [s for i, s in enumerate(corpus) if i % 10 == 9]
            corpus = [s for i, s in enumerate(corpus) if i % 10 != 9]
            if not held or not corpus:
                raise DataError(f"InterpolatedLM.fit needs valid= text, or at least 10 training sequences to hold "
                                f"one out for the weights; got {len(corpus) + len(held)}.")
            valid = held
        parts: list[Any] = []
        vocabulary = None
        for template in templates:
            part = template.clone() if hasattr(template, "clone") else template
            kwargs: dict[str, Any] = {}
            params = inspect.signature(part.fit).parameters
            if vocabulary is not None and "vocabulary" in params:
                kwargs["vocabulary"] = vocabulary
            if valid is not None and "valid" in params:
                kwargs["valid"] = [list(s) for s in valid]
            part.fit(corpus, **kwargs)
            vocabulary = vocabulary if vocabulary is not None else part.vocabulary_
            parts.append(part)
        return self.fit_weights(valid if valid is not None else corpus, models=parts)

    def fit_weights(self, valid: Iterable[Sequence[str]], *, models: Sequence[Any] | None = None,
                    log: Any = None) -> Self:
        """Fit only the weights by EM on held-out ``valid`` text; the parts must be fitted already.

        Parameters
        ----------
        valid : list of token lists
            Held-out text (not the parts' training text).
        models : list of fitted LanguageModel, optional
            The parts to mix (default: ``self.models``, which must then be fitted).
        log : seqlab.train.log.MetricsLog, optional
            Receives one row per EM iteration (train_loss = held-out mean negative log-likelihood).
        """
        self._validate_params()
        parts = self._check_models(self.models if models is None else models)
        for i, m in enumerate(parts):
            if not _is_fitted(m):
                raise InvalidParameterError(f"models[{i}] ({type(m).__name__}) is not fitted; fit it first or "
                                            "call InterpolatedLM.fit(train, valid=...).")
        vocabulary = parts[0].vocabulary_
        for i, m in enumerate(parts[1:], 1):
            if m.vocabulary_ != vocabulary:
                raise DataError(
                    f"models[{i}] has a vocabulary of {len(m.vocabulary_)} tokens that differs from models[0]'s "
                    f"({len(vocabulary)}); fit every part with the same vocabulary (vocabulary=...).")
        held = check_sequences(valid, name="valid")
        fixed = self._fixed_weights(len(parts))
        self.models_, self.vocabulary_ = parts, vocabulary
        self.em_history_: list[float] = []
        if fixed is not None:
            self.weights_ = fixed
            return self
        lp = np.stack([np.asarray(m.token_log_probs(held)[0], dtype=np.float64) for m in parts])  # (K, T)
        self.weights_ = em_weights(lp, max_iter=self.max_iter, tol=self.tol, history=self.em_history_, log=log)
        return self

    # ------------------------------------------------------------------ protocol
    @property
    def _log_w(self) -> np.ndarray:
        with np.errstate(divide="ignore"):
            log_w: np.ndarray = np.log(self.weights_)
        return log_w

    def token_log_probs(self, corpus: Iterable[Sequence[str]]) -> tuple[np.ndarray, np.ndarray]:
        """Per-token ln p of every word and ``</s>`` under the mixture, with the OOV mask."""
        self._check_fitted()
        sentences = as_corpus(self, corpus)  # a str goes through tokenizer_, never read as characters
        outs = [m.token_log_probs(sentences) for m in self.models_]
        lp = np.stack([np.asarray(o[0], dtype=np.float64) for o in outs])  # (K, T)
        return _mix(self._log_w, lp), np.asarray(outs[0][1], dtype=bool)

    def begin(self, context: Sequence[str] = ()) -> tuple[np.ndarray, tuple[Any, ...]]:
        """Start decoding after ``<s> + context``: (next log-probs (V,), one state per part)."""
        self._check_fitted()
        starts = [m.begin(list(context)) for m in self.models_]
        return _mix(self._log_w, np.stack([s[0] for s in starts])), tuple(s[1] for s in starts)

    def advance(self, state: tuple[Any, ...], token_id: int) -> tuple[np.ndarray, tuple[Any, ...]]:
        """Feed one token id to every part's state (the states given are not modified)."""
        self._check_fitted()
        steps = [m.advance(s, token_id) for m, s in zip(self.models_, state, strict=True)]
        return _mix(self._log_w, np.stack([s[0] for s in steps])), tuple(s[1] for s in steps)

    # ------------------------------------------------------------------ persistence
    def _to_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """Each part's own state under ``parts``, its arrays prefixed ``part{k}.`` in one file."""
        self._check_fitted()
        parts, arrays = [], {"weights": np.asarray(self.weights_, dtype=np.float64)}
        for k, m in enumerate(self.models_):
            meta, part_arrays = m._to_state()
            manifest = io.make_manifest(m, meta, part_arrays)
            parts.append({key: manifest[key] for key in ("class", "module", "params", "state")})
            arrays.update({f"part{k}.{name}": a for name, a in part_arrays.items()})
        summary = {"parts": [p["class"] for p in parts], "weights": [float(w) for w in self.weights_]}
        return {"parts": parts, "em_history": list(self.em_history_), "summary": summary,
                "tokenizer": tokenizer_to_json(getattr(self, "tokenizer_", None))}, arrays

    def _manifest_params(self) -> dict[str, Any]:
        """The manifest leaves out the parts' templates: their fitted states are in ``state["parts"]``,
        each naming its class and module, so loading imports each part's family only when needed
        (a mixture with a neural part loads without importing torch first)."""
        return {k: v for k, v in self.get_params(deep=False).items() if k != "models"}

    @classmethod
    def _from_state(cls, params: dict[str, Any], state: dict[str, Any], arrays: dict[str, np.ndarray]) -> Self:
        parts = []
        for k, spec in enumerate(state["parts"]):
            part_cls = _registered_class(spec["class"], spec.get("module"))
            prefix = f"part{k}."
            part_arrays = {name[len(prefix):]: a for name, a in arrays.items() if name.startswith(prefix)}
            parts.append(part_cls._from_state(  # type: ignore[attr-defined]  # every registered model defines it
                io.from_json(spec["params"]), spec["state"], part_arrays))
        obj = cls(**{k: v for k, v in params.items() if k != "models"})
        obj.models = [p.clone() if hasattr(p, "clone") else p for p in parts]  # unfitted templates, as fit expects
        obj.models_ = parts
        obj.vocabulary_ = parts[0].vocabulary_
        obj.weights_ = np.asarray(arrays["weights"], dtype=np.float64)
        obj.em_history_ = [float(v) for v in state.get("em_history", [])]
        if isinstance(state.get("tokenizer"), dict):
            obj.tokenizer_ = tokenizer_from_json(state["tokenizer"])
        if obj.weights_.shape != (len(parts),):
            raise FormatError(f"weights has shape {obj.weights_.shape}, expected ({len(parts)},) "
                              f"for {len(parts)} parts.")
        return obj

    @classmethod
    def _test_params(cls) -> dict[str, Any]:
        from seqlab.ngram import Lidstone, NGramLM

        return {"models": [NGramLM(order=1, smoothing=Lidstone(1.0)), NGramLM(order=2, smoothing=Lidstone(0.5))]}

    @classmethod
    def _test_data(cls) -> list[list[str]]:
        return [["a", "b", "c"], ["a", "c"], ["b", "a", "c", "b"]] * 4


def _registered_class(name: str, module: str | None) -> type:
    cls = io.registered().get(name)
    if cls is None and isinstance(module, str) and module.startswith("seqlab."):
        try:  # importing a seqlab module registers its classes; nothing outside seqlab is imported
            importlib.import_module(module)
        except ImportError:
            pass
        cls = io.registered().get(name)
    if cls is None:
        raise FormatError(f"Unknown model class {name!r} in an InterpolatedLM part; known: {sorted(io.registered())}.")
    return cls


def em_weights(log_probs: np.ndarray, *, max_iter: int = 100, tol: float = 1e-7, history: list[float] | None = None,
               log: Any = None) -> np.ndarray:
    """Mixture weights maximising ``mean_t log sum_k w_k exp(log_probs[k, t])`` by EM.

    Parameters
    ----------
    log_probs : ndarray of shape (n_models, n_tokens)
        ln p_k of every held-out token under every part.
    history : list, optional
        Receives the mean log-likelihood per token after each iteration (non-decreasing).
    log : MetricsLog, optional
        One row per iteration.

    Returns
    -------
    ndarray of shape (n_models,)
    """
    lp = np.asarray(log_probs, dtype=np.float64)
    if lp.ndim != 2 or lp.shape[1] == 0:
        raise DataError(f"log_probs must be (n_models, n_tokens) with tokens; got shape {lp.shape}.")
    k = lp.shape[0]
    w = np.full(k, 1.0 / k)
    prev = -math.inf
    for it in range(1, max_iter + 1):
        with np.errstate(divide="ignore"):
            joint = np.log(w)[:, None] + lp  # (K, T): ln w_k p_k(t)
        total = np.logaddexp.reduce(joint, axis=0)  # (T,): ln p(t)
        ok = np.isfinite(total)
        ll = float(total[ok].mean()) if ok.any() else -math.inf
        if not ok.any():
            raise DataError("every held-out token has probability 0 under every part; the weights cannot be fitted.")
        resp = np.exp(joint[:, ok] - total[ok])  # (K, T'): responsibilities
        w = resp.mean(axis=1)
        w = w / w.sum()
        if history is not None:
            history.append(ll)
        if log is not None:
            log.write(step=it, train_loss=-ll)
        if ll - prev < tol:
            break
        prev = ll
    return np.asarray(w)
