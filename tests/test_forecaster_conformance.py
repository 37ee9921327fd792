"""The Forecaster contract, tested once over every class that claims it (issue 10).

``fit(series)``, ``predict(horizon)``, ``update(new, refit=, forget=)`` (what ``backtest``
needs) and ``score(series)`` (negative MAE of one-step forecasts), for the classical and the
neural forecasters alike. A class joins by being registered with ``_test_params()`` /
``_test_data()``; classes that cannot be saved or need an argument are listed in ``EXTRA``.
"""

from __future__ import annotations

import copy
import importlib
import inspect
import pkgutil
from typing import Any

import numpy as np
import pytest

import seqlab
from seqlab import io
from seqlab.exceptions import DataError
from seqlab.forecast import WalkForward, backtest
from seqlab.forecast._base import BaseForecaster
from seqlab.protocols import Forecaster


def _import_all() -> None:
    for mod in pkgutil.walk_packages(seqlab.__path__, "seqlab."):
        if ".cli" not in mod.name and "__main__" not in mod.name:
            try:
                importlib.import_module(mod.name)
            except ImportError:  # torch-only modules without torch
                pass


def _subclasses(cls: type) -> list[type]:
    out = []
    for sub in cls.__subclasses__():
        out += [sub, *_subclasses(sub)]
    return out


_import_all()
_REGISTERED = {c for c in io.registered().values() if inspect.isclass(c)}
CLAIMS = sorted({c for c in _subclasses(BaseForecaster) if c.__module__.startswith("seqlab.")
                 and (c in _REGISTERED or c.__name__ in ("LagRegressor",))}, key=lambda c: c.__name__)


def _lag_regressor_params() -> dict[str, Any]:
    from sklearn.linear_model import LinearRegression

    return {"estimator": LinearRegression(), "lags": 2}


EXTRA: dict[str, Any] = {"LagRegressor": _lag_regressor_params}  # not registered: a fitted sklearn model needs pickle
SAVABLE = {name for name, cls in io.registered().items() if inspect.isclass(cls)}


def _params(cls: type) -> dict[str, Any]:
    if cls.__name__ in EXTRA:
        return EXTRA[cls.__name__]()
    return cls._test_params()  # type: ignore[attr-defined]


def _data(cls: type) -> np.ndarray:
    hook = getattr(cls, "_test_data", None)
    return np.asarray(hook() if hook else np.sin(np.arange(60) / 4.0) + np.arange(60) / 30.0, dtype=np.float64)


def test_every_forecaster_is_checked():
    names = {c.__name__ for c in CLAIMS}
    assert {"ARForecaster", "Persistence", "SeasonalNaive", "MeanForecaster", "LagRegressor"} <= names
    for cls in CLAIMS:
        assert hasattr(cls, "_test_params") or cls.__name__ in EXTRA, f"{cls.__name__} has no test hooks"


@pytest.fixture(params=CLAIMS, ids=lambda c: c.__name__)
def cls(request):
    return request.param


def test_is_a_forecaster(cls):
    model = cls(**_params(cls))
    assert isinstance(model, Forecaster)
    assert model.fit(_data(cls)) is model


def test_predict_shape_and_determinism(cls):
    x = _data(cls)
    model = cls(**_params(cls)).fit(x)
    for h in (1, 3):
        pred = model.predict(h)
        assert pred.shape == (h,) and np.all(np.isfinite(pred))
    np.testing.assert_array_equal(model.predict(3), model.predict(3))
    np.testing.assert_allclose(cls(**_params(cls)).fit(x).predict(3), model.predict(3), rtol=1e-6, atol=1e-9)


# The neural forecasters refit by warm start: ``refit_epochs`` more epochs from the current
# weights (models/forecaster.py), not a new fit from scratch, so for them update(refit=True)
# is checked to re-estimate (forecasts move) rather than to equal fit() on the window.
WARM_START = {"NeuralForecaster", "MLPForecaster", "RecurrentForecaster", "ConvForecaster"}


def test_update_refit_equals_fit_on_the_new_window(cls):
    x = _data(cls)
    n = len(x) - 5
    updated = cls(**_params(cls)).fit(x[:n]).update(x[n:], refit=True, forget=2)
    np.testing.assert_array_equal(updated.history_, x[2:])
    if cls.__name__ in WARM_START:
        kept = cls(**_params(cls)).fit(x[:n]).update(x[n:], refit=False, forget=2)
        assert not np.allclose(updated.predict(4), kept.predict(4)), "refit=True must re-estimate"
        return
    direct = cls(**_params(cls)).fit(x[2:])
    np.testing.assert_allclose(updated.predict(4), direct.predict(4), rtol=1e-6, atol=1e-8)


def test_update_without_refit_keeps_parameters_and_conditions_on_new_values(cls):
    x = _data(cls)
    n = len(x) - 3
    model = cls(**_params(cls)).fit(x[:n])
    state = {k: copy.deepcopy(v) for k, v in vars(model).items() if k.endswith("_") and not k.startswith("_")}
    model.update(x[n:], refit=False)
    np.testing.assert_array_equal(model.history_, x)
    for k, v in state.items():
        if k != "history_" and isinstance(v, np.ndarray):
            np.testing.assert_array_equal(getattr(model, k), v, err_msg=f"{k} changed without refit")


def test_score_is_negative_mae_of_one_step_forecasts(cls):
    x = _data(cls)
    n = len(x) - 6
    model = cls(**_params(cls)).fit(x[:n])
    follower = copy.deepcopy(model)
    preds = []
    for v in x[n:]:
        preds.append(follower.predict(1)[0])
        follower.update([v], refit=False)
    assert model.score(x[n:]) == pytest.approx(-np.mean(np.abs(np.asarray(preds) - x[n:])), rel=1e-9)
    np.testing.assert_array_equal(model.history_, x[:n]), "score must not change the model"
    with pytest.raises(DataError):
        model.score([])


def test_save_load_gives_the_same_forecasts(cls, tmp_path):
    if cls.__name__ not in SAVABLE:
        assert cls.__name__ == "LagRegressor"  # documented: a fitted sklearn estimator can only be pickled
        return
    model = cls(**_params(cls)).fit(_data(cls))
    back = io.load(model.save(tmp_path / "m"))
    np.testing.assert_allclose(back.predict(4), model.predict(4), rtol=1e-12, atol=1e-12)
    back.update([0.5], refit=False)
    model.update([0.5], refit=False)
    np.testing.assert_allclose(back.predict(2), model.predict(2), rtol=1e-12, atol=1e-12)


def test_backtest_takes_any_forecaster(cls):
    x = _data(cls)
    params = inspect.signature(backtest).parameters
    assert params["model"].annotation in (Forecaster, "Forecaster")
    result = backtest(cls(**_params(cls)), x, WalkForward(initial=len(x) - 6, horizon=2, step=2, refit_every=2))
    assert np.all(np.isfinite(result.predictions))
