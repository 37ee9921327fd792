"""``seqlab tag train|eval|predict``: HMM and neural taggers, CoNLL and word/TAG files, bad input."""

from __future__ import annotations

import json

import pytest

SLASH = "the/DET dog/NOUN runs/VERB\na/DET cat/NOUN sleeps/VERB\ndogs/NOUN bark/VERB\n" * 4
CONLL = ("EU\tNNP\tB-ORG\nrejects\tVBZ\tO\nGerman\tJJ\tB-MISC\ncall\tNN\tO\n\n"
         "Peter\tNNP\tB-PER\nBlackburn\tNNP\tI-PER\n\n")


@pytest.mark.parametrize("model", ["hmm", "bilstm-crf"])
def test_train_eval_predict(cli, tmp_path, model):
    data = tmp_path / "train.txt"
    data.write_text(SLASH)
    out = tmp_path / model
    extra = [] if model == "hmm" else ["--max-steps", "60", "--hidden", "8", "--embed-dim", "8", "--lr", "0.05",
                                       "--batch-size", "4", "--dropout", "0", "--char-features"]
    r = cli("tag", "train", "--model", model, "--data", data, "-o", out, *extra, "--format", "json")
    assert r.code == 0, r.err
    assert json.loads(r.out)["tags"] == 3 and (out / "tag.json").is_file()
    r = cli("tag", "eval", out, "--data", data, "--format", "json")
    assert r.code == 0, r.err
    figures = json.loads(r.out)
    assert figures["accuracy"] == 1.0 and figures["tokens"] == 32 and set(figures["per_tag"]) == {"DET", "NOUN", "VERB"}
    assert figures["oov_tokens"] == 0 and figures["oov_accuracy"] is None and "entity_f1" not in figures
    src = tmp_path / "in.txt"
    src.write_text("the cat runs\n\n")
    r = cli("tag", "predict", out, src)
    assert r.code == 0 and r.out == "the/DET cat/NOUN runs/VERB\n\n", r.out
    r = cli("tag", "predict", out, src, "--format", "conll")
    assert r.out.startswith("the\tDET\ncat\tNOUN\n")


def test_word_dropout_and_lowercase_flags(cli, tmp_path):
    data = tmp_path / "train.txt"
    data.write_text(SLASH)
    out = tmp_path / "m"
    r = cli("tag", "train", "--model", "bilstm-crf", "--data", data, "-o", out, "--max-steps", "60", "--hidden", "8",
            "--embed-dim", "8", "--lr", "0.05", "--batch-size", "4", "--dropout", "0", "--char-features",
            "--word-dropout", "0.1", "--lowercase", "--format", "json")
    assert r.code == 0, r.err
    manifest = json.loads((out / "manifest.json").read_text())
    assert "0.1" in json.dumps(manifest) and '"lowercase": true' in json.dumps(manifest)
    upper = tmp_path / "upper.txt"
    upper.write_text(SLASH.replace("the/", "The/"))
    r = cli("tag", "eval", out, "--data", upper, "--format", "json")
    assert r.code == 0, r.err
    assert json.loads(r.out)["oov_tokens"] == 0          # "The" is looked up as the known "the"
    r = cli("tag", "train", "--model", "bilstm", "--data", data, "-o", tmp_path / "bad", "--word-dropout", "1.5")
    assert r.code == 1 and r.err.startswith("seqlab: error:") and "word_dropout" in r.err


def test_conll_bio_entity_f1(cli, tmp_path):
    data = tmp_path / "ner.conll"
    data.write_text(CONLL)
    out = tmp_path / "m"
    assert cli("tag", "train", "--model", "hmm", "--data", data, "-o", out).code == 0
    r = cli("tag", "eval", out, "--data", data, "--format", "json")
    figures = json.loads(r.out)
    assert figures["entity_f1"] == 1.0 and figures["accuracy"] == 1.0


def test_bad_input(cli, tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_text("the/DET dog\n")
    out = tmp_path / "m"
    r = cli("tag", "train", "--model", "hmm", "--data", bad, "-o", out)
    assert r.code == 1 and r.err.startswith("seqlab: error:") and "word/TAG" in r.err and not out.exists()
    good = tmp_path / "good.txt"
    good.write_text(SLASH)
    clf = tmp_path / "clf"
    tsv = tmp_path / "c.tsv"
    tsv.write_text("a\tx y\nb\tz w\n")
    assert cli("classify", "train", "--data", tsv, "-o", clf).code == 0
    r = cli("tag", "predict", clf, good)
    assert r.code == 1 and "not a tagger" in r.err
    r = cli("tag", "train", "--model", "cnn", "--data", good, "-o", out, "--kernel-sizes", "0")
    assert r.code == 1 and "kernel_sizes" in r.err and not out.exists()
