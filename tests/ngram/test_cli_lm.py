"""``seqlab lm train|eval|generate|export`` end to end on the KenLM reference slice."""

from __future__ import annotations

import json
import lzma

import pytest


@pytest.fixture(scope="module")
def corpus_files(tmp_path_factory, fixtures_dir):  # type: ignore[no-untyped-def]
    root = tmp_path_factory.mktemp("kjv")
    out = {}
    for part in ("train", "test"):
        path = root / f"{part}.txt"
        path.write_text(lzma.open(fixtures_dir / f"kjv-small.{part}.txt.xz", "rt").read())
        out[part] = path
    return out


def test_train_eval_generate_export(cli, corpus_files, kenlm_query, tmp_path):
    model = tmp_path / "o3"
    res = cli("lm", "train", "--model", "ngram", "--order", "3", "--smoothing", "modified-kneser-ney",
              "--data", corpus_files["train"], "-o", model, "--format", "json")
    assert res.code == 0, res.err
    summary = json.loads(res.out)
    assert summary["ngrams"] == [6185, 51464, 123229] and summary["order"] == 3

    res = cli("lm", "eval", model, "--data", corpus_files["test"], "--format", "json")
    assert res.code == 0, res.err
    figures = json.loads(res.out)
    assert {"perplexity", "bits_per_token", "tokens", "oov"} <= set(figures)
    assert figures["perplexity"] == pytest.approx(kenlm_query[3].ppl_incl, rel=5e-4)
    assert (figures["tokens"], figures["oov"]) == (33705, 375)
    assert figures["bits_per_token"] == pytest.approx(__import__("math").log2(figures["perplexity"]), rel=1e-12)

    res = cli("lm", "eval", model, "--data", corpus_files["test"])  # table output
    assert res.code == 0 and "perplexity" in res.out and "oov" in res.out

    args = ("lm", "generate", model, "--prompt", "in the beginning", "--max-tokens", "20",
            "--temperature", "0.8", "--seed", "1")
    first, again = cli(*args), cli(*args)
    assert first.code == 0 and first.out == again.out and first.out.startswith("in the beginning")
    assert len(first.out.split()) <= 3 + 20
    res = cli("lm", "generate", model, "--prompt", "and god", "--greedy", "--max-tokens", "5", "--format", "json")
    assert res.code == 0 and len(json.loads(res.out)["tokens"]) <= 5
    res = cli("lm", "generate", model, "--top-k", "5", "--top-p", "0.9", "--seed", "2")
    assert res.code == 0 and res.out.strip()

    arpa = tmp_path / "o3.arpa"
    res = cli("lm", "export", model, "--arpa", arpa)
    assert res.code == 0 and arpa.read_text().startswith("\\data\\\nngram 1=6185\nngram 2=51464\nngram 3=123229\n")
    res = cli("lm", "eval", arpa, "--data", corpus_files["test"], "--format", "json")
    assert json.loads(res.out)["perplexity"] == pytest.approx(figures["perplexity"], rel=1e-6)

    res = cli("info", model)
    assert res.code == 0 and "NGramLM" in res.out


@pytest.mark.parametrize("smoothing", ["mle", "laplace", "lidstone", "absolute-discount", "kneser-ney",
                                       "witten-bell", "katz", "stupid-backoff"])
def test_every_smoothing_name_trains(cli, corpus_files, tmp_path, smoothing):
    extra = {"lidstone": ["--alpha", "0.1"], "kneser-ney": ["--discount", "0.7"]}.get(smoothing, [])
    res = cli("lm", "train", "--data", corpus_files["test"], "--order", "2", "--smoothing", smoothing, *extra,
              "-o", tmp_path / smoothing)
    assert res.code == 0, res.err
    res = cli("lm", "eval", tmp_path / smoothing, "--data", corpus_files["test"], "--format", "json")
    assert res.code == 0 and json.loads(res.out)["tokens"] == 33705


def test_bundled_kjv_spec(cli, tmp_path):
    model = tmp_path / "kjv2"
    assert cli("lm", "train", "--data", "kjv", "--order", "2", "-o", model).code == 0
    res = cli("lm", "eval", model, "--data", "kjv:test", "--format", "json")
    assert res.code == 0 and json.loads(res.out)["tokens"] == 95053
    res = cli("lm", "generate", model, "--prompt", "In the Beginning", "--max-tokens", "3", "--seed", "1")
    assert res.code == 0 and res.out.startswith("in the beginning")


def test_tiny_corpus_trains_with_a_readable_warning(cli, tmp_path):
    data = tmp_path / "tiny.txt"
    data.write_text("a b\na b\n")
    res = cli("lm", "train", "--data", data, "--order", "2", "-o", tmp_path / "m", "--format", "json")
    assert res.code == 0
    assert "seqlab: warning: modified Kneser-Ney discounts of order 2" in res.err and "Traceback" not in res.err
    assert json.loads(res.out)["discounts"][1] == [0.5, 1.0, 1.5]


def test_ngram_train_and_eval_pause_the_cycle_collector(cli, tmp_path, monkeypatch):
    """The corpus's token lists hold no cycles: the collector is off while they live (not on the
    streamed paths), and on again afterwards, also after an error."""
    import gc

    import seqlab.evaluate as language
    from seqlab.ngram import NGramLM

    seen: dict[str, bool] = {}
    fit, report = NGramLM.fit, language.perplexity_report

    def spy_fit(self, *a, **k):  # type: ignore[no-untyped-def]
        seen.setdefault("fit", gc.isenabled())
        return fit(self, *a, **k)

    def spy_report(*a, **k):  # type: ignore[no-untyped-def]
        seen["eval"] = gc.isenabled()
        return report(*a, **k)

    monkeypatch.setattr(NGramLM, "fit", spy_fit)
    monkeypatch.setattr(language, "perplexity_report", spy_report)
    data = tmp_path / "c.txt"
    data.write_text("the cat sat\nthe dog ran\na cat ran\n" * 20)
    assert gc.isenabled()
    assert cli("lm", "train", "--data", data, "-o", tmp_path / "m", "-q").code == 0
    assert cli("lm", "eval", tmp_path / "m", "--data", data, "-q").code == 0
    assert seen == {"fit": False, "eval": False} and gc.isenabled()
    seen.clear()
    assert cli("lm", "train", "--data", data, "-o", tmp_path / "m2", "-q", "--memory", "64M").code == 0
    assert seen == {"fit": True} and gc.isenabled()
    assert cli("lm", "eval", tmp_path / "m", "--data", tmp_path / "missing.txt").code == 1
    assert gc.isenabled()


def test_gc_paused_restores_the_state_it_found():
    import gc

    from seqlab.cli._common import gc_paused

    with pytest.raises(ValueError), gc_paused():
        assert not gc.isenabled()
        raise ValueError
    assert gc.isenabled()
    with gc_paused(False):
        assert gc.isenabled()
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()  # a caller's own choice is kept
    finally:
        gc.enable()
