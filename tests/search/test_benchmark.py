"""The benchmark: ONNX Runtime latency timed outside the trial, with a record of where and how.

Here without Ray: the benchmark function itself, the cluster checks on `ray.nodes()`-shaped data,
and the cost gate with a benchmark that runs in this process. The Ray actor is exercised by
`test_search_benchmark_ray.py`.
"""

from __future__ import annotations

import json
import math
import socket
from pathlib import Path
from typing import Any

import onnxruntime
import pytest

from pipeline import metric_names as m
from pipeline.deploy import latency_graph
from pipeline.measure import LatencySettings, LatencyStats, model_for_measurement
from pipeline.search import CostGate, TrialContext, load_search_space, resolve_point, search_trial_fn
from pipeline.search._benchmark import check_benchmark_nodes, run_benchmark, without_benchmark
from pipeline.search._searcher import STATUS_KEY, TRIAL_NUMBER_KEY
from pipeline.search._trial import BENCHMARK_KEY
from pipeline.specs._search import BenchmarkSpec, BudgetSpec, LatencySpec
from pipeline.storage import resolve_location
from pipeline.training import ResourceError, ScalingSpec, TrainConfig, ray_node_id, train_config_to_dict

SPACE = load_search_space(Path(__file__).resolve().parent / "tiny_space.yaml")
POINT = {"encoder": "eft", "eft.depths": "[1,1,1,1]", "eft.widths[3]": 64, "decoder": "mlp_head", "train.lr": 0.01}
SETTINGS = LatencySettings(height=32, width=32, batch=1, device="cpu", warmup=1, repeats=5)


def _graph(point: dict[str, Any]) -> bytes:
    return latency_graph(model_for_measurement(resolve_point(SPACE, point, 10).model_config), SETTINGS)


def test_benchmark_times_graphs_and_records_where_and_how() -> None:
    spec = BenchmarkSpec(threads=1, cpus=1.0)
    graph = _graph(POINT)
    stats, record = run_benchmark([graph, graph], SETTINGS, spec)
    assert len(stats) == 2
    for timing in stats:
        assert timing.repeats == 5 and all(math.isfinite(s) and s > 0 for s in timing.samples_ms)
        assert 0 < timing.p10_ms <= timing.median_ms <= timing.p90_ms
    assert record["runtime"] == "onnxruntime" and record["runtime_version"] == onnxruntime.__version__
    assert record["provider"] == "CPUExecutionProvider" and record["threads"] == 1 and record["cpus"] == 1.0
    assert record["hostname"] == socket.gethostname() and record["node_id"] == ray_node_id()
    assert record["resource"] == "segnas_benchmark" and record["input"] == [1, 3, 32, 32]
    assert record["warmup"] == 1 and record["repeats"] == 5
    assert record["fingerprint"]["device"] == "cpu" and record["fingerprint"]["cpu_model"]
    json.dumps(record)  # the row keeps it as JSON


def _node(host: str, resources: dict[str, float], alive: bool = True) -> dict[str, Any]:
    return {"NodeID": host * 4, "NodeManagerHostname": host, "Alive": alive, "Resources": resources}


def test_cluster_checks_name_the_problem_in_one_line() -> None:
    spec, field = BenchmarkSpec(cpus=2.0), "search.objectives.cost/ort_latency_ms"
    bench = _node("b", {"CPU": 4.0, "segnas_benchmark": 1.0})
    check_benchmark_nodes([_node("a", {"CPU": 8.0}), bench], {"segnas_benchmark": 1.0}, spec, field)
    cases = [
        ([_node("a", {"CPU": 8.0}), _node("b", {"CPU": 4.0, "segnas_benchmark": 1.0}, alive=False)],
         {}, "has no node with the resource 'segnas_benchmark', which search.objectives.cost/ort_latency_ms needs"),
        ([bench, _node("c", {"CPU": 4.0, "segnas_benchmark": 1.0})], {"segnas_benchmark": 2.0}, "2 nodes declare"),
        ([_node("b", {"CPU": 1.0, "segnas_benchmark": 1.0})], {"segnas_benchmark": 1.0}, "search.benchmark.cpus: 2 CPUs"),
        ([bench], {}, "'segnas_benchmark' is held now"),
    ]
    for nodes, available, expected in cases:
        with pytest.raises(ResourceError, match="^search.benchmark") as error:
            check_benchmark_nodes(nodes, available, spec, field)
        assert expected in str(error.value) and "\n" not in str(error.value)
    assert "--resources '{\"segnas_benchmark\": 1}'" in str(pytest.raises(
        ResourceError, check_benchmark_nodes, [], {}, spec, field).value)
    assert without_benchmark({"CPU": 4.0, "GPU": 1.0}, spec) == {"CPU": 2.0, "GPU": 1.0}


