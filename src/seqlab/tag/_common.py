"""Validation shared by the taggers (classical and neural)."""

from __future__ import annotations

from typing import Any

from seqlab._validation import check_sequences
from seqlab.exceptions import DataError


def check_tagged(sentences: Any, tags: Any) -> tuple[list[list[str]], list[list[str]]]:
    """Sentences and their tag lists, validated: same number of sentences, same length each, none empty."""
    sents = check_sequences(sentences, name="sentences")
    tag_lists = check_sequences(tags, name="tags")
    if len(sents) != len(tag_lists):
        raise DataError(f"got {len(sents)} sentences but {len(tag_lists)} tag lists; give one tag list per sentence.")
    for i, (s, t) in enumerate(zip(sents, tag_lists, strict=False)):
        if len(s) != len(t):
            raise DataError(f"sentence {i} has {len(s)} tokens but {len(t)} tags; each token needs exactly one tag.")
        if not s:
            raise DataError(f"sentence {i} is empty; remove empty sentences before tagging.")
    return sents, tag_lists


def check_untagged(sentences: Any) -> list[list[str]]:
    """Sentences to tag: a list of token lists (empty ones are allowed and get no tags)."""
    return check_sequences(sentences, name="sentences", allow_empty=True)
