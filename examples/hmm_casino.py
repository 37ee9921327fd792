"""The dishonest casino: which rolls came from the loaded die? (Durbin et al., 1998, ch. 3.)

A casino switches between a fair die and a loaded one that shows a six half the time. We see
only the rolls. Viterbi decoding recovers the hidden die from the planted model, and a model
fitted by Baum-Welch from the rolls alone decodes almost as well.

Run: ``PYTHONPATH=src python examples/hmm_casino.py [--plot casino.png]``.
"""

from __future__ import annotations

import argparse

import numpy as np

from seqlab.hmm import CategoricalHMM


def casino() -> CategoricalHMM:
    model = CategoricalHMM(n_states=2, n_symbols=6)
    model.startprob_ = np.array([0.5, 0.5])
    model.transmat_ = np.array([[0.95, 0.05], [0.10, 0.90]])  # 0 = fair, 1 = loaded
    model.emissionprob_ = np.array([[1 / 6] * 6, [0.1] * 5 + [0.5]])
    return model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plot", default="casino.png", help="where to write the figure")
    args = parser.parse_args()
    truth = casino()
    rolls, dice = truth.sample(2000, random_state=7)
    _, path_true_model = truth.decode(rolls)
    fitted = CategoricalHMM(n_states=2, n_symbols=6, n_init=4, n_iter=500, random_state=0).fit([rolls])
    _, path = fitted.decode(rolls)
    loaded = int(np.argmax(fitted.emissionprob_[:, 5]))  # the fitted state that likes sixes
    path = (path == loaded).astype(int)
    print(f"Viterbi with the true model: {np.mean(path_true_model == dice):.1%} of rolls on the right die")
    print(f"Viterbi with the fitted model: {np.mean(path == dice):.1%}  (restart {fitted.best_init_} won, "
          f"{fitted.n_iter_} iterations)")
    print("fitted P(six | loaded) =", round(float(fitted.emissionprob_[loaded, 5]), 3), "(true 0.5)")
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: no plot")
        return
    t = np.arange(300)
    fig, ax = plt.subplots(figsize=(10, 3))
    ax.fill_between(t, 0, dice[:300], step="mid", alpha=0.3, label="true die (1 = loaded)")
    ax.step(t, path_true_model[:300] * 0.9, where="mid", label="Viterbi, true model")
    ax.step(t, path[:300] * 0.8, where="mid", label="Viterbi, fitted model")
    ax.set_xlabel("roll")
    ax.set_yticks([0, 1], ["fair", "loaded"])
    ax.legend(loc="upper right", fontsize=8)
    fig.tight_layout()
    fig.savefig(args.plot, dpi=100)
    print(f"plot written to {args.plot}")


if __name__ == "__main__":
    main()
