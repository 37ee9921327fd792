"""``seqlab classify train --model lstm|cnn|...``: neural classifiers on the command line, and bad input."""

from __future__ import annotations

import json

import pytest

POS = ["good fine great", "great good nice", "nice fine", "fine good", "great nice good"]
NEG = ["bad awful poor", "poor bad", "awful poor bad", "bad poor", "awful bad"]
FAST = ["--max-steps", "30", "--batch-size", "4", "--lr", "0.05", "--embed-dim", "8", "--dropout", "0"]


@pytest.fixture
def tsv(tmp_path):
    path = tmp_path / "train.tsv"
    path.write_text("".join(f"pos\t{t}\n" for t in POS * 2) + "".join(f"neg\t{t}\n" for t in NEG * 2))
    return path


@pytest.mark.parametrize("model, extra", [("cnn", ["--kernel-sizes", "1,2", "--filters", "8"]),
                                          ("lstm", ["--hidden", "8", "--bidirectional", "--pooling", "mean"]),
                                          ("transformer", ["--hidden", "8", "--heads", "2"])])
def test_train_eval_predict_neural(cli, tsv, tmp_path, model, extra):
    out = tmp_path / model
    r = cli("classify", "train", "--model", model, "--data", tsv, "-o", out, "--valid-fraction", "0",
            *FAST, *extra, "--format", "json")
    assert r.code == 0, r.err
    summary = json.loads(r.out)
    assert summary["architecture"] == model and summary["steps"] == 30 and summary["classes"] == 2
    r = cli("classify", "eval", out, "--data", tsv, "--format", "json")
    assert r.code == 0, r.err
    assert json.loads(r.out)["accuracy"] == pytest.approx(1.0)
    src = tmp_path / "in.txt"
    src.write_text("good great\nawful poor\n")
    r = cli("classify", "predict", out, src)
    assert r.code == 0, r.err
    assert [line.split("\t")[0] for line in r.out.splitlines()] == ["pos", "neg"]


def test_training_flags_are_lm_trains(cli):
    r_lm = cli("lm", "train", "--help")
    r_cl = cli("classify", "train", "--help")
    for flag in ("--max-time", "--max-steps", "--max-epochs", "--lr", "--batch-size", "--patience",
                 "--restore-best", "--eval-every", "--clip", "--seed"):
        assert flag in r_lm.out and flag in r_cl.out, flag
    for flag in ("--pooling", "--kernel-sizes", "--filters", "--embeddings", "--embeddings-mode", "--class-weight",
                 "--layers", "--hidden", "--embed-dim", "--bidirectional"):
        assert flag in r_cl.out, flag


def test_bad_input_is_one_line_and_writes_nothing(cli, tsv, tmp_path):
    out = tmp_path / "m"
    r = cli("classify", "train", "--model", "cnn", "--data", tsv, "-o", out, "--kernel-sizes", "0")
    assert r.code == 1 and r.err.startswith("seqlab: error: kernel_sizes") and len(r.err.splitlines()) == 1
    assert not out.exists()
    one = tmp_path / "one.tsv"
    one.write_text("pos\tgood\npos\tfine\n")
    r = cli("classify", "train", "--model", "gru", "--data", one, "-o", out, *FAST, "--hidden", "4")
    assert r.code == 1 and "single class" in r.err and not out.exists()
    vec = tmp_path / "v.txt"
    vec.write_text("2 3\ngood 0.1 0.2 0.3\nbad 0.3 0.2 0.1\n")
    r = cli("classify", "train", "--model", "cnn", "--data", tsv, "-o", out, *FAST, "--embeddings", vec)
    assert r.code == 1 and "dimension 3" in r.err and not out.exists()


def test_numeric_dataset(cli, tmp_path):
    out = tmp_path / "jv"
    r = cli("classify", "train", "--model", "gru", "--data", "japanese-vowels", "-o", out, "--max-steps", "5",
            "--hidden", "8", "--batch-size", "16", "--format", "json")
    assert r.code == 0, r.err
    r = cli("classify", "eval", out, "--data", "japanese-vowels", "--format", "json")
    assert r.code == 0 and json.loads(r.out)["n_samples"] == 370
