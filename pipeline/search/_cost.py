"""The cost gate: parameters, GMACs and latency of a sampled architecture, measured before training.

Cost does not depend on the weights, so it is measured on a freshly built model at the search's
input size; a point over any budget is recorded as infeasible and never trained. The model is
built only here, through the measurement API.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

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
from pipeline.specs._search import BudgetSpec, LatencySpec

# Objective values Optuna is told for an infeasible point's metrics that were never measured
# (latency of a model too large to time): worse than any real measurement, and finite, because
# NSGA-II's crowding distance turns infinities into NaN.
WORST_COST = 1e12


@dataclass(frozen=True)
class CostGate:
    input_size: tuple[int, int]
    budget: BudgetSpec
    latency: LatencySpec

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

    def measure(self, model_config: dict[str, Any]) -> tuple[dict[str, float], dict[str, float]]:
        """(costs, violations) of a model config. Latency is timed only when the counts are within budget:
        a model already over the parameter or GMAC budget is never timed (it may be huge)."""
        model = model_for_measurement(model_config)
        costs = self.count(model)
        violations = self.budget.violations(costs)
        if not violations:
            costs |= self.time(model)
            violations = self.budget.violations(costs)
        return costs, violations


def latency_metrics(stats: LatencyStats) -> dict[str, float]:
    """The latency columns of a result row."""
    return {
        m.COST_LATENCY_MS: stats.median_ms,
        m.COST_LATENCY_P10_MS: stats.p10_ms,
        m.COST_LATENCY_P90_MS: stats.p90_ms,
        m.COST_FPS: stats.fps,
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
