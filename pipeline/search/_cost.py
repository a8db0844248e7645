"""The cost gate: parameters, GMACs and latency of a sampled architecture, measured before training.

Cost does not depend on the weights, so it is measured on a freshly built model at the search's
input size; a point over any budget is recorded as infeasible and never trained. The model is
built only here, through the measurement API. ONNX Runtime latency is timed by the search's
benchmark actor (`_benchmark.py`) on graphs exported here, in the trial: in the gate on the freshly
built model (for the budget, and because every result Tune and the scheduler see must carry each
objective), and again on the trained weights, which the row reports and Optuna is told (`time_ort`).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from torch import nn

from pipeline import metric_names as m
from pipeline.measure import (
    LatencySettings,
    LatencyStats,
    count_macs,
    example_images,
    measure_latency,
    model_for_measurement,
    parameter_count,
)
from pipeline.search._benchmark import BenchmarkClient
from pipeline.specs._search import BudgetSpec, LatencySpec
from pipeline.training import ray_node_id

# Objective values Optuna is told for an infeasible point's metrics that were never measured
# (latency of a model too large to time): worse than any real measurement, and finite, because
# NSGA-II's crowding distance turns infinities into NaN.
WORST_COST = 1e12


class GateMeasurement(NamedTuple):
    costs: dict[str, float]
    violations: dict[str, float]  # metric → relative excess over its budget; empty when within budget
    benchmark: str  # JSON record of where and how ONNX Runtime latency was timed; "" when it was not


@dataclass(frozen=True)
class CostGate:
    input_size: tuple[int, int]
    budget: BudgetSpec
    latency: LatencySpec
    benchmark: BenchmarkClient | None = None  # the search's benchmark actor; None: no ONNX Runtime latency

    def latency_settings(self) -> LatencySettings:
        device = self.latency.device
        return LatencySettings(
            height=self.input_size[0],
            width=self.input_size[1],
            batch=self.latency.batch,
            device=device,
            warmup=self.latency.warmup,
            repeats=self.latency.repeats,
        )

    def count(self, model: nn.Module) -> dict[str, float]:
        """Parameters and GMACs per image of `model` in its current ISR setting."""
        images = example_images(1, *self.input_size)
        return {m.COST_PARAMS: float(parameter_count(model)), m.COST_GMACS: count_macs(model, images).gmacs}

    def time(self, model: nn.Module) -> dict[str, float]:
        """Latency metrics of `model` under the search's protocol."""
        return latency_metrics(measure_latency(model, self.latency_settings()))

    def ort_settings(self) -> LatencySettings:
        """The search's protocol for ONNX Runtime: its size, batch, warm-up and repeats, on the CPU."""
        return LatencySettings(height=self.input_size[0], width=self.input_size[1], batch=self.latency.batch,
                               device="cpu", warmup=self.latency.warmup, repeats=self.latency.repeats)

    def time_ort(self, model: nn.Module, variants: Sequence[Callable[[nn.Module], None]],
                 weights: str) -> tuple[list[dict[str, float]], str]:
        """ONNX Runtime latency columns of each variant of `model` (a function that reconfigures it,
        e.g. its ISR setting), exported here and timed interleaved on the benchmark actor; and the
        JSON record of where and how. `weights` says what was timed: "initial" or "trained".

        The first variant must export. A later one (an ISR setting) that the exporter cannot capture
        at this size — EFA's pooling window is not clipped under export, so a window larger than its
        stage fails — gets NaN columns, and the record keeps the first line of its error.
        """
        from pipeline.deploy import latency_graph

        if self.benchmark is None:
            raise ValueError("CostGate.time_ort: the gate has no benchmark")
        settings = self.ort_settings()
        graphs: dict[int, bytes] = {}
        failures: dict[str, str] = {}
        for index, configure in enumerate(variants):
            configure(model)
            try:
                graphs[index] = latency_graph(model, settings)
            except Exception as error:  # any failure of torch.export / the ONNX translation
                if index == 0:
                    raise
                failures[str(index)] = _root_cause(error)
        stats, record = self.benchmark.time(list(graphs.values()), settings)
        timed = dict(zip(graphs, stats))
        trial_node = ray_node_id()
        record |= {"weights": weights, "trial_node_id": trial_node,
                   "same_node_as_trial": bool(trial_node) and trial_node == record["node_id"],
                   **({"export_failures": failures} if failures else {})}
        columns = [ort_latency_metrics(timed[i]) if i in timed else dict.fromkeys(ORT_COLUMNS, math.nan)
                   for i in range(len(variants))]
        return columns, json.dumps(record, sort_keys=True)

    def measure(self, model_config: dict[str, Any]) -> GateMeasurement:
        """Costs, violations and benchmark record of a model config. Latency is timed only when the counts
        are within budget: a model already over the parameter or GMAC budget is never timed (it may be huge);
        ONNX Runtime latency only when the PyTorch latency is within budget too."""
        model = model_for_measurement(model_config)
        costs = self.count(model)
        violations = self.budget.violations(costs)
        benchmark = ""
        if not violations:
            costs |= self.time(model)
            violations = self.budget.violations(costs)
        if not violations and self.benchmark is not None:
            (ort,), benchmark = self.time_ort(model, [_as_built], "initial")
            costs |= ort
            violations = self.budget.violations(costs)
        return GateMeasurement(costs, violations, benchmark)


def _root_cause(error: BaseException) -> str:
    """First line of the innermost error: the exporter wraps the op's own message in its step report."""
    while error.__cause__ is not None or error.__context__ is not None:
        error = error.__cause__ or error.__context__  # type: ignore[assignment]
    lines = re.sub(r"\x1b\[[0-9;]*m", "", str(error)).strip().splitlines()
    return f"{type(error).__name__}: {lines[0] if lines else ''}"


def _as_built(model: nn.Module) -> None:
    """The one variant of a model timed as it is."""


def latency_metrics(stats: LatencyStats) -> dict[str, float]:
    """The latency columns of a result row."""
    return {
        m.COST_LATENCY_MS: stats.median_ms,
        m.COST_LATENCY_P10_MS: stats.p10_ms,
        m.COST_LATENCY_P90_MS: stats.p90_ms,
        m.COST_FPS: stats.fps,
    }


ORT_COLUMNS = (m.COST_ORT_LATENCY_MS, m.COST_ORT_LATENCY_P10_MS, m.COST_ORT_LATENCY_P90_MS)


def ort_latency_metrics(stats: LatencyStats) -> dict[str, float]:
    """The ONNX Runtime latency columns of a result row."""
    return {
        m.COST_ORT_LATENCY_MS: stats.median_ms,
        m.COST_ORT_LATENCY_P10_MS: stats.p10_ms,
        m.COST_ORT_LATENCY_P90_MS: stats.p90_ms,
    }


def objective_values(result: dict[str, Any], objectives: tuple[tuple[str, str], ...]) -> list[float]:
    """The values Optuna is told, with unmeasured or non-finite ones replaced by the worst value."""
    values = []
    for metric, mode in objectives:
        value = result.get(metric)
        if value is None or not math.isfinite(float(value)):
            value = 0.0 if mode == "max" else WORST_COST
        values.append(float(value))
    return values
