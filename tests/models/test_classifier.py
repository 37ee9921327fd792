"""NeuralClassifier: every encoder learns, padding invariance, sklearn contract, save/load, embeddings, bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from seqlab.exceptions import DataError, FormatError, InvalidParameterError
from seqlab.models import CLASSIFY_ARCHITECTURES, NeuralClassifier
from seqlab.models.classifier import SequenceClassifierNet
from seqlab.train import TrainConfig

X = ["good fine great", "bad awful poor", "great good nice", "poor bad", "nice fine", "awful poor bad"] * 3
Y = ["pos", "neg", "pos", "neg", "pos", "neg"] * 3
FAST = TrainConfig(max_steps=40, batch_size=6, batching="padded", lr=0.05, eval_every=1000)


def _small(model: str, **kw: object) -> NeuralClassifier:
    sizes: dict[str, object] = {"d_embed": 8, "dropout": 0.0, "device": "cpu", "train": FAST}
    if model in ("cnn", "cnn-lstm"):
        sizes.update(kernel_sizes=(1, 2), n_filters=6)
    if model != "cnn":
        sizes["d_hidden"] = 8
    return NeuralClassifier(model=model, **{**sizes, **kw})  # type: ignore[arg-type]


@pytest.mark.parametrize("model", CLASSIFY_ARCHITECTURES.names())
def test_every_encoder_fits_a_separable_task(model: str) -> None:
    clf = _small(model).fit(X, Y)
    assert clf.score(X, Y) == 1.0, model
    proba = clf.predict_proba(["good nice", "bad poor awful"])
    assert proba.shape == (2, 2) and np.allclose(proba.sum(1), 1.0)
    assert clf.predict(["good nice", "bad poor awful"]).tolist() == ["pos", "neg"]
    assert np.allclose(np.exp(clf.predict_log_proba(X[:3])), clf.predict_proba(X[:3]))


@pytest.mark.parametrize("model, pooling, bidirectional", [
    ("lstm", "last", True), ("gru", "mean", False), ("rnn", "max", True), ("lstm", "attention", False),
    ("cnn", None, False), ("cnn-lstm", "last", False), ("transformer", "mean", False),
    ("transformer", "attention", False), ("peephole", "last", True),
])
def test_appended_padding_never_changes_the_output(model: str, pooling: str | None, bidirectional: bool) -> None:
    clf = _small(model, pooling=pooling, **({"bidirectional": True} if bidirectional else {}))
    clf.fit(X[:6], Y[:6])
    net: SequenceClassifierNet = clf.module_  # type: ignore[assignment]
    net.eval()
    torch.manual_seed(0)
    ids = torch.randint(2, len(clf.vocabulary_), (3, 5))
    lengths = torch.tensor([5, 3, 1])
    with torch.no_grad():
        a = net(ids, lengths)
        padded = torch.cat([ids, torch.randint(2, len(clf.vocabulary_), (3, 4))], 1)   # junk after the end
        b = net(padded, lengths)
    assert torch.allclose(a, b, atol=1e-5), (model, pooling)


def test_numeric_sequences_and_feature_checks() -> None:
    rng = np.random.default_rng(0)
    Xn = [rng.normal(size=(rng.integers(3, 9), 3)) + 2.0 * (i % 2) for i in range(30)]
    yn = np.array([i % 2 for i in range(30)])
    clf = NeuralClassifier(model="gru", d_hidden=8, device="cpu",
                           train=TrainConfig(max_steps=60, batch_size=8, batching="padded", lr=0.03)).fit(Xn, yn)
    assert clf.score(Xn, yn) >= 0.9 and clf.n_features_in_ == 3 and clf.vocabulary_ is None
    assert clf.classes_.tolist() == [0, 1]
    with pytest.raises(DataError, match="2 features per step.*fitted on 3"):
        clf.predict([np.zeros((4, 2))])
    with pytest.raises(DataError, match="NaN"):
        clf.predict([np.array([[0.0, np.nan, 1.0]])])
    with pytest.raises(DataError, match="numeric"):
        clf.predict(["some text"])


def test_sklearn_model_selection() -> None:
    from sklearn.base import clone
    from sklearn.model_selection import GridSearchCV, cross_val_score
    from sklearn.pipeline import Pipeline

    clf = _small("gru")
    assert clone(clf).get_params() == clf.get_params()
    scores = cross_val_score(clf, np.array(X, dtype=object), np.array(Y), cv=3)
    assert scores.shape == (3,) and scores.min() >= 0.5
    grid = GridSearchCV(clf, {"d_hidden": [4, 8]}, cv=2).fit(np.array(X, dtype=object), np.array(Y))
    assert grid.best_params_["d_hidden"] in (4, 8) and grid.score(np.array(X, dtype=object), np.array(Y)) >= 0.5
    pipe = Pipeline([("clf", _small("cnn"))]).fit(X, Y)
    assert pipe.score(X, Y) == 1.0


def test_save_load_round_trip(tmp_path: Path) -> None:
    clf = _small("lstm", bidirectional=True, pooling="attention").fit(X, Y)
    clf.save(tmp_path / "m")
    back = NeuralClassifier.load(tmp_path / "m")
    assert np.allclose(back.predict_proba(X), clf.predict_proba(X), atol=1e-6)
    assert back.classes_.tolist() == clf.classes_.tolist() and back.vocabulary_ == clf.vocabulary_


def test_class_weight_balanced_moves_the_minority() -> None:
    Xi = ["a b", "a c", "a b c", "a", "b a", "c a", "a a", "b b", "d e"] * 2
    yi = ["maj"] * 8 * 2 + ["min"] * 2
    Xi, yi = Xi[:16] + ["d e", "e d"], yi[:16] + ["min", "min"]
    plain = _small("gru", random_state=1).fit(Xi, yi)
    weighted = _small("gru", random_state=1, class_weight="balanced").fit(Xi, yi)
    minority = list(plain.classes_).index("min")
    assert weighted.predict_proba(["d e"])[0, minority] > plain.predict_proba(["d e"])[0, minority]


def _write_w2v(path: Path, words: list[str], dim: int, *, binary: bool = False) -> None:
    from seqlab.embed.formats import write_word2vec

    rng = np.random.default_rng(0)
    write_word2vec(path, words, rng.normal(size=(len(words), dim)).astype(np.float32), binary=binary)


@pytest.mark.parametrize("mode", ["static", "non-static", "multichannel"])
def test_pretrained_embeddings(tmp_path: Path, mode: str) -> None:
    path = tmp_path / "vec.txt"
    _write_w2v(path, ["good", "bad", "great", "poor", "fine"], 8)
    clf = _small("cnn", embeddings=str(path), embeddings_mode=mode).fit(X, Y)
    vocab = clf.vocabulary_
    from seqlab.embed.formats import read_word2vec

    words, vectors = read_word2vec(path)
    table = clf.module_.inputs.embed_static if mode == "multichannel" else clf.module_.inputs.embed  # type: ignore[union-attr]
    row = table.weight[vocab["good"]].detach().numpy()
    if mode in ("static", "multichannel"):
        assert np.allclose(row, vectors[words.index("good")]), "the frozen table keeps the pretrained vector"
    assert clf.embeddings_missing_ == len(vocab) - 4 - 5, "awful, nice missing (specials not counted)"
    assert clf.score(X, Y) == 1.0


def test_bad_embeddings(tmp_path: Path) -> None:
    path = tmp_path / "vec.txt"
    _write_w2v(path, ["good", "bad"], 5)
    with pytest.raises(DataError, match="dimension 5.*d_embed is 8"):
        _small("cnn", embeddings=str(path)).fit(X, Y)
    damaged = tmp_path / "bad.txt"
    damaged.write_text("3 8\ngood 0.1 0.2\n")
    with pytest.raises(FormatError, match="truncated"):
        _small("cnn", embeddings=str(damaged)).fit(X, Y)
    with pytest.raises(InvalidParameterError, match="needs pretrained"):
        _small("cnn", embeddings_mode="static").fit(X, Y)


def test_bad_input_and_params() -> None:
    with pytest.raises(DataError, match="single class"):
        _small("gru").fit(X[:3], ["pos"] * 3)
    with pytest.raises(DataError, match="3 sequences but 2 labels"):
        _small("gru").fit(X[:3], Y[:2])
    with pytest.raises(DataError, match="empty"):
        _small("gru").fit(["a b", ""], ["x", "y"])
    with pytest.raises(InvalidParameterError, match="kernel_sizes"):
        _small("cnn", kernel_sizes=(0,)).fit(X, Y)
    with pytest.raises(InvalidParameterError, match="n_heads"):
        _small("lstm", n_heads=2).fit(X, Y)
    with pytest.raises(InvalidParameterError, match="pooling"):
        _small("cnn", pooling="mean").fit(X, Y)
    with pytest.raises(InvalidParameterError, match="unknown classify model"):
        NeuralClassifier(model="svm").fit(X, Y)
    clf = _small("gru").fit(X, Y)
    with pytest.raises(DataError, match="not seen in training"):
        clf.fit(X, Y, valid=(X[:2], ["pos", "maybe"]))