class InProcessBenchmark:
    """The benchmark function called directly, where the search would call its actor."""

    def __init__(self) -> None:
        self.calls = 0

    def time(self, graphs: list[bytes], settings: LatencySettings) -> tuple[list[LatencyStats], dict[str, Any]]:
        self.calls += 1
        return run_benchmark(graphs, settings, BenchmarkSpec())


def _context(tmp_path: Path, budget: BudgetSpec, benchmark: InProcessBenchmark) -> TrialContext:
    gate = CostGate((32, 32), budget, LatencySpec(repeats=3, warmup=1), benchmark)  # type: ignore[arg-type]
    return TrialContext("t", resolve_location(tmp_path), SPACE, 10, train_config_to_dict(TrainConfig(epochs=1)), {},
                        ScalingSpec(num_workers=1), gate, (), 1)


def test_gate_times_ort_latency_before_training_for_its_budget(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import ray.tune

    reports: list[dict] = []
    monkeypatch.setattr(ray.tune, "report", reports.append)
    benchmark = InProcessBenchmark()
    search_trial_fn({**POINT, TRIAL_NUMBER_KEY: 0}, _context(tmp_path, BudgetSpec(max_ort_latency_ms=1e-6), benchmark))
    (report,) = reports
    assert report[STATUS_KEY] == "infeasible" and benchmark.calls == 1
    assert report[m.COST_ORT_LATENCY_MS] > 1e-6 and "cost/ort_latency_ms" in report["search/error"]
    record = json.loads(report[BENCHMARK_KEY])
    assert record["weights"] == "initial" and record["runtime"] == "onnxruntime"
    assert record["trial_node_id"] == ray_node_id()


def test_gate_within_the_ort_budget_passes_the_timing_to_training(tmp_path: Path) -> None:
    benchmark = InProcessBenchmark()
    context = _context(tmp_path, BudgetSpec(max_ort_latency_ms=1e6), benchmark)
    costs, violations, record = context.gate.measure(resolve_point(SPACE, POINT, 10).model_config)
    assert violations == {} and benchmark.calls == 1
    assert 0 < costs[m.COST_ORT_LATENCY_P10_MS] <= costs[m.COST_ORT_LATENCY_MS] <= costs[m.COST_ORT_LATENCY_P90_MS]
    assert json.loads(record)["weights"] == "initial"


def test_an_isr_variant_the_exporter_cannot_capture_is_left_untimed(tmp_path: Path) -> None:
    """At 32x32 EFT's first stage is 8x8; an EFA window of pool ratio 4 x ISR factor 2 does not fit it
    under export, while the model as trained exports."""
    import functools

    from pipeline.search._trial import _set_isr

    point = dict(POINT, decoder="eda_decoder", **{"eda_decoder.pool_ratios": "[4,2,1]"})
    model = model_for_measurement(resolve_point(SPACE, point, 10).model_config)
    training = {"encoder": (1, 1, 1, 1), "decoder": (1, 1, 1)}
    variants = [functools.partial(_set_isr, training=training, setting={}),
                functools.partial(_set_isr, training=training, setting={"encoder": (2, 2, 1, 1), "decoder": (2, 2, 2)})]
    benchmark = InProcessBenchmark()
    columns, record = _context(tmp_path, BudgetSpec(), benchmark).gate.time_ort(model, variants, "trained")
    assert math.isfinite(columns[0][m.COST_ORT_LATENCY_MS]) and benchmark.calls == 1
    assert all(math.isnan(v) for v in columns[1].values()) and set(columns[1]) == set(columns[0])
    failures = json.loads(record)["export_failures"]
    assert list(failures) == ["1"] and "\n" not in failures["1"] and "step 1/3" not in failures["1"]  # the root cause
