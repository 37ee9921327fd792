"""Benchmark: seqlab n-gram models vs NLTK ``nltk.lm`` (and KenLM ``lmplz`` when on PATH).

Data: the bundled King James Bible, word level, KenLM reference split (``kjv:train+valid``
to fit, ``kjv:test`` to score; 821,765 training words, 95,053 test tokens incl. ``</s>``).

Measured in one run, on the same data:
- seqlab: interpolated modified Kneser-Ney fit at orders 3 and 5, test perplexity, scoring
  speed (tokens/s, end to end from strings, on the training text as a larger corpus),
  peak traced memory of the order-5 fit.
- NLTK 3.x ``KneserNeyInterpolated`` (order 3): fit on the full training text; its scoring
  is far too slow for the whole test set (tens of words per second), so it scores a subset
  of test sentences and its full-test time is extrapolated from that rate (stated in the JSON).
- KenLM ``lmplz -o N -S 1G`` when the binary is on PATH (it is not installed by seqlab; build
  KenLM from source, e.g. the ``kenlm`` PyPI sdist with cmake and the Boost headers).

Writes ``bench/results/ngram.json``. Run: ``python bench/ngram.py``.
"""

from __future__ import annotations

import json
import math
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np

from seqlab.datasets import load_corpus
from seqlab.ngram import NGramLM

RESULTS = Path(__file__).parent / "results" / "ngram.json"
NLTK_TEST_SENTENCES = 15  # NLTK's Kneser-Ney scores ~10-20 words/s: a subset keeps the run short


def timed(fn, *args, **kwargs):  # type: ignore[no-untyped-def]
    """(result, wall seconds, CPU seconds)."""
    w, c = time.perf_counter(), time.process_time()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - w, time.process_time() - c


def bench_seqlab(train: list[list[str]], test: list[list[str]]) -> dict:
    out: dict = {}
    for order in (3, 5):
        lm, wall, cpu = timed(NGramLM(order=order).fit, train)
        (lp, oov), s_wall, s_cpu = timed(lm.token_log_probs, test)
        out[f"order{order}"] = {
            "fit_wall_s": wall, "fit_cpu_s": cpu, "score_test_wall_s": s_wall, "score_test_cpu_s": s_cpu,
            "perplexity": math.exp(-lp.sum() / lp.size),
            "perplexity_excl_oov": math.exp(-lp[~oov].sum() / (~oov).sum()),
            "tokens": int(lp.size), "oov": int(oov.sum()), "ngrams": lm.ngram_counts_,
        }
        if order == 5:
            (lp_big, _), b_wall, b_cpu = timed(lm.token_log_probs, train)
            out["score_tokens_per_s_wall"] = lp_big.size / b_wall
            out["score_tokens_per_s_cpu"] = lp_big.size / b_cpu
            out["score_corpus_tokens"] = int(lp_big.size)
            tracemalloc.start()
            NGramLM(order=5).fit(train)
            out["order5_fit_peak_traced_mb"] = tracemalloc.get_traced_memory()[1] / 2**20
            tracemalloc.stop()
    return out


def bench_nltk(train: list[list[str]], test: list[list[str]], seqlab_order3_fit_cpu: float) -> dict:
    from nltk.lm import KneserNeyInterpolated
    from nltk.lm.preprocessing import padded_everygram_pipeline
    from nltk.util import ngrams, pad_sequence

    model = KneserNeyInterpolated(3)
    grams, vocab = padded_everygram_pipeline(3, train)
    _, fit_wall, fit_cpu = timed(model.fit, grams, vocab)
    subset = test[:NLTK_TEST_SENTENCES]

    def score() -> tuple[float, int]:
        total, n = 0.0, 0
        for sent in subset:
            padded = list(pad_sequence(sent, 3, pad_left=True, pad_right=True, left_pad_symbol="<s>",
                                       right_pad_symbol="</s>"))
            for g in ngrams(padded, 3):
                if g[-1] == "</s>" and g[-2] == "</s>":
                    continue  # score one </s> per sentence, as seqlab and KenLM do
                total += model.logscore(g[-1], g[:-1])
                n += 1
        return total, n

    (total, n), s_wall, s_cpu = timed(score)
    full_test = sum(len(s) + 1 for s in test)
    rate = n / s_cpu
    return {
        "model": "nltk.lm.KneserNeyInterpolated(order=3, discount=0.1)",
        "fit_wall_s": fit_wall, "fit_cpu_s": fit_cpu,
        "scored_sentences": len(subset), "scored_tokens": n,
        "score_subset_cpu_s": s_cpu, "score_tokens_per_s_cpu": rate,
        "score_full_test_cpu_s_extrapolated": full_test / rate,
        "subset_log2_sum": total,
        "note": f"scoring measured on the first {len(subset)} test sentences and extrapolated to the "
                f"{full_test} test tokens; a full run would take about {full_test / rate / 60:.0f} minutes",
    }


