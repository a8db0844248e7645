"""GPU scheduling fields of `scaling` and their check against a cluster's resources, without Ray.

Clusters here are the dicts `ray.cluster_resources()` and `ray.nodes()` return; a CPU-only node
stands in for a GPU node by declaring GPUs and an `accelerator_type:<model>` resource.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.cli import main
from pipeline.model_configs import ConfigError
from pipeline.training import (
    ResourceError,
    ScalingSpec,
    accelerator_types,
    alive_node_resources,
    check_resources,
    usable_gpus,
)

ROOT = Path(__file__).resolve().parents[2]
H100_NODE = {"CPU": 8.0, "GPU": 2.0, "accelerator_type:H100": 1.0, "memory": 1e10}
A100_NODE = {"CPU": 8.0, "GPU": 4.0, "accelerator_type:A100": 1.0, "memory": 1e10}
CPU_NODE = {"CPU": 16.0, "memory": 1e10}


def _totals(*nodes: dict[str, float]) -> dict[str, float]:
    total: dict[str, float] = {}
    for node in nodes:
        for key, value in node.items():
            total[key] = total.get(key, 0.0) + value
    return total


def gpu_scaling(**fields: object) -> ScalingSpec:
    return ScalingSpec(**{"num_workers": 2, "use_gpu": True, "gpus_per_worker": 0.5, **fields})


@pytest.mark.parametrize(("fields", "message"), [
    ({"gpus_per_worker": 0}, "ScalingSpec.gpus_per_worker: expected a number in (0, 8], got 0"),
    ({"gpus_per_worker": 1.5}, "ScalingSpec.gpus_per_worker: expected a fraction of one GPU or a whole number"),
    ({"accelerator_type": "H100", "use_gpu": False}, "ScalingSpec.accelerator_type: expected null unless use_gpu"),
    ({"accelerator_type": "H 100", "use_gpu": True}, "ScalingSpec.accelerator_type: expected an accelerator model"),
    ({"accelerator_type": 100, "use_gpu": True}, "ScalingSpec.accelerator_type: expected an accelerator model"),
    ({"placement_strategy": "pack"}, "ScalingSpec.placement_strategy: expected one of ('PACK', 'SPREAD', "
                                     "'STRICT_PACK', 'STRICT_SPREAD'), got 'pack'"),
])
def test_bad_scaling_fields_name_the_field(fields: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError) as error:
        ScalingSpec(**fields)
    assert str(error.value).startswith(message)


def test_a_worker_asks_for_its_gpu_share_and_a_token_share_of_its_accelerator() -> None:
    assert gpu_scaling(accelerator_type="H100").resources_per_worker() == {
        "CPU": 1.0, "GPU": 0.5, "accelerator_type:H100": 0.001}
    assert ScalingSpec(num_workers=1).resources_per_worker() == {"CPU": 1.0}


def test_alive_nodes_and_accelerator_types_come_from_rays_dicts() -> None:
    nodes = [{"Alive": True, "Resources": H100_NODE}, {"Alive": False, "Resources": A100_NODE},
             {"Alive": True, "Resources": CPU_NODE}]
    assert alive_node_resources(nodes) == [H100_NODE, CPU_NODE]
    assert accelerator_types(_totals(H100_NODE, A100_NODE, CPU_NODE)) == ["A100", "H100"]


def test_an_accelerator_the_cluster_lacks_names_the_field_and_the_types_it_has() -> None:
    cluster = _totals(A100_NODE, CPU_NODE)
    with pytest.raises(ResourceError) as error:
        check_resources(cluster, gpu_scaling(accelerator_type="H100"), 0.0, nodes=[A100_NODE, CPU_NODE])
    assert str(error.value) == ("scaling.accelerator_type: 'H100' is on no node of the Ray cluster; "
                                "it has accelerator types A100")
    with pytest.raises(ResourceError, match="it has no accelerator types"):
        check_resources(CPU_NODE, gpu_scaling(accelerator_type="H100"), 0.0)


def test_only_the_gpus_of_the_accelerators_nodes_count() -> None:
    nodes = [H100_NODE, A100_NODE]
    cluster = _totals(*nodes)
    assert usable_gpus(cluster, gpu_scaling(accelerator_type="H100"), nodes) == 2.0
    assert usable_gpus(cluster, gpu_scaling(), nodes) == 6.0
    check_resources(cluster, gpu_scaling(num_workers=4, accelerator_type="H100"), 0.0, nodes=nodes)  # 4 x 0.5 = 2
    with pytest.raises(ResourceError) as error:
        check_resources(cluster, gpu_scaling(num_workers=3, gpus_per_worker=1, accelerator_type="H100"), 0.0,
                        nodes=nodes)
    assert str(error.value) == "scaling: one trial needs 3 GPUs, but the Ray cluster has 2 on its H100 nodes"
    check_resources(cluster, gpu_scaling(num_workers=3, gpus_per_worker=1), 0.0, nodes=nodes)  # any model: 6 GPUs


def test_a_gpu_timing_driver_needs_a_gpu_of_its_own() -> None:
    with pytest.raises(ResourceError, match="one trial needs 2 GPUs, but the Ray cluster has 1$"):
        check_resources({"CPU": 4.0, "GPU": 1.0}, gpu_scaling(), 0.0, gpu_latency=True)
    check_resources({"CPU": 4.0, "GPU": 1.0}, gpu_scaling(), 0.0)


def test_strict_spread_needs_a_node_per_worker() -> None:
    nodes = [H100_NODE, CPU_NODE, dict(H100_NODE)]
    scaling = gpu_scaling(num_workers=3, accelerator_type="H100", placement_strategy="STRICT_SPREAD")
    with pytest.raises(ResourceError) as error:
        check_resources(_totals(*nodes), scaling, 0.0, nodes=nodes)
    assert str(error.value).startswith(
        "scaling.placement_strategy: STRICT_SPREAD puts each of num_workers 3 workers on a node of its own, but only "
        "2 of the Ray cluster's 3 alive nodes can hold one (CPU 1, GPU 0.5, accelerator_type:H100 0.001)")
    check_resources(_totals(*nodes), gpu_scaling(num_workers=2, placement_strategy="STRICT_SPREAD"), 0.0, nodes=nodes)
    check_resources(_totals(*nodes), gpu_scaling(num_workers=3, placement_strategy="SPREAD"), 0.0, nodes=nodes)


def test_strict_pack_needs_one_node_for_every_worker() -> None:
    nodes = [{"CPU": 2.0}, {"CPU": 2.0}]
    with pytest.raises(ResourceError, match="STRICT_PACK puts all num_workers 3 workers on one node, but no alive "
                                            "node of the Ray cluster fits more than 2"):
        check_resources(_totals(*nodes), ScalingSpec(num_workers=3, placement_strategy="STRICT_PACK"), 0.0,
                        nodes=nodes)
    check_resources(_totals(*nodes), ScalingSpec(num_workers=3, placement_strategy="PACK"), 0.0, nodes=nodes)


def test_a_bad_scaling_field_in_a_spec_is_one_line_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = (ROOT / "jobs" / "demo_train.yaml").read_text()
    spec = tmp_path / "gpu.yaml"
    spec.write_text(text.replace("scaling: {num_workers: 2, use_gpu: false, cpus_per_worker: 1}",
                                 "scaling: {num_workers: 2, use_gpu: true, placement_strategy: spread}"))
    assert main(["train", str(spec)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "scaling: ScalingSpec.placement_strategy: expected one of" in err
    assert err.startswith(f"segnas train: {spec}: ")


@pytest.mark.parametrize("command", ["train", "search"])
def test_an_accelerator_the_cluster_lacks_stops_train_and_search_before_any_worker(
    command: str, ray_local: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The session's Ray instance has CPUs only: both commands stop at the check, exit 2, one line."""
    import yaml

    spec = yaml.safe_load((ROOT / "jobs" / ("demo.yaml" if command == "search" else "demo_train.yaml")).read_text())
    spec["dataset"]["synth"].update(num_train=4, num_val=2)
    spec["scaling"] = {"num_workers": 1, "use_gpu": True, "gpus_per_worker": 0.5, "accelerator_type": "H100"}
    spec["storage"] = {"path": str(tmp_path / "runs")}
    if command == "search":
        spec["search"]["space"] = str(ROOT / "search_spaces" / "demo.yaml")
    path = tmp_path / "gpu.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))  # objectives keep their order
    assert main([command, str(path)]) == 2
    err = capsys.readouterr().err
    assert err == (f"segnas {command}: scaling.accelerator_type: 'H100' is on no node of the Ray cluster; it has "
                   "no accelerator types (no GPU nodes)\n")
    experiment = tmp_path / "runs" / spec["name"]
    assert not (experiment / "results.parquet").exists() and not (experiment / "tune").exists()
    assert not list(experiment.glob("checkpoint_*"))
