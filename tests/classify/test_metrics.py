"""Classification metrics and stratified splits: hand-worked values, scikit-learn parity, properties."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from seqlab.evaluate import (
    accuracy,
    classification_report,
    confusion_matrix,
    f1_score,
    log_loss,
    precision_recall_f1,
    stratified_kfold,
    stratified_split,
)
from seqlab.exceptions import DataError, InvalidParameterError

labels_st = st.lists(st.sampled_from(["ham", "spam", "eggs"]), min_size=1, max_size=40)


def test_hand_worked_binary():
    # true:  s s s h h ; pred: s s h h s
    # spam: TP=2 FP=1 FN=1 -> P=2/3 R=2/3 F1=2/3 ; ham: TP=1 FP=1 FN=1 -> P=R=F1=1/2
    t = ["s", "s", "s", "h", "h"]
    p = ["s", "s", "h", "h", "s"]
    assert accuracy(t, p) == pytest.approx(3 / 5)
    prec, rec, f1, sup = precision_recall_f1(t, p)  # labels sorted: h, s
    assert prec == pytest.approx([1 / 2, 2 / 3]) and rec == pytest.approx([1 / 2, 2 / 3])
    assert f1 == pytest.approx([1 / 2, 2 / 3]) and sup.tolist() == [2, 3]
    assert f1_score(t, p) == pytest.approx((1 / 2 + 2 / 3) / 2)
    assert f1_score(t, p, average="micro") == pytest.approx(3 / 5)
    assert confusion_matrix(t, p).tolist() == [[1, 1], [1, 2]]


def test_class_never_predicted_has_zero_precision_not_nan():
    prec, rec, f1, _ = precision_recall_f1(["a", "b"], ["a", "a"])
    assert prec.tolist() == [0.5, 0.0] and rec.tolist() == [1.0, 0.0] and f1[1] == 0.0


def test_log_loss_hand_worked():
    # -(ln 0.8 + ln 0.25) / 2
    assert log_loss(["a", "b"], [[0.8, 0.2], [0.75, 0.25]]) == pytest.approx(-(np.log(0.8) + np.log(0.25)) / 2)


@pytest.mark.reference
@pytest.mark.filterwarnings("ignore:A single label was found")
@given(t=labels_st, data=st.data())
def test_metrics_match_scikit_learn(t, data):
    m = pytest.importorskip("sklearn.metrics")
    p = data.draw(st.lists(st.sampled_from(["ham", "spam", "eggs"]), min_size=len(t), max_size=len(t)))
    labs = sorted(set(t) | set(p))
    assert accuracy(t, p) == pytest.approx(m.accuracy_score(t, p), abs=1e-12)
    ref = m.precision_recall_fscore_support(t, p, labels=labs, zero_division=0)
    ours = precision_recall_f1(t, p)
    for a, b in zip(ours, ref, strict=True):
        np.testing.assert_allclose(a, b, atol=1e-12)
    assert f1_score(t, p) == pytest.approx(m.f1_score(t, p, average="macro", zero_division=0), abs=1e-12)
    assert f1_score(t, p, average="micro") == pytest.approx(m.f1_score(t, p, average="micro", zero_division=0),
                                                            abs=1e-12)
    np.testing.assert_array_equal(confusion_matrix(t, p), m.confusion_matrix(t, p, labels=labs))


@pytest.mark.reference
def test_log_loss_matches_scikit_learn(rng):
    m = pytest.importorskip("sklearn.metrics")
    t = rng.choice(["a", "b", "c"], size=50)
    proba = rng.dirichlet(np.ones(3), size=50)
    proba[0] = [1.0, 0.0, 0.0]  # exercises the clipping
    assert log_loss(t, proba, labels=["a", "b", "c"]) == pytest.approx(
        m.log_loss(t, proba, labels=["a", "b", "c"]), rel=1e-12)


def test_report_table_and_dict():
    rep = classification_report(["a", "a", "b"], ["a", "b", "b"], proba=[[0.9, 0.1], [0.4, 0.6], [0.2, 0.8]])
    d = rep.to_dict()
    assert d["accuracy"] == pytest.approx(2 / 3) and set(d["per_class"]) == {"a", "b"}
    assert d["per_class"]["a"]["support"] == 2 and d["confusion"] == [[1, 1], [0, 1]]
    text = str(rep)
    assert "macro avg" in text and "precision" in text and "log loss" in text


def test_bad_inputs():
    with pytest.raises(DataError, match="same length"):
        accuracy(["a"], ["a", "b"])
    with pytest.raises(DataError, match="empty"):
        accuracy([], [])
    with pytest.raises(InvalidParameterError):
        f1_score(["a"], ["a"], average="weighted")
    with pytest.raises(DataError, match="not among the classes"):
        log_loss(["z"], [[0.5, 0.5]], labels=["a", "b"])
    with pytest.raises(InvalidParameterError):
        stratified_split(["a", "b"], test_size=1.5)
    with pytest.raises(DataError):
        list(stratified_kfold(["a", "b"], n_splits=3))


@given(y=st.lists(st.sampled_from("abc"), min_size=2, max_size=80), k=st.integers(2, 5), seed=st.integers(0, 9))
def test_kfold_partitions_and_stratifies(y, k, seed):
    if k > len(y):
        k = len(y)
    y_arr = np.array(y)
    seen = np.zeros(len(y), dtype=int)
    folds = list(stratified_kfold(y, n_splits=k, random_state=seed))
    assert len(folds) == k
    for train, test in folds:
        assert np.intersect1d(train, test).size == 0 and len(train) + len(test) == len(y)
        seen[test] += 1
        for c in set(y):
            n_c = int((y_arr == c).sum())
            assert n_c // k <= int((y_arr[test] == c).sum()) <= -(-n_c // k)
    assert (seen == 1).all()


@given(y=st.lists(st.sampled_from("abc"), min_size=1, max_size=80), frac=st.floats(0.05, 0.95), seed=st.integers(0, 9))
def test_holdout_is_stratified_and_deterministic(y, frac, seed):
    y_arr = np.array(y)
    train, test = stratified_split(y, test_size=frac, random_state=seed)
    assert sorted(np.concatenate([train, test]).tolist()) == list(range(len(y)))
    for c in set(y):
        n_c = int((y_arr == c).sum())
        n_test = int((y_arr[test] == c).sum())
        assert n_test < n_c or n_c == 0  # every class keeps a training example
        if n_c >= 2:
            assert n_test >= 1 and abs(n_test - frac * n_c) <= max(1.0, 0.5 + 1e-9)
    again = stratified_split(y, test_size=frac, random_state=seed)
    assert np.array_equal(again[0], train) and np.array_equal(again[1], test)
