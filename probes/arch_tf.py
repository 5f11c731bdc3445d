"""The architectures of probes/architectures.py in TensorFlow (Keras 3 layers). Imported only
inside a tensorflow worker.

The same layers as probes/arch_torch.py, from the same specs: explicit zero padding before
strided convolutions (PyTorch's symmetric padding), BatchNorm with PyTorch's epsilon and
momentum, LayerNorm epsilons as the published models have them.
"""

from __future__ import annotations

import math
from typing import Any

import keras
import tensorflow as tf

Spec = dict[str, Any]
L = keras.layers


# --- convolutional ------------------------------------------------------------------------------


def conv_bn(x: Any, c_out: int, k: int, stride: int = 1, depthwise: bool = False) -> Any:
    if k > 1:
        x = L.ZeroPadding2D(k // 2)(x)
    if depthwise:
        x = L.DepthwiseConv2D(k, stride, use_bias=False)(x)
    else:
        x = L.Conv2D(c_out, k, stride, use_bias=False)(x)
    return L.BatchNormalization(epsilon=1e-5, momentum=0.9)(x)


def bottleneck(x: Any, c_in: int, width: int, stride: int) -> Any:
    out = width * 4
    y = L.ReLU()(conv_bn(x, width, 1))
    y = L.ReLU()(conv_bn(y, width, 3, stride))
    y = conv_bn(y, out, 1)
    shortcut = conv_bn(x, out, 1, stride) if stride != 1 or c_in != out else x
    return L.ReLU()(y + shortcut)


def resnet50(spec: Spec, image: int) -> keras.Model:
    inputs = keras.Input((image, image, 3))
    x = L.ReLU()(conv_bn(inputs, spec["stem"], 7, 2))
    x = L.MaxPooling2D(3, 2)(L.ZeroPadding2D(1)(x))
    c_in = spec["stem"]
    for i, (width, blocks) in enumerate(spec["stages"]):
        for b in range(blocks):
            x = bottleneck(x, c_in, width, 2 if b == 0 and i > 0 else 1)
            c_in = width * 4
    x = L.GlobalAveragePooling2D()(x)
    return keras.Model(inputs, L.Dense(spec["classes"])(x))


def inverted_residual(x: Any, c_in: int, c_out: int, stride: int, expand: int) -> Any:
    y = x
    if expand != 1:
        y = L.ReLU(6.0)(conv_bn(y, c_in * expand, 1))
    y = L.ReLU(6.0)(conv_bn(y, c_in * expand, 3, stride, depthwise=True))
    y = conv_bn(y, c_out, 1)
    return x + y if stride == 1 and c_in == c_out else y


def mobilenet_v2(spec: Spec, image: int) -> keras.Model:
    inputs = keras.Input((image, image, 3))
    x = L.ReLU(6.0)(conv_bn(inputs, spec["stem"], 3, 2))
    c_in = spec["stem"]
    for expand, c_out, repeats, stride in spec["blocks"]:
        for r in range(repeats):
            x = inverted_residual(x, c_in, c_out, stride if r == 0 else 1, expand)
            c_in = c_out
    x = L.ReLU(6.0)(conv_bn(x, spec["last"], 1))
    x = L.GlobalAveragePooling2D()(x)
    return keras.Model(inputs, L.Dense(spec["classes"])(x))


# --- transformers -------------------------------------------------------------------------------


class Attention(keras.layers.Layer):
    """Multi-head self-attention with one fused q/k/v projection (GPT-2's c_attn)."""

    def __init__(self, d: int, heads: int, causal: bool, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.heads, self.causal = heads, causal
        self.qkv = L.Dense(3 * d)
        self.out = L.Dense(d)

    def split(self, x: tf.Tensor) -> list[tf.Tensor]:
        b, t = tf.shape(x)[0], tf.shape(x)[1]
        parts = tf.split(self.qkv(x), 3, axis=-1)
        return [tf.transpose(tf.reshape(z, (b, t, self.heads, -1)), (0, 2, 1, 3)) for z in parts]

    def merge(self, y: tf.Tensor) -> tf.Tensor:
        b, t = tf.shape(y)[0], tf.shape(y)[2]
        return self.out(tf.reshape(tf.transpose(y, (0, 2, 1, 3)), (b, t, -1)))

    def call(self, x: tf.Tensor) -> tf.Tensor:
        q, k, v = self.split(x)
        scores = tf.matmul(q, k, transpose_b=True) / math.sqrt(q.shape[-1])
        if self.causal:
            t = tf.shape(x)[1]
            allowed = tf.linalg.band_part(tf.ones((t, t), tf.bool), -1, 0)
            scores = tf.where(allowed, scores, tf.cast(-1e9, scores.dtype))
        return self.merge(tf.matmul(tf.nn.softmax(scores, -1), v))

    def step(
        self, x: tf.Tensor, cache: tuple[tf.Tensor, tf.Tensor], slot: tf.Tensor
    ) -> tuple[tf.Tensor, tuple[tf.Tensor, tf.Tensor]]:
        """One new token at position `slot` (one-hot over the cache's length), with the cache."""
        q, k, v = self.split(x)
        where = tf.reshape(tf.cast(slot, x.dtype), (1, 1, -1, 1))
        keys = cache[0] * (1 - where) + k * where  # static shapes: XLA needs no re-trace
        values = cache[1] * (1 - where) + v * where
        seen = tf.reverse(tf.cumsum(tf.reverse(slot, [0])), [0]) > 0  # positions up to this one
        scores = tf.matmul(q, keys, transpose_b=True) / math.sqrt(q.shape[-1])
        scores = tf.where(tf.reshape(seen, (1, 1, 1, -1)), scores, tf.cast(-1e9, scores.dtype))
        return self.merge(tf.matmul(tf.nn.softmax(scores, -1), values)), (keys, values)


class FeedForward(keras.layers.Layer):
    def __init__(self, d: int, ff: int, approximate: bool, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.up, self.down, self.approximate = L.Dense(ff), L.Dense(d), approximate

    def call(self, x: tf.Tensor) -> tf.Tensor:
        return self.down(tf.nn.gelu(self.up(x), approximate=self.approximate))


class EncoderLayer(keras.layers.Layer):
    """BERT's layer: post-norm, exact GELU, LayerNorm eps 1e-12."""

    def __init__(self, d: int, heads: int, ff: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.attention = Attention(d, heads, causal=False)
        self.norm1 = L.LayerNormalization(epsilon=1e-12)
        self.ff = FeedForward(d, ff, approximate=False)
        self.norm2 = L.LayerNormalization(epsilon=1e-12)

    def call(self, x: tf.Tensor) -> tf.Tensor:
        x = self.norm1(x + self.attention(x))
        return self.norm2(x + self.ff(x))


class Bert(keras.Model):
    """BERT-base: embeddings (word, position, token type, LayerNorm), encoder, pooler."""

    def __init__(self, spec: Spec, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        d = spec["d_model"]
        self.words = L.Embedding(spec["vocab"], d)
        self.positions = L.Embedding(spec["positions"], d)
        self.types = L.Embedding(spec["types"], d)
        self.norm = L.LayerNormalization(epsilon=1e-12)
        self.encoder = [EncoderLayer(d, spec["heads"], spec["ff"]) for _ in range(spec["layers"])]
        self.pooler = L.Dense(d, activation="tanh")

    def call(self, ids: tf.Tensor) -> tf.Tensor:
        positions = tf.range(tf.shape(ids)[1])
        x = self.words(ids) + self.positions(positions)[None] + self.types(tf.zeros_like(ids))
        h = self.norm(x)
        for layer in self.encoder:
            h = layer(h)
        return self.pooler(h[:, 0])


class DecoderLayer(keras.layers.Layer):
    """GPT-2's block: pre-norm, tanh-approximated GELU, 4x feed-forward."""

    def __init__(self, d: int, heads: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.norm1 = L.LayerNormalization(epsilon=1e-5)
        self.attention = Attention(d, heads, causal=True)
        self.norm2 = L.LayerNormalization(epsilon=1e-5)
        self.ff = FeedForward(d, 4 * d, approximate=True)

    def call(self, x: tf.Tensor) -> tf.Tensor:
        x = x + self.attention(self.norm1(x))
        return x + self.ff(self.norm2(x))

    def step(
        self, x: tf.Tensor, cache: tuple[tf.Tensor, tf.Tensor], slot: tf.Tensor
    ) -> tuple[tf.Tensor, tuple[tf.Tensor, tf.Tensor]]:
        attended, cache = self.attention.step(self.norm1(x), cache, slot)
        x = x + attended
        return x + self.ff(self.norm2(x)), cache


class GPT2(keras.Model):
    """GPT-2 small; the output layer is the token embedding, transposed (tied)."""

    def __init__(self, spec: Spec, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        d = spec["d_model"]
        self.spec = spec
        self.tokens = L.Embedding(spec["vocab"], d)
        self.positions = L.Embedding(spec["positions"], d)
        self.decoder = [DecoderLayer(d, spec["heads"]) for _ in range(spec["layers"])]
        self.norm = L.LayerNormalization(epsilon=1e-5)

    def logits(self, h: tf.Tensor) -> tf.Tensor:
        table = tf.cast(self.tokens.embeddings, h.dtype)
        return tf.matmul(self.norm(h), table, transpose_b=True)

    def call(self, ids: tf.Tensor) -> tf.Tensor:
        h = self.tokens(ids) + self.positions(tf.range(tf.shape(ids)[1]))[None]
        for layer in self.decoder:
            h = layer(h)
        return self.logits(h)

    def empty_cache(self, batch: int, length: int) -> list[tuple[tf.Tensor, tf.Tensor]]:
        heads = self.spec["heads"]
        shape = (batch, heads, length, self.spec["d_model"] // heads)
        dtype = self.compute_dtype
        return [(tf.zeros(shape, dtype), tf.zeros(shape, dtype)) for _ in self.decoder]

    def step(
        self,
        token: tf.Tensor,
        position: tf.Tensor,
        slot: tf.Tensor,
        caches: list[tuple[tf.Tensor, tf.Tensor]],
    ) -> tuple[tf.Tensor, list[tuple[tf.Tensor, tf.Tensor]]]:
        """Logits for the next token after `token` (batch, 1) at `position`, with the cache."""
        h = self.tokens(token) + tf.reshape(self.positions(position), (1, 1, -1))
        new = []
        for layer, cache in zip(self.decoder, caches, strict=True):
            h, cache = layer.step(h, cache, slot)
            new.append(cache)
        return self.logits(h)[:, -1], new


# --- recurrent ----------------------------------------------------------------------------------


def lstm_speech(spec: Spec, frames: int) -> keras.Model:
    """Stacked LSTM over log-mel frames, a character's logits per frame."""
    inputs = keras.Input((frames, spec["features"]))
    x = inputs
    for _ in range(spec["layers"]):
        x = L.LSTM(spec["hidden"], return_sequences=True)(x)
    return keras.Model(inputs, L.Dense(spec["classes"])(x))


def build(arch: str, spec: Spec, p: dict[str, Any]) -> keras.Model:
    """The model, its weights created (a subclassed model is built by a first call)."""
    if arch == "resnet50":
        return resnet50(spec, p["image"])
    if arch == "mobilenet_v2":
        return mobilenet_v2(spec, p["image"])
    if arch == "lstm_speech":
        return lstm_speech(spec, p["frames"])
    model = Bert(spec) if arch == "bert_base" else GPT2(spec)
    model(tf.zeros((1, p["seq"]), tf.int32))
    return model


def trainable_parameters(model: keras.Model) -> int:
    return sum(int(math.prod(w.shape)) for w in model.trainable_weights)
