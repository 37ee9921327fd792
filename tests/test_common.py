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
from seqlab.exceptions import InvalidParameterError, NotFittedError


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


# ---------------------------------------------------------------------- scikit-learn's own checks
# scikit-learn's checks feed 2-D (n_samples, n_features) arrays. seqlab estimators take
# sequences or a series, and declare it in their tags (two_d_array=False), so
# check_estimator runs what applies to any input (it clones the estimator) and skips the rest;
# the API checks below that need no array input are run one by one. Every other check is
# listed in SKIPPED_CHECKS with its reason, and what it guards is tested with sequence data
# in test_estimator_contract above (fit returns self, params unchanged by fit, unfitted errors).
SEQUENCE_API_CHECKS = (
    "check_estimator_cloneable", "check_estimator_tags_renamed", "check_valid_tag_types", "check_estimator_repr",
    "check_no_attributes_set_in_init", "check_do_not_raise_errors_in_init_or_set_params", "check_mixin_order",
    "check_get_params_invariance", "check_set_params",
)
COVERED_WITH_SEQUENCES = {  # the array checks whose point test_estimator_contract makes on sequence data
    "check_estimators_fit_returns_self", "check_estimators_overwrite_params", "check_dont_overwrite_parameters",
    "check_estimators_unfitted", "check_fit_score_takes_y",
}
DEFAULTS_ARE_STRATEGY_OBJECTS = (  # STYLE.md B3: frozen strategy/config objects as defaults (NLTK's design)
    "check_parameters_default_constructible",
)


def _sklearn_check_names() -> set[str]:
    ec = pytest.importorskip("sklearn.utils.estimator_checks")
    from sklearn.dummy import DummyClassifier, DummyRegressor

    names = set()
    for ref in (DummyClassifier(), DummyRegressor()):
        for _est, check in ec.estimator_checks_generator(ref, legacy=True):
            func = getattr(check, "func", check)
            names.add(func.__name__)
    return names


def _skipped_checks() -> dict[str, str]:
    out = {}
    for name in sorted(_sklearn_check_names() - set(SEQUENCE_API_CHECKS)):
        if name in COVERED_WITH_SEQUENCES:
            out[name] = "needs a 2-D array; tested with sequence data in test_estimator_contract"
        elif name in DEFAULTS_ARE_STRATEGY_OBJECTS:
            out[name] = "defaults are frozen strategy/config objects (STYLE.md B3), not scalars"
        else:
            out[name] = "needs a 2-D (n_samples, n_features) array; input is sequences or a series"
    return out


def test_skipped_sklearn_checks_are_listed_with_a_reason():
    skipped = _skipped_checks()
    assert set(SEQUENCE_API_CHECKS).isdisjoint(skipped)
    assert COVERED_WITH_SEQUENCES <= set(skipped) and all(skipped.values())
    print("\n".join(f"skipped {name}: {reason}" for name, reason in skipped.items()))


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.SkipTestWarning")
@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda c: c.__name__)
def test_sklearn_check_estimator(cls):
    ec = pytest.importorskip("sklearn.utils.estimator_checks")
    from sklearn.base import clone
    from sklearn.utils import get_tags

    model = cls(**cls._test_params())
    tags = get_tags(model)
    assert not tags.input_tags.two_d_array and (tags.input_tags.string or tags.input_tags.one_d_array)
    results = ec.check_estimator(model, on_skip=None, on_fail=None)
    assert results and all(r["status"] in ("passed", "skipped") for r in results), [
        (r["check_name"], r["exception"]) for r in results if r["status"] not in ("passed", "skipped")]
    for name in SEQUENCE_API_CHECKS:
        getattr(ec, name)(cls.__name__, model)
    twin = clone(model)
    assert type(twin) is cls and twin.get_params(deep=False).keys() == model.get_params(deep=False).keys()
    assert model._more_tags()["X_types"] in (["string"], ["1darray"])  # scikit-learn < 1.6


WITH_SCORE = [c for c in ESTIMATORS if callable(getattr(c, "score", None))]


