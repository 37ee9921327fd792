"""Metrics shared by every model family, written once against the protocols.

- :mod:`seqlab.evaluate.language`: perplexity and bits per token of any ``LanguageModel``.
- :mod:`seqlab.evaluate.classification`: accuracy, precision/recall/F1, confusion matrix, log loss, stratified splits.

Each family's metrics live in one module here and are re-exported below.
"""

from seqlab.evaluate.classification import (  # noqa: F401,E501
    ClassificationReport,
    accuracy,
    classification_report,
    confusion_matrix,
    f1_score,
    log_loss,
    precision_recall_f1,
    stratified_kfold,
    stratified_split,
)
from seqlab.evaluate.language import PerplexityReport, perplexity, perplexity_report, summarise_log_probs

__all__ = ["PerplexityReport", "perplexity", "perplexity_report", "summarise_log_probs"]
