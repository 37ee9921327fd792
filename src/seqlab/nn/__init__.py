"""Neural layers for sequences (torch): recurrent, convolutional, attention and transformer.

All layers are plain ``torch.nn.Module``\\ s, batch-first ``(N, L, C)``.
"""

from seqlab.nn.recurrent import (
    ElmanCell,
    GRUCell,
    JordanCell,
    LSTMCell,
    PeepholeLSTMCell,
    Recurrent,
    State,
    detach_state,
    make_cell,
)

__all__ = [
    "ElmanCell",
    "GRUCell",
    "JordanCell",
    "LSTMCell",
    "PeepholeLSTMCell",
    "Recurrent",
    "State",
    "detach_state",
    "make_cell",
]
