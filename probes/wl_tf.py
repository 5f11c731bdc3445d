"""The suite's workloads in TensorFlow (Keras 3 layers). Imported only inside its worker."""

from __future__ import annotations

import contextlib
import importlib.util
import os
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from fwadvise.probes import arch_tf, data
from fwadvise.probes.detect import detect_cpu
from fwadvise.probes.harness import (
    Prepared,
    Skipped,
    compiled_with_cache,
    deployed,
    xla_cache_warm,
)
from fwadvise.probes.stats import Budget
from fwadvise.probes.suite import Task
from fwadvise.probes.views import resolve_device, tf_view

Variables = list[tf.Variable]


class TFBackend:
    framework = "tensorflow"

    def __init__(self, requested: str, threads: int, seed: int) -> None:
        # TensorFlow ignores OMP_NUM_THREADS; these must be set before the runtime starts
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(1)
        self.threads = {
            "intra_op": tf.config.threading.get_intra_op_parallelism_threads(),
            "inter_op": tf.config.threading.get_inter_op_parallelism_threads(),
        }
        self.view = tf_view(tf, onednn_enabled())
        self.device, self.unusable = resolve_device(self.view, requested, self.framework)
        self.seed = seed
        keras.utils.set_random_seed(seed)
        self.cache_warm = xla_cache_warm()

    def info(self) -> dict[str, Any]:
        return {
            **self.view,
            "device": self.device,
            "device_error": self.unusable,
            "threads": self.threads,
            "compile_cache_warm": self.cache_warm,
        }

    def _placement(self) -> contextlib.AbstractContextManager[Any]:
        """Pin work to the chosen device (TensorFlow would pick a GPU by itself)."""
        if not self.view["devices"]["gpus"]:
            return contextlib.nullcontext()
        return tf.device("/GPU:0" if self.device in ("cuda", "mps") else "/CPU:0")

    def sync(self) -> Callable[[], None] | None:
        if self.device == "cpu":
            return None  # eager CPU ops have finished when they return
        return tf.test.experimental.sync_devices

    def reset_device_peak(self) -> None:
        if self.device == "cuda" and not self.unusable:
            tf.config.experimental.reset_memory_stats("GPU:0")

    def device_peak_mb(self) -> float | None:
        if self.device == "cuda" and not self.unusable:
            return round(tf.config.experimental.get_memory_info("GPU:0")["peak"] / 1024**2, 1)
        return None

    def compile_facts(self) -> dict[str, Any]:
        return {}  # jit_compile=True compiles the whole function with XLA, or raises

    # --- workloads ----------------------------------------------------------------------------

    def prepare(self, task: Task) -> Prepared:
        if self.unusable:
            raise RuntimeError(self.unusable)
        keras.utils.set_random_seed(self.seed)
        if "arch" in task.params:
            build: Callable[[dict[str, Any], bool], Prepared] = self._architecture
        else:
            build = getattr(self, "_" + task.workload.removesuffix("_bf16"))
        with self._placement():
            prepared = build(task.params, task.mode == "compiled")
        prepared = compiled_with_cache(prepared, task, self.cache_warm)
        if not self.view["devices"]["gpus"]:
            return prepared  # nothing to pin: spare the per-call context switch
        placement = self._placement

        def placed() -> Any:
            with placement():
                return prepared.fn()

        return Prepared(placed, prepared.work, prepared.unit, prepared.per_call, prepared.extra)

    def _gemm(self, p: dict[str, Any], compiled: bool) -> Prepared:
        dtype = {"float32": tf.float32, "bfloat16": tf.bfloat16}[p["dtype"]]
        if dtype == tf.bfloat16 and not self._bf16_ok():
            raise Skipped("no bf16 support on this device (CPU needs avx512_bf16 or amx_bf16)")
        a, b = (tf.cast(tf.constant(x), dtype) for x in data.gemm(p, self.seed))
        mm = tf.function(tf.linalg.matmul, jit_compile=True) if compiled else tf.linalg.matmul
        return Prepared(lambda: mm(a, b), work=data.gemm_gflop(p), unit="GFLOP/s")

    def _bf16_ok(self) -> bool:
        if self.device == "cuda":
            capability = (self.view["devices"]["gpus"][0].get("compute_capability") or "0").split(
                "."
            )[0]
            return int(capability) >= 8
        return self.device == "cpu" and bool(detect_cpu()["bf16"])

    def _conv(self, p: dict[str, Any], compiled: bool) -> Prepared:
        c0, c1, c2 = p["channels"]
        model = keras.Sequential(
            [
                keras.Input((p["image"], p["image"], c0)),
                keras.layers.Conv2D(c1, 3, padding="same", activation="relu"),
                keras.layers.Conv2D(c2, 3, padding="same", activation="relu"),
                keras.layers.GlobalAveragePooling2D(),
                keras.layers.Dense(p["classes"]),
            ]
        )
        images, labels = data.images(p, self.seed)
        x, y = tf.constant(images), tf.constant(labels)
        return self._step(
            model, x, lambda out: cross_entropy(y, out), compiled, None, p["batch"], "images/s"
        )

    def _lstm(self, p: dict[str, Any], compiled: bool) -> Prepared:
        model = keras.Sequential(
            [
                keras.Input((p["seq"], p["input"])),
                keras.layers.LSTM(p["hidden"], return_sequences=True),
            ]
        )
        x = tf.constant(data.sequences(p, self.seed))
        return self._step(model, x, mean_square, compiled, None, p["batch"], "sequences/s")

    def _transformer(self, p: dict[str, Any], compiled: bool) -> Prepared:
        model = encoder_layer(p)
        x = tf.constant(data.tokens(p, self.seed))
        opt = keras.optimizers.SGD(learning_rate=0.01)
        return self._step(model, x, mean_square, compiled, opt, p["batch"], "sequences/s")

    def _train_step(self, p: dict[str, Any], compiled: bool) -> Prepared:
        model = mlp(p)
        features, labels = data.tabular(p, self.seed)
        x, y = tf.constant(features), tf.constant(labels)
        opt = keras.optimizers.Adam(learning_rate=p["lr"])
        return self._step(
            model, x, lambda out: cross_entropy(y, out), compiled, opt, p["batch"], "samples/s"
        )

    def _infer_latency(self, p: dict[str, Any], compiled: bool) -> Prepared:
        model = mlp(p)
        x = tf.constant(data.tabular(p, self.seed)[0])

        def infer() -> tf.Tensor:
            return model(x, training=False)

        run = tf.function(infer, jit_compile=True) if compiled else infer
        return Prepared(run, work=1.0, unit="inferences/s", per_call=True)

    def _step(
        self,
        model: keras.Model,
        x: tf.Tensor,
        loss_of: Callable[[tf.Tensor], tf.Tensor],
        compiled: bool,
        opt: keras.optimizers.Optimizer | None,
        batch: int,
        unit: str,
    ) -> Prepared:
        """Forward, loss, gradients (and an optimizer step where the workload has one). A
        mixed-precision model computes in bf16/fp16; its loss is taken in float32, and fp16's
        is scaled (a LossScaleOptimizer: `opt`)."""
        variables: Variables = model.trainable_variables
        if opt is not None:
            opt.build(variables)  # slot variables now, not inside a traced function

        def step() -> tf.Tensor:
            with tf.GradientTape() as tape:
                loss = loss_of(tf.cast(model(x, training=True), tf.float32))
                scaled_loss = loss
                if isinstance(opt, keras.optimizers.LossScaleOptimizer):
                    scaled_loss = opt.scale_loss(loss)
            grads = tape.gradient(scaled_loss, variables)
            if opt is not None:
                opt.apply_gradients(zip(grads, variables, strict=True))
            return loss

        run = tf.function(step, jit_compile=True) if compiled else step
        return Prepared(run, work=float(batch), unit=unit)

    # --- real architectures (probes/architectures.py) -------------------------------------------

    def _architecture(self, p: dict[str, Any], compiled: bool) -> Prepared:
        p = {**p, **p.get(self.device, {})}  # a GPU runs the published recipe's batch
        policy = self._mixed(p["precision"])
        previous = keras.mixed_precision.global_policy()
        keras.mixed_precision.set_global_policy(policy)  # layers take it when they are made
        try:
            model = arch_tf.build(p["arch"], p["spec"], p)
        finally:
            keras.mixed_precision.set_global_policy(previous)
        x_np, y_np = data.architecture(p, self.seed)
        x, y = tf.constant(x_np), tf.constant(y_np)
        extra: dict[str, Any] = {"precision": policy.removeprefix("mixed_"), "batch": p["batch"]}
        if self.device == "cuda":
            extra["gpu_name"] = self.view["devices"]["gpus"][0].get("name")
        kind = p["kind"]
        if kind == "train":
            opt = self._optimizer(p["arch"], policy)
            loss_of = mean_square if p["arch"] == "bert_base" else per_item_cross_entropy(y)
            prepared = self._step(model, x, loss_of, compiled, opt, p["batch"], "samples/s")
        elif kind == "generate":
            prepared = self._generate(model, x, p, compiled)
        else:
            prepared = self._infer(model, x, compiled, p["batch"], per_call=kind == "latency")
        return Prepared(prepared.fn, prepared.work, prepared.unit, prepared.per_call, extra)

    def _mixed(self, precision: str) -> str:
        """The Keras policy of a row: bf16 where the device has it, fp16 on an older GPU; a CPU
        without bf16 instructions skips the row."""
        if precision == "float32":
            return "float32"
        if self._bf16_ok():
            return "mixed_bfloat16"
        if self.device == "cuda":
            return "mixed_float16"
        raise Skipped("no bf16 support on this device (CPU needs avx512_bf16 or amx_bf16)")

    @staticmethod
    def _optimizer(arch: str, policy: str) -> keras.optimizers.Optimizer:
        opt: keras.optimizers.Optimizer
        if arch in ("resnet50", "mobilenet_v2"):
            opt = keras.optimizers.SGD(learning_rate=0.01, momentum=0.9)
        else:  # PyTorch's AdamW defaults (Keras's weight decay differs)
            opt = keras.optimizers.AdamW(learning_rate=1e-4, weight_decay=0.01)
        return keras.optimizers.LossScaleOptimizer(opt) if policy == "mixed_float16" else opt

    def _infer(
        self, model: keras.Model, x: tf.Tensor, compiled: bool, batch: int, per_call: bool
    ) -> Prepared:
        def infer() -> tf.Tensor:
            return model(x, training=False)

        run = tf.function(infer, jit_compile=True) if compiled else infer
        unit = "inferences/s" if per_call else "samples/s"
        return Prepared(run, work=float(batch), unit=unit, per_call=per_call)

    def _generate(
        self, model: arch_tf.GPT2, prompt: tf.Tensor, p: dict[str, Any], compiled: bool
    ) -> Prepared:
        """Greedy decoding of `new_tokens` after the prompt's first token, one token a step,
        with a key/value cache as long as the sequence (static shapes: compiled once)."""
        step = tf.function(model.step, jit_compile=True) if compiled else model.step
        length, new = p["seq"], p["new_tokens"]
        slots = tf.unstack(tf.eye(length))
        positions = [tf.constant(i) for i in range(new)]  # tensors: one trace for every step
        first = prompt[:, :1]

        def generate() -> tf.Tensor:
            caches = model.empty_cache(int(first.shape[0]), length)
            token = first
            for i in range(new):
                logits, caches = step(token, positions[i], slots[i], caches)
                token = tf.argmax(logits, -1, output_type=tf.int32)[:, None]
            return token

        return Prepared(generate, work=float(new * first.shape[0]), unit="tokens/s", per_call=True)

    # --- deployment ---------------------------------------------------------------------------

    def deploy(self, task: Task, budget: Budget) -> dict[str, Any]:
        if self.unusable:
            raise RuntimeError(self.unusable)
        model = mlp(task.params)
        x = data.tabular(task.params, self.seed)[0]
        expected = model(x, training=False).numpy()
        with tempfile.TemporaryDirectory() as tmp:
            start = time.perf_counter()
            # Keras 3 models convert reliably through a SavedModel (from_concrete_functions
            # silently drops the weights: the converted model answers NaN)
            model.export(str(Path(tmp) / "saved"), format="tf_saved_model", verbose=False)
            flat = tf.lite.TFLiteConverter.from_saved_model(str(Path(tmp) / "saved")).convert()
            convert_s = time.perf_counter() - start
        interpreter, runtime = tflite_interpreter(flat, self.threads["intra_op"])
        interpreter.allocate_tensors()
        inp = interpreter.get_input_details()[0]["index"]
        out = interpreter.get_output_details()[0]["index"]

        def call() -> np.ndarray:
            interpreter.set_tensor(inp, x)
            interpreter.invoke()
            return interpreter.get_tensor(out)

        return deployed(call, expected, budget, len(flat), convert_s, runtime)


