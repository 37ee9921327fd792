"""Decoding over the LanguageModel protocol, checked by exact enumeration on a toy bigram model."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from seqlab.data.vocab import BOS_ID, EOS_ID, PAD_ID, Vocabulary
from seqlab.exceptions import InvalidParameterError
from seqlab.generate import (
    LMStepper,
    SamplingConfig,
    beam_search,
    beam_search_batch,
    choose,
    filter_log_probs,
    generate,
    generate_sequences,
    process_log_probs,
    sample_batch,
    sample_ids,
)


class ToyBigram:
    """A fixed bigram LM: row ``i`` of ``table`` is p(. | previous id i); state = previous id."""

    def __init__(self, table: np.ndarray, vocabulary: Vocabulary) -> None:
        self.table, self.vocabulary_ = table, vocabulary
        self.advanced = 0

    def begin(self, context: list[str]) -> tuple[np.ndarray, Any]:
        prev = BOS_ID
        for tok in context:
            prev = self.vocabulary_[tok]
        return self.table[prev], prev

    def advance(self, state: Any, token_id: int) -> tuple[np.ndarray, Any]:
        self.advanced += 1
        return self.table[token_id], token_id


def toy_model(rng: np.random.Generator, n_words: int = 3) -> ToyBigram:
    vocab = Vocabulary([f"w{i}" for i in range(n_words)])
    v = len(vocab)
    probs = rng.dirichlet(np.ones(v - 2), size=v)  # over </s>(3) and the words; never <pad> or <s>
    table = np.full((v, v), -np.inf)
    table[:, [1] + list(range(3, v))] = np.log(probs)  # <unk>, </s> and the words; never <pad> or <s>
    return ToyBigram(table, vocab)


def sequence_log_prob(lm: ToyBigram, ids: list[int]) -> float:
    prev, total = BOS_ID, 0.0
    for i in ids:
        total += lm.table[prev, i]
        prev = i
    return total


@given(logits=st.lists(st.floats(-20, 5), min_size=2, max_size=30), temperature=st.floats(0.1, 5.0),
       top_k=st.none() | st.integers(1, 40), top_p=st.none() | st.floats(0.01, 1.0))
def test_filtered_distribution_sums_to_one(logits, temperature, top_k, top_p):
    cfg = SamplingConfig(temperature=temperature, top_k=top_k, top_p=top_p)
    lp = filter_log_probs(np.array(logits), cfg)
    assert np.exp(lp).sum() == pytest.approx(1.0, abs=1e-9), "filtered distribution must be normalised"
    kept = np.isfinite(lp).sum()
    assert kept >= 1, "at least one token survives filtering"
    if top_k is not None:
        assert kept <= max(top_k, 1) or len(set(np.array(logits) / temperature)) < len(logits), "top-k keeps <= k"


def test_top_p_keeps_smallest_nucleus():
    lp = np.log(np.array([0.5, 0.3, 0.15, 0.05]))
    kept = np.isfinite(filter_log_probs(lp, SamplingConfig(top_p=0.75)))
    assert kept.tolist() == [True, True, False, False], "0.5 + 0.3 >= 0.75: the first two tokens form the nucleus"
    kept = np.isfinite(filter_log_probs(lp, SamplingConfig(top_p=0.8)))
    assert kept.tolist() == [True, True, False, False], "mass 0.8 is reached exactly by two tokens"


def test_top_k_one_equals_greedy(rng):
    lm = toy_model(rng, 5)
    for seed in range(5):
        a = sample_ids(lm, [], SamplingConfig(top_k=1, max_new_tokens=20), seed=seed)
        b = sample_ids(lm, [], SamplingConfig(greedy=True, max_new_tokens=20), seed=seed + 100)
        assert a == b, "top_k=1 must pick the argmax at every step"


def test_sampling_frequencies_match_the_distribution(rng):
    lp = np.log(np.array([0.0, 0.1, 0.0, 0.2, 0.3, 0.4]) + 1e-300)
    draws = np.bincount([choose(lp, SamplingConfig(), rng) for _ in range(20000)], minlength=6) / 20000
    # 4 standard errors of a proportion near 0.4 with n=20000 is about 0.014
    assert np.allclose(draws, np.exp(lp), atol=0.015), f"empirical {draws} vs {np.exp(lp)}"
    assert draws[PAD_ID] == 0 and draws[BOS_ID] == 0, "zero-probability ids are never drawn"


def test_generation_stops_at_eos_and_respects_seed(rng):
    lm = toy_model(rng)
    a = generate(lm, [], max_tokens=200, seed=3)
    b = generate(lm, [], max_tokens=200, seed=3)
    assert a == b, "same seed, same sample"
    assert "</s>" not in a and len(a) < 200, "a toy chain with EOS mass stops well before 200 tokens"


def test_beam_search_finds_the_exact_best_sequence(rng):
    lm = toy_model(rng, 3)
    v = len(lm.vocabulary_)
    words = [1] + list(range(4, v))
    best, best_lp = None, -np.inf
    for n in range(0, 4):  # enumerate every finished sequence of up to 3 tokens
        for ids in itertools.product(words, repeat=n):
            lp = sequence_log_prob(lm, list(ids) + [EOS_ID])
            if lp > best_lp:
                best, best_lp = list(ids), lp
    hyps = beam_search(lm, [], beam_size=v * v * v, max_new_tokens=3, length_penalty=0.0)
    finished = [h for h in hyps if h.finished]
    assert finished[0].log_prob == pytest.approx(best_lp, abs=1e-12), "a wide enough beam is exhaustive"
    assert finished[0].tokens == lm.vocabulary_.decode(best)


@pytest.mark.parametrize("kwargs", [dict(greedy=True, top_k=5), dict(temperature=0), dict(top_p=0),
                                    dict(top_k=0), dict(max_new_tokens=-1), dict(greedy=True, temperature=0.5)])
def test_contradictory_or_bad_settings_raise(kwargs):
    with pytest.raises(InvalidParameterError):
        SamplingConfig(**kwargs)


# ------------------------------------------------------------------ batched decoding (Stepper)
@pytest.mark.parametrize("n_words", [3, 6])
def test_beam_one_is_greedy(rng, n_words):
    lm = toy_model(rng, n_words)
    prompts = [[], ["w0"], ["w1", "w2"]]
    (batched) = beam_search_batch(LMStepper(lm, prompts), 3, beam_size=1, max_new_tokens=15)
    for prompt, res in zip(prompts, batched, strict=True):
        greedy = sample_ids(lm, prompt, SamplingConfig(greedy=True, max_new_tokens=15))
        assert res[0].ids == greedy, "beam_size=1 must reproduce greedy decoding"
        assert res[0].log_prob == pytest.approx(
            sequence_log_prob_from(lm, prompt, greedy + ([EOS_ID] if res[0].finished else [])), abs=1e-9)


def sequence_log_prob_from(lm: ToyBigram, prompt: list[str], ids: list[int]) -> float:
    prev = lm.vocabulary_[prompt[-1]] if prompt else BOS_ID
    total = 0.0
    for i in ids:
        total += lm.table[prev, i]
        prev = i
    return total


@pytest.mark.parametrize("beam_size", [2, 4])
def test_batched_beam_equals_one_by_one(rng, beam_size):
    lm = toy_model(rng, 5)
    prompts = [[], ["w0"], ["w3", "w1"], ["w4"]]
    together = beam_search_batch(LMStepper(lm, prompts), len(prompts), beam_size=beam_size, max_new_tokens=8,
                                 num_return_sequences=beam_size, no_repeat_ngram_size=2)
    for i, prompt in enumerate(prompts):
        (alone,) = beam_search_batch(LMStepper(lm, [prompt]), 1, beam_size=beam_size, max_new_tokens=8,
                                     num_return_sequences=beam_size, no_repeat_ngram_size=2)
        assert [r.ids for r in together[i]] == [r.ids for r in alone], f"input {i}: batching changed the beam"
        assert [r.score for r in together[i]] == pytest.approx([r.score for r in alone], abs=1e-12)


def test_beam_results_sorted_and_scored(rng):
    lm = toy_model(rng, 4)
    (res,) = beam_search_batch(LMStepper(lm, [[]]), 1, beam_size=4, max_new_tokens=6, length_penalty=1.0,
                               num_return_sequences=3)
    assert len(res) == 3 and [r.score for r in res] == sorted((r.score for r in res), reverse=True)
    for r in res:
        n = len(r.ids) + int(r.finished)
        assert r.score == pytest.approx(r.log_prob / n), "score = log_prob / length (</s> counted)"
        assert r.log_prob == pytest.approx(sequence_log_prob(lm, r.ids + ([EOS_ID] if r.finished else [])))


def test_single_row_sampling_matches_sample_ids(rng):
    lm = toy_model(rng, 5)
    cfg = SamplingConfig(max_new_tokens=30, top_k=3)
    for seed in range(4):
        (rows,) = sample_batch(LMStepper(lm, [["w1"]]), 1, cfg, seed=seed)
        assert rows[0] == sample_ids(lm, ["w1"], cfg, seed=seed)


def test_num_return_sequences_and_alias(rng):
    lm = toy_model(rng, 5)
    outs = generate_sequences(lm, [], max_tokens=10, num_return_sequences=4, seed=0)
    assert len(outs) == 4 and all(len(o) <= 10 for o in outs)
    assert generate_sequences(lm, [], max_new_tokens=10, num_return_sequences=4, seed=0) == outs, "alias"
    assert generate_sequences(lm, [], max_new_tokens=7, greedy=True) == [lm.vocabulary_.decode(
        sample_ids(lm, [], SamplingConfig(greedy=True, max_new_tokens=7)))]
    beams = generate_sequences(lm, [], max_new_tokens=6, beam_size=3, num_return_sequences=3)
    assert len(beams) == 3 and len({tuple(b) for b in beams}) == 3, "beam returns distinct sequences"
    with pytest.raises(InvalidParameterError, match="alias"):
        generate_sequences(lm, [], max_new_tokens=5, max_tokens=6)
    with pytest.raises(InvalidParameterError, match="exceeds beam_size"):
        generate_sequences(lm, [], beam_size=2, num_return_sequences=3)
    with pytest.raises(InvalidParameterError, match="beam_size must be"):
        generate_sequences(lm, [], beam_size=0)
    with pytest.raises(InvalidParameterError, match="beam search ignores"):
        generate_sequences(lm, [], beam_size=2, top_k=3)


def looping_model() -> ToyBigram:
    """w0 -> w1 -> w0 -> ... with high probability: greedy output loops forever."""
    vocab = Vocabulary(["w0", "w1", "w2"])
    table = np.full((len(vocab), len(vocab)), -np.inf)
    for prev, nxt in ((BOS_ID, 4), (4, 5), (5, 4), (6, 4), (1, 4)):
        row = np.full(len(vocab), 0.02)
        row[[PAD_ID, BOS_ID]] = 0.0
        row[nxt] = 1.0
        with np.errstate(divide="ignore"):
            table[prev] = np.log(row / row.sum())
    return ToyBigram(table, vocab)


def test_no_repeat_ngram_and_repetition_penalty_break_loops():
    lm = looping_model()
    plain = generate_sequences(lm, [], max_new_tokens=12, greedy=True)[0]
    assert plain == ["w0", "w1"] * 6, "the toy chain loops under greedy decoding"
    banned = generate_sequences(lm, [], max_new_tokens=12, greedy=True, no_repeat_ngram_size=2)[0]
    bigrams = list(zip(banned, banned[1:], strict=False))
    assert len(bigrams) == len(set(bigrams)), f"no bigram may repeat: {banned}"
    # ln(1 / 1.1) * 100 < ln(0.02 / 1.1): a penalty of 100 makes a seen token less likely than any unseen one
    pen = generate_sequences(lm, [], max_new_tokens=12, greedy=True, repetition_penalty=100.0)[0]
    assert pen[:2] == ["w0", "w1"] and pen != plain, "a strong penalty steers away from seen tokens"
    lp = np.log(np.array([[0.0, 0.1, 0.0, 0.2, 0.3, 0.4]]) + 1e-300)
    out = process_log_probs(lp, [[5]], repetition_penalty=2.0)
    assert np.exp(out).sum() == pytest.approx(1.0) and out[0, 5] < lp[0, 5], "penalised and renormalised"


def test_stop_strings_and_streaming():
    lm = looping_model()
    seen: list[str] = []
    out = generate_sequences(lm, [], max_new_tokens=12, greedy=True, stop=["w1 w0"], callback=seen.append)[0]
    assert out == ["w0", "w1", "w0"], "stops once the text contains the stop string, keeping it"
    assert seen == out, "the callback streamed every token as it was chosen"
    with pytest.raises(InvalidParameterError, match="streaming"):
        generate_sequences(lm, [], greedy=True, num_return_sequences=2, callback=seen.append)
    with pytest.raises(InvalidParameterError, match="beam_size=1"):
        generate_sequences(lm, [], beam_size=2, stop=["x"])


# ------------------------------------------------------------------ command line: lm generate decoding flags
@pytest.fixture(scope="module")
def ngram_dir(tmp_path_factory):
    from seqlab import io
    from seqlab.ngram import Lidstone, NGramLM

    corpus = [s.split() for s in ["and the lord said", "and the king said", "the lord spake unto moses"] * 5]
    path = tmp_path_factory.mktemp("lm") / "ng"
    io.save(NGramLM(order=2, smoothing=Lidstone(0.1)).fit(corpus), path)
    return path


def test_cli_beam_and_penalties(ngram_dir, capsys):
    from seqlab.cli.main import main

    assert main(["lm", "generate", str(ngram_dir), "--prompt", "and", "--beam-size", "3",
                 "--num-return-sequences", "2", "--max-new-tokens", "6"]) == 0
    lines = capsys.readouterr().out.strip().split("\n")
    assert len(lines) == 2 and all(line.startswith("and") for line in lines), lines
    assert main(["lm", "generate", str(ngram_dir), "--greedy", "--no-repeat-ngram-size", "2", "--stream",
                 "--max-new-tokens", "9"]) == 0
    words = capsys.readouterr().out.split()
    pairs = list(zip(words, words[1:], strict=False))
    assert len(pairs) == len(set(pairs)), words


def test_cli_bad_beam_size(ngram_dir, capsys):
    from seqlab.cli.main import main

    assert main(["lm", "generate", str(ngram_dir), "--beam-size", "0"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("seqlab: error: beam_size must be an int >= 1") and "\n" not in err


def test_generate_takes_max_new_tokens(rng):
    lm = toy_model(rng, 5)
    assert generate(lm, [], max_new_tokens=7, seed=2) == generate(lm, [], max_tokens=7, seed=2)
    assert len(generate(lm, [], max_new_tokens=3, greedy=True)) <= 3
    with pytest.raises(InvalidParameterError, match="alias"):
        generate(lm, [], max_tokens=4, max_new_tokens=5)
