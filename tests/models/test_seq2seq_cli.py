"""``seqlab seq2seq train|eval|translate`` end to end on a tiny pairs file, and its bad-input errors."""

from __future__ import annotations

import io as _io
import json

import pytest

from seqlab.cli.main import main

PAIRS = "".join(f"{w}\t{' '.join(reversed(w))}\n" for w in
                ["abc", "bca", "cab", "acb", "bac", "cba", "aab", "abb", "bba", "cca", "acc", "bcb"] * 2)
FLAGS = ["--model", "gru", "--attention", "dot", "--d-hidden", "16", "--d-embed", "8", "--max-steps", "40",
         "--batch-size", "6", "--lr", "0.01", "--target-level", "whitespace", "--max-source-length", "10",
         "--max-target-length", "12", "-q"]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    root = tmp_path_factory.mktemp("s2s")
    data = root / "pairs.tsv"
    data.write_text(PAIRS)
    assert main(["seq2seq", "train", "--data", str(data), "-o", str(root / "m"), *FLAGS]) == 0
    return root


def test_eval_json_keys(trained, capsys):
    capsys.readouterr()
    assert main(["seq2seq", "eval", str(trained / "m"), "--data", str(trained / "pairs.tsv"), "--format", "json",
                 "--beam-size", "2"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) == {"exact_match", "token_error_rate", "bleu", "chrf", "sequences"} and out["sequences"] == 24


def test_translate_stdin_and_attention_plot(trained, capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin", _io.StringIO("abc\n\ncab\n"))
    png = trained / "att.png"
    assert main(["seq2seq", "translate", str(trained / "m"), "--beam-size", "3", "--plot-attention", str(png)]) == 0
    lines = capsys.readouterr().out.strip().split("\n")
    assert len(lines) == 2, "one output per non-empty source line"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize(("argv", "match"), [
    (["--beam-size", "0"], "--beam-size must be >= 1"),
])
def test_bad_beam(trained, capsys, argv, match):
    assert main(["seq2seq", "eval", str(trained / "m"), "--data", str(trained / "pairs.tsv"), *argv]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("seqlab: error: ") and match in err and "\n" not in err


def test_bad_pairs_file_and_long_source(trained, tmp_path, capsys):
    bad = tmp_path / "bad.tsv"
    bad.write_text("abc\tc b a\nno tab here\n")
    out = tmp_path / "new"
    assert main(["seq2seq", "train", "--data", str(bad), "-o", str(out), *FLAGS]) == 1
    assert "line 2 has no tab" in capsys.readouterr().err and not out.exists(), "nothing written"
    empty = tmp_path / "empty.tsv"
    empty.write_text("abc\t\n")
    assert main(["seq2seq", "train", "--data", str(empty), "-o", str(out), *FLAGS]) == 1
    assert "empty target" in capsys.readouterr().err
    src = tmp_path / "long.txt"
    src.write_text("a" * 11 + "\n")
    assert main(["seq2seq", "translate", str(trained / "m"), "--data", str(src)]) == 1
    assert "more than this model's limit of 10" in capsys.readouterr().err


def test_refuses_other_family_and_existing_dir(trained, tmp_path, capsys):
    from seqlab import io
    from seqlab.ngram import Lidstone, NGramLM

    io.save(NGramLM(order=1, smoothing=Lidstone(1.0)).fit([["a", "b"]]), tmp_path / "ng")
    assert main(["seq2seq", "translate", str(tmp_path / "ng"), "--data", str(trained / "pairs.tsv")]) == 1
    assert "not a seq2seq model" in capsys.readouterr().err
    before = (trained / "m" / "manifest.json").read_bytes()
    assert main(["seq2seq", "train", "--data", str(trained / "pairs.tsv"), "-o", str(trained / "m"), *FLAGS]) == 1
    assert "already exists" in capsys.readouterr().err
    assert (trained / "m" / "manifest.json").read_bytes() == before, "nothing overwritten"
