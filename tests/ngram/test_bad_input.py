"""Bad input: one-line ``seqlab: error:`` with exit 1 in the CLI, a typed SeqlabError in the API,
and an existing model left untouched."""

from __future__ import annotations

import json

import pytest

from seqlab import io
from seqlab.exceptions import DataError, FormatError, InvalidParameterError, NotFittedError, SeqlabError
from seqlab.ngram import Lidstone, NGramLM, StupidBackoff, make_smoothing, read_arpa

pytestmark = pytest.mark.filterwarnings("ignore::seqlab.exceptions.DegenerateFitWarning")  # tiny corpora

GOOD = "in the beginning god created the heaven and the earth\nand the earth was without form\n" * 3


def assert_one_line_error(res, *fragments):  # type: ignore[no-untyped-def]
    assert res.code == 1, (res.out, res.err)
    lines = res.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("seqlab: error: "), res.err
    assert "Traceback" not in res.err
    for frag in fragments:
        assert frag in lines[0]


@pytest.fixture
def files(tmp_path):  # type: ignore[no-untyped-def]
    paths = {
        "good": tmp_path / "good.txt",
        "empty": tmp_path / "empty.txt",
        "blank": tmp_path / "blank.txt",
        "latin1": tmp_path / "latin1.txt",
    }
    paths["good"].write_text(GOOD, encoding="utf-8")
    paths["empty"].write_bytes(b"")
    paths["blank"].write_text("\n   \n\t\n\n", encoding="utf-8")
    paths["latin1"].write_bytes(b"in the beginning\ncaf\xe9 au lait\n")
    return paths


@pytest.fixture
def model_dir(tmp_path, files, cli):  # type: ignore[no-untyped-def]
    out = tmp_path / "model"
    res = cli("lm", "train", "--data", files["good"], "--order", "2", "-o", out)
    assert res.code == 0, res.err
    return out


@pytest.mark.parametrize("which", ["empty", "blank"])
def test_empty_and_blank_corpora(cli, files, tmp_path, which):
    res = cli("lm", "train", "--data", files[which], "-o", tmp_path / "m")
    assert_one_line_error(res, "no tokens")
    assert not (tmp_path / "m").exists()
    with pytest.raises(DataError, match="no tokens"):
        NGramLM().fit([[], []])
    with pytest.raises(DataError):
        NGramLM().fit([])


def test_non_utf8_names_the_byte_offset(cli, files, tmp_path):
    res = cli("lm", "train", "--data", files["latin1"], "-o", tmp_path / "m")
    assert_one_line_error(res, "offset 20", "--encoding")
    ok = cli("lm", "train", "--data", files["latin1"], "--encoding", "latin-1", "-o", tmp_path / "m")
    assert ok.code == 0, ok.err


@pytest.mark.parametrize("order", ["0", "11"])
def test_order_out_of_range(cli, files, tmp_path, order):
    res = cli("lm", "train", "--data", files["good"], "--order", order, "-o", tmp_path / "m")
    assert_one_line_error(res, "between 1 and 10", order)
    with pytest.raises(InvalidParameterError, match="between 1 and 10"):
        NGramLM(order=int(order)).fit([["a"]])


@pytest.mark.parametrize("alpha", ["0", "-1"])
def test_non_positive_k(cli, files, tmp_path, alpha):
    res = cli("lm", "train", "--data", files["good"], "--smoothing", "lidstone", "--alpha", alpha,
              "-o", tmp_path / "m")
    assert_one_line_error(res, "alpha must be a number > 0")
    with pytest.raises(InvalidParameterError):
        Lidstone(alpha=float(alpha))
    with pytest.raises(InvalidParameterError):
        StupidBackoff(alpha=0)


def test_unknown_smoothing_and_misplaced_options(cli, files, tmp_path):
    res = cli("lm", "train", "--data", files["good"], "--smoothing", "kneser-nay", "-o", tmp_path / "m")
    assert_one_line_error(res, "Unknown smoothing 'kneser-nay'", "modified-kneser-ney")
    res = cli("lm", "train", "--data", files["good"], "--smoothing", "witten-bell", "--discount", "0.5",
              "-o", tmp_path / "m")
    assert_one_line_error(res, "--discount applies to")
    with pytest.raises(InvalidParameterError):
        make_smoothing("nope")
    with pytest.raises(InvalidParameterError):
        NGramLM(smoothing="kneser-ney").fit([["a"]])  # type: ignore[arg-type]


