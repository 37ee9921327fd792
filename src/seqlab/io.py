"""Model directories: ``manifest.json`` + ``*.safetensors``, a class allow-list, atomic writes.

A saved model is a directory. ``manifest.json`` holds the format name and version, the model
class, the seqlab version, the hyperparameters and small state as JSON (by convention
``state["summary"]`` is what ``seqlab info`` shows and ``state["run"]`` holds informational
figures of the fitting run, such as timings); every array lives in
``arrays.safetensors`` with its shape and dtype recorded in the manifest, so loading can check
them. Nothing is ever unpickled: loading is safe on untrusted files (links out of the
directory, mistyped manifests, non-finite weights and headers claiming more than the file holds
are ``FormatError``). Writes go to a temporary sibling directory swapped into place in one
atomic step, under a lock on the output path, so a crash never leaves half a model and two
writers never silently replace each other's output.
"""

from __future__ import annotations

import contextlib
import dataclasses
import glob
import importlib
import json
import math
import mmap
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any, TypeVar

import numpy as np

from seqlab.exceptions import FormatError, MissingDependencyError, SeqlabError

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
def _umask() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return umask


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
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# Output locks: ``.NAME.lock`` beside the output, held with ``flock`` while a writer runs and
# removed when it lets go. Keyed by the lock file so that one process may take it again.
_HELD: dict[str, int] = {}
_MADE: dict[str, list[Path]] = {}  # parent directories a lock had to create, removed again if left empty


def _lock_file(path: Path) -> Path:
    path = Path(os.path.abspath(path))
    return path.parent / f".{path.name}.lock"


def _acquire(path: Path) -> str | None:
    """Take the lock on output ``path``; ``None`` if this process already holds it."""
    try:
        import fcntl
    except ImportError:  # no flock (Windows): writes are still atomic, just not exclusive
        return None
    lock = _lock_file(path)
    key = str(lock)
    if key in _HELD:
        return None
    made = [p for p in [lock.parent, *lock.parent.parents] if not p.exists()]
    lock.parent.mkdir(parents=True, exist_ok=True)
    while True:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            _remove_empty(made)
            raise SeqlabError(
                f"{path} is being written by another seqlab process (lock {lock}); "
                "wait for it to finish or choose another output path."
            ) from None
        try:  # the holder before us may have removed the file: then lock the new one
            same = os.stat(lock).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            same = False
        if same:
            _HELD[key] = fd
            _MADE[key] = made
            return key
        os.close(fd)


def _remove_empty(directories: list[Path]) -> None:
    for d in directories:  # deepest first; a directory that got content stays
        try:
            d.rmdir()
        except OSError:
            break


def _release(key: str | None) -> None:
    if key is None or key not in _HELD:
        return
    fd = _HELD.pop(key)
    with contextlib.suppress(OSError):
        os.unlink(key)  # still holding the lock, so nobody else has it
    os.close(fd)
    _remove_empty(_MADE.pop(key, []))


@contextlib.contextmanager
def output_lock(path: str | os.PathLike[str]) -> Iterator[None]:
    """Hold the lock on output ``path`` (a model directory or a file) for the ``with`` block.

    A second process asking for the same path gets a one-line :class:`SeqlabError` at once
    instead of silently replacing the first one's output. Re-entrant within a process.
    """
    key = _acquire(Path(path))
    try:
        yield
    finally:
        _release(key)


def hold_output_lock(path: str | os.PathLike[str]) -> None:
    """Take the lock on output ``path`` until :func:`release_output_locks` (or the process ends).

    The command line takes it when a command starts, so a whole run (training included)
    owns its output; :func:`write_directory` then finds it already held.
    """
    _acquire(Path(path))


def release_output_locks() -> None:
    """Let go of every lock taken with :func:`hold_output_lock`."""
    for key in list(_HELD):
        _release(key)


def _leftovers(path: Path, kind: str) -> list[Path]:
    return sorted(path.parent.glob(f"{glob.escape('.' + path.name)}.{kind}-*"), key=lambda p: p.name)


