"""Config of the twin-attention context head, after SOTR's twin transformer (Guo et al., ICCV 2021).

Defaults are SOTR's transformer: width 256, 12 hybrid twin layers, 8 heads, two parallel 3×3-conv
branches per layer that keep the width, no positional encoding (the released transformer adds
none; its zero-padded convs carry position).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from pipeline.model_configs._checks import (
    check_bool,
    check_choice,
    check_float_range,
    check_int_at_least,
    check_multiple_of,
    check_stage_indices,
    fail,
)
from pipeline.model_configs.common import NUM_STAGES

# "none": no encoding (SOTR's released transformer); "sine": fixed 2-D sinusoids, half the
# channels for the row index and half for the column index, so any feature size works.
POS_ENCODINGS = ("none", "sine")


@dataclass(frozen=True)
class TwinHeadConfig:
    in_stage: int = 3  # the deepest stage
    channels: int = 256  # transformer width (SOTR: 256)
    depth: int = 12  # hybrid twin layers (SOTR: 12)
    heads: int = 8  # attention heads of each column/row attention (SOTR: 8)
    ffn_ratio: float = 1.0  # hidden width of each 3×3-conv branch / channels (SOTR: 1, the convs keep the width)
    ffn_branches: int = 2  # parallel 3×3-conv branches per layer, summed (SOTR: 2)
    pos_encoding: str = "none"  # SOTR's released transformer adds no positional encoding
    dropout: float = 0.1  # before the classifier, as in the other context heads
    duplicate_width: bool = True  # the release runs on cat((x, x), -1) and averages the halves (see twin_attention)

    name: ClassVar[str] = "twin_head"

    def __post_init__(self) -> None:
        owner = type(self).__name__
        check_stage_indices(owner, "in_stage", (self.in_stage,), NUM_STAGES)
        check_int_at_least(owner, "channels", self.channels, 1)
        check_int_at_least(owner, "depth", self.depth, 1)
        check_int_at_least(owner, "heads", self.heads, 1)
        check_multiple_of(owner, "channels", self.channels, "heads", self.heads)
        if isinstance(self.ffn_ratio, bool) or not isinstance(self.ffn_ratio, (int, float)) or self.ffn_ratio <= 0:
            fail(owner, "ffn_ratio", "a positive number", self.ffn_ratio)
        if round(self.channels * self.ffn_ratio) < 1:
            expected = f"a ratio giving at least 1 hidden channel at channels={self.channels}"
            fail(owner, "ffn_ratio", expected, self.ffn_ratio)
        check_int_at_least(owner, "ffn_branches", self.ffn_branches, 1)
        check_choice(owner, "pos_encoding", self.pos_encoding, POS_ENCODINGS)
        if self.pos_encoding == "sine" and self.channels % 4 != 0:
            fail(owner, "channels", "a multiple of 4 with pos_encoding='sine' (sin and cos per axis)", self.channels)
        check_float_range(owner, "dropout", self.dropout, 0.0, 1.0)
        check_bool(owner, "duplicate_width", self.duplicate_width)

    def ffn_channels(self) -> int:
        """Hidden width of each 3×3-conv branch."""
        return round(self.channels * self.ffn_ratio)

    def check_encoder(self, stage_channels: tuple[int, ...]) -> None:
        """Nothing to check: the input projection adapts to any width."""
