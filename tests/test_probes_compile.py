"""torch.compile inside a PyTorch worker: every compiled row compiles as in a fresh process, and a
row whose model the compiler left to eager says so."""

from __future__ import annotations

from typing import Any

import pytest

from fwadvise.probes.runner import notes_for
from tests.conftest import python_child

# Dynamo's recompile limit lowered to 1: without a reset between rows, the second compiled row
# is a recompile of the frame the first one compiled, meets the limit and runs eagerly.
CHILD = """
import dataclasses, json
import torch
torch._dynamo.config.recompile_limit = 1
from fwadvise.probes import suite
from fwadvise.probes.harness import prepare_turns
from fwadvise.probes.wl_torch import load
backend = load("cpu", 1, 0)
tasks = [suite.Task(name, "compiled", suite.SHAPES["quick"][name])
         for name in ("infer_latency", "train_step")]
lstm = next(t for t, _ in suite.architecture_tasks("quick") if t.workload == "lstm_speech_train")
tasks.append(dataclasses.replace(lstm, mode="compiled"))
rows = [prepare_turns(backend, task, lambda: None).row for task in tasks]
print(json.dumps(rows))
"""


@pytest.fixture(scope="module")
def rows() -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = python_child(CHILD, timeout=240)
    return result


@pytest.mark.slow
def test_each_compiled_row_is_compiled_afresh(rows: list[dict[str, Any]]) -> None:
    latency, train, _ = rows
    assert latency["compiled_graphs"] >= 1 and "compile_fallback" not in latency
    assert train["compiled_graphs"] >= 1 and "compile_fallback" not in train, train


@pytest.mark.slow
def test_a_model_the_compiler_left_to_eager_is_named(rows: list[dict[str, Any]]) -> None:
    lstm = rows[2]
    assert lstm["compiled_graphs"] == 0  # Dynamo does not trace nn.LSTM by default
    assert "LSTM" in lstm["compile_fallback"]
    notes = notes_for([{**lstm, "median_s": 0.01}])
    assert any("ran eagerly" in note and "LSTM" in note for note in notes)
