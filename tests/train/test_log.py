"""MetricsLog: the one training-log writer (CSV columns, clocks, reading back, no torch)."""

from __future__ import annotations

import math
import subprocess
import sys

import pytest

from seqlab.exceptions import DataError
from seqlab.train.log import COLUMNS, MetricsLog, read_metrics


def test_rows_round_trip_through_csv(tmp_path):
    log = MetricsLog(tmp_path)  # a directory means DIR/metrics.csv
    log.write(step=1, train_loss=2.5, lr=0.1)
    log.write(step=2, train_loss=2.0, valid_metric=7.25)
    rows = read_metrics(tmp_path)
    assert [r["step"] for r in rows] == [1, 2]
    assert rows[0]["train_loss"] == 2.5 and rows[0]["valid_metric"] is None and rows[0]["lr"] == 0.1
    assert rows[1]["valid_metric"] == 7.25 and rows[1]["lr"] is None
    assert rows[0]["wall_seconds"] <= rows[1]["wall_seconds"] and rows[1]["cpu_seconds"] >= 0
    assert (tmp_path / "metrics.csv").read_text().splitlines()[0] == ",".join(COLUMNS)


def test_append_continues_and_a_new_log_starts_over(tmp_path):
    MetricsLog(tmp_path / "m.csv").write(step=1, train_loss=1.0)
    MetricsLog(tmp_path / "m.csv", append=True).write(step=2, train_loss=0.5)
    assert [r["step"] for r in read_metrics(tmp_path / "m.csv")] == [1, 2]
    MetricsLog(tmp_path / "m.csv").write(step=9, train_loss=0.1)
    assert [r["step"] for r in read_metrics(tmp_path / "m.csv")] == [9]


def test_missing_or_foreign_file_is_a_one_line_error(tmp_path):
    with pytest.raises(DataError, match="no training log"):
        read_metrics(tmp_path)
    (tmp_path / "metrics.csv").write_text("a,b\n1,2\n")
    with pytest.raises(DataError, match="expected"):
        read_metrics(tmp_path)


def test_the_log_module_itself_imports_no_torch():
    path = str(__import__("seqlab.train.log", fromlist=["x"]).__file__)
    code = (f"import importlib.util, sys; spec = importlib.util.spec_from_file_location('l', {path!r}); "
            "m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m); print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# ---------------------------------------------------------------------- the classical fitters log through it
@pytest.mark.filterwarnings("ignore::seqlab.exceptions.ConvergenceWarning")
def test_baum_welch_logs_one_row_per_iteration():
    import numpy as np

    from seqlab.hmm import CategoricalHMM

    rng = np.random.default_rng(0)
    x = [rng.integers(0, 3, size=60) for _ in range(3)]
    log = MetricsLog(None)
    hmm = CategoricalHMM(n_states=2, n_iter=20, tol=1e-6, random_state=0).fit(x, log=log)
    assert [r["step"] for r in log.rows] == list(range(1, hmm.n_iter_ + 1))
    np.testing.assert_allclose([r["train_loss"] for r in log.rows], -hmm.log_likelihoods_ / 180, rtol=1e-12)
    assert all(r["cpu_seconds"] is not None for r in log.rows)
    several = MetricsLog(None)
    best = CategoricalHMM(n_states=2, n_iter=20, n_init=3, random_state=0).fit(x, log=several)
    np.testing.assert_allclose([r["train_loss"] for r in several.rows], -best.log_likelihoods_ / 180, rtol=1e-12)


def test_kalman_em_logs_one_row_per_iteration():
    import numpy as np

    from seqlab.statespace import KalmanFilter

    rng = np.random.default_rng(1)
    z = np.cumsum(rng.normal(size=50))[:, None] + rng.normal(size=(50, 1))
    kf = KalmanFilter(F=np.eye(1), H=np.eye(1), Q=np.eye(1), R=np.eye(1), x0=np.zeros(1), P0=np.eye(1))
    log = MetricsLog(None)
    kf.em(z, n_iter=4, log=log)
    assert [r["step"] for r in log.rows] == [1, 2, 3, 4]
    np.testing.assert_allclose([r["train_loss"] for r in log.rows], -kf.log_likelihoods_ / 50, rtol=1e-12)


def test_word2vec_logs_one_row_per_epoch():
    from seqlab.embed import Word2Vec

    corpus = [["a", "b", "c", "d"], ["b", "c", "a"], ["d", "a", "b"]] * 20
    log = MetricsLog(None)
    w2v = Word2Vec(vector_size=8, min_count=1, epochs=3, workers=1, window=2).fit(corpus, log=log)
    assert [r["step"] for r in log.rows] == [1, 2, 3]
    # an epoch whose subsampled sentences gave no example has no loss: NaN in memory, an empty cell in the log
    assert [r["train_loss"] for r in log.rows] == [x if math.isfinite(x) else None for x in w2v.loss_history_]
    assert log.rows[-1]["wall_seconds"] == w2v.train_stats_["seconds"] and log.rows[0]["wall_seconds"] is None
