"""The model zoo: encoders, decoders, presets and `build_model`."""

from pipeline.model_configs import ConfigError, ModelConfig
from pipeline.models._build import build_model, count_parameters, resolve_config
from pipeline.models._interfaces import FeatureInfo, SupportsISR
from pipeline.models._model import SegmentationModel
from pipeline.models._registry import DECODERS, ENCODERS
from pipeline.models.presets import PRESETS

__all__ = [
    "ConfigError",
    "DECODERS",
    "ENCODERS",
    "FeatureInfo",
    "ModelConfig",
    "PRESETS",
    "SegmentationModel",
    "SupportsISR",
    "build_model",
    "count_parameters",
    "resolve_config",
]
