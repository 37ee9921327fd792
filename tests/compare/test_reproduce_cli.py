"""seqlab reproduce and seqlab report on the command line (the cheap paths; experiments run in bench)."""

from __future__ import annotations

import json

import pytest

from seqlab.cli.main import main
from seqlab.compare.experiments import EXPERIMENTS, experiment, run_experiment

NAMES = {"ngram-vs-neural", "long-dependencies", "ar-error-growth", "analogies", "markov-order",
         "sampling-with-training", "attention-vs-recurrence"}


def test_every_claim_of_the_issue_is_a_named_experiment(capsys):
    assert NAMES <= set(EXPERIMENTS)
    assert main(["reproduce", "--list"]) == 0
    out = capsys.readouterr().out
    assert all(name in out for name in NAMES)


def test_unknown_experiment_and_bad_budget_are_one_line_errors(capsys):
    assert main(["reproduce", "nope"]) == 1
    assert "unknown experiment 'nope'" in capsys.readouterr().err
    assert main(["reproduce", "ar-error-growth", "--budget", "0"]) == 1
    assert "--budget must be > 0" in capsys.readouterr().err


@pytest.fixture()
def toy_experiment():
    @experiment("toy", "one is less than two.", "none", 1.0)
    def _toy(budget, seed):
        return {"task": "experiment", "rows": [{"x": 1, "y": 2.0}], "outcome": f"1 < 2 with budget {budget}."}

    yield "toy"
    del EXPERIMENTS["toy"]


def test_reproduce_records_and_reports(toy_experiment, tmp_path, capsys):
    record = tmp_path / "reproduce.json"
    record.write_text(json.dumps({"other": {"outcome": "kept"}}))
    assert main(["reproduce", "toy", "--budget", "2", "--record", str(record), "--report", str(tmp_path / "r")]) == 0
    out = capsys.readouterr().out
    assert "Claim (none): one is less than two. Measured: 1 < 2 with budget 2.0." in out
    data = json.loads(record.read_text())
    assert data["other"] == {"outcome": "kept"} and data["toy"]["budget_cpu_seconds"] == 2.0
    assert "Outcome" in (tmp_path / "r" / "index.html").read_text()
    assert run_experiment("toy")["budget_cpu_seconds"] == 1.0  # the default budget


def test_report_cli_from_model_dirs(tmp_path, capsys):
    from seqlab.ngram import Lidstone, NGramLM

    d = NGramLM(order=2, smoothing=Lidstone(0.5)).fit([["a", "b"], ["b", "a", "a"]]).save(tmp_path / "m")
    assert main(["report", str(d), "-o", str(tmp_path / "r")]) == 0
    out = capsys.readouterr().out
    assert "no metrics.csv" in out and "report:" in out
    assert main(["report", str(d), "-o", str(tmp_path / "r")]) == 1  # exists: refused
    assert "use --force" in capsys.readouterr().err
    assert main(["report", str(tmp_path), "-o", str(tmp_path / "r2")]) == 1
    assert "not a seqlab model directory" in capsys.readouterr().err
    assert not (tmp_path / "r2").exists()


def test_tensorboard_without_the_package_is_a_one_line_error(tmp_path, capsys):
    pytest.importorskip("torch")
    try:
        import tensorboard  # noqa: F401
        pytest.skip("tensorboard is installed; the missing-package path cannot be shown")
    except ImportError:
        pass
    from seqlab.exceptions import SeqlabError
    from seqlab.train.log import MetricsLog

    with pytest.raises(SeqlabError, match="tensorboard extra|seqlab\\[tensorboard\\]"):
        MetricsLog(None, tensorboard_dir=tmp_path / "tb")
