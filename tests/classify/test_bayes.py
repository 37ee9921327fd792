"""BayesSequenceClassifier: naive-Bayes parity, brute-force Bayes rule, invariants, sklearn tools, save/load."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from seqlab.classify import BayesSequenceClassifier
from seqlab.exceptions import DataError, InvalidParameterError, NotFittedError


def _ngram(order: int, alpha: float):
    ngram = pytest.importorskip("seqlab.ngram")
    return ngram.NGramLM(order=order, smoothing=ngram.Lidstone(alpha))




def make_corpus(rng: np.random.Generator, n: int = 60, vocab: int = 30, classes: int = 3, length: int = 12):
    """Documents drawn from class-specific unigram distributions over a shared word list."""
    words = [f"w{i}" for i in range(vocab)]
    dists = rng.dirichlet(np.full(vocab, 0.3), size=classes)
    labels = [f"c{i % classes}" for i in range(n)]
    docs = [list(rng.choice(words, size=rng.integers(1, length), p=dists[i % classes])) for i in range(n)]
    return docs, labels


@pytest.fixture(params=["ngram", "toy"])
def make_lm(request, toy_lm):
    """``make_lm(order, alpha)``: seqlab's NGramLM, or the brute-force protocol implementation."""
    if request.param == "ngram":
        return _ngram
    return lambda order, alpha: toy_lm(order=order, alpha=alpha)


# ---------------------------------------------------------------------- reference parity
@pytest.mark.reference
@pytest.mark.parametrize("alpha", [1.0, 0.1])
def test_order1_equals_multinomial_nb(rng, make_lm, alpha):
    sk_nb = pytest.importorskip("sklearn.naive_bayes")
    sk_text = pytest.importorskip("sklearn.feature_extraction.text")
    docs, labels = make_corpus(rng)
    train, test = docs[:45], docs[45:] + [["never", "seen"], ["w1", "brand-new"]]
    clf = BayesSequenceClassifier(lm=make_lm(1, alpha), oov="ignore", boundaries=False)
    clf.fit(train, labels[:45])
    vec = sk_text.CountVectorizer(analyzer=lambda doc: doc)
    nb = sk_nb.MultinomialNB(alpha=alpha).fit(vec.fit_transform(train), labels[:45])
    np.testing.assert_array_equal(clf.classes_, nb.classes_)
    ref = nb.predict_log_proba(vec.transform(test))
    np.testing.assert_allclose(clf.predict_log_proba(test), ref, rtol=0, atol=1e-9)
    np.testing.assert_array_equal(clf.predict(test), nb.predict(vec.transform(test)))


def test_bayes_rule_brute_force(rng, make_lm):
    # log p(c|x) = log p(c) + sum_t log p(x_t | h_t, c) - logsumexp over classes, by hand
    docs, labels = make_corpus(rng, n=30)
    clf = BayesSequenceClassifier(lm=make_lm(2, 0.5)).fit(docs, labels)
    x = docs[0][:5] + ["unseen"]
    joint = []
    for c, model in enumerate(clf.models_):
        lp = sum(model.log_prob(t, ["<s>", *x[:i]]) for i, t in enumerate(x + ["</s>"]))
        joint.append(lp + np.log(labels.count(clf.classes_[c]) / len(labels)))
    expected = np.array(joint) - np.logaddexp.reduce(joint)
    np.testing.assert_allclose(clf.predict_log_proba([x])[0], expected, rtol=0, atol=1e-9)


def test_no_boundaries_drops_end_factor(rng, make_lm):
    docs, labels = make_corpus(rng, n=30)
    lm = make_lm(2, 0.5)
    with_b = BayesSequenceClassifier(lm=lm).fit(docs, labels)
    without = BayesSequenceClassifier(lm=lm, boundaries=False).fit(docs, labels)
    x = docs[3]
    end = [m.log_prob("</s>", ["<s>", *x]) for m in with_b.models_]
    np.testing.assert_allclose(without.log_likelihoods([x])[0], with_b.log_likelihoods([x])[0] - end, atol=1e-9)


# ---------------------------------------------------------------------- invariants
@given(seed=st.integers(0, 50), order=st.integers(1, 3), oov=st.sampled_from(["unk", "ignore"]),
       boundaries=st.booleans(), norm=st.booleans(), prior=st.sampled_from(["empirical", "uniform"]),
       kind=st.sampled_from(["toy", "ngram"]))
def test_posteriors_sum_to_one(toy_lm, seed, order, oov, boundaries, norm, prior, kind):
    rng = np.random.default_rng(seed)
    docs, labels = make_corpus(rng, n=20, vocab=8)
    lm = toy_lm(order=order, alpha=0.3) if kind == "toy" else _ngram(order, 0.3)
    clf = BayesSequenceClassifier(lm=lm, oov=oov, boundaries=boundaries,
                                  length_normalize=norm, prior=prior).fit(docs, labels)
    test = docs[:5] + [[], ["zzz", "w1"]]
    proba = clf.predict_proba(test)
    assert proba.shape == (7, 3) and np.all(proba >= 0)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-12)
    np.testing.assert_array_equal(clf.predict(test), clf.classes_[proba.argmax(axis=1)])


