"""Sequence tagging: one label per token (part-of-speech tags, BIO entity tags).

* :class:`HMMTagger`: the classical baseline, a supervised HMM fitted by counting and decoded
  with :mod:`seqlab.hmm`'s Viterbi kernel (no torch needed);
* :class:`seqlab.models.NeuralTagger`: (bi)LSTM/GRU/RNN, Transformer or CNN encoders with a
  softmax or linear-chain CRF output layer (torch);
* :mod:`seqlab.tag.tagsets`: the Brown tags and their mapping to the 12 universal tags;
* metrics live in :mod:`seqlab.evaluate.tagging`, data in :mod:`seqlab.data.tagged`.

>>> from seqlab.tag import HMMTagger
>>> tagger = HMMTagger().fit([["a", "dog", "runs"]], [["DET", "NOUN", "VERB"]])
>>> tagger.predict([["a", "dog", "walks"]])
[['DET', 'NOUN', 'VERB']]
"""

from seqlab.tag.hmm import HMMTagger
from seqlab.tag.tagsets import UNIVERSAL_TAGS, brown_to_universal

__all__ = ["HMMTagger", "UNIVERSAL_TAGS", "brown_to_universal"]
