"""ONNX Runtime latency in a search spec: objective, budget and the benchmark section, checked at load."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from pipeline import metric_names as m
from pipeline.specs import SpecError, parse_spec
from pipeline.specs._search import BenchmarkSpec

TINY_SPACE = Path(__file__).resolve().parents[1] / "search" / "tiny_space.yaml"


def _spec(**search: object) -> dict:
    section = {"space": str(TINY_SPACE), "num_samples": 2, "input_size": [32, 32], **search}
    return {"name": "t", "dataset": {"layout": "synth"}, "search": section}


def _error(**search: object) -> str:
    with pytest.raises(SpecError) as error:
        parse_spec(_spec(**search), "jobs/x.yaml")
    message = str(error.value)
    assert "\n" not in message and message.startswith("jobs/x.yaml: ")
    return message


def test_ort_latency_as_objective_and_budget() -> None:
    search = parse_spec(_spec(objectives={m.VAL_MIOU: "max", m.COST_ORT_LATENCY_MS: "min"}), "jobs/x.yaml").search
    assert search.objectives == ((m.VAL_MIOU, "max"), (m.COST_ORT_LATENCY_MS, "min"))
    assert search.ort_field == f"search.objectives.{m.COST_ORT_LATENCY_MS}"
    assert search.benchmark == BenchmarkSpec(resource="segnas_benchmark", threads=1, cpus=1.0)
    budget = parse_spec(_spec(budget={"max_ort_latency_ms": 5.0}, benchmark={"resource": "bench", "threads": 2,
                                                                              "cpus": 2}), "jobs/x.yaml").search
    assert budget.ort_field == "search.budget.max_ort_latency_ms"
    assert budget.budget.violations({m.COST_ORT_LATENCY_MS: 7.5}) == {m.COST_ORT_LATENCY_MS: pytest.approx(0.5)}
    assert budget.benchmark == BenchmarkSpec(resource="bench", threads=2, cpus=2.0)
    assert parse_spec(_spec(), "jobs/x.yaml").search.ort_field is None


@pytest.mark.parametrize(
    ("search", "field"),
    [
        ({"benchmark": {"resource": "CPU"}}, "search.benchmark.resource"),
        ({"benchmark": {"resource": ""}}, "search.benchmark.resource"),
        ({"benchmark": {"threads": 0}}, "search.benchmark.threads"),
        ({"benchmark": {"cpus": -1}}, "search.benchmark.cpus"),
        ({"benchmark": {"threads": 4, "cpus": 2}}, "search.benchmark.threads"),
        ({"budget": {"max_ort_latency_ms": 0}}, "search.budget.max_ort_latency_ms"),
        ({"objectives": {m.VAL_MIOU: "max", m.COST_ORT_LATENCY_MS: "max"}}, f"search.objectives.{m.COST_ORT_LATENCY_MS}"),
        ({"budget": {"max_ort_latency_ms": 5}, "input_size": [16, 16]}, "search.input_size"),
    ],
)
def test_bad_benchmark_settings_name_the_field(search: dict, field: str) -> None:
    assert f"jobs/x.yaml: {field}: " in _error(**search)


def test_unknown_benchmark_key_is_refused() -> None:
    assert "search.benchmark" in _error(benchmark={"runtime": "tensorrt"})


def test_missing_export_extra_names_the_field_and_the_install(monkeypatch: pytest.MonkeyPatch) -> None:
    find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "onnxruntime" else find_spec(name, *a))
    message = _error(objectives={m.VAL_MIOU: "max", m.COST_ORT_LATENCY_MS: "min"})
    assert f"search.objectives.{m.COST_ORT_LATENCY_MS}: needs onnxruntime" in message
    assert "pip install 'segnas[export]'" in message
    assert "search.budget.max_ort_latency_ms: needs onnxruntime" in _error(budget={"max_ort_latency_ms": 5})
    parse_spec(_spec(), "jobs/x.yaml")  # a search without ONNX Runtime latency does not need the extra
