"""Word2Vec quality, seqlab vs gensim, on the bundled public-domain text (no download), several seeds.

Corpus: the training splits of ``kjv``, ``shakespeare`` and ``austen`` (lower-cased word tokens,
about 1.9M tokens); both libraries stream the same file with the same hyperparameters (dim 100,
window 5, negative 5, min_count 5, sample 1e-3, 2 workers). Both sets of vectors are scored by
gensim's own evaluators (WordSim-353 Spearman, analogy accuracy with restrict_vocab=30000), so
the evaluator cannot differ. Threaded training is not reproducible run to run: compare means
over seeds, not single runs.

Run: ``PYTHONPATH=src python bench/word2vec_bundled.py [--arch cbow sg] [--epochs 1 3 5] [--seeds 4]``
-> ``bench/results/word2vec_bundled.json``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

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
    CORPUS.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return sum(len(line.split()) for line in lines)


def run(arch: str, epochs: int, seed: int) -> dict:
    import gensim
    from gensim.models import KeyedVectors
    from gensim.models import Word2Vec as GensimW2V
    from gensim.models.word2vec import LineSentence

    from seqlab.embed import Word2Vec

    test_data = Path(gensim.__file__).parent / "test" / "test_data"

    def evaluate(kv: KeyedVectors) -> tuple[float, float]:
        spearman = kv.evaluate_word_pairs(str(test_data / "wordsim353.tsv"))[1][0]
        accuracy = kv.evaluate_word_analogies(str(test_data / "questions-words.txt"), restrict_vocab=30000)[0]
        return float(spearman), float(accuracy)

    c = time.process_time()
    g = GensimW2V(LineSentence(str(CORPUS)), sg=1 if arch == "sg" else 0, hs=0, epochs=epochs, seed=seed, **PARAMS)
    g_cpu = time.process_time() - c
    c = time.process_time()
    s = Word2Vec(architecture="skipgram" if arch == "sg" else "cbow", epochs=epochs, seed=seed,
                 **PARAMS).fit(str(CORPUS), progress=False)
    s_cpu = time.process_time() - c
    kv = KeyedVectors(vector_size=PARAMS["vector_size"])
    kv.add_vectors(list(s.vocabulary_.itos[4:]), s.input_vectors_)
    gs, ga = evaluate(g.wv)
    ss, sa = evaluate(kv)
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
    runs = [run(a, e, s) for a in args.arch for e in args.epochs for s in range(1, args.seeds + 1)]
    summary = {}
    for a in args.arch:
        for e in args.epochs:
            rs = [r for r in runs if r["arch"] == a and r["epochs"] == e]
            summary[f"{a}_{e}"] = {k: round(statistics.mean(r[k] for r in rs), 4) for k in rs[0] if k.endswith(
                ("spearman", "analogy", "cpu_s"))}
    out = {"corpus": "kjv+shakespeare+austen train splits", "tokens": tokens, "params": PARAMS,
           "means_over_seeds": summary, "runs": runs}
    args.output.write_text(json.dumps(out, indent=2) + "\n")
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