def tflite_interpreter(flat: bytes, threads: int) -> tuple[Any, str]:
    """LiteRT (ai_edge_litert) where installed, else tf.lite's deprecated interpreter."""
    if importlib.util.find_spec("ai_edge_litert") is not None:
        from ai_edge_litert.interpreter import Interpreter

        return Interpreter(model_content=flat, num_threads=threads), "LiteRT (ai_edge_litert)"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "tf.lite.Interpreter is deprecated": known, reported
        return tf.lite.Interpreter(model_content=flat, num_threads=threads), "tf.lite.Interpreter"


def encoder_layer(p: dict[str, Any]) -> keras.Model:
    """torch.nn.TransformerEncoderLayer's shape: post-norm, ReLU feed-forward, no dropout."""
    d, heads = p["d_model"], p["heads"]
    inputs = keras.Input((p["seq"], d))
    attended = keras.layers.MultiHeadAttention(heads, d // heads)(inputs, inputs)
    h = keras.layers.LayerNormalization(epsilon=1e-5)(inputs + attended)
    ff = keras.layers.Dense(d)(keras.layers.Dense(p["ff"], activation="relu")(h))
    return keras.Model(inputs, keras.layers.LayerNormalization(epsilon=1e-5)(h + ff))


def mlp(p: dict[str, Any]) -> keras.Model:
    return keras.Sequential(
        [
            keras.Input((p["features"],)),
            keras.layers.Dense(p["hidden"], activation="relu"),
            keras.layers.Dense(p["classes"]),
        ]
    )


def cross_entropy(labels: tf.Tensor, logits: tf.Tensor) -> tf.Tensor:
    return tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels, logits))


def per_item_cross_entropy(labels: tf.Tensor) -> Callable[[tf.Tensor], tf.Tensor]:
    """Cross-entropy per image, per frame or per next token (logits last)."""

    def loss(logits: tf.Tensor) -> tf.Tensor:
        flat = tf.reshape(logits, (-1, tf.shape(logits)[-1]))
        return cross_entropy(tf.reshape(labels, (-1,)), flat)

    return loss


def mean_square(out: tf.Tensor) -> tf.Tensor:
    return tf.reduce_mean(tf.square(out))


def onednn_enabled() -> bool | None:
    """Whether TensorFlow's oneDNN kernels are on (TF_ENABLE_ONEDNN_OPTS=0 turns them off)."""
    try:
        from tensorflow.python.util import _pywrap_util_port
    except ImportError:
        return None
    return bool(_pywrap_util_port.IsMklEnabled()) and os.environ.get("TF_ENABLE_ONEDNN_OPTS") != "0"


def load(requested: str, threads: int, seed: int) -> TFBackend:
    return TFBackend(requested, threads, seed)
