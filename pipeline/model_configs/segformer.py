"""Config of the all-MLP baseline head (Xie et al., SegFormer, NeurIPS 2021)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from pipeline.model_configs._checks import check_float_range, check_int_at_least, check_stage_indices
from pipeline.model_configs.common import NUM_STAGES


@dataclass(frozen=True)
class MLPHeadConfig:
    in_stages: tuple[int, ...] = (0, 1, 2, 3)  # every stage, resized to the finest selected one (smallest index)
    channels: int = 256  # embedding width of each stage and of the fused map (SegFormer B0/B1: 256, B2-B5: 768)
    dropout: float = 0.1  # SegFormer's dropout before the classifier

    name: ClassVar[str] = "mlp_head"

    def __post_init__(self) -> None:
        owner = type(self).__name__
        check_stage_indices(owner, "in_stages", self.in_stages, NUM_STAGES)
        check_int_at_least(owner, "channels", self.channels, 1)
        check_float_range(owner, "dropout", self.dropout, 0.0, 1.0)

    def check_encoder(self, stage_channels: tuple[int, ...]) -> None:
        """Nothing to check: every stage gets its own projection."""
