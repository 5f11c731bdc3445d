"""Seeded input data, made with numpy so both frameworks get the very same numbers.

Imported only inside workers (numpy comes with both frameworks). Images are NHWC; the PyTorch
worker transposes them to its NCHW layout.
"""

from __future__ import annotations

from typing import Any

import numpy as np

Arrays = tuple[np.ndarray, np.ndarray]


def _rng(seed: int, salt: int) -> np.random.Generator:
    return np.random.default_rng([seed, salt])


def _normal(rng: np.random.Generator, *shape: int) -> np.ndarray:
    return rng.standard_normal(shape, dtype=np.float32)


def gemm(p: dict[str, Any], seed: int) -> Arrays:
    rng = _rng(seed, 1)
    return _normal(rng, p["n"], p["n"]), _normal(rng, p["n"], p["n"])


def gemm_gflop(p: dict[str, Any]) -> float:
    return 2.0 * p["n"] ** 3 / 1e9


def images(p: dict[str, Any], seed: int) -> Arrays:
    rng = _rng(seed, 2)
    x = _normal(rng, p["batch"], p["image"], p["image"], p["channels"][0])
    return x, rng.integers(0, p["classes"], p["batch"], dtype=np.int64)


def sequences(p: dict[str, Any], seed: int) -> np.ndarray:
    return _normal(_rng(seed, 3), p["batch"], p["seq"], p["input"])


def tokens(p: dict[str, Any], seed: int) -> np.ndarray:
    return _normal(_rng(seed, 4), p["batch"], p["seq"], p["d_model"])


def tabular(p: dict[str, Any], seed: int) -> Arrays:
    rng = _rng(seed, 5)
    x = _normal(rng, p["batch"], p["features"])
    return x, rng.integers(0, p["classes"], p["batch"], dtype=np.int64)


def architecture(p: dict[str, Any], seed: int) -> Arrays:
    """Inputs and targets for a real architecture (probes/architectures.py): NHWC images and
    classes, token ids (the targets of GPT-2 are the next tokens), or log-mel frames and a
    character per frame. Token ids are int32: both frameworks index embeddings with them."""
    rng, spec, batch = _rng(seed, 6), p["spec"], p["batch"]
    if p["arch"] in ("resnet50", "mobilenet_v2"):
        x = _normal(rng, batch, p["image"], p["image"], 3)
        return x, rng.integers(0, spec["classes"], batch, dtype=np.int64)
    if p["arch"] == "lstm_speech":
        x = _normal(rng, batch, p["frames"], spec["features"])
        return x, rng.integers(0, spec["classes"], (batch, p["frames"]), dtype=np.int64)
    ids = rng.integers(0, spec["vocab"], (batch, p["seq"] + 1), dtype=np.int32)
    return ids[:, :-1].copy(), ids[:, 1:].astype(np.int64)
