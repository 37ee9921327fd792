"""``seqlab demo``: the perplexity table and a sample; steps are pluggable."""

from __future__ import annotations

import json

import pytest

from seqlab.cli import demo


def test_demo_with_a_small_step(cli, monkeypatch):
    from seqlab.ngram import NGramLM, WittenBell

    def step(data, args, quiet):  # type: ignore[no-untyped-def]
        lm = NGramLM(order=2, smoothing=WittenBell()).fit(data.train[:2000])
        return [demo.score_row("n-gram Witten-Bell", 2, lm, data, 0.0)]

    monkeypatch.setattr(demo, "STEPS", [demo.DemoStep("tiny", step)])
    res = cli("demo", "--max-tokens", "10", "--seed", "3")
    assert res.code == 0, res.err
    assert "perplexity" in res.out and "n-gram Witten-Bell" in res.out
    assert res.out.strip().splitlines()[-1].startswith("in the beginning")
    res = cli("demo", "--format", "json", "--max-tokens", "5")
    out = json.loads(res.out)
    assert out["best"]["model"] == "n-gram Witten-Bell" and out["rows"][0]["perplexity"] > 1


@pytest.mark.slow
def test_full_demo_table(cli, monkeypatch):
    ngram_steps = [s for s in demo.STEPS if s.name == "n-gram language models"]  # the n-gram rows only
    monkeypatch.setattr(demo, "STEPS", ngram_steps)
    res = cli("demo", "--format", "json", "--max-tokens", "20")
    assert res.code == 0, res.err
    rows = json.loads(res.out)["rows"]
    assert len(rows) == 9 and {r["order"] for r in rows} == {2, 3, 5}
    mkn5 = next(r for r in rows if r["model"] == "n-gram modified Kneser-Ney" and r["order"] == 5)
    assert mkn5["perplexity"] == pytest.approx(38.58, rel=5e-4)  # KenLM's whole-Bible figure
