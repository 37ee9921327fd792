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
    assert expected == "a finite float >= 0"
    ok, expected = float_at_least(0, strict=True, optional=True)
    assert ok(None) and ok(0.1) and not ok(0) and not ok(0.0) and expected == "None or a finite float > 0"


def test_plots_without_matplotlib_name_the_install_command(monkeypatch):
    import sys

    import pytest

    from seqlab.exceptions import SeqlabError
    from seqlab.plotting import pyplot

    monkeypatch.setitem(sys.modules, "matplotlib", None)  # as if it were not installed
    with pytest.raises(SeqlabError, match=r"pip install 'seqlab\[plot\]'"):
        pyplot()


def test_check_series_names_the_bad_value_and_its_position():
    import numpy as np
    import pytest

    from seqlab._validation import check_series
    from seqlab.exceptions import DataError

    with pytest.raises(DataError) as err:
        check_series(np.array([[1.0, 2.0], [3.0, np.nan]]))
    msg = str(err.value)
    assert "(nan) at index 1 (feature 1)" in msg and "3.0" not in msg  # not column 0's value
    with pytest.raises(DataError) as err:
        check_series([1.0, 2.0, np.inf])
    assert "(inf) at index 2;" in str(err.value) and "np.float64" not in str(err.value)
    with pytest.raises(DataError, match=r"\(-inf\) at index 0 \(feature 2\)"):
        check_series([[1.0, 2.0, -np.inf]])


def test_shared_validators():
    import numpy as np
    import pytest

    from seqlab._validation import (
        check_horizon,
        check_int,
        check_positive,
        check_probability,
        is_int,
        is_real,
        require,
    )
    from seqlab.exceptions import InvalidParameterError

    assert is_int(3) and is_int(np.int64(3)) and not is_int(True) and not is_int(3.0)
    assert is_int(3, 1, 5) and not is_int(0, 1) and not is_int(6, 1, 5)
    assert is_real(2.5) and is_real(np.float32(1)) and not is_real(np.nan) and not is_real(False)
    ok, what = int_at_least(1, high=3)
    assert ok(np.int64(2)) and not ok(4) and what == "an int between 1 and 3"
    assert require(2, int_at_least(1), "n") == 2
    with pytest.raises(InvalidParameterError, match=r"^WalkForward step must be an int >= 1, got 0\.$"):
        require(0, int_at_least(1), "WalkForward step")
    with pytest.raises(InvalidParameterError, match=r"^window must be None or an int >= 1, got -2\.$"):
        require(-2, int_at_least(1, optional=True), "window")
    assert check_int(None, "k", low=1, optional=True) is None and check_int(np.int32(4), "k", low=1) == 4
    with pytest.raises(InvalidParameterError, match="k must be >= 1, got 0"):
        check_int(0, "k", low=1)
    assert check_positive(0.5, "alpha", "Lidstone") == 0.5
    with pytest.raises(InvalidParameterError, match=r"^KneserNey: discount must be a number in \(0, 1.0\], got 2\.$"):
        check_positive(2, "discount", "KneserNey", upper=1.0)
    assert check_probability(0.0, "dropout") == 0.0
    for bad in (1.0, -0.1, "0.1", np.nan):
        with pytest.raises(InvalidParameterError, match=r"dropout must be in \[0, 1\)"):
            check_probability(bad, "dropout")
    assert check_probability(1.0, "p", closed=True) == 1.0
    assert check_horizon(np.int64(3)) == 3
    with pytest.raises(InvalidParameterError, match="horizon must be an int >= 1, got True"):
        check_horizon(True)


def test_base_and_validation_share_one_set_of_constraint_builders():
    import seqlab._validation as v
    import seqlab.base as b

    assert b.int_at_least is v.int_at_least and b.float_at_least is v.float_at_least
