"""Word2Vec quality, seqlab vs gensim, on the bundled public-domain text (no download), several seeds.

Corpus: the training splits of ``kjv``, ``shakespeare`` and ``austen`` (lower-cased word tokens,
about 1.9M tokens); both libraries stream the same file with the same hyperparameters (dim 100,
window 5, negative 5, min_count 5, sample 1e-3, 2 workers). Both sets of vectors are scored by
the same evaluator (WordSim-353 Spearman, analogy accuracy with restrict_vocab=30000): seqlab's
batched one, which follows gensim's rules; on the first run of an invocation both sets are
also scored by gensim's own ``evaluate_word_pairs``/``evaluate_word_analogies`` and the run stops
if the two evaluators disagree (gensim's analogy evaluator costs about 10 CPU-s a model, more than
training). Only about 140 of the 353 WordSim pairs are in this vocabulary, so a single run's
Spearman moves by 0.02-0.04 from seed to seed, and threaded training is not reproducible run to
run: compare means over seeds (their standard deviations are in the summary), not single runs.

Run: ``PYTHONPATH=src python bench/word2vec_bundled.py [--arch cbow sg] [--epochs 1 3 5] [--seeds 4]``
-> ``bench/results/word2vec_bundled.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
CORPUS = Path("/tmp/seqlab-w2v-bundled.txt")
PARAMS = {"negative": 5, "window": 5, "vector_size": 100, "min_count": 5, "sample": 1e-3, "workers": 2}


def build_corpus() -> int:
    from seqlab import datasets

    lines = []
    for name in ("kjv", "shakespeare", "austen"):
        for sent in datasets.load(name, "train"):
            toks = [t.lower() for t in sent if any(c.isalpha() for c in t)]
            if toks:
                lines.append(" ".join(toks))
    tmp = CORPUS.with_name(f"{CORPUS.name}.{os.getpid()}.tmp")  # atomic: a concurrent run may be reading it
    tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    tmp.replace(CORPUS)
    return sum(len(line.split()) for line in lines)


def run(arch: str, epochs: int, seed: int, cross_check: bool) -> dict:
    import gensim
    from gensim.models import KeyedVectors
    from gensim.models import Word2Vec as GensimW2V
    from gensim.models.word2vec import LineSentence

    from seqlab.embed import Embeddings, Word2Vec

    test_data = Path(gensim.__file__).parent / "test" / "test_data"

    def evaluate(words: list[str], vectors: np.ndarray) -> tuple[float, float]:
        emb = Embeddings(words, vectors)
        spearman = emb.evaluate_similarity(test_data / "wordsim353.tsv")["spearman"]
        accuracy = emb.evaluate_analogies(test_data / "questions-words.txt", restrict_vocab=30000)["accuracy"]
        if cross_check:
            kv = KeyedVectors(vector_size=vectors.shape[1])
            kv.add_vectors(words, vectors)
            g_spearman = kv.evaluate_word_pairs(str(test_data / "wordsim353.tsv"))[1][0]
            g_accuracy = kv.evaluate_word_analogies(str(test_data / "questions-words.txt"), restrict_vocab=30000)[0]
            if abs(g_spearman - spearman) > 1e-6 or abs(g_accuracy - accuracy) > 1e-9:
                raise SystemExit(f"evaluators disagree: seqlab {spearman}, {accuracy}; gensim {g_spearman}, "
                                 f"{g_accuracy}")
        return float(spearman), float(accuracy)

    c = time.process_time()
    g = GensimW2V(LineSentence(str(CORPUS)), sg=1 if arch == "sg" else 0, hs=0, epochs=epochs, seed=seed, **PARAMS)
    g_cpu = time.process_time() - c
    c = time.process_time()
    s = Word2Vec(architecture="skipgram" if arch == "sg" else "cbow", epochs=epochs, seed=seed,
                 **PARAMS).fit(str(CORPUS), progress=False)
    s_cpu = time.process_time() - c
    gs, ga = evaluate(list(g.wv.index_to_key), g.wv.vectors)
    ss, sa = evaluate(list(s.vocabulary_.itos[4:]), s.input_vectors_)
    return {"arch": arch, "epochs": epochs, "seed": seed, "gensim_spearman": gs, "gensim_analogy": ga,
            "seqlab_spearman": ss, "seqlab_analogy": sa, "gensim_cpu_s": g_cpu, "seqlab_cpu_s": s_cpu}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--arch", nargs="+", default=["cbow", "sg"])
    parser.add_argument("--epochs", nargs="+", type=int, default=[3])
    parser.add_argument("--seeds", type=int, default=4)
    parser.add_argument("-o", "--output", type=Path, default=ROOT / "bench" / "results" / "word2vec_bundled.json")
    args = parser.parse_args()
    tokens = build_corpus()
    from seqlab.embed import Word2Vec

    for arch in ("skipgram", "cbow"):  # compile (or load from numba's cache) the kernels outside the timings
        Word2Vec(architecture=arch, vector_size=8, min_count=1, epochs=1, workers=1).fit([["a", "b", "c"]] * 20,
                                                                                         progress=False)
    runs = []
    for a in args.arch:
        for e in args.epochs:
            for s in range(1, args.seeds + 1):
                runs.append(run(a, e, s, cross_check=not runs))
                print(json.dumps(runs[-1]), flush=True)
    summary = {}
    for a in args.arch:
        for e in args.epochs:
            rs = [r for r in runs if r["arch"] == a and r["epochs"] == e]
            keys = [k for k in rs[0] if k.endswith(("spearman", "analogy", "cpu_s"))]
            summary[f"{a}_{e}"] = {k: round(statistics.mean(r[k] for r in rs), 4) for k in keys}
            summary[f"{a}_{e}"].update({f"{k}_std": round(statistics.stdev(r[k] for r in rs), 4)
                                        for k in keys if not k.endswith("cpu_s") and len(rs) > 1})
            summary[f"{a}_{e}"]["seqlab_minus_gensim_spearman"] = round(
                statistics.mean(r["seqlab_spearman"] - r["gensim_spearman"] for r in rs), 4)
            summary[f"{a}_{e}"]["seqlab_minus_gensim_analogy_points"] = round(
                100 * statistics.mean(r["seqlab_analogy"] - r["gensim_analogy"] for r in rs), 2)
            summary[f"{a}_{e}"]["gensim_over_seqlab_cpu"] = round(
                statistics.mean(r["gensim_cpu_s"] for r in rs) / statistics.mean(r["seqlab_cpu_s"] for r in rs), 2)
    out = {"corpus": "kjv+shakespeare+austen train splits", "tokens": tokens, "params": PARAMS,
           "evaluation": "seqlab's Embeddings.evaluate_similarity/evaluate_analogies on both sides (gensim's "
                         "test_data wordsim353.tsv and questions-words.txt, restrict_vocab=30000), checked "
                         "equal to gensim's evaluate_word_pairs/evaluate_word_analogies on the first run",
           "means_over_seeds": summary, "runs": runs}
    args.output.write_text(json.dumps(out, indent=2) + "\n")
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
