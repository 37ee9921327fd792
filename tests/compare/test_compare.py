"""seqlab compare: the spec registry, the runners through the public protocols only, the CLI."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from seqlab.cli.main import main
from seqlab.compare import Context, Key, compare_classify, compare_forecast, compare_lm, parse_spec, register_spec
from seqlab.compare.registry import _SPECS
from seqlab.exceptions import InvalidParameterError

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


# ---------------------------------------------------------------------- specs
def test_specs_parse_with_defaults_and_typed_values():
    p = parse_spec("lm", "ngram:order=5")
    assert p.values["order"] == 5 and p.values["smoothing"] == "modified-kneser-ney"
    q = parse_spec("lm", "lstm:layers=2,hidden=64:lr=0.01")
    assert (q.values["layers"], q.values["hidden"], q.values["lr"]) == (2, 64, 0.01)
    m = parse_spec("lm", "mix:ngram:order=5+lstm")
    assert [x.text for x in m.parts] == ["ngram:order=5", "lstm"]
    assert parse_spec("classify", "bayes-ngram:length_normalize=yes").values["length_normalize"] is True


@pytest.mark.parametrize("task, spec, message", [
    ("lm", "lstm:layers=x", "layers must be an int, got 'x'"),
    ("lm", "ngram:ordr=3", "no key 'ordr'; valid keys: order, smoothing, alpha, discount"),
    ("lm", "ar:lags=3", "'ar' is a forecast model and cannot be compared in 'compare lm'"),
    ("forecast", "ngram", "'ngram' is a lm model"),
    ("lm", "nope", "unknown lm model 'nope'"),
    ("lm", "mix:ngram", "two or more parts"),
    ("lm", "ngram:order", "expected KEY=VALUE"),
    ("forecast", "ar:multistep=sideways", "multistep must be one of"),
])
def test_bad_specs_are_one_line_errors_naming_the_fix(task, spec, message):
    with pytest.raises(InvalidParameterError) as err:
        parse_spec(task, spec)
    assert message in str(err.value) and "\n" not in str(err.value)


class _Uniform:
    """A family compare has never heard of: a uniform LanguageModel (every token 1/(V-2))."""

    def __init__(self, boost: float) -> None:
        self.boost = boost

    def fit(self, sequences, vocabulary=None):
        self.vocabulary_ = vocabulary
        return self

    def _dist(self):
        v = len(self.vocabulary_)
        lp = np.full(v, -math.log(v - 2))
        lp[[0, 2]] = -np.inf  # <pad>, <s> never predicted
        return lp

    def next_log_probs(self, context):
        return self._dist()

    def token_log_probs(self, corpus):
        corpus = [list(s) for s in corpus]
        n = sum(len(s) + 1 for s in corpus)
        oov = np.concatenate([[t not in self.vocabulary_.stoi for t in s] + [False] for s in corpus])
        return np.full(n, -math.log(len(self.vocabulary_) - 2)), oov

    def begin(self, context):
        return self._dist(), ()

    def advance(self, state, token_id):
        return self._dist(), ()


@pytest.fixture()
def uniform_family():
    register_spec("lm", "uniform", lambda ctx, boost: _Uniform(boost), {"boost": Key(float, 0.0)}, "test family")
    yield
    del _SPECS[("lm", "uniform")]


def test_a_newly_registered_family_is_compared_with_no_change_to_compare(corpus, uniform_family):
    c = compare_lm(str(corpus), ["uniform", "ngram:order=2:smoothing=witten-bell",
                                 "mix:uniform+ngram:order=2:smoothing=witten-bell"],
                   context=Context(budget=None, steps=1), prompt="and")
    rows = {r["model"]: r for r in c.rows}
    v = c.results["sizes"]["vocabulary"]
    assert rows["uniform"]["perplexity"] == pytest.approx(v - 2, rel=1e-12)  # uniform over V-2 predictable ids
    mix = rows["mix:uniform+ngram:order=2:smoothing=witten-bell"]["perplexity"]
    # EM fits the weights on validation text; on test the mixture is no worse than the worse part
    assert mix <= max(r["perplexity"] for r in rows.values()) + 1e-9
    assert [r["model"] for r in c.rows] == sorted(rows, key=lambda k: rows[k]["perplexity"])  # best first
    assert set(c.results["samples"]) == set(rows) and all(s.startswith("and") for s in c.results["samples"].values())
    assert len(c.results["surprisal"]["models"]["uniform"]) == len(c.results["surprisal"]["tokens"])


def test_every_lm_shares_split_and_vocabulary_and_neural_models_get_the_same_steps(corpus):
    pytest.importorskip("torch")
    a, b = "lstm:hidden=8:embed=8:batch=2:bptt=8", "transformer:hidden=8:heads=2:batch=2:bptt=8"
    c = compare_lm(str(corpus), ["ngram:order=3:smoothing=witten-bell", a, b],
                   context=Context(budget=None, steps=6, eval_every=3))
    vocabs = {len(m.vocabulary_) for m in c.models.values()}
    assert vocabs == {c.results["sizes"]["vocabulary"]}
    steps = {r["model"]: r["steps"] for r in c.rows}
    assert steps[a] == steps[b] == 6
    for label in (a, b):  # the learning curve is in MetricsLog rows: step 3 and 6 evaluated
        assert [r["step"] for r in c.results["curves"][label]] == [3, 6]
        assert all(r["valid_metric"] > 1 for r in c.results["curves"][label])
    assert c.results["curves"]["ngram:order=3:smoothing=witten-bell"][0]["valid_metric"] > 1


def test_compare_forecast_runs_one_backtest_for_all():
    c = compare_forecast("lynx", ["naive", "ar:lags=2", "mean"], initial=100, horizon=2, step=2)
    rows = {r["model"]: r for r in c.rows}
    assert set(rows) == {"naive", "ar:lags=2", "mean"}
    n_targets = len(c.results["forecasts"]["actual"])
    assert all(len(p) == n_targets for p in c.results["forecasts"]["models"].values())
    assert [r["lead"] for r in c.results["by_lead"]["naive"]] == [1, 2]
    # naive = persistence: its lead-1 forecast is the previous actual value
    from seqlab import datasets

    y = datasets.load("lynx").values
    assert c.results["forecasts"]["models"]["naive"][0] == y[99]
    assert c.rows[0]["mase"] <= c.rows[-1]["mase"]


def test_compare_classify_fits_the_same_split():
    c = compare_classify("brown-genres", ["bayes-ngram:order=1", "bayes-ngram:order=2"], limit=150)
    assert c.results["sizes"]["train"] == 150
    for r in c.rows:
        assert 0 <= r["accuracy"] <= 1
        m = np.asarray(c.results["confusion"]["models"][r["model"]])
        assert m.sum() == c.results["sizes"]["test"]
        assert np.trace(m) / m.sum() == pytest.approx(r["accuracy"])


# ---------------------------------------------------------------------- CLI
def test_cli_compare_lm_json_and_report(corpus, tmp_path, capsys):
    rc = main(["compare", "lm", "--data", str(corpus), "--models", "ngram:order=1:smoothing=witten-bell",
               "ngram:order=2:smoothing=witten-bell", "--report", str(tmp_path / "r"), "--format", "json", "-q"])
    assert rc == 0
    out = json.loads(capsys.readouterr().out)
    assert [r["model"] for r in out["rows"]] and out["report"].endswith("index.html")
    assert (tmp_path / "r" / "index.html").is_file()


def test_cli_refuses_bad_input_with_one_line_and_writes_nothing(corpus, tmp_path, capsys):
    out = tmp_path / "r"
    out.mkdir()
    (out / "x").write_text("keep")
    cases = [(["compare", "lm", "--models", "lstm:layers=x"], "layers must be an int"),
             (["compare", "lm", "--models", "ngram:ordr=3"], "valid keys: order"),
             (["compare", "lm", "--models", "ar"], "cannot be compared in 'compare lm'"),
             (["compare", "lm", "--data", str(corpus), "--models", "ngram", "--report", str(out)], "use --force"),
             (["compare", "forecast", "--data", "kjv", "--models", "naive"], "not a series data set")]
    for argv, message in cases:
        assert main(argv) == 1, argv
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith("seqlab: error:") and message in err[0], err
    assert [p.name for p in out.iterdir()] == ["x"]


def test_cli_list_shows_the_registered_keys(capsys):
    assert main(["compare", "forecast", "--list"]) == 0
    text = capsys.readouterr().out
    assert "ar" in text and "lags=9" in text and "seasonal-naive" in text


def test_parameter_counts_are_the_estimated_parameters():
    from seqlab.compare import n_parameters
    from seqlab.forecast import ARForecaster
    from seqlab.ngram import NGramLM, WittenBell

    x = np.sin(np.arange(80) / 3.0)
    assert n_parameters(ARForecaster(lags=9).fit(x)) == 10  # 9 lags + the constant
    lm = NGramLM(order=2, smoothing=WittenBell()).fit([s.split() for s in LINES])
    assert n_parameters(lm) > 0


def test_attention_maps_are_the_weights_the_transformer_uses(corpus):
    """Rows sum to one, nothing attends to the future, and weights @ values reproduce the layer's output."""
    torch = pytest.importorskip("torch")
    from seqlab.compare.run import attention_maps
    from seqlab.data.vocab import BOS_ID
    from seqlab.models import NeuralLM
    from seqlab.train import TrainConfig

    lm = NeuralLM(model="transformer", n_layers=2, d_hidden=16, n_heads=1, context_size=32, dropout=0.0,
                  device="cpu", train=TrainConfig(max_steps=3, batch_size=2, bptt=8, eval_every=100)).fit(
        [s.split() for s in LINES])
    tokens = LINES[0].split()[:6]
    maps = attention_maps(lm, tokens)
    assert maps is not None and len(maps) == 2 and maps[0].shape == (7, 7)
    for w in maps:
        np.testing.assert_allclose(w.sum(axis=1), 1.0, rtol=1e-6)
        assert np.all(np.triu(w, 1) == 0.0)
    # one head: the first layer's attention output equals maps[0] @ v, projected out
    m = lm.module_
    ids = torch.tensor([[BOS_ID, *lm.vocabulary_.encode(tokens).tolist()]])
    with torch.no_grad():
        x = m.pos(m.embed(ids), offset=0)
        block = m.blocks[0]
        h = block.norm1(x)
        v = block.attn.qkv(h)[..., 32:]  # (1, L, E): the value third of the projection
        want = block.attn.out(torch.from_numpy(maps[0]).float() @ v[0])
        got, _ = block.attn.step(h)
    np.testing.assert_allclose(got[0].numpy(), want.numpy(), rtol=1e-4, atol=1e-5)
    assert attention_maps(NeuralLM(model="lstm"), tokens) is None  # no attention layers: nothing to draw


def test_spec_keys_match_what_each_architecture_builds():
    """The torch-free key table agrees with the configs (a wrong key would raise in NeuralLM)."""
    pytest.importorskip("torch")
    from seqlab.compare.builtin import _LM_KEYS, _lm_keys
    from seqlab.models import LM_ARCHITECTURES

    for arch in LM_ARCHITECTURES:
        fields = LM_ARCHITECTURES[arch].fields
        for key, (_, field) in _LM_KEYS.items():
            assert (key in _lm_keys(arch)) == (field is None or field in fields), (arch, key)


def test_importing_compare_does_not_import_torch():
    import subprocess
    import sys

    code = "import sys, seqlab.compare; print('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "False"
