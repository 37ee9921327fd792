"""The HTML report: self-contained, every figure drawn, opened in a real browser (headless Chromium)."""

from __future__ import annotations

import json
import re
import sys

import pytest

from report import chromium  # tests/ is on sys.path (pytest.ini)
from seqlab.compare import Context, compare_classify, compare_forecast, compare_lm
from seqlab.exceptions import SeqlabError
from seqlab.report import build_report, results_from_model_dirs

LINES = ["in the beginning god created the heaven and the earth .",
         "and the earth was without form , and void .",
         "and god said let there be light and there was light .",
         "and god saw the light that it was good .",
         "the spirit of god moved upon the face of the waters ."]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    path = tmp_path_factory.mktemp("data") / "tiny.txt"
    path.write_text("\n".join(LINES * 6) + "\n")
    return path


@pytest.fixture(scope="module")
def lm_results(corpus):
    pytest.importorskip("torch")
    lstm = "lstm:hidden=16:embed=8:batch=2:bptt=8"
    return compare_lm(str(corpus), ["ngram:order=2:smoothing=witten-bell", lstm,
                                    "transformer:hidden=8:heads=2:batch=2:bptt=8",
                                    f"mix:ngram:order=1:smoothing=witten-bell+{lstm}"],
                      context=Context(budget=None, steps=12, eval_every=4), prompt="and god").results


def _self_contained(page: str) -> None:
    assert "<script" not in page and "<link" not in page, "the report must need no scripts or external CSS"
    urls = set(re.findall(r'(?:src|href)=["\']([^"\']+)', page))
    assert not {u for u in urls if not u.startswith(("#", "data:"))}, f"external references: {urls}"
    assert "http" not in re.sub(r'xmlns(:\w+)?="http[^"]+"', "", page).replace("http-equiv", ""), \
        "no network address may appear outside SVG namespaces"


def test_lm_report_is_self_contained_with_every_section(lm_results, tmp_path):
    path = build_report(lm_results, tmp_path / "rep")
    page = path.read_text()
    _self_contained(page)
    for section in ("Results", "Quality against compute", "Learning curves", "surprisal per token", "Samples",
                    "Embeddings (PCA)", "Attention: transformer"):
        assert section in page, section
    assert page.count("<svg") >= 4
    # the table is best first: the first data row is the lowest perplexity
    best = min(lm_results["rows"], key=lambda r: r["perplexity"])["model"]
    first_row = re.search(r'<tr class="best"><td>([^<]+)</td>', page)
    assert first_row and first_row.group(1) == best.replace("+", "+")
    assert json.loads((tmp_path / "rep" / "results.json").read_text())["rows"][0]["model"] == best


def test_existing_report_directory_is_refused_unless_forced(lm_results, tmp_path):
    out = tmp_path / "rep"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    with pytest.raises(SeqlabError, match="refusing to overwrite"):
        build_report(lm_results, out)
    assert sorted(p.name for p in out.iterdir()) == ["keep.txt"]
    build_report(lm_results, out, force=True)
    assert (out / "keep.txt").read_text() == "mine" and (out / "index.html").is_file()


def test_forecast_and_classify_reports_draw_their_figures(tmp_path):
    fc = compare_forecast("lynx", ["naive", "ar:lags=2", "ar:lags=4"], initial=90, horizon=3, step=3).results
    page = build_report(fc, tmp_path / "fc").read_text()
    _self_contained(page)
    assert "Forecasts" in page and "Error by horizon" in page
    cl = compare_classify("brown-genres", ["bayes-ngram:order=1"], limit=120).results
    page = build_report(cl, tmp_path / "cl").read_text()
    _self_contained(page)
    assert "Confusion matrices" in page


def test_report_from_model_directories_says_what_is_missing(corpus, tmp_path):
    from seqlab.ngram import NGramLM, WittenBell
    from seqlab.train.log import MetricsLog

    a = NGramLM(order=2, smoothing=WittenBell()).fit([s.split() for s in LINES]).save(tmp_path / "a")
    b = NGramLM(order=1, smoothing=WittenBell()).fit([s.split() for s in LINES]).save(tmp_path / "b")
    log = MetricsLog(b)
    log.write(step=1, valid_metric=30.0)
    log.write(step=2, valid_metric=20.0)
    results = results_from_model_dirs([a, b], data=str(corpus))
    assert any("a: no metrics.csv" in n for n in results["notes"])
    assert not any("b: no" in n for n in results["notes"])
    assert {r["model"] for r in results["rows"]} == {"a", "b"} and all("perplexity" in r for r in results["rows"])
    page = build_report(results, tmp_path / "r").read_text()
    assert "no metrics.csv" in page and "Learning curves" in page
    with pytest.raises(SeqlabError, match="not a seqlab model directory"):
        results_from_model_dirs([tmp_path])


# ---------------------------------------------------------------------- the browser test
def _browser() -> str:
    binary = chromium.find()
    if binary is None:
        reason = "headless Chromium is not installed (make test installs Debian's chromium where it can)"
        print(f"SKIPPED: {reason}", file=sys.stderr)
        pytest.skip(reason)
    return binary


def test_report_loads_in_headless_chromium_without_console_errors(lm_results, tmp_path):
    binary = _browser()
    path = build_report(lm_results, tmp_path / "rep")
    check = chromium.check_page(path, binary=binary)
    assert check.loaded, "the page did not finish loading"
    assert check.console == [], f"console messages: {check.console}"
    n_figures = path.read_text().count('<figure class="fig">')
    assert len(check.figure_sizes) == n_figures >= 4
    assert all(w > 50 and h > 50 for w, h in check.figure_sizes), check.figure_sizes
    png = chromium.screenshot(path, tmp_path / "shot.png", binary=binary)
    assert png.stat().st_size > 10_000
    import os
    import shutil

    if keep := os.environ.get("SEQLAB_KEEP_SCREENSHOT"):  # to look at it: SEQLAB_KEEP_SCREENSHOT=out.png
        shutil.copy(png, keep)


def test_the_browser_check_catches_a_broken_page(tmp_path):
    """Negative control: a console error and a figure of zero size are both reported."""
    binary = _browser()
    bad = tmp_path / "bad.html"
    bad.write_text('<!DOCTYPE html><html><body><figure><svg width="0" height="0"></svg></figure>'
                   '<script>console.error("broken");</script></body></html>')
    check = chromium.check_page(bad, binary=binary)
    assert check.loaded
    assert any("broken" in line for line in check.console)
    assert check.figure_sizes == [(0, 0)]
