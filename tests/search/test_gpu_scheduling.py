"""GPU scheduling of search trials: what a trial asks Ray for, how many run at once, and — on two
CPU-only Ray nodes that declare one logical GPU each, one announced as a T4 and one as an H100 —
that two 0.5-GPU H100 trials really share the H100 node's GPU at the same time.

No torch touches CUDA here: the Ray test's trials only record what Ray granted them.
"""

from __future__ import annotations

import contextlib
import json
import secrets
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline.search import trials_per_cluster
from pipeline.search._trial import trial_resources
from pipeline.storage import resolve_location
from pipeline.training import ScalingSpec

MEMORY = 64 * 2**20


def gpu_scaling(**fields: object) -> ScalingSpec:
    return ScalingSpec(**{"num_workers": 1, "use_gpu": True, "gpus_per_worker": 0.5, **fields})


def test_an_in_process_trial_holds_its_workers_gpu_share_and_accelerator(tmp_path: Path) -> None:
    local = resolve_location(tmp_path)
    assert trial_resources(gpu_scaling(accelerator_type="H100"), local, 0.0, MEMORY, latency_gpu=False) == {
        "CPU": 1.0, "memory": MEMORY, "GPU": 0.5, "accelerator_type:H100": 0.001}
    # Timing on CUDA as well: the whole GPU, of the spec's model.
    assert trial_resources(gpu_scaling(accelerator_type="H100"), local, 0.0, MEMORY, latency_gpu=True) == {
        "CPU": 1.0, "memory": MEMORY, "GPU": 1.0, "accelerator_type:H100": 0.001}


def test_a_multi_worker_trials_driver_holds_no_worker_resources(tmp_path: Path) -> None:
    scaling = gpu_scaling(num_workers=2, accelerator_type="H100", placement_strategy="SPREAD")
    local = resolve_location(tmp_path)
    assert trial_resources(scaling, local, 0.5, MEMORY, latency_gpu=False) == {"CPU": 0.5, "memory": MEMORY}
    assert trial_resources(scaling, local, 0.0, MEMORY, latency_gpu=True) == {
        "CPU": 0.0, "memory": MEMORY, "GPU": 1.0, "accelerator_type:H100": 0.001}


@pytest.mark.parametrize(("cluster", "scaling", "latency_gpu", "expected"), [
    ({"CPU": 16.0, "GPU": 1.0}, gpu_scaling(), False, 2),  # two 0.5-GPU trials share the GPU
    ({"CPU": 16.0, "GPU": 1.0}, gpu_scaling(gpus_per_worker=0.25), False, 4),
    ({"CPU": 3.0, "GPU": 1.0}, gpu_scaling(gpus_per_worker=0.25), False, 3),  # CPUs bind first
    ({"CPU": 16.0, "GPU": 4.0}, gpu_scaling(num_workers=2), False, 4),
    ({"CPU": 16.0, "GPU": 4.0}, gpu_scaling(num_workers=2), True, 2),  # each driver times on a GPU of its own
    ({"CPU": 16.0, "GPU": 0.0}, ScalingSpec(num_workers=2), False, 8),  # CPU only
    ({"CPU": 1.0}, ScalingSpec(num_workers=2), False, 1),  # never below one
])
def test_concurrency_defaults_to_what_cpus_and_gpus_fit(cluster: dict[str, float], scaling: ScalingSpec,
                                                         latency_gpu: bool, expected: int) -> None:
    assert trials_per_cluster(cluster, scaling, 0.0, None, latency_gpu) == expected
    assert trials_per_cluster(cluster, scaling, 0.0, 1, latency_gpu) == 1  # search.max_concurrent caps it


def test_an_in_process_trial_times_on_the_gpu_it_trained_on(tmp_path: Path) -> None:
    """Driver and worker are one process: it holds max(share, 1) GPUs, as its bundle says, not their sum."""
    from pipeline.training import check_resources

    scaling = gpu_scaling()
    bundle = trial_resources(scaling, resolve_location(tmp_path), 0.0, MEMORY, latency_gpu=True)
    assert bundle["GPU"] == 1.0
    assert trials_per_cluster({"CPU": 16.0, "GPU": 2.0}, scaling, 0.0, None, True, in_process=True) == 2
    assert trials_per_cluster({"CPU": 16.0, "GPU": 2.0}, scaling, 0.0, None, True) == 1  # 0.5 + 1 each
    check_resources({"CPU": 4.0, "GPU": 1.0}, scaling, 0.0, gpu_latency=True, in_process=True)


def test_concurrency_counts_only_the_accelerators_gpus() -> None:
    nodes = [{"CPU": 8.0, "GPU": 1.0, "accelerator_type:H100": 1.0},
             {"CPU": 8.0, "GPU": 4.0, "accelerator_type:T4": 1.0}]
    cluster = {"CPU": 16.0, "GPU": 5.0, "accelerator_type:H100": 1.0, "accelerator_type:T4": 1.0}
    assert trials_per_cluster(cluster, gpu_scaling(accelerator_type="H100"), 0.0, None, nodes=nodes) == 2
    assert trials_per_cluster(cluster, gpu_scaling(accelerator_type="T4"), 0.0, None, nodes=nodes) == 8
    assert trials_per_cluster(cluster, gpu_scaling(), 0.0, None, nodes=nodes) == 10