def bench_kenlm(train: list[list[str]], test: list[list[str]]) -> dict | None:
    """lmplz -o N -S 1G on the same training text: wall and CPU seconds (of the child process);
    its ARPA is scored with seqlab's ARPA reader to check the perplexity in the same run."""
    import resource

    from seqlab.ngram import read_arpa

    lmplz = shutil.which("lmplz")
    if lmplz is None:
        return None
    out: dict = {"binary": lmplz}
    with tempfile.TemporaryDirectory() as tmp:
        text = Path(tmp) / "train.txt"
        text.write_text("\n".join(" ".join(s) for s in train) + "\n")
        for order in (3, 5):
            arpa = Path(tmp) / f"o{order}.arpa"
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            with open(text) as f, open(arpa, "w") as sink:
                subprocess.run([lmplz, "-o", str(order), "-S", "1G", "-T", tmp], stdin=f, stdout=sink,
                               stderr=subprocess.DEVNULL, check=True)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            lp, oov = read_arpa(arpa).token_log_probs(test)
            out[f"order{order}"] = {
                "wall_s": time.perf_counter() - start,
                "cpu_s": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
                "perplexity": math.exp(-lp.sum() / lp.size),
                "perplexity_excl_oov": math.exp(-lp[~oov].sum() / (~oov).sum()),
            }
    return out


def main() -> None:
    train = load_corpus("kjv:train+valid", tokenizer="word")
    test = load_corpus("kjv:test", tokenizer="word")
    seqlab = bench_seqlab(train, test)
    nltk = bench_nltk(train, test, seqlab["order3"]["fit_cpu_s"])
    kenlm = bench_kenlm(train, test)
    s3 = seqlab["order3"]
    seqlab_total = s3["fit_cpu_s"] + s3["score_test_cpu_s"]
    nltk_total = nltk["fit_cpu_s"] + nltk["score_full_test_cpu_s_extrapolated"]
    ratios = {
        "fit_order3_nltk_over_seqlab_cpu": nltk["fit_cpu_s"] / s3["fit_cpu_s"],
        "scoring_speed_seqlab_over_nltk": (s3["tokens"] / s3["score_test_cpu_s"]) / nltk["score_tokens_per_s_cpu"],
        "fit_plus_test_perplexity_nltk_over_seqlab_cpu": nltk_total / seqlab_total,
    }
    if kenlm:
        for order in (3, 5):
            ratios[f"fit_order{order}_seqlab_over_lmplz_wall"] = (
                seqlab[f"order{order}"]["fit_wall_s"] / kenlm[f"order{order}"]["wall_s"])
            ratios[f"fit_order{order}_seqlab_over_lmplz_cpu"] = (
                seqlab[f"order{order}"]["fit_cpu_s"] / kenlm[f"order{order}"]["cpu_s"])
    result = {
        "benchmark": "ngram",
        "data": {"corpus": "kjv (bundled), word level, KenLM reference split", "fit": "kjv:train+valid",
                 "score": "kjv:test", "train_words": sum(map(len, train)),
                 "test_tokens_incl_eos": sum(len(s) + 1 for s in test)},
        "kenlm_reference": {"perplexity_order3": 46.11, "perplexity_order5": 38.58,
                            "perplexity_excl_oov_order3": 44.00, "perplexity_excl_oov_order5": 36.79,
                            "lmplz_cpu_s_order3": 0.6, "lmplz_cpu_s_order5": 1.4,
                            "source": "shared/reference/ngram/README.md (same machine class, 2 cores)"},
        "seqlab": seqlab, "nltk": nltk, "kenlm_lmplz": kenlm if kenlm else "lmplz not on PATH; not run",
        "ratios": ratios,
        "targets": {"seqlab_vs_nltk_at_least_100x": ratios["fit_plus_test_perplexity_nltk_over_seqlab_cpu"] >= 100,
                    "scoring_at_least_1M_tokens_per_s": seqlab["score_tokens_per_s_cpu"] >= 1e6,
                    "order5_build_within_2x_of_lmplz_wall": (
                        ratios["fit_order5_seqlab_over_lmplz_wall"] <= 2 if kenlm else "lmplz not run")},
        "environment": {"python": sys.version.split()[0], "numpy": np.__version__, "machine": platform.machine(),
                        "cpus": os.cpu_count(), "note": "CPU seconds (process_time) are the primary figures: "
                        "the machine is shared, wall times vary with load"},
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps({"ratios": ratios, "targets": result["targets"],
                      "seqlab_order5": {k: seqlab["order5"][k] for k in ("fit_cpu_s", "perplexity")},
                      "score_tokens_per_s_cpu": seqlab["score_tokens_per_s_cpu"]}, indent=2))


if __name__ == "__main__":
    main()
