"""Data layer: tokenizers, the shared ``Vocabulary``, streaming readers and bundled datasets.

>>> from seqlab.data import get_tokenizer, Vocabulary
>>> get_tokenizer("word")("He left!")
['He', 'left', '!']
>>> v = Vocabulary.build([["in", "the", "beginning"]])
>>> v.decode(v.encode(["the", "end"]))
['the', '<unk>']
"""

from seqlab.data.readers import LineCorpus, read_lines, read_sequences, require_tokens
from seqlab.data.tokenize import (
    WORD_PATTERN,
    CharTokenizer,
    Tokenizer,
    WhitespaceTokenizer,
    WordTokenizer,
    get_tokenizer,
)
from seqlab.data.vocab import (
    BOS,
    BOS_ID,
    EOS,
    EOS_ID,
    PAD,
    PAD_ID,
    SPECIALS,
    UNK,
    UNK_ID,
    Vocabulary,
)

__all__ = [
    "BOS", "BOS_ID", "EOS", "EOS_ID", "PAD", "PAD_ID", "SPECIALS", "UNK", "UNK_ID", "WORD_PATTERN",
    "CharTokenizer", "LineCorpus", "Tokenizer", "Vocabulary", "WhitespaceTokenizer", "WordTokenizer",
    "get_tokenizer", "read_lines", "read_sequences", "require_tokens",
]
