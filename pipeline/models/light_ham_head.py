"""LightHamHead: SegNeXt's decoder, a Hamburger over the concatenated late stages.

Guo, Lu, Hou, Liu, Cheng, Hu: "SegNeXt: Rethinking Convolutional Attention Design for Semantic
Segmentation", NeurIPS 2022 (arXiv:2209.08575), Sec. 3.2 and Fig. 3(c).

Stage 1 is left out by default: its features are too low-level to help, and at stride 4 they
would make the head far more expensive (Sec. 3.2). Global context comes from the NMF in the
Hamburger.
"""

from __future__ import annotations

import torch
from torch import nn

from pipeline.model_configs.segnext import LightHamHeadConfig
from pipeline.models._layers import resize
from pipeline.models.hamburger import Hamburger


class ConvGNReLU(nn.Sequential):
    """1×1 conv (no bias) → GroupNorm → ReLU; GroupNorm keeps the head independent of batch size."""

    def __init__(self, in_channels: int, out_channels: int, norm_groups: int) -> None:
        super().__init__(
            nn.Conv2d(in_channels, out_channels, 1, bias=False),
            nn.GroupNorm(norm_groups, out_channels),
            nn.ReLU(inplace=True),
        )


class LightHamHead(nn.Module):
    """Resize the chosen stages to the first one's size → concat → squeeze → Hamburger → align → classify."""

    def __init__(
        self,
        in_stages: tuple[int, ...],
        in_channels: tuple[int, ...],
        channels: int,
        align_channels: int,
        num_classes: int,
        rank: int,
        train_steps: int,
        eval_steps: int,
        one_step_grad: bool,
        norm_groups: int,
        dropout: float,
    ) -> None:
        super().__init__()
        self.in_stages = in_stages
        self.squeeze = ConvGNReLU(sum(in_channels[i] for i in in_stages), channels, norm_groups)
        self.hamburger = Hamburger(channels, rank, train_steps, eval_steps, one_step_grad, norm_groups)
        self.align = ConvGNReLU(channels, align_channels, norm_groups)
        self.dropout = nn.Dropout2d(dropout)
        self.classifier = nn.Conv2d(align_channels, num_classes, 1)
        self.apply(_init_weights)
        nn.init.normal_(self.classifier.weight, 0.0, 0.01)  # small logits at the start

    def forward(self, features: list[torch.Tensor]) -> torch.Tensor:
        chosen = [features[i] for i in self.in_stages]
        size = chosen[0].shape[-2:]  # H/8 × W/8 with the default stages 2–4
        x = torch.cat([resize(f, size) for f in chosen], dim=1)  # (B, ΣC_i, H/8, W/8)
        x = self.squeeze(x)  # (B, channels, H/8, W/8)
        x = self.hamburger(x)
        x = self.align(x)  # (B, align_channels, H/8, W/8)
        return self.classifier(self.dropout(x))  # (B, K, H/8, W/8)


def _init_weights(module: nn.Module) -> None:
    # He-normal on fan-out for the ReLU convs; GroupNorm keeps PyTorch's 1/0.
    if isinstance(module, nn.Conv2d):
        nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
        if module.bias is not None:
            nn.init.zeros_(module.bias)


def build_light_ham_head(config: LightHamHeadConfig, in_channels: tuple[int, ...], num_classes: int) -> nn.Module:
    return LightHamHead(
        in_stages=config.in_stages,
        in_channels=in_channels,
        channels=config.channels,
        align_channels=config.align_channels,
        num_classes=num_classes,
        rank=config.rank,
        train_steps=config.train_steps,
        eval_steps=config.eval_steps,
        one_step_grad=config.one_step_grad,
        norm_groups=config.norm_groups,
        dropout=config.dropout,
    )
