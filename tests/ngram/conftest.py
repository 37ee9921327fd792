"""Fixtures of the n-gram tests: the KenLM reference corpus and KenLM's query output."""

from __future__ import annotations

import lzma
from dataclasses import dataclass
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"


def read_xz_lines(name: str) -> list[str]:
    with lzma.open(FIXTURES / name, "rt", encoding="utf-8") as f:
        return f.read().splitlines()


@dataclass
class Query:
    """KenLM ``query`` output: per sentence the tokens' (log10 p, n-gram length) and the total."""

    tokens: list[list[tuple[str, float, int]]]
    totals: list[float]
    ppl_incl: float
    ppl_excl: float
    oov: int
    n_tokens: int


def parse_query(name: str) -> Query:
    tokens, totals, summary = [], [], {}
    for line in read_xz_lines(name):
        if "Total:" in line:
            body, total = line.split("Total:")
            toks = []
            for field in body.split("\t"):
                if field.strip():
                    word_id, length, lp = field.rsplit(" ", 2)
                    toks.append((word_id.rsplit("=", 1)[0], float(lp), int(length)))
            tokens.append(toks)
            totals.append(float(total.split()[0]))
        elif ":" in line and "\t" in line:
            key, value = line.split(":\t")
            summary[key] = float(value)
    return Query(tokens, totals, summary["Perplexity including OOVs"], summary["Perplexity excluding OOVs"],
                 int(summary["OOVs"]), int(summary["Tokens"]))


@pytest.fixture(scope="session")
def kjv_small() -> tuple[list[list[str]], list[list[str]]]:
    """(train, test) sentences of the KenLM reference corpus."""
    train = [line.split() for line in read_xz_lines("kjv-small.train.txt.xz")]
    test = [line.split() for line in read_xz_lines("kjv-small.test.txt.xz")]
    return train, test


@pytest.fixture(scope="session")
def kjv_models(kjv_small):  # type: ignore[no-untyped-def]
    """seqlab's modified-KN models of orders 3 and 5 on the reference training file."""
    from seqlab.ngram import NGramLM

    train, _ = kjv_small
    return {n: NGramLM(order=n).fit(train) for n in (3, 5)}


@pytest.fixture(scope="session")
def kenlm_query() -> dict[int, Query]:
    """KenLM ``query`` output on the reference test file, by model order."""
    return {n: parse_query(f"query.o{n}.full.txt.xz") for n in (3, 5)}


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    return FIXTURES
