"""Job submission end to end on the test cluster (tests/ray_cluster.py, token auth on): `segnas submit`
a small search whose experiment is on S3, follow it with `status` and `logs` until it succeeds, find
its trials' workers on both worker nodes, `stop`, and submit the same spec again to continue the
same experiment without rerunning a trial."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from pipeline.search import read_results
from pipeline.storage import read_bytes, resolve_location
from tests.ray_cluster import RayCluster
from tests.s3_server import S3Server

pytestmark = [pytest.mark.slow, pytest.mark.cluster]

SPEC = """
name: s3_job
dataset:
  layout: synth
  synth: {seed: 0, num_train: 8, num_val: 4, size: [64, 64], num_classes: 10}
  transform: {crop_size: [64, 64], ratio_range: [1.0, 1.0]}
train: {epochs: 1, batch_size: 4, lr: 0.01, head_lr_mult: 1.0, warmup_iters: 0, checkpoint_every: 1, keep_checkpoints: 1}
scaling: {num_workers: 1, cpus_per_worker: 1}
storage: {path: runs}
search:
  space: SPACE
  num_samples: 2
  objectives: {val/miou: max, cost/params: min}
  sampler: random
  seed: 3
  input_size: [64, 64]
  latency: {repeats: 2, warmup: 1}
"""
SPACE = Path(__file__).resolve().parents[1] / "search" / "tiny_space.yaml"
JOB_TIMEOUT_S = 480
_CLI = [sys.executable, "-c", "import sys; from pipeline.cli import main; sys.exit(main())"]

_WORKER_NODES = """
import json, sys
from ray.job_submission import JobSubmissionClient
from ray.util.state import list_actors
import os
client = JobSubmissionClient(sys.argv[1], headers={"Authorization": "Bearer " + os.environ["RAY_AUTH_TOKEN"]})
job = client.get_job_info(sys.argv[2]).job_id
actors = list_actors(address=sys.argv[1], filters=[("class_name", "=", "RayTrainWorker")], limit=1000,
                     raise_on_missing_output=False)
print(json.dumps(sorted({a.node_id for a in actors if a.job_id == job})))
"""


def _segnas(cluster: RayCluster, env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*_CLI, *args, "--address", cluster.dashboard_url], env=env, capture_output=True,
                          text=True, timeout=300)


def _wait(cluster: RayCluster, env: dict[str, str], job_id: str) -> str:
    deadline = time.monotonic() + JOB_TIMEOUT_S
    while True:
        status = _segnas(cluster, env, "status", job_id)
        assert status.returncode == 0, status.stderr
        state = status.stdout.strip()
        if state in ("SUCCEEDED", "FAILED", "STOPPED") or time.monotonic() > deadline:
            return state
        time.sleep(3)


def test_submitted_search_succeeds_runs_on_both_nodes_and_continues_when_resubmitted(
    ray_cluster: RayCluster, s3_env: S3Server, tmp_path: Path
) -> None:
    s3_server = s3_env  # the test reads the bucket too
    job_dir = tmp_path / "job"
    job_dir.mkdir()
    (job_dir / "spec.yaml").write_text(SPEC.replace("SPACE", str(SPACE)))
    storage = f"s3://{s3_server.bucket}/jobs-{uuid.uuid4().hex[:8]}"
    env = {**ray_cluster.environment(), **s3_server.environment()}
    env.pop("RAY_ADDRESS")  # the commands are given the dashboard address, as a user would
    submit = ["submit", "spec.yaml", "--working-dir", str(job_dir), "--storage", storage,
              "--env", "AWS_ACCESS_KEY_ID", "--env", "AWS_SECRET_ACCESS_KEY", "--env", "AWS_ENDPOINT_URL"]
    started = time.monotonic()
    first = subprocess.run([*_CLI, *submit, "--address", ray_cluster.dashboard_url], env=env, cwd=job_dir,
                           capture_output=True, text=True, timeout=300)
    assert first.returncode == 0, first.stderr
    job_id = first.stdout.strip()
    state = _wait(ray_cluster, env, job_id)
    logs = _segnas(ray_cluster, env, "logs", job_id).stdout
    assert state == "SUCCEEDED", logs[-4000:]
    job_seconds = time.monotonic() - started
    assert re.search(r"search s3_job: 2 trials run this time, \d+ duplicate", logs), logs[-4000:]  # nothing resumed

    exp = resolve_location(f"{storage}/s3_job", endpoint=s3_server.endpoint)
    rows = read_results(exp)
    assert len(rows) >= 2 and read_bytes(exp.join("report.html")).lstrip().lower().startswith(b"<!doctype html")
    nodes = subprocess.run([sys.executable, "-c", _WORKER_NODES, ray_cluster.dashboard_url, job_id], env=env,
                           capture_output=True, text=True, timeout=120)
    assert nodes.returncode == 0, nodes.stderr[-3000:]
    assert json.loads(nodes.stdout.strip().splitlines()[-1]) == sorted(
        [ray_cluster.node_ids["node_a"], ray_cluster.node_ids["node_b"]])

    stop = _segnas(ray_cluster, env, "stop", job_id)
    assert stop.returncode == 0 and stop.stdout.strip() == f"{job_id}: not running (already ended)"

    again = subprocess.run([*_CLI, *submit, "--address", ray_cluster.dashboard_url], env=env, cwd=job_dir,
                           capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    second_id = again.stdout.strip()
    assert second_id != job_id and _wait(ray_cluster, env, second_id) == "SUCCEEDED"
    assert "0 trials run this time, 2 before" in _segnas(ray_cluster, env, "logs", second_id).stdout
    after = read_results(exp)
    assert after.astype(str).to_dict("records") == rows.astype(str).to_dict("records")  # nothing rerun or lost (NaN = NaN)
    print(f"cluster start {ray_cluster.start_seconds:.0f} s; submitted search of 2 trials {job_seconds:.0f} s")
