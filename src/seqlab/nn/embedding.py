"""Token embedding input layer: trainable, or initialised from pretrained vectors."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from seqlab._validation import check_int
from seqlab.exceptions import DataError, InvalidParameterError


class TokenEmbedding(nn.Module):
    """Maps token ids to vectors: ``(N, L)`` ints -> ``(N, L, E)``.

    Parameters
    ----------
    vocab_size : int
        Rows ``V`` (torch ``num_embeddings``); ids must lie in ``[0, V)``.
    d_model : int
        Vector width ``E`` (torch ``embedding_dim``).
    padding_idx : int or None, default=0
        Row kept at zero and never updated: seqlab's ``<pad>`` id is 0 (torch ``padding_idx``).
    freeze : bool, default=False
        Keep the weights fixed (``requires_grad=False``).

    Notes
    -----
    Out-of-range ids raise a ``DataError`` naming the bad id and ``vocab_size`` (a common
    vocabulary mismatch between model and data), instead of torch's bare index error.

    Examples
    --------
    >>> emb = TokenEmbedding(10, 4)
    >>> tuple(emb(torch.tensor([[2, 5, 3]])).shape)
    (1, 3, 4)
    """

    def __init__(self, vocab_size: int, d_model: int, *, padding_idx: int | None = 0, freeze: bool = False) -> None:
        super().__init__()
        self.vocab_size = check_int(vocab_size, "vocab_size of TokenEmbedding", low=1)
        self.d_model = check_int(d_model, "d_model of TokenEmbedding", low=1)
        if padding_idx is not None:
            check_int(padding_idx, "padding_idx of TokenEmbedding", low=0, high=vocab_size - 1)
        self.embedding = nn.Embedding(vocab_size, d_model, padding_idx=padding_idx)
        self.embedding.weight.requires_grad_(not freeze)

    @property
    def weight(self) -> Tensor:
        """The (V, E) matrix (tie an output layer to it with ``head.weight = emb.weight``)."""
        return self.embedding.weight

    def forward(self, ids: Tensor) -> Tensor:
        if ids.dtype not in (torch.int64, torch.int32):
            raise DataError(f"TokenEmbedding expects integer token ids; got dtype {ids.dtype}.")
        if ids.numel() and (int(ids.min()) < 0 or int(ids.max()) >= self.vocab_size):
            bad = int(ids.max()) if int(ids.max()) >= self.vocab_size else int(ids.min())
            raise DataError(f"Token ids must lie in [0, {self.vocab_size}) (the model's vocab_size); got id {bad}. "
                            "Encode the data with the vocabulary the model was built with.")
        out: Tensor = self.embedding(ids)  # (N, L, E)
        return out

    @classmethod
    def from_pretrained(cls, matrix_or_embeddings: Any, vocabulary: Any = None, *, freeze: bool = True,
                        padding_idx: int | None = 0) -> TokenEmbedding:
        """Initialise from a (V, E) matrix or a ``seqlab.embed.Embeddings`` object.

        Parameters
        ----------
        matrix_or_embeddings : ndarray or Tensor of shape (V, E), or Embeddings
            A matrix whose row ``i`` is the vector of token id ``i``; or trained word vectors,
            aligned to ``vocabulary`` through ``Embeddings.to_torch(vocabulary, freeze=...)``
            (tokens without a vector get random rows of the same scale, ``<pad>`` zeros).
        vocabulary : seqlab.data.Vocabulary, optional
            The model's vocabulary. With a matrix it is only checked: ``len(vocabulary) == V``.
        freeze : bool, default=True
            Fixed vectors, or a trainable initialisation.
        padding_idx : int or None, default=0
        """
        aligned = hasattr(matrix_or_embeddings, "to_torch")  # seqlab.embed.Embeddings, duck-typed
        if aligned:
            weight = matrix_or_embeddings.to_torch(vocabulary, freeze=freeze).weight.detach()
        elif isinstance(matrix_or_embeddings, np.ndarray | Tensor):
            weight = torch.as_tensor(np.asarray(matrix_or_embeddings) if isinstance(matrix_or_embeddings, np.ndarray)
                                     else matrix_or_embeddings.detach())
        else:
            raise InvalidParameterError("from_pretrained needs a (V, E) matrix (numpy array or tensor) or a "
                                        f"seqlab.embed.Embeddings; got {type(matrix_or_embeddings).__name__}.")
        if weight.dim() != 2 or not weight.is_floating_point():
            raise DataError(f"Pretrained vectors must be a float matrix of shape (V, E); got "
                            f"{tuple(weight.shape)} of dtype {weight.dtype}.")
        if not aligned and vocabulary is not None and len(vocabulary) != weight.size(0):
            raise DataError(f"The vocabulary has {len(vocabulary)} tokens but the matrix has {weight.size(0)} rows; "
                            "row i must be the vector of token id i.")
        layer = cls(weight.size(0), weight.size(1), padding_idx=padding_idx, freeze=freeze)
        with torch.no_grad():
            layer.embedding.weight.copy_(weight.to(torch.float32))
        return layer
