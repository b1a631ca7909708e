"""The EM prior estimation of ``bench/priors.py`` (measured on the dev data, left out of the
product): it must recover known priors on synthetic data, or the measurement means nothing."""

from __future__ import annotations

import numpy as np
import pytest

from bench.priors_em import (
    adjust,
    em_priors,
    label_shares,
    language_weights,
    prior_weights,
    weight_table,
)

MEANS = np.array([-2.0, 0.0, 2.0])


def posteriors(x: np.ndarray, priors: np.ndarray) -> np.ndarray:
    """Exact posteriors of three unit Gaussians at ``MEANS`` under ``priors``."""
    like = np.exp(-((x[:, None] - MEANS) ** 2) / 2) * priors
    return like / like.sum(axis=1, keepdims=True)


def sample(priors: np.ndarray, n: int, seed: int) -> np.ndarray:
    """``n`` points drawn from the mixture with ``priors``."""
    rng = np.random.default_rng(seed)
    y = rng.choice(len(priors), n, p=priors)
    return rng.normal(MEANS[y], 1.0)


@pytest.mark.parametrize("true", [[0.7, 0.2, 0.1], [0.05, 0.15, 0.8], [1 / 3, 1 / 3, 1 / 3]])
def test_em_recovers_known_priors(true: list[float]) -> None:
    train = np.array([0.3, 0.4, 0.3])
    x = sample(np.array(true), 40_000, seed=1)
    est = em_priors(posteriors(x, train), train)
    assert np.allclose(est, true, atol=0.02)
    assert est.sum() == pytest.approx(1.0)
    # the adjusted posteriors are the exact posteriors under the true priors
    w = prior_weights(posteriors(x, train), train, clip=(0.01, 100.0))
    exact = posteriors(x, np.array(true))
    assert np.abs(adjust(posteriors(x, train), w) - exact).mean() < 0.02


def test_fixed_label_keeps_its_training_prior() -> None:
    train = np.array([0.3, 0.4, 0.3])
    x = sample(np.array([0.6, 0.1, 0.3]), 20_000, seed=2)
    est = em_priors(posteriors(x, train), train, fixed=[1])
    assert est[1] == pytest.approx(0.4)
    assert est[0] > est[2] > 0.1  # the other two still follow the data


def test_weights_are_clipped() -> None:
    train = np.array([1 / 3, 1 / 3, 1 / 3])
    x = sample(np.array([0.98, 0.01, 0.01]), 20_000, seed=3)
    w = prior_weights(posteriors(x, train), train, clip=(0.25, 4.0))
    assert w.min() == pytest.approx(0.25) and w.max() <= 4.0


def test_per_language_weights_change_only_that_language() -> None:
    train = np.array([1 / 3, 1 / 3, 1 / 3])
    labels = ["a", "b", "c"]
    xa = sample(np.array([0.8, 0.1, 0.1]), 5_000, seed=4)
    xb = sample(np.array([1 / 3, 1 / 3, 1 / 3]), 20, seed=5)  # too few: no weights
    probs = posteriors(np.concatenate([xa, xb]), train)
    langs = ["tl"] * len(xa) + ["en"] * len(xb)
    w = language_weights(probs, langs, {"tl": train, "en": train}, labels, min_messages=30,
                         clip=(0.25, 4.0))
    assert set(w) == {"tl"}
    assert w["tl"]["a"] > 2.0
    table = weight_table(w, ["en", "tl"], labels)
    assert table[0].tolist() == [1.0, 1.0, 1.0]
    assert table[1].tolist() == [w["tl"][lb] for lb in labels]


def test_label_shares_per_language_are_smoothed() -> None:
    out = label_shares(["a", "a", "b"], ["en", "en", "tl"], ["a", "b", "c"])
    assert out["en"] == pytest.approx([3 / 5, 1 / 5, 1 / 5])
    assert out["tl"] == pytest.approx([1 / 4, 2 / 4, 1 / 4])


def test_em_refuses_bad_input() -> None:
    with pytest.raises(ValueError):
        em_priors(np.zeros((0, 3)), [1, 1, 1])
    with pytest.raises(ValueError):
        em_priors(np.ones((2, 3)) / 3, [1, 0, 1])
