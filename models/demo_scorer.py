"""The demo detector's scorer: a one-hidden-layer perceptron trained with numpy (no I/O).

Inputs are per-anchor features (``models.demo_features``) plus the anchor's log height and width;
outputs are softmax probabilities of "background" and each class. Training is full-batch Adam on
a class-weighted cross-entropy, from a fixed seed, so the same samples give the same weights.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import NDArray

__all__ = ["Mlp", "train_mlp"]

F32 = NDArray[np.float32]
HIDDEN: Final = 32
STEPS: Final = 150
RATE: Final = 0.03


@dataclass(frozen=True)
class Mlp:
    """``softmax(relu(x @ w1 + b1) @ w2 + b2)`` on raw (unstandardised) features."""

    w1: F32  # (features, hidden)
    b1: F32  # (hidden,)
    w2: F32  # (hidden, classes + 1); column 0 is background
    b2: F32

    def probabilities(self, x: F32) -> F32:
        hidden = np.maximum(x @ self.w1 + self.b1, 0)
        return _softmax(hidden @ self.w2 + self.b2)


def _softmax(z: F32) -> F32:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    out: F32 = e / e.sum(axis=1, keepdims=True)
    return out


def train_mlp(x: F32, labels: NDArray[np.int64], classes: int, seed: int = 0) -> Mlp:
    """Fit on ``x`` (samples, features) with ``labels`` in 0..classes (0 = background)."""
    mean, std = x.mean(axis=0), x.std(axis=0) + np.float32(1e-6)
    z = ((x - mean) / std).astype(np.float32)
    counts = np.bincount(labels, minlength=classes + 1).astype(np.float32)
    # The background weighs as much as all classes together, and each present class the same,
    # however rare it is.
    present = int(np.count_nonzero(counts[1:]))
    share = np.concatenate([[0.5], np.full(classes, 0.5 / max(present, 1))])
    weight = np.where(counts > 0, share * counts.sum() / np.maximum(counts, 1), 0)
    sample_weight = (weight[labels] / len(labels)).astype(np.float32)
    rng = np.random.Generator(np.random.PCG64(seed))
    params = [
        (rng.standard_normal((x.shape[1], HIDDEN)) * np.sqrt(2 / x.shape[1])).astype(np.float32),
        np.zeros(HIDDEN, np.float32),
        (rng.standard_normal((HIDDEN, classes + 1)) * np.sqrt(1 / HIDDEN)).astype(np.float32),
        np.zeros(classes + 1, np.float32),
    ]
    onehot = np.eye(classes + 1, dtype=np.float32)[labels]
    _adam(params, lambda p: _gradients(p, z, onehot, sample_weight))
    w1, b1, w2, b2 = params
    # Fold the standardisation into the first layer: (x - m) / s @ w1 = x @ (w1 / s) - (m / s) @ w1.
    w1_raw = (w1 / std[:, None]).astype(np.float32)
    b1_raw = (b1 - (mean / std) @ w1).astype(np.float32)
    return Mlp(w1_raw, b1_raw, w2, b2)


def _gradients(params: list[F32], z: F32, onehot: F32, weight: F32) -> list[F32]:
    w1, b1, w2, b2 = params
    pre = z @ w1 + b1
    hidden = np.maximum(pre, 0)
    prob = _softmax(hidden @ w2 + b2)
    d_out = (prob - onehot) * weight[:, None]
    d_hidden = (d_out @ w2.T) * (pre > 0)
    return [z.T @ d_hidden, d_hidden.sum(axis=0), hidden.T @ d_out, d_out.sum(axis=0)]


def _adam(params: list[F32], grad: object) -> None:
    assert callable(grad)
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    b1, b2 = 0.9, 0.999
    for step in range(1, STEPS + 1):
        for p, g, mi, vi in zip(params, grad(params), m, v, strict=True):
            mi *= b1
            mi += (1 - b1) * g
            vi *= b2
            vi += (1 - b2) * g * g
            p -= (RATE * (mi / (1 - b1**step)) / (np.sqrt(vi / (1 - b2**step)) + 1e-8)).astype(
                np.float32
            )
