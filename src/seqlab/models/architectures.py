"""The architecture registries of seqlab's neural task families, readable without importing torch.

The command line builds its ``--model`` choices and help from these; the facades build their
modules from them; the conformance tests iterate over them. Classes are named as strings and
resolved (importing torch) only when a model is built.
"""

from __future__ import annotations

from seqlab.models.registry import Registry

_LM = "seqlab.models.lm"
#: Language models (:class:`~seqlab.models.NeuralLM`).
LM_ARCHITECTURES = Registry("language")
LM_ARCHITECTURES.add("rnn", f"{_LM}:RecurrentLMConfig", f"{_LM}:RecurrentLM",
                     "Elman RNN language model (torch nn.RNN)", {"cell": "rnn"})
LM_ARCHITECTURES.add("jordan", f"{_LM}:RecurrentLMConfig", f"{_LM}:RecurrentLM",
                     "Jordan RNN language model (output fed back)", {"cell": "jordan"})
LM_ARCHITECTURES.add("lstm", f"{_LM}:RecurrentLMConfig", f"{_LM}:RecurrentLM",
                     "LSTM language model (torch nn.LSTM)", {"cell": "lstm"})
LM_ARCHITECTURES.add("peephole", f"{_LM}:RecurrentLMConfig", f"{_LM}:RecurrentLM",
                     "peephole LSTM language model (Gers & Schmidhuber)", {"cell": "peephole"})
LM_ARCHITECTURES.add("gru", f"{_LM}:RecurrentLMConfig", f"{_LM}:RecurrentLM",
                     "GRU language model (torch nn.GRU)", {"cell": "gru"})
LM_ARCHITECTURES.add("conv", f"{_LM}:ConvLMConfig", f"{_LM}:ConvLM",
                     "residual dilated causal convolution language model")
LM_ARCHITECTURES.add("transformer", f"{_LM}:TransformerLMConfig", f"{_LM}:TransformerLM",
                     "GPT-style Transformer language model")
LM_ARCHITECTURES.add("window", f"{_LM}:WindowLMConfig", f"{_LM}:WindowLM",
                     "Bengio et al.'s fixed-window neural language model")

_FC = "seqlab.models.forecaster"
#: Neural forecasters (:class:`~seqlab.models.NeuralForecaster` and its named subclasses).
FORECAST_ARCHITECTURES = Registry("forecast")
FORECAST_ARCHITECTURES.add("mlp", f"{_FC}:MLPConfig", f"{_FC}:MLPNet",
                           "feed-forward autoregressive MLP on the last lags values (document 003)")
FORECAST_ARCHITECTURES.add("lstm", f"{_FC}:RecurrentNetConfig", f"{_FC}:RecurrentNet",
                           "LSTM reading the last lags values (latent autoregressive)", {"cell": "lstm"})
FORECAST_ARCHITECTURES.add("gru", f"{_FC}:RecurrentNetConfig", f"{_FC}:RecurrentNet",
                           "GRU reading the last lags values", {"cell": "gru"})
FORECAST_ARCHITECTURES.add("rnn", f"{_FC}:RecurrentNetConfig", f"{_FC}:RecurrentNet",
                           "Elman RNN reading the last lags values", {"cell": "rnn"})
FORECAST_ARCHITECTURES.add("conv", f"{_FC}:ConvNetConfig", f"{_FC}:ConvNet",
                           "dilated causal convolutions over the last lags values")

_C = "seqlab.models.classifier"
#: Neural sequence classifiers (:class:`~seqlab.models.NeuralClassifier`).
CLASSIFY_ARCHITECTURES = Registry("classify")
for _cell, _help in (("rnn", "Elman RNN encoder + pooling"), ("lstm", "LSTM encoder + pooling"),
                     ("gru", "GRU encoder + pooling"), ("peephole", "peephole LSTM encoder + pooling")):
    CLASSIFY_ARCHITECTURES.add(_cell, f"{_C}:RecurrentClassifierConfig", f"{_C}:SequenceClassifierNet", _help,
                               {"cell": _cell})
CLASSIFY_ARCHITECTURES.add("cnn", f"{_C}:ConvClassifierConfig", f"{_C}:SequenceClassifierNet",
                           "Kim (2014) CNN: several kernel widths, max-over-time pooling")
CLASSIFY_ARCHITECTURES.add("cnn-lstm", f"{_C}:ConvRecurrentClassifierConfig", f"{_C}:SequenceClassifierNet",
                           "convolution features fed to an LSTM, then pooling")
CLASSIFY_ARCHITECTURES.add("transformer", f"{_C}:TransformerClassifierConfig", f"{_C}:SequenceClassifierNet",
                           "Transformer encoder with a padding mask, then pooling")

_T = "seqlab.models.tagger"
#: Neural sequence taggers (:class:`~seqlab.models.NeuralTagger`).
TAG_ARCHITECTURES = Registry("tag")
TAG_ARCHITECTURES.add("bilstm", f"{_T}:TaggerConfig", f"{_T}:SequenceTaggerNet",
                      "bidirectional LSTM, softmax per token", {"encoder": "lstm", "bidirectional": True, "crf": False})
TAG_ARCHITECTURES.add("bilstm-crf", f"{_T}:TaggerConfig", f"{_T}:SequenceTaggerNet",
                      "bidirectional LSTM + linear-chain CRF", {"encoder": "lstm", "bidirectional": True, "crf": True})
for _cell in ("lstm", "gru", "rnn"):
    TAG_ARCHITECTURES.add(_cell, f"{_T}:TaggerConfig", f"{_T}:SequenceTaggerNet",
                          f"{_cell.upper()} encoder (bidirectional by default)", {"encoder": _cell})
TAG_ARCHITECTURES.add("transformer", f"{_T}:TaggerConfig", f"{_T}:SequenceTaggerNet",
                      "Transformer encoder with a padding mask", {"encoder": "transformer"})
TAG_ARCHITECTURES.add("cnn", f"{_T}:TaggerConfig", f"{_T}:SequenceTaggerNet",
                      "same-length convolutions over the sentence", {"encoder": "cnn"})

__all__ = ["CLASSIFY_ARCHITECTURES", "FORECAST_ARCHITECTURES", "LM_ARCHITECTURES", "TAG_ARCHITECTURES"]
