"""Metrics shared by every model family, written once against the protocols.

- :mod:`seqlab.evaluate.language`: perplexity and bits per token of any ``LanguageModel``.

Each family's metrics live in one module here and are re-exported below.
"""

from seqlab.evaluate.language import PerplexityReport, perplexity, perplexity_report, summarise_log_probs

__all__ = ["PerplexityReport", "perplexity", "perplexity_report", "summarise_log_probs"]
