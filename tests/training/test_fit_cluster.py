"""Ray Train across nodes: a 2-worker run on the test cluster (head + two worker nodes, tests/ray_cluster.py)
puts one worker on each worker node and keeps its checkpoints on S3, which the workers reach with
the credentials that travel with the storage filesystem (the nodes' own environment has none)."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid

import pytest

from tests.ray_cluster import RayCluster
from tests.s3_server import S3Server

pytestmark = [pytest.mark.slow, pytest.mark.cluster]

_DRIVER = """
import json, sys
import ray
from ray.util.state import list_actors
from pipeline.storage import resolve_location
from pipeline.training import ScalingSpec, TrainConfig, fit_model
from tests.training.tiny import tiny_dataset, tiny_model_config

ray.init(logging_level="ERROR")
train = TrainConfig(epochs=1, batch_size=4, lr=5e-3, head_lr_mult=1.0, warmup_iters=0, max_failures=0, seed=2)
result = fit_model(tiny_model_config(), train, tiny_dataset(num_train=16, num_val=8), ScalingSpec(num_workers=2),
                   "spread", resolve_location(sys.argv[1]))
job = ray.get_runtime_context().get_job_id()
workers = list_actors(filters=[("class_name", "=", "RayTrainWorker")], limit=1000, raise_on_missing_output=False)
print(json.dumps({"nodes": sorted(a.node_id for a in workers if a.job_id == job),
                  "checkpoint": result.checkpoint_path, "epochs": len(result.history)}))
"""


def test_two_workers_spread_over_both_worker_nodes(ray_cluster: RayCluster, s3_server: S3Server) -> None:
    storage = f"s3://{s3_server.bucket}/cluster-train-{uuid.uuid4().hex[:8]}"
    env = {**ray_cluster.environment(), **s3_server.environment()}
    done = subprocess.run([sys.executable, "-c", _DRIVER, storage], env=env, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["nodes"] == sorted([ray_cluster.node_ids["node_a"], ray_cluster.node_ids["node_b"]])
    assert report["checkpoint"].startswith(storage) and report["epochs"] == 1
