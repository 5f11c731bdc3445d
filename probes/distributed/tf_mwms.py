"""One TensorFlow worker: `python -m fwadvise.probes.distributed.tf_mwms --result-dir DIR`,
with TF_CONFIG naming the cluster and this worker's index (one process per worker; TensorFlow
has no launcher of its own).

MultiWorkerMirroredStrategy (MirroredStrategy where one machine has several GPUs) keeps one
copy of the variables per replica; gradients are summed across replicas by its collective ops
(ring all-reduce over gRPC on CPUs, NCCL on GPUs). The loss is each shard's sum over the global
batch size, so the summed gradient is the global batch's mean, as DDP's average is.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

from fwadvise.probes.distributed import rank as common


def main(argv: list[str] | None = None) -> int:
    common.die_with_parent()
    settings = common.parse_args(argv)
    config = json.loads(os.environ.get("TF_CONFIG") or "{}")
    rank = int(config.get("task", {}).get("index", 0))
    world_workers = len(config.get("cluster", {}).get("worker", [])) or 1
    out = common.channel(settings, rank)
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(1)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    gpus = tf.config.list_physical_devices("GPU")
    if os.environ.get("FWADVISE_DIST_DEVICE") == "cpu":
        gpus = []
    if gpus and world_workers > 1:  # one GPU per worker process, as torchrun's LOCAL_RANK
        local = int(os.environ.get("FWADVISE_LOCAL_RANK", "0"))
        gpus = [gpus[local % len(gpus)]]
        tf.config.set_visible_devices(gpus, "GPU")
    if len(gpus) > 1 and world_workers == 1:
        strategy: Any = tf.distribute.MirroredStrategy()
    else:
        implementation = tf.distribute.experimental.CommunicationImplementation
        chosen = implementation.NCCL if gpus else implementation.RING
        options = tf.distribute.experimental.CommunicationOptions(implementation=chosen)
        strategy = tf.distribute.MultiWorkerMirroredStrategy(communication_options=options)
    world = strategy.num_replicas_in_sync
    common.hello(out, rank, world, _info(tf, strategy, config))
    data = common.model_data(settings, rank, world)
    with strategy.scope():
        names = ("w1", "b1", "w2", "b2")
        # SUM: an update made in each replica is summed across replicas (one all-reduce each)
        variables = [
            tf.Variable(data[n], aggregation=tf.VariableAggregation.SUM, name=n) for n in names
        ]
    x, y = tf.constant(data["x"]), tf.constant(data["y"])

    def replica_step() -> None:
        w1, b1, w2, b2 = variables
        with tf.GradientTape() as tape:
            logits = tf.nn.relu(x @ w1 + b1) @ w2 + b2
            per_example = tf.nn.sparse_softmax_cross_entropy_with_logits(y, logits)
            loss = tf.nn.compute_average_loss(per_example, global_batch_size=settings.global_batch)
        grads = tape.gradient(loss, variables)
        for variable, grad in zip(variables, grads, strict=True):
            variable.assign_sub(common.LEARNING_RATE * grad)

    @tf.function
    def train_step() -> None:
        strategy.run(replica_step)

    def step() -> None:
        train_step()
        variables[0][0, 0].numpy()  # wait for the step to finish (tf.function runs async)

    def weights() -> list[Any]:
        return [v.numpy() for v in variables]

    def barrier() -> None:
        pass  # the summing all-reduce in every step already keeps the workers in step

    common.run(out, settings, rank, step, weights, barrier)
    return 0


def _info(tf: Any, strategy: Any, config: dict[str, Any]) -> dict[str, Any]:
    return {
        "framework": "tensorflow",
        "version": tf.__version__,
        "pid": os.getpid(),
        "device": "gpu" if tf.config.list_physical_devices("GPU") else "cpu",
        "communication": {
            "engine": "MirroredStrategy"
            if isinstance(strategy, tf.distribute.MirroredStrategy)
            else "MultiWorkerMirroredStrategy",
            "launcher": "one process per worker, TF_CONFIG",
            "backend": "NCCL" if tf.config.list_physical_devices("GPU") else "RING (gRPC)",
            "cluster": config.get("cluster", {}).get("worker", []),
            "threads_per_worker": 1,
        },
    }


if __name__ == "__main__":
    sys.exit(main())
