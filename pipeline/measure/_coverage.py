"""Coverage audit: what the MAC counter saw, what it could not see, and how much time that is.

Three sources about one eval-mode forward:
- the traced graph (fvcore, with the project's MAC rule): calls and MACs per aten op, and the ops
  with no rule ("unsupported");
- the profiler: time per outermost aten op, so a skipped op is weighed by what it costs to run,
  not only by how often it appears;
- `torch.utils.flop_counter.FlopCounterMode`, an independent counter at the dispatcher level
  (2 FLOPs per MAC, converted here), as a cross-check of the total.
"""

from __future__ import annotations

import copy
import warnings
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn
from torch.profiler import ProfilerActivity, profile, record_function
from torch.utils.flop_counter import FlopCounterMode

from pipeline.measure._mac_rule import PROFILER_ALIASES, UNSUPPORTED, op_category
from pipeline.measure._macs import MacCount, count_macs, eval_mode

_FORWARD_LABEL = "segnas::forward"


@dataclass(frozen=True)
class OpCoverage:
    """One aten op of the forward: how the rule treats it, how often it ran, its MACs and time."""

    op: str
    category: str  # "MACs", a zero-MAC category such as "softmax", or "unsupported"
    calls: int
    macs: int
    time_ms: float
    time_share: float  # of the whole forward, 0..1


@dataclass(frozen=True)
class ReferenceCount:
    """FlopCounterMode's count of the same forward, in MACs."""

    macs: int
    device: str  # "meta" when counted on shapes alone, else where the model ran
    by_operator: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class CoverageAudit:
    macs: MacCount
    ops: tuple[OpCoverage, ...]  # slowest first
    forward_ms: float
    time_source: str  # "cpu" (CPU op time) or "cuda" (device time of the kernels an op launched)
    reference: ReferenceCount | None

    @property
    def unsupported(self) -> tuple[OpCoverage, ...]:
        return tuple(op for op in self.ops if op.category == UNSUPPORTED)

    @property
    def unsupported_time_share(self) -> float:
        return sum(op.time_share for op in self.unsupported)

    def time_share_by_category(self) -> dict[str, float]:
        shares: dict[str, float] = defaultdict(float)
        for op in self.ops:
            shares[op.category] += op.time_share
        shares["outside aten ops"] = max(0.0, 1.0 - sum(shares.values()))
        return dict(sorted(shares.items(), key=lambda item: -item[1]))

    @property
    def difference_pct(self) -> float | None:
        """(ours − FlopCounterMode) / FlopCounterMode × 100; None without a reference count."""
        if self.reference is None or self.reference.macs == 0:
            return None
        return (self.macs.macs - self.reference.macs) / self.reference.macs * 100.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "input_shape": list(self.macs.input_shape),
            "gmacs": self.macs.gmacs,
            "forward_ms": self.forward_ms,
            "time_source": self.time_source,
            "unsupported": {
                op.op: {"calls": op.calls, "time_share": op.time_share} for op in self.unsupported
            },
            "unsupported_time_share": self.unsupported_time_share,
            "time_share_by_category": self.time_share_by_category(),
            "ops": [vars(op) for op in self.ops],
            "reference": None
            if self.reference is None
            else {
                "tool": "torch.utils.flop_counter.FlopCounterMode (FLOPs / 2)",
                "gmacs": self.reference.macs / self.macs.batch / 1e9,
                "device": self.reference.device,
                "by_operator": self.reference.by_operator,
                "difference_pct": self.difference_pct,
            },
        }


def _outermost_aten_times(model: nn.Module, images: torch.Tensor) -> tuple[dict[str, tuple[int, float]], float, str]:
    """Per outermost aten op: (calls, milliseconds); plus the forward's milliseconds and the time source.

    Only ops called from Python are kept (an op's aten children are part of its time), so the
    times add up without double counting.
    """
    on_cuda = images.device.type == "cuda"
    activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if on_cuda else [])
    with eval_mode(model), torch.inference_mode():
        model(images)  # first call pays one-off allocations and lazy initialisation
        if on_cuda:
            torch.cuda.synchronize()
        with profile(activities=activities) as prof:
            with record_function(_FORWARD_LABEL):
                model(images)
            if on_cuda:
                torch.cuda.synchronize()

    def time_us(event: Any) -> float:
        return float(event.device_time_total if on_cuda else event.cpu_time_total)

    totals: dict[str, list[float]] = defaultdict(lambda: [0, 0.0])
    forward_us = 0.0
    for event in prof.events():
        if event.name == _FORWARD_LABEL:
            forward_us = max(forward_us, time_us(event))
            continue
        if not event.name.startswith("aten::"):
            continue
        parent = event.cpu_parent
        while parent is not None and not parent.name.startswith("aten::"):
            parent = parent.cpu_parent
        if parent is not None:
            continue
        name = PROFILER_ALIASES.get(event.name, event.name)
        totals[name][0] += 1
        totals[name][1] += time_us(event)
    if on_cuda:
        forward_us = max(forward_us, sum(t for _, t in totals.values()))
    rows = {name: (int(calls), us / 1000.0) for name, (calls, us) in totals.items()}
    return rows, forward_us / 1000.0, "cuda" if on_cuda else "cpu"


def reference_count(model: nn.Module, images: torch.Tensor) -> ReferenceCount:
    """FlopCounterMode's count in MACs, on shapes alone ("meta") when every op allows it.

    On meta tensors the dispatcher takes the generic attention path, which FlopCounterMode
    counts; on CPU it takes a fused kernel that it does not count.
    """
    with eval_mode(model), torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            meta_model = copy.deepcopy(model).to("meta")
            with FlopCounterMode(display=False) as counter:
                meta_model(images.to("meta"))
            device = "meta"
        except Exception:  # an op without a meta kernel: count on real tensors instead
            with FlopCounterMode(display=False) as counter:
                model(images)
            device = str(images.device)
    by_op = {str(op): int(n) // 2 for op, n in counter.get_flop_counts().get("Global", {}).items()}
    return ReferenceCount(macs=int(counter.get_total_flops()) // 2, device=device, by_operator=by_op)


def audit_coverage(
    model: nn.Module,
    images: torch.Tensor,
    macs: MacCount | None = None,
    with_reference: bool = True,
) -> CoverageAudit:
    """Audit one forward on `images` (any size, any ISR setting); pass `macs` to reuse a count."""
    if macs is None or macs.input_shape != tuple(images.shape):
        macs = count_macs(model, images)
    times, forward_ms, source = _outermost_aten_times(model, images)
    traced_calls = {**macs.calls, **macs.unsupported}
    rows = []
    for op in sorted(set(times) | set(traced_calls)):
        profiled_calls, time_ms = times.get(op, (0, 0.0))
        rows.append(
            OpCoverage(
                op=op,
                category=op_category(op),
                calls=traced_calls.get(op, profiled_calls),
                macs=macs.by_operator.get(op, 0),
                time_ms=time_ms,
                time_share=time_ms / forward_ms if forward_ms > 0 else 0.0,
            )
        )
    rows.sort(key=lambda row: (-row.time_ms, row.op))
    reference = reference_count(model, images) if with_reference else None
    return CoverageAudit(macs=macs, ops=tuple(rows), forward_ms=forward_ms, time_source=source, reference=reference)
