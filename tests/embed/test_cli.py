"""``seqlab embed ...`` end to end on a small planted corpus."""

from __future__ import annotations

import json

import numpy as np
import pytest


@pytest.fixture
def corpus_file(tmp_path, rng):
    clusters = [[f"c{k}w{i}" for i in range(6)] for k in range(4)]
    lines = [" ".join(rng.choice(clusters[rng.integers(4)], size=8)) for _ in range(800)]
    path = tmp_path / "corpus.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def model_dir(cli, tmp_path, corpus_file):
    out = tmp_path / "model"
    res = cli("embed", "train", "--data", corpus_file, "--dim", "16", "--window", "4", "--min-count", "1",
              "--sample", "0", "--epochs", "4", "--workers", "2", "--seed", "1", "-o", out, "--format", "json")
    assert res.code == 0, res.err
    info = json.loads(res.out)
    assert info["vocabulary"] == 24 and info["tokens_trained"] == 800 * 8 * 4
    return out


def test_similar_and_analogy(cli, model_dir):
    res = cli("embed", "similar", model_dir, "c1w0", "--topn", "5", "--format", "json")
    assert res.code == 0, res.err
    rows = json.loads(res.out)
    assert len(rows) == 5 and sum(r["word"].startswith("c1") for r in rows) >= 4
    res = cli("embed", "analogy", model_dir, "c0w0", "c0w1", "c2w0")
    assert res.code == 0 and "c0w0 : c0w1 :: c2w0 : ?" in res.out


def test_train_on_bundled_kjv(cli, tmp_path):
    res = cli("embed", "train", "--data", "kjv", "--cbow", "--dim", "10", "--min-count", "50", "--epochs", "1",
              "-o", tmp_path / "kjv", "--format", "json")
    assert res.code == 0, res.err
    assert json.loads(res.out)["vocabulary"] > 500
    res = cli("embed", "similar", tmp_path / "kjv", "god", "--format", "json")
    assert res.code == 0 and len(json.loads(res.out)) == 10


def test_cbow_hs_training(cli, tmp_path, corpus_file):
    res = cli("embed", "train", "--data", corpus_file, "--cbow", "--hs", "--dim", "8", "--min-count", "1",
              "--epochs", "1", "-o", tmp_path / "m")
    assert res.code == 0, res.err
    manifest = json.loads((tmp_path / "m" / "manifest.json").read_text())
    assert manifest["params"]["architecture"] == "cbow" and manifest["params"]["loss"] == "hierarchical"


def test_eval_json_keys(cli, tmp_path, model_dir):
    ana = tmp_path / "q.txt"
    ana.write_text(": s\nc0w0 c0w1 c1w0 c1w1\nc2w0 c2w1 c3w0 c3w1\nzz c0w1 c1w0 c1w1\n", encoding="utf-8")
    sim = tmp_path / "s.tsv"
    sim.write_text("# header\nc0w0\tc0w1\t9\nc0w0\tc1w1\t1\nc2w0\tc2w3\t8\nc2w0\tc3w3\t2\nc2w0\tqq\t2\n",
                   encoding="utf-8")
    res = cli("embed", "eval", model_dir, "--analogies", ana, "--similarity", sim, "--restrict-vocab", "30000",
              "--format", "json")
    assert res.code == 0, res.err
    out = json.loads(res.out)
    assert set(out) == {"analogy_accuracy", "analogy_coverage", "similarity_spearman", "similarity_pearson",
                        "similarity_coverage"}
    assert out["analogy_coverage"] == pytest.approx(2 / 3) and out["similarity_coverage"] == pytest.approx(4 / 5)
    assert out["similarity_spearman"] > 0.5  # same-cluster pairs are rated high and must be closer


@pytest.mark.reference
@pytest.mark.parametrize("binary", [False, True])
def test_export_loads_in_gensim(cli, tmp_path, model_dir, binary):
    kv_mod = pytest.importorskip("gensim.models.keyedvectors")
    out = tmp_path / ("v.bin" if binary else "v.txt")
    res = cli("embed", "export", model_dir, "--word2vec", out, *(["--binary"] if binary else []))
    assert res.code == 0, res.err
    kv = kv_mod.KeyedVectors.load_word2vec_format(str(out), binary=binary)
    from seqlab import io

    wv = io.load(model_dir).wv
    assert list(kv.index_to_key) == wv.index_to_key
    np.testing.assert_allclose(kv.vectors, wv.vectors, rtol=1e-6)
    res = cli("embed", "similar", out, "c1w0", "--topn", "3")  # a word2vec file works as DIR too
    assert res.code == 0, res.err


@pytest.mark.parametrize("argv,match", [
    (["embed", "similar", "{model}", "c1w0x"], "Word 'c1w0x' is not in the vocabulary .* did you mean 'c1w0'"),
    (["embed", "similar", "{model}", "C1W2"], "Word 'C1W2' is not in the vocabulary .* did you mean 'c1w2'"),
    (["embed", "similar", "{tmp}/nope", "x"], "does not exist"),
    (["embed", "train", "--data", "{tmp}/missing.txt", "-o", "{tmp}/o"], "does not exist"),
    (["embed", "train", "--data", "{corpus}", "--dim", "0", "-o", "{tmp}/o"], "vector_size"),
    (["embed", "train", "--data", "{corpus}", "--min-count", "100000", "-o", "{tmp}/o"], "No word occurs"),
    (["embed", "train", "--data", "{empty}", "-o", "{tmp}/o"], "no tokens"),
    (["embed", "eval", "{model}"], "needs --analogies"),
    (["embed", "similar", "{bad}", "x"], "first line must be"),
])
def test_errors_are_one_line(cli, tmp_path, model_dir, corpus_file, argv, match):
    import re

    empty = tmp_path / "empty.txt"
    empty.write_text("\n\n", encoding="utf-8")
    bad = tmp_path / "bad.txt"
    bad.write_text("not a header\n", encoding="utf-8")
    argv = [a.format(model=model_dir, tmp=tmp_path, corpus=corpus_file, empty=empty, bad=bad) for a in argv]
    res = cli(*argv)
    assert res.code == 1
    lines = res.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("seqlab: error: ") and re.search(match, lines[0]), res.err
    assert not (tmp_path / "o").exists(), "a failed train must not leave an output directory"
