#!/usr/bin/env python3
"""Neural sequence classification vs the Bayes classifier and TF-IDF + logistic regression, and
time-series classification on japanese-vowels vs 1-nearest-neighbour DTW.

Text sets (``spamassassin``, ``brown-genres``), on the same splits and the same tokens (seqlab's
word tokenizer, lowercased, first 400 tokens of each text for the neural models): seqlab LSTM,
CNN with random embeddings, CNN initialised from Word2Vec vectors trained by seqlab on the
training texts (non-static), Transformer, the Bayes n-gram classifier (orders 1-3), and
scikit-learn's TF-IDF + LogisticRegression on the same token lists.

On ``japanese-vowels`` the peers are a 1-nearest-neighbour DTW classifier and aeon's ROCKET
(``aeon_rocket``; aeon 1.6 wants numpy < 2.4 and pandas < 3.1, so it may live in its own
virtual environment: the rows ``dtw_1nn`` and ``aeon_rocket`` import neither torch nor the
neural models).

Writes ``bench/results/classify_neural.json``. Usage:
``nice -n 10 python bench/classify_neural.py [--budget CPU_SECONDS_PER_NEURAL_MODEL]`` (default 45);
``--sets japanese-vowels --rows aeon_rocket --update`` adds just that row to the existing file.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))


def cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def scores(y_true, y_pred) -> dict[str, float]:  # type: ignore[no-untyped-def]
    from seqlab.evaluate.classification import accuracy, f1_score

    return {"accuracy": round(accuracy(y_true, y_pred), 4), "macro_f1": round(float(f1_score(y_true, y_pred)), 4)}


def run(name, fit_predict, y_test, rows):  # type: ignore[no-untyped-def]
    t0, c0 = time.perf_counter(), cpu()
    pred = fit_predict()
    row = {**scores(y_test, pred), "seconds": round(time.perf_counter() - t0, 1), "cpu_seconds": round(cpu() - c0, 1)}
    rows[name] = row
    print(name, row, flush=True)


def text_set(name: str, budget: float, out: dict) -> None:  # type: ignore[type-arg]
    from seqlab import datasets
    from seqlab.classify import BayesSequenceClassifier
    from seqlab.data.tokenize import get_tokenizer
    from seqlab.embed import Word2Vec
    from seqlab.models import NeuralClassifier
    from seqlab.ngram import NGramLM
    from seqlab.ngram.smoothing import Lidstone
    from seqlab.train import TrainConfig

    tok = get_tokenizer("word", lowercase=True)
    train, test = datasets.load(name, "train"), datasets.load(name, "test")
    Xtr, Xte = [tok(t) for t in train.texts], [tok(t) for t in test.texts]
    keep = [i for i, s in enumerate(Xtr) if s]
    Xtr, ytr = [Xtr[i] for i in keep], [train.labels[i] for i in keep]
    Xte = [s or ["<empty>"] for s in Xte]
    yte = test.labels
    rows: dict[str, object] = {}
    out[name] = {"train_texts": len(Xtr), "test_texts": len(Xte), "classes": len(set(ytr)), "results": rows}

    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    def tfidf() -> list[str]:
        pipe = make_pipeline(TfidfVectorizer(analyzer=lambda s: s, sublinear_tf=True),
                             LogisticRegression(max_iter=2000, C=10.0))
        return list(pipe.fit(Xtr, ytr).predict(Xte))

    run("sklearn_tfidf_logreg", tfidf, yte, rows)
    for order in (1, 2, 3):
        run(f"seqlab_bayes_order{order}", lambda o=order: list(BayesSequenceClassifier(
            lm=NGramLM(order=o, smoothing=Lidstone(0.1))).fit(Xtr, ytr).predict(Xte)), yte, rows)

    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        w2v = Word2Vec(vector_size=100, min_count=2, epochs=5, workers=1, seed=0).fit(Xtr)
        w2v.save(Path(tmp) / "w2v")
        w2v_seconds = round(time.perf_counter() - t0, 1)
        cfg = TrainConfig(max_time=budget, clock="process", max_epochs=30, batch_size=32, lr=2e-3,
                          eval_every=10**6, log_every=10**6)
        models = {
            "seqlab_lstm": dict(model="lstm", d_embed=100, d_hidden=128, bidirectional=True, pooling="max"),
            "seqlab_cnn_random": dict(model="cnn", d_embed=100, kernel_sizes=(3, 4, 5), n_filters=100, dropout=0.5),
            "seqlab_cnn_word2vec": dict(model="cnn", d_embed=100, kernel_sizes=(3, 4, 5), n_filters=100, dropout=0.5,
                                        embeddings=str(Path(tmp) / "w2v"), embeddings_mode="non-static"),
            "seqlab_transformer": dict(model="transformer", d_embed=64, d_hidden=64, n_heads=4, n_layers=2,
                                       dropout=0.1),
        }
        for key, params in models.items():
            clf = NeuralClassifier(**params, min_count=2, truncate=400, train=cfg, device="cpu", random_state=0)
            run(key, lambda c=clf: list(c.fit(Xtr, ytr).predict(Xte)), yte, rows)
            rows[key]["steps"] = clf.train_result_.get("steps")  # type: ignore[index]
            if "embeddings" in params:
                rows[key]["word2vec_seconds"] = w2v_seconds  # type: ignore[index]
                rows[key]["embeddings_missing"] = clf.embeddings_missing_  # type: ignore[index]


def dtw_1nn(train: list[np.ndarray], ytr: list[str], test: list[np.ndarray]) -> list[str]:
    """1-nearest-neighbour under dynamic time warping (squared Euclidean frame cost, no window)."""
    from numba import njit

    @njit(cache=False)
    def dtw(a: np.ndarray, b: np.ndarray) -> float:
        n, m = a.shape[0], b.shape[0]
        d = np.full((n + 1, m + 1), np.inf)
        d[0, 0] = 0.0
        for i in range(1, n + 1):
            for j in range(1, m + 1):
                c = 0.0
                for k in range(a.shape[1]):
                    c += (a[i - 1, k] - b[j - 1, k]) ** 2
                d[i, j] = c + min(d[i - 1, j], d[i, j - 1], d[i - 1, j - 1])
        return d[n, m]

    out = []
    for x in test:
        dist = [dtw(x, t) for t in train]
        out.append(ytr[int(np.argmin(dist))])
    return out


ROCKET_KERNELS = 10_000


def rocket(train: list[np.ndarray], ytr: list[str], test: list[np.ndarray], length: int) -> list[str]:
    """aeon's ROCKET classifier (10,000 random kernels + ridge), series zero-padded to ``length`` frames.

    aeon's ROCKET needs equal lengths, so every utterance (T, 12) is padded with aeon's ``Padder``
    (zeros at the end) to the longest utterance of the two splits; aeon wants (channels, time).
    """
    from aeon.classification.convolution_based import RocketClassifier
    from aeon.transformations.collection.unequal_length import Padder

    pad = Padder(padded_length=length, fill_value=0)
    Xtr = pad.fit_transform([x.T.astype(np.float64) for x in train])   # (n, 12, length)
    Xte = pad.transform([x.T.astype(np.float64) for x in test])
    clf = RocketClassifier(n_kernels=ROCKET_KERNELS, random_state=0, n_jobs=1)
    return list(clf.fit(Xtr, np.asarray(ytr)).predict(Xte))


def vowels(budget: float, out: dict, rows_wanted: set[str] | None) -> None:  # type: ignore[type-arg]
    from seqlab import datasets

    def wanted(key: str) -> bool:
        return rows_wanted is None or key in rows_wanted

    train, test = datasets.load("japanese-vowels", "train"), datasets.load("japanese-vowels", "test")
    rows: dict[str, object] = {}
    out["japanese-vowels"] = {"train": len(train), "test": len(test), "results": rows,
                              "published": "about 0.95-0.99 accuracy (UEA archive results)"}
    if wanted("dtw_1nn"):
        run("dtw_1nn", lambda: dtw_1nn(train.sequences, train.labels, test.sequences), test.labels, rows)
    if wanted("aeon_rocket"):
        import aeon

        length = max(len(x) for x in (*train.sequences, *test.sequences))
        run("aeon_rocket", lambda: rocket(train.sequences, train.labels, test.sequences, length), test.labels, rows)
        rows["aeon_rocket"]["settings"] = (f"aeon {aeon.__version__} RocketClassifier, {ROCKET_KERNELS} kernels, "  # type: ignore[index]
                                           f"random_state 0, zero-padded to {length} frames")
    neural = [k for k in ("seqlab_lstm", "seqlab_cnn") if wanted(k)]
    if not neural:
        return
    from seqlab.models import NeuralClassifier
    from seqlab.train import TrainConfig

    cfg = TrainConfig(max_time=budget, clock="process", max_epochs=150, batch_size=16, lr=3e-3,
                      eval_every=10**6, log_every=10**6)
    for key, params in {"seqlab_lstm": dict(model="lstm", d_hidden=64, bidirectional=True, pooling="mean"),
                        "seqlab_cnn": dict(model="cnn", kernel_sizes=(2, 3, 4), n_filters=64, dropout=0.3)}.items():
        if key not in neural:
            continue
        clf = NeuralClassifier(**params, train=cfg, device="cpu", random_state=0)
        run(key, lambda c=clf: list(c.fit(train.sequences, train.labels).predict(test.sequences)), test.labels, rows)
        rows[key]["steps"] = clf.train_result_.get("steps")  # type: ignore[index]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--budget", type=float, default=45.0)
    ap.add_argument("--sets", default="japanese-vowels,spamassassin,brown-genres")
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "classify_neural.json"))
    ap.add_argument("--merge", nargs="*", default=None, help="merge these partial result files into --out")
    ap.add_argument("--rows", default="", help="japanese-vowels: comma-separated rows to run (dtw_1nn, aeon_rocket, "
                                               "seqlab_lstm, seqlab_cnn); default all")
    ap.add_argument("--update", action="store_true",
                    help="add this run's rows to the existing --out file instead of replacing it")
    args = ap.parse_args()
    if args.merge:
        merged: dict[str, object] = {}
        for f in args.merge:
            for k, v in json.loads(Path(f).read_text()).items():
                merged.setdefault(k, v)
        merged["machine"]["note"] = "data sets ran as parallel processes (nice 10) on the shared 2-core machine"  # type: ignore[index]
        Path(args.out).write_text(json.dumps(merged, indent=1) + "\n")
        return
    rows_wanted = set(args.rows.split(",")) if args.rows else None
    if rows_wanted is None or rows_wanted & {"seqlab_lstm", "seqlab_cnn"}:
        import torch  # the peers alone (dtw_1nn, aeon_rocket) run where torch is absent

        torch.set_num_threads(1)
    out: dict[str, object] = {"machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                                          "torch_threads": 1,
                                          "load_average_at_start": [round(x, 2) for x in os.getloadavg()]},
                              "budget_cpu_seconds_per_neural_model": args.budget}
    path = Path(args.out)
    for name in args.sets.split(","):
        vowels(args.budget, out, rows_wanted) if name == "japanese-vowels" else text_set(name, args.budget, out)
        out["machine"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]  # type: ignore[index]
        result = add_rows(json.loads(path.read_text()), out) if args.update and path.is_file() else out
        path.write_text(json.dumps(result, indent=1) + "\n")
    print("wrote", path)


def add_rows(old: dict, new: dict) -> dict:  # type: ignore[type-arg]
    """``old`` with the result rows of ``new`` added, each noted with its run's Python, numpy and load."""
    run_note = (f"separate run: Python {new['machine']['python']}, numpy {np.__version__}, load average "
                f"{new['machine']['load_average_at_start'][0]:g} at start, "
                f"{new['machine'].get('load_average_at_end', [float('nan')])[0]:g} at end")
    for name, block in new.items():
        if isinstance(block, dict) and "results" in block:
            target = old.setdefault(name, {k: v for k, v in block.items() if k != "results"} | {"results": {}})
            for key, row in block["results"].items():
                target["results"][key] = {**row, "note": run_note}
    return old


if __name__ == "__main__":
    main()
