"""``seqlab kalman filter|smooth`` end to end."""

from __future__ import annotations

import json

import numpy as np

from seqlab.statespace import KalmanFilter, constant_velocity


def test_smooth_track_with_plot_and_output(cli, tmp_path):
    states, z = KalmanFilter(**constant_velocity(2, q=0.01, r=4.0)).sample(200, random_state=0)
    data = tmp_path / "track.csv"
    data.write_text("x,y\n" + "\n".join(f"{a:.6f},{b:.6f}" for a, b in z) + "\n")
    r = cli("kalman", "smooth", "--model", "constant-velocity", "--data", data, "--plot", tmp_path / "out.png",
            "-o", tmp_path / "est.csv", "--format", "json")
    assert r.code == 0, r.err
    result = json.loads(r.out)
    est = np.array(result["states"])
    assert est.shape == (200, 4) and result["n_steps"] == 200
    raw_err = np.sqrt(((z - states[:, :2]) ** 2).mean())
    assert np.sqrt(((est[:, :2] - states[:, :2]) ** 2).mean()) < raw_err, "smoothing must beat the raw track"
    assert (tmp_path / "out.png").read_bytes()[:4] == b"\x89PNG"
    np.testing.assert_allclose(np.loadtxt(tmp_path / "est.csv", delimiter=",", skiprows=1), est, atol=1e-12)
    r = cli("kalman", "filter", "--data", data)
    assert r.code == 0 and "log_likelihood=" in r.out


def test_missing_cells_and_errors(cli, tmp_path):
    data = tmp_path / "track.csv"
    data.write_text("1.0,2.0\n,\n3.0,4.1\n")
    r = cli("kalman", "filter", "--data", data, "--format", "json")
    assert r.code == 0 and len(json.loads(r.out)["states"]) == 3
    bad = tmp_path / "bad.csv"
    bad.write_text("1,2\n3,x\n")
    r = cli("kalman", "smooth", "--data", bad)
    assert r.code == 1 and "line 2" in r.err and r.err.count("\n") == 1
    r = cli("kalman", "smooth", "--data", data, "--r", "0")
    assert r.code == 1 and "--r must be > 0" in r.err
