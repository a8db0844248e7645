"""The benchmark actor: ONNX Runtime latency of a search's models, timed on a node of its own.

Latency timed inside a trial shares the trial's node with other trials' training. Deployment
latency (`cost/ort_latency_ms`) is instead timed by one actor per search that holds a custom Ray
resource (`search.benchmark.resource`, default `segnas_benchmark`) which no trial requests. The
operator declares that resource on exactly one node (`ray start --resources
'{"segnas_benchmark": 1}'`), so the actor lands there, and as it takes the resource's one unit and
runs one call at a time, no two benchmark jobs ever overlap. The actor also holds
`search.benchmark.cpus` CPUs for the whole search: Ray schedules no trial on them, and a trial
waiting on a benchmark can never find every CPU of the node taken by other trials. On a node
that also trains (one host, the local instance) those CPUs are kept free of trials only in Ray's
accounting: the cores are not pinned, so memory bandwidth and caches stay shared; the row
records whether the trial trained on the benchmark's node.

Trials export their models to ONNX themselves (on their own CPUs, as `pipeline.deploy` does) and
send the graphs; the actor builds ONNX Runtime CPU sessions and times them under the search's
latency protocol, several graphs interleaved round by round.
"""

from __future__ import annotations

import contextlib
import secrets
import socket
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from pipeline.measure import LatencySettings, LatencyStats, collect_fingerprint
from pipeline.specs._search import BenchmarkSpec
from pipeline.training import ResourceError, ray_node_id

BENCHMARK_NAMESPACE = "segnas-benchmark"
RUNTIME = "onnxruntime"
PROVIDER = "CPUExecutionProvider"
READY_TIMEOUT_S = 300.0  # the actor imports torch and ONNX Runtime; a loaded 2-core node takes tens of seconds


def _assigned_resources() -> dict[str, float]:
    """What Ray assigned to this actor or task (the benchmark resource, its CPUs); empty outside one."""
    ray = sys.modules.get("ray")
    if ray is None or not ray.is_initialized():
        return {}
    try:
        return {k: float(v) for k, v in ray.get_runtime_context().get_assigned_resources().items()}
    except (AssertionError, RuntimeError):  # a driver has no assignment
        return {}


def run_benchmark(graphs: list[bytes], settings: LatencySettings,
                  spec: BenchmarkSpec) -> tuple[list[LatencyStats], dict[str, Any]]:
    """Time ONNX graphs in ONNX Runtime (`spec.threads` intra-op threads) and say where and how.

    What the actor runs; callable without Ray (the node id is then empty).
    """
    import onnxruntime

    from pipeline.deploy import time_graphs

    stats = time_graphs(graphs, settings, spec.threads)
    record = {
        "node_id": ray_node_id(),
        "hostname": socket.gethostname(),
        "resource": spec.resource,
        "assigned_resources": _assigned_resources(),
        "cpus": spec.cpus,
        "runtime": RUNTIME,
        "runtime_version": onnxruntime.__version__,
        "provider": PROVIDER,
        "threads": spec.threads,
        "input": [settings.batch, 3, settings.height, settings.width],
        "warmup": settings.warmup,
        "repeats": settings.repeats,
        "fingerprint": collect_fingerprint("cpu").to_dict(),
    }
    return stats, record


class BenchmarkActor:
    """Ray actor class (wrapped with `ray.remote` in `benchmark_actor`): one call at a time."""

    def __init__(self, spec: BenchmarkSpec) -> None:
        self.spec = spec

    def node_id(self) -> str:
        return ray_node_id()

    def time(self, graphs: list[bytes], settings: LatencySettings) -> tuple[list[LatencyStats], dict[str, Any]]:
        return run_benchmark(graphs, settings, self.spec)


@dataclass(frozen=True)
class BenchmarkClient:
    """How a trial reaches the search's benchmark actor; plain data, shipped in the trial context."""

    actor_name: str
    spec: BenchmarkSpec

    def time(self, graphs: list[bytes], settings: LatencySettings) -> tuple[list[LatencyStats], dict[str, Any]]:
        import ray

        actor = ray.get_actor(self.actor_name, namespace=BENCHMARK_NAMESPACE)
        return ray.get(actor.time.remote(graphs, settings))


def check_benchmark_nodes(nodes: list[dict[str, Any]], available: dict[str, float], spec: BenchmarkSpec,
                          field: str) -> None:
    """ResourceError (one line) unless exactly one live node declares the resource, with the CPUs the
    actor reserves, and no other search holds it now. `nodes` is `ray.nodes()`; `field` names what
    in the spec needs the benchmark."""
    holders = [n for n in nodes if n.get("Alive") and n.get("Resources", {}).get(spec.resource, 0) >= 1]
    declare = f"ray start ... --resources '{{\"{spec.resource}\": 1}}'"
    if not holders:
        raise ResourceError(f"search.benchmark.resource: the Ray cluster has no node with the resource "
                            f"{spec.resource!r}, which {field} needs; declare it on the one node that times models "
                            f"({declare})")
    if len(holders) > 1:
        hosts = ", ".join(str(n.get("NodeManagerHostname", n.get("NodeID", "?"))) for n in holders)
        raise ResourceError(f"search.benchmark.resource: {len(holders)} nodes declare {spec.resource!r} ({hosts}); "
                            "expected exactly one, so that every latency of the search is timed on the same node")
    node = holders[0]
    cpus = node.get("Resources", {}).get("CPU", 0.0)
    if spec.cpus > cpus:
        raise ResourceError(f"search.benchmark.cpus: {spec.cpus:g} CPUs, but the benchmark node "
                            f"{node.get('NodeManagerHostname', '?')} has {cpus:g}")
    if available.get(spec.resource, 0.0) < 1:
        raise ResourceError(f"search.benchmark.resource: {spec.resource!r} is held now (by another search's "
                            "benchmark); wait for that search to end, or name a resource declared on another node")


def without_benchmark(cluster: dict[str, float], spec: BenchmarkSpec) -> dict[str, float]:
    """The cluster's resources as trials see them: the benchmark actor's CPUs taken out."""
    return {**cluster, "CPU": max(0.0, cluster.get("CPU", 0.0) - spec.cpus)}


@contextlib.contextmanager
def benchmark_actor(spec: BenchmarkSpec, experiment: str, field: str) -> Iterator[BenchmarkClient]:
    """Start the search's benchmark actor on the node holding `spec.resource`; killed at the end."""
    import ray
    from ray.exceptions import GetTimeoutError

    check_benchmark_nodes(ray.nodes(), ray.available_resources(), spec, field)
    name = f"{experiment}-{secrets.token_hex(4)}"
    actor = ray.remote(BenchmarkActor).options(
        name=name,
        namespace=BENCHMARK_NAMESPACE,
        num_cpus=spec.cpus,
        resources={spec.resource: 1},
        max_concurrency=1,  # one benchmark job at a time
        max_restarts=0,
    ).remote(spec)
    try:
        ray.get(actor.node_id.remote(), timeout=READY_TIMEOUT_S)
    except GetTimeoutError:
        ray.kill(actor)
        raise ResourceError(f"search.benchmark: the benchmark actor did not start within {READY_TIMEOUT_S:.0f} s "
                            f"on the node holding {spec.resource!r}") from None
    try:
        yield BenchmarkClient(name, spec)
    finally:
        ray.kill(actor)
