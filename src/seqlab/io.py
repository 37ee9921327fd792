"""Model directories: ``manifest.json`` + ``*.safetensors``, a class allow-list, atomic writes.

A saved model is a directory. ``manifest.json`` holds the format name and version, the model
class, the seqlab version, the hyperparameters and small state as JSON (by convention
``state["summary"]`` is what ``seqlab info`` shows and ``state["run"]`` holds informational
figures of the fitting run, such as timings); every array lives in
``arrays.safetensors`` with its shape and dtype recorded in the manifest, so loading can check
them. Nothing is ever unpickled: loading is safe on untrusted files. Writes go to a temporary
sibling directory that is renamed into place, so a crash never leaves half a model.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any, TypeVar

import numpy as np

from seqlab.exceptions import FormatError, SeqlabError

FORMAT = "seqlab.model"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
ARRAYS = "arrays.safetensors"

_REGISTRY: dict[str, type] = {}
# Converters from format version v to v + 1, applied in turn to older manifests (gensim's
# ``_load_specials`` idea). Empty while version 1 is the only one.
_UPGRADES: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {}

T = TypeVar("T", bound=type)


def register(cls: T) -> T:
    """Class decorator: allow ``cls`` in model files (models and strategy objects alike)."""
    _REGISTRY[cls.__name__] = cls
    return cls


def registered() -> dict[str, type]:
    """The allow-list of classes that model files may name."""
    return dict(_REGISTRY)


# ---------------------------------------------------------------------- JSON values
def to_json(value: Any) -> Any:
    """Encode a hyperparameter value as JSON; registered dataclasses and estimators become ``{"type": ...}``."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        name = type(value).__name__
        if _REGISTRY.get(name) is not type(value):
            raise FormatError(f"{name} is not a registered seqlab class and cannot be saved.")
        fields = {f.name: to_json(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return {"type": name, **fields}
    if callable(getattr(value, "get_params", None)) and not isinstance(value, type):
        # a registered estimator used as a hyperparameter (e.g. the LM template of a classifier)
        name = type(value).__name__
        if _REGISTRY.get(name) is not type(value):
            raise FormatError(f"{name} is not a registered seqlab class and cannot be saved.")
        estimator: Any = value
        return {"type": name, **to_json(estimator.get_params(deep=False))}
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if value is None or isinstance(value, bool | int | float | str):
        return value
    raise FormatError(f"Cannot save a value of type {type(value).__name__} in a manifest: {value!r}.")


def from_json(value: Any) -> Any:
    """Inverse of :func:`to_json`: ``{"type": Name, ...}`` is rebuilt through the registry."""
    if isinstance(value, dict):
        if "type" in value and isinstance(value["type"], str):
            cls = _resolve_class(value["type"], None, "strategy object")
            kwargs = {k: from_json(v) for k, v in value.items() if k != "type"}
            return cls(**kwargs)
        return {k: from_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [from_json(v) for v in value]
    return value


# ---------------------------------------------------------------------- writing
@contextlib.contextmanager
def atomic_file(path: str | os.PathLike[str], mode: str = "wb", **open_kw: Any) -> Iterator[IO[Any]]:
    """Write ``path`` through a temporary sibling renamed into place: never a half-written file.

    ``with atomic_file(p, "w", encoding="utf-8") as f: f.write(...)``; on an error the temporary
    file is removed and ``path`` is left as it was. The result gets ordinary permissions
    (``0o666`` less the umask), not the temporary file's private ``0o600``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, mode, **open_kw) as f:
            yield f
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_directory(path: str | Path, fill: Callable[[Path], None]) -> Path:
    """Create directory ``path`` atomically: ``fill(tmp)`` writes into a temporary sibling.

    An existing seqlab model directory at ``path`` is replaced only after the new one is
    complete; any other non-empty directory or file there is refused, never overwritten.
    """
    path = Path(path)
    if path.exists():
        if not path.is_dir():
            raise SeqlabError(f"{path} exists and is not a directory; choose another output path.")
        if any(path.iterdir()) and not (path / MANIFEST).is_file():
            raise SeqlabError(
                f"{path} exists and is not a seqlab model directory; refusing to overwrite it. "
                "Choose a new output path or remove it first."
            )
    parent = path.resolve().parent
    parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.tmp-", dir=parent))
    try:
        fill(tmp)
        if path.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{path.name}.old-", dir=parent))
            old.rmdir()
            os.replace(path, old)
            os.replace(tmp, path)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return path


def write_json(path: Path, obj: Any) -> None:
    """Write ``obj`` as indented, sorted JSON with a trailing newline."""
    path.write_text(json.dumps(obj, indent=2, sort_keys=True, allow_nan=False) + "\n", encoding="utf-8")


def make_manifest(model: Any, state: dict[str, Any], arrays: dict[str, np.ndarray]) -> dict[str, Any]:
    """The manifest for ``model``: format, class, versions, params, state, array specs."""
    from seqlab import __version__

    cls = type(model)
    if _REGISTRY.get(cls.__name__) is not cls:
        raise FormatError(f"{cls.__name__} is not registered with seqlab.io.register and cannot be saved.")
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "seqlab_version": __version__,
        "class": cls.__name__,
        "module": cls.__module__,
        "params": to_json(model.get_params(deep=False)),
        "state": state,
        "arrays": {k: {"dtype": str(v.dtype), "shape": list(v.shape)} for k, v in arrays.items()},
    }


def write_model_files(model: Any, directory: str | Path) -> None:
    """Write ``model``'s ``manifest.json`` and ``arrays.safetensors`` into an existing ``directory``.

    The one writer of model files: :func:`save`, training checkpoints and every command use it
    (through :func:`save` or a checkpoint's ``write_model``), so the format is written in one place.
    """
    from safetensors.numpy import save_file

    if hasattr(model, "_check_fitted"):
        model._check_fitted()
    meta, arrays = model._to_state()
    arrays = {k: np.ascontiguousarray(v) for k, v in arrays.items()}
    manifest = make_manifest(model, meta, arrays)
    directory = Path(directory)
    save_file(arrays, str(directory / ARRAYS))
    write_json(directory / MANIFEST, manifest)


def save(model: Any, path: str | Path, *, extra_files: dict[str, Callable[[Path], None]] | None = None) -> Path:
    """Save a fitted model to directory ``path`` atomically (see :func:`write_directory`).

    ``extra_files`` maps a file name to a function writing it (e.g. a neural model's
    ``trainer.pt`` for ``--resume``); they land in the same atomic replace as the model files.
    """
    if hasattr(model, "_check_fitted"):
        model._check_fitted()

    def fill(tmp: Path) -> None:
        write_model_files(model, tmp)
        for name, write in (extra_files or {}).items():
            write(tmp / name)

    return write_directory(path, fill)


# ---------------------------------------------------------------------- reading
def read_manifest(path: str | Path) -> dict[str, Any]:
    """Read and check the manifest of model directory ``path`` (upgraded to the current version)."""
    path = Path(path)
    file = path / MANIFEST
    if not file.is_file():
        raise FormatError(f"{path} is not a seqlab model directory: {MANIFEST} is missing.")
    try:
        manifest = json.loads(file.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FormatError(f"{file} is not valid JSON ({exc}); the model directory is damaged.") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        got = manifest.get("format") if isinstance(manifest, dict) else None
        raise FormatError(f"{path} is not a seqlab model (format={got!r}, expected {FORMAT!r}).")
    version = manifest.get("format_version")
    if not isinstance(version, int) or version < 1:
        raise FormatError(f"{file}: field 'format_version' must be a positive int, got {version!r}.")
    if version > FORMAT_VERSION:
        raise FormatError(
            f"{path} uses format version {version}; this seqlab reads up to {FORMAT_VERSION}. "
            "Upgrade seqlab to load it."
        )
    while manifest["format_version"] < FORMAT_VERSION:
        manifest = _UPGRADES[manifest["format_version"]](manifest)
    for field in ("class", "params", "state"):
        if field not in manifest:
            raise FormatError(f"{file}: required field {field!r} is missing.")
    checked: dict[str, Any] = manifest
    return checked


def read_arrays(path: str | Path, manifest: dict[str, Any], filename: str = ARRAYS) -> dict[str, np.ndarray]:
    """Load the arrays of a model directory and check names, shapes and dtypes against the manifest."""
    from safetensors.numpy import load_file

    file = Path(path) / filename
    specs: dict[str, Any] = manifest.get("arrays", {})
    if not file.is_file():
        if specs:
            raise FormatError(f"{file} is missing; the model directory is incomplete.")
        return {}
    try:
        arrays = load_file(str(file))
    except Exception as exc:  # safetensors raises its own error types for truncated/bad files
        raise FormatError(f"{file} is not a readable safetensors file ({exc}); it may be truncated.") from None
    if set(arrays) != set(specs):
        raise FormatError(
            f"{file} holds arrays {sorted(arrays)} but the manifest lists {sorted(specs)}; the directory is damaged."
        )
    for name, spec in specs.items():
        arr = arrays[name]
        if list(arr.shape) != list(spec["shape"]) or str(arr.dtype) != spec["dtype"]:
            raise FormatError(
                f"{file}: array {name!r} has shape {list(arr.shape)} dtype {arr.dtype}, "
                f"but the manifest says shape {spec['shape']} dtype {spec['dtype']}."
            )
    return arrays


def _resolve_class(name: str, module: str | None, what: str) -> type:
    cls = _REGISTRY.get(name)
    if cls is None and isinstance(module, str) and module.startswith("seqlab."):
        try:  # importing a seqlab module registers its classes; nothing outside seqlab is imported
            importlib.import_module(module)
        except ImportError:
            pass
        cls = _REGISTRY.get(name)
    if cls is None:
        raise FormatError(f"Unknown {what} class {name!r}; known: {sorted(_REGISTRY)}.")
    return cls


def load(path: str | Path) -> Any:
    """Load any seqlab model directory. Safe on untrusted input: JSON + safetensors only."""
    manifest = read_manifest(path)
    cls = _resolve_class(manifest["class"], manifest.get("module"), "model")
    arrays = read_arrays(path, manifest)
    params = from_json(manifest["params"])
    try:
        return cls._from_state(params, manifest["state"], arrays)  # type: ignore[attr-defined]
    except (KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, SeqlabError):
            raise
        raise FormatError(f"{path}: the manifest does not describe a valid {cls.__name__} ({exc!r}).") from None
