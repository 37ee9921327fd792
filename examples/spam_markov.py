"""Does a higher Markov order help a Bayes sequence classifier? Document 000's claim, on real data.

Document 000 (slide 27): "0-order Markov model: naive Bayes. For spam classification higher
orders don't improve performance. For other tasks they do." This script fits one n-gram
language model per class (``BayesSequenceClassifier``) for n-gram orders 1-4 (Markov orders
0-3) on the bundled ``spamassassin`` (ham vs spam e-mail bodies) and ``brown-genres`` (15
genres of the Brown corpus) data sets, at word and character level, and prints one table of
test accuracy and macro-F1, in Markdown, for each smoothing strategy asked for.

Run: ``PYTHONPATH=src python examples/spam_markov.py [--smoothing lidstone,witten-bell]``
(``--data brown-genres --levels word --orders 1,2`` for a quick subset).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence

import numpy as np

from seqlab import datasets
from seqlab.classify import BayesSequenceClassifier
from seqlab.data import get_tokenizer
from seqlab.evaluate import accuracy, f1_score
from seqlab.ngram import NGramLM, make_smoothing

DATASETS = ("spamassassin", "brown-genres")
LEVELS = ("word", "char")
ORDERS = (1, 2, 3, 4)


def smoothing_for(name: str, alpha: float) -> object:
    return make_smoothing(name, alpha=alpha if name == "lidstone" else None)


def run(smoothings: Sequence[str], alpha: float, names: Sequence[str] = DATASETS, levels: Sequence[str] = LEVELS,
        orders: Sequence[int] = ORDERS) -> list[dict[str, object]]:
    rows = []
    for name in names:
        train, test = datasets.load(name, split="train"), datasets.load(name, split="test")
        for level in levels:
            tok = get_tokenizer(level, lowercase=level == "word")
            x_train, x_test = [tok(t) for t in train.texts], [tok(t) for t in test.texts]
            for order in orders:
                row: dict[str, object] = {"data": name, "level": level, "order": order, "markov order": order - 1}
                for sm in smoothings:
                    t0 = time.perf_counter()
                    clf = BayesSequenceClassifier(lm=NGramLM(order=order, smoothing=smoothing_for(sm, alpha)))
                    pred = clf.fit(x_train, train.labels).predict(x_test)
                    row[f"{sm} acc"] = accuracy(test.labels, pred)
                    row[f"{sm} macro-F1"] = float(f1_score(test.labels, pred))
                    row[f"{sm} s"] = time.perf_counter() - t0
                rows.append(row)
                print(" ".join(f"{k}={v:.4f}" if isinstance(v, float) else f"{k}={v}" for k, v in row.items()),
                      flush=True)
    return rows


def markdown(rows: list[dict[str, object]]) -> str:
    cols = [c for c in rows[0] if not c.endswith(" s")]
    out = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for r in rows:
        out.append("| " + " | ".join(f"{r[c]:.3f}" if isinstance(r[c], float) else str(r[c]) for c in cols) + " |")
    return "\n".join(out)


def main() -> None:
    ap = argparse.ArgumentParser(description="Markov order vs accuracy of Bayes sequence classifiers")
    ap.add_argument("--smoothing", default="lidstone,witten-bell", help="comma-separated seqlab.ngram smoothing names")
    ap.add_argument("--alpha", type=float, default=0.1, help="pseudo-count for lidstone")
    ap.add_argument("--data", default=",".join(DATASETS), help="comma-separated bundled labelled data sets")
    ap.add_argument("--levels", default=",".join(LEVELS), help="comma-separated: word, char")
    ap.add_argument("--orders", default=",".join(map(str, ORDERS)), help="comma-separated n-gram orders")
    args = ap.parse_args()
    t0 = time.perf_counter()
    rows = run(args.smoothing.split(","), args.alpha, args.data.split(","), args.levels.split(","),
               [int(o) for o in args.orders.split(",")])
    print()
    print(markdown(rows))
    seconds = {k: float(np.sum([r[k] for r in rows])) for k in rows[0] if str(k).endswith(" s")}
    print(f"\nTotal {time.perf_counter() - t0:.0f} s (fit + predict per smoothing: "
          + ", ".join(f"{k[:-2]} {v:.0f} s" for k, v in seconds.items()) + ")")


if __name__ == "__main__":
    main()
