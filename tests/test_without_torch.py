"""The classical install: with torch hidden, every neural path is the one-line install message.

Each case runs in a subprocess whose import system refuses ``torch`` (a meta-path finder that
raises ``ModuleNotFoundError``, exactly what a torch-free environment does).
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from seqlab.cli.main import main

SRC = str(Path(__file__).resolve().parents[1] / "src")
INSTALL = "pip install 'seqlab[torch]'"

PRELUDE = textwrap.dedent("""
    import sys

    class _NoTorch:
        def find_spec(self, name, path=None, target=None):
            if name == "torch" or name.startswith("torch."):
                raise ModuleNotFoundError(f"No module named {name!r}", name=name)
            return None

    sys.meta_path.insert(0, _NoTorch())
""")


def _run(body: str, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": SRC}
    return subprocess.run([sys.executable, "-c", PRELUDE + textwrap.dedent(body), *args], capture_output=True,
                          text=True, env=env, cwd=cwd, timeout=300)


def _cli(*argv: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return _run("from seqlab.cli.main import main\nsys.exit(main(sys.argv[1:]))\n", *argv, cwd=cwd)


def _one_install_line(done: subprocess.CompletedProcess[str]) -> None:
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert done.returncode == 1, done.stderr
    assert len(lines) == 1 and lines[0].startswith("seqlab: error: ") and INSTALL in lines[0], done.stderr


def test_the_blocker_works():
    done = _run("import torch\n")
    assert done.returncode == 1 and "No module named 'torch'" in done.stderr


def test_classical_families_import_and_fit_without_torch():
    done = _run("""
        import seqlab, seqlab.ngram, seqlab.hmm, seqlab.embed, seqlab.forecast, seqlab.classify, seqlab.statespace
        import seqlab.cli.main
        from seqlab.ngram import NGramLM
        print(NGramLM(order=2).fit([["a", "b"], ["b", "a"]]).perplexity([["a", "b"]]) > 1)
        print("torch" in sys.modules)
    """)
    assert done.returncode == 0 and done.stdout.split() == ["True", "False"], done.stderr


def test_import_seqlab_models_names_the_extra():
    """The package and its registries import (the CLI reads them); a model class names the extra."""
    done = _run("""
        from seqlab.exceptions import MissingDependencyError
        import seqlab.models
        print(sorted(seqlab.models.LM_ARCHITECTURES)[0])
        try:
            from seqlab.models import NeuralLM
        except MissingDependencyError as exc:
            print(exc)
    """)
    assert done.returncode == 0 and INSTALL in done.stdout and "seqlab.models.NeuralLM" in done.stdout, done.stderr
    assert done.stdout.split()[0] == "conv", done.stdout


def test_neural_training_needs_torch(tmp_path):
    (tmp_path / "c.txt").write_text("a b c\nb c a\n")
    for model in ("lstm", "transformer"):
        done = _cli("lm", "train", "--data", "c.txt", "-o", "out", "--model", model, cwd=tmp_path)
        _one_install_line(done)
        assert f"--model {model} needs PyTorch" in done.stderr
    assert not (tmp_path / "out").exists()


def test_loading_a_neural_model_needs_torch(tmp_path, capsys):
    pytest.importorskip("torch")
    (tmp_path / "c.txt").write_text("a b c\nb c a\nc a b\n" * 3)
    assert main(["lm", "train", "--data", str(tmp_path / "c.txt"), "-o", str(tmp_path / "nl"), "--model", "lstm",
                 "--max-steps", "1", "--hidden", "8", "--embed-dim", "8", "--layers", "1", "--batch-size", "2",
                 "--bptt", "2", "-q"]) == 0
    done = _cli("lm", "eval", "nl", "--data", "c.txt", cwd=tmp_path)
    _one_install_line(done)
    assert "loading a saved NeuralLM" in done.stderr, "not 'Unknown model class'"
    done = _run("""
        from seqlab import io
        from seqlab.exceptions import MissingDependencyError
        try:
            io.load(sys.argv[1])
        except MissingDependencyError as exc:
            print(exc)
    """, str(tmp_path / "nl"))
    assert INSTALL in done.stdout, done.stderr


def test_demo_prints_the_ngram_table_then_says_neural_rows_need_torch():
    # the demo's data cut to a few hundred verses so that the test stays fast
    done = _run("""
        import seqlab.datasets as datasets
        full = datasets.load_corpus
        datasets.load_corpus = lambda spec, **kw: full(spec, **kw)[:300]
        from seqlab.cli.main import main
        sys.exit(main(["demo", "--max-tokens", "5"]))
    """)
    assert done.returncode == 0, done.stderr
    assert "n-gram modified Kneser-Ney" in done.stdout and "neural" not in done.stdout
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("seqlab: warning: the neural language models are left out")
    assert INSTALL in lines[0]
