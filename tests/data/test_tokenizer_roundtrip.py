"""Every tokenizer restores exactly from its JSON form, and a model's saved tokenizer reads text as training did."""

from __future__ import annotations

import json

import pytest

from seqlab import datasets, io
from seqlab.cli.main import main
from seqlab.data.tokenize import (
    CharTokenizer,
    RegexTokenizer,
    Tokenizer,
    WhitespaceTokenizer,
    WordTokenizer,
    corpus_tokenizer,
    get_tokenizer,
    tokenizer_from_json,
    tokenizer_to_json,
)
from seqlab.exceptions import FormatError, InvalidParameterError
from seqlab.ngram import NGramLM, WittenBell

TRICKY = "Verse 3:16 naïve x_1 abc123"

ALL_TOKENIZERS = [
    CharTokenizer(), CharTokenizer(lowercase=True), WordTokenizer(), WordTokenizer(lowercase=True),
    WhitespaceTokenizer(), RegexTokenizer(pattern=r"\S+"), RegexTokenizer(pattern=r"[a-z]+", lowercase=True),
    corpus_tokenizer("word"), corpus_tokenizer("char"), datasets.tokenizer("kjv"),
    datasets.tokenizer("austen", level="char"),
]


@pytest.mark.parametrize("tok", ALL_TOKENIZERS, ids=lambda t: json.dumps(t.to_json()))
def test_json_form_restores_the_same_tokenizer(tok):
    obj = json.loads(json.dumps(tok.to_json()))  # through real JSON text
    assert isinstance(obj["name"], str) and obj["name"] == tok.name
    back = tokenizer_from_json(obj)
    assert back == tok and type(back) is type(tok)
    assert back(TRICKY) == tok(TRICKY)


def test_the_corpus_tokenizer_is_not_the_generic_word_regex():
    # the bug this fixes: the corpus regex was restored as the generic \w+ word regex
    assert datasets.tokenizer("kjv")(TRICKY) == ["verse", "3", ":", "16", "na", "ï", "ve", "x", "_", "1", "abc", "123"]
    assert get_tokenizer("word", lowercase=True)(TRICKY) != datasets.tokenizer("kjv")(TRICKY)
    assert datasets.tokenize(TRICKY) == datasets.tokenizer("kjv")(TRICKY)
    assert datasets.tokenize(TRICKY, level="char") == datasets.tokenizer("kjv", level="char")(TRICKY)


def test_old_manifest_form_restores_the_dataset_tokenizer():
    old = {"name": "word", "lowercase": True, "dataset": "kjv:train+valid"}
    assert tokenizer_from_json(old) == datasets.tokenizer("kjv")
    assert tokenizer_from_json({"name": "char", "lowercase": False, "dataset": "kjv"}) == CharTokenizer()
    assert tokenizer_to_json(old) == datasets.tokenizer("kjv").to_json()


@pytest.mark.parametrize("bad", [{"name": "bpe"}, {"lowercase": True}, {"name": "regex", "pattern": "("},
                                 {"name": "word", "colour": "red"}, "word"])
def test_bad_saved_tokenizers_are_format_errors(bad):
    with pytest.raises(FormatError):
        tokenizer_from_json(bad)


def test_bad_regex_is_refused():
    with pytest.raises(InvalidParameterError, match="not a valid regular expression"):
        RegexTokenizer(pattern="(")


def test_model_tokenizer_before_and_after_save_equals_the_corpus_loader(tmp_path):
    lm = NGramLM(order=2, smoothing=WittenBell()).fit(datasets.load("kjv", "test")[:300])
    lm.tokenizer_ = datasets.tokenizer("kjv")
    back = io.load(lm.save(tmp_path / "m"))
    assert isinstance(back.tokenizer_, Tokenizer) and back.tokenizer_ == lm.tokenizer_
    manifest = json.loads((tmp_path / "m" / "manifest.json").read_text())
    assert manifest["state"]["tokenizer"] == lm.tokenizer_.to_json()
    file = tmp_path / "tricky.txt"
    file.write_text(TRICKY + "\n", encoding="utf-8")
    from_loader = datasets.load_corpus(str(file), tokenizer=back.tokenizer_)
    expected = datasets.tokenize(TRICKY)
    assert lm.tokenizer_(TRICKY) == back.tokenizer_(TRICKY) == from_loader[0] == expected
    # the model's str verbs split the same way
    assert back.sentence_log_prob(TRICKY) == pytest.approx(lm.sentence_log_prob(expected), abs=1e-12)


def test_cli_trained_model_reads_prompt_and_eval_file_like_its_training_text(tmp_path, capsys):
    out = tmp_path / "kjv2"
    assert main(["lm", "train", "--data", "kjv:test", "--model", "ngram", "--order", "2", "-o", str(out),
                 "--format", "json"]) == 0
    model = io.load(out)
    assert model.tokenizer_ == datasets.tokenizer("kjv")
    file = tmp_path / "tricky.txt"
    file.write_text(TRICKY + "\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["lm", "eval", str(out), "--data", str(file), "--format", "json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["tokens"] == len(datasets.tokenize(TRICKY)) + 1  # + </s>
    assert result["perplexity"] == pytest.approx(model.perplexity([datasets.tokenize(TRICKY)]), rel=1e-9)
    assert main(["lm", "generate", str(out), "--prompt", "And GOD said", "--max-tokens", "3", "--seed", "1",
                 "--format", "json"]) == 0
    gen = json.loads(capsys.readouterr().out)
    assert gen["tokens"] == model.generate(["and", "god", "said"], max_tokens=3, seed=1)


@pytest.mark.parametrize("name", ["kjv", "shakespeare", "austen"])
def test_each_corpus_catalog_entry_holds_its_tokenizer(name):
    from seqlab.exceptions import DataError

    entry = datasets.info(name).extra["tokenizer"]
    for level in ("word", "char"):
        assert tokenizer_from_json(json.loads(json.dumps(entry[level]))) == datasets.tokenizer(name, level=level)
    line = datasets.load_lines(name, "test")[0]
    assert datasets.tokenizer(name)(line) == datasets.load(name, "test")[0]
    assert datasets.tokenizer(name, level="char")(line) == datasets.load(name, "test", level="char")[0]
    with pytest.raises(DataError, match="'word' or 'char'"):
        datasets.tokenizer(name, level="bpe")
    with pytest.raises(DataError):
        datasets.tokenizer("sunspots")