def test_generate_from_untrained_or_foreign_directory(cli, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    assert_one_line_error(cli("lm", "generate", empty, "--prompt", "in the"), "manifest.json is missing")
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "manifest.json").write_text(json.dumps({"format": "something-else"}))
    assert_one_line_error(cli("lm", "generate", foreign), "is not a seqlab model")
    assert_one_line_error(cli("lm", "generate", tmp_path / "missing"), "is not a model directory")
    with pytest.raises(FormatError):
        io.load(empty)
    with pytest.raises(NotFittedError):
        NGramLM().generate(["in"])


def test_manifest_naming_an_unknown_class(cli, model_dir):
    manifest = json.loads((model_dir / "manifest.json").read_text())
    manifest["class"], manifest["module"] = "EvilModel", "os"
    (model_dir / "manifest.json").write_text(json.dumps(manifest))
    assert_one_line_error(cli("lm", "eval", model_dir, "--data", model_dir / "manifest.json"), "EvilModel")
    with pytest.raises(FormatError, match="Unknown model class 'EvilModel'"):
        io.load(model_dir)


def test_arpa_header_counts_disagreeing_with_body(cli, model_dir, files, tmp_path):
    arpa = tmp_path / "m.arpa"
    assert cli("lm", "export", model_dir, "--arpa", arpa).code == 0
    text = arpa.read_text()
    bad = tmp_path / "bad.arpa"
    first = text.index("ngram 2=")
    end = text.index("\n", first)
    bad.write_text(text[:first] + "ngram 2=99999" + text[end:])
    assert_one_line_error(cli("lm", "eval", bad, "--data", files["good"]), "ngram 2=99999")
    with pytest.raises(FormatError, match="header says ngram 2=99999"):
        read_arpa(bad)
    truncated = tmp_path / "truncated.arpa"
    truncated.write_text(text[: len(text) // 2])
    with pytest.raises(FormatError):
        read_arpa(truncated)
    assert cli("lm", "eval", arpa, "--data", files["good"]).code == 0  # the intact file works


def test_nothing_written_over_an_existing_model(cli, model_dir, files):
    before = {p.name: p.read_bytes() for p in model_dir.iterdir()}
    assert_one_line_error(cli("lm", "train", "--data", files["good"], "-o", model_dir), "already exists")
    assert_one_line_error(cli("lm", "train", "--data", files["empty"], "-o", model_dir, "--force"), "no tokens")
    assert_one_line_error(cli("lm", "train", "--data", files["good"], "--order", "0", "-o", model_dir, "--force"))
    assert {p.name: p.read_bytes() for p in model_dir.iterdir()} == before
    arpa = model_dir.parent / "x.arpa"
    arpa.write_text("keep me")
    assert_one_line_error(cli("lm", "export", model_dir, "--arpa", arpa), "already exists")
    assert arpa.read_text() == "keep me"


def test_api_errors_are_seqlab_errors():
    lm = NGramLM(order=2).fit([["a", "b"], ["b", "a"]] * 3)
    with pytest.raises(SeqlabError):
        lm.token_log_probs("a b")  # a str, not a list of sentences
    with pytest.raises(SeqlabError):
        lm.advance((2,), 10_000)
    for ids, lengths, match in [([4, 10_000], [2], "vocabulary ids"), ([4, -1], [2], "vocabulary ids"),
                                ([4, 5], [1], "sum to"), ([4, 5], [3, -1], ">= 0"),
                                ([[4, 5]], [2], "1-D"), ([4.0, 5.0], [2], "ints")]:
        with pytest.raises(DataError, match=match):
            lm.token_log_probs_ids(ids, lengths)
    with pytest.raises(NotFittedError):
        NGramLM().token_log_probs_ids([4], [1])
    with pytest.raises(SeqlabError):
        NGramLM(min_count=0).fit([["a"]])
