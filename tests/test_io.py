"""Model directories: round trips, atomic writes, and every way a bad file is refused."""

from __future__ import annotations

import json

import numpy as np
import pytest

from seqlab import io
from seqlab.base import BaseModel
from seqlab.exceptions import FormatError, InvalidParameterError, NotFittedError, SeqlabError
from toymodels import MeanModel, Shrink


@pytest.fixture
def saved(tmp_path, rng):
    model = MeanModel(scale=2.0, shrink=Shrink(0.25)).fit(rng.normal(size=(10, 3)))
    return model, model.save(tmp_path / "m")


def test_round_trip_keeps_params_and_arrays(saved):
    model, path = saved
    back = io.load(path)
    assert isinstance(back, MeanModel) and back.shrink == Shrink(0.25) and back.scale == 2.0
    np.testing.assert_array_equal(back.mean_, model.mean_)
    manifest = json.loads((path / "manifest.json").read_text())
    assert manifest["params"]["shrink"] == {"type": "Shrink", "amount": 0.25}, "strategies are saved by name"
    assert manifest["arrays"]["mean"] == {"dtype": "float64", "shape": [3]}


def test_class_load_checks_the_class(saved):
    _, path = saved
    assert isinstance(MeanModel.load(path), MeanModel)

    class Other(BaseModel):
        pass

    with pytest.raises(FormatError, match="not a Other"):
        Other.load(path)


def test_unknown_class_is_refused(saved):
    _, path = saved
    manifest = json.loads((path / "manifest.json").read_text())
    manifest["class"], manifest["module"] = "Evil", "os"
    (path / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(FormatError, match="Unknown model class 'Evil'"):
        io.load(path)


def test_newer_format_is_refused(saved):
    _, path = saved
    manifest = json.loads((path / "manifest.json").read_text())
    manifest["format_version"] = io.FORMAT_VERSION + 1
    (path / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(FormatError, match="Upgrade seqlab"):
        io.load(path)


def test_truncated_arrays_are_refused(saved):
    _, path = saved
    data = (path / io.ARRAYS).read_bytes()
    (path / io.ARRAYS).write_bytes(data[: len(data) // 2])
    with pytest.raises(FormatError, match="truncated"):
        io.load(path)


def test_shape_mismatch_is_refused(saved):
    _, path = saved
    manifest = json.loads((path / "manifest.json").read_text())
    manifest["arrays"]["mean"]["shape"] = [4]
    (path / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(FormatError, match="array 'mean' has shape"):
        io.load(path)


def test_damaged_or_missing_manifest(tmp_path, saved):
    _, path = saved
    (path / "manifest.json").write_text("{not json")
    with pytest.raises(FormatError, match="not valid JSON"):
        io.load(path)
    with pytest.raises(FormatError, match="manifest.json is missing"):
        io.load(tmp_path)


def test_overwrites_a_model_but_never_other_directories(tmp_path, saved, rng):
    model, path = saved
    again = MeanModel().fit(rng.normal(size=(4, 3)))
    again.save(path)  # replacing an existing model directory is allowed
    np.testing.assert_array_equal(io.load(path).mean_, again.mean_)
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "notes.txt").write_text("keep me")
    with pytest.raises(SeqlabError, match="refusing to overwrite"):
        model.save(precious)
    assert (precious / "notes.txt").read_text() == "keep me"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], "no temporary directories left behind"


def test_failed_write_leaves_the_old_model(tmp_path, saved):
    _, path = saved
    before = (path / io.ARRAYS).read_bytes()

    def boom(tmp):
        (tmp / "half").write_text("x")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        io.write_directory(path, boom)
    assert (path / io.ARRAYS).read_bytes() == before
    assert not (path / "half").exists()


def test_unfitted_model_cannot_be_saved(tmp_path):
    with pytest.raises(NotFittedError):
        MeanModel().save(tmp_path / "x")
    assert not (tmp_path / "x").exists()


def test_base_contract():
    m = MeanModel(scale=3.0)
    assert m.get_params() == {"scale": 3.0, "shrink": Shrink()}
    assert repr(m) == "MeanModel(scale=3.0)", "repr shows only non-default params"
    c = m.clone()
    assert c is not m and c.get_params() == m.get_params() and not c._is_fitted()
    with pytest.raises(InvalidParameterError, match="has no parameter 'bogus'"):
        m.set_params(bogus=1)
    with pytest.raises(InvalidParameterError, match="must be a number > 0. Got -1 instead"):
        MeanModel(scale=-1).fit([[1.0]])


def test_unregistered_values_cannot_be_saved():
    with pytest.raises(FormatError):
        io.to_json(object())


def test_atomic_file_replaces_whole_files_with_ordinary_permissions(tmp_path):
    import os
    import stat

    target = tmp_path / "out.txt"
    target.write_text("old\n")
    with pytest.raises(RuntimeError), io.atomic_file(target, "w") as f:
        f.write("half")
        raise RuntimeError("interrupted")
    assert target.read_text() == "old\n" and sorted(p.name for p in tmp_path.iterdir()) == ["out.txt"]
    with io.atomic_file(target, "w", encoding="utf-8") as f:
        f.write("new\n")
    umask = os.umask(0)
    os.umask(umask)
    assert target.read_text() == "new\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~umask, "not the temporary file's private 0o600"


def test_safetensors_writer_is_read_back_by_the_safetensors_package(tmp_path, monkeypatch):
    """Chunked writing (chunks of 24 bytes here), every stored dtype, non-native layouts and a
    memory-mapped array: the safetensors package reads back the same arrays."""
    from safetensors.numpy import load_file

    monkeypatch.setattr(io, "WRITE_CHUNK_BYTES", 24)
    rng = np.random.default_rng(0)
    mapped = tmp_path / "mapped.f64"
    rng.random(100).tofile(mapped)
    arrays = {
        "f64": rng.random((7, 5)), "f32": rng.random(9).astype(np.float32), "f16": rng.random(3).astype(np.float16),
        "i64": np.arange(-5, 40, dtype=np.int64), "i32": np.arange(11, dtype=np.int32),
        "u8": np.arange(6, dtype=np.uint8),
        "bool": np.array([True, False, True]), "empty": np.zeros((0, 4)), "scalar": np.float64(2.5),
        "big_endian": np.arange(13, dtype=">i4"), "fortran": np.asfortranarray(rng.random((4, 6))),
        "mapped": np.memmap(mapped, dtype=np.float64, mode="r"),
    }
    io.write_safetensors(arrays, tmp_path / "a.safetensors")
    back = load_file(str(tmp_path / "a.safetensors"))
    assert set(back) == set(arrays)
    for name, want in arrays.items():
        got = back[name]
        assert got.shape == np.shape(want) and got.dtype == np.asarray(want).dtype.newbyteorder("="), name
        assert np.array_equal(got, want), name
    with pytest.raises(FormatError, match="'text'"):
        io.write_safetensors({"text": np.array(["a"])}, tmp_path / "b.safetensors")
