"""NeuralTagger: every encoder learns, CRF output, char features, padding invariance, save/load, bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from seqlab.exceptions import DataError, InvalidParameterError
from seqlab.models import TAG_ARCHITECTURES, NeuralTagger
from seqlab.train import TrainConfig

SENTS = [["the", "dog", "runs"], ["a", "cat", "sleeps"], ["dogs", "bark"], ["the", "cats", "run", "fast"]] * 3
TAGS = [["DET", "NOUN", "VERB"], ["DET", "NOUN", "VERB"], ["NOUN", "VERB"], ["DET", "NOUN", "VERB", "ADV"]] * 3
FAST = TrainConfig(max_steps=60, batch_size=4, batching="padded", lr=0.05, eval_every=1000)


def _small(model: str, **kw: object) -> NeuralTagger:
    return NeuralTagger(model=model, **{"d_embed": 8, "d_hidden": 8, "n_filters": 8, "dropout": 0.0,  # type: ignore[arg-type]
                                        "device": "cpu", "train": FAST, **kw})


@pytest.mark.parametrize("model", TAG_ARCHITECTURES.names())
def test_every_encoder_fits(model: str) -> None:
    tagger = _small(model).fit(SENTS, TAGS)
    assert tagger.score(SENTS, TAGS) == 1.0, model
    assert tagger.predict([["a", "dog", "sleeps"], []]) == [["DET", "NOUN", "VERB"], []]
    proba = tagger.predict_proba([["a", "dog", "sleeps"]])[0]
    assert proba.shape == (3, len(tagger.tags_)) and np.allclose(proba.sum(1), 1.0, atol=1e-5)


def test_crf_and_char_features() -> None:
    tagger = _small("bilstm-crf", char_features=True).fit(SENTS, TAGS)
    assert tagger.char_vocabulary_ is not None and tagger.module_.crf is not None  # type: ignore[union-attr]
    assert tagger.score(SENTS, TAGS) == 1.0
    probs = tagger.predict_proba([["the", "dog", "runs"]])[0]
    best = [tagger.tags_[i] for i in probs.argmax(1)]
    assert best == tagger.predict([["the", "dog", "runs"]])[0]


@pytest.mark.parametrize("model, chars", [("bilstm", True), ("bilstm-crf", False), ("transformer", False),
                                          ("cnn", True), ("gru", False)])
def test_padding_never_changes_emissions(model: str, chars: bool) -> None:
    tagger = _small(model, char_features=chars).fit(SENTS[:4], TAGS[:4])
    net = tagger.module_
    net.eval()
    rows = tagger._rows([["the", "dog", "runs"], ["a", "cat"]])
    width = max(r.shape[-1] for r in rows) if chars else 0
    def batch(extra: int) -> torch.Tensor:
        shape = (2, 3 + extra) + ((width,) if chars else ())
        out = torch.full(shape, 5, dtype=torch.long)      # junk ids at padding
        for j, r in enumerate(rows):
            out[j, : len(r)] = torch.from_numpy(r if not chars else np.pad(r, ((0, 0), (0, width - r.shape[1]))))
        return out
    lengths = torch.tensor([3, 2])
    with torch.no_grad():
        a = net(batch(0), lengths)
        b = net(batch(3), lengths)
        mask = torch.arange(3)[None, :] < lengths[:, None]
        assert torch.allclose(a[mask], b[:, :3][mask], atol=1e-5), model
        ta, _ = net.decode(batch(0), lengths)
        tb, _ = net.decode(batch(3), lengths)
        assert torch.equal(ta[mask], tb[:, :3][mask])


def test_save_load(tmp_path: Path) -> None:
    tagger = _small("bilstm-crf", char_features=True).fit(SENTS, TAGS)
    tagger.save(tmp_path / "t")
    back = NeuralTagger.load(tmp_path / "t")
    test = [["the", "zebra", "runs"], ["a", "dog"]]
    assert back.predict(test) == tagger.predict(test)
    for a, b in zip(back.predict_proba(test), tagger.predict_proba(test), strict=False):
        assert np.allclose(a, b, atol=1e-6)


def test_bad_input() -> None:
    with pytest.raises(DataError, match="2 tokens but 3 tags"):
        _small("bilstm").fit([["a", "b"]], [["X", "Y", "Z"]])
    with pytest.raises(DataError, match="empty"):
        _small("bilstm").fit([["a"], []], [["X"], []])
    with pytest.raises(InvalidParameterError, match="bilstm-crf"):
        _small("bilstm", crf=True).fit(SENTS, TAGS)
    with pytest.raises(InvalidParameterError, match="unknown tag model"):
        _small("hmm").fit(SENTS, TAGS)
    tagger = _small("cnn").fit(SENTS, TAGS)
    with pytest.raises(DataError, match="not seen in training"):
        tagger.fit(SENTS, TAGS, valid=([["a"]], [["ZZZ"]]))
