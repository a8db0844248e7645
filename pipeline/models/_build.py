"""`build_model`: the one place that reads a whole ModelConfig."""

from __future__ import annotations

from typing import cast

from torch import nn

from pipeline.model_configs import ConfigError, ModelConfig
from pipeline.models._interfaces import FeatureInfo
from pipeline.models._model import SegmentationModel
from pipeline.models._registry import DECODERS, ENCODERS
from pipeline.models.presets import PRESETS


def resolve_config(preset_or_config: str | ModelConfig, num_classes: int | None = None) -> ModelConfig:
    """A preset name or a config, with the class count replaced when one is given."""
    if isinstance(preset_or_config, str):
        if preset_or_config not in PRESETS:
            raise ConfigError(f"unknown preset {preset_or_config!r}; known presets: {sorted(PRESETS)}")
        config = PRESETS[preset_or_config]
    elif isinstance(preset_or_config, ModelConfig):
        config = preset_or_config
    else:
        raise ConfigError(f"expected a preset name or a ModelConfig, got {type(preset_or_config).__name__}")
    return config if num_classes is None else config.with_num_classes(num_classes)


def build_model(preset_or_config: str | ModelConfig, num_classes: int | None = None) -> SegmentationModel:
    config = resolve_config(preset_or_config, num_classes)
    encoder = ENCODERS[config.encoder_name](config.encoder)
    info: tuple[FeatureInfo, ...] = cast(tuple[FeatureInfo, ...], encoder.feature_info)
    expected = tuple(zip(config.encoder.stage_channels(), config.encoder.stage_strides()))
    if tuple((f.channels, f.stride) for f in info) != expected:
        raise RuntimeError(f"{type(encoder).__name__}.feature_info {info} disagrees with its config {expected}")
    decoder = DECODERS[config.decoder_name](config.decoder, tuple(f.channels for f in info), config.num_classes)
    return SegmentationModel(config, encoder, decoder)


def count_parameters(model: nn.Module) -> int:
    """Parameters of the inference graph (shared weights counted once)."""
    return sum(p.numel() for p in model.parameters())
