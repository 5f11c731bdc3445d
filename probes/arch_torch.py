"""The architectures of probes/architectures.py in PyTorch. Imported only inside a pytorch worker.

probes/arch_tf.py builds the same layers from the same specs; the test compares parameter
counts. Layers are built by hand (no torchvision) so both sides follow one written spec.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

Spec = dict[str, Any]


# --- convolutional ------------------------------------------------------------------------------


def conv_bn(c_in: int, c_out: int, k: int, stride: int = 1, groups: int = 1) -> list[nn.Module]:
    return [
        nn.Conv2d(c_in, c_out, k, stride, padding=k // 2, groups=groups, bias=False),
        nn.BatchNorm2d(c_out),  # eps 1e-5, momentum 0.1: arch_tf.py sets Keras to the same
    ]


class Bottleneck(nn.Module):
    """ResNet v1.5 bottleneck: 1x1, 3x3 (carrying the stride), 1x1 x4, projection shortcut."""

    def __init__(self, c_in: int, width: int, stride: int) -> None:
        super().__init__()
        out = width * 4
        self.body = nn.Sequential(
            *conv_bn(c_in, width, 1),
            nn.ReLU(),
            *conv_bn(width, width, 3, stride),
            nn.ReLU(),
            *conv_bn(width, out, 1),
        )
        project = stride != 1 or c_in != out
        self.shortcut = nn.Sequential(*conv_bn(c_in, out, 1, stride)) if project else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.body(x) + self.shortcut(x))


def resnet50(spec: Spec) -> nn.Module:
    layers: list[nn.Module] = [*conv_bn(3, spec["stem"], 7, 2), nn.ReLU(), nn.MaxPool2d(3, 2, 1)]
    c_in = spec["stem"]
    for i, (width, blocks) in enumerate(spec["stages"]):
        for b in range(blocks):
            layers.append(Bottleneck(c_in, width, 2 if b == 0 and i > 0 else 1))
            c_in = width * 4
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(c_in, spec["classes"])]
    return nn.Sequential(*layers)


class InvertedResidual(nn.Module):
    def __init__(self, c_in: int, c_out: int, stride: int, expand: int) -> None:
        super().__init__()
        hidden = c_in * expand
        layers: list[nn.Module] = []
        if expand != 1:
            layers += [*conv_bn(c_in, hidden, 1), nn.ReLU6()]
        layers += [*conv_bn(hidden, hidden, 3, stride, groups=hidden), nn.ReLU6()]
        layers += conv_bn(hidden, c_out, 1)  # linear bottleneck: no activation
        self.body = nn.Sequential(*layers)
        self.residual = stride == 1 and c_in == c_out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x) if self.residual else self.body(x)


def mobilenet_v2(spec: Spec) -> nn.Module:
    layers: list[nn.Module] = [*conv_bn(3, spec["stem"], 3, 2), nn.ReLU6()]
    c_in = spec["stem"]
    for expand, c_out, repeats, stride in spec["blocks"]:
        for r in range(repeats):
            layers.append(InvertedResidual(c_in, c_out, stride if r == 0 else 1, expand))
            c_in = c_out
    layers += [*conv_bn(c_in, spec["last"], 1), nn.ReLU6()]
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(spec["last"], spec["classes"])]
    return nn.Sequential(*layers)


# --- transformers -------------------------------------------------------------------------------


class Attention(nn.Module):
    """Multi-head self-attention with one fused q/k/v projection (GPT-2's c_attn)."""

    def __init__(self, d: int, heads: int, causal: bool) -> None:
        super().__init__()
        self.heads, self.causal = heads, causal
        self.qkv = nn.Linear(d, 3 * d)
        self.out = nn.Linear(d, d)

    def split(self, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        b, t, _ = x.shape
        q, k, v = self.qkv(x).chunk(3, dim=-1)
        return tuple(z.view(b, t, self.heads, -1).transpose(1, 2) for z in (q, k, v))

    def merge(self, y: torch.Tensor) -> torch.Tensor:
        b, _, t, _ = y.shape
        return self.out(y.transpose(1, 2).reshape(b, t, -1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        q, k, v = self.split(x)
        return self.merge(F.scaled_dot_product_attention(q, k, v, is_causal=self.causal))

    def step(
        self, x: torch.Tensor, cache: tuple[torch.Tensor, torch.Tensor], slot: torch.Tensor
    ) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
        """One new token at position `slot` (one-hot over the cache's length), with the cache."""
        q, k, v = self.split(x)
        where = slot.view(1, 1, -1, 1)
        keys = cache[0] * (1 - where) + k * where  # static shapes: compilers need no re-trace
        values = cache[1] * (1 - where) + v * where
        seen = torch.cumsum(slot.flip(0), 0).flip(0) > 0  # positions up to this one
        scores = (q @ keys.transpose(-1, -2)) / math.sqrt(q.shape[-1])
        scores = scores.masked_fill(~seen.view(1, 1, 1, -1), float("-inf"))
        return self.merge(scores.softmax(-1) @ values), (keys, values)


def feed_forward(d: int, ff: int, gelu: str) -> nn.Sequential:
    return nn.Sequential(nn.Linear(d, ff), nn.GELU(approximate=gelu), nn.Linear(ff, d))


class EncoderLayer(nn.Module):
    """BERT's layer: post-norm, exact GELU, LayerNorm eps 1e-12."""

    def __init__(self, d: int, heads: int, ff: int) -> None:
        super().__init__()
        self.attention = Attention(d, heads, causal=False)
        self.norm1 = nn.LayerNorm(d, eps=1e-12)
        self.ff = feed_forward(d, ff, "none")
        self.norm2 = nn.LayerNorm(d, eps=1e-12)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.norm1(x + self.attention(x))
        return self.norm2(x + self.ff(x))


class Bert(nn.Module):
    """BERT-base: embeddings (word, position, token type, LayerNorm), encoder, pooler."""

    def __init__(self, spec: Spec) -> None:
        super().__init__()
        d = spec["d_model"]
        self.words = nn.Embedding(spec["vocab"], d)
        self.positions = nn.Embedding(spec["positions"], d)
        self.types = nn.Embedding(spec["types"], d)
        self.norm = nn.LayerNorm(d, eps=1e-12)
        self.layers = nn.Sequential(
            *(EncoderLayer(d, spec["heads"], spec["ff"]) for _ in range(spec["layers"]))
        )
        self.pooler = nn.Linear(d, d)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        positions = torch.arange(ids.shape[1], device=ids.device)
        x = self.words(ids) + self.positions(positions) + self.types(torch.zeros_like(ids))
        h = self.layers(self.norm(x))
        return torch.tanh(self.pooler(h[:, 0]))


class DecoderLayer(nn.Module):
    """GPT-2's block: pre-norm, tanh-approximated GELU, 4x feed-forward."""

    def __init__(self, d: int, heads: int) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(d, eps=1e-5)
        self.attention = Attention(d, heads, causal=True)
        self.norm2 = nn.LayerNorm(d, eps=1e-5)
        self.ff = feed_forward(d, 4 * d, "tanh")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attention(self.norm1(x))
        return x + self.ff(self.norm2(x))

    def step(
        self, x: torch.Tensor, cache: tuple[torch.Tensor, torch.Tensor], slot: torch.Tensor
    ) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
        attended, cache = self.attention.step(self.norm1(x), cache, slot)
        x = x + attended
        return x + self.ff(self.norm2(x)), cache


class GPT2(nn.Module):
    """GPT-2 small; the output layer is the token embedding, transposed (tied)."""

    def __init__(self, spec: Spec) -> None:
        super().__init__()
        d = spec["d_model"]
        self.spec = spec
        self.tokens = nn.Embedding(spec["vocab"], d)
        self.positions = nn.Embedding(spec["positions"], d)
        self.layers: list[DecoderLayer] = nn.ModuleList(  # type: ignore[assignment]
            DecoderLayer(d, spec["heads"]) for _ in range(spec["layers"])
        )
        self.norm = nn.LayerNorm(d, eps=1e-5)

    def logits(self, h: torch.Tensor) -> torch.Tensor:
        return self.norm(h) @ self.tokens.weight.T

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        h = self.tokens(ids) + self.positions(torch.arange(ids.shape[1], device=ids.device))
        for layer in self.layers:
            h = layer(h)
        return self.logits(h)

    def empty_cache(self, batch: int, length: int) -> list[tuple[torch.Tensor, torch.Tensor]]:
        heads = self.spec["heads"]
        shape = (batch, heads, length, self.spec["d_model"] // heads)
        weight = self.tokens.weight
        zeros = lambda: torch.zeros(shape, dtype=weight.dtype, device=weight.device)  # noqa: E731
        return [(zeros(), zeros()) for _ in self.layers]

    def step(
        self,
        token: torch.Tensor,
        position: torch.Tensor,
        slot: torch.Tensor,
        caches: list[tuple[torch.Tensor, torch.Tensor]],
    ) -> tuple[torch.Tensor, list[tuple[torch.Tensor, torch.Tensor]]]:
        """Logits for the next token after `token` (batch, 1) at `position`, with the cache."""
        h = self.tokens(token) + self.positions(position).view(1, 1, -1)
        new = []
        for layer, cache in zip(self.layers, caches, strict=True):
            h, cache = layer.step(h, cache, slot)
            new.append(cache)
        return self.logits(h)[:, -1], new


# --- recurrent ----------------------------------------------------------------------------------


class SpeechLSTM(nn.Module):
    """Stacked LSTM over log-mel frames, a character's logits per frame.

    PyTorch's LSTM has two biases per gate (b_ih + b_hh) where Keras has one; the second is held
    at zero and not trained, so both frameworks train the same function with the same
    parameters (and the same trainable count)."""

    def __init__(self, spec: Spec) -> None:
        super().__init__()
        self.rnn = nn.LSTM(spec["features"], spec["hidden"], spec["layers"], batch_first=True)
        for name, param in self.rnn.named_parameters():
            if name.startswith("bias_hh"):
                nn.init.zeros_(param)
                param.requires_grad_(False)
        self.out = nn.Linear(spec["hidden"], spec["classes"])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(self.rnn(x)[0])


BUILDERS = {
    "resnet50": resnet50,
    "mobilenet_v2": mobilenet_v2,
    "bert_base": Bert,
    "gpt2_small": GPT2,
    "lstm_speech": SpeechLSTM,
}


def build(arch: str, spec: Spec) -> nn.Module:
    model: nn.Module = BUILDERS[arch](spec)
    return model


def trainable_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
