"""Tag sets: the Brown corpus tags and their mapping onto the 12 universal tags.

The universal tag set of Petrov, Das and McDonald (2012, "A Universal Part-of-Speech
Tagset"): ``NOUN VERB ADJ ADV PRON DET ADP NUM CONJ PRT X .``. NLTK maps Brown tags onto it
(``nltk.corpus.brown.tagged_words(tagset="universal")``); :func:`brown_to_universal`
reproduces that mapping from a table of the base Brown tags plus the rules that Brown's
composite tags follow:

* ``FW-`` prefix (foreign word) -> ``X``;
* ``-TL`` (title), ``-HL`` (headline), ``-NC`` (cited word) suffixes are dropped;
* contractions (``PPS+BEZ``, "he's") take the tag of their first part;
* a trailing ``*`` (negation, "isn't") and ``$`` (possessive, "Atlanta's") are dropped,
  except in the possessive pronouns ``PP$``, ``PP$$`` and ``WP$``.

Calibration: on the ``news`` category (100,554 tokens) the counts per universal tag equal
the ones the NLTK book (chapter 5, section 2.1) prints for
``brown.tagged_words(categories="news", tagset="universal")``; see
``tests/tag/test_tagsets.py``.

>>> brown_to_universal("NP-TL"), brown_to_universal("PPS+BEZ"), brown_to_universal("FW-NN")
('NOUN', 'PRON', 'X')
"""

from __future__ import annotations

UNIVERSAL_TAGS: tuple[str, ...] = ("NOUN", "VERB", "ADJ", "ADV", "PRON", "DET", "ADP", "NUM", "CONJ", "PRT",
                                   "X", ".")
"""The 12 universal tags, Petrov et al. (2012)."""

_GROUPS: dict[str, tuple[str, ...]] = {
    ".": (".", ",", ":", "--", "(", ")", "''", "``", "'"),
    "DET": ("ABN", "ABX", "AT", "DT", "DTI", "DTS", "DTX", "WDT", "EX", "PP$"),
    "VERB": ("BE", "BED", "BEDZ", "BEG", "BEM", "BEN", "BER", "BEZ", "DO", "DOD", "DOZ", "HV", "HVD", "HVG", "HVN",
             "HVZ", "MD", "VB", "VBD", "VBG", "VBN", "VBZ"),
    "CONJ": ("CC",),
    "ADP": ("CS", "IN"),
    "NUM": ("CD",),
    "ADJ": ("AP", "JJ", "JJR", "JJS", "JJT", "OD"),
    "NOUN": ("NN", "NNS", "NP", "NPS", "NR", "NRS"),
    "PRON": ("PN", "PP$$", "PPL", "PPLS", "PPO", "PPS", "PPSS", "WP$", "WPO", "WPS"),
    "ADV": ("ABL", "QL", "QLP", "RB", "RBR", "RBT", "RN", "WQL", "WRB", "*"),
    "PRT": ("RP", "TO", "UH"),
    "X": ("NIL",),
}
BROWN_TO_UNIVERSAL: dict[str, str] = {tag: coarse for coarse, tags in _GROUPS.items() for tag in tags}
"""Base Brown tag (upper case, no prefix/suffix) -> universal tag."""


def brown_to_universal(tag: str) -> str:
    """The universal tag of a Brown tag (any case, with its ``FW-``/``-TL``/``+`` parts); ``"X"`` if unknown."""
    tag = tag.upper()
    if tag.startswith("FW-"):
        return "X"
    while tag.endswith(("-TL", "-HL", "-NC")) and len(tag) > 3:
        tag = tag[:-3]
    base = tag.split("+", 1)[0] if len(tag) > 1 else tag
    if base in BROWN_TO_UNIVERSAL:
        return BROWN_TO_UNIVERSAL[base]
    stripped = base.rstrip("*") or base
    if stripped in BROWN_TO_UNIVERSAL:
        return BROWN_TO_UNIVERSAL[stripped]
    stripped = stripped.rstrip("$") or stripped
    return BROWN_TO_UNIVERSAL.get(stripped, "X")
