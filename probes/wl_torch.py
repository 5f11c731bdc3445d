"""The suite's workloads in PyTorch. Imported only inside a pytorch worker process."""

from __future__ import annotations

import contextlib
import importlib.util
import io
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from fwadvise.probes import arch_torch, data
from fwadvise.probes.detect import detect_cpu
from fwadvise.probes.harness import Prepared, Skipped, compiled_with_cache, deployed
from fwadvise.probes.stats import Budget
from fwadvise.probes.suite import Task
from fwadvise.probes.views import resolve_device, torch_view


class TorchBackend:
    framework = "pytorch"

    def __init__(self, requested: str, threads: int, seed: int) -> None:
        torch.set_num_threads(threads)
        # must precede any inter-op parallel work; the worker has done none yet
        with contextlib.suppress(RuntimeError):
            torch.set_num_interop_threads(1)
        self.threads = {
            "intra_op": torch.get_num_threads(),
            "inter_op": torch.get_num_interop_threads(),
        }
        self.view = torch_view(torch)
        self.device, self.unusable = resolve_device(self.view, requested, self.framework)
        self.seed = seed
        self.cache_warm = compile_cache_warm()

    # --- facts --------------------------------------------------------------------------------

    def info(self) -> dict[str, Any]:
        return {
            **self.view,
            "device": self.device,
            "device_error": self.unusable,
            "threads": self.threads,
            "compile_cache_warm": self.cache_warm,
        }

    def sync(self) -> Callable[[], None] | None:
        if self.device == "cuda":
            return torch.cuda.synchronize
        if self.device == "mps":
            return torch.mps.synchronize
        return None

    def reset_device_peak(self) -> None:
        if self.device == "cuda" and not self.unusable:
            torch.cuda.reset_peak_memory_stats()

    def device_peak_mb(self) -> float | None:
        if self.device == "cuda" and not self.unusable:
            return round(torch.cuda.max_memory_allocated() / 1024**2, 1)
        return None

    def compile_facts(self) -> dict[str, Any]:
        """What torch.compile made of the row's model on its first call. Dynamo runs what it
        cannot trace eagerly and says so only in its counters: a whole nn.LSTM model, for one
        (`torch._dynamo.config.allow_rnn` is off by default), then compiles no graph at all."""
        counters = dynamo_counters()
        facts: dict[str, Any] = {
            "compiled_graphs": counters["stats"]["unique_graphs"],
            "graph_breaks": sum(counters["graph_break"].values()),
        }
        if not facts["compiled_graphs"]:
            reasons = [str(reason).strip().splitlines()[0] for reason in counters["unimplemented"]]
            facts["compile_fallback"] = "; ".join(reasons) or "Dynamo compiled no graph"
        return facts

    # --- workloads ----------------------------------------------------------------------------

    def prepare(self, task: Task) -> Prepared:
        if self.unusable:
            raise RuntimeError(self.unusable)
        torch.manual_seed(self.seed)
        if task.mode == "compiled":
            # Every torch.compile'd module enters Dynamo through one shared wrapper frame, so
            # without a reset each later row recompiled that frame: with dynamic shapes (a cold
            # ResNet-50 training step took 104 s, against 44 s as a worker's first compile),
            # and past Dynamo's recompile limit (8) not compiled at all. Each row compiles as
            # in a fresh process; the earlier rows' compiled code is no longer needed.
            torch.compiler.reset()
            dynamo_counters().clear()  # compile_facts reads this row's alone
        if "arch" in task.params:
            prepared = self._architecture(task.params, task.mode == "compiled")
        else:
            build = getattr(self, "_" + task.workload.removesuffix("_bf16"))
            prepared = build(task.params, task.mode == "compiled")
        return compiled_with_cache(prepared, task, self.cache_warm)

    def _tensor(self, array: np.ndarray, dtype: torch.dtype | None = None) -> torch.Tensor:
        return torch.from_numpy(array).to(self.device, dtype=dtype)

    def _gemm(self, p: dict[str, Any], compiled: bool) -> Prepared:
        dtype = {"float32": torch.float32, "bfloat16": torch.bfloat16}[p["dtype"]]
        if dtype is torch.bfloat16 and not self._bf16_ok():
            raise Skipped("no bf16 support on this device (CPU needs avx512_bf16 or amx_bf16)")
        a, b = (self._tensor(x, dtype) for x in data.gemm(p, self.seed))
        mm = torch.compile(torch.mm) if compiled else torch.mm
        return Prepared(lambda: mm(a, b), work=data.gemm_gflop(p), unit="GFLOP/s")

    def _bf16_ok(self) -> bool:
        if self.device == "cuda":
            return bool(torch.cuda.is_bf16_supported())
        return self.device == "cpu" and bool(detect_cpu()["bf16"])

    def _conv(self, p: dict[str, Any], compiled: bool) -> Prepared:
        c0, c1, c2 = p["channels"]
        model = nn.Sequential(
            nn.Conv2d(c0, c1, 3, padding=1),
            nn.ReLU(),
            nn.Conv2d(c1, c2, 3, padding=1),
            nn.ReLU(),
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
            nn.Linear(c2, p["classes"]),
        )
        images, labels = data.images(p, self.seed)
        x = self._tensor(images.transpose(0, 3, 1, 2).copy())  # NHWC data, PyTorch's NCHW layout
        y = self._tensor(labels)
        return self._step(
            model, x, lambda out: F.cross_entropy(out, y), compiled, None, p["batch"], "images/s"
        )

    def _lstm(self, p: dict[str, Any], compiled: bool) -> Prepared:
        model = LastOutput(nn.LSTM(p["input"], p["hidden"], batch_first=True))
        x = self._tensor(data.sequences(p, self.seed))
        return self._step(model, x, mean_square, compiled, None, p["batch"], "sequences/s")

    def _transformer(self, p: dict[str, Any], compiled: bool) -> Prepared:
        model = nn.TransformerEncoderLayer(
            p["d_model"], p["heads"], p["ff"], dropout=0.0, batch_first=True, layer_norm_eps=1e-5
        )
        x = self._tensor(data.tokens(p, self.seed))
        opt = lambda params: torch.optim.SGD(params, lr=0.01)  # noqa: E731
        return self._step(model, x, mean_square, compiled, opt, p["batch"], "sequences/s")

    def _train_step(self, p: dict[str, Any], compiled: bool) -> Prepared:
        model = mlp(p)
        features, labels = data.tabular(p, self.seed)
        x, y = self._tensor(features), self._tensor(labels)
        opt = lambda params: torch.optim.Adam(params, lr=p["lr"])  # noqa: E731
        return self._step(
            model, x, lambda out: F.cross_entropy(out, y), compiled, opt, p["batch"], "samples/s"
        )

    def _infer_latency(self, p: dict[str, Any], compiled: bool) -> Prepared:
        model = mlp(p).to(self.device).eval()
        run = torch.compile(model) if compiled else model
        x = self._tensor(data.tabular(p, self.seed)[0])

        def infer() -> torch.Tensor:
            with torch.inference_mode():
                return run(x)

        return Prepared(infer, work=1.0, unit="inferences/s", per_call=True)

    def _step(
        self,
        model: nn.Module,
        x: torch.Tensor,
        loss_of: Callable[[torch.Tensor], torch.Tensor],
        compiled: bool,
        optimizer: Callable[[Any], torch.optim.Optimizer] | None,
        batch: int,
        unit: str,
        mixed: torch.dtype | None = None,
    ) -> Prepared:
        """Forward, loss, backward (and an optimizer step where the workload has one); under
        autocast to `mixed` (bf16, or fp16 with a gradient scaler) where given."""
        model = model.to(self.device).train()
        params = [p for p in model.parameters() if p.requires_grad]
        opt = optimizer(params) if optimizer else None
        run = torch.compile(model) if compiled else model
        autocast = lambda: torch.autocast(self.device, mixed, enabled=mixed is not None)  # noqa: E731
        scaler = torch.amp.GradScaler(self.device, enabled=mixed is torch.float16)

        def step() -> torch.Tensor:
            for param in params:
                param.grad = None
            with autocast():
                loss = loss_of(run(x).float())
            scaler.scale(loss).backward()
            if opt is not None:
                scaler.step(opt)
                scaler.update()
            return loss

        return Prepared(step, work=float(batch), unit=unit)

    # --- real architectures (probes/architectures.py) -------------------------------------------

    def _architecture(self, p: dict[str, Any], compiled: bool) -> Prepared:
        p = {**p, **p.get(self.device, {})}  # a GPU runs the published recipe's batch
        mixed = self._mixed(p["precision"])
        model = arch_torch.build(p["arch"], p["spec"]).to(self.device)
        x_np, y_np = data.architecture(p, self.seed)
        images = x_np.ndim == 4
        x = self._tensor(x_np.transpose(0, 3, 1, 2).copy() if images else x_np)
        if x.dtype == torch.int32:
            x = x.long()  # token ids: nn.Embedding takes int64
        extra: dict[str, Any] = {
            "precision": str(mixed).removeprefix("torch.") if mixed else "float32",
            "batch": p["batch"],  # a GPU's may differ from the params' (the recipe's size)
        }
        if self.device == "cuda":
            extra["gpu_name"] = torch.cuda.get_device_name()
        kind = p["kind"]
        if kind == "train":
            prepared = self._step(
                model, x, self._loss(p["arch"], self._tensor(y_np)), compiled,
                self._optimizer(p["arch"]), p["batch"], "samples/s", mixed,
            )  # fmt: skip
        elif kind == "generate":
            assert isinstance(model, arch_torch.GPT2)
            prepared = self._generate(model, x, p, compiled)
        else:
            prepared = self._infer(model, x, compiled, p["batch"], per_call=kind == "latency")
        return Prepared(prepared.fn, prepared.work, prepared.unit, prepared.per_call, extra)

    def _mixed(self, precision: str) -> torch.dtype | None:
        """The autocast type of a mixed-precision row: bf16 where the device has it, fp16 on
        an older GPU; a CPU without bf16 instructions skips the row."""
        if precision == "float32":
            return None
        if self._bf16_ok():
            return torch.bfloat16
        if self.device == "cuda":
            return torch.float16
        raise Skipped("no bf16 support on this device (CPU needs avx512_bf16 or amx_bf16)")

    @staticmethod
    def _loss(arch: str, y: torch.Tensor) -> Callable[[torch.Tensor], torch.Tensor]:
        if arch == "bert_base":
            return mean_square  # the pooled output: no task head, the encoder is the workload
        # classes per image, per frame or per next token (logits last, as cross_entropy wants)
        return lambda out: F.cross_entropy(out.reshape(-1, out.shape[-1]), y.reshape(-1))

    @staticmethod
    def _optimizer(arch: str) -> Callable[[Any], torch.optim.Optimizer]:
        if arch in ("resnet50", "mobilenet_v2"):
            return lambda params: torch.optim.SGD(params, lr=0.01, momentum=0.9)
        return lambda params: torch.optim.AdamW(params, lr=1e-4, weight_decay=0.01)

    def _infer(
        self, model: nn.Module, x: torch.Tensor, compiled: bool, batch: int, per_call: bool
    ) -> Prepared:
        model = model.eval()
        run = torch.compile(model) if compiled else model

        def infer() -> torch.Tensor:
            with torch.inference_mode():
                return run(x)

        unit = "inferences/s" if per_call else "samples/s"
        return Prepared(infer, work=float(batch), unit=unit, per_call=per_call)

    def _generate(
        self, model: arch_torch.GPT2, prompt: torch.Tensor, p: dict[str, Any], compiled: bool
    ) -> Prepared:
        """Greedy decoding of `new_tokens` after the prompt's first token, one token a step,
        with a key/value cache as long as the sequence (static shapes: compiled once)."""
        model = model.eval()
        step = torch.compile(model.step) if compiled else model.step
        length, new = p["seq"], p["new_tokens"]
        # separate tensors, not views of one: a view's offset would make the compiler re-trace
        slots = [row.clone() for row in torch.eye(length, device=self.device)]
        positions = [torch.tensor(i, device=self.device) for i in range(length)]
        first = prompt[:, :1]

        def generate() -> torch.Tensor:
            with torch.inference_mode():
                caches = model.empty_cache(first.shape[0], length)
                token = first.clone()  # an inference tensor, as every later token is
                for i in range(new):
                    logits, caches = step(token, positions[i], slots[i], caches)
                    token = logits.argmax(-1, keepdim=True)
            return token

        return Prepared(generate, work=float(new * first.shape[0]), unit="tokens/s", per_call=True)

    # --- deployment ---------------------------------------------------------------------------

    def deploy(self, task: Task, budget: Budget) -> dict[str, Any]:
        if self.unusable:
            raise RuntimeError(self.unusable)
        model = mlp(task.params).eval()
        x = torch.from_numpy(data.tabular(task.params, self.seed)[0])
        with torch.inference_mode():
            expected = model(x).numpy()
        if task.mode == "export":
            return self._export(model, x, expected, budget)
        return self._onnx(model, x, expected, budget)

    def _export(
        self, model: nn.Module, x: torch.Tensor, expected: np.ndarray, budget: Budget
    ) -> dict[str, Any]:
        start = time.perf_counter()
        program = torch.export.export(model, (x,))
        convert_s = time.perf_counter() - start
        buffer = io.BytesIO()
        torch.export.save(program, buffer)
        runner = program.module()

        def call() -> np.ndarray:
            with torch.inference_mode():
                return runner(x).numpy()

        return deployed(
            call, expected, budget, len(buffer.getvalue()), convert_s, "torch.export (.pt2)"
        )

    def _onnx(
        self, model: nn.Module, x: torch.Tensor, expected: np.ndarray, budget: Budget
    ) -> dict[str, Any]:
        missing = [m for m in ("onnx", "onnxscript") if importlib.util.find_spec(m) is None]
        if missing:
            raise Skipped(
                f"{' and '.join(missing)} not installed (pip install onnx onnxscript onnxruntime)"
            )
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "model.onnx"
            start = time.perf_counter()
            torch.onnx.export(model, (x,), str(path), dynamo=True)
            convert_s = time.perf_counter() - start
            # the weights may sit beside the graph (model.onnx.data): the model is every file
            size = sum(f.stat().st_size for f in Path(tmp).iterdir())
            if importlib.util.find_spec("onnxruntime") is None:
                raise Skipped(f"exported ({size} bytes) but onnxruntime is not installed to run it")
            import onnxruntime

            options = onnxruntime.SessionOptions()
            options.intra_op_num_threads = self.threads["intra_op"]
            options.inter_op_num_threads = self.threads["inter_op"]
            session = onnxruntime.InferenceSession(
                str(path), options, providers=["CPUExecutionProvider"]
            )
        name = session.get_inputs()[0].name
        feed = {name: x.numpy()}
        return deployed(
            lambda: session.run(None, feed)[0],
            expected,
            budget,
            size,
            convert_s,
            "ONNX (onnxruntime)",
        )