def test_ten_thousand_tokens_do_not_underflow(rng, make_lm):
    docs, labels = make_corpus(rng)
    clf = BayesSequenceClassifier(lm=make_lm(2, 0.1)).fit(docs, labels)
    long_doc = list(np.random.default_rng(1).choice([f"w{i}" for i in range(30)], size=10_000))
    ll = clf.log_likelihoods([long_doc])[0]
    assert np.all(ll < -5_000)  # exp(ll) would be 0.0 in float64: the computation must stay in logs
    lp = clf.predict_log_proba([long_doc])[0]
    assert not np.isnan(lp).any()
    assert np.exp(lp).sum() == pytest.approx(1.0, abs=1e-12)
    assert np.max(lp) == pytest.approx(0.0, abs=1e-9)  # one class wins outright, no NaN


def test_unseen_words(rng, toy_lm):
    docs, labels = make_corpus(rng, n=30)
    lm = toy_lm(order=1, alpha=0.5)
    # oov="ignore": a document of unseen words carries no evidence -> posterior = prior
    clf = BayesSequenceClassifier(lm=lm, oov="ignore", boundaries=False).fit(docs, labels)
    np.testing.assert_allclose(clf.predict_log_proba([["zz1", "zz2"]])[0], clf.class_log_prior_, atol=1e-12)
    np.testing.assert_allclose(clf.predict_log_proba([["zz1", "w3"]]), clf.predict_log_proba([["w3"]]), atol=1e-12)
    # oov="unk": unseen words are scored as <unk> by each class model
    unk = BayesSequenceClassifier(lm=lm).fit(docs, labels)
    np.testing.assert_allclose(unk.log_likelihoods([["zz1"]]), unk.log_likelihoods([["<unk>"]]), atol=1e-12)


def test_unseen_labels_count_as_errors(rng, toy_lm):
    docs, labels = make_corpus(rng, n=30)
    clf = BayesSequenceClassifier(lm=toy_lm(order=1)).fit(docs, labels)
    pred = clf.predict(docs[:4])
    assert set(pred) <= set(clf.classes_)
    assert clf.score(docs[:4], ["never-seen"] * 4) == 0.0


def test_length_normalize_tempers_and_keeps_uniform_argmax(rng, toy_lm):
    docs, labels = make_corpus(rng)
    lm = toy_lm(order=1, alpha=0.5)
    plain = BayesSequenceClassifier(lm=lm, prior="uniform").fit(docs, labels)
    norm = BayesSequenceClassifier(lm=lm, prior="uniform", length_normalize=True).fit(docs, labels)
    np.testing.assert_array_equal(plain.predict(docs), norm.predict(docs))
    x = docs[:3]
    n_tokens = np.array([len(d) + 1 for d in x])[:, None]
    np.testing.assert_allclose(norm.joint_log_likelihood(x), plain.log_likelihoods(x) / n_tokens
                               + plain.class_log_prior_, atol=1e-12)
    assert norm.predict_proba(x).max() <= plain.predict_proba(x).max() + 1e-12


def test_priors(rng, toy_lm):
    docs, labels = make_corpus(rng, n=40)
    labels = ["a"] * 30 + ["b"] * 10
    emp = BayesSequenceClassifier(lm=toy_lm(order=1)).fit(docs, labels)
    uni = BayesSequenceClassifier(lm=toy_lm(order=1), prior="uniform").fit(docs, labels)
    np.testing.assert_allclose(np.exp(emp.class_log_prior_), [0.75, 0.25])
    np.testing.assert_allclose(np.exp(uni.class_log_prior_), [0.5, 0.5])


def test_integer_labels_round_trip(rng, toy_lm):
    docs, _ = make_corpus(rng, n=20)
    clf = BayesSequenceClassifier(lm=toy_lm(order=1)).fit(docs, [i % 2 for i in range(20)])
    assert clf.classes_.tolist() == [0, 1] and clf.predict(docs[:2]).dtype.kind == "i"


# ---------------------------------------------------------------------- scikit-learn tools
@pytest.mark.reference
def test_cross_val_score_and_grid_search(rng, make_lm):
    ms = pytest.importorskip("sklearn.model_selection")
    docs, labels = make_corpus(rng, n=45)
    clf = BayesSequenceClassifier(lm=make_lm(1, 0.5))
    scores = ms.cross_val_score(clf, docs, labels, cv=3)
    assert scores.shape == (3,) and np.all((scores >= 0) & (scores <= 1))
    assert scores.mean() > 0.5  # three well-separated classes; chance is 1/3
    grid = ms.GridSearchCV(clf, {"lm__order": [1, 2], "prior": ["empirical", "uniform"]}, cv=3).fit(docs, labels)
    assert grid.best_params_["lm__order"] in (1, 2)
    assert grid.best_estimator_.predict(docs[:3]).shape == (3,)
    assert clf.lm.get_params()["order"] == 1  # the template itself is never modified


