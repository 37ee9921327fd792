"""Shared data plumbing of the sequence classifier and tagger: inputs, pretrained vectors, batches.

* :func:`encode_inputs`: text (str, tokenised with a saved tokenizer, or token lists) or numeric
  ``(T, F)`` arrays -> a list of int64 id arrays or float32 arrays;
* :func:`load_pretrained`: word vectors from a seqlab ``Word2Vec`` directory or a word2vec
  text/binary file, aligned to a vocabulary (Kim's ``U(-a, a)`` for words it lacks);
* :class:`BucketBatches`: deterministic length-bucketed padded batches (so training time tracks
  the real tokens), with per-row targets and optional example weights.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from seqlab.data.batch import Batch
from seqlab.exceptions import DataError, FormatError

BUCKET_SPAN = 50
"""Batches per bucket: rows are sorted by length inside windows of ``BUCKET_SPAN * batch_size`` rows."""


def is_numeric(X: Sequence[Any]) -> bool:
    """True when the first sequence is a numeric array (numpy array with a float/int dtype)."""
    first = X[0]
    return isinstance(first, np.ndarray) and first.dtype.kind in "fiu"


def check_numeric(X: Sequence[Any], n_features: int | None, *, name: str = "X") -> list[np.ndarray]:
    """Numeric sequences as float32 arrays of shape (T, F), T >= 1, finite, F = ``n_features`` when given."""
    out = []
    for i, x in enumerate(X):
        a = np.asarray(x, dtype=np.float32)
        if a.ndim == 1:
            a = a[:, None]
        if a.ndim != 2 or a.shape[0] == 0:
            raise DataError(f"{name}[{i}] must be a non-empty array of shape (T, F); got shape {a.shape}.")
        if n_features is not None and a.shape[1] != n_features:
            raise DataError(f"{name}[{i}] has {a.shape[1]} features per step, but the model was fitted on "
                            f"{n_features}; give arrays of shape (T, {n_features}).")
        if not np.isfinite(a).all():
            t = int(np.argwhere(~np.isfinite(a))[0, 0])
            raise DataError(f"{name}[{i}] holds NaN or inf at step {t}; fill or drop missing values first.")
        out.append(a)
    if n_features is None and len({a.shape[1] for a in out}) > 1:
        raise DataError(f"{name}: the sequences have different feature counts {sorted({a.shape[1] for a in out})}; "
                        "every sequence needs the same F.")
    return out


def check_tokens(X: Sequence[Any], tokenizer: Any, *, name: str = "X") -> list[list[str]]:
    """Token lists from texts (tokenised) or token lists; every sequence must hold at least one token."""
    if isinstance(X, str | bytes):
        raise DataError(f"{name} must be a list of texts or token lists, got a single str. Did you mean [text]?")
    out = []
    for i, x in enumerate(X):
        tokens = tokenizer(x) if isinstance(x, str) else [str(t) for t in x]
        if not tokens:
            raise DataError(f"{name}[{i}] is empty (no tokens); every sequence needs at least one token.")
        out.append(tokens)
    return out


def load_pretrained(spec: str | Path, words: Sequence[str], *, d_embed: int, seed: int,
                    scale: float = 0.25) -> tuple[np.ndarray, int]:
    """Rows for ``words`` from a word2vec file or a seqlab Word2Vec directory, and how many were missing.

    Words missing from the file get ``U(-scale, scale)`` vectors (Kim 2014 chose ``scale`` so their
    variance matches the pretrained ones'); rows 0..3 (the special ids) are zero except ``<unk>``.
    """
    path = Path(spec)
    if path.is_dir():
        from seqlab.embed import Word2Vec

        try:
            wv = Word2Vec.load(path).wv
        except FormatError as exc:
            raise FormatError(f"--embeddings {path}: not a seqlab Word2Vec model directory ({exc})") from None
        keys, vectors = list(wv.index_to_key), np.asarray(wv.vectors, dtype=np.float32)
    elif path.exists():
        from seqlab.embed.formats import read_word2vec

        keys, vectors = read_word2vec(path)
    else:
        raise DataError(f"embeddings {spec} does not exist; give a word2vec text/binary file or a seqlab "
                        "Word2Vec model directory.")
    if vectors.shape[1] != d_embed:
        raise DataError(f"embeddings {spec} have dimension {vectors.shape[1]}, but d_embed is {d_embed}; "
                        f"set d_embed={vectors.shape[1]} (--embed-dim {vectors.shape[1]}).")
    index = {w: i for i, w in enumerate(keys)}
    rng = np.random.default_rng(seed)
    table = rng.uniform(-scale, scale, size=(len(words), d_embed)).astype(np.float32)
    missing = 0
    for row, w in enumerate(words):
        if row < 4 and w.startswith("<"):
            table[row] = 0.0 if w != "<unk>" else table[row]
            continue
        hit = index.get(w)
        if hit is None:
            missing += 1
        else:
            table[row] = vectors[hit]
    return table, missing


@dataclass
class BucketBatches:
    """Padded batches of variable-length rows, bucketed by length, deterministic in ``(epoch, k)``.

    Parameters
    ----------
    rows : list of ndarray
        ``(T,)`` int64 ids or ``(T, F)`` float32 features per example.
    targets : ndarray of shape (n,) or list of ndarray
        One label per row, or one ``(T,)`` id array per row (padded with ``-100``).
    batch_size : int
    shuffle : bool
        Reshuffle every epoch (seeded by ``seed + epoch``); otherwise the given order, bucketed.
    weights : ndarray of shape (n,), optional
    shard : slice, optional
        The slice of each batch's rows this process trains on (distributed).
    """

    rows: list[np.ndarray]
    targets: Any
    batch_size: int
    shuffle: bool
    seed: int = 0
    weights: np.ndarray | None = None
    shard: slice | None = None

    def __post_init__(self) -> None:
        self.lengths = np.array([len(r) for r in self.rows], dtype=np.int64)

    def __len__(self) -> int:
        return math.ceil(len(self.rows) / self.batch_size)

    def _order(self, epoch: int) -> list[np.ndarray]:
        n = len(self.rows)
        order = np.random.default_rng(self.seed + epoch).permutation(n) if self.shuffle else np.arange(n)
        span = self.batch_size * BUCKET_SPAN
        batches = []
        for start in range(0, n, span):
            chunk = order[start:start + span]
            chunk = chunk[np.argsort(self.lengths[chunk], kind="stable")]
            batches += [chunk[i:i + self.batch_size] for i in range(0, len(chunk), self.batch_size)]
        if self.shuffle:
            perm = np.random.default_rng(self.seed + epoch + 1_000_003).permutation(len(batches))
            batches = [batches[i] for i in perm]
        return batches

    def indices(self, epoch: int, k: int) -> np.ndarray:
        """Row indices of batch ``k`` of ``epoch``."""
        if getattr(self, "_cached_epoch", None) != epoch:
            self._cached = self._order(epoch)
            self._cached_epoch = epoch
        return self._cached[k]

    def batch(self, epoch: int, k: int) -> Batch:
        idx = self.indices(epoch, k)
        if self.shard is not None:
            idx = idx[self.shard] if len(idx[self.shard]) else idx[:1]
        lengths = self.lengths[idx]
        width = int(lengths.max())
        first = self.rows[idx[0]]
        if first.ndim == 2:   # (T, F) features, or (T, 1 + W) word and char ids of a tagger
            depth = max(self.rows[i].shape[1] for i in idx)
            inputs = np.zeros((len(idx), width, depth), dtype=first.dtype)
        else:
            inputs = np.zeros((len(idx), width), dtype=first.dtype)
        for j, i in enumerate(idx):
            row = self.rows[i]
            if row.ndim == 2:
                inputs[j, : lengths[j], : row.shape[1]] = row
            else:
                inputs[j, : lengths[j]] = row
        if isinstance(self.targets, np.ndarray):
            targets = self.targets[idx]
        else:
            targets = np.full((len(idx), width), -100, dtype=np.int64)
            for j, i in enumerate(idx):
                targets[j, : lengths[j]] = self.targets[i]
        weights = None if self.weights is None else self.weights[idx].astype(np.float32)
        return Batch(inputs=inputs, targets=targets, lengths=lengths, weights=weights)
