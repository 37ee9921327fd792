"""Metrics shared by every model family, written once against the protocols.

- :mod:`seqlab.evaluate.language`: perplexity and bits per token of any ``LanguageModel``.
- :mod:`seqlab.evaluate.forecast`: MAE, RMSE, MAPE, sMAPE, MASE of point forecasts.

Each family's metrics live in one module here and are re-exported below.
"""

from seqlab.evaluate.forecast import forecast_metrics, mae, mape, mase, rmse, smape
from seqlab.evaluate.language import PerplexityReport, perplexity, perplexity_report, summarise_log_probs

__all__ = [
    "PerplexityReport", "perplexity", "perplexity_report", "summarise_log_probs",
    "forecast_metrics", "mae", "mape", "mase", "rmse", "smape",
]
