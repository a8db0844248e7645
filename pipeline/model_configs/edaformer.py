"""Configs of EDAFormer's parts: the embedding-free encoder (EFT) and the all-attention decoder
(Yu et al., ECCV 2024).

Defaults are EDAFormer-T; EDAFormer-B lives in `pipeline.models.presets`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from pipeline.model_configs._checks import (
    ConfigError,
    check_bool,
    check_divisible,
    check_float_range,
    check_int_at_least,
    check_ints_at_least,
    check_length,
    check_positive_floats,
    check_stage_indices,
    check_tuple_length_matches,
    fail,
)
from pipeline.model_configs.common import NUM_STAGES


@dataclass(frozen=True)
class EFTConfig:
    widths: tuple[int, ...] = (32, 64, 128, 256)  # channels per stage (T)
    depths: tuple[int, ...] = (2, 2, 10, 2)  # blocks per stage (T)
    heads: tuple[int, ...] = (1, 2, 4, 8)  # attention heads per stage
    mlp_ratios: tuple[float, ...] = (3.8, 3.8, 3.8, 3.8)  # FFN hidden width / width (T: 3.8, B: 4)
    sr_ratios: tuple[int, ...] = (8, 4, 2, 1)  # key/value average-pool ratio per stage in training
    ffn_relu: bool = True  # ReLU after fc1 (T and B both have it); False gives the plain SegFormer FFN
    drop_path: float = 0.2  # stochastic depth at the last block, linear from 0 (official rate)
    kv_pool_ceil: bool = False  # keep partial border windows in k/v pooling; the release drops them (floor mode)

    name: ClassVar[str] = "eft"

    def __post_init__(self) -> None:
        owner = type(self).__name__
        for field in ("widths", "depths", "heads", "mlp_ratios", "sr_ratios"):
            check_length(owner, field, getattr(self, field), NUM_STAGES)
        check_ints_at_least(owner, "widths", self.widths, 1)
        check_ints_at_least(owner, "depths", self.depths, 1)
        check_ints_at_least(owner, "heads", self.heads, 1)
        check_ints_at_least(owner, "sr_ratios", self.sr_ratios, 1)
        check_positive_floats(owner, "mlp_ratios", self.mlp_ratios)
        check_divisible(owner, "widths", self.widths, "heads", self.heads)
        for width, ratio in zip(self.widths, self.mlp_ratios):
            if int(width * ratio) < 1:
                fail(owner, "mlp_ratios", "ratios giving an FFN hidden width int(width * ratio) >= 1", self.mlp_ratios)
        if not isinstance(self.ffn_relu, bool):
            raise ConfigError(f"{owner}.ffn_relu: expected True or False, got {self.ffn_relu!r}")
        check_float_range(owner, "drop_path", self.drop_path, 0.0, 1.0)
        check_bool(owner, "kv_pool_ceil", self.kv_pool_ceil)

    def stage_channels(self) -> tuple[int, ...]:
        return self.widths

    def stage_strides(self) -> tuple[int, ...]:
        return (4, 8, 16, 32)


@dataclass(frozen=True)
class EDADecoderConfig:
    in_stages: tuple[int, ...] = (1, 2, 3)  # the three deepest stages, ascending; outputs meet at the first one's size
    depths: tuple[int, ...] = (1, 2, 3)  # EFA blocks on each input stage: more on deeper, more semantic stages
    pool_ratios: tuple[int, ...] = (4, 2, 1)  # key/value pool ratio per input stage in training
    heads: tuple[int, ...] = (2, 4, 8)  # attention heads per input stage (blocks run at the encoder's widths)
    mlp_ratio: float = 2.0  # FFN hidden width / width (T: 2, B: 1)
    fuse_channels: int = 128  # width of the 1×1 fuse conv (T: 128, B: 768)
    dropout: float = 0.1  # channel dropout before the classifier, as in SegFormer-style heads
    drop_path: float = 0.1  # the same stochastic-depth rate in every decoder block
    kv_pool_ceil: bool = False  # keep partial border windows in k/v pooling; the release drops them (floor mode)

    name: ClassVar[str] = "eda_decoder"

    def __post_init__(self) -> None:
        owner = type(self).__name__
        check_stage_indices(owner, "in_stages", self.in_stages, NUM_STAGES)
        if list(self.in_stages) != sorted(self.in_stages):
            fail(owner, "in_stages", "ascending stage indices (the first sets the output resolution)", self.in_stages)
        n = len(self.in_stages)
        for field in ("depths", "pool_ratios", "heads"):
            check_tuple_length_matches(owner, field, getattr(self, field), "in_stages", n)
        check_ints_at_least(owner, "depths", self.depths, 1)
        check_ints_at_least(owner, "pool_ratios", self.pool_ratios, 1)
        check_ints_at_least(owner, "heads", self.heads, 1)
        check_positive_floats(owner, "mlp_ratio", (self.mlp_ratio,))
        check_int_at_least(owner, "fuse_channels", self.fuse_channels, 1)
        check_float_range(owner, "dropout", self.dropout, 0.0, 1.0)
        check_float_range(owner, "drop_path", self.drop_path, 0.0, 1.0)
        check_bool(owner, "kv_pool_ceil", self.kv_pool_ceil)

    def check_encoder(self, stage_channels: tuple[int, ...]) -> None:
        """EFA blocks run at the encoder's widths, so each must split into the given heads."""
        owner = type(self).__name__
        widths = tuple(stage_channels[i] for i in self.in_stages)
        for width, heads in zip(widths, self.heads):
            if width % heads != 0:
                raise ConfigError(
                    f"{owner}.heads: expected head counts that divide the encoder widths "
                    f"{widths} of stages {self.in_stages}, got {self.heads!r}"
                )
        if int(min(widths) * self.mlp_ratio) < 1:
            expected = f"a ratio giving an FFN hidden width >= 1 at encoder widths {widths}"
            fail(owner, "mlp_ratio", expected, self.mlp_ratio)
