"""Save fitted scikit-learn regressors as JSON + arrays, never pickle (used by ``LagRegressor``).

Exported: linear models (``coef_``/``intercept_``), ``MLPRegressor`` (``coefs_``/``intercepts_``)
and the tree models ``DecisionTreeRegressor``, ``ExtraTreeRegressor``, ``RandomForestRegressor``
and ``ExtraTreesRegressor`` (each tree's node table, stored field by field, and leaf values).
Classes are resolved through the allow-list below, so loading never runs code named in a file.
Anything else raises a one-line ``FormatError`` naming the limitation.
"""

from __future__ import annotations

import importlib
import json
from typing import Any

import numpy as np

from seqlab.exceptions import FormatError

_LINEAR = {
    "LinearRegression", "Ridge", "RidgeCV", "Lasso", "LassoCV", "ElasticNet", "ElasticNetCV", "Lars", "LassoLars",
    "BayesianRidge", "ARDRegression", "HuberRegressor", "SGDRegressor", "TheilSenRegressor", "QuantileRegressor",
    "OrthogonalMatchingPursuit", "PassiveAggressiveRegressor",
}
_TREES = {"DecisionTreeRegressor": "sklearn.tree", "ExtraTreeRegressor": "sklearn.tree"}
_FORESTS = {"RandomForestRegressor": "sklearn.ensemble", "ExtraTreesRegressor": "sklearn.ensemble"}
_NODE_FIELDS = ("left_child", "right_child", "feature", "threshold", "impurity", "n_node_samples",
                "weighted_n_node_samples", "missing_go_to_left")
EXPORTABLE = sorted(_LINEAR | set(_TREES) | set(_FORESTS) | {"MLPRegressor"})


def _module(name: str) -> str:
    if name in _LINEAR:
        return "sklearn.linear_model"
    if name == "MLPRegressor":
        return "sklearn.neural_network"
    return _TREES.get(name) or _FORESTS[name]


def _json_params(est: Any) -> dict[str, Any]:
    params = est.get_params(deep=False)
    try:
        return dict(json.loads(json.dumps(params)))
    except TypeError:
        raise FormatError(f"{type(est).__name__} has parameters that are not JSON ({params}); "
                          "seqlab saves only JSON + arrays, never pickle.") from None


def _tree_arrays(tree: Any, prefix: str, arrays: dict[str, np.ndarray]) -> dict[str, Any]:
    state = tree.tree_.__getstate__()
    nodes = state["nodes"]
    for name in _NODE_FIELDS:
        arrays[f"{prefix}.{name}"] = np.ascontiguousarray(nodes[name])
    arrays[f"{prefix}.values"] = np.ascontiguousarray(state["values"])
    return {"max_depth": int(state["max_depth"]), "node_count": int(state["node_count"])}


def _tree_from(cls: Any, params: dict[str, Any], meta: dict[str, Any], prefix: str,
               arrays: dict[str, np.ndarray], n_features: int, n_outputs: int) -> Any:
    from sklearn.tree._tree import Tree

    est = cls(**params)
    template = Tree(n_features, np.ones(n_outputs, dtype=np.intp), n_outputs)
    dtype = template.__getstate__()["nodes"].dtype
    nodes = np.zeros(meta["node_count"], dtype=dtype)
    for name in _NODE_FIELDS:
        nodes[name] = arrays[f"{prefix}.{name}"]
    template.__setstate__({"max_depth": meta["max_depth"], "node_count": meta["node_count"], "nodes": nodes,
                           "values": np.ascontiguousarray(arrays[f"{prefix}.values"])})
    est.tree_ = template
    est.n_features_in_, est.n_outputs_ = n_features, n_outputs
    est.max_features_ = n_features
    return est


def export_estimator(est: Any) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """``(meta, arrays)`` describing a fitted regressor; ``FormatError`` if it cannot be exported."""
    name = type(est).__name__
    if name not in EXPORTABLE or not type(est).__module__.startswith("sklearn."):
        raise FormatError(f"LagRegressor cannot save a {name}: only linear models, MLPRegressor, decision trees, "
                          "random forests and extra trees export without pickle (seqlab never pickles).")
    meta: dict[str, Any] = {"class": name, "params": _json_params(est), "n_features_in": int(est.n_features_in_)}
    arrays: dict[str, np.ndarray] = {}
    if name in _LINEAR:
        arrays["coef"] = np.asarray(est.coef_, dtype=np.float64)
        arrays["intercept"] = np.atleast_1d(np.asarray(est.intercept_, dtype=np.float64))
        meta["intercept_scalar"] = bool(np.ndim(est.intercept_) == 0)
    elif name == "MLPRegressor":
        meta["n_layers"], meta["n_outputs"], meta["out_activation"] = est.n_layers_, est.n_outputs_, est.out_activation_
        for i, (w, b) in enumerate(zip(est.coefs_, est.intercepts_, strict=True)):
            arrays[f"coefs.{i}"], arrays[f"intercepts.{i}"] = np.asarray(w), np.asarray(b)
    elif name in _TREES:
        meta["n_outputs"] = int(est.n_outputs_)
        meta["tree"] = _tree_arrays(est, "tree", arrays)
    else:
        meta["n_outputs"] = int(est.n_outputs_)
        meta["trees"] = [_tree_arrays(t, f"tree{i}", arrays) for i, t in enumerate(est.estimators_)]
        meta["tree_params"] = {k: v for k, v in _json_params(est.estimators_[0]).items()}
    return meta, arrays


def import_estimator(meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> Any:
    """Rebuild a regressor written by :func:`export_estimator` (classes from the allow-list only)."""
    name = meta.get("class")
    if name not in EXPORTABLE:
        raise FormatError(f"unknown saved regressor class {name!r}; known: {EXPORTABLE}.")
    cls = getattr(importlib.import_module(_module(name)), name)
    est = cls(**meta["params"])
    n_features = int(meta["n_features_in"])
    est.n_features_in_ = n_features
    if name in _LINEAR:
        est.coef_ = arrays["coef"].copy()
        est.intercept_ = float(arrays["intercept"][0]) if meta["intercept_scalar"] else arrays["intercept"].copy()
    elif name == "MLPRegressor":
        est.coefs_ = [arrays[f"coefs.{i}"].copy() for i in range(meta["n_layers"] - 1)]
        est.intercepts_ = [arrays[f"intercepts.{i}"].copy() for i in range(meta["n_layers"] - 1)]
        est.n_layers_, est.n_outputs_, est.out_activation_ = meta["n_layers"], meta["n_outputs"], meta["out_activation"]
    elif name in _TREES:
        est = _tree_from(cls, meta["params"], meta["tree"], "tree", arrays, n_features, meta["n_outputs"])
    else:
        tree_cls = getattr(importlib.import_module("sklearn.tree"),
                           "DecisionTreeRegressor" if name == "RandomForestRegressor" else "ExtraTreeRegressor")
        est.estimators_ = [_tree_from(tree_cls, meta["tree_params"], t, f"tree{i}", arrays, n_features,
                                      meta["n_outputs"]) for i, t in enumerate(meta["trees"])]
        est.estimator_ = tree_cls(**meta["tree_params"])
        est.n_outputs_ = meta["n_outputs"]
    return est
