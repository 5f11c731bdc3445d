"""One PyTorch rank under torchrun: `python -m torch.distributed.run ... -m
fwadvise.probes.distributed.torch_ddp --result-dir DIR`.

torchrun sets RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR/PORT; the model is wrapped in
DistributedDataParallel, which all-reduces (averages) the gradients during backward: gloo on a
CPU, NCCL on NVIDIA GPUs. Each rank trains on its shard of the same global batch.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from fwadvise.probes.distributed import rank as common


def main(argv: list[str] | None = None) -> int:
    common.die_with_parent()
    settings = common.parse_args(argv)
    rank, world = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
    out = common.channel(settings, rank)
    import torch
    import torch.distributed as dist
    from torch.nn.parallel import DistributedDataParallel

    torch.set_num_threads(1)
    gpu = torch.cuda.is_available() and os.environ.get("FWADVISE_DIST_DEVICE") != "cpu"
    backend = "nccl" if gpu else "gloo"
    device = torch.device(f"cuda:{os.environ.get('LOCAL_RANK', '0')}" if gpu else "cpu")
    dist.init_process_group(backend=backend, device_id=device if gpu else None)
    common.hello(out, rank, world, _info(torch, backend, device))
    data = common.model_data(settings, rank, world)
    model = _model(torch, data).to(device)
    ddp = DistributedDataParallel(model)
    optimizer = torch.optim.SGD(ddp.parameters(), lr=common.LEARNING_RATE)
    x, y = torch.from_numpy(data["x"]).to(device), torch.from_numpy(data["y"]).to(device)

    def step() -> None:
        optimizer.zero_grad(set_to_none=True)
        # mean over this shard; DDP averages over ranks: the mean over the global batch
        torch.nn.functional.cross_entropy(ddp(x), y).backward()
        optimizer.step()
        if gpu:
            torch.cuda.synchronize()

    def weights() -> list[Any]:
        return [p.detach().cpu().numpy() for p in model.parameters()]

    common.run(out, settings, rank, step, weights, dist.barrier)
    dist.destroy_process_group()
    return 0


def _model(torch: Any, data: dict[str, Any]) -> Any:
    model = torch.nn.Sequential(
        torch.nn.Linear(common.FEATURES, common.HIDDEN),
        torch.nn.ReLU(),
        torch.nn.Linear(common.HIDDEN, common.CLASSES),
    )
    with torch.no_grad():  # the shared starting weights; Linear keeps them output-major
        model[0].weight.copy_(torch.from_numpy(data["w1"].T.copy()))
        model[0].bias.copy_(torch.from_numpy(data["b1"]))
        model[2].weight.copy_(torch.from_numpy(data["w2"].T.copy()))
        model[2].bias.copy_(torch.from_numpy(data["b2"]))
    return model


def _info(torch: Any, backend: str, device: Any) -> dict[str, Any]:
    return {
        "framework": "pytorch",
        "version": torch.__version__,
        "pid": os.getpid(),
        "device": str(device),
        "communication": {
            "engine": "DistributedDataParallel",
            "launcher": "torch.distributed.run (torchrun)",
            "backend": backend,
            "master": f"{os.environ.get('MASTER_ADDR')}:{os.environ.get('MASTER_PORT')}",
            "threads_per_worker": torch.get_num_threads(),
        },
    }


if __name__ == "__main__":
    sys.exit(main())
