"""Shared small helpers: the hyperparameter checks of ``seqlab.base``, the lazy matplotlib import."""

from __future__ import annotations

from seqlab.base import float_at_least, int_at_least


def test_int_at_least():
    ok, expected = int_at_least(1)
    assert [ok(v) for v in (1, 7, 0, -1, True, 1.0, "1", None)] == [True, True] + [False] * 6
    assert expected == "an int >= 1"
    ok, expected = int_at_least(0, optional=True)
    assert ok(None) and ok(0) and not ok(-1) and expected == "None or an int >= 0"


def test_float_at_least():
    ok, expected = float_at_least(0)
    assert [ok(v) for v in (0, 0.0, 2.5, -0.1, False, "1", None)] == [True, True, True] + [False] * 4
    assert expected == "a float >= 0"
    ok, expected = float_at_least(0, strict=True, optional=True)
    assert ok(None) and ok(0.1) and not ok(0) and not ok(0.0) and expected == "None or a float > 0"


def test_plots_without_matplotlib_name_the_install_command(monkeypatch):
    import sys

    import pytest

    from seqlab._plot import pyplot
    from seqlab.exceptions import SeqlabError

    monkeypatch.setitem(sys.modules, "matplotlib", None)  # as if it were not installed
    with pytest.raises(SeqlabError, match=r"pip install 'seqlab\[plot\]'"):
        pyplot()
