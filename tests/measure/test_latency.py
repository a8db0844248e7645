"""The latency protocol runs on CPU and returns ordered percentiles. No assertion on speed."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from pipeline.measure import (
    LatencySettings,
    SettingsError,
    measure_latency,
    measure_latency_variants,
    summarize_samples,
)


def small_model() -> nn.Module:
    return nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.Conv2d(8, 4, 1))


@pytest.mark.parametrize(
    "options",
    [{}, {"channels_last": True}, {"precision": "bf16"}, {"batch": 3}],
    ids=["eager", "channels-last", "bf16", "batch3"],
)
def test_protocol_returns_sane_ordered_percentiles(options: dict[str, object]) -> None:
    model = small_model().train()
    settings = LatencySettings(height=24, width=20, warmup=2, repeats=9, **options)
    stats = measure_latency(model, settings)
    assert stats.repeats == 9
    assert 0.0 < stats.min_ms <= stats.p10_ms <= stats.median_ms <= stats.p90_ms <= stats.max_ms
    assert stats.fps == pytest.approx(settings.batch * 1000.0 / stats.median_ms)
    assert stats.first_call_ms is not None and stats.first_call_ms > 0.0
    # The caller's model comes back as it was: training mode, default memory format.
    assert model.training
    assert model[0].weight.is_contiguous()


def test_summary_of_known_samples() -> None:
    stats = summarize_samples([float(v) for v in range(1, 12)], batch=2)
    assert (stats.p10_ms, stats.median_ms, stats.p90_ms) == (2.0, 6.0, 10.0)
    assert stats.fps == pytest.approx(2 * 1000.0 / 6.0)
    with pytest.raises(ValueError):
        summarize_samples([], batch=1)


def test_protocol_runs_in_inference_mode_and_eval_mode() -> None:
    seen: list[tuple[bool, bool]] = []

    class Spy(nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            seen.append((torch.is_inference_mode_enabled(), self.training))
            return x * 2

    measure_latency(Spy(), LatencySettings(height=4, width=4, warmup=1, repeats=2))
    assert seen == [(True, False)] * 3


def test_variants_are_timed_round_robin_after_their_warm_ups() -> None:
    calls: list[str] = []

    class Switchable(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.variant = ""

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            calls.append(self.variant)
            return x + 1

    def select(name: str):  # noqa: ANN202 - a tiny factory of variant setters
        def configure(model: nn.Module) -> None:
            model.variant = name

        return configure

    settings = LatencySettings(height=4, width=4, warmup=2, repeats=3)
    stats = measure_latency_variants(Switchable(), settings, [select("a"), select("b")])
    assert calls == ["a", "a", "b", "b"] + ["a", "b"] * 3
    assert [s.repeats for s in stats] == [3, 3]
    assert all(0.0 < s.p10_ms <= s.median_ms <= s.p90_ms for s in stats)


def test_variants_refuse_compile() -> None:
    with pytest.raises(SettingsError, match="compile=True is not supported"):
        measure_latency_variants(small_model(), LatencySettings(height=4, width=4, compile=True), [lambda m: None])
