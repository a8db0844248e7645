"""Configs of CCNet's parts: the dilated ResNet backbone and the criss-cross attention head
(Huang et al., "CCNet: Criss-Cross Attention for Semantic Segmentation", ICCV 2019).

Defaults are CCNet with ResNet-50; ResNet-101 lives in `pipeline.models.presets`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from pipeline.model_configs._checks import (
    check_bool,
    check_choice,
    check_float_range,
    check_int_at_least,
    check_ints_at_least,
    check_length,
    check_stage_indices,
    fail,
)
from pipeline.model_configs.common import NUM_STAGES

# Strides the last stages may stop at; below 32 the remaining stages dilate instead of striding.
OUTPUT_STRIDES = (8, 16, 32)
# Stride of each stage's output in a plain (undilated) ResNet: stem /4, then ×2 per stage.
_PLAIN_STRIDES = (4, 8, 16, 32)
# "stage": every block of a dilated stage uses the stage's dilation (the release: 2 and 4 from the
# first block of stages 3 and 4); "previous": the first block keeps the previous stage's dilation
# (torchvision's convention), so a dilated network computes the plain one's outputs on a denser grid.
FIRST_BLOCK_DILATIONS = ("stage", "previous")
# Activations after the head's conv + BN layers: the release's InPlace-ABN defaults to LeakyReLU(0.01).
CC_HEAD_ACTIVATIONS = ("leaky_relu", "relu")


@dataclass(frozen=True)
class DilatedResNetConfig:
    depths: tuple[int, ...] = (3, 4, 6, 3)  # bottlenecks per stage: ResNet-50 (101: 3, 4, 23, 3)
    stem_width: int = 64  # deep stem: 3×3 convs of stem_width, stem_width, 2·stem_width (CCNet: 64)
    base_width: int = 64  # bottleneck width of stage 1, doubled per stage, ×4 at the output
    output_stride: int = 8  # 8 = dilation 2 in stage 3 and 4 in stage 4 (CCNet)
    first_block_dilation: str = "stage"  # the release dilates a stage's first block too (see FIRST_BLOCK_DILATIONS)
    stem_pool_ceil: bool = True  # the release's stem max-pool rounds up: 256² → 65² at 1/4 (False: exactly H/4)

    name: ClassVar[str] = "dilated_resnet"

    def __post_init__(self) -> None:
        owner = type(self).__name__
        check_length(owner, "depths", self.depths, NUM_STAGES)
        check_ints_at_least(owner, "depths", self.depths, 1)
        check_int_at_least(owner, "stem_width", self.stem_width, 1)
        check_int_at_least(owner, "base_width", self.base_width, 1)
        check_choice(owner, "output_stride", self.output_stride, OUTPUT_STRIDES)
        check_choice(owner, "first_block_dilation", self.first_block_dilation, FIRST_BLOCK_DILATIONS)
        check_bool(owner, "stem_pool_ceil", self.stem_pool_ceil)

    def stage_channels(self) -> tuple[int, ...]:
        return tuple(self.base_width * 4 * 2**i for i in range(NUM_STAGES))

    def stage_strides(self) -> tuple[int, ...]:
        return tuple(min(s, self.output_stride) for s in _PLAIN_STRIDES)


@dataclass(frozen=True)
class CCHeadConfig:
    in_stage: int = 3  # the deepest stage
    channels: int = 512  # width the criss-cross attention runs at (2048 / 4 on ResNet)
    recurrence: int = 2  # R applications of the same attention module; 2 reach every position
    qk_reduction: int = 8  # query/key channels = channels // qk_reduction
    fuse_channels: int = 512  # width of the 3×3 conv fusing the attention output with the head input
    dropout: float = 0.1  # channel dropout before the classifier
    activation: str = "leaky_relu"  # after each conv + BN; the release's InPlace-ABN uses LeakyReLU(0.01)

    name: ClassVar[str] = "cc_head"

    def __post_init__(self) -> None:
        owner = type(self).__name__
        check_stage_indices(owner, "in_stage", (self.in_stage,), NUM_STAGES)
        check_int_at_least(owner, "channels", self.channels, 1)
        check_int_at_least(owner, "recurrence", self.recurrence, 1)
        check_int_at_least(owner, "qk_reduction", self.qk_reduction, 1)
        if self.qk_reduction > self.channels:
            fail(owner, "qk_reduction", f"at most channels={self.channels}", self.qk_reduction)
        check_int_at_least(owner, "fuse_channels", self.fuse_channels, 1)
        check_float_range(owner, "dropout", self.dropout, 0.0, 1.0)
        check_choice(owner, "activation", self.activation, CC_HEAD_ACTIVATIONS)

    def check_encoder(self, stage_channels: tuple[int, ...]) -> None:
        """Nothing to check: the input conv adapts to any width and the head runs at any stride."""
