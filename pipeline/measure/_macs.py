"""Counting multiply-accumulates of one forward with fvcore's tracer and the project's MAC rule."""

from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

with warnings.catch_warnings():
    # fvcore's import scripts helpers with `torch.jit.script`, which this torch deprecates; the
    # tracer it relies on (`torch.jit._get_trace_graph`) is unaffected.
    warnings.simplefilter("ignore", DeprecationWarning)
    from fvcore.nn import FlopCountAnalysis

from pipeline.measure._mac_rule import MAC_HANDLES, ZERO_MAC_CATEGORY, Handle

# What a module-hook counter (mmcv's get_flops, ptflops, thop) can see: leaf layers with weights.
# Functional convs and matrix products in `forward` code are invisible to it.
HOOK_VISIBLE_LAYERS: tuple[type[nn.Module], ...] = (nn.modules.conv._ConvNd, nn.Linear)


@dataclass(frozen=True)
class MacCount:
    """MACs of one forward on `input_shape` (B, C, H, W), with what the counter did and did not see."""

    input_shape: tuple[int, ...]
    macs: int  # whole batch
    by_operator: dict[str, int] = field(default_factory=dict)  # aten op → MACs
    calls: dict[str, int] = field(default_factory=dict)  # traced op with a rule → times called
    unsupported: dict[str, int] = field(default_factory=dict)  # traced op without a rule → times called
    hook_visible_macs: int = 0  # MACs inside nn.Conv*/nn.Linear modules (whole batch)

    @property
    def batch(self) -> int:
        return self.input_shape[0]

    @property
    def gmacs(self) -> float:
        """1e9 MACs per image."""
        return self.macs / self.batch / 1e9

    @property
    def hook_visible_gmacs(self) -> float:
        """1e9 MACs per image that a module-hook counter would report (leaf conv/linear layers only)."""
        return self.hook_visible_macs / self.batch / 1e9


def example_images(batch: int, height: int, width: int, device: str | torch.device = "cpu") -> torch.Tensor:
    """A fixed pseudo-random (B, 3, H, W) batch: counts never depend on values, timings barely."""
    generator = torch.Generator().manual_seed(0)
    return torch.randn(batch, 3, height, width, generator=generator).to(device)


@contextmanager
def eval_mode(model: nn.Module) -> Iterator[nn.Module]:
    """Inference behaviour (no dropout, no drop path, BN running stats), restored afterwards."""
    was_training = model.training
    model.eval()
    try:
        yield model
    finally:
        model.train(was_training)


def _recording(op: str, handle: Handle | None, calls: Counter[str]) -> Any:
    """Wrap a handle so that every traced call is recorded; MACs are keyed by the full aten name."""

    def wrapped(inputs: list[Any], outputs: list[Any]) -> Counter[str]:
        calls[op] += 1
        if handle is None:
            return Counter()
        return Counter({op: int(handle(inputs, outputs))})

    return wrapped


def build_analysis(model: nn.Module, images: torch.Tensor, calls: Counter[str]) -> FlopCountAnalysis:
    """fvcore's analysis with only the project's rule installed (its default handles removed)."""
    analysis = FlopCountAnalysis(model, images)
    analysis.clear_op_handles()
    handles = {op: _recording(op, handle, calls) for op, handle in MAC_HANDLES.items()}
    handles.update({op: _recording(op, None, calls) for op in ZERO_MAC_CATEGORY})
    analysis.set_op_handle(**handles)
    analysis.unsupported_ops_warnings(False)
    analysis.uncalled_modules_warnings(False)
    analysis.tracer_warnings("none")
    return analysis


def count_macs(model: nn.Module, images: torch.Tensor) -> MacCount:
    """Trace one eval-mode forward on `images` and count its MACs by the project's rule.

    Works under any ISR setting and input size: the count is read from the traced shapes.
    """
    calls: Counter[str] = Counter()
    with eval_mode(model), torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        analysis = build_analysis(model, images, calls)
        total = int(analysis.total())
        by_operator = {op: int(n) for op, n in analysis.by_operator().most_common()}
        unsupported = dict(analysis.unsupported_ops().most_common())
        by_module = analysis.by_module()
    hook_visible = sum(
        int(by_module.get(name, 0))
        for name, module in model.named_modules()
        if isinstance(module, HOOK_VISIBLE_LAYERS)
    )
    return MacCount(
        input_shape=tuple(images.shape),
        macs=total,
        by_operator=by_operator,
        calls=dict(calls.most_common()),
        unsupported=unsupported,
        hook_visible_macs=hook_visible,
    )
