"""EDAFormer's all-attention decoder.

Paper: Yu et al., "Embedding-Free Transformer with Inference Spatial Reduction for Efficient
Semantic Segmentation" (EDAFormer), ECCV 2024.

Each selected encoder stage passes through its own stack of embedding-free attention blocks at
the stage's own width (deeper stages get more blocks and gentler key/value pooling), is resized
to the first selected stage's resolution, and the concatenation is fused by a 1×1 conv + BN + ReLU
before dropout and a 1×1 classifier. Key/value pooling per branch is `pool_ratios[i] × ISR factor[i]`.
"""

from __future__ import annotations

import torch
from torch import nn

from pipeline.model_configs.edaformer import EDADecoderConfig
from pipeline.models._layers import ConvBNAct, resize
from pipeline.models.efa import EFTBlock, check_isr_factors, init_transformer_weights

# The decoder blocks keep PyTorch's LayerNorm eps.
_BLOCK_NORM_EPS = 1e-5


class AttentionBranch(nn.Module):
    """`depth` EFT blocks on one encoder stage, (B, C, H, W) → (B, C, H, W)."""

    def __init__(
        self, width: int, depth: int, heads: int, pool_ratio: int, mlp_ratio: float, drop_path: float, ceil_pool: bool
    ) -> None:
        super().__init__()
        # Unlike the encoder, pooled keys/values get LayerNorm + GELU and the FFN has no ReLU after fc1.
        self.blocks = nn.Sequential(
            *(
                EFTBlock(
                    width,
                    heads,
                    pool_ratio,
                    mlp_ratio,
                    ffn_relu=False,
                    kv_norm=True,
                    drop_path=drop_path,
                    norm_eps=_BLOCK_NORM_EPS,
                    ceil_pool=ceil_pool,
                )
                for _ in range(depth)
            )
        )

    def set_isr_factor(self, factor: int) -> None:
        for block in self.blocks:
            block.attn.isr_factor = factor

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.blocks(x.permute(0, 2, 3, 1))  # (B, H, W, C)
        return x.permute(0, 3, 1, 2)  # (B, C, H, W)


class AllAttentionDecoder(nn.Module):
    """Attention branches per input stage → resize to the first → concat → fuse → classify. Supports ISR."""

    def __init__(
        self,
        in_stages: tuple[int, ...],
        in_channels: tuple[int, ...],
        depths: tuple[int, ...],
        heads: tuple[int, ...],
        pool_ratios: tuple[int, ...],
        mlp_ratio: float,
        drop_path: float,
        fuse_channels: int,
        dropout: float,
        num_classes: int,
        kv_pool_ceil: bool = False,
    ) -> None:
        super().__init__()
        self.in_stages = in_stages
        widths = tuple(in_channels[i] for i in in_stages)
        self.branches = nn.ModuleList(
            AttentionBranch(w, d, h, r, mlp_ratio, drop_path, kv_pool_ceil)
            for w, d, h, r in zip(widths, depths, heads, pool_ratios)
        )
        self.branches.apply(init_transformer_weights)
        self.fuse = ConvBNAct(sum(widths), fuse_channels, kernel_size=1)
        self.dropout = nn.Dropout2d(dropout)
        self.classifier = nn.Conv2d(fuse_channels, num_classes, kernel_size=1)
        self.isr_stages = len(in_stages)
        self._isr: tuple[int, ...] = (1,) * self.isr_stages

    def set_isr(self, factors: tuple[int, ...]) -> None:
        """Pool each branch's keys/values `factors[i]` times harder; all ones is the training setting."""
        factors = check_isr_factors(type(self).__name__, factors, self.isr_stages)
        for branch, factor in zip(self.branches, factors):
            branch.set_isr_factor(factor)
        self._isr = factors

    def get_isr(self) -> tuple[int, ...]:
        return self._isr

    def forward(self, features: list[torch.Tensor]) -> torch.Tensor:
        inputs = [features[i] for i in self.in_stages]
        size = inputs[0].shape[-2:]  # the shallowest selected stage: in_stages ascend
        outs = [resize(branch(x), size) for branch, x in zip(self.branches, inputs)]  # [(B, C_i, h, w)]
        x = self.fuse(torch.cat(outs, dim=1))  # (B, fuse_channels, h, w)
        return self.classifier(self.dropout(x))  # (B, K, h, w)


def build_eda_decoder(config: EDADecoderConfig, in_channels: tuple[int, ...], num_classes: int) -> nn.Module:
    config.check_encoder(tuple(in_channels))
    return AllAttentionDecoder(
        in_stages=config.in_stages,
        in_channels=tuple(in_channels),
        depths=config.depths,
        heads=config.heads,
        pool_ratios=config.pool_ratios,
        mlp_ratio=config.mlp_ratio,
        drop_path=config.drop_path,
        fuse_channels=config.fuse_channels,
        dropout=config.dropout,
        num_classes=num_classes,
        kv_pool_ceil=config.kv_pool_ceil,
    )
