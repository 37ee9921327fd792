"""``SequenceVAE``: sequence autoencoder, deterministic or variational (Bowman et al. 2016).

A bidirectional recurrent encoder reads the sequence; its final states give the posterior
``q(z|x) = N(mu, diag(sigma^2))`` (or a point ``z = mu`` for the deterministic autoencoder);
``z`` conditions a recurrent decoder through its initial state and/or every input
(:class:`~seqlab.models.conditional.ConditionedDecoder`). The loss is the negative ELBO,
``-E_q[log p(x|z)] + beta * KL(q(z|x) || N(0, I))``, with the two tricks that keep the decoder
from ignoring ``z``: KL annealing (``beta`` rising linearly, or cyclically, from 0 to 1) and
word dropout (decoder inputs replaced by ``<unk>`` at rate ``word_dropout``); free bits
(Kingma et al. 2016) optionally keep each latent dimension's KL from being pushed below a floor.

``encode``, ``decode`` (greedy, sampling or beam search through :mod:`seqlab.generate`),
``sample``, ``interpolate`` (the documents' "homotopy": decode evenly spaced points between two
sentences' codes) and ``reconstruct``; ``evaluate`` reports reconstruction loss, KL (nats per
sequence), the ELBO bound on perplexity and the number of active latent units.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from seqlab import io
from seqlab._validation import check_sequences
from seqlab.base import int_at_least
from seqlab.data.batch import batch_indices, epoch_order
from seqlab.data.streams import encode_sentences
from seqlab.data.vocab import BOS_ID, PAD_ID, UNK_ID, Vocabulary
from seqlab.exceptions import DataError, InvalidParameterError
from seqlab.generate import SamplingConfig, beam_search_batch, sample_batch
from seqlab.models.conditional import INJECT, ConditionedDecoder, SentenceBatches
from seqlab.models.estimator import TorchEstimator
from seqlab.models.vae_architectures import SERIES_VAE_ARCHITECTURES, VAE_ARCHITECTURES
from seqlab.nn import Recurrent
from seqlab.train.batch import TensorBatch
from seqlab.train.config import TrainConfig
from seqlab.train.objectives import unwrap_network

__all__ = ["VAE_ARCHITECTURES", "SequenceVAE", "SequenceVAEConfig", "SequenceVAENet", "SeriesVAE", "SeriesVAEConfig",
           "SeriesVAENet", "gaussian_kl"]

IGNORE_INDEX = -100
ANNEALING = ("none", "linear", "sigmoid", "cyclical")
SIGMOID_SLOPE = 10.0  # the logistic ramp runs from beta ~ 0.007 at step 0 to ~ 0.993 at kl_anneal_steps
_DEFAULT_TRAIN = TrainConfig()


def gaussian_kl(mu: Tensor, logvar: Tensor) -> Tensor:
    """``KL(N(mu, exp(logvar)) || N(0, I))`` per dimension, closed form: ``(mu^2 + s^2 - 1 - log s^2) / 2``."""
    return 0.5 * (mu.pow(2) + logvar.exp() - 1.0 - logvar)


@dataclass(frozen=True, kw_only=True)
class SequenceVAEConfig:
    """``SequenceVAE`` hyperparameters (``cell`` comes from the architecture name)."""

    vocab_size: int
    cell: str = "gru"
    variational: bool = True
    d_latent: int = 16
    d_embed: int = 64
    d_hidden: int = 256
    n_layers: int = 1
    dropout: float = 0.0
    inject: str = "init"
    word_dropout: float = 0.25
    kl_annealing: str = "linear"
    kl_anneal_steps: int = 2000
    free_bits: float = 0.0

    def __post_init__(self) -> None:
        for name in ("d_latent", "d_embed", "d_hidden", "n_layers", "kl_anneal_steps"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise InvalidParameterError(f"{name} must be an int >= 1, got {value!r}.")
        for name in ("dropout", "word_dropout"):
            if not 0.0 <= getattr(self, name) < 1.0:
                raise InvalidParameterError(f"{name} must be in [0, 1), got {getattr(self, name)!r}.")
        if self.inject not in INJECT:
            raise InvalidParameterError(f"inject must be one of {', '.join(INJECT)}; got {self.inject!r}.")
        if self.kl_annealing not in ANNEALING:
            raise InvalidParameterError(f"kl_annealing must be one of {', '.join(ANNEALING)}; "
                                        f"got {self.kl_annealing!r}.")
        if not self.free_bits >= 0.0:
            raise InvalidParameterError(f"free_bits must be >= 0 (nats per latent dimension), got {self.free_bits!r}.")

    def beta_at(self, step: int) -> float:
        """KL weight at training step ``step``: 1, a linear ramp over ``kl_anneal_steps``, a logistic
        ramp centred on ``kl_anneal_steps / 2`` (Bowman et al. 2016), then 1, or cyclical
        (Fu et al. 2019: four cycles, each rising linearly over its first half, then 1)."""
        if self.kl_annealing == "linear":
            return min(1.0, step / self.kl_anneal_steps)
        if self.kl_annealing == "sigmoid":
            if step >= self.kl_anneal_steps:
                return 1.0
            return 1.0 / (1.0 + math.exp(-SIGMOID_SLOPE * (step / self.kl_anneal_steps - 0.5)))
        if self.kl_annealing == "cyclical":
            period = max(1, self.kl_anneal_steps // 4)
            return min(1.0, (step % period) / (period / 2))
        return 1.0


class SequenceVAENet(nn.Module):
    """Encoder -> (mu, logvar) -> z -> :class:`ConditionedDecoder`; see the module docstring."""

    updates: Tensor  # a registered buffer (see __init__)

    def __init__(self, config: SequenceVAEConfig) -> None:
        super().__init__()
        self.config = c = config
        self.register_buffer("updates", torch.zeros(1, dtype=torch.long))  # KL-schedule steps, saved for --resume
        self.embed = nn.Embedding(c.vocab_size, c.d_embed, padding_idx=PAD_ID)
        self.encoder = Recurrent(c.d_embed, c.d_hidden, cell=c.cell, n_layers=c.n_layers, bidirectional=True,
                                 dropout=c.dropout, return_sequences=False)
        self.to_mu = nn.Linear(2 * c.d_hidden, c.d_latent)
        self.to_logvar = nn.Linear(2 * c.d_hidden, c.d_latent) if c.variational else None
        self.decoder = ConditionedDecoder(c.vocab_size, c.d_latent, cell=c.cell, d_embed=c.d_embed,
                                          d_hidden=c.d_hidden, n_layers=c.n_layers, dropout=c.dropout,
                                          inject=c.inject)

    def encode(self, ids: Tensor, lengths: Tensor) -> tuple[Tensor, Tensor | None]:
        """Token ids (N, L) without ``<s>``/``</s>`` (0 = padding) -> ``(mu (N, Z), logvar (N, Z) or None)``."""
        h, _ = self.encoder(self.embed(ids), lengths=lengths.clamp(min=1))  # (N, 2H)
        return self.to_mu(h), None if self.to_logvar is None else self.to_logvar(h)

    def forward(self, ids: Tensor, lengths: Tensor, inputs: Tensor) -> tuple[Tensor, Tensor]:
        """``(logits (N, L, V), KL per sequence and dimension (N, Z))``; sampling z in training."""
        mu, logvar = self.encode(ids, lengths)
        if logvar is None:
            z, kl = mu, torch.zeros_like(mu)
        else:
            z = mu + torch.randn_like(mu) * (0.5 * logvar).exp() if self.training else mu  # reparameterisation
            kl = gaussian_kl(mu, logvar)  # (N, Z)
        if self.training and self.config.word_dropout > 0:
            drop = (torch.rand(inputs.shape, device=inputs.device) < self.config.word_dropout) \
                & (inputs != BOS_ID) & (inputs != PAD_ID)
            inputs = inputs.masked_fill(drop, UNK_ID)  # Bowman et al.'s word dropout
        logits, _ = self.decoder(inputs, z)
        return logits, kl




def _encoder_ids(batch_inputs: Tensor, lengths: Tensor) -> Tensor:
    """Decoder inputs ``[<s>, x_1..x_n]`` -> encoder ids ``[x_1..x_n]`` (N, L-1), padding 0."""
    ids = batch_inputs[:, 1:].clone()
    return ids


@dataclass(frozen=True)
class NegativeELBO:
    """Summed reconstruction cross-entropy + beta * KL (with free bits) per batch; beta follows the schedule."""

    name: str = "negative_elbo"
    perplexity: bool = False

    def __call__(self, module: nn.Module, batch: TensorBatch, state: Any) -> tuple[Tensor, Tensor, Any]:
        net = unwrap_network(module, SequenceVAENet)
        assert batch.lengths is not None
        lengths = batch.lengths - 1  # real tokens (the decoder input also holds <s>)
        logits, kl = module(_encoder_ids(batch.inputs, lengths), lengths, batch.inputs)
        recon = F.cross_entropy(logits.reshape(-1, logits.size(-1)), batch.targets.reshape(-1),
                                ignore_index=IGNORE_INDEX, reduction="sum")
        cfg = net.config
        if net.training:
            beta = cfg.beta_at(int(net.updates))
            net.updates.add_(1)
            if cfg.free_bits > 0:  # per dimension, batch mean below the floor does not push down
                kl = torch.clamp(kl.mean(0), min=cfg.free_bits) * kl.size(0)
        else:
            beta = 1.0
        return recon + beta * kl.sum(), (batch.targets != IGNORE_INDEX).sum(), None


@io.register
class SequenceVAE(TorchEstimator):
    """Sequence autoencoder / VAE over token sequences.

    Parameters
    ----------
    model : {"gru", "lstm", "rnn"}
    variational : bool, default=True
        False: a deterministic autoencoder (z = mu, no KL term).
    d_latent, d_embed, d_hidden, n_layers, dropout
        Sizes.
    inject : {"init", "input", "both"}
        How z conditions the decoder: initial state, every input, or both.
    word_dropout : float, default=0.25
        Rate at which decoder inputs become ``<unk>`` in training.
    kl_annealing : {"linear", "sigmoid", "cyclical", "none"}
    kl_anneal_steps : int
        Steps of the linear or logistic ramp (or of all four cycles).
    free_bits : float, default=0
        Floor, in nats, of each latent dimension's batch-mean KL in the loss.
    min_count : int
    train : TrainConfig
    device : {"auto", "cpu", "cuda"}
    random_state : int or None
    threads : int or None

    Attributes
    ----------
    vocabulary_ : Vocabulary
    text_level_ : str
        Set by the command line: how text becomes tokens for this model ("char", "word", "whitespace").
    """

    architectures = VAE_ARCHITECTURES
    objective = NegativeELBO()
    module_: SequenceVAENet
    _placeholder_fields: ClassVar[dict[str, Any]] = {"vocab_size": 8}
    _constraints: ClassVar[dict[str, Any]] = {**TorchEstimator._constraints, "min_count": int_at_least(1)}

    def __init__(self, *, model: str = "gru", variational: bool = True, d_latent: int = 16, d_embed: int = 64,
                 d_hidden: int = 256, n_layers: int = 1, dropout: float = 0.0, inject: str = "init",
                 word_dropout: float = 0.25, kl_annealing: str = "linear", kl_anneal_steps: int = 2000,
                 free_bits: float = 0.0, min_count: int = 1, train: TrainConfig = _DEFAULT_TRAIN,
                 device: str = "auto", random_state: int | None = None, threads: int | None = None) -> None:
        self.model, self.variational, self.d_latent, self.d_embed = model, variational, d_latent, d_embed
        self.d_hidden, self.n_layers, self.dropout, self.inject = d_hidden, n_layers, dropout, inject
        self.word_dropout, self.kl_annealing, self.kl_anneal_steps = word_dropout, kl_annealing, kl_anneal_steps
        self.free_bits, self.min_count, self.train, self.device = free_bits, min_count, train, device
        self.random_state, self.threads = random_state, threads

    # ------------------------------------------------------------------ hooks
    def _prepare(self, X: Any, y: Any = None, **kwargs: Any) -> Any:
        if y is not None or kwargs:
            raise InvalidParameterError("SequenceVAE.fit takes only the sequences: fit(sequences).")
        corpus = check_sequences(X)
        self.vocabulary_ = Vocabulary.build(corpus, min_count=self.min_count)
        return self._encode(corpus)

    def _encode(self, X: Any, y: Any = None) -> Any:
        corpus = [s for s in check_sequences(X) if s]
        if not corpus:
            raise DataError("no non-empty sequence to autoencode; give at least one.")
        sentences = encode_sentences(corpus, self.vocabulary_)
        return sentences, np.zeros((len(sentences), 1), dtype=np.int64)

    def _data_fields(self) -> dict[str, Any]:
        return {"vocab_size": len(self.vocabulary_)}

    def _batches(self, data: Any, *, shuffle: bool, rows: slice | None) -> SentenceBatches:
        sentences, dummy = data
        return SentenceBatches(sentences, dummy, batch_size=self.train.batch_size, shuffle=shuffle, seed=self.seed_,
                               rows=rows)

    def _extra_state(self) -> dict[str, Any]:
        return {"vocabulary": self.vocabulary_.to_json(), "text_level": getattr(self, "text_level_", None)}

    def _restore_extra_state(self, state: dict[str, Any]) -> None:
        self.vocabulary_ = Vocabulary.from_json(state["vocabulary"])
        if state.get("text_level"):
            self.text_level_ = state["text_level"]

    # ------------------------------------------------------------------ queries
    def _ids(self, sequences: Sequence[Sequence[str]]) -> tuple[Tensor, Tensor]:
        corpus = check_sequences(sequences)
        if any(not s for s in corpus):
            raise DataError("cannot encode an empty sequence; give at least one token each.")
        enc = [self.vocabulary_.encode(list(s)) for s in corpus]
        width = max(len(e) for e in enc)
        ids = np.zeros((len(enc), width), dtype=np.int64)
        for i, e in enumerate(enc):
            ids[i, :len(e)] = e
        return self._tensor(ids), self._tensor(np.array([len(e) for e in enc], dtype=np.int64))

    def encode(self, sequences: Sequence[Sequence[str]]) -> np.ndarray:
        """Posterior means ``E[z | x]`` of token sequences: (N, d_latent)."""
        with self._inference():
            mu, _ = self.module_.encode(*self._ids(sequences))
        return mu.double().cpu().numpy()

    def decode(self, z: Any, *, method: str = "greedy", beam_size: int = 5, max_new_tokens: int = 50,
               temperature: float = 1.0, seed: int | None = None) -> list[list[str]]:
        """Decode latent codes (N, d_latent) into token lists: ``"greedy"``, ``"sample"`` or ``"beam"``."""
        self._check_fitted()
        codes = np.asarray(z, dtype=np.float32)
        if codes.ndim != 2 or codes.shape[1] != self.config_.d_latent:
            raise DataError(f"z must have shape (N, {self.config_.d_latent}); got {codes.shape}.")
        stepper = _LatentStepper(self, codes)
        with self._inference():
            if method == "beam":
                res = beam_search_batch(stepper, len(codes), beam_size=beam_size, max_new_tokens=max_new_tokens)
                ids = [r[0].ids for r in res]
            elif method in ("greedy", "sample"):
                cfg = SamplingConfig(max_new_tokens=max_new_tokens, greedy=method == "greedy",
                                     temperature=temperature if method == "sample" else 1.0)
                ids = [rows[0] for rows in sample_batch(stepper, len(codes), cfg, seed=seed)]
            else:
                raise InvalidParameterError(f"method must be 'greedy', 'sample' or 'beam'; got {method!r}.")
        return [self.vocabulary_.decode(i) for i in ids]

    def reconstruct(self, sequences: Sequence[Sequence[str]], *, method: str = "greedy") -> list[list[str]]:
        """``decode(encode(sequences))``."""
        return self.decode(self.encode(sequences), method=method)

    def sample(self, n: int = 1, *, method: str = "greedy", random_state: int | None = None) -> list[list[str]]:
        """Decode ``n`` codes drawn from the prior ``N(0, I)``."""
        if not isinstance(n, int) or n < 1:
            raise InvalidParameterError(f"n must be an int >= 1, got {n!r}.")
        self._check_fitted()
        z = np.random.default_rng(random_state).standard_normal((n, self.config_.d_latent))
        return self.decode(z, method=method, seed=random_state)

    def interpolate(self, a: Sequence[str], b: Sequence[str], steps: int = 5) -> list[list[str]]:
        """Greedy decodings of ``steps`` evenly spaced codes from ``encode(a)`` to ``encode(b)`` (both included)."""
        if not isinstance(steps, int) or steps < 2:
            raise InvalidParameterError(f"steps must be an int >= 2 (the two ends included), got {steps!r}.")
        za, zb = self.encode([list(a), list(b)])
        t = np.linspace(0.0, 1.0, steps)[:, None]
        return self.decode((1 - t) * za + t * zb)

    def evaluate(self, sequences: Sequence[Sequence[str]], *, batch_size: int = 64, samples: int = 10,
                 random_state: int | None = 0) -> dict[str, float]:
        """Reconstruction loss and KL (nats per sequence), perplexity bounds, active latent units.

        ``reconstruction`` is ``-E_q[log p(x|z)]`` estimated with ``samples`` draws of ``z ~ q(z|x)``
        (an unbiased estimate, so ``elbo_perplexity = exp((reconstruction + KL) / tokens)`` is an
        upper bound on the model's perplexity in expectation); ``reconstruction_at_mean`` decodes
        from ``z = mu`` instead (optimistic, not a bound; shown for comparison). ``iw_perplexity`` is
        the tighter importance-weighted bound of Burda et al. (2016) from the same draws,
        ``log p(x) >= E[log mean_k p(x|z_k) p(z_k) / q(z_k|x)]``. Tokens are counted as a language
        model's perplexity counts them: every word and ``</s>``, not ``<s>``. A unit is active when
        ``Var_x E[z_k | x] > 0.01`` (Burda et al. 2016). The deterministic autoencoder has no
        posterior: its three figures are all the reconstruction at ``z = mu``.
        """
        self._check_fitted()
        if isinstance(samples, bool) or not isinstance(samples, int) or samples < 1:
            raise InvalidParameterError(f"samples must be an int >= 1, got {samples!r}.")
        sentences, _ = self._encode(sequences)
        gen = torch.Generator().manual_seed(0 if random_state is None else random_state)
        totals = {"recon": 0.0, "recon_mean": 0.0, "kl": 0.0, "iw": 0.0, "tokens": 0.0}
        means = []
        with self._inference():
            for start in range(0, len(sentences), batch_size):
                chunk = sentences[start:start + batch_size]
                b = SentenceBatches(chunk, np.zeros((len(chunk), 1)), batch_size=len(chunk), shuffle=False,
                                    seed=0).batch(0, 0)
                scores, mu = self._score_batch(b, samples, gen)
                for key, value in scores.items():
                    totals[key] += value
                means.append(mu)
        n, tokens = len(sentences), totals["tokens"]
        active = int((np.concatenate(means).var(0) > 0.01).sum())
        return {"reconstruction": totals["recon"] / n, "reconstruction_at_mean": totals["recon_mean"] / n,
                "kl": totals["kl"] / n, "elbo_perplexity": math.exp((totals["recon"] + totals["kl"]) / tokens),
                "iw_perplexity": math.exp(totals["iw"] / tokens), "active_units": active, "sequences": n,
                "tokens": int(tokens), "samples": samples}

    def _batch_ids(self, b: Any) -> tuple[Tensor, Tensor]:
        """A sentence batch -> encoder ids (N, L) and their lengths (N,)."""
        assert b.lengths is not None  # sentence batches always carry their lengths
        lengths = self._tensor(b.lengths) - 1
        return _encoder_ids(self._tensor(b.inputs), lengths), lengths

    def _sequence_nll(self, inputs: Tensor, targets: Tensor, z: Tensor) -> Tensor:
        """``-log p(x | z)`` per sequence (N,), summed over its targets (padding ignored)."""
        logits, _ = self.module_.decoder(inputs, z)  # (N, L, V)
        nll = F.cross_entropy(logits.transpose(1, 2), targets, ignore_index=IGNORE_INDEX, reduction="none")
        return nll.sum(1)  # (N,)

    def _score_batch(self, b: Any, samples: int, gen: torch.Generator) -> tuple[dict[str, float], np.ndarray]:
        """Summed Monte Carlo reconstruction, reconstruction at the mean, KL and importance-weighted NLL
        of one batch, and its posterior means (N, Z)."""
        inputs, targets = self._tensor(b.inputs), self._tensor(b.targets)
        mu, logvar = self.module_.encode(*self._batch_ids(b))  # (N, Z) each
        at_mean = self._sequence_nll(inputs, targets, mu)  # (N,)
        tokens = float((targets != IGNORE_INDEX).sum())
        if logvar is None:
            total = float(at_mean.sum())
            return {"recon": total, "recon_mean": total, "kl": 0.0, "iw": total, "tokens": tokens}, \
                mu.double().cpu().numpy()
        std = (0.5 * logvar).exp()
        recon: list[Tensor] = []
        log_weights: list[Tensor] = []
        for _ in range(samples):
            eps = torch.randn(mu.shape, generator=gen).to(mu)
            z = mu + eps * std  # (N, Z)
            nll = self._sequence_nll(inputs, targets, z)  # (N,)
            recon.append(nll)
            log_prior_over_posterior = 0.5 * (eps.pow(2) - z.pow(2) + logvar).sum(1)  # log N(z;0,I) - log q(z|x)
            log_weights.append(-nll + log_prior_over_posterior)  # (N,)
        iw = -(torch.logsumexp(torch.stack(log_weights), 0) - math.log(samples))  # (N,)
        return {"recon": float(torch.stack(recon).mean(0).sum()), "recon_mean": float(at_mean.sum()),
                "kl": float(gaussian_kl(mu, logvar).sum()), "iw": float(iw.sum()), "tokens": tokens}, \
            mu.double().cpu().numpy()

    @classmethod
    def _test_params(cls) -> dict[str, Any]:
        return {"d_hidden": 8, "d_embed": 4, "d_latent": 2, "train": TrainConfig(max_steps=2, batch_size=2),
                "random_state": 0}

    @classmethod
    def _test_data(cls) -> list[list[str]]:
        return [["a", "b"], ["b", "a", "a"], ["a"]]


class _LatentStepper:
    """A :class:`~seqlab.generate.Stepper` whose rows decode given latent codes."""

    def __init__(self, model: SequenceVAE, codes: np.ndarray) -> None:
        self.model, self.dec = model, model.module_.decoder
        self.codes = model._tensor(codes)

    def start(self, rows: np.ndarray) -> tuple[np.ndarray, Any]:
        z = self.codes[torch.as_tensor(rows, device=self.codes.device)]
        return self.step((self.dec.initial_state(z), z), np.full(len(rows), BOS_ID, dtype=np.int64))

    def step(self, state: Any, ids: np.ndarray) -> tuple[np.ndarray, Any]:
        rnn_state, z = state
        logits, rnn_state = self.dec(self.model._tensor(ids)[:, None], z, rnn_state)
        logits = logits[:, 0].double()  # (R, V)
        logits[:, [PAD_ID, BOS_ID]] = float("-inf")
        return torch.log_softmax(logits, -1).cpu().numpy(), (rnn_state, z)

    def select(self, state: Any, index: np.ndarray) -> Any:
        rnn_state, z = state
        idx = torch.as_tensor(index, device=z.device)
        rnn_state = tuple(t.index_select(1, idx) for t in rnn_state) if isinstance(rnn_state, tuple) \
            else rnn_state.index_select(1, idx)  # (K, N, H)
        return rnn_state, z.index_select(0, idx)

    def history(self, i: int) -> list[int]:
        return []


# ---------------------------------------------------------------------- numeric sequences
@dataclass(frozen=True, kw_only=True)
class SeriesVAEConfig:
    """``SeriesVAE`` hyperparameters; ``n_features`` comes from the data."""

    n_features: int = 1
    cell: str = "gru"
    variational: bool = True
    d_latent: int = 8
    d_hidden: int = 64
    n_layers: int = 1
    inject: str = "both"
    kl_annealing: str = "linear"
    kl_anneal_steps: int = 500

    def __post_init__(self) -> None:
        for name in ("n_features", "d_latent", "d_hidden", "n_layers", "kl_anneal_steps"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise InvalidParameterError(f"{name} must be an int >= 1, got {value!r}.")
        if self.inject not in INJECT:
            raise InvalidParameterError(f"inject must be one of {', '.join(INJECT)}; got {self.inject!r}.")
        if self.kl_annealing not in ANNEALING:
            raise InvalidParameterError(f"kl_annealing must be one of {', '.join(ANNEALING)}; "
                                        f"got {self.kl_annealing!r}.")

    def beta_at(self, step: int) -> float:
        return SequenceVAEConfig.beta_at(self, step)  # type: ignore[arg-type]  # same schedule fields


class SeriesVAENet(nn.Module):
    """Numeric windows (N, L, D) -> z -> a recurrent decoder predicting each value from the previous ones
    (Gaussian with unit variance on the standardised scale: the reconstruction loss is half the squared error)."""

    updates: Tensor  # a registered buffer (see __init__)

    def __init__(self, config: SeriesVAEConfig) -> None:
        super().__init__()
        self.config = c = config
        self.register_buffer("updates", torch.zeros(1, dtype=torch.long))  # KL-schedule steps, saved for --resume
        self.encoder = Recurrent(c.n_features, c.d_hidden, cell=c.cell, n_layers=c.n_layers, bidirectional=True,
                                 return_sequences=False)
        self.to_mu = nn.Linear(2 * c.d_hidden, c.d_latent)
        self.to_logvar = nn.Linear(2 * c.d_hidden, c.d_latent) if c.variational else None
        extra = c.d_latent if c.inject in ("input", "both") else 0
        self.decoder = Recurrent(c.n_features + extra, c.d_hidden, cell=c.cell, n_layers=c.n_layers)
        self.init = nn.Linear(c.d_latent, c.n_layers * c.d_hidden) if c.inject in ("init", "both") else None
        self.head = nn.Linear(c.d_hidden, c.n_features)

    def encode(self, x: Tensor) -> tuple[Tensor, Tensor | None]:
        h, _ = self.encoder(x)  # (N, 2H)
        return self.to_mu(h), None if self.to_logvar is None else self.to_logvar(h)

    def initial_state(self, z: Tensor) -> Any:
        n, c = z.size(0), self.config
        h = z.new_zeros(c.n_layers, n, c.d_hidden) if self.init is None else \
            torch.tanh(self.init(z)).view(n, c.n_layers, c.d_hidden).transpose(0, 1).contiguous()  # (K, N, H)
        return (h, torch.zeros_like(h)) if self.decoder.has_cell_state else h

    def decode_step(self, prev: Tensor, z: Tensor, state: Any) -> tuple[Tensor, Any]:
        """Previous values (N, L, D) -> predicted next values (N, L, D) and the decoder state."""
        inp = prev
        if self.config.inject in ("input", "both"):
            inp = torch.cat([prev, z[:, None, :].expand(-1, prev.size(1), -1)], -1)  # (N, L, D + Z)
        out, state = self.decoder(inp, state)  # (N, L, H)
        return self.head(out), state

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        mu, logvar = self.encode(x)
        if logvar is None:
            z, kl = mu, torch.zeros_like(mu)
        else:
            z = mu + torch.randn_like(mu) * (0.5 * logvar).exp() if self.training else mu
            kl = gaussian_kl(mu, logvar)  # (N, Z)
        prev = torch.cat([torch.zeros_like(x[:, :1]), x[:, :-1]], 1)  # teacher forcing: values shifted right
        mean, _ = self.decode_step(prev, z, self.initial_state(z))
        return mean, kl


@dataclass(frozen=True)
class SeriesNegativeELBO:
    """Summed half squared error (unit-variance Gaussian, up to a constant) + beta * KL."""

    name: str = "series_negative_elbo"
    perplexity: bool = False

    def __call__(self, module: nn.Module, batch: TensorBatch, state: Any) -> tuple[Tensor, Tensor, Any]:
        net = unwrap_network(module, SeriesVAENet)
        mean, kl = module(batch.inputs)
        recon = 0.5 * (mean - batch.targets).pow(2).sum()
        beta = 1.0
        if net.training:
            beta = net.config.beta_at(int(net.updates))
            net.updates.add_(1)
        return recon + beta * kl.sum(), torch.tensor(batch.targets.numel(), device=mean.device), None




class _WindowBatches:
    def __init__(self, x: np.ndarray, *, batch_size: int, shuffle: bool, seed: int, rows: slice | None) -> None:
        self.x, self.batch_size, self.shuffle, self.seed, self.rows = x, batch_size, shuffle, seed, rows

    def __len__(self) -> int:
        return -(-len(self.x) // self.batch_size)

    def batch(self, epoch: int, k: int) -> Any:
        from seqlab.data.batch import Batch

        n = len(self.x)
        idx = batch_indices(epoch_order(n, seed=self.seed, epoch=epoch, shuffle=self.shuffle), k, self.batch_size,
                            self.rows)
        return Batch(inputs=self.x[idx], targets=self.x[idx])


@io.register
class SeriesVAE(TorchEstimator):
    """(Variational) autoencoder of equal-length numeric sequences, e.g. windows cut from a series.

    Parameters
    ----------
    model : {"gru", "lstm", "rnn"}
    variational : bool, default=True
    d_latent, d_hidden, n_layers : int
    inject : {"init", "input", "both"}
    kl_annealing : {"linear", "cyclical", "none"}
    kl_anneal_steps : int
    train : TrainConfig
    device : {"auto", "cpu", "cuda"}
    random_state : int or None
    threads : int or None

    Attributes
    ----------
    mean_, scale_ : ndarray of shape (n_features,)
        Standardisation of the training values (applied inside; outputs are on the data's scale).
    length_ : int
        The window length.
    """

    architectures = SERIES_VAE_ARCHITECTURES
    objective = SeriesNegativeELBO()
    module_: SeriesVAENet
    mean_: np.ndarray
    scale_: np.ndarray
    length_: int
    _placeholder_fields: ClassVar[dict[str, Any]] = {"n_features": 1}

    def __init__(self, *, model: str = "gru", variational: bool = True, d_latent: int = 8, d_hidden: int = 64,
                 n_layers: int = 1, inject: str = "both", kl_annealing: str = "linear", kl_anneal_steps: int = 500,
                 train: TrainConfig = _DEFAULT_TRAIN, device: str = "auto", random_state: int | None = None,
                 threads: int | None = None) -> None:
        self.model, self.variational, self.d_latent, self.d_hidden = model, variational, d_latent, d_hidden
        self.n_layers, self.inject, self.kl_annealing, self.kl_anneal_steps = n_layers, inject, kl_annealing, \
            kl_anneal_steps
        self.train, self.device, self.random_state, self.threads = train, device, random_state, threads

    def _windows(self, X: Any) -> np.ndarray:
        if isinstance(X, np.ndarray) and X.ndim in (2, 3):
            arr = X.astype(np.float32)
        else:
            try:
                arr = np.stack([np.asarray(x, dtype=np.float32) for x in X])
            except (TypeError, ValueError):
                raise DataError("SeriesVAE takes equal-length numeric sequences (a list of arrays of shape (T,) "
                                "or (T, D)); cut a series into windows first.") from None
        if arr.ndim == 2:
            arr = arr[:, :, None]
        if arr.ndim != 3 or arr.shape[0] == 0 or arr.shape[1] < 2:
            raise DataError(f"expected windows of shape (N, T) or (N, T, D) with T >= 2; got {arr.shape}.")
        if not np.isfinite(arr).all():
            raise DataError("the sequences contain NaN or infinity; fill or drop them first.")
        return arr

    def _prepare(self, X: Any, y: Any = None, **kwargs: Any) -> Any:
        if y is not None or kwargs:
            raise InvalidParameterError("SeriesVAE.fit takes only the sequences: fit(windows).")
        arr = self._windows(X)
        self.mean_ = arr.mean((0, 1))
        self.scale_ = np.where(arr.std((0, 1)) > 0, arr.std((0, 1)), 1.0).astype(np.float32)
        self.length_ = int(arr.shape[1])
        return self._encode(arr)

    def _encode(self, X: Any, y: Any = None) -> Any:
        arr = self._windows(X)
        if arr.shape[2] != len(self.mean_):
            raise DataError(f"sequences have {arr.shape[2]} features; this model was trained on {len(self.mean_)}.")
        return ((arr - self.mean_) / self.scale_).astype(np.float32)

    def _data_fields(self) -> dict[str, Any]:
        return {"n_features": len(self.mean_)}

    def _batches(self, data: Any, *, shuffle: bool, rows: slice | None) -> _WindowBatches:
        return _WindowBatches(data, batch_size=self.train.batch_size, shuffle=shuffle, seed=self.seed_, rows=rows)

    def _extra_state(self) -> dict[str, Any]:
        return {"mean": [float(v) for v in self.mean_], "scale": [float(v) for v in self.scale_],
                "length": self.length_}

    def _restore_extra_state(self, state: dict[str, Any]) -> None:
        self.mean_ = np.asarray(state["mean"], dtype=np.float32)
        self.scale_ = np.asarray(state["scale"], dtype=np.float32)
        self.length_ = int(state["length"])

    def encode(self, sequences: Any) -> np.ndarray:
        """Posterior means of windows: (N, d_latent)."""
        x = self._tensor(self._encode(sequences))
        with self._inference():
            mu, _ = self.module_.encode(x)
        return mu.double().cpu().numpy()

    def decode(self, z: Any, *, length: int | None = None) -> np.ndarray:
        """Codes (N, d_latent) -> sequences (N, length, D) on the data's scale, each value fed back."""
        codes = np.asarray(z, dtype=np.float32)
        if codes.ndim != 2 or codes.shape[1] != self.config_.d_latent:
            raise DataError(f"z must have shape (N, {self.config_.d_latent}); got {codes.shape}.")
        steps = self.length_ if length is None else length
        with self._inference():
            zt = self._tensor(codes)
            state = self.module_.initial_state(zt)
            prev = zt.new_zeros(len(codes), 1, self.config_.n_features)
            out = []
            for _ in range(steps):
                prev, state = self.module_.decode_step(prev, zt, state)  # (N, 1, D)
                out.append(prev)
            values = torch.cat(out, 1).double().cpu().numpy()
        restored: np.ndarray = values * self.scale_ + self.mean_  # (N, length, D)
        return restored

    def reconstruct(self, sequences: Any) -> np.ndarray:
        return self.decode(self.encode(sequences))

    def sample(self, n: int = 1, *, random_state: int | None = None) -> np.ndarray:
        self._check_fitted()
        return self.decode(np.random.default_rng(random_state).standard_normal((n, self.config_.d_latent)))

    def interpolate(self, a: Any, b: Any, steps: int = 5) -> np.ndarray:
        if not isinstance(steps, int) or steps < 2:
            raise InvalidParameterError(f"steps must be an int >= 2 (the two ends included), got {steps!r}.")
        za, zb = self.encode([a, b])
        t = np.linspace(0.0, 1.0, steps)[:, None]
        return self.decode((1 - t) * za + t * zb)

    def evaluate(self, sequences: Any) -> dict[str, float]:
        """Reconstruction mean squared error (data scale, z = mu), KL (nats per sequence), active units."""
        x = self._encode(sequences)
        with self._inference():
            mu, logvar = self.module_.encode(self._tensor(x))
            mean, _ = self.module_.decode_step(
                torch.cat([torch.zeros_like(self._tensor(x)[:, :1]), self._tensor(x)[:, :-1]], 1), mu,
                self.module_.initial_state(mu))
            kl = 0.0 if logvar is None else float(gaussian_kl(mu, logvar).sum(1).mean())
            means = mu.double().cpu().numpy()
        err = ((mean.double().cpu().numpy() - x) * self.scale_) ** 2
        return {"mse": float(err.mean()), "kl": kl, "active_units": int((means.var(0) > 0.01).sum()),
                "sequences": len(x)}

    @classmethod
    def _test_params(cls) -> dict[str, Any]:
        return {"d_hidden": 8, "d_latent": 2, "train": TrainConfig(max_steps=2, batch_size=2), "random_state": 0}

    @classmethod
    def _test_data(cls) -> list[np.ndarray]:
        return [np.sin(np.arange(6) + k).astype(np.float32) for k in range(4)]