def _recover(path: Path) -> None:
    """Undo what an interrupted write left beside ``path`` (call with the lock held).

    Where the two-rename fallback was cut between its renames, ``path`` is missing and the
    previous model waits in ``.NAME.old-*``: it is put back. Temporary directories are removed.
    """
    olds = [p for p in _leftovers(path, "old") if (p / MANIFEST).is_file()]
    if not os.path.lexists(path) and olds:
        newest = max(olds, key=lambda p: p.stat().st_mtime_ns)
        os.rename(newest, path)
    for p in _leftovers(path, "old") + _leftovers(path, "tmp"):
        if p.is_dir() and not p.is_symlink():
            shutil.rmtree(p, ignore_errors=True)


def _exchange(a: Path, b: Path) -> bool:
    """Swap ``a`` and ``b`` in one atomic step (Linux ``renameat2(RENAME_EXCHANGE)``).

    Returns False where the system or the file system does not offer it.
    """
    if not sys.platform.startswith("linux"):
        return False
    import ctypes
    import errno

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    if fn(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), str(b))


def _finish_tree(root: Path) -> None:
    """Give the files under ``root`` ordinary permissions and flush them to disk.

    Writers such as safetensors create private ``0o600`` files; a model directory is readable
    by group and others as the umask allows, like any file the user creates.
    """
    umask = _umask()
    for dirpath, dirs, files in os.walk(root):
        for name in dirs:
            os.chmod(os.path.join(dirpath, name), 0o777 & ~umask)
        for name in files:
            file = os.path.join(dirpath, name)
            if os.path.islink(file):
                continue
            os.chmod(file, 0o666 & ~umask)
            with contextlib.suppress(OSError):
                fd = os.open(file, os.O_RDONLY)
                try:
                    os.fsync(fd)
                finally:
                    os.close(fd)
    _sync_dir(root)


def _sync_dir(directory: Path) -> None:
    with contextlib.suppress(OSError, AttributeError):
        fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def write_directory(path: str | Path, fill: Callable[[Path], None]) -> Path:
    """Create directory ``path`` atomically: ``fill(tmp)`` writes into a temporary sibling.

    An existing seqlab model directory at ``path`` is replaced only after the new one is
    complete, in one atomic step (``renameat2(RENAME_EXCHANGE)`` on Linux; elsewhere two
    renames whose interrupted middle the next write repairs), so a reader or a crash sees the
    old model or the new one, never neither. Any other non-empty directory or file there is
    refused, never overwritten. The output is locked while writing (a concurrent writer gets a
    :class:`SeqlabError`), and leftovers of interrupted writes are cleaned up first.
    """
    path = Path(path)
    with output_lock(path):
        _recover(Path(os.path.abspath(path)))
        if path.is_symlink():
            raise SeqlabError(f"{path} is a symbolic link; write the model to a real directory path.")
        if path.exists():
            if not path.is_dir():
                raise SeqlabError(f"{path} exists and is not a directory; choose another output path.")
            if any(path.iterdir()) and not (path / MANIFEST).is_file():
                raise SeqlabError(
                    f"{path} exists and is not a seqlab model directory; refusing to overwrite it. "
                    "Choose a new output path or remove it first."
                )
        parent = Path(os.path.abspath(path)).parent
        parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.tmp-", dir=parent))
        try:
            os.chmod(tmp, 0o777 & ~_umask())  # mkdtemp makes it private (0o700)
            fill(tmp)
            _finish_tree(tmp)
            if path.exists() and _exchange(tmp, path):
                shutil.rmtree(tmp, ignore_errors=True)  # now holds the previous model
            elif path.exists():
                old = Path(tempfile.mkdtemp(prefix=f".{path.name}.old-", dir=parent))
                old.rmdir()
                os.rename(path, old)
                os.rename(tmp, path)
                shutil.rmtree(old, ignore_errors=True)
            else:
                os.rename(tmp, path)
            _sync_dir(parent)
        except BaseException as exc:
            shutil.rmtree(tmp, ignore_errors=True)
            if isinstance(exc, ArraysNotWritten):  # e.g. a full disk while writing the arrays
                reason = exc.strerror or (str(exc).splitlines()[0] if str(exc) else "write failed")
                was = "the previous model there is unchanged" if path.exists() else "nothing was written"
                raise SeqlabError(f"could not write {path} ({reason}); {was}.") from None
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
        "params": to_json(_manifest_params(model)),
        "state": state,
        "arrays": {k: {"dtype": str(v.dtype), "shape": list(v.shape)} for k, v in arrays.items()},
    }


