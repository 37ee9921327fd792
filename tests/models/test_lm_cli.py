"""``seqlab lm train|eval|generate`` with the neural families (tiny models, a few steps)."""

from __future__ import annotations

import json
import random

import pytest

from seqlab import io

WORDS = "the cat dog sat ran on a mat log and".split()


@pytest.fixture
def corpus(tmp_path):
    rnd = random.Random(0)
    lines = [" ".join(rnd.choice(WORDS) for _ in range(rnd.randint(3, 8))) for _ in range(120)]
    path = tmp_path / "train.txt"
    path.write_text("\n".join(lines) + "\n")
    return path


def train_args(corpus, out, model="lstm", *extra):
    shape = ["--heads", "2"] if model == "transformer" else ["--embed-dim", "16"]
    layers = [] if model == "window" else ["--layers", "1"]
    return ["lm", "train", "--model", model, "--data", corpus, *layers, "--hidden", "16", *shape,
            "--batch-size", "4", "--bptt", "8", "--eval-every", "5", "-o", out, "--quiet", *extra]


@pytest.mark.parametrize("model", ["lstm", "transformer", "window"])
def test_train_eval_generate(cli, corpus, tmp_path, model):
    out = tmp_path / model
    r = cli(*train_args(corpus, out, model, "--max-steps", "10", "--format", "json"))
    assert r.code == 0, r.err
    result = json.loads(r.out)
    for key in ("train_loss", "valid_loss", "valid_perplexity", "steps", "seconds", "tokens_per_second"):
        assert key in result, f"--format json must print {key}"
    assert result["steps"] == 10 and result["valid_perplexity"] > 1
    r = cli("lm", "eval", out, "--data", corpus, "--format", "json")
    assert r.code == 0, r.err
    assert json.loads(r.out)["perplexity"] > 1
    r = cli("lm", "generate", out, "--prompt", "the cat", "--top-k", "1", "--max-tokens", "5")
    greedy = cli("lm", "generate", out, "--prompt", "the cat", "--greedy", "--max-tokens", "5")
    assert r.code == 0 and r.out == greedy.out, "top-k 1 must equal greedy"


def test_resume_extends_a_run(cli, corpus, tmp_path):
    out = tmp_path / "m"
    assert cli(*train_args(corpus, out, "gru", "--max-steps", "5", "--schedule", "constant")).code == 0
    r = cli(*train_args(corpus, out, "gru", "--max-steps", "10", "--schedule", "constant", "--resume",
                        "--format", "json"))
    assert r.code == 0, r.err
    assert json.loads(r.out)["steps"] == 10
    assert io.load(out).train_result_["steps"] == 10


@pytest.mark.parametrize("extra,match", [
    (["--hidden", "0"], "'d_hidden' parameter of NeuralLM must be an int >= 1"),
    (["--heads", "3"], "divisible by n_heads"),
    (["--max-time", "soon"], "--max-time must be a positive duration"),
    (["--threads", "0"], "--threads must be >= 1"),
])
def test_bad_flags_are_one_line_errors(cli, corpus, tmp_path, extra, match):
    r = cli(*train_args(corpus, tmp_path / "bad", "transformer", "--max-steps", "2", *extra))
    assert r.code == 1 and match in r.err and "Traceback" not in r.err
    assert not (tmp_path / "bad").exists(), "a failed run must not leave a model directory"


def test_resume_with_other_flags_is_refused_and_keeps_the_checkpoint(cli, corpus, tmp_path):
    out = tmp_path / "m"
    assert cli(*train_args(corpus, out, "lstm", "--max-steps", "5")).code == 0
    before = (out / "manifest.json").read_bytes()
    r = cli(*train_args(corpus, out, "gru", "--max-steps", "10", "--resume"))
    assert r.code == 1 and "Cannot resume" in r.err
    assert (out / "manifest.json").read_bytes() == before


@pytest.mark.filterwarnings("ignore::seqlab.exceptions.DegenerateFitWarning")  # a tiny corpus; only vocabularies count
def test_vocabulary_matches_the_ngram_rule_and_can_be_borrowed(cli, corpus, tmp_path):
    from seqlab.data.readers import read_sequences
    from seqlab.models import NeuralLM
    from seqlab.ngram import NGramLM
    from seqlab.train import TrainConfig

    lines = list(read_sequences(corpus)) + [["<s>", "cat", "zebra"]]
    ngram = NGramLM(order=2, min_count=2).fit(lines)
    neural = NeuralLM(d_hidden=4, d_embed=4, n_layers=1, min_count=2, device="cpu",
                      train=TrainConfig(max_steps=1, batch_size=2, bptt=4)).fit(lines)
    assert neural.vocabulary_ == ngram.vocabulary_, "same data + min_count must give the same vocabulary"
    assert cli("lm", "train", "--model", "ngram", "--order", "2", "--data", corpus, "--min-count", "3",
               "-o", tmp_path / "ng").code == 0
    r = cli(*train_args(corpus, tmp_path / "nl", "gru", "--max-steps", "2", "--vocab-from", tmp_path / "ng"))
    assert r.code == 0, r.err
    assert io.load(tmp_path / "nl").vocabulary_ == io.load(tmp_path / "ng").vocabulary_


def test_demo_neural_step_scores_on_the_shared_test_split():
    import argparse
    import math

    from seqlab.cli.demo import DemoData, _neural_step

    rnd = random.Random(1)
    data = DemoData([[rnd.choice(WORDS) for _ in range(6)] for _ in range(60)], [["the", "cat", "sat"]])
    rows = _neural_step(data, argparse.Namespace(neural_seconds=0.3, seed=0, threads=None), True)
    assert [r.model_name.split(" (")[0] for r in rows] == ["neural lstm", "neural transformer"]
    assert all(math.isfinite(r.metrics["perplexity"]) and r.metrics["perplexity"] > 1 for r in rows)


@pytest.mark.parametrize("model", ["ngram", "lstm"])
def test_train_json_schema_model_is_the_class_output_the_directory(cli, corpus, tmp_path, model):
    out = tmp_path / model
    args = ["lm", "train", "--model", "ngram", "--data", corpus, "-o", out] if model == "ngram" else \
        train_args(corpus, out, model, "--max-steps", "2")
    r = cli(*args, "--format", "json")
    assert r.code == 0, r.err
    result = json.loads(r.out)
    assert result["model"] == ("NGramLM" if model == "ngram" else "NeuralLM")
    assert result["output"] == str(out) and result["architecture"] == model


def test_neural_flags_are_added_to_every_new_parser_once():
    """Whether a parser has the neural flags is read from the parser: a registry of parser ids
    skipped new parsers that got the address of a freed one (flaky 'unrecognized arguments')."""
    import argparse
    import gc

    from seqlab.cli import _neural

    for _ in range(50):  # freed and rebuilt parsers: CPython hands the same address out again
        p = argparse.ArgumentParser()
        _neural.add_options(p)
        _neural.add_options(p)  # a second call adds nothing (argparse would refuse a repeated flag)
        assert p.parse_args(["--layers", "1", "--heads", "2"]).n_layers == 1
        del p
        gc.collect()
