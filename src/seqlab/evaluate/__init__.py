"""Metrics shared by every model family, written once against the protocols.

- :mod:`seqlab.evaluate.language`: perplexity and bits per token of any ``LanguageModel``.
- :mod:`seqlab.evaluate.classification`: accuracy, precision/recall/F1, confusion matrix, log loss, stratified splits.
- :mod:`seqlab.evaluate.forecast`: MAE, RMSE, MAPE, sMAPE, MASE of point forecasts.
- :mod:`seqlab.evaluate.seq2seq`: exact match, token error rate, BLEU and chrF (sacrebleu) of seq2seq outputs.

Each family's metrics live in one module here and are re-exported below.
"""

from seqlab.evaluate.classification import (
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
from seqlab.evaluate.forecast import forecast_metrics, mae, mape, mase, rmse, smape
from seqlab.evaluate.language import PerplexityReport, perplexity, perplexity_report, summarise_log_probs
from seqlab.evaluate.seq2seq import bleu, chrf, edit_distance, exact_match, seq2seq_metrics, token_error_rate

__all__ = [
    "PerplexityReport", "perplexity", "perplexity_report", "summarise_log_probs",
    "forecast_metrics", "mae", "mape", "mase", "rmse", "smape",
    "ClassificationReport", "accuracy", "classification_report", "confusion_matrix", "f1_score", "log_loss",
    "precision_recall_f1", "stratified_kfold", "stratified_split",
    "bleu", "chrf", "edit_distance", "exact_match", "seq2seq_metrics", "token_error_rate",
]

from seqlab.evaluate.tagging import (  # noqa: E402 - appended section (tagging metrics)
    bio_chunks,
    entity_scores,
    is_bio,
    oov_accuracy,
    tagging_report,
    token_accuracy,
)

__all__ += ["bio_chunks", "entity_scores", "is_bio", "oov_accuracy", "tagging_report", "token_accuracy"]
