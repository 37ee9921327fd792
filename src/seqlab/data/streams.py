"""Language-model batching: a continuous token stream for truncated BPTT, and padded sentence batches.

Two regimes (document 000's "one long sequence" vs "sequence per instance"):

* **stream** (Zaremba et al., char-rnn): the corpus becomes one id stream
  ``<s> w1 .. wn </s> <s> ...``, laid out as ``batch_size`` parallel rows; windows of ``bptt``
  steps are read left to right, so a recurrent model can carry its hidden state from one window
  to the next. A target ``<s>`` is never predicted: it is masked with ``-100``.
* **padded**: one sentence per row, inputs ``<s> w1 .. wn`` and targets ``w1 .. wn </s>``,
  padded with ``<pad>`` (inputs) and ``-100`` (targets).

Both are numpy-only and deterministic: the order of an epoch depends only on ``(seed, epoch)``,
which is what makes a resumed run continue bit for bit.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from seqlab.data.batch import Batch, batch_indices, epoch_order
from seqlab.data.vocab import BOS_ID, EOS_ID, PAD_ID, SPECIALS, UNK_ID, Vocabulary
from seqlab.exceptions import DataError, InvalidParameterError

IGNORE_INDEX = -100


@dataclass(frozen=True)
class LMBatch(Batch):
    """One language-model :class:`~seqlab.data.batch.Batch`: ``inputs`` and ``targets`` of shape (N, L)
    int64, ``lengths`` of shape (N,).

    ``continues`` is True for stream batches that continue the previous window, so a
    recurrent model may carry its state; padded batches always start afresh.
    """

    lengths: np.ndarray  # always present for language-model batches

    @property
    def n_tokens(self) -> int:
        """Number of predicted (unmasked) targets."""
        return int((self.targets != IGNORE_INDEX).sum())


def encode_sentences(corpus: Sequence[Sequence[str]], vocabulary: Vocabulary) -> list[np.ndarray]:
    """Each sentence as ``[<s>, w1 .. wn, </s>]`` ids.

    OOV tokens become ``<unk>``, and so do literal specials in the text (``<s>``, ``<pad>``...),
    the same rule ``NGramLM`` applies, so both see the same ids.
    """
    out = []
    for s in corpus:
        ids = vocabulary.encode(list(s), bos=True, eos=True)
        inner = ids[1:-1]
        inner[inner < len(SPECIALS)] = UNK_ID
        out.append(ids)
    return out


def encode_stream(corpus: Sequence[Sequence[str]], vocabulary: Vocabulary) -> np.ndarray:
    """The corpus as one int64 stream ``<s> w1 .. wn </s> <s> ...``."""
    parts = encode_sentences(corpus, vocabulary)
    if not parts:
        raise DataError("The corpus holds no sentences; give at least one non-empty sentence.")
    return np.concatenate(parts)


class StreamBatches:
    """Truncated-BPTT windows over a token stream laid out as ``batch_size`` parallel rows.

    Parameters
    ----------
    stream : ndarray of shape (n,)
        Token ids, e.g. from :func:`encode_stream`.
    batch_size : int
        Number of parallel rows (the stream is cut into ``batch_size`` contiguous pieces; the
        remainder that does not fill a row is dropped, as in Zaremba et al.).
    bptt : int
        Window length (steps of backpropagation through time).
    rows : slice, optional
        The rows this process reads (distributed training splits the global batch by rows).

    Notes
    -----
    Row ``i`` holds ``stream[i * m : (i + 1) * m]`` with ``m = len(stream) // batch_size``;
    window ``k`` covers columns ``[k * bptt, (k + 1) * bptt + 1)`` (inputs are the first ``bptt``
    of them, targets the last ``bptt``). Targets equal to ``<s>`` are set to ``-100``.
    """

    def __init__(self, stream: np.ndarray, *, batch_size: int, bptt: int, rows: slice | None = None) -> None:
        if batch_size < 1 or bptt < 1:
            raise InvalidParameterError(f"batch_size and bptt must be >= 1; got {batch_size} and {bptt}.")
        per_row = len(stream) // batch_size
        if per_row < 2:
            raise DataError(
                f"The token stream ({len(stream)} tokens) is too short for batch_size={batch_size}: each row "
                "needs at least 2 tokens. Use a smaller --batch-size or more data."
            )
        self.data = np.asarray(stream[: per_row * batch_size], dtype=np.int64).reshape(batch_size, per_row)
        if rows is not None:
            self.data = self.data[rows]
        self.bptt = bptt
        self.batch_size = batch_size

    def __len__(self) -> int:
        return -(-(self.data.shape[1] - 1) // self.bptt)

    def window(self, k: int) -> LMBatch:
        """Window ``k`` (0-based) as an :class:`LMBatch`."""
        start = k * self.bptt
        end = min(start + self.bptt, self.data.shape[1] - 1)
        inputs = self.data[:, start:end]
        targets = self.data[:, start + 1: end + 1].copy()
        targets[targets == BOS_ID] = IGNORE_INDEX
        lengths = np.full(inputs.shape[0], end - start, dtype=np.int64)
        return LMBatch(inputs, targets, lengths, continues=k > 0)

    def batch(self, epoch: int, k: int) -> LMBatch:
        """Window ``k``; every epoch reads the windows in the same order (``epoch`` is unused)."""
        return self.window(k)

    def __iter__(self) -> Iterator[LMBatch]:
        for k in range(len(self)):
            yield self.window(k)


class PaddedBatches:
    """Batches of whole sentences, padded to the longest in the batch.

    Parameters
    ----------
    sentences : list of ndarray
        ``[<s>, w1 .. wn, </s>]`` id arrays, e.g. from :func:`encode_sentences`.
    batch_size : int
    shuffle : bool, default=True
        Shuffle sentence order each epoch with ``default_rng((seed, epoch))``.
    seed : int, default=0
    max_length : int, optional
        Sentences longer than this many inputs are cut into consecutive pieces.
    rows : slice, optional
        The slice of each global batch this process reads (distributed training). The last,
        incomplete global batch is then dropped, so every process gets a non-empty share.
    """

    def __init__(self, sentences: Sequence[np.ndarray], *, batch_size: int, shuffle: bool = True, seed: int = 0,
                 max_length: int | None = None, rows: slice | None = None) -> None:
        if batch_size < 1:
            raise InvalidParameterError(f"batch_size must be >= 1, got {batch_size}.")
        pieces: list[np.ndarray] = []
        for s in sentences:
            if len(s) < 2:
                continue
            step = max_length or len(s)
            pieces.extend(s[i: i + step + 1] for i in range(0, len(s) - 1, step))
        if not pieces:
            raise DataError("No sentence to batch: every sentence is empty. Give at least one non-empty sentence.")
        self.pieces = pieces
        self.batch_size, self.shuffle, self.seed, self.rows = batch_size, shuffle, seed, rows

    def __len__(self) -> int:
        if self.rows is not None:
            return max(1, len(self.pieces) // self.batch_size)
        return -(-len(self.pieces) // self.batch_size)

    def order(self, epoch: int) -> np.ndarray:
        """Sentence order of ``epoch`` (a pure function of ``seed`` and ``epoch``)."""
        return epoch_order(len(self.pieces), seed=self.seed, epoch=epoch, shuffle=self.shuffle)

    def batch(self, epoch: int, k: int) -> LMBatch:
        """Batch ``k`` of ``epoch``."""
        idx = batch_indices(self.order(epoch), k, self.batch_size, self.rows)
        return pad_batch([self.pieces[i] for i in idx])

    def epoch(self, epoch: int) -> Iterator[LMBatch]:
        for k in range(len(self)):
            yield self.batch(epoch, k)


def pad_batch(pieces: Sequence[np.ndarray]) -> LMBatch:
    """Inputs ``piece[:-1]`` padded with ``<pad>``, targets ``piece[1:]`` padded with ``-100``."""
    if not pieces:
        raise DataError("Cannot build a batch from zero sentences.")
    lengths = np.array([len(p) - 1 for p in pieces], dtype=np.int64)
    width = int(lengths.max())
    inputs = np.full((len(pieces), width), PAD_ID, dtype=np.int64)
    targets = np.full((len(pieces), width), IGNORE_INDEX, dtype=np.int64)
    for i, p in enumerate(pieces):
        inputs[i, : len(p) - 1] = p[:-1]
        targets[i, : len(p) - 1] = p[1:]
    targets[targets == BOS_ID] = IGNORE_INDEX
    return LMBatch(inputs, targets, lengths)


__all__ = ["EOS_ID", "IGNORE_INDEX", "LMBatch", "PaddedBatches", "StreamBatches", "encode_sentences",
           "encode_stream", "pad_batch"]