class LastOutput(nn.Module):
    """nn.LSTM returns (output, state); the loss needs the output sequence only."""

    def __init__(self, rnn: nn.Module) -> None:
        super().__init__()
        self.rnn = rnn

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.rnn(x)[0]


def mean_square(out: torch.Tensor) -> torch.Tensor:
    return out.pow(2).mean()


def mlp(p: dict[str, Any]) -> nn.Module:
    return nn.Sequential(
        nn.Linear(p["features"], p["hidden"]), nn.ReLU(), nn.Linear(p["hidden"], p["classes"])
    )


def dynamo_counters() -> Any:
    """Dynamo's event counters (graphs made, graph breaks, what it could not trace): a private
    module, but the one place torch.compile reports a fallback to eager."""
    from torch._dynamo.utils import counters

    return counters


def compile_cache_warm() -> bool:
    """Whether Inductor's on-disk cache already holds compiled graphs (a cold one costs ~30 s)."""
    try:
        from torch._inductor.runtime.cache_dir_utils import cache_dir
    except ImportError:
        return False
    graphs = Path(cache_dir()) / "fxgraph"
    return graphs.is_dir() and any(graphs.iterdir())


def load(requested: str, threads: int, seed: int) -> TorchBackend:
    return TorchBackend(requested, threads, seed)