def _manifest_params(model: Any) -> dict[str, Any]:
    """The hyperparameters a manifest records: ``get_params(deep=False)``, less what the model's
    ``_manifest_params()`` leaves out (a mixture keeps its parts' states in ``state`` instead)."""
    own = getattr(model, "_manifest_params", None)
    params: dict[str, Any] = own() if callable(own) else model.get_params(deep=False)
    return params


def write_model_files(model: Any, directory: str | Path) -> None:
    """Write ``model``'s ``manifest.json`` and ``arrays.safetensors`` into an existing ``directory``.

    The one writer of model files: :func:`save`, training checkpoints and every command use it
    (through :func:`save` or a checkpoint's ``write_model``), so the format is written in one place.
    """
    if hasattr(model, "_check_fitted"):
        model._check_fitted()
    meta, arrays = model._to_state()
    manifest = make_manifest(model, meta, arrays)
    directory = Path(directory)
    write_safetensors(arrays, directory / ARRAYS)
    write_json(directory / MANIFEST, manifest)


WRITE_CHUNK_BYTES = 16 << 20


def write_safetensors(arrays: dict[str, np.ndarray], file: Path) -> None:
    """Write ``arrays`` as a safetensors file, each array a chunk at a time.

    The format is a little-endian u64 header length, a JSON header (dtype, shape and byte
    range of each array) and the arrays' bytes back to back. Writing them in chunks copies
    at most :data:`WRITE_CHUNK_BYTES` at a time (the safetensors package's own writer copies
    every array into one bytes object first); pages of memory-mapped arrays (out-of-core
    n-gram models) are released from resident memory after each chunk.
    """
    code_of = {dtype: code for code, dtype in _SAFETENSORS_DTYPES.items()}
    header: dict[str, Any] = {}
    offset = 0
    items = []
    for name in sorted(arrays):
        arr = np.asarray(arrays[name])
        code = code_of.get(arr.dtype.name)
        if code is None:
            raise FormatError(f"array {name!r} has dtype {arr.dtype}, which safetensors cannot store; "
                              "convert it to a numeric type.")
        header[name] = {"dtype": code, "shape": list(arr.shape), "data_offsets": [offset, offset + arr.nbytes]}
        offset += arr.nbytes
        items.append(arr)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)  # the data starts 8-byte aligned, as the safetensors writer does
    try:
        with open(file, "wb") as f:
            f.write(len(text).to_bytes(8, "little"))
            f.write(text)
            for arr in items:
                _write_array(f, arr)
    except OSError as exc:
        raise ArraysNotWritten(exc.errno, exc.strerror or str(exc)) from exc


class ArraysNotWritten(OSError):
    """Writing a model's arrays failed (e.g. a full disk): :func:`write_directory` says so in one line."""


