"""Configs of SegNeXt's parts: the MSCAN encoder and the LightHamHead decoder (Guo et al., NeurIPS 2022).

Defaults are SegNeXt-T; the other variants live in `pipeline.models.presets`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from pipeline.model_configs._checks import (
    check_float_range,
    check_int_at_least,
    check_ints_at_least,
    check_length,
    check_multiple_of,
    check_odd_kernels,
    check_positive_floats,
    check_stage_indices,
    fail,
)
from pipeline.model_configs.common import NUM_STAGES


@dataclass(frozen=True)
class MSCANConfig:
    widths: tuple[int, ...] = (32, 64, 160, 256)  # channels per stage (SegNeXt-T)
    depths: tuple[int, ...] = (3, 3, 5, 2)  # blocks per stage
    mlp_ratios: tuple[float, ...] = (8, 8, 4, 4)  # same for every official variant
    square_kernel: int = 5  # depthwise k×k applied before the strip branches
    strip_kernels: tuple[int, ...] = (7, 11, 21)  # one 1×k → k×1 depthwise branch per size; () keeps only k×k
    drop_path: float = 0.1  # stochastic depth at the last block, linear from 0
    layer_scale_init: float = 1e-2  # keeps early residual branches small

    name: ClassVar[str] = "mscan"

    def __post_init__(self) -> None:
        owner = type(self).__name__
        for field in ("widths", "depths", "mlp_ratios"):
            check_length(owner, field, getattr(self, field), NUM_STAGES)
        check_ints_at_least(owner, "widths", self.widths, 1)
        if self.widths[0] < 2:
            fail(owner, "widths", "a first width >= 2 (the stem's first conv has widths[0] // 2 channels)", self.widths)
        check_ints_at_least(owner, "depths", self.depths, 1)
        check_positive_floats(owner, "mlp_ratios", self.mlp_ratios)
        for width, ratio in zip(self.widths, self.mlp_ratios):
            if int(width * ratio) < 1:
                fail(owner, "mlp_ratios", f"ratios giving at least one hidden channel (width {width})", self.mlp_ratios)
        check_odd_kernels(owner, "square_kernel", (self.square_kernel,))
        if not isinstance(self.strip_kernels, tuple):
            fail(owner, "strip_kernels", "a tuple of odd kernel sizes (possibly empty)", self.strip_kernels)
        check_odd_kernels(owner, "strip_kernels", self.strip_kernels)
        check_float_range(owner, "drop_path", self.drop_path, 0.0, 1.0)
        check_float_range(owner, "layer_scale_init", self.layer_scale_init, 0.0, 1.0, high_inclusive=True)

    def stage_channels(self) -> tuple[int, ...]:
        return self.widths

    def stage_strides(self) -> tuple[int, ...]:
        return (4, 8, 16, 32)


@dataclass(frozen=True)
class LightHamHeadConfig:
    in_stages: tuple[int, ...] = (1, 2, 3)  # stages 2–4, resized to the first one's stride
    channels: int = 256  # width of the squeeze conv and the Hamburger ("ham_channels")
    align_channels: int = 256  # width after the align conv, before the classifier
    rank: int = 16  # NMF bases R (16 for T/S, 64 for B/L)
    train_steps: int = 6  # multiplicative-update steps while training
    eval_steps: int = 7  # more steps at evaluation: the bases start random each call
    one_step_grad: bool = False  # True: gradient through the last NMF update only; the release backpropagates through all
    norm_groups: int = 32  # GroupNorm groups in the squeeze, ham-out and align convs
    dropout: float = 0.1  # channel dropout before the classifier

    name: ClassVar[str] = "light_ham"

    def __post_init__(self) -> None:
        owner = type(self).__name__
        check_stage_indices(owner, "in_stages", self.in_stages, NUM_STAGES)
        check_int_at_least(owner, "channels", self.channels, 1)
        check_int_at_least(owner, "align_channels", self.align_channels, 1)
        check_int_at_least(owner, "rank", self.rank, 1)
        check_int_at_least(owner, "train_steps", self.train_steps, 1)
        check_int_at_least(owner, "eval_steps", self.eval_steps, 1)
        if not isinstance(self.one_step_grad, bool):
            fail(owner, "one_step_grad", "True or False", self.one_step_grad)
        check_int_at_least(owner, "norm_groups", self.norm_groups, 1)
        for field in ("channels", "align_channels"):
            check_multiple_of(owner, field, getattr(self, field), "norm_groups", self.norm_groups)
        check_float_range(owner, "dropout", self.dropout, 0.0, 1.0)

    def check_encoder(self, stage_channels: tuple[int, ...]) -> None:
        """Nothing to check: the squeeze conv accepts any concatenated width."""
