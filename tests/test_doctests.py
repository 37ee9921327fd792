"""The Examples sections of seqlab's docstrings run as tests (STYLE.md B5)."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import seqlab

MODULES = sorted(m.name for m in pkgutil.walk_packages(seqlab.__path__, "seqlab.") if "__main__" not in m.name)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} doctest examples failed in {name}"
