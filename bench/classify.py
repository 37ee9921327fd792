"""Benchmark: Bayes sequence classifiers on SpamAssassin, seqlab vs scikit-learn, in one run.

Three timings (train + predict; best of ``--repeats`` runs; bundled data loading excluded):

1. *naive Bayes, same tokens*: both sides get the same pre-tokenised messages (seqlab's word
   tokenizer, lowercased). scikit-learn: ``CountVectorizer(analyzer=identity)`` +
   ``MultinomialNB(alpha=1)``; seqlab: ``BayesSequenceClassifier(lm=NGramLM(order=1,
   smoothing=Lidstone(1)), oov="ignore", boundaries=False)``, which is the same model, so the
   predictions must agree (checked, and reported).
2. *naive Bayes from raw text*: each side tokenises itself (scikit-learn's default
   ``CountVectorizer`` regex vs seqlab's word tokenizer), as a user would run them.
3. *order 2*: seqlab's bigram Bayes classifier (``NGramLM(order=2, Lidstone(0.1))``, boundaries
   modelled), raw text to predictions. Target: under 10 s on a 2-core machine.

Writes ``bench/results/classify.json``. Run: ``PYTHONPATH=src python bench/classify.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from seqlab import datasets
from seqlab.classify import BayesSequenceClassifier
from seqlab.data import get_tokenizer
from seqlab.evaluate import accuracy, f1_score
from seqlab.ngram import Lidstone, NGramLM

RESULTS = Path(__file__).parent / "results" / "classify.json"


def best_of(repeats: int, run: Callable[[], Any]) -> tuple[float, Any]:
    """Smallest wall time of ``repeats`` runs (the machine is shared), and the last result."""
    times, out = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = run()
        times.append(time.perf_counter() - t0)
    return min(times), out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.naive_bayes import MultinomialNB

    train = datasets.load("spamassassin", split="train")
    test = datasets.load("spamassassin", split="test")
    y_train, y_test = np.array(train.labels), np.array(test.labels)
    tok = get_tokenizer("word", lowercase=True)

    def seqlab_nb(x_train: list[list[str]], x_test: list[list[str]]) -> tuple[np.ndarray, np.ndarray]:
        clf = BayesSequenceClassifier(lm=NGramLM(order=1, smoothing=Lidstone(1.0)), oov="ignore", boundaries=False)
        clf.fit(x_train, y_train)
        return clf.predict(x_test), clf.predict_log_proba(x_test)

    def sklearn_nb(vec: Any, x_train: Any, x_test: Any) -> tuple[np.ndarray, np.ndarray]:
        nb = MultinomialNB(alpha=1.0).fit(vec.fit_transform(x_train), y_train)
        x = vec.transform(x_test)
        return nb.predict(x), nb.predict_log_proba(x)

    # 1. same tokens
    t0 = time.perf_counter()
    tok_train, tok_test = [tok(t) for t in train.texts], [tok(t) for t in test.texts]
    t_tokenise = time.perf_counter() - t0
    t_seq_tok, (p_seq, lp_seq) = best_of(args.repeats, lambda: seqlab_nb(tok_train, tok_test))
    t_sk_tok, (p_sk, lp_sk) = best_of(args.repeats, lambda: sklearn_nb(
        CountVectorizer(analyzer=lambda d: d), tok_train, tok_test))
    agree = float(np.mean(p_seq == p_sk))
    max_diff = float(np.max(np.abs(lp_seq - lp_sk)))

    # 2. raw text, each side's own tokenizer
    t_seq_raw, (p_seq_raw, _) = best_of(args.repeats, lambda: seqlab_nb(
        [tok(t) for t in train.texts], [tok(t) for t in test.texts]))
    t_sk_raw, (p_sk_raw, _) = best_of(args.repeats, lambda: sklearn_nb(CountVectorizer(), train.texts, test.texts))

    # 3. order 2, raw text to predictions
    def seqlab_bigram() -> np.ndarray:
        clf = BayesSequenceClassifier(lm=NGramLM(order=2, smoothing=Lidstone(0.1)))
        clf.fit([tok(t) for t in train.texts], y_train)
        return clf.predict([tok(t) for t in test.texts])

    t_bigram, p_bigram = best_of(args.repeats, seqlab_bigram)

    def figures(pred: np.ndarray) -> dict[str, float]:
        return {"accuracy": accuracy(y_test, pred), "macro_f1": float(f1_score(y_test, pred))}

    n_tokens = sum(map(len, tok_train)) + sum(map(len, tok_test))
    result = {
        "data": {"dataset": "spamassassin", "train_texts": len(train.texts), "test_texts": len(test.texts),
                 "word_tokens": n_tokens, "tokenise_seconds": round(t_tokenise, 3)},
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "repeats": args.repeats,
        "naive_bayes_same_tokens": {
            "seqlab_seconds": round(t_seq_tok, 3), "sklearn_seconds": round(t_sk_tok, 3),
            "ratio_seqlab_over_sklearn": round(t_seq_tok / t_sk_tok, 3), "target_ratio": 2.0,
            "predictions_agree": agree, "max_abs_log_proba_diff": max_diff,
            "seqlab": figures(p_seq), "sklearn": figures(p_sk)},
        "naive_bayes_raw_text": {
            "seqlab_seconds": round(t_seq_raw, 3), "sklearn_seconds": round(t_sk_raw, 3),
            "ratio_seqlab_over_sklearn": round(t_seq_raw / t_sk_raw, 3), "target_ratio": 2.0,
            "seqlab": figures(p_seq_raw), "sklearn": figures(p_sk_raw),
            "tokenizers": {"seqlab": "word regex, lowercased", "sklearn": "CountVectorizer default"}},
        "order2": {"seqlab_seconds": round(t_bigram, 3), "target_seconds": 10.0, "seqlab": figures(p_bigram)},
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
