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


def test_shape_refusal_control_input_and_saved_models(cli, tmp_path):
    states, z = KalmanFilter(**constant_velocity(2, q=0.01, r=1.0)).sample(60, random_state=1)
    data = tmp_path / "track.csv"
    data.write_text("\n".join(f"{a:.6f},{b:.6f}" for a, b in z) + "\n")
    wide = tmp_path / "wide.csv"
    wide.write_text("\n".join(f"{a:.6f},{b:.6f},0" for a, b in z) + "\n")
    r = cli("kalman", "smooth", "--data", wide, "--dims", "2")
    assert r.code == 1 and "60 rows x 3 columns" in r.err and "expects 2 columns" in r.err and r.err.count("\n") == 1
    model = tmp_path / "kf"
    r = cli("kalman", "smooth", "--data", data, "--em", "3", "--save", model, "--format", "json")
    assert r.code == 0, r.err
    r = cli("kalman", "filter", "--data", wide, "--load", model)
    assert r.code == 1 and "60 rows x 3 columns" in r.err and "H of shape (2, 4)" in r.err and r.err.count("\n") == 1
    r = cli("kalman", "filter", "--data", data, "--load", model, "--format", "json")
    assert r.code == 0 and len(json.loads(r.out)["states"]) == 60, r.err
    r = cli("kalman", "smooth", "--data", data, "--save", tmp_path / "x")
    assert r.code == 1 and "--save needs --em" in r.err
    # a constant push of +1 in x: the filtered velocity follows the control input
    accel = tmp_path / "u.csv"
    accel.write_text("\n".join("1.0,0.0" for _ in range(60)) + "\n")
    plain = json.loads(cli("kalman", "filter", "--data", data, "--format", "json").out)
    pushed = cli("kalman", "filter", "--data", data, "--control", accel, "--format", "json")
    assert pushed.code == 0, pushed.err
    assert json.loads(pushed.out)["states"][-1][2] > plain["states"][-1][2] + 0.1, "control must push vx up"
    short = tmp_path / "short.csv"
    short.write_text("1.0,0.0\n")
    r = cli("kalman", "filter", "--data", data, "--control", short)
    assert r.code == 1 and "must have 60 rows" in r.err and r.err.count("\n") == 1
    r = cli("kalman", "smooth", "--data", data, "--em", "2", "--em-vars", "F,H,Q,R", "--format", "json")
    assert r.code == 0, r.err
