"""``seqlab lm train --model ngram --memory/--temp-dir/--engine``: same model files, one-line errors."""

from __future__ import annotations

import lzma

import pytest


@pytest.fixture(scope="module")
def train_file(tmp_path_factory, fixtures_dir):  # type: ignore[no-untyped-def]
    path = tmp_path_factory.mktemp("kjv") / "train.txt"
    path.write_text(lzma.open(fixtures_dir / "kjv-small.train.txt.xz", "rt").read())
    return path


def test_memory_flag_gives_the_same_arpa_bytes(cli, train_file, tmp_path):
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    arpas = []
    for name, extra in (("mem", ()), ("ooc", ("--memory", "1M", "--temp-dir", scratch))):
        res = cli("lm", "train", "--data", train_file, "-o", tmp_path / name, "--order", "4", *extra)
        assert res.code == 0, res.err
        res = cli("lm", "export", tmp_path / name, "--arpa", tmp_path / f"{name}.arpa")
        assert res.code == 0, res.err
        arpas.append((tmp_path / f"{name}.arpa").read_bytes())
    assert arpas[0] == arpas[1]
    assert list(scratch.iterdir()) == [], "temporary runs were left behind"


@pytest.mark.parametrize(("extra", "needle"), [
    (("--memory", "10"), "the minimum is 1M"),
    (("--memory", "1M", "--temp-dir", "/nonexistent/dir"), "writable directory"),
    (("--workers", "2"), "add --engine dask"),
])
def test_bad_options_are_one_line_errors(cli, train_file, tmp_path, extra, needle):
    res = cli("lm", "train", "--data", train_file, "-o", tmp_path / "m", *extra)
    assert res.code == 1, res.err
    lines = res.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("seqlab: error: ") and needle in lines[0], res.err
    assert not (tmp_path / "m").exists(), "no partial model may be written"


def test_bad_utf8_is_named_with_offset(cli, tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"a b c\nd \xff e\n")
    res = cli("lm", "train", "--data", bad, "-o", tmp_path / "m", "--memory", "1M")
    assert res.code == 1 and "offset 8" in res.err and str(bad) in res.err and len(res.err.strip().splitlines()) == 1
