"""``BayesSequenceClassifier``: one language model per class and Bayes' rule.

Documents 000 (slides 23-27) and 002: to classify a whole sequence, fit a language model on
the sequences of each class and pick the class with the largest posterior

    log p(c | x) = log p(x | c) + log p(c) - log p(x),

where ``log p(x | c)`` is the class model's chain-rule log-likelihood of the sequence
(natural logs throughout, normalised with log-sum-exp so long sequences never underflow).
With an order-1 n-gram model (a 0th-order Markov chain) this is multinomial naive Bayes.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from itertools import chain, repeat
from typing import Any, Self

import numpy as np

from seqlab import io
from seqlab._validation import check_same_length, check_sequences
from seqlab.base import BaseModel
from seqlab.data.tokenize import Tokenizer, tokenizer_from_json, tokenizer_to_json
from seqlab.data.vocab import EOS_ID, SPECIALS, UNK_ID, Vocabulary
from seqlab.exceptions import DataError, FormatError, InvalidParameterError
from seqlab.ngram import Lidstone, NGramLM  # also registers the default class model for loading
from seqlab.protocols import LanguageModel, as_corpus

PRIORS = ("empirical", "uniform")
OOV_RULES = ("unk", "ignore")


def default_lm() -> LanguageModel:
    """The default class-model template: ``NGramLM(order=2, smoothing=Lidstone(0.1))``."""
    return NGramLM(order=2, smoothing=Lidstone(0.1))


def _is_lm(value: Any) -> bool:
    return value is None or all(callable(getattr(value, m, None)) for m in ("fit", "token_log_probs", "get_params"))


@io.register
class BayesSequenceClassifier(BaseModel):
    """Generative sequence classifier: a language model per class, combined by Bayes' rule.

    Parameters
    ----------
    lm : LanguageModel, default=None
        Unfitted language model used as a template: it is cloned and fitted once per class.
        Any estimator implementing :class:`~seqlab.protocols.LanguageModel` with
        ``get_params``/``set_params`` and a ``vocabulary`` hyperparameter (a fixed
        vocabulary) works. ``None`` means ``NGramLM(order=2, smoothing=Lidstone(0.1))``.
    prior : {"empirical", "uniform"}, default="empirical"
        ``p(c)``: class frequencies in the training data, or ``1 / n_classes``.
    oov : {"unk", "ignore"}, default="unk"
        Tokens outside the shared training vocabulary: ``"unk"`` scores them as ``<unk>`` in
        every class model (an unseen word is then evidence only through how much smoothing
        mass each class model gives ``<unk>``); ``"ignore"`` drops them before scoring, as
        scikit-learn's ``CountVectorizer`` does, so an unseen word is no evidence at all and a
        sequence of unseen words only gets the prior (plus the ``</s>`` factor when
        ``boundaries=True``). Special tokens typed in a text (``"<s>"``, ``"</s>"``, ...) are
        unknown words, never boundaries.
    boundaries : bool, default=True
        Whether the sequence boundaries are modelled: with ``True`` the first tokens are
        conditioned on ``<s>`` and ``p(</s> | history)`` is a factor of ``p(x | c)``, so the
        class models also judge where sequences start and end (and their lengths). With
        ``False`` the ``</s>`` factor is left out and, for order-1 (context-free) models,
        each class distribution is renormalised over the tokens that can be scored
        (without ``</s>``, and without ``<unk>`` when ``oov="ignore"``): ``p(x | c, length)``.
        With an order-1 n-gram model, ``Lidstone(alpha)``, ``oov="ignore"`` and
        ``boundaries=False`` the classifier is exactly multinomial naive Bayes (scikit-learn's
        ``MultinomialNB(alpha)`` on bag-of-words counts). For higher orders the protocol's
        ``<s>`` context is kept and only the ``</s>`` factor is dropped.
    length_normalize : bool, default=False
        Score each class by ``log p(c) + log p(x | c) / T`` (``T`` = number of scored
        tokens, the per-token log-likelihood) instead of the Bayes rule ``log p(c) + log p(x | c)``.

    Notes
    -----
    *Which score to use.* The plain Bayes rule is the right posterior when the class models
    are right; it is what document 000 derives. Its evidence grows linearly with length, so
    on long messages (hundreds of tokens) the posterior is almost always 0 or 1 and the prior
    stops mattering: the Markov assumption counts correlated tokens as independent evidence
    and the probabilities are over-confident. ``length_normalize=True`` tempers the
    likelihood by ``1 / T``: ``p(c | x) ∝ p(c) p(x | c)^(1/T)``, as if a sequence were one
    observation whatever its length. Use it when documents differ greatly in length and
    you need usable probabilities (thresholds, log loss, ranking across documents) or want
    the prior to keep its weight. With a uniform prior both rules predict the same labels
    (dividing by ``T > 0`` does not change the arg-max); only the probabilities differ.
    "Short documents are vastly more likely than long ones" (document 000) does not bias
    the decision: every class model scores the same sequence.

    *Shared vocabulary.* All class models are fitted with one vocabulary, the union of the
    training tokens, so that ``log p(x | c)`` of different classes are comparable: a token
    seen only in spam is a known (smoothed) token for the ham model, not an ``<unk>``.

    *Unseen labels.* ``predict`` returns only labels seen in ``fit``; ``score`` counts a
    true label never seen in training as an error (as scikit-learn does).

    If every class model gives a sequence probability zero (unsmoothed models), its
    posterior falls back to the prior.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Sorted class labels.
    class_count_ : ndarray of shape (n_classes,)
        Training sequences per class.
    class_log_prior_ : ndarray of shape (n_classes,)
        ``log p(c)`` used for prediction.
    vocabulary_ : Vocabulary
        The shared vocabulary: the union of the training tokens, in sorted order.
    models_ : list of LanguageModel
        The fitted class models, in the order of ``classes_``.
    tokenizer_ : Tokenizer, optional
        Set it (before or after ``fit``) to pass texts as str: each is split by it, and it is
        saved with the model. Without it a str text is a ``DataError``, never characters.

    Examples
    --------
    >>> from seqlab.classify import BayesSequenceClassifier
    >>> X = [["win", "cash", "now"], ["cash", "prize"], ["see", "you", "at", "lunch"], ["lunch", "now"]]
    >>> clf = BayesSequenceClassifier().fit(X, ["spam", "spam", "ham", "ham"])
    >>> clf.predict([["cash", "now"]]).tolist()
    ['spam']
    """

    _constraints = {
        "lm": (_is_lm, "None or an unfitted LanguageModel with get_params (e.g. NGramLM(order=2))"),
        "prior": (lambda v: v in PRIORS, f"one of {PRIORS}"),
        "oov": (lambda v: v in OOV_RULES, f"one of {OOV_RULES}"),
        "boundaries": (lambda v: isinstance(v, bool), "a bool"),
        "length_normalize": (lambda v: isinstance(v, bool), "a bool"),
    }
    _estimator_type = "classifier"  # scikit-learn < 1.6 reads this
    classes_: np.ndarray
    class_count_: np.ndarray
    class_log_prior_: np.ndarray
    vocabulary_: Vocabulary
    models_: list[Any]

    tokenizer_: Tokenizer  # optional: how a str text becomes tokens (set it, or the command line does)

    def __init__(self, *, lm: LanguageModel | None = None, prior: str = "empirical", oov: str = "unk",
                 boundaries: bool = True, length_normalize: bool = False) -> None:
        self.lm = lm
        self.prior = prior
        self.oov = oov
        self.boundaries = boundaries
        self.length_normalize = length_normalize

    # ------------------------------------------------------------------ scikit-learn glue
    def __sklearn_tags__(self) -> Any:
        """Tags for scikit-learn >= 1.6 (imported lazily: scikit-learn is not a dependency)."""
        from sklearn.utils import ClassifierTags, InputTags, Tags, TargetTags

        return Tags(estimator_type="classifier", target_tags=TargetTags(required=True),
                    classifier_tags=ClassifierTags(), input_tags=InputTags(two_d_array=False, string=True))

    def set_params(self, **params: Any) -> Self:
        """Set hyperparameters; ``lm__name=value`` sets a parameter of (a copy of) the LM template."""
        nested = {k[4:]: v for k, v in params.items() if k.startswith("lm__")}
        if nested:
            template = _clone(self.lm if self.lm is not None else default_lm())
            self.lm = template.set_params(**nested)
        return super().set_params(**{k: v for k, v in params.items() if not k.startswith("lm__")})

    # ------------------------------------------------------------------ fitting
    def fit(self, sequences: Sequence[Sequence[str]], labels: Sequence[Any]) -> Self:
        """Fit one class model per label on that label's sequences, over a shared vocabulary.

        Raises
        ------
        DataError
            ``sequences`` and ``labels`` differ in length, a sequence is empty, or fewer than
            two classes are present.
        """
        self._validate_params()
        seqs = _token_lists(sequences, allow_empty=False, model=self)
        y = _check_labels(labels)
        check_same_length(seqs, list(y), ("sequences", "labels"))
        empty = next((i for i, s in enumerate(seqs) if not s), None)
        if empty is not None:
            raise DataError(f"sequences[{empty}] is empty; every training sequence needs at least one token "
                            "(drop empty texts before fitting).")
        classes, codes = np.unique(y, return_inverse=True)
        if len(classes) < 2:
            raise DataError(f"labels hold a single class ({classes[0]!r}); a classifier needs at least two.")
        template = self.lm if self.lm is not None else default_lm()
        vocabulary = Vocabulary(sorted(set().union(*seqs) - set(SPECIALS)))  # the union, in sorted order
        models = []
        for c in range(len(classes)):
            members = [seqs[i] for i in np.flatnonzero(codes == c)]
            models.append(_fit_with_vocabulary(template, members, vocabulary))
        counts = np.bincount(codes, minlength=len(classes)).astype(np.int64)
        self.classes_ = classes
        self.class_count_ = counts
        self.class_log_prior_ = self._log_prior(counts)
        self.vocabulary_ = vocabulary
        self.models_ = models
        return self

    def _log_prior(self, counts: np.ndarray) -> np.ndarray:
        if self.prior == "uniform":
            return np.full(len(counts), -np.log(len(counts)))
        out: np.ndarray = np.log(counts) - np.log(counts.sum())
        return out

    # ------------------------------------------------------------------ scoring
    def log_likelihoods(self, sequences: Sequence[Sequence[str]]) -> np.ndarray:
        """``log p(x | c)`` of each sequence under each class model (after the ``oov`` rule).

        Returns
        -------
        ndarray of shape (n_sequences, n_classes)
            Natural logs; with ``boundaries=False`` the ``</s>`` factor is left out.
        """
        ll, _ = self._log_likelihoods(sequences)
        return ll

    def _log_likelihoods(self, sequences: Sequence[Sequence[str]]) -> tuple[np.ndarray, np.ndarray]:
        self._check_fitted()
        seqs = _token_lists(sequences, allow_empty=True, model=self)
        if self.oov == "ignore":  # keep ordinary vocabulary tokens (ids >= 4); literal specials go too
            get = self.vocabulary_.stoi.get
            seqs = [[t for t in s if get(t, 0) >= len(SPECIALS)] for s in seqs]
        lengths = np.fromiter(map(len, seqs), dtype=np.int64, count=len(seqs))
        n_scored = lengths + 1 if self.boundaries else lengths
        ll = np.empty((len(seqs), len(self.models_)))
        if len(seqs) == 0:
            return ll, n_scored
        ids = None
        for c, model in enumerate(self.models_):
            if _is_context_free(model):
                if ids is None:
                    ids = self._encode(seqs)
                ll[:, c] = self._unigram_scores(model, ids, lengths)
                continue
            if _scores_shared_ids(model, self.vocabulary_):
                if ids is None:  # encode once for every class model, not once per class
                    ids = self._encode(seqs)
                log_probs, _ = model.token_log_probs_ids(ids, lengths)
            else:
                log_probs, _ = model.token_log_probs(seqs)
            ll[:, c] = self._chain_scores(np.asarray(log_probs, dtype=np.float64), type(model).__name__, lengths)
        return ll, n_scored

    def _encode(self, seqs: list[list[str]]) -> np.ndarray:
        """Shared-vocabulary ids of all tokens, concatenated (unknown tokens and literal specials -> ``<unk>``)."""
        flat = list(chain.from_iterable(seqs))
        ids = np.fromiter(map(self.vocabulary_.stoi.get, flat, repeat(UNK_ID)), dtype=np.int64, count=len(flat))
        ids[ids < len(SPECIALS)] = UNK_ID  # "<s>" typed in a text is a word the models never saw, not a boundary
        return ids

    def _unigram_scores(self, model: Any, ids: np.ndarray, lengths: np.ndarray) -> np.ndarray:
        """Bag-of-words fast path for context-free (order-1) models: one look-up per token."""
        table: np.ndarray = np.asarray(model.next_log_probs(()), dtype=np.float64)
        table = table[model.vocabulary_.encode(self.vocabulary_.itos)]  # re-index by shared ids
        doc = np.repeat(np.arange(len(lengths)), lengths)
        scores: np.ndarray = np.bincount(doc, weights=table[ids], minlength=len(lengths))
        if self.boundaries:
            return scores + float(table[EOS_ID])
        allowed = np.zeros(len(table), dtype=bool)
        allowed[len(SPECIALS):] = True
        allowed[UNK_ID] = self.oov == "unk"
        out: np.ndarray = scores - lengths * _logsumexp(table[allowed])
        return out

    def _chain_scores(self, log_probs: np.ndarray, model_name: str, lengths: np.ndarray) -> np.ndarray:
        """Chain-rule log-likelihood of every sequence from the flat per-token log-probabilities."""
        per_seq = lengths + 1
        if log_probs.shape != (int(per_seq.sum()),):
            raise FormatError(f"{model_name}.token_log_probs returned {log_probs.shape[0]} values for "
                              f"{int(per_seq.sum())} tokens; it must give one per token plus one </s> per sequence.")
        doc = np.repeat(np.arange(len(lengths)), per_seq)
        out: np.ndarray
        if not self.boundaries:
            keep = np.ones(log_probs.size, dtype=bool)
            keep[np.cumsum(per_seq) - 1] = False  # the </s> entry closing each sequence
            out = np.bincount(doc[keep], weights=log_probs[keep], minlength=len(lengths))
        else:
            out = np.bincount(doc, weights=log_probs, minlength=len(lengths))
        return out

    def joint_log_likelihood(self, sequences: Sequence[Sequence[str]]) -> np.ndarray:
        """Unnormalised log posterior ``log p(c) + log p(x | c)`` (or its per-token version).

        Returns
        -------
        ndarray of shape (n_sequences, n_classes)
        """
        ll, n_scored = self._log_likelihoods(sequences)
        if self.length_normalize:
            ll = ll / np.maximum(n_scored, 1)[:, None]
        joint: np.ndarray = ll + self.class_log_prior_
        dead = ~np.isfinite(joint).any(axis=1)  # every class says probability 0
        joint[dead] = self.class_log_prior_
        return joint

    def predict_log_proba(self, sequences: Sequence[Sequence[str]]) -> np.ndarray:
        """``log p(c | x)``, normalised with log-sum-exp: ndarray of shape (n_sequences, n_classes)."""
        joint = self.joint_log_likelihood(sequences)
        out: np.ndarray = joint - _logsumexp(joint, axis=1)[:, None]
        return out

    def predict_proba(self, sequences: Sequence[Sequence[str]]) -> np.ndarray:
        """``p(c | x)``; each row sums to 1. ndarray of shape (n_sequences, n_classes)."""
        out: np.ndarray = np.exp(self.predict_log_proba(sequences))
        return out

    def predict(self, sequences: Sequence[Sequence[str]]) -> np.ndarray:
        """The most probable class of each sequence: ndarray of shape (n_sequences,)."""
        joint = self.joint_log_likelihood(sequences)
        out: np.ndarray = self.classes_[np.argmax(joint, axis=1)]
        return out

    def score(self, sequences: Sequence[Sequence[str]], labels: Sequence[Any]) -> float:
        """Accuracy of ``predict(sequences)`` against ``labels`` (higher is better)."""
        y = _check_labels(labels)
        pred = self.predict(sequences)
        check_same_length(list(pred), list(y), ("sequences", "labels"))
        return float(np.mean(pred == y))

    # ------------------------------------------------------------------ persistence
    def _to_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        self._check_fitted()
        arrays: dict[str, np.ndarray] = {}
        models = []
        for c, model in enumerate(self.models_):
            meta, arrs = model._to_state()
            models.append({"class": type(model).__name__, "module": type(model).__module__, "state": meta})
            arrays.update({f"class{c}.{name}": arr for name, arr in arrs.items()})
        state = {
            "classes": self.classes_.tolist(),
            "class_count": self.class_count_.tolist(),
            "vocabulary": self.vocabulary_.to_json(),
            "models": models,
            "tokenizer": tokenizer_to_json(getattr(self, "tokenizer_", None)),
            "summary": {"classes": len(self.classes_), "vocabulary": len(self.vocabulary_),
                        "class model": type(self.models_[0]).__name__},
        }
        return state, arrays

    @classmethod
    def _from_state(cls, params: dict[str, Any], state: dict[str, Any], arrays: dict[str, np.ndarray]) -> Self:
        obj = cls(**params)
        template = obj.lm if obj.lm is not None else default_lm()
        template_params = template.get_params(deep=False)  # type: ignore[attr-defined]
        models = []
        for c, entry in enumerate(state["models"]):
            model_cls = type(template)
            if entry["class"] != model_cls.__name__:
                raise FormatError(f"class model {c} is a {entry['class']}, but the template lm is a "
                                  f"{model_cls.__name__}; the manifest is inconsistent.")
            prefix = f"class{c}."
            own = {k[len(prefix):]: v for k, v in arrays.items() if k.startswith(prefix)}
            models.append(model_cls._from_state(template_params, entry["state"], own))  # type: ignore[attr-defined]
        classes = np.asarray(state["classes"])
        if len(models) != len(classes):
            raise FormatError(f"the manifest lists {len(classes)} classes but {len(models)} class models.")
        obj.classes_ = classes
        obj.class_count_ = np.asarray(state["class_count"], dtype=np.int64)
        obj.class_log_prior_ = obj._log_prior(obj.class_count_)
        obj.vocabulary_ = Vocabulary.from_json(state["vocabulary"])
        obj.models_ = models
        if isinstance(state.get("tokenizer"), dict):
            obj.tokenizer_ = tokenizer_from_json(state["tokenizer"])
        return obj

    # ------------------------------------------------------------------ conformance suite
    @classmethod
    def _test_params(cls) -> dict[str, Any]:
        return {"prior": "uniform"}

    @classmethod
    def _test_data(cls) -> tuple[list[list[str]], list[str]]:
        """A tiny training set ``(sequences, labels)``."""
        sequences = [["win", "cash", "now"], ["cash", "prize", "now"], ["lunch", "at", "noon"], ["see", "you", "at"]]
        return sequences, ["spam", "spam", "ham", "ham"]


# ---------------------------------------------------------------------- helpers
def _check_labels(labels: Any) -> np.ndarray:
    if isinstance(labels, str | bytes):
        raise DataError("labels must be a sequence of labels, one per sequence, got a single str.")
    y = np.asarray(list(labels) if not isinstance(labels, np.ndarray) else labels)
    if y.ndim != 1:
        raise DataError(f"labels must be a 1-D sequence (one label per sequence), got shape {y.shape}.")
    return y


def _clone(lm: Any) -> Any:
    if callable(getattr(lm, "clone", None)):
        return lm.clone()
    return type(lm)(**lm.get_params(deep=False))


def _fit_with_vocabulary(template: Any, sequences: list[list[str]], vocabulary: Vocabulary) -> Any:
    """Clone ``template`` and fit it on ``sequences`` over the fixed ``vocabulary``."""
    model = _clone(template)
    if "vocabulary" in model.get_params():
        model.set_params(vocabulary=vocabulary)
        model.fit(sequences)
    elif "vocabulary" in inspect.signature(model.fit).parameters:
        model.fit(sequences, vocabulary=vocabulary)
    else:
        raise InvalidParameterError(
            f"{type(model).__name__} cannot be given a fixed vocabulary (no 'vocabulary' parameter); the class "
            "models of a Bayes classifier must share one. Use a LanguageModel that accepts vocabulary=.")
    if set(model.vocabulary_.itos) != set(vocabulary.itos):
        raise InvalidParameterError(f"{type(model).__name__} did not keep the shared vocabulary it was given "
                                    f"({len(model.vocabulary_)} vs {len(vocabulary)} tokens).")
    return model


def _token_lists(sequences: Any, *, allow_empty: bool, model: Any = None) -> list[list[str]]:
    """``sequences`` as token lists: a list of lists of str passes as is (no per-token copy), a str
    text goes through ``model.tokenizer_`` or is refused (:func:`~seqlab.protocols.as_tokens`), else
    :func:`~seqlab._validation.check_sequences` converts it or raises its clear error."""
    if (isinstance(sequences, list) and all(type(s) is list for s in sequences)
            and set(map(type, chain.from_iterable(sequences))) <= {str} and (allow_empty or any(sequences))):
        return sequences
    if isinstance(sequences, list | tuple) and any(isinstance(s, str) for s in sequences):
        sequences = as_corpus(model, sequences, "sequences")  # texts: the saved tokenizer, never characters
    return check_sequences(sequences, allow_empty=allow_empty)


def _scores_shared_ids(model: Any, vocabulary: Vocabulary) -> bool:
    """True for n-gram models over ``vocabulary``: they can score ids encoded once for all classes.

    Uses ``NGramLM.token_log_probs_ids`` (any other LanguageModel goes through the protocol's
    ``token_log_probs``), which saves re-encoding the corpus for every class.
    """
    return isinstance(model, NGramLM) and model.vocabulary_ == vocabulary


def _is_context_free(model: Any) -> bool:
    """True for order-1 n-gram models, whose next-token distribution ignores the history."""
    return getattr(model, "order", None) == 1 and callable(getattr(model, "next_log_probs", None))


def _logsumexp(a: np.ndarray, axis: int | None = None) -> np.ndarray:
    m = np.max(a, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)
    with np.errstate(divide="ignore"):
        out = np.log(np.sum(np.exp(a - m), axis=axis, keepdims=True)) + m
    result: np.ndarray = out.squeeze(axis=axis) if axis is not None else out.reshape(())
    return result
