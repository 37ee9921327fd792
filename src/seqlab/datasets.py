"""Bundled real datasets (public entry point): ``from seqlab import datasets``.

>>> from seqlab import datasets
>>> "kjv" in datasets.list()
True
>>> verses = datasets.load("kjv", "train")          # one token list per verse
>>> datasets.info("kjv").licence
'public domain'

See :mod:`seqlab.data.datasets` for the split rule, the tokenization and every loader,
:mod:`seqlab.data.catalog` for the entries;
``DATASETS.md`` for sources and licences.
"""

from seqlab.data.catalog import DatasetInfo
from seqlab.data.datasets import (
    PREP_TOKEN,
    LabelledTexts,
    Series,
    info,
    list,
    load,
    load_corpus,
    load_lines,
    resolve,
    tokenize,
    tokenizer,
)

__all__ = ["PREP_TOKEN", "DatasetInfo", "LabelledTexts", "Series", "info", "list", "load", "load_corpus",
           "load_lines", "resolve", "tokenize",
           "tokenizer"]
