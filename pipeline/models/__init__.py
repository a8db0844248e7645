"""The model zoo: encoders, decoders, presets and `build_model`."""

from pipeline.model_configs import ConfigError, ModelConfig
from pipeline.models._build import build_model, count_parameters, resolve_config
from pipeline.models._bundle import BUNDLE_FILE, Bundle, BundleInfo, load_bundle, read_bundle_info, write_bundle
from pipeline.models._interfaces import FeatureInfo, SupportsISR
from pipeline.models._model import SegmentationModel
from pipeline.models._registry import DECODERS, ENCODERS
from pipeline.models.presets import PRESETS

__all__ = [
    "BUNDLE_FILE",
    "Bundle",
    "BundleInfo",
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
    "load_bundle",
    "read_bundle_info",
    "resolve_config",
    "write_bundle",
]
