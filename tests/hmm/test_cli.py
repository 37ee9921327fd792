"""``seqlab hmm fit|decode|sample`` end to end."""

from __future__ import annotations

import json

import numpy as np

from seqlab.hmm import CategoricalHMM


def write_rolls(path):  # type: ignore[no-untyped-def]
    casino = CategoricalHMM(n_states=2, n_symbols=6)
    casino.startprob_ = np.array([0.5, 0.5])
    casino.transmat_ = np.array([[0.95, 0.05], [0.1, 0.9]])
    casino.emissionprob_ = np.array([[1 / 6] * 6, [0.1] * 5 + [0.5]])
    lines = ["".join(str(v + 1) for v in casino.sample(150, random_state=s)[0]) for s in range(4)]
    path.write_text("\n".join(lines) + "\n")
    return lines


def test_fit_decode_sample_symbols(cli, tmp_path):
    data = tmp_path / "rolls.txt"
    lines = write_rolls(data)
    out = tmp_path / "model"
    r = cli("hmm", "fit", "--states", "2", "--data", data, "-o", out, "--seed", "0", "--format", "json")
    assert r.code == 0, r.err
    fit = json.loads(r.out)
    assert fit["n_steps"] == 600 and fit["n_states"] == 2 and fit["best_init"] in range(5)
    assert not (out / "symbols.json").exists(), "the symbol table is model state now"
    from seqlab import io

    assert io.load(out).symbols_ == list("123456")
    r = cli("hmm", "decode", out, "--data", data, "--format", "json")
    assert r.code == 0, r.err
    rows = json.loads(r.out)
    assert [len(row["states"]) for row in rows] == [len(line) for line in lines]
    r = cli("hmm", "sample", out, "-n", "40", "--seed", "3", "--format", "json")
    sample = json.loads(r.out)
    assert r.code == 0 and len(sample["observations"]) == 40 and set(sample["observations"]) <= set("123456")
    assert cli("hmm", "sample", out, "-n", "40", "--seed", "3", "--format", "json").out == r.out


def test_fit_numeric_csv_gives_a_gaussian_hmm(cli, tmp_path, rng):
    data = tmp_path / "series.csv"
    x = np.concatenate([rng.normal(0, 1, 100), rng.normal(8, 1, 100)])
    data.write_text("value\n" + "\n".join(f"{v:.6f}" for v in x) + "\n")
    r = cli("hmm", "fit", "--states", "2", "--data", data, "-o", tmp_path / "g", "--seed", "1")
    assert r.code == 0 and "GaussianHMM" in r.out, r.err
    r = cli("hmm", "decode", tmp_path / "g", "--data", data, "--format", "json")
    states = np.array(json.loads(r.out)[0]["states"], dtype=int)  # a JSON list
    assert len(set(states[:100])) == 1 and states[0] != states[-1]
    r = cli("hmm", "sample", tmp_path / "g", "-n", "5", "--format", "json")
    assert r.code == 0 and len(json.loads(r.out)) == 5


def test_cli_errors_are_one_line(cli, tmp_path):
    data = tmp_path / "rolls.txt"
    write_rolls(data)
    r = cli("hmm", "fit", "--states", "0", "--data", data, "-o", tmp_path / "m")
    assert r.code == 1 and r.err.startswith("seqlab: error: --states must be >= 1") and r.err.count("\n") == 1
    assert not (tmp_path / "m").exists(), "a failed fit must not leave an output directory"
    r = cli("hmm", "fit", "--states", "2", "--data", tmp_path / "missing.txt", "-o", tmp_path / "m")
    assert r.code == 1 and "does not exist" in r.err
    cli("hmm", "fit", "--states", "2", "--data", data, "-o", tmp_path / "m")
    other = tmp_path / "other.txt"
    other.write_text("12x\n")
    r = cli("hmm", "decode", tmp_path / "m", "--data", other)
    assert r.code == 1 and "symbol 'x' was not seen" in r.err
    r = cli("hmm", "sample", tmp_path, "-n", "3")
    assert r.code == 1 and "not a seqlab model directory" in r.err


def test_old_model_directory_with_symbols_side_file_still_loads(cli, tmp_path):
    data = tmp_path / "rolls.txt"
    write_rolls(data)
    old = tmp_path / "old"
    model = CategoricalHMM(n_states=2, n_symbols=6, random_state=0)
    model.startprob_ = np.array([0.5, 0.5])
    model.transmat_ = np.array([[0.9, 0.1], [0.1, 0.9]])
    model.emissionprob_ = np.full((2, 6), 1 / 6)
    model.save(old)  # no symbols_: the layout written before the table became model state
    (old / "symbols.json").write_text(json.dumps({"symbols": list("123456")}))
    r = cli("hmm", "decode", old, "--data", data, "--format", "json")
    assert r.code == 0, r.err
    r = cli("hmm", "sample", old, "-n", "10", "--seed", "0", "--format", "json")
    assert r.code == 0 and set(json.loads(r.out)["observations"]) <= set("123456")


def test_fit_poisson_and_gmm_emissions(cli, tmp_path, rng):
    counts = tmp_path / "counts.csv"
    x = np.concatenate([rng.poisson(1.0, 80), rng.poisson(12.0, 80)])
    counts.write_text("\n".join(str(v) for v in x) + "\n")
    r = cli("hmm", "fit", "--states", "2", "--data", counts, "--emission", "poisson", "-o", tmp_path / "p",
            "--seed", "0", "--format", "json")
    assert r.code == 0, r.err
    fit = json.loads(r.out)
    assert fit["model"] == "PoissonHMM" and fit["bic"] > fit["aic"]
    r = cli("hmm", "decode", tmp_path / "p", "--data", counts, "--format", "json")
    states = np.array(json.loads(r.out)[0]["states"], dtype=int)
    assert states[0] != states[-1]
    r = cli("hmm", "fit", "--states", "2", "--data", counts, "--emission", "gmm", "--n-mix", "2",
            "--covariance-type", "spherical", "-o", tmp_path / "g", "--seed", "0")
    assert r.code == 0 and "GMMHMM" in r.out, r.err
    bad = tmp_path / "bad.csv"
    bad.write_text("1\n2.5\n")
    r = cli("hmm", "fit", "--states", "2", "--data", bad, "--emission", "poisson", "-o", tmp_path / "b")
    assert r.code == 1 and "integer counts" in r.err and r.err.count("\n") == 1
