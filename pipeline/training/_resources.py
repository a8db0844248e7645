"""Whether a spec's `scaling` fits the Ray cluster it is about to run on, checked before anything starts.

`cluster` is `ray.cluster_resources()` (the totals); `nodes` the resources of each alive node
(`alive_node_resources(ray.nodes())`), for what totals cannot tell: which nodes carry the
requested accelerator model, and over how many distinct nodes a STRICT_SPREAD run can spread or
whether one node holds a STRICT_PACK run. Without Ray: the caller asks Ray, these functions judge.

A GPU node announces its GPU model as the resource `accelerator_type:<model>` (Ray detects it;
`ray start --resources '{"accelerator_type:H100": 1}'` declares it, which is how the tests stand
CPU-only nodes in for GPU ones).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from pipeline.model_configs import ConfigError
from pipeline.training._specs import ACCELERATOR_PREFIX, ScalingSpec, accelerator_resource

FIT_TOLERANCE = 1e-9  # fractional shares (0.1 GPU x 10) must not lose a trial to rounding


class ResourceError(ConfigError):
    """The spec asks for more than the Ray cluster has."""


def alive_node_resources(nodes: Sequence[Mapping[str, Any]]) -> list[dict[str, float]]:
    """The resource totals of each alive node, from `ray.nodes()`."""
    return [{k: float(v) for k, v in node.get("Resources", {}).items()} for node in nodes if node.get("Alive")]


def accelerator_types(cluster: Mapping[str, float]) -> list[str]:
    """The accelerator models the cluster's nodes announce (H100, A100, ...), sorted."""
    return sorted(key.removeprefix(ACCELERATOR_PREFIX) for key in cluster if key.startswith(ACCELERATOR_PREFIX))


def trial_gpus(scaling: ScalingSpec, gpu_latency: bool, in_process: bool = False) -> float:
    """GPUs one trial holds: its workers' shares, plus one for its driver's latency timing on CUDA.

    An in-process trial is driver and worker in one process, which trains and then times on the
    same GPU: it holds the larger of the two, not their sum.
    """
    workers = scaling.num_workers * scaling.gpus_per_worker if scaling.use_gpu else 0.0
    if in_process:
        return max(workers, 1.0) if gpu_latency else workers
    return workers + (1.0 if gpu_latency else 0.0)


def usable_gpus(cluster: Mapping[str, float], scaling: ScalingSpec,
                nodes: Sequence[Mapping[str, float]] | None) -> float:
    """GPUs the run may use: all of the cluster's, or only those of nodes with `scaling.accelerator_type`."""
    if scaling.accelerator_type is None or nodes is None:
        return float(cluster.get("GPU", 0.0))
    key = accelerator_resource(scaling.accelerator_type)
    return sum(float(node.get("GPU", 0.0)) for node in nodes if node.get(key, 0.0) > 0)


def bundles_fitting(node: Mapping[str, float], bundle: Mapping[str, float]) -> int:
    """How many copies of `bundle` (one worker's resources) a node's totals hold at once."""
    counts = [math.floor(node.get(key, 0.0) / need + FIT_TOLERANCE) for key, need in bundle.items() if need > 0]
    return min(counts) if counts else 0


def _format_bundle(bundle: Mapping[str, float]) -> str:
    return ", ".join(f"{key} {value:g}" for key, value in bundle.items())


def check_resources(cluster: Mapping[str, float], scaling: ScalingSpec, trial_cpus: float, gpu_latency: bool = False,
                    nodes: Sequence[Mapping[str, float]] | None = None, in_process: bool = False) -> None:
    """One trial (its workers and its driver) must fit the cluster, or no trial ever starts.

    `nodes` (alive nodes' resources) adds the checks of the accelerator's nodes and the placement
    strategy; without it only the totals are compared. `in_process`: the trial trains in its own
    process (see `trial_gpus`).
    """
    if scaling.accelerator_type is not None and accelerator_resource(scaling.accelerator_type) not in cluster:
        types = accelerator_types(cluster)
        raise ResourceError(
            f"scaling.accelerator_type: {scaling.accelerator_type!r} is on no node of the Ray cluster; it has "
            f"{'accelerator types ' + ', '.join(types) if types else 'no accelerator types (no GPU nodes)'}"
        )
    cpus = scaling.num_workers * scaling.cpus_per_worker + trial_cpus
    have = cluster.get("CPU", 0.0)
    if cpus > have:
        raise ResourceError(
            f"scaling: one trial needs {cpus:g} CPUs (num_workers {scaling.num_workers} x cpus_per_worker "
            f"{scaling.cpus_per_worker} + search.trial_cpus {trial_cpus:g}), but the Ray cluster has {have:g}"
        )
    gpus, have_gpus = trial_gpus(scaling, gpu_latency, in_process), usable_gpus(cluster, scaling, nodes)
    if gpus > have_gpus + FIT_TOLERANCE:
        where = f" on its {scaling.accelerator_type} nodes" if scaling.accelerator_type and nodes is not None else ""
        raise ResourceError(f"scaling: one trial needs {gpus:g} GPUs, but the Ray cluster has {have_gpus:g}{where}")
    if nodes is not None:
        _check_placement(scaling, nodes)


def _check_placement(scaling: ScalingSpec, nodes: Sequence[Mapping[str, float]]) -> None:
    bundle = scaling.resources_per_worker()
    fits = [bundles_fitting(node, bundle) for node in nodes]
    n = scaling.num_workers
    if scaling.placement_strategy == "STRICT_SPREAD":
        hosts = sum(1 for count in fits if count >= 1)
        if n > hosts:
            raise ResourceError(
                f"scaling.placement_strategy: STRICT_SPREAD puts each of num_workers {n} workers on a node of its "
                f"own, but only {hosts} of the Ray cluster's {len(nodes)} alive nodes can hold one "
                f"({_format_bundle(bundle)}); lower num_workers or use SPREAD"
            )
    if scaling.placement_strategy == "STRICT_PACK" and n > max(fits, default=0):
        raise ResourceError(
            f"scaling.placement_strategy: STRICT_PACK puts all num_workers {n} workers on one node, but no alive "
            f"node of the Ray cluster fits more than {max(fits, default=0)} ({_format_bundle(bundle)} each); "
            "lower num_workers or use PACK"
        )
