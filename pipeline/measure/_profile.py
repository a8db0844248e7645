"""One profile of one model: parameters, MACs, coverage, latency and fingerprint as a single record."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from torch import nn

from pipeline.measure._coverage import CoverageAudit, audit_coverage
from pipeline.measure._fingerprint import Fingerprint, collect_fingerprint
from pipeline.measure._latency import LatencyStats, measure_latency
from pipeline.measure._macs import MacCount, count_macs, example_images
from pipeline.measure._settings import LatencySettings
from pipeline.metric_names import (
    COST_FPS,
    COST_GMACS,
    COST_LATENCY_MS,
    COST_LATENCY_P10_MS,
    COST_LATENCY_P90_MS,
    COST_PARAMS,
)
from pipeline.models import SegmentationModel, count_parameters


@dataclass(frozen=True)
class ProfileRecord:
    """Everything measured about one model under one protocol; one table row, one JSON object.

    MACs are per image (counted on a batch of one); latency is per batch of `settings.batch`.
    """

    model: str  # preset name or config label
    num_classes: int
    isr: dict[str, tuple[int, ...]]  # part → ISR factors in effect; empty without pooled attention
    settings: LatencySettings
    params: int
    macs: MacCount
    latency: LatencyStats | None
    coverage: CoverageAudit | None
    fingerprint: Fingerprint

    @property
    def gmacs(self) -> float:
        return self.macs.gmacs

    def metrics(self) -> dict[str, float]:
        """The cost metrics under the project's metric names, as the search and reports use them."""
        out: dict[str, float] = {COST_PARAMS: float(self.params), COST_GMACS: self.gmacs}
        if self.latency is not None:
            out.update(
                {
                    COST_LATENCY_MS: self.latency.median_ms,
                    COST_LATENCY_P10_MS: self.latency.p10_ms,
                    COST_LATENCY_P90_MS: self.latency.p90_ms,
                    COST_FPS: self.latency.fps,
                }
            )
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "num_classes": self.num_classes,
            "isr": {part: list(factors) for part, factors in self.isr.items()},
            "input": {"batch": self.settings.batch, "height": self.settings.height, "width": self.settings.width},
            "settings": asdict(self.settings) | {"mode": self.settings.mode},
            "params": self.params,
            "gmacs": self.gmacs,
            "gmacs_hook_visible": self.macs.hook_visible_gmacs,
            "gmacs_by_operator": {op: n / self.macs.batch / 1e9 for op, n in self.macs.by_operator.items()},
            "latency_ms": None if self.latency is None else self.latency.to_dict(),
            "fps": None if self.latency is None else self.latency.fps,
            "metrics": self.metrics(),
            "coverage": self._coverage_dict(),
            "fingerprint": self.fingerprint.to_dict(),
        }

    def _coverage_dict(self) -> dict[str, Any]:
        if self.coverage is not None:
            return self.coverage.to_dict()
        # Without the timed audit the traced graph still says what the counter could not see.
        return {"unsupported": {op: {"calls": n, "time_share": None} for op, n in self.macs.unsupported.items()}}


def profile_model(
    model: nn.Module,
    settings: LatencySettings,
    name: str = "model",
    audit: bool = True,
    timed: bool = True,
) -> ProfileRecord:
    """Count, audit and time `model` under `settings`; the model is left on `settings.device`.

    `audit=False` skips the profiler pass and the FlopCounterMode cross-check; `timed=False`
    skips the latency protocol (MACs and parameters are deterministic, timings are not).
    """
    settings.check_available()
    model.to(settings.device)
    images = example_images(1, settings.height, settings.width, settings.device)
    macs = count_macs(model, images)
    coverage = audit_coverage(model, images, macs) if audit else None
    latency = measure_latency(model, settings) if timed else None
    isr = model.get_isr() if isinstance(model, SegmentationModel) else {}
    num_classes = model.config.num_classes if isinstance(model, SegmentationModel) else 0
    return ProfileRecord(
        model=name,
        num_classes=num_classes,
        isr=isr,
        settings=settings,
        params=count_parameters(model),
        macs=macs,
        latency=latency,
        coverage=coverage,
        fingerprint=collect_fingerprint(settings.device),
    )
