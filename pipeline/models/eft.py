"""Embedding-free transformer (EFT): EDAFormer's hierarchical encoder.

Paper: Yu et al., "Embedding-Free Transformer with Inference Spatial Reduction for Efficient
Semantic Segmentation" (EDAFormer), ECCV 2024.

Four stages at strides 4, 8, 16, 32; each starts with an overlapping patch embedding (7×7 stride 4,
then 3×3 stride 2), runs pre-norm blocks of embedding-free attention and a depthwise-conv FFN,
and ends with a LayerNorm. Key/value pooling per stage is `sr_ratios[i] × ISR factor[i]`.
"""

from __future__ import annotations

import torch
from torch import nn

from pipeline.model_configs.edaformer import EFTConfig
from pipeline.models._interfaces import FeatureInfo
from pipeline.models._layers import drop_path_schedule
from pipeline.models.efa import EFTBlock, check_isr_factors, init_transformer_weights

# Blocks and stage norms use eps 1e-6, the patch-embedding norm keeps PyTorch's 1e-5.
_BLOCK_NORM_EPS = 1e-6


class OverlapPatchEmbed(nn.Module):
    """k×k conv with stride < k (neighbouring patches overlap) → LayerNorm; output channels-last."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, stride: int) -> None:
        super().__init__()
        self.proj = nn.Conv2d(in_channels, out_channels, kernel_size, stride, padding=kernel_size // 2)
        self.norm = nn.LayerNorm(out_channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.proj(x)  # (B, C, H/s, W/s)
        return self.norm(x.permute(0, 2, 3, 1))  # (B, H/s, W/s, C)


class EFTStage(nn.Module):
    """Patch embedding → EFT blocks → LayerNorm, (B, C_in, H, W) → (B, C, H/s, W/s)."""

    def __init__(
        self,
        in_channels: int,
        width: int,
        depth: int,
        patch_kernel: int,
        patch_stride: int,
        heads: int,
        pool_ratio: int,
        mlp_ratio: float,
        ffn_relu: bool,
        drop_paths: list[float],
        ceil_pool: bool,
    ) -> None:
        super().__init__()
        self.embed = OverlapPatchEmbed(in_channels, width, patch_kernel, patch_stride)
        self.blocks = nn.Sequential(
            *(
                EFTBlock(
                    width,
                    heads,
                    pool_ratio,
                    mlp_ratio,
                    ffn_relu=ffn_relu,
                    kv_norm=False,
                    drop_path=drop_paths[j],
                    norm_eps=_BLOCK_NORM_EPS,
                    ceil_pool=ceil_pool,
                )
                for j in range(depth)
            )
        )
        self.norm = nn.LayerNorm(width, eps=_BLOCK_NORM_EPS)

    def set_isr_factor(self, factor: int) -> None:
        for block in self.blocks:
            block.attn.isr_factor = factor

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.blocks(self.embed(x))  # (B, H/s, W/s, C)
        return self.norm(x).permute(0, 3, 1, 2).contiguous()  # (B, C, H/s, W/s)


class EmbeddingFreeTransformer(nn.Module):
    """The four EFT stages; forward returns every stage's features. Supports ISR (4 factors)."""

    def __init__(
        self,
        widths: tuple[int, ...],
        depths: tuple[int, ...],
        heads: tuple[int, ...],
        mlp_ratios: tuple[float, ...],
        sr_ratios: tuple[int, ...],
        ffn_relu: bool,
        drop_path: float,
        strides: tuple[int, ...],
        kv_pool_ceil: bool = False,
    ) -> None:
        super().__init__()
        drop_paths = drop_path_schedule(drop_path, depths)
        in_channels = (3,) + tuple(widths[:-1])
        self.stages = nn.ModuleList(
            EFTStage(
                in_channels[i],
                widths[i],
                depths[i],
                patch_kernel=7 if i == 0 else 3,
                patch_stride=4 if i == 0 else 2,
                heads=heads[i],
                pool_ratio=sr_ratios[i],
                mlp_ratio=mlp_ratios[i],
                ffn_relu=ffn_relu,
                drop_paths=drop_paths[i],
                ceil_pool=kv_pool_ceil,
            )
            for i in range(len(widths))
        )
        self.feature_info = tuple(FeatureInfo(c, s) for c, s in zip(widths, strides))
        self.isr_stages = len(widths)
        self._isr: tuple[int, ...] = (1,) * self.isr_stages
        self.apply(init_transformer_weights)

    def set_isr(self, factors: tuple[int, ...]) -> None:
        """Pool each stage's keys/values `factors[i]` times harder; all ones is the training setting."""
        factors = check_isr_factors(type(self).__name__, factors, self.isr_stages)
        for stage, factor in zip(self.stages, factors):
            stage.set_isr_factor(factor)
        self._isr = factors

    def get_isr(self) -> tuple[int, ...]:
        return self._isr

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        features = []
        for stage in self.stages:
            x = stage(x)  # (B, C_i, H/s_i, W/s_i)
            features.append(x)
        return features


def build_eft(config: EFTConfig) -> nn.Module:
    return EmbeddingFreeTransformer(
        widths=config.widths,
        depths=config.depths,
        heads=config.heads,
        mlp_ratios=config.mlp_ratios,
        sr_ratios=config.sr_ratios,
        ffn_relu=config.ffn_relu,
        drop_path=config.drop_path,
        strides=config.stage_strides(),
        kv_pool_ceil=config.kv_pool_ceil,
    )
