"""The sequence-autoencoder architecture registry, readable without importing torch (CLI choices and help)."""

from __future__ import annotations

from seqlab.models.registry import Registry

_VAE = "seqlab.models.vae"
#: Sequence autoencoders (:class:`~seqlab.models.SequenceVAE`).
VAE_ARCHITECTURES = Registry("sequence autoencoder")
for _cell in ("gru", "lstm", "rnn"):
    VAE_ARCHITECTURES.add(_cell, f"{_VAE}:SequenceVAEConfig", f"{_VAE}:SequenceVAENet",
                          f"bidirectional {_cell.upper()} encoder, {_cell.upper()} decoder conditioned on z",
                          {"cell": _cell})

#: Autoencoders of numeric windows (:class:`~seqlab.models.vae.SeriesVAE`).
SERIES_VAE_ARCHITECTURES = Registry("series autoencoder")
for _cell in ("gru", "lstm", "rnn"):
    SERIES_VAE_ARCHITECTURES.add(_cell, f"{_VAE}:SeriesVAEConfig", f"{_VAE}:SeriesVAENet",
                                 f"bidirectional {_cell.upper()} encoder, {_cell.upper()} decoder of values",
                                 {"cell": _cell})

__all__ = ["SERIES_VAE_ARCHITECTURES", "VAE_ARCHITECTURES"]
