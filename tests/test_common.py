"""Conformance suite: every registered estimator honours the BaseModel contract (STYLE.md B9).

A class opts in by being registered with ``seqlab.io.register`` and defining the classmethods
``_test_params()`` (small hyperparameters) and ``_test_data()`` (a tiny training set, passed to
``fit`` as positional arguments when it is a tuple).
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from typing import Any

import numpy as np
import pytest

import seqlab
from seqlab import io
from seqlab.base import BaseModel
from seqlab.exceptions import NotFittedError


def _import_all_families() -> None:
    for mod in pkgutil.walk_packages(seqlab.__path__, "seqlab."):
        if ".cli" not in mod.name and "__main__" not in mod.name:
            importlib.import_module(mod.name)


_import_all_families()
ESTIMATORS = sorted(
    (cls for cls in io.registered().values()
     if inspect.isclass(cls) and issubclass(cls, BaseModel) and hasattr(cls, "_test_params")
     and cls.__module__.startswith("seqlab.")),
    key=lambda c: c.__name__,
)


def _fit(cls: type[BaseModel]) -> BaseModel:
    data = cls._test_data()  # type: ignore[attr-defined]
    args = data if isinstance(data, tuple) else (data,)
    model = cls(**cls._test_params())  # type: ignore[attr-defined]
    assert model.fit(*args) is model, f"{cls.__name__}.fit must return self"
    return model


def _state(model: BaseModel) -> tuple[Any, dict[str, np.ndarray]]:
    """Learned state; ``state["run"]`` (timings of the fitting run) is informational and skipped."""
    meta, arrays = model._to_state()
    if isinstance(meta, dict):
        meta = {k: v for k, v in meta.items() if k != "run"}
    return meta, arrays


def _assert_same_state(a: BaseModel, b: BaseModel, what: str) -> None:
    meta_a, arr_a = _state(a)
    meta_b, arr_b = _state(b)
    assert meta_a == meta_b, f"{what}: JSON state differs"
    assert set(arr_a) == set(arr_b), f"{what}: array names differ"
    for k in arr_a:
        np.testing.assert_allclose(arr_a[k], arr_b[k], rtol=1e-12, atol=0, err_msg=f"{what}: array {k!r} differs")


def test_there_are_estimators_to_check():
    assert ESTIMATORS, "no registered estimator defines _test_params(); the suite would check nothing"


@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda c: c.__name__)
def test_estimator_contract(cls, tmp_path):
    params = cls._test_params()
    model = cls(**params)
    assert repr(model).startswith(cls.__name__)
    with pytest.raises(NotFittedError):
        model.save(tmp_path / "unfitted")
    before = {k: repr(v) for k, v in model.get_params().items()}
    fitted = _fit(cls)
    assert {k: repr(v) for k, v in fitted.get_params().items()} == before, "fit must not change hyperparameters"
    assert not fitted.clone()._is_fitted(), "clone() must return an unfitted copy"
    assert fitted.clone().get_params().keys() == fitted.get_params().keys()
    fitted.set_params(**fitted.get_params())
    _assert_same_state(fitted, _fit(cls), "fit twice with the same data")
    back = io.load(fitted.save(tmp_path / "m"))
    assert type(back) is cls
    _assert_same_state(fitted, back, "save -> load")
