"""SequenceVAE: KL against the closed form, annealing schedules, free bits, reconstruction, interpolation."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from seqlab import io
from seqlab.exceptions import DataError, InvalidParameterError, NotFittedError
from seqlab.models.conditional import SentenceBatches
from seqlab.models.vae import NegativeELBO, SequenceVAE, SequenceVAEConfig, SequenceVAENet, gaussian_kl
from seqlab.train import TrainConfig
from seqlab.train.batch import TensorBatch

SENTS = [["in", "the", "beginning"], ["and", "god", "said"], ["let", "there", "be", "light"], ["and", "it", "was"]]


def test_kl_matches_torch_closed_form_and_monte_carlo():
    torch.manual_seed(0)
    mu, logvar = torch.randn(5, 3), torch.randn(5, 3)
    q = torch.distributions.Normal(mu, (0.5 * logvar).exp())
    p = torch.distributions.Normal(torch.zeros(3), torch.ones(3))
    ours = gaussian_kl(mu, logvar)
    assert torch.allclose(ours, torch.distributions.kl_divergence(q, p), atol=1e-6)
    z = q.sample((200000,))  # (S, 5, 3): E_q[log q - log p]
    mc = (q.log_prob(z) - p.log_prob(z)).mean(0)
    assert torch.allclose(ours, mc, atol=0.05), "Monte Carlo estimate within 0.05 nats (200k draws)"
    assert torch.all(gaussian_kl(torch.zeros(2), torch.zeros(2)) == 0), "KL(N(0,1) || N(0,1)) = 0"


def test_annealing_schedules():
    lin = SequenceVAEConfig(vocab_size=5, kl_annealing="linear", kl_anneal_steps=100)
    assert [lin.beta_at(s) for s in (0, 50, 100, 500)] == [0.0, 0.5, 1.0, 1.0]
    cyc = SequenceVAEConfig(vocab_size=5, kl_annealing="cyclical", kl_anneal_steps=400)
    assert [cyc.beta_at(s) for s in (0, 25, 50, 99, 100, 150)] == [0.0, 0.5, 1.0, 1.0, 0.0, 1.0]
    assert SequenceVAEConfig(vocab_size=5, kl_annealing="none").beta_at(0) == 1.0
    sig = SequenceVAEConfig(vocab_size=5, kl_annealing="sigmoid", kl_anneal_steps=100)
    betas = [sig.beta_at(s) for s in range(0, 120)]
    assert betas[0] == pytest.approx(1 / (1 + np.exp(5.0))) and betas[50] == pytest.approx(0.5)
    assert betas[99] == pytest.approx(1 / (1 + np.exp(-4.9))) and betas[100:] == [1.0] * 20
    assert all(a < b for a, b in zip(betas[:100], betas[1:101], strict=True)), "the logistic ramp rises"
    with pytest.raises(InvalidParameterError, match="free_bits"):
        SequenceVAEConfig(vocab_size=5, free_bits=-1.0)


def _batch(net_vocab: int) -> TensorBatch:
    rng = np.random.default_rng(0)
    sents = [np.r_[2, rng.integers(4, net_vocab, size=n), 3] for n in (3, 5, 2)]
    b = SentenceBatches(sents, np.zeros((3, 1)), batch_size=3, shuffle=False, seed=0).batch(0, 0)
    return TensorBatch(inputs=torch.from_numpy(b.inputs), targets=torch.from_numpy(b.targets),
                       lengths=torch.from_numpy(b.lengths))


def test_objective_is_reconstruction_plus_beta_kl_with_free_bits():
    torch.manual_seed(0)
    cfg = SequenceVAEConfig(vocab_size=9, d_latent=3, d_embed=4, d_hidden=6, word_dropout=0.0, kl_annealing="linear",
                            kl_anneal_steps=4, free_bits=0.5)
    net = SequenceVAENet(cfg)
    batch = _batch(9)
    net.eval()
    with torch.no_grad():
        total, count, _ = NegativeELBO()(net, batch, None)  # evaluation: beta = 1, no free bits, z = mu
        lengths = batch.lengths - 1
        mu, logvar = net.encode(batch.inputs[:, 1:], lengths)
        logits, _ = net.decoder(batch.inputs, mu)
    recon = torch.nn.functional.cross_entropy(logits.reshape(-1, 9), batch.targets.reshape(-1), ignore_index=-100,
                                              reduction="sum")
    kl = gaussian_kl(mu, logvar)
    assert int(count) == 13 and float(total) == pytest.approx(float(recon + kl.sum()), rel=1e-5)
    net.train()
    net.updates.fill_(2)  # beta = 0.5; the reconstruction now uses a sampled z, so check the KL part alone
    with torch.no_grad():
        torch.manual_seed(1)
        total_t, _, _ = NegativeELBO()(net, batch, None)
        torch.manual_seed(1)
        logits_t, kl_t = net(batch.inputs[:, 1:], lengths, batch.inputs)
    recon_t = torch.nn.functional.cross_entropy(logits_t.reshape(-1, 9), batch.targets.reshape(-1),
                                                ignore_index=-100, reduction="sum")
    floored = torch.clamp(kl_t.mean(0), min=0.5) * 3  # free bits: each dimension's batch mean >= 0.5 nats
    assert float(total_t) == pytest.approx(float(recon_t + 0.5 * floored.sum()), rel=1e-5)


@pytest.fixture(scope="module")
def fitted():
    return SequenceVAE(model="gru", variational=True, d_latent=8, d_embed=16, d_hidden=32, word_dropout=0.0,
                       kl_annealing="linear", kl_anneal_steps=400,
                       train=TrainConfig(max_steps=300, batch_size=4, lr=0.01, schedule="constant"),
                       random_state=0).fit(SENTS * 4)


def test_reconstructs_and_reports(fitted):
    assert fitted.reconstruct(SENTS) == SENTS, "300 steps on four sentences reconstruct them from their means"
    report = fitted.evaluate(SENTS)
    assert set(report) >= {"reconstruction", "kl", "elbo_perplexity", "active_units"}
    assert report["kl"] > 0 and report["active_units"] >= 1, "the code is used (no posterior collapse here)"
    assert report["elbo_perplexity"] == pytest.approx(np.exp((report["reconstruction"] + report["kl"])
                                                             * report["sequences"] / report["tokens"]))


def _manual_bounds(model, sents, z_draws):
    """Per-corpus -E_q log p(x|z) and importance-weighted NLL from given draws, written out directly."""
    recon, iw = 0.0, 0.0
    for sent, draws in zip(sents, z_draws, strict=True):
        ids = [int(i) for i in model.vocabulary_.encode(sent)]
        x = torch.tensor([[2, *ids]])  # <s> x_1..x_n
        y = torch.tensor([[*ids, 3]])  # x_1..x_n </s>
        mu, logvar = model.module_.encode(torch.tensor([ids]), torch.tensor([len(ids)]))
        q = torch.distributions.Normal(mu[0], (0.5 * logvar[0]).exp())
        p = torch.distributions.Normal(0.0, 1.0)
        nll = []
        for z in draws:
            logits, _ = model.module_.decoder(x, z[None])
            nll.append(float(torch.log_softmax(logits[0], -1).gather(1, y[0][:, None]).sum().neg()))
        log_w = torch.tensor([-n + float((p.log_prob(z) - q.log_prob(z)).sum()) for n, z in zip(nll, draws,
                                                                                                strict=True)])
        recon += float(np.mean(nll))
        iw -= float(torch.logsumexp(log_w, 0) - np.log(len(draws)))
    return recon, iw


def test_evaluate_bounds_match_a_direct_computation(fitted):
    k = 4
    report = fitted.evaluate(SENTS, samples=k, random_state=3)
    gen = torch.Generator().manual_seed(3)  # evaluate draws eps (N, Z) per sample, batch by batch
    with torch.no_grad():
        mu, logvar = fitted.module_.encode(*fitted._ids(SENTS))
        eps = torch.stack([torch.randn(mu.shape, generator=gen) for _ in range(k)], 1)  # (N, K, Z)
        draws = mu[:, None] + eps * (0.5 * logvar).exp()[:, None]
        recon, iw = _manual_bounds(fitted, SENTS, draws)
        at_mean, _ = _manual_bounds(fitted, SENTS, mu[:, None])
        kl = float(gaussian_kl(mu, logvar).sum())
    tokens = sum(len(s) + 1 for s in SENTS)  # every word and </s>, not <s>
    assert report["tokens"] == tokens and report["samples"] == k
    assert report["reconstruction"] == pytest.approx(recon / len(SENTS), rel=1e-4)
    assert report["reconstruction_at_mean"] == pytest.approx(at_mean / len(SENTS), rel=1e-4)
    assert report["kl"] == pytest.approx(kl / len(SENTS), rel=1e-4)
    assert report["elbo_perplexity"] == pytest.approx(np.exp((recon + kl) / tokens), rel=1e-4)
    assert report["iw_perplexity"] == pytest.approx(np.exp(iw / tokens), rel=1e-4)
    many = fitted.evaluate(SENTS, samples=200)
    assert many["iw_perplexity"] <= many["elbo_perplexity"], "the importance-weighted bound is the tighter one"
    with pytest.raises(InvalidParameterError, match="samples must be"):
        fitted.evaluate(SENTS, samples=0)


def test_evaluate_counts_tokens_as_the_language_model_does(fitted):
    from seqlab.evaluate.language import perplexity_report
    from seqlab.models import NeuralLM

    lm = NeuralLM(model="lstm", d_embed=4, d_hidden=4, train=TrainConfig(max_steps=1, batch_size=2,
                                                                          batching="padded"),
                  random_state=0).fit(SENTS, vocabulary=fitted.vocabulary_)
    text = [*SENTS, ["an", "unseen", "word"]]  # unknown words count as <unk> in both
    assert fitted.evaluate(text)["tokens"] == perplexity_report(lm, text).tokens == sum(len(s) + 1 for s in text)


def test_interpolate_sample_decode(fitted):
    path = fitted.interpolate(SENTS[0], SENTS[1], steps=5)
    assert len(path) == 5 and path[0] == SENTS[0] and path[-1] == SENTS[1], "the ends decode to the two sentences"
    assert len(fitted.sample(3, random_state=0)) == 3
    assert fitted.sample(2, method="sample", random_state=1) == fitted.sample(2, method="sample", random_state=1)
    z = fitted.encode(SENTS[:2])
    assert fitted.decode(z, method="beam", beam_size=3) == SENTS[:2]
    with pytest.raises(DataError, match=r"z must have shape \(N, 8\)"):
        fitted.decode(np.zeros((1, 3)))
    with pytest.raises(InvalidParameterError, match="steps must be"):
        fitted.interpolate(SENTS[0], SENTS[1], steps=1)


def test_round_trip_and_untrained(fitted, tmp_path):
    again = io.load(fitted.save(tmp_path / "v"))
    assert np.allclose(again.encode(SENTS), fitted.encode(SENTS))
    with pytest.raises(NotFittedError):
        SequenceVAE().interpolate(["a"], ["b"])


def test_deterministic_autoencoder_has_no_kl():
    ae = SequenceVAE(variational=False, d_latent=4, d_embed=8, d_hidden=8, train=TrainConfig(max_steps=3, batch_size=2),
                     random_state=0).fit(SENTS)
    report = ae.evaluate(SENTS)
    assert report["kl"] == 0.0 and ae.module_.to_logvar is None
    assert report["reconstruction"] == report["reconstruction_at_mean"]
    assert report["elbo_perplexity"] == report["iw_perplexity"]


# ------------------------------------------------------------------ numeric sequences
def _sines(n: int = 48, length: int = 16) -> np.ndarray:
    rng = np.random.default_rng(0)
    t = np.arange(length)
    return np.stack([a * np.sin(0.5 * t + p) + 3.0 for a, p in zip(rng.uniform(0.5, 2, n), rng.uniform(0, 6, n),
                                                                    strict=True)])


def test_series_vae_on_windows(tmp_path):
    from seqlab.models.vae import SeriesVAE

    w = _sines()
    m = SeriesVAE(d_hidden=32, d_latent=4, kl_anneal_steps=200,
                  train=TrainConfig(max_steps=300, batch_size=16, lr=0.01, schedule="constant"), random_state=0).fit(w)
    report = m.evaluate(w)
    assert report["mse"] < 0.2 * w.var(), "teacher-forced reconstruction explains most of the variance"
    assert report["kl"] >= 0 and report["active_units"] >= 1
    free = m.reconstruct(w)  # free running: each predicted value is fed back
    assert free.shape == (48, 16, 1) and np.mean((free[..., 0] - w) ** 2) < w.var(), "better than the mean"
    assert m.sample(3, random_state=0).shape == (3, 16, 1)
    assert m.interpolate(w[0], w[1], steps=4).shape == (4, 16, 1)
    again = io.load(m.save(tmp_path / "s"))
    assert np.allclose(again.encode(w[:5]), m.encode(w[:5]))
    with pytest.raises(DataError, match="2 features; this model was trained on 1"):
        m.encode(np.zeros((2, 16, 2)))
    with pytest.raises(DataError, match="NaN"):
        SeriesVAE().fit(np.full((3, 5), np.nan))


def test_the_kl_schedule_goes_on_after_resume_and_a_save(tmp_path):
    def vae(steps):
        return SequenceVAE(model="gru", d_latent=2, d_embed=4, d_hidden=4, kl_annealing="linear", kl_anneal_steps=10,
                           train=TrainConfig(max_steps=steps, batch_size=2, eval_every=2), random_state=0)

    vae(3).fit(SENTS, checkpoint_dir=tmp_path / "run")
    resumed = vae(6).fit(SENTS, checkpoint_dir=tmp_path / "run", resume=True)
    assert int(resumed.module_.updates) == 6  # 3 + 3 updates: beta continues from 0.3, not from 0
    resumed.save(tmp_path / "model")
    assert int(io.load(tmp_path / "model").module_.updates) == 6