def _write_array(f: IO[bytes], arr: np.ndarray) -> None:
    """Append ``arr``'s bytes, row-major and little-endian, :data:`WRITE_CHUNK_BYTES` at a time."""
    flat = arr.reshape(-1)  # (size,) a view where arr is contiguous
    step = max(1, WRITE_CHUNK_BYTES // max(arr.itemsize, 1))
    mapping = _mapping_of(arr)
    for lo in range(0, flat.size, step):
        chunk = np.ascontiguousarray(flat[lo:lo + step], dtype=arr.dtype.newbyteorder("<"))
        f.write(chunk.data)
        if mapping is not None:  # drop the pages just read; the data stays in the file
            mapping.madvise(mmap.MADV_DONTNEED)


def _mapping_of(array: np.ndarray) -> mmap.mmap | None:
    """The read-only file mapping under a memory-mapped array (None for others, or without madvise).

    Writing a model mapped from disk would otherwise leave the whole model resident.
    """
    base: Any = array
    while base is not None and not isinstance(base, mmap.mmap):
        base = getattr(base, "_mmap", None) or getattr(base, "base", None)
    return base if isinstance(base, mmap.mmap) and hasattr(mmap, "MADV_DONTNEED") else None


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
#: the largest safetensors header read (the safetensors library's own limit)
MAX_HEADER_BYTES = 100_000_000


def _inside(directory: Path, file: Path) -> Path:
    """``file`` if it stays inside ``directory`` once links are followed, else a FormatError."""
    real_dir = directory.resolve()
    real = file.resolve()
    if real != real_dir and real_dir not in real.parents:
        raise FormatError(
            f"{file} is a link to {real}, outside the model directory; refusing to read it. "
            "Copy the file into the directory instead."
        )
    return file


def _load_json(file: Path, text: str | bytes, what: str) -> Any:
    try:
        return json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        reason = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
        raise FormatError(f"{file} is not valid JSON ({reason}); the {what} is damaged.") from None


def read_manifest(path: str | Path) -> dict[str, Any]:
    """Read and check the manifest of model directory ``path`` (upgraded to the current version)."""
    path = Path(path)
    file = path / MANIFEST
    if not file.is_file():
        raise FormatError(f"{path} is not a seqlab model directory: {MANIFEST} is missing.")
    for entry in path.iterdir():  # nothing in a model directory may point outside it
        if entry.is_symlink():
            _inside(path, entry)
    manifest = _load_json(file, file.read_bytes(), "model directory")
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        got = manifest.get("format") if isinstance(manifest, dict) else None
        raise FormatError(f"{path} is not a seqlab model (format={got!r}, expected {FORMAT!r}).")
    version = manifest.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
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
    _check_manifest_types(file, manifest)
    checked: dict[str, Any] = manifest
    return checked


def _check_manifest_types(file: Path, manifest: dict[str, Any]) -> None:
    """Every field has the JSON type the loaders expect (a string class, object params, ...)."""
    kinds = {"class": (str, "a string"), "module": (str, "a string"), "params": (dict, "an object"),
             "state": (dict, "an object"), "arrays": (dict, "an object")}
    for field, (kind, name) in kinds.items():
        if field in manifest and not isinstance(manifest[field], kind):
            raise FormatError(f"{file}: field {field!r} must be {name}, got {type(manifest[field]).__name__} "
                              f"{_short(manifest[field])}; the model directory is damaged.")
    for name, spec in manifest.get("arrays", {}).items():
        shape = spec.get("shape") if isinstance(spec, dict) else None
        dtype = spec.get("dtype") if isinstance(spec, dict) else None
        if not (isinstance(shape, list) and all(isinstance(d, int) and not isinstance(d, bool) and d >= 0
                                                for d in shape) and isinstance(dtype, str)):
            raise FormatError(f"{file}: array {name!r} must be described as {{\"dtype\": str, \"shape\": [int, ...]}}, "
                              f"got {_short(spec)}; the model directory is damaged.")


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


_SAFETENSORS_DTYPES = {"F64": "float64", "F32": "float32", "F16": "float16", "BF16": "bfloat16",
                       "I64": "int64", "I32": "int32", "I16": "int16", "I8": "int8", "U64": "uint64",
                       "U32": "uint32", "U16": "uint16", "U8": "uint8", "BOOL": "bool"}


def check_safetensors_header(file: Path) -> dict[str, Any]:
    """Read and check the header of safetensors ``file`` against the file's size.

    Every tensor must lie inside the file, and its byte range must match its shape and dtype,
    so no header can make a reader allocate more than the file holds. Returns the header.
    """
    size = file.stat().st_size
    with open(file, "rb") as f:
        head = f.read(8)
        if len(head) < 8:
            raise FormatError(f"{file} is not a readable safetensors file (only {size} bytes); it may be truncated.")
        n = int.from_bytes(head, "little")
        if n > min(size - 8, MAX_HEADER_BYTES):
            raise FormatError(f"{file}: the safetensors header claims {n} bytes but the file has {size}; "
                              "it is damaged or truncated.")
        header = _load_json(file, f.read(n), "safetensors file")
    if not isinstance(header, dict):
        raise FormatError(f"{file}: the safetensors header is not a JSON object; the file is damaged.")
    data = size - 8 - n
    for name, spec in header.items():
        if name == "__metadata__":
            continue
        try:
            start, end = spec["data_offsets"]
            shape = [int(d) for d in spec["shape"]]
            itemsize = np.dtype(_SAFETENSORS_DTYPES[spec["dtype"]]).itemsize if spec["dtype"] != "BF16" else 2
            ok = (isinstance(start, int) and isinstance(end, int) and 0 <= start <= end <= data
                  and all(d >= 0 for d in shape) and math.prod(shape) * itemsize == end - start)
        except (KeyError, TypeError, ValueError):
            ok = False
        if not ok:
            raise FormatError(f"{file}: tensor {name!r} has a header entry {_short(spec)} that does not fit the "
                              f"file's {data} data bytes; the file is damaged.")
    return header


def read_arrays(path: str | Path, manifest: dict[str, Any], filename: str = ARRAYS) -> dict[str, np.ndarray]:
    """Load the arrays of a model directory and check names, shapes, dtypes and values against the manifest.

    Floating-point arrays must be finite (``-inf`` is allowed in arrays named ``log...``: the log
    of a zero probability), so damaged weights are refused at load time, not printed as NaN later.
    """
    from safetensors.numpy import load_file

    file = Path(path) / filename
    specs: dict[str, Any] = manifest.get("arrays", {})
    if not isinstance(specs, dict):
        raise FormatError(f"{Path(path) / MANIFEST}: field 'arrays' must be an object; the model directory is damaged.")
    if not file.is_file():
        if specs:
            raise FormatError(f"{file} is missing; the model directory is incomplete.")
        return {}
    _inside(Path(path), file)
    check_safetensors_header(file)
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
        if not isinstance(spec, dict) or list(arr.shape) != spec.get("shape") or str(arr.dtype) != spec.get("dtype"):
            raise FormatError(
                f"{file}: array {name!r} has shape {list(arr.shape)} dtype {arr.dtype}, "
                f"but the manifest says {_short(spec)}; the directory is damaged."
            )
        if arr.dtype.kind in "fc":
            bad = np.isnan(arr) | np.isposinf(arr) if "log" in name.lower() else ~np.isfinite(arr)
            if bad.any():
                raise FormatError(
                    f"{file}: array {name!r} holds {int(bad.sum())} non-finite values (NaN or inf); "
                    "the model is damaged or its training diverged. Retrain it."
                )
    return arrays


def _resolve_class(name: str, module: str | None, what: str) -> type:
    cls = _REGISTRY.get(name)
    if cls is None and isinstance(module, str) and module.startswith("seqlab."):
        try:  # importing a seqlab module registers its classes; nothing outside seqlab is imported
            importlib.import_module(module)
        except ImportError as exc:
            from seqlab.deps import is_torch_import_error, torch_message

            if is_torch_import_error(exc) or (isinstance(exc, MissingDependencyError) and "torch" in str(exc)):
                raise MissingDependencyError(torch_message(f"loading a saved {name}")) from None
            if isinstance(exc, MissingDependencyError):
                raise
        cls = _REGISTRY.get(name)
    if cls is None:
        raise FormatError(f"Unknown {what} class {name!r}; known: {sorted(_REGISTRY)}.")
    return cls


def load(path: str | Path) -> Any:
    """Load any seqlab model directory. Safe on untrusted input: JSON + safetensors only."""
    manifest = read_manifest(path)
    cls = _resolve_class(manifest["class"], manifest.get("module"), "model")
    arrays = read_arrays(path, manifest)
    try:
        params = from_json(manifest["params"])
        return cls._from_state(params, manifest["state"], arrays)  # type: ignore[attr-defined]
    except (KeyError, TypeError, ValueError, IndexError, AttributeError, RecursionError) as exc:
        if isinstance(exc, SeqlabError):
            raise
        raise FormatError(f"{path}: the manifest does not describe a valid {cls.__name__} "
                          f"({type(exc).__name__}: {_short(str(exc))}); the model directory is damaged.") from None
