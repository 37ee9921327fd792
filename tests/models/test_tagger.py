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


def test_word_dropout_trains_unk_only_in_training() -> None:
    """Word dropout swaps word ids for <unk> in training mode only; the <unk> row then gets gradients."""
    tagger = _small("bilstm", word_dropout=0.5).fit(SENTS, TAGS)
    net = tagger.module_
    words = torch.from_numpy(np.stack(tagger._rows([["the", "dog", "runs"]] * 200)))     # (200, 3)
    net.train()
    torch.manual_seed(0)
    dropped = net._drop_words(words)                                                     # type: ignore[operator]
    share = (dropped == 1).float().mean().item()
    assert 0.4 < share < 0.6 and torch.equal(dropped[dropped != 1], words[dropped != 1])
    net.eval()
    assert torch.equal(net._drop_words(words), words)                                   # type: ignore[operator]
    net.zero_grad()
    net.train()
    total, _ = net.loss(words, torch.full((200,), 3), torch.zeros((200, 3), dtype=torch.long))  # type: ignore[operator]
    total.backward()
    assert net.embed.weight.grad[1].abs().sum() > 0                                      # type: ignore[union-attr,index]
    none = _small("bilstm").fit(SENTS, TAGS).module_
    assert torch.equal(none._drop_words(words), words)                                  # type: ignore[operator]
    with pytest.raises(InvalidParameterError, match="word_dropout"):
        _small("bilstm", word_dropout=1.0).fit(SENTS, TAGS)


def test_lowercase_word_lookup(tmp_path: Path) -> None:
    """lowercase=True keys the vocabulary by lower-cased words; the char CNN keeps the case; save/load keeps it."""
    sents = [[w.capitalize() if i == 0 else w for i, w in enumerate(s)] for s in SENTS]
    tagger = _small("bilstm-crf", lowercase=True, char_features=True).fit(sents, TAGS)
    assert "The" not in tagger.vocabulary_ and "the" in tagger.vocabulary_
    assert "T" in tagger.char_vocabulary_                                                # type: ignore[operator]
    assert tagger.word_keys([["The", "DOG"]]) == [["the", "dog"]]
    rows = tagger._rows([["The"], ["the"]])
    assert rows[0][0, 0] == rows[1][0, 0] and rows[0][0, 1] != rows[1][0, 1]
    assert tagger.score(sents, TAGS) == 1.0
    tagger.save(tmp_path / "t")
    back = NeuralTagger.load(tmp_path / "t")
    assert back.lowercase and back.predict([["A", "Dog", "runs"]]) == tagger.predict([["A", "Dog", "runs"]])
    assert _small("bilstm").word_keys([["The"]]) == [["The"]]


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
