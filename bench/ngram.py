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
- KenLM ``lmplz -o N -S 1G`` when the binary is on PATH or named by ``$LMPLZ`` (it is not
  installed by seqlab; build KenLM from source, e.g. the ``kenlm`` PyPI sdist with cmake and
  the Boost headers).
- Scoring against the ``kenlm`` Python module's ``Model.score`` (same ARPA, same sentences,
  interleaved repetitions), and CLI start-up: ``lm train`` + ``lm eval`` as two processes
  against NLTK in process.

Writes ``bench/results/ngram.json``. Run: ``python bench/ngram.py`` (``--only startup`` reruns the start-up
section alone and replaces only its key).
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

    lmplz = os.environ.get("LMPLZ") or shutil.which("lmplz")
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


def bench_scoring_vs_kenlm(lm: NGramLM, test: list[list[str]], reps: int = 7) -> dict | None:
    """Tokens per CPU-second: seqlab ``token_log_probs`` vs the ``kenlm`` module's ``Model.score``.

    Same model (seqlab's order-5 ARPA, loaded by kenlm), same sentences, interleaved
    repetitions in one process; best and median of ``reps``. seqlab is measured on both its
    scorers: the compiled hash scorer (numba loaded) and the numpy one (what a fresh process
    uses on a corpus under ``FAST_SCORE_MIN_POSITIONS``, where importing numba would cost more).
    """
    try:
        import kenlm
    except ImportError:
        return None
    import numba  # noqa: F401  (loaded: the compiled scorer is used whatever the corpus size)

    from seqlab.ngram import model as ngram_model

    with tempfile.TemporaryDirectory() as tmp:
        arpa = Path(tmp) / "o5.arpa"
        lm.to_arpa(arpa)
        km = kenlm.Model(str(arpa))
    sents = [" ".join(s) for s in test]
    n_tok = sum(len(s) + 1 for s in test)
    lm.token_log_probs(test)  # build the hash index and load the compiled kernels once
    k_cpu, s_cpu, np_cpu = [], [], []
    for _ in range(reps):
        (k_total, _w, c) = timed(lambda: sum(km.score(x) for x in sents))
        k_cpu.append(c)
        ((lp, _oov), _w, c) = timed(lm.token_log_probs, test)
        s_cpu.append(c)
    saved = ngram_model.sys.modules.pop("numba")
    try:
        for _ in range(max(3, reps // 2)):
            ((lp_np, _oov), _w, c) = timed(lm.token_log_probs, test)
            np_cpu.append(c)
    finally:
        ngram_model.sys.modules["numba"] = saved
    return {
        "corpus": "kjv:test", "order": 5, "tokens_incl_eos": n_tok, "repetitions": reps,
        "kenlm_tokens_per_cpu_s_best": n_tok / min(k_cpu),
        "kenlm_tokens_per_cpu_s_median": n_tok / float(np.median(k_cpu)),
        "seqlab_tokens_per_cpu_s_best": n_tok / min(s_cpu),
        "seqlab_tokens_per_cpu_s_median": n_tok / float(np.median(s_cpu)),
        "seqlab_numpy_scorer_tokens_per_cpu_s_best": n_tok / min(np_cpu),
        "seqlab_over_kenlm_best": min(k_cpu) / min(s_cpu),
        "seqlab_over_kenlm_median": float(np.median(k_cpu) / np.median(s_cpu)),
        "total_log10_kenlm": k_total, "total_log10_seqlab": float(lp.sum() / math.log(10)),
        "scorers_bit_identical": bool(np.array_equal(lp, lp_np)),
        "note": "seqlab scores token lists (tokens -> ids -> hash look-ups); kenlm.Model.score takes each sentence "
                "as one string. Both include the token-to-id mapping.",
    }


def _cli_cpu(cmd: list[str], env: dict[str, str]) -> tuple[float, str]:
    """(CPU seconds of one ``python -m seqlab ...`` child process, its stdout)."""
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    res = subprocess.run([sys.executable, "-m", "seqlab", *cmd], env=env, capture_output=True, text=True, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), res.stdout


def bench_startup(train: list[list[str]], test: list[list[str]], target_tokens: int = 355_000,
                  reps: int = 5) -> dict:
    """``seqlab lm train`` + ``seqlab lm eval`` (order 3, two process starts) vs NLTK in process.

    Training text: the first KJV training sentences totalling ``target_tokens`` words; held
    out: ``kjv:test``. NLTK: ``Laplace(3)`` fit + ``perplexity`` over every test trigram, in
    this process (NLTK's Kneser-Ney scores ~16 tokens/s and would take hours). CPU seconds,
    best and median of ``reps`` runs each.

    The seqlab processes read compiled bytecode, as an installed package does (pip compiles
    it at install time): ``PYTHONDONTWRITEBYTECODE`` is dropped for them and the bytecode goes
    to a temporary ``PYTHONPYCACHEPREFIX``, filled by one untimed run. One run without any
    bytecode (every seqlab module compiled from source, as in a source checkout with
    ``PYTHONDONTWRITEBYTECODE=1``) is reported beside it. Fixed costs beside them (best of
    ``reps``): a bare Python start, ``import numpy`` with OpenBLAS's default threads and with
    one (as the ``lm`` commands load it), and ``lm eval``'s start-up up to its own work.
    """
    from nltk.lm import Laplace
    from nltk.lm.preprocessing import padded_everygram_pipeline
    from nltk.util import ngrams, pad_sequence

    part, n = [], 0
    for sent in train:
        if n >= target_tokens:
            break
        part.append(sent)
        n += len(sent)
    out: dict = {"train_words": n, "train_sentences": len(part), "test": "kjv:test",
                 "test_tokens_incl_eos": sum(len(s) + 1 for s in test), "repetitions": reps}
    with tempfile.TemporaryDirectory() as tmp:
        tr, te, model = Path(tmp) / "train.txt", Path(tmp) / "test.txt", Path(tmp) / "m"
        tr.write_text("\n".join(" ".join(s) for s in part) + "\n")
        te.write_text("\n".join(" ".join(s) for s in test) + "\n")
        src = str(Path(__file__).resolve().parents[1] / "src")
        source_env = dict(os.environ, PYTHONPATH=src, PYTHONDONTWRITEBYTECODE="1")
        env = {k: v for k, v in source_env.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env["PYTHONPYCACHEPREFIX"] = str(Path(tmp) / "pycache")
        cmds = {"train": ["lm", "train", "--data", str(tr), "-o", str(model), "--order", "3", "-q", "--force"],
                "eval": ["lm", "eval", str(model), "--data", str(te), "-q", "--format", "json"]}
        for name, cmd in cmds.items():  # from source, no bytecode; then fills the bytecode cache
            out[f"seqlab_{name}_cpu_s_without_bytecode"], _ = _cli_cpu(cmd, source_env)
            _cli_cpu(cmd, env)
        runs: dict[str, list[float]] = {"train": [], "eval": []}
        for _ in range(reps):
            for name, cmd in cmds.items():
                cpu, stdout = _cli_cpu(cmd, env)
                runs[name].append(cpu)
                if name == "eval":
                    out["seqlab_perplexity"] = json.loads(stdout)["perplexity"]
        for name, cpus in runs.items():
            out[f"seqlab_{name}_cpu_s"] = min(cpus)
            out[f"seqlab_{name}_cpu_s_median"] = float(np.median(cpus))
        out["python_start_cpu_s"] = min(_python_cpu(["-c", "pass"], env) for _ in range(reps))
        out["python_numpy_import_cpu_s"] = min(_python_cpu(["-c", "import numpy"], env) for _ in range(reps))
        one_thread = dict(env, OPENBLAS_NUM_THREADS="1")
        out["python_numpy_import_one_blas_thread_cpu_s"] = min(_python_cpu(["-c", "import numpy"], one_thread)
                                                               for _ in range(reps))
        start = _CLI_START % (cmds["eval"],)
        out["python_cli_start_cpu_s"] = min(_python_cpu(["-c", start], env) for _ in range(reps))
        imported = subprocess.run([sys.executable, "-c", _MODULES_AFTER_EVAL, str(model), str(te)], env=env,
                                  capture_output=True, text=True, check=True).stdout.splitlines()[-1].split()
        out["eval_imports_numba_torch_or_tqdm"] = [m for m in imported if m.split(".")[0] in ("numba", "torch", "tqdm")]
    fits, ppls = [], []
    for _ in range(max(1, reps // 2)):
        c = time.process_time()
        lm = Laplace(3)
        grams, vocab = padded_everygram_pipeline(3, part)
        lm.fit(grams, vocab)
        fits.append(time.process_time() - c)
        c = time.process_time()
        test_grams = [g for s in test for g in ngrams(pad_sequence(s, 3, pad_left=True, pad_right=True,
                                                                  left_pad_symbol="<s>", right_pad_symbol="</s>"), 3)
                      if not (g[-1] == "</s>" and g[-2] == "</s>")]
        ppl = lm.perplexity(test_grams)
        ppls.append(time.process_time() - c)
    out.update({"nltk_model": "nltk.lm.Laplace(3)", "nltk_fit_cpu_s": min(fits),
                "nltk_perplexity_cpu_s": min(ppls), "nltk_perplexity": ppl, "nltk_repetitions": len(fits)})
    nltk_total = out["nltk_fit_cpu_s"] + out["nltk_perplexity_cpu_s"]
    out["nltk_over_seqlab_cpu"] = nltk_total / (out["seqlab_train_cpu_s"] + out["seqlab_eval_cpu_s"])
    out["nltk_over_seqlab_cpu_median"] = (float(np.median(fits) + np.median(ppls))
                                          / (out["seqlab_train_cpu_s_median"] + out["seqlab_eval_cpu_s_median"]))
    out["nltk_over_seqlab_cpu_without_bytecode"] = nltk_total / (out["seqlab_train_cpu_s_without_bytecode"]
                                                                 + out["seqlab_eval_cpu_s_without_bytecode"])
    return out


#: ``seqlab lm eval`` up to the command's own work: python, numpy (as ``lm`` loads it), seqlab's
#: command line and n-gram modules, the parser
_CLI_START = """
from seqlab.cli.main import _load_numpy_for, build_parser
argv = %r
_load_numpy_for(argv)
build_parser(argv).parse_args(argv)
"""

_MODULES_AFTER_EVAL = """
import sys
from seqlab.cli.main import main
try:
    main(["lm", "eval", sys.argv[1], "--data", sys.argv[2], "-q", "--format", "json"])
except SystemExit:
    pass
sys.stdout.flush()
print(" ".join(sorted(sys.modules)))
"""


def _python_cpu(args: list[str], env: dict[str, str]) -> float:
    """CPU seconds of one ``python ARGS`` child process."""
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([sys.executable, *args], env=env, capture_output=True, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main_startup_only(reps: int) -> None:
    """Rerun only the start-up section and replace ``startup_cli_vs_nltk`` in the results file (nothing else)."""
    train = load_corpus("kjv:train+valid", tokenizer="word")
    test = load_corpus("kjv:test", tokenizer="word")
    startup = bench_startup(train, test, reps=reps)
    result = json.loads(RESULTS.read_text())
    result["startup_cli_vs_nltk"] = startup
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(startup, indent=2))


def main() -> None:
    train = load_corpus("kjv:train+valid", tokenizer="word")
    test = load_corpus("kjv:test", tokenizer="word")
    seqlab = bench_seqlab(train, test)
    nltk = bench_nltk(train, test, seqlab["order3"]["fit_cpu_s"])
    kenlm = bench_kenlm(train, test)
    scoring = bench_scoring_vs_kenlm(NGramLM(order=5).fit(train), test)
    startup = bench_startup(train, test)
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
        "seqlab": seqlab, "nltk": nltk, "scoring_vs_kenlm_module": scoring or "kenlm module not installed",
        "startup_cli_vs_nltk": startup, "kenlm_lmplz": kenlm if kenlm else "lmplz not on PATH; not run",
        "ratios": ratios,
        "targets": {"seqlab_vs_nltk_at_least_100x": ratios["fit_plus_test_perplexity_nltk_over_seqlab_cpu"] >= 100,
                    "scoring_at_least_1M_tokens_per_s": seqlab["score_tokens_per_s_cpu"] >= 1e6,
                    "scoring_at_least_kenlm_module": (scoring["seqlab_over_kenlm_best"] >= 1 if scoring
                                                      else "kenlm module not installed"),
                    "cli_train_plus_eval_at_least_10x_nltk": startup["nltk_over_seqlab_cpu"] >= 10,
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
    import argparse

    cli = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    cli.add_argument("--only", choices=("startup",), default=None,
                     help="run one section and update only its key of the results file")
    cli.add_argument("--reps", type=int, default=5, help="repetitions of each seqlab command (--only startup)")
    opts = cli.parse_args()
    if opts.only == "startup":
        main_startup_only(opts.reps)
    else:
        main()
