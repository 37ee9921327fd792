"""``seqlab vae train|sample|interpolate`` end to end on a tiny file, and its bad-input errors."""

from __future__ import annotations

import json

import pytest

from seqlab.cli.main import main

LINES = "in the beginning\nand god said\nlet there be light\nand it was so\n" * 4
FLAGS = ["--d-hidden", "16", "--d-embed", "8", "--d-latent", "4", "--max-steps", "30", "--batch-size", "4", "-q"]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    root = tmp_path_factory.mktemp("vae")
    (root / "text.txt").write_text(LINES)
    assert main(["vae", "train", "--data", str(root / "text.txt"), "-o", str(root / "m"), *FLAGS]) == 0
    return root


def test_sample_and_interpolate(trained, capsys):
    capsys.readouterr()
    assert main(["vae", "sample", str(trained / "m"), "-n", "3", "--seed", "0"]) == 0
    assert len(capsys.readouterr().out.strip().split("\n")) == 3
    assert main(["vae", "interpolate", str(trained / "m"), "in the beginning", "and god said", "--steps", "4",
                 "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["t"] for r in rows] == [0.0, 0.3333, 0.6667, 1.0]


def test_bad_inputs(trained, tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert main(["vae", "interpolate", str(tmp_path / "empty"), "a", "b"]) == 1
    assert capsys.readouterr().err.startswith("seqlab: error: ")
    from seqlab import io
    from seqlab.ngram import Lidstone, NGramLM

    io.save(NGramLM(order=1, smoothing=Lidstone(1.0)).fit([["a", "b"]]), tmp_path / "ng")
    assert main(["vae", "interpolate", str(tmp_path / "ng"), "a", "b"]) == 1
    assert "not a sequence autoencoder" in capsys.readouterr().err
    assert main(["vae", "interpolate", str(trained / "m"), "a", "b", "--steps", "1"]) == 1
    assert "steps must be an int >= 2" in capsys.readouterr().err
