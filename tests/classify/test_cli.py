"""``seqlab classify train|eval|predict``: round trips on TSV and folder data, and bad input."""

from __future__ import annotations

import json

import numpy as np
import pytest

from seqlab import io

SPAM = ["win cash now", "claim your cash prize today", "cash cash prize", "free prize win now", "win a free prize"]
HAM = ["lunch at noon", "see you at lunch tomorrow", "meeting at noon today", "notes from the meeting", "see you"]


@pytest.fixture
def tsv(tmp_path):
    train = tmp_path / "train.tsv"
    train.write_text("".join(f"spam\t{t}\n" for t in SPAM) + "\n" + "".join(f"ham\t{t}\n" for t in HAM))
    test = tmp_path / "test.tsv"
    test.write_text("spam\tfree cash\nham\tlunch meeting tomorrow\nham\tsee you at noon\n")
    return train, test


def test_train_eval_predict_round_trip(cli, tsv, tmp_path, monkeypatch):
    train, test = tsv
    out = tmp_path / "model"
    r = cli("classify", "train", "--data", train, "-o", out, "--order", "1", "--oov", "ignore", "--no-boundaries",
            "--alpha", "0.5", "--format", "json")
    assert r.code == 0, r.err
    summary = json.loads(r.out)
    assert summary["texts"] == 10 and summary["class_counts"] == {"ham": 5, "spam": 5}
    assert (out / "manifest.json").is_file() and not (out / "classify.json").exists()  # tokenizer is model state
    assert io.load(out).tokenizer_.to_json()["name"]

    r = cli("classify", "eval", out, "--data", test, "--format", "json")
    assert r.code == 0, r.err
    figures = json.loads(r.out)
    assert figures["accuracy"] == pytest.approx(1.0) and figures["macro_f1"] == pytest.approx(1.0)
    assert set(figures["per_class"]) == {"ham", "spam"} and figures["per_class"]["ham"]["support"] == 2

    r = cli("classify", "eval", out, "--data", test)
    assert r.code == 0 and "macro avg" in r.out and "accuracy" in r.out

    inputs = tmp_path / "in.txt"
    inputs.write_text("free cash prize\n\nlunch at noon\n")
    r = cli("classify", "predict", out, inputs)
    assert r.code == 0, r.err
    lines = r.out.splitlines()
    assert len(lines) == 3  # one output line per input line, the blank one included
    labels = [ln.split("\t")[0] for ln in lines]
    probs = [float(ln.split("\t")[1]) for ln in lines]
    assert labels[0] == "spam" and labels[2] == "ham" and all(0.5 <= p <= 1 for p in probs)
    assert probs[1] == pytest.approx(0.5)  # no tokens, uniform empirical prior, no boundaries -> the prior


def test_cli_matches_api(cli, tsv, tmp_path):
    from seqlab import io
    from seqlab.classify import BayesSequenceClassifier
    from seqlab.data import get_tokenizer
    from seqlab.ngram import Lidstone, NGramLM

    train, _ = tsv
    out = tmp_path / "m"
    assert cli("classify", "train", "--data", train, "-o", out, "--order", "2", "--tokenizer", "char").code == 0
    tok = get_tokenizer("char")
    api = BayesSequenceClassifier(lm=NGramLM(order=2, smoothing=Lidstone(0.1)))
    api.fit([tok(t) for t in SPAM + HAM], ["spam"] * 5 + ["ham"] * 5)
    loaded = io.load(out)
    x = [tok("free lunch"), tok("cash")]
    np.testing.assert_allclose(loaded.predict_log_proba(x), api.predict_log_proba(x), atol=1e-12)


def test_folder_per_class(cli, tmp_path):
    root = tmp_path / "data"
    for label, texts in (("spam", SPAM), ("ham", HAM)):
        (root / label).mkdir(parents=True)
        for i, t in enumerate(texts):
            (root / label / f"{i}.txt").write_text(t + "\n")
    r = cli("classify", "train", "--data", root, "-o", tmp_path / "m", "--format", "json")
    assert r.code == 0, r.err
    assert json.loads(r.out)["class_counts"] == {"ham": 5, "spam": 5}
    r = cli("classify", "eval", tmp_path / "m", "--data", root, "--format", "json")
    assert r.code == 0 and json.loads(r.out)["accuracy"] > 0.8


