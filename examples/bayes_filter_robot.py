"""Robot localisation with the discrete Bayes filter (document 001, "Robot Localization").

A robot drives along a ring corridor of 20 cells with three doors. Its sensor says "door" or
"no door" and is wrong now and then; its wheels sometimes slip a cell. Starting with no idea
where it is (a uniform belief), each step predicts with the motion model and corrects with the
sensor model: ``bel(x_t) = eta p(z_t | x_t) sum p(x_t | u_t, x_{t-1}) bel(x_{t-1})``.

Run: ``PYTHONPATH=src python examples/bayes_filter_robot.py [--plot robot.png]``.
"""

from __future__ import annotations

import argparse

import numpy as np

from seqlab.statespace import corridor

N_CELLS, DOORS = 20, [3, 7, 15]


def simulate(n_steps: int, rng: np.random.Generator) -> tuple[list[int], list[int], list[int]]:
    """True positions, door readings and controls (one step right each time, with slips)."""
    pos, positions, readings, controls = int(rng.integers(N_CELLS)), [], [], []
    for t in range(n_steps):
        u = 0 if t == 0 else 1
        if u:
            pos = (pos + u + int(rng.choice([-1, 0, 1], p=[0.1, 0.8, 0.1]))) % N_CELLS
        positions.append(pos)
        controls.append(u)
        readings.append(int(rng.random() < (0.8 if pos in DOORS else 0.1)))
    return positions, readings, controls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plot", default="robot.png", help="where to write the figure")
    args = parser.parse_args()
    positions, readings, controls = simulate(30, np.random.default_rng(3))
    beliefs = corridor(N_CELLS, DOORS).filter(readings, controls)
    for t in (0, 5, 10, 20, 29):
        print(f"step {t:2d}: true cell {positions[t]:2d}, most likely cell {beliefs[t].argmax():2d} "
              f"(belief {beliefs[t].max():.2f})")
    hits = np.mean(beliefs.argmax(axis=1)[10:] == np.array(positions[10:]))
    print(f"after 10 steps the most likely cell is the true one {hits:.0%} of the time")
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return
    fig, ax = plt.subplots(figsize=(8, 4))
    ax.imshow(beliefs.T, aspect="auto", origin="lower", cmap="Greys")
    ax.plot(positions, "r.", label="true cell")
    for d in DOORS:
        ax.axhline(d, color="tab:blue", lw=0.5, ls=":")
    ax.set_xlabel("step")
    ax.set_ylabel("cell (doors dotted)")
    ax.set_title("belief bel(x_t) (darker = more likely)")
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    fig.savefig(args.plot, dpi=100)
    print(f"plot written to {args.plot}")


if __name__ == "__main__":
    main()
