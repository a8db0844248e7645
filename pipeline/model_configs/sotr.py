"""Config of the twin-attention context head, after SOTR's twin transformer (Guo et al., ICCV 2021)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from pipeline.model_configs._checks import (
    check_float_range,
    check_int_at_least,
    check_multiple_of,
    check_stage_indices,
)
from pipeline.model_configs.common import NUM_STAGES


@dataclass(frozen=True)
class TwinHeadConfig:
    in_stage: int = 3  # the deepest stage
    channels: int = 256  # transformer width (SOTR: 256)
    depth: int = 12  # hybrid twin layers (SOTR: 12)
    heads: int = 8  # attention heads (SOTR: 8)
    dropout: float = 0.1

    name: ClassVar[str] = "twin_head"

    def __post_init__(self) -> None:
        owner = type(self).__name__
        check_stage_indices(owner, "in_stage", (self.in_stage,), NUM_STAGES)
        check_int_at_least(owner, "channels", self.channels, 1)
        check_int_at_least(owner, "depth", self.depth, 1)
        check_int_at_least(owner, "heads", self.heads, 1)
        check_multiple_of(owner, "channels", self.channels, "heads", self.heads)
        check_float_range(owner, "dropout", self.dropout, 0.0, 1.0)

    def check_encoder(self, stage_channels: tuple[int, ...]) -> None:
        """Nothing to check: the input projection adapts to any width."""
