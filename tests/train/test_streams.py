"""LM batching: the stream layout for truncated BPTT and padded sentence batches, hand-worked."""

from __future__ import annotations

import numpy as np
import pytest

from seqlab.data.streams import PaddedBatches, StreamBatches, encode_sentences, encode_stream, pad_batch
from seqlab.data.vocab import Vocabulary
from seqlab.exceptions import DataError


def test_stream_rows_windows_and_masked_bos():
    vocab = Vocabulary(["a", "b"])  # a=4, b=5
    stream = encode_stream([["a", "b"], ["b"], ["a", "a", "b"]], vocab)
    assert stream.tolist() == [2, 4, 5, 3, 2, 5, 3, 2, 4, 4, 5, 3]
    data = StreamBatches(stream, batch_size=2, bptt=4)  # rows: [2 4 5 3 2 5] and [3 2 4 4 5 3]
    assert len(data) == 2  # 5 predictions per row: windows of 4 and 1
    first, second = data.window(0), data.window(1)
    assert first.inputs.tolist() == [[2, 4, 5, 3], [3, 2, 4, 4]]
    assert first.targets.tolist() == [[4, 5, 3, -100], [-100, 4, 4, 5]]  # <s> is never a target
    assert second.inputs.tolist() == [[2], [5]] and second.targets.tolist() == [[5], [3]]
    assert not first.continues and second.continues
    assert StreamBatches(stream, batch_size=2, bptt=4, rows=slice(1, 2)).window(0).inputs.tolist() == [[3, 2, 4, 4]]


def test_padded_batches_and_deterministic_shuffle():
    vocab = Vocabulary(["a", "b"])
    sentences = encode_sentences([["a", "b", "a"], ["b"]], vocab)
    batch = pad_batch(sentences)
    assert batch.inputs.tolist() == [[2, 4, 5, 4], [2, 5, 0, 0]]
    assert batch.targets.tolist() == [[4, 5, 4, 3], [5, 3, -100, -100]]
    assert batch.lengths.tolist() == [4, 2] and batch.n_tokens == 6
    data = PaddedBatches(sentences * 5, batch_size=3, seed=7)
    assert np.array_equal(data.order(2), PaddedBatches(sentences * 5, batch_size=3, seed=7).order(2))
    assert not np.array_equal(data.order(1), data.order(2))
    cut = PaddedBatches(sentences, batch_size=4, max_length=2, shuffle=False)
    assert [p.tolist() for p in cut.pieces] == [[2, 4, 5], [5, 4, 3], [2, 5, 3]]


def test_too_little_data_is_a_clear_error():
    with pytest.raises(DataError, match="too short for batch_size=8"):
        StreamBatches(np.arange(5), batch_size=8, bptt=2)
    with pytest.raises(DataError, match="no sentences"):
        encode_stream([], Vocabulary())
    with pytest.raises(DataError, match="every sentence is empty"):
        PaddedBatches([np.array([2])], batch_size=2)
