"""The encoder-decoder architecture registry, readable without importing torch (CLI choices and help)."""

from __future__ import annotations

from seqlab.models.registry import Registry

_NET = "seqlab.models.seq2seq_net"
#: Encoder-decoders (:class:`~seqlab.models.Seq2Seq`); ``--attention`` picks the recurrent models' attention.
SEQ2SEQ_ARCHITECTURES = Registry("seq2seq")
SEQ2SEQ_ARCHITECTURES.add("lstm", f"{_NET}:Seq2SeqConfig", f"{_NET}:Seq2SeqNet",
                          "(bi)LSTM encoder, LSTM decoder with additive/dot/general attention or none",
                          {"model": "lstm"})
SEQ2SEQ_ARCHITECTURES.add("gru", f"{_NET}:Seq2SeqConfig", f"{_NET}:Seq2SeqNet",
                          "(bi)GRU encoder, GRU decoder with attention or none", {"model": "gru"})
SEQ2SEQ_ARCHITECTURES.add("rnn", f"{_NET}:Seq2SeqConfig", f"{_NET}:Seq2SeqNet",
                          "(bi)Elman RNN encoder-decoder with attention or none", {"model": "rnn"})
SEQ2SEQ_ARCHITECTURES.add("transformer", f"{_NET}:Seq2SeqConfig", f"{_NET}:Seq2SeqNet",
                          "Transformer encoder-decoder (cross-attention, KV cache when decoding)",
                          {"model": "transformer"})

__all__ = ["SEQ2SEQ_ARCHITECTURES"]
