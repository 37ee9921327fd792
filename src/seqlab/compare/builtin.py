"""The families that exist today, registered for ``seqlab compare`` (one ``register_spec`` call each).

Every factory imports its family lazily, so listing or parsing specs imports no torch. A new
family (the neural classifiers, taggers and seq2seq models being written now) joins by adding
one call in the marked place below, or from its own module; ``compare`` needs no change.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from seqlab.compare.registry import Key, register_spec


@dataclass(frozen=True, kw_only=True)
class Context:
    """Settings shared by every model of one comparison, so each gets the same budget.

    Attributes
    ----------
    budget : float or None
        CPU seconds of training per neural model (process clock).
    steps : int or None
        Optimisation steps per neural model (whichever of budget and steps comes first).
    seed : int
        Seeds initialisation and sampling.
    horizon : int
        Forecast horizon (forecasting only).
    eval_every : int
        Steps between validation evaluations (the learning curves' resolution).
    """

    budget: float | None = 60.0
    steps: int | None = None
    seed: int = 0
    horizon: int = 1
    eval_every: int = 50
    quiet: bool = True


# ---------------------------------------------------------------------- language models
def _ngram(ctx: Context, *, order: int, smoothing: str, alpha: float | None, discount: float | None) -> Any:
    from seqlab.ngram import NGramLM
    from seqlab.ngram.smoothing import make_smoothing

    return NGramLM(order=order, smoothing=make_smoothing(smoothing, alpha=alpha, discount=discount))


register_spec("lm", "ngram", _ngram, {
    "order": Key(int, 3, "largest n-gram length"),
    "smoothing": Key(str, "modified-kneser-ney", "smoothing strategy (seqlab.ngram.SMOOTHING names)"),
    "alpha": Key(float, None, "add-k / stupid-backoff alpha"),
    "discount": Key(float, None, "absolute-discount / kneser-ney discount"),
}, "n-gram language model (default interpolated modified Kneser-Ney)")

def _neural_lms() -> dict[str, str]:
    """Every registered language-model architecture with its one-line help (the one list of names)."""
    from seqlab.models import LM_ARCHITECTURES

    return {name: LM_ARCHITECTURES[name].help for name in LM_ARCHITECTURES}


NEURAL_LMS = _neural_lms()


#: spec key -> NeuralLM parameter, and the config field that must exist for the key to apply
_LM_KEYS = {"layers": ("n_layers", "n_layers"), "hidden": ("d_hidden", None), "embed": ("d_embed", "d_embed"),
            "heads": ("n_heads", "n_heads"), "context": ("context_size", "context_size")}


def _neural_lm(arch: str) -> Any:
    def factory(ctx: Context, *, dropout: float, lr: float, batch: int, bptt: int, **shape: Any) -> Any:
        from seqlab.models import NeuralLM
        from seqlab.train import TrainConfig

        train = TrainConfig(lr=lr, batch_size=batch, bptt=bptt, max_time=ctx.budget, clock="process",
                            max_steps=ctx.steps if ctx.steps is not None else 10**7, schedule="constant",
                            eval_every=ctx.eval_every, eval_batches=8, seed=ctx.seed)
        params = {_LM_KEYS[k][0]: v for k, v in shape.items()}
        return NeuralLM(model=arch, dropout=dropout, train=train, device="auto", **params)

    return factory


_CONFIG_FIELDS = {"TransformerLMConfig": frozenset({"n_layers", "n_heads", "context_size"}),
                  "WindowLMConfig": frozenset({"d_embed", "context_size"})}


def _lm_keys(arch: str) -> dict[str, Key]:
    """The spec keys of one architecture: only the settings its config has (others would raise)."""
    from seqlab.models import LM_ARCHITECTURES

    # the config each architecture builds, by name: reading its fields would import torch, and
    # `import seqlab.compare` must not (forecast and classify comparisons run without it)
    config = str(LM_ARCHITECTURES[arch].config_ref).rpartition(":")[2]
    fields = _CONFIG_FIELDS.get(config, frozenset({"n_layers", "d_embed"}))
    tr = arch == "transformer"
    shape = {
        "layers": Key(int, 2 if tr else 1, "layers"),
        "hidden": Key(int, 128 if tr else 256, "hidden units (d_model for the Transformer)"),
        "embed": Key(int, 128, "embedding width"),
        "heads": Key(int, 4, "attention heads"),
        "context": Key(int, 64 if tr else 4, "position table (transformer) or window (window)"),
    }
    keys = {k: v for k, v in shape.items() if _LM_KEYS[k][1] is None or _LM_KEYS[k][1] in fields}
    keys.update({
        "dropout": Key(float, 0.0, "dropout rate"),
        "lr": Key(float, 3e-3, "AdamW learning rate (constant)"),
        "batch": Key(int, 32, "rows per batch"),
        "bptt": Key(int, 32, "truncated-BPTT window"),
    })
    return keys


for _arch, _label in NEURAL_LMS.items():
    register_spec("lm", _arch, _neural_lm(_arch), _lm_keys(_arch),
                  f"{_label} (seqlab.models.NeuralLM), trained for the shared budget")


# ---------------------------------------------------------------------- forecasters
def _naive(ctx: Context) -> Any:
    from seqlab.forecast import Persistence

    return Persistence()


def _seasonal(ctx: Context, *, season: int) -> Any:
    from seqlab.forecast import SeasonalNaive

    return SeasonalNaive(season_length=season)


def _mean(ctx: Context, *, window: int | None) -> Any:
    from seqlab.forecast import MeanForecaster

    return MeanForecaster(window=window)


def _ar(ctx: Context, *, lags: int, trend: str, multistep: str) -> Any:
    from seqlab.forecast import ARForecaster

    return ARForecaster(lags=lags, trend=trend, multistep=multistep,
                        max_horizon=ctx.horizon if multistep == "direct" else 1)


register_spec("forecast", "naive", _naive, {}, "persistence: repeat the last value")
register_spec("forecast", "seasonal-naive", _seasonal, {"season": Key(int, 12, "season length")},
              "repeat the value one season ago")
register_spec("forecast", "mean", _mean, {"window": Key(int, None, "average of the last N values (all by default)")},
              "the historical mean")
register_spec("forecast", "ar", _ar, {
    "lags": Key(int, 9, "AR order p"),
    "trend": Key(str, "c", "'c' constant or 'n' none", ("c", "n")),
    "multistep": Key(str, "recursive", "recursive or direct multi-step forecasts", ("recursive", "direct")),
}, "linear AR(p) by least squares (= statsmodels AutoReg)")

_NEURAL_FORECAST_KEYS = {
    "lags": Key(int, 12, "input window"),
    "hidden": Key(int, 32, "hidden units"),
    "layers": Key(int, 1, "layers"),
    "epochs": Key(int, 100, "training epochs of the first fit"),
    "refit_epochs": Key(int, 0, "warm-start epochs at each backtest refit (0: keep the first fit)"),
    "lr": Key(float, 1e-2, "Adam learning rate"),
}


def _neural_forecaster(kind: str) -> Any:
    def factory(ctx: Context, *, lags: int, hidden: int, layers: int, epochs: int, refit_epochs: int,
                lr: float) -> Any:
        from seqlab.models import ConvForecaster, MLPForecaster, RecurrentForecaster

        common = {"lags": lags, "d_hidden": hidden, "n_layers": layers, "epochs": epochs,
                  "refit_epochs": refit_epochs, "lr": lr, "random_state": ctx.seed}
        if kind == "mlp":
            return MLPForecaster(**common)
        if kind == "conv":
            return ConvForecaster(**common)
        return RecurrentForecaster(cell=kind, **common)

    return factory


for _kind, _label in {"mlp": "feed-forward MLP on lag windows", "lstm": "LSTM on lag windows",
                      "gru": "GRU on lag windows", "rnn": "Elman RNN on lag windows",
                      "conv": "dilated causal convolution on lag windows"}.items():
    register_spec("forecast", _kind, _neural_forecaster(_kind), dict(_NEURAL_FORECAST_KEYS),
                  f"{_label} (seqlab.models, torch)")


# ---------------------------------------------------------------------- classifiers
def _bayes_ngram(ctx: Context, *, order: int, smoothing: str, alpha: float | None, prior: str,
                 length_normalize: bool) -> Any:
    from seqlab.classify import BayesSequenceClassifier
    from seqlab.ngram import NGramLM
    from seqlab.ngram.smoothing import make_smoothing

    lm = NGramLM(order=order, smoothing=make_smoothing(smoothing, alpha=alpha))
    return BayesSequenceClassifier(lm=lm, prior=prior, length_normalize=length_normalize)


register_spec("classify", "bayes-ngram", _bayes_ngram, {
    "order": Key(int, 1, "n-gram order of each class model (1 = naive Bayes)"),
    "smoothing": Key(str, "lidstone", "smoothing strategy"),
    "alpha": Key(float, 0.1, "add-k alpha (lidstone)"),
    "prior": Key(str, "empirical", "class prior", ("empirical", "uniform")),
    "length_normalize": Key(bool, False, "score by per-token log-likelihood"),
}, "Markov-chain Bayes classifier: one n-gram LM per class + Bayes' rule")

# ---------------------------------------------------------------------- new families go here
# One call each, when the family exists (issue 11 / 12), e.g.:
#   register_spec("classify", "lstm-classifier", _factory, {"hidden": Key(int, 128)}, "LSTM + pooling classifier")
#   register_spec("tag", "bilstm", _factory, {...}, "BiLSTM tagger")
# A classifier factory returns an unfitted estimator with the scikit-learn contract
# (fit(token_lists, labels), predict, predict_proba); ``compare classify`` needs nothing else.
