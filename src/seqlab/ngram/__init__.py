"""n-gram (Markov) language models: vectorised counting, smoothing strategies, ARPA files.

Tutorial
--------
>>> from seqlab.ngram import NGramLM, ModifiedKneserNey, WittenBell
>>> corpus = [s.split() for s in ["in the beginning god created the heaven and the earth",
...                               "and the earth was without form and void",
...                               "and god said let there be light and there was light"]]
>>> lm = NGramLM(order=3, smoothing=WittenBell()).fit(corpus)
>>> lm.vocabulary_["god"] > 3                         # ids 0-3 are <pad> <unk> <s> </s>
True
>>> round(float(lm.next_log_probs(["<s>", "and"]).max()), 3) < 0    # a distribution over the vocabulary
True
>>> total = lm.sentence_log_prob("and the earth was light".split())   # natural log, with <s> and </s>
>>> ppl = lm.perplexity([["and", "there", "was", "light"]])
>>> words = lm.generate(["and"], max_tokens=5, seed=1)   # Markov-chain sampling, stops at </s>

The default smoothing is interpolated modified Kneser-Ney (KenLM's ``lmplz``); models
save with :func:`seqlab.io.save` / ``lm.save(DIR)`` and export with ``lm.to_arpa(PATH)``.

A smoothing strategy is a :class:`Smoothing` whose ``block_form`` states its estimate as
functions over blocks of whole contexts (a :class:`BlockForm`); every build runs those.

Large corpora: ``NGramLM(memory="4G", temp_dir=...)`` counts out of core (sorted runs on
disk, merged: :mod:`seqlab.ngram.outofcore`) and builds the model block by block into files
that it memory-maps (:mod:`seqlab.ngram.ondisk`), in the budget plus a constant;
``fit(files, engine=DaskEngine(client))`` counts on a Dask cluster
(:mod:`seqlab.ngram.dask_engine`). Both give the in-memory model.
"""

from seqlab.ngram.arpa import read_arpa, write_arpa
from seqlab.ngram.dask_engine import DaskEngine
from seqlab.ngram.model import NGramLM
from seqlab.ngram.smoothing import (
    MLE,
    SMOOTHING,
    AbsoluteDiscount,
    BlockForm,
    FromARPA,
    Katz,
    KneserNey,
    Laplace,
    Lidstone,
    ModifiedKneserNey,
    Smoothing,
    StupidBackoff,
    WittenBell,
    make_smoothing,
)

__all__ = [
    "MLE", "SMOOTHING", "AbsoluteDiscount", "BlockForm", "DaskEngine", "FromARPA", "Katz", "KneserNey", "Laplace",
    "Lidstone", "ModifiedKneserNey", "NGramLM", "Smoothing", "StupidBackoff", "WittenBell", "make_smoothing",
    "read_arpa", "write_arpa",
]