@pytest.mark.parametrize("content, message", [
    ("spam\twin cash\nham lunch at noon\n", "line 2: no tab"),
    ("spam\twin cash\nham\t   \n", "line 2: the text after the tab is empty"),
    ("spam\twin cash\nspam\tcash prize\n", "single class"),
    ("\n\n", "holds no labelled texts"),
])
def test_bad_training_files(cli, tmp_path, content, message):
    data = tmp_path / "bad.tsv"
    data.write_text(content)
    out = tmp_path / "m"
    r = cli("classify", "train", "--data", data, "-o", out)
    assert r.code == 1 and message in r.err and r.err.startswith("seqlab: error:")
    assert len(r.err.strip().splitlines()) == 1 and "Traceback" not in r.err
    assert not out.exists()  # nothing half-written


def test_failed_train_keeps_existing_model(cli, tsv, tmp_path):
    train, _ = tsv
    out = tmp_path / "m"
    assert cli("classify", "train", "--data", train, "-o", out).code == 0
    before = (out / "manifest.json").read_text()
    bad = tmp_path / "bad.tsv"
    bad.write_text("spam\tonly one class\n")
    assert cli("classify", "train", "--data", bad, "-o", out).code == 1
    assert (out / "manifest.json").read_text() == before


def test_eval_refuses_unknown_labels(cli, tsv, tmp_path):
    train, _ = tsv
    out = tmp_path / "m"
    assert cli("classify", "train", "--data", train, "-o", out).code == 0
    other = tmp_path / "other.tsv"
    other.write_text("spam\tcash\neggs\tbacon\n")
    r = cli("classify", "eval", out, "--data", other)
    assert r.code == 1 and "'eggs'" in r.err and "text 2" in r.err


def test_bad_options_and_directories(cli, tsv, tmp_path):
    train, _ = tsv
    r = cli("classify", "train", "--data", train, "-o", tmp_path / "m", "--order", "0")
    assert r.code == 1 and "order" in r.err
    r = cli("classify", "train", "--data", train, "-o", tmp_path / "m", "--smoothing", "witten-bell", "--alpha", "1")
    assert r.code == 1 and "alpha" in r.err
    r = cli("classify", "train", "--data", train, "-o", tmp_path / "m", "--smoothing", "stupid-backoff")
    assert r.code == 1 and "unnormalised" in r.err
    r = cli("classify", "train", "--data", tmp_path / "missing.tsv", "-o", tmp_path / "m")
    assert r.code == 1 and "does not exist" in r.err
    r = cli("classify", "eval", tmp_path / "nothing-here", "--data", train)
    assert r.code == 1 and "manifest.json" in r.err
    r = cli("classify", "train", "--data", train, "-o", tmp_path / "m", "--tokenizer", "bpe")
    assert r.code == 2


@pytest.mark.slow
def test_bundled_data_set_train_and_test_splits(cli, tmp_path):
    pytest.importorskip("seqlab.datasets")
    out = tmp_path / "m"
    r = cli("classify", "train", "--data", "brown-genres", "-o", out, "--order", "1", "--format", "json")
    assert r.code == 0, r.err
    trained = json.loads(r.out)
    assert trained["data"] == "brown-genres:train" and len(trained["class_counts"]) == 15
    r = cli("classify", "eval", out, "--data", "brown-genres", "--format", "json")
    assert r.code == 0, r.err
    figures = json.loads(r.out)
    assert figures["data"] == "brown-genres:test" and len(figures["per_class"]) == 15
    assert figures["accuracy"] > 1 / 15 * 3  # far above chance (1/15) for naive Bayes on genres
    r = cli("classify", "eval", out, "--data", "brown-genres:nosuchsplit")
    assert r.code == 1 and "split" in r.err


def test_predict_reads_data_as_a_flag_too(cli, tsv, tmp_path):
    train, _ = tsv
    assert cli("classify", "train", "--data", train, "-o", tmp_path / "m", "-q").code == 0
    texts = tmp_path / "in.txt"
    texts.write_text("free cash now\nlunch at noon\n")
    by_flag = cli("classify", "predict", tmp_path / "m", "--data", texts)
    by_position = cli("classify", "predict", tmp_path / "m", texts)
    assert by_flag.code == 0 and by_flag.out == by_position.out and len(by_flag.out.splitlines()) == 2
