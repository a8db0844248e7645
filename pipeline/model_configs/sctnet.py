"""Configs of SCTNet's parts: the CFBlock backbone and the DAPPM head (Xu et al., AAAI 2024).

Defaults are SCTNet-S; SCTNet-B lives in `pipeline.models.presets`.
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
class SCTNetConfig:
    base_width: int = 32  # c: stages are c, 2c, 4c, 8c wide (S: 32, B: 64)
    residual_depths: tuple[int, ...] = (2, 2, 2)  # basic residual blocks in stages 1–3
    cf_depths: tuple[int, ...] = (1, 2)  # CFBlocks closing stage 3, and forming stage 4
    num_kernels: int = 64  # N learnable attention kernels per CFBlock, for every width
    kernel_size: int = 7  # k of the k×1 and 1×k kernel strips
    norm_groups: int = 8  # groups of the grouped double normalization
    ffn_ratio: float = 1.0  # FFN hidden width / block width: two full 3×3 convs are costly
    drop_path: float = 0.1  # stochastic depth of every CFBlock (the same rate for all)

    name: ClassVar[str] = "sctnet"

    def __post_init__(self) -> None:
        owner = type(self).__name__
        check_int_at_least(owner, "base_width", self.base_width, 1)
        check_length(owner, "residual_depths", self.residual_depths, 3)
        check_ints_at_least(owner, "residual_depths", self.residual_depths, 1)
        check_length(owner, "cf_depths", self.cf_depths, 2)
        check_ints_at_least(owner, "cf_depths", self.cf_depths, 1)
        check_int_at_least(owner, "num_kernels", self.num_kernels, 1)
        check_odd_kernels(owner, "kernel_size", (self.kernel_size,))
        check_int_at_least(owner, "norm_groups", self.norm_groups, 1)
        check_multiple_of(owner, "num_kernels", self.num_kernels, "norm_groups", self.norm_groups)
        check_positive_floats(owner, "ffn_ratio", (self.ffn_ratio,))
        check_float_range(owner, "drop_path", self.drop_path, 0.0, 1.0)

    def stage_channels(self) -> tuple[int, ...]:
        c = self.base_width
        return (c, 2 * c, 4 * c, 8 * c)

    def stage_strides(self) -> tuple[int, ...]:
        return (4, 8, 16, 32)


@dataclass(frozen=True)
class SCTHeadConfig:
    in_stages: tuple[int, ...] = (1, 3)  # (high-resolution stage, stage fed to DAPPM)
    dappm_channels: int = 64  # inner width of the DAPPM branches (S: 64, B: 128)
    dappm_out_channels: int = 64  # DAPPM output width, 2c (S: 64, B: 128)
    head_channels: int = 128  # 3×3 conv width before the classifier, 4c (S: 128, B: 256)
    pool_kernels: tuple[int, ...] = (5, 9, 17)  # average-pool kernels of the DAPPM branches
    pool_strides: tuple[int, ...] = (2, 4, 8)  # their strides; a global-pool branch is always added
    dropout: float = 0.0  # SCTNet trains its classifier without dropout

    name: ClassVar[str] = "sct_head"

    def __post_init__(self) -> None:
        owner = type(self).__name__
        check_stage_indices(owner, "in_stages", self.in_stages, NUM_STAGES)
        check_length(owner, "in_stages", self.in_stages, 2)
        for field in ("dappm_channels", "dappm_out_channels", "head_channels"):
            check_int_at_least(owner, field, getattr(self, field), 1)
        if not isinstance(self.pool_kernels, tuple):
            fail(owner, "pool_kernels", "a tuple of odd kernel sizes, one per pooled branch", self.pool_kernels)
        check_odd_kernels(owner, "pool_kernels", self.pool_kernels)
        if not isinstance(self.pool_strides, tuple) or len(self.pool_strides) != len(self.pool_kernels):
            expected = f"a tuple of {len(self.pool_kernels)} strides, one per pool_kernels entry"
            fail(owner, "pool_strides", expected, self.pool_strides)
        check_ints_at_least(owner, "pool_strides", self.pool_strides, 1)
        check_float_range(owner, "dropout", self.dropout, 0.0, 1.0)

    def check_encoder(self, stage_channels: tuple[int, ...]) -> None:
        """Nothing to check: the head adapts to any stage widths and strides."""