# Runs as a driver of its own (the session's Ray instance may be initialised in the test process).
_SHARED_GPU_SEARCH = """
import json, os, sys, time
from pathlib import Path

import ray
from ray import tune

from pipeline.search import trials_per_cluster
from pipeline.search._trial import trial_placement, trial_resources
from pipeline.storage import resolve_location
from pipeline.training import ResourceError, ScalingSpec, alive_node_resources, check_resources

out = Path(sys.argv[1])
ray.init(address=os.environ["RAY_ADDRESS"], log_to_driver=False)
scaling = ScalingSpec(num_workers=1, use_gpu=True, gpus_per_worker=0.5, accelerator_type="H100")
cluster, nodes = ray.cluster_resources(), alive_node_resources(ray.nodes())
check_resources(cluster, scaling, 0.0, nodes=nodes)
try:
    check_resources(cluster, ScalingSpec(num_workers=1, use_gpu=True, accelerator_type="A100"), 0.0, nodes=nodes)
    refused = ""
except ResourceError as error:
    refused = str(error)
concurrency = trials_per_cluster(cluster, scaling, 0.0, None, False, nodes)
bundle = trial_resources(scaling, resolve_location(out / "runs"), 0.0, 64 * 2**20, False)
h100_node = [n["NodeID"] for n in ray.nodes() if n["Alive"] and "accelerator_type:H100" in n["Resources"]]


def trial_fn(config):
    (out / f"started-{config['i']}").write_text("")
    deadline = time.monotonic() + 90  # both trials hold their share at once, or this one gives up
    while len(list(out.glob("started-*"))) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    context = ray.get_runtime_context()
    tune.report({"both_running": len(list(out.glob("started-*"))) == 2, "node": context.get_node_id(),
                 "granted": json.dumps(context.get_assigned_resources()),
                 "cuda_visible": os.environ.get("CUDA_VISIBLE_DEVICES", "")})


tuner = tune.Tuner(
    tune.with_resources(trial_fn, trial_placement(scaling, bundle)),
    param_space={"i": tune.grid_search([0, 1])},
    tune_config=tune.TuneConfig(max_concurrent_trials=concurrency),
    run_config=tune.RunConfig(storage_path=str(out / "tune"), verbose=0),
)
rows = [r.metrics for r in tuner.fit()]
print(json.dumps({"concurrency": concurrency, "refused": refused, "bundle": bundle, "h100_node": h100_node,
                  "trials": [{k: r.get(k) for k in ("both_running", "node", "granted", "cuda_visible")}
                             for r in rows]}))
"""
@contextlib.contextmanager
def t4_and_h100_cluster() -> Iterator[dict[str, str]]:
    """A Ray instance of its own, nodes started as in tests/ray_cluster.py (every port its own): a
    head announced as a T4 and a second node as an H100, 2 CPUs and 1 logical GPU each; yields a
    driver's environment for it."""
    from tests.ray_cluster import WORKER_PORTS, environ_without_ray, free_ports, start_node, stop_nodes

    temp_dir = Path(tempfile.mkdtemp(prefix="segnas-gpu-", dir="/tmp"))  # Ray's socket paths must stay short
    env = {**environ_without_ray(), "RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": secrets.token_hex(32)}
    ports = iter(free_ports(4 + 2 * (6 + WORKER_PORTS)))  # head's 4, and each node's 6 services and workers
    gcs = f"127.0.0.1:{next(ports)}"
    nodes = []
    try:
        head = ["--head", f"--port={gcs.split(':')[1]}", f"--dashboard-port={next(ports)}",
                "--dashboard-host=127.0.0.1", f"--ray-client-server-port={next(ports)}", f"--temp-dir={temp_dir / 'head'}"]
        nodes.append(start_node("t4", head, ports, env, temp_dir / "head.log", cpus=2, gpus=1,
                                resources={"accelerator_type:T4": 1}))
        nodes.append(start_node("h100", [f"--address={gcs}", f"--temp-dir={temp_dir / 'node'}"], ports, env,
                                temp_dir / "node.log", cpus=2, gpus=1, resources={"accelerator_type:H100": 1}))
        yield {**env, "RAY_ADDRESS": gcs}
    finally:
        stop_nodes(*reversed(nodes))
        shutil.rmtree(temp_dir, ignore_errors=True)


@pytest.mark.slow
def test_half_gpu_trials_share_the_gpu_of_the_accelerators_node(tmp_path: Path) -> None:
    """Both 0.5-GPU H100 trials run at once, on the H100 node's one GPU (the T4 head has a free GPU
    too); an A100 request is refused before anything starts."""
    with t4_and_h100_cluster() as env:
        done = subprocess.run([sys.executable, "-c", _SHARED_GPU_SEARCH, str(tmp_path)], env=env, capture_output=True,
                              text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["concurrency"] == 2  # the H100 node's one GPU, in halves; the T4 does not count
    assert report["refused"] == ("scaling.accelerator_type: 'A100' is on no node of the Ray cluster; it has "
                                 "accelerator types H100, T4")
    assert report["bundle"] == {"CPU": 1.0, "memory": 64 * 2**20, "GPU": 0.5, "accelerator_type:H100": 0.001}
    assert len(report["h100_node"]) == 1 and len(report["trials"]) == 2
    for trial in report["trials"]:
        granted = json.loads(trial["granted"])
        assert trial["both_running"] is True
        assert trial["node"] == report["h100_node"][0]
        assert granted.get("GPU") == pytest.approx(0.5) and granted.get("accelerator_type:H100") == pytest.approx(0.001)
        assert trial["cuda_visible"] == "0"  # both on that node's one (logical) GPU
