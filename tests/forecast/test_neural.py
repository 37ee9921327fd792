"""Neural forecasters: learn a clean signal, multivariate shapes, save/load, the shared backtest."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from seqlab.exceptions import DataError  # noqa: E402
from seqlab.forecast import Persistence, WalkForward, backtest  # noqa: E402
from seqlab.models.forecaster import ConvForecaster, MLPForecaster, RecurrentForecaster  # noqa: E402

SMALL = {
    "mlp": lambda: MLPForecaster(lags=6, epochs=150, d_hidden=16),
    "lstm": lambda: RecurrentForecaster(cell="lstm", lags=8, epochs=60, d_hidden=16),
    "gru": lambda: RecurrentForecaster(cell="gru", lags=8, epochs=60, d_hidden=16),
    "conv": lambda: ConvForecaster(lags=8, epochs=80, d_hidden=8, n_layers=3),
}


def signal(n: int = 160) -> np.ndarray:
    t = np.arange(n)
    return 10 + 3 * np.sin(2 * np.pi * t / 11) + np.sin(2 * np.pi * t / 5)


@pytest.mark.parametrize("name", sorted(SMALL))
def test_learns_a_noise_free_cycle_better_than_persistence(name):
    y = signal()
    splitter = WalkForward(initial=130, refit_every=None)
    ours = backtest(SMALL[name](), y, splitter, metrics=("mae",))
    naive = backtest(Persistence(), y, splitter, metrics=("mae",))
    # persistence MAE on this cycle is ~2.3; a net that learned the cycle is far below it
    assert ours.metrics["mae"] < 0.5 * naive.metrics["mae"], (name, ours.metrics, naive.metrics)


@pytest.mark.parametrize("cls", [MLPForecaster, RecurrentForecaster, ConvForecaster])
def test_save_load_gives_identical_forecasts_and_same_seed_same_model(tmp_path, cls):
    x = np.column_stack([signal(60), signal(60)[::-1]])
    model = cls(**cls._test_params()).fit(x)
    assert model.predict(3).shape == (3, 2)
    model.save(tmp_path / "m")
    loaded = cls.load(tmp_path / "m")
    np.testing.assert_allclose(loaded.predict(5), model.predict(5), rtol=0, atol=1e-6)
    again = cls(**cls._test_params()).fit(x)
    np.testing.assert_allclose(again.predict(5), model.predict(5), rtol=0, atol=1e-6)


def test_warm_refits_in_the_backtest_and_bad_input():
    y = signal(80)
    result = backtest(MLPForecaster(lags=4, epochs=20, refit_epochs=2), y, WalkForward(initial=60, refit_every=5))
    assert len(result.predictions) == 20 and np.isfinite(result.predictions).all()
    with pytest.raises(DataError, match="needs at least 9"):
        MLPForecaster(lags=8).fit(np.arange(5.0))


def test_training_and_warm_refits_run_on_the_shared_trainer(monkeypatch):
    from seqlab.train import Trainer

    runs = []
    original = Trainer.fit

    def spy(self, module, train, valid=None, *, resume=False):
        result = original(self, module, train, valid, resume=resume)
        runs.append((self.objective.name, self.config.max_epochs, result.steps, result.valid_perplexity))
        return result

    monkeypatch.setattr(Trainer, "fit", spy)
    model = MLPForecaster(lags=4, epochs=3, batch_size=8, refit_epochs=2).fit(signal(40))  # 36 windows: 5 batches
    weights = [p.detach().clone() for p in model.net_.parameters()]
    model.update(signal(45)[40:], refit=False)
    assert len(runs) == 1
    model.update(signal(50)[45:], refit=True)  # 46 windows: 6 batches, continuing from the fitted weights
    assert runs == [("mean_squared_error", 3, 15, None), ("mean_squared_error", 2, 12, None)]
    assert any(not torch.equal(a, b) for a, b in zip(weights, model.net_.parameters(), strict=True))
    assert np.isfinite(model.train_mse_) and model.net_.training is False
