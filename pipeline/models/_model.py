"""The assembled segmentation model: any encoder, any decoder, logits at input resolution."""

from __future__ import annotations

from typing import cast

import torch
from torch import nn

from pipeline.model_configs import ConfigError, ModelConfig
from pipeline.models._interfaces import FeatureInfo, SupportsISR
from pipeline.models._layers import resize


class SegmentationModel(nn.Module):
    def __init__(self, config: ModelConfig, encoder: nn.Module, decoder: nn.Module) -> None:
        super().__init__()
        self.config = config
        self.encoder = encoder
        self.decoder = decoder

    @property
    def feature_info(self) -> tuple[FeatureInfo, ...]:
        info: tuple[FeatureInfo, ...] = cast(tuple[FeatureInfo, ...], self.encoder.feature_info)
        return info

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        features = self.encoder(images)  # [(B, C_i, H/s_i, W/s_i) for each stage]
        logits = self.decoder(features)  # (B, K, H/s, W/s)
        return resize(logits, images.shape[-2:])  # (B, K, H, W)

    # Inference spatial reduction (EDAFormer): extra key/value pooling, switchable at any time.

    def isr_stages(self) -> dict[str, int]:
        """How many ISR factors each part takes; parts without pooled attention are absent."""
        return {part: module.isr_stages for part, module in self._isr_parts().items()}

    def get_isr(self) -> dict[str, tuple[int, ...]]:
        return {part: module.get_isr() for part, module in self._isr_parts().items()}

    def set_isr(self, encoder: tuple[int, ...] | None = None, decoder: tuple[int, ...] | None = None) -> None:
        """Multiply the encoder's / decoder's key-value pooling ratios by these factors (None: leave as is).

        All-ones factors restore the training configuration. Weights are untouched.
        """
        parts = self._isr_parts()
        for part, factors in (("encoder", encoder), ("decoder", decoder)):
            if factors is None:
                continue
            if part not in parts:
                raise ConfigError(
                    f"ISR {part}: {type(getattr(self, part)).__name__} has no pooled attention; "
                    f"parts that support ISR in this model: {sorted(parts) or 'none'}"
                )
            module = parts[part]
            factors = tuple(factors)
            if len(factors) != module.isr_stages or any(
                isinstance(f, bool) or not isinstance(f, int) or f < 1 for f in factors
            ):
                raise ConfigError(
                    f"ISR {part}: expected {module.isr_stages} integer factors >= 1, got {factors!r}"
                )
            module.set_isr(factors)

    def _isr_parts(self) -> dict[str, SupportsISR]:
        return {
            part: module
            for part, module in (("encoder", self.encoder), ("decoder", self.decoder))
            if isinstance(module, SupportsISR)
        }