def test_clone_keeps_params_and_unfitted(rng, toy_lm):
    base = pytest.importorskip("sklearn.base")
    clf = BayesSequenceClassifier(lm=toy_lm(order=3), oov="ignore")
    twin = base.clone(clf)
    assert twin.get_params()["oov"] == "ignore" and twin.lm.order == 3 and twin.lm is not clf.lm
    assert base.is_classifier(clf)


# ---------------------------------------------------------------------- persistence
def test_save_load_round_trip(tmp_path, rng, make_lm):
    docs, labels = make_corpus(rng, n=30)
    clf = BayesSequenceClassifier(lm=make_lm(2, 0.5), oov="ignore").fit(docs, labels)
    clf.save(tmp_path / "m")
    again = BayesSequenceClassifier.load(tmp_path / "m")
    test = docs[:10] + [["unseen"], []]
    np.testing.assert_allclose(again.predict_log_proba(test), clf.predict_log_proba(test), atol=1e-12)
    assert again.classes_.tolist() == clf.classes_.tolist() and again.oov == "ignore"


# ---------------------------------------------------------------------- bad input
def test_bad_inputs(rng, toy_lm):
    docs, labels = make_corpus(rng, n=10)
    clf = BayesSequenceClassifier(lm=toy_lm(order=1))
    with pytest.raises(DataError, match="same length"):
        clf.fit(docs, labels[:-1])
    with pytest.raises(DataError, match="single class"):
        clf.fit(docs, ["x"] * len(docs))
    with pytest.raises(DataError, match=r"sequences\[1\] is empty"):
        clf.fit([["a"], [], ["b"]], ["x", "y", "x"])
    with pytest.raises(DataError, match="single str"):
        clf.fit("a b c", ["x"])
    with pytest.raises(NotFittedError):
        clf.predict(docs)
    with pytest.raises(InvalidParameterError, match="prior"):
        BayesSequenceClassifier(prior="flat").fit(docs, labels)
    with pytest.raises(InvalidParameterError, match="oov"):
        BayesSequenceClassifier(oov="drop").fit(docs, labels)
    with pytest.raises(InvalidParameterError, match="lm"):
        BayesSequenceClassifier(lm="ngram").fit(docs, labels)


@pytest.mark.parametrize("smoothing", ["lidstone", "witten-bell", "modified-kneser-ney"])
def test_class_models_share_vocabulary_and_stay_normalised(rng, smoothing):
    ngram = pytest.importorskip("seqlab.ngram")
    docs, labels = make_corpus(rng, n=30)
    sm = ngram.make_smoothing(smoothing, alpha=0.1 if smoothing == "lidstone" else None)
    with _no_check():
        clf = BayesSequenceClassifier(lm=ngram.NGramLM(order=2, smoothing=sm)).fit(docs, labels)
    union = sorted({t for d in docs for t in d})
    for model in clf.models_:
        assert model.vocabulary_ == clf.vocabulary_ and model.vocabulary_.itos[4:] == union
        for context in (["<s>"], ["<s>", "w1"], ["w2", "w3"], ["never-seen"]):
            total = np.exp(model.next_log_probs(context)).sum()
            assert total == pytest.approx(1.0, abs=1e-9), (smoothing, context)


def _no_check():
    import contextlib
    import warnings

    ctx = contextlib.ExitStack()
    ctx.enter_context(warnings.catch_warnings())
    warnings.simplefilter("ignore")  # small corpora: modified-KN falls back to default discounts, with a warning
    return ctx


def test_saving_with_an_unregistered_lm_is_refused(rng, tmp_path, toy_lm):
    from seqlab.exceptions import FormatError

    class Unlisted(toy_lm):  # same behaviour, but not in seqlab.io's allow-list
        pass

    docs, labels = make_corpus(rng, n=10)
    clf = BayesSequenceClassifier(lm=Unlisted(order=1)).fit(docs, labels)
    with pytest.raises(FormatError, match="not a registered"):
        clf.save(tmp_path / "m")
    assert not (tmp_path / "m").exists()


def test_literal_special_tokens_in_text_are_unknown_words(rng):
    ngram = pytest.importorskip("seqlab.ngram")
    docs, labels = make_corpus(rng, n=20)
    for order in (1, 2):
        clf = BayesSequenceClassifier(lm=ngram.NGramLM(order=order, smoothing=ngram.Lidstone(0.5))).fit(docs, labels)
        x = [["w1", "<s>", "w2", "</s>", "<pad>"]]
        np.testing.assert_allclose(clf.log_likelihoods(x), clf.log_likelihoods([["w1", "zz", "w2", "zz", "zz"]]),
                                   atol=1e-12)
        ignore = clf.set_params(oov="ignore")
        np.testing.assert_allclose(ignore.log_likelihoods(x), ignore.log_likelihoods([["w1", "w2"]]), atol=1e-12)