def _cv_for(cls: type[BaseModel], n: int) -> Any:
    from sklearn.model_selection import KFold, StratifiedKFold, TimeSeriesSplit

    if getattr(cls, "_input_kind", "") == "series":  # train on the past, score the continuation
        return TimeSeriesSplit(n_splits=2, test_size=max(2, n // 6))
    if "labels" in inspect.signature(cls.fit).parameters:
        return StratifiedKFold(n_splits=2)
    return KFold(n_splits=2)


@pytest.mark.parametrize("cls", WITH_SCORE, ids=lambda c: c.__name__)
def test_grid_search_and_cross_val_score(cls):
    pytest.importorskip("sklearn")
    from sklearn.model_selection import GridSearchCV, cross_val_score

    data = cls._test_data()  # type: ignore[attr-defined]
    X, y = data if isinstance(data, tuple) else (data, None)
    if isinstance(X, list):
        X = X * 2  # enough sequences for two folds
        y = None if y is None else list(y) * 2
    params = cls._test_params()  # type: ignore[attr-defined]
    cv = _cv_for(cls, len(X))
    scores = cross_val_score(cls(**params), X, y, cv=cv, error_score="raise")
    assert scores.shape == (2,) and np.all(np.isfinite(scores))
    grid = {k: [v] for k, v in sorted({**cls().get_params(deep=False), **params}.items())[:1]}  # {} if no params
    search = GridSearchCV(cls(**params), grid, cv=cv, error_score="raise").fit(X, y)
    assert np.isfinite(search.best_score_) and search.best_estimator_._is_fitted()
    for k, v in grid.items():  # estimators as values are cloned by scikit-learn: compare their reprs
        got = getattr(search.best_estimator_, k)
        assert got == v[0] or repr(got) == repr(v[0]), (k, got, v[0])


def test_nested_params_are_discovered_and_searched():
    pytest.importorskip("sklearn")
    from sklearn.model_selection import GridSearchCV

    from seqlab.classify import BayesSequenceClassifier
    from seqlab.ngram import Lidstone, NGramLM

    clf = BayesSequenceClassifier(lm=NGramLM(order=2, smoothing=Lidstone(0.5)))
    params = clf.get_params(deep=True)
    assert params["lm__order"] == 2 and params["lm__smoothing"] == Lidstone(0.5)
    assert "lm__order" not in clf.get_params(deep=False)
    X, y = BayesSequenceClassifier._test_data()
    search = GridSearchCV(clf, {"lm__order": [1, 2]}, cv=2, error_score="raise").fit(X * 2, y * 2)
    assert search.best_params_["lm__order"] in (1, 2)
    assert clf.lm.order == 2, "the template given by the user is not changed"


def test_set_params_reaches_nested_estimators():
    from toymodels import MeanModel

    class Holder(BaseModel):
        def __init__(self, *, inner: Any = None, k: int = 1) -> None:
            self.inner, self.k = inner, k

    h = Holder(inner=MeanModel(scale=2.0))
    assert h.get_params() == {"inner": h.inner, "inner__scale": 2.0, "inner__shrink": h.inner.shrink, "k": 1}
    h.set_params(inner__scale=5.0, k=3)
    assert h.inner.scale == 5.0 and h.k == 3
    with pytest.raises(InvalidParameterError, match="no parameter 'nope'"):
        h.set_params(nope__x=1)
    with pytest.raises(InvalidParameterError, match="no parameters to set"):
        h.set_params(k__x=1)


def test_clone_checks_that_init_stores_params_unchanged():
    class Meddler(BaseModel):
        def __init__(self, *, order: int = 2, names: Any = ()) -> None:
            self.order = order
            self.names = list(names)  # logic in __init__: scikit-learn's clone refuses this

    with pytest.raises(InvalidParameterError, match="does not store parameter 'names' unchanged"):
        Meddler(names=("a",)).clone()
    from toymodels import MeanModel

    m = MeanModel(scale=3.0)
    c = m.clone()
    assert c is not m and c.get_params() == m.get_params() and c.shrink is m.shrink


def test_positional_arguments_are_deprecated_not_broken():
    pytest.importorskip("sklearn")
    from sklearn.linear_model import Ridge

    from seqlab.forecast import LagRegressor

    with pytest.warns(DeprecationWarning, match="by position is deprecated"):
        old = LagRegressor(Ridge(), lags=2)
    assert isinstance(old.estimator, Ridge) and old.lags == 2
    assert list(inspect.signature(LagRegressor).parameters)[:3] == ["estimator", "lags", "extra"]
    assert all(p.kind is p.KEYWORD_ONLY for p in inspect.signature(LagRegressor).parameters.values())
    assert "estimator" in LagRegressor(estimator=Ridge()).get_params(deep=False)


def test_every_estimator_init_is_keyword_only():
    # InterpolatedLM([lm1, lm2], weights=None): the list of parts is positional, as scikit-learn's
    # Pipeline(steps) is (its public signature); everything else is keyword-only
    allowed = {"InterpolatedLM"}
    for cls in ESTIMATORS:
        if cls.__name__ in allowed:
            continue
        kinds = {p.kind for name, p in inspect.signature(cls).parameters.items()}
        assert kinds <= {inspect.Parameter.KEYWORD_ONLY}, f"{cls.__name__}.__init__ takes positional arguments"
    assert list(inspect.signature(seqlab.models.InterpolatedLM).parameters)[0] == "models"


CLASSICAL = ("ngram", "classify", "embed", "hmm", "statespace", "forecast", "data", "evaluate")


def _private_imports_across_packages() -> list[str]:
    import ast
    from pathlib import Path

    root = Path(seqlab.__file__).parent
    found = []
    for pkg in CLASSICAL:
        for path in sorted((root / pkg).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not isinstance(node, ast.ImportFrom) or not (node.module or "").startswith("seqlab"):
                    continue
                parts = node.module.split(".")
                other = parts[1] if len(parts) > 1 else ""
                if other == pkg or other.startswith("_"):  # own package; seqlab._validation is shared
                    continue
                names = [a.name for a in node.names if a.name.startswith("_")]
                names += [p for p in parts[2:] if p.startswith("_")]
                found += [f"{path.relative_to(root)}: from {node.module} import {n}" for n in names]
    return found


def test_classical_packages_import_no_private_names_across_packages():
    assert _private_imports_across_packages() == []


def _private_imports_in_cli() -> list[str]:
    """``from seqlab.X import Y`` lines in ``seqlab.cli`` that reach a private module or name outside it."""
    import ast
    from pathlib import Path

    root = Path(seqlab.__file__).parent
    found = []
    for path in sorted((root / "cli").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.ImportFrom) or not (node.module or "").startswith("seqlab"):
                continue
            if node.module == "seqlab.cli" or node.module.startswith("seqlab.cli."):
                continue
            names = [p for p in node.module.split(".") if p.startswith("_")]
            names += [a.name for a in node.names if a.name.startswith("_") and a.name != "__version__"]
            found += [f"cli/{path.name}:{node.lineno}: from {node.module} import {n}" for n in names]
    return found


def test_the_cli_uses_public_api_only():
    """DESIGN.md: the command line is built on the public API (the helpers it shares live in public modules)."""
    assert _private_imports_in_cli() == []
