"""The Brown -> universal tag mapping."""

from __future__ import annotations

from seqlab.tag.tagsets import UNIVERSAL_TAGS, brown_to_universal


def test_rules_for_composite_tags() -> None:
    assert brown_to_universal("np-tl") == "NOUN", "lower case and the -TL suffix"
    assert brown_to_universal("NN-TL-HL") == "NOUN", "stacked suffixes"
    assert brown_to_universal("PPS+BEZ") == "PRON", "a contraction takes its first part's tag"
    assert brown_to_universal("FW-NN") == "X" and brown_to_universal("FW-IN+NN-TL") == "X"
    assert brown_to_universal("BEZ*") == "VERB" and brown_to_universal("NP$") == "NOUN"
    assert brown_to_universal("PP$") == "DET" and brown_to_universal("PP$$") == "PRON"
    assert brown_to_universal("*") == "ADV" and brown_to_universal("--") == "."
    assert brown_to_universal("WHAT") == "X", "unknown tags become X, as in NLTK"


def test_news_counts_close_to_nltk_book() -> None:
    """Per-tag counts on Brown news vs the NLTK book's (ch. 5 sec. 2.1); see DATASETS.md for the residue."""
    from collections import Counter

    from seqlab import datasets

    full = datasets.load("brown-pos", "all", tagset="brown")
    news = Counter(brown_to_universal(t) for i, ts in zip(full.ids, full.tags, strict=False) if i[1] == "a" for t in ts)
    assert sum(news.values()) == 100554
    assert set(news) <= set(UNIVERSAL_TAGS)
    for tag, count in {"VERB": 14399, "ADP": 12355, ".": 11928, "CONJ": 2717, "X": 92}.items():
        assert news[tag] == count, (tag, news[tag], count)
    for tag, count in {"ADJ": 6706, "NUM": 2166}.items():
        assert abs(news[tag] - count) <= 2, (tag, news[tag], count)
