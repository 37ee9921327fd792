"""The SequenceClassifier contract, tested once over every class that claims it (issue 10).

scikit-learn's classifier contract over lists of token sequences: ``fit``, ``predict``,
``predict_proba``, ``predict_log_proba``, ``score`` (accuracy), ``classes_``; texts given as
str go through the model's ``tokenizer_`` or are refused, never read as characters.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import numpy as np
import pytest

import seqlab
from seqlab import io
from seqlab.base import BaseModel
from seqlab.data.tokenize import WhitespaceTokenizer
from seqlab.exceptions import DataError, NotFittedError
from seqlab.protocols import SequenceClassifier


def _import_all() -> None:
    for mod in pkgutil.walk_packages(seqlab.__path__, "seqlab."):
        if ".cli" not in mod.name and "__main__" not in mod.name:
            try:
                importlib.import_module(mod.name)
            except ImportError:
                pass


_import_all()
CLASSIFIERS = sorted(
    (c for c in io.registered().values()
     if inspect.isclass(c) and issubclass(c, BaseModel) and hasattr(c, "_test_params")
     and all(callable(getattr(c, m, None)) for m in ("predict", "predict_proba", "score"))
     and not hasattr(c, "update")  # forecasters predict a horizon, not classes
     and "labels" in inspect.signature(c.fit).parameters),
    key=lambda c: c.__name__)

TRAIN = ([s.split() for s in ("win cash now", "cash prize now", "free cash win", "lunch at noon",
                              "see you at noon", "lunch with you")],
         ["spam", "spam", "spam", "ham", "ham", "ham"])
TEST = ([s.split() for s in ("cash now", "see you at lunch", "unknown words", "")], ["spam", "ham", "ham", "ham"])


def test_every_classifier_is_checked():
    assert "BayesSequenceClassifier" in {c.__name__ for c in CLASSIFIERS}


@pytest.fixture(params=CLASSIFIERS, ids=lambda c: c.__name__)
def fitted(request):
    cls = request.param
    model = cls(**cls._test_params())
    with pytest.raises(NotFittedError):
        model.predict(TEST[0])
    assert model.fit(*TRAIN) is model
    return model


def test_is_a_sequence_classifier(fitted):
    assert isinstance(fitted, SequenceClassifier)
    assert fitted.classes_.tolist() == ["ham", "spam"]


def test_probabilities_and_predictions_agree(fitted):
    proba = fitted.predict_proba(TEST[0])
    assert proba.shape == (len(TEST[0]), len(fitted.classes_))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-12)
    np.testing.assert_allclose(np.exp(fitted.predict_log_proba(TEST[0])), proba, atol=1e-12)
    np.testing.assert_array_equal(fitted.predict(TEST[0]), fitted.classes_[np.argmax(proba, axis=1)])


def test_score_is_accuracy(fitted):
    pred = fitted.predict(TEST[0])
    assert fitted.score(*TEST) == pytest.approx(np.mean(pred == np.asarray(TEST[1])))
    assert fitted.score(TRAIN[0], TRAIN[1]) == 1.0


def test_save_load_gives_the_same_probabilities(fitted, tmp_path):
    back = io.load(fitted.save(tmp_path / "m"))
    np.testing.assert_allclose(back.predict_proba(TEST[0]), fitted.predict_proba(TEST[0]), rtol=1e-12, atol=0)


def test_texts_without_a_tokenizer_are_refused(fitted):
    with pytest.raises(DataError, match="tokenizer"):
        fitted.predict(["cash now", "see you"])
    with pytest.raises(DataError, match="single str"):
        fitted.predict("cash now")


def test_texts_go_through_the_saved_tokenizer(fitted, tmp_path):
    fitted.tokenizer_ = WhitespaceTokenizer()
    texts = [" ".join(s) for s in TEST[0]]
    np.testing.assert_allclose(fitted.predict_proba(texts), fitted.predict_proba(TEST[0]), atol=1e-12)
    assert fitted.score(texts, TEST[1]) == fitted.score(*TEST)
    back = io.load(fitted.save(tmp_path / "m"))
    assert back.tokenizer_ == WhitespaceTokenizer()
    np.testing.assert_array_equal(back.predict(texts), fitted.predict(TEST[0]))
