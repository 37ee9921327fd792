"""``lm train --condition label|vector`` and ``lm generate --label/--vectors``, with bad input."""

from __future__ import annotations

import numpy as np
import pytest

from seqlab.cli.main import main

FLAGS = ["--model", "gru", "--d-hidden", "16", "--d-embed", "8", "--max-steps", "60", "--batch-size", "8",
         "--lr", "0.02", "-q"]


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    root = tmp_path_factory.mktemp("cond")
    (root / "labelled.tsv").write_text("pos\tgood day indeed\nneg\tbad day sadly\n" * 8)
    (root / "text.txt").write_text("good day indeed\nbad day sadly\n" * 8)
    np.save(root / "feats.npy", np.tile([[1.0, 0.0], [0.0, 1.0]], (8, 1)))
    np.save(root / "short.npy", np.zeros((3, 2)))
    return root


def test_label_condition_end_to_end(files, capsys):
    out = files / "by_label"
    assert main(["lm", "train", "--condition", "label", "--data", str(files / "labelled.tsv"), "-o", str(out),
                 *FLAGS]) == 0
    capsys.readouterr()
    assert main(["lm", "generate", str(out), "--label", "neg", "--greedy", "--max-tokens", "5"]) == 0
    assert capsys.readouterr().out.split()[0] == "bad"
    assert main(["lm", "generate", str(out), "--label", "spam"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("seqlab: error: label 'spam' was not seen in training") and err.count("\n") == 1


def test_vector_condition_and_bad_vectors(files, capsys):
    out = files / "by_vector"
    assert main(["lm", "train", "--condition", "vector", "--inject", "both", "--data", str(files / "text.txt"),
                 "--vectors", str(files / "feats.npy"), "-o", str(out), *FLAGS]) == 0
    capsys.readouterr()
    assert main(["lm", "generate", str(out), "--vectors", str(files / "feats.npy"), "--row", "1", "--greedy",
                 "--max-tokens", "5"]) == 0
    assert capsys.readouterr().out.split()[0] == "bad"
    bad = files / "bad_rows"
    assert main(["lm", "train", "--condition", "vector", "--data", str(files / "text.txt"), "--vectors",
                 str(files / "short.npy"), "-o", str(bad), *FLAGS]) == 1
    assert "has 3 rows but" in capsys.readouterr().err and not bad.exists(), "nothing written"
    np.save(files / "wide.npy", np.zeros((4, 3)))
    assert main(["lm", "generate", str(out), "--vectors", str(files / "wide.npy")]) == 1
    assert "3 columns; this model was trained on 2" in capsys.readouterr().err


@pytest.mark.parametrize("kind", ["npz", "strings", "empty", "text"])
def test_unreadable_vector_files_are_one_line_errors(files, capsys, kind):
    path = files / f"bad_{kind}.npy"
    if kind == "npz":
        path = files / "bad.npz"
        np.savez(path, a=np.zeros((16, 2)))
    elif kind == "strings":
        np.save(path, np.array([["a", "b"]] * 16))
    elif kind == "empty":
        path.write_bytes(b"")
    else:
        path.write_text("1 2\n3 4\n")
    out = files / f"never_{kind}"
    assert main(["lm", "train", "--condition", "vector", "--data", str(files / "text.txt"), "--vectors", str(path),
                 "-o", str(out), *FLAGS]) == 1
    err = capsys.readouterr().err
    assert err.startswith("seqlab: error: ") and err.count("\n") == 1 and "Traceback" not in err
    assert not out.exists()
