"""Typed, validated configs of every encoder, decoder and whole model. Imports no torch."""

from pipeline.model_configs._checks import ConfigError
from pipeline.model_configs.ccnet import CCHeadConfig, DilatedResNetConfig
from pipeline.model_configs.common import NUM_STAGES
from pipeline.model_configs.edaformer import EDADecoderConfig, EFTConfig
from pipeline.model_configs.model import (
    DECODER_CONFIGS,
    ENCODER_CONFIGS,
    DecoderConfig,
    EncoderConfig,
    ModelConfig,
    model_config_from_dict,
    model_config_to_dict,
)
from pipeline.model_configs.sctnet import SCTHeadConfig, SCTNetConfig
from pipeline.model_configs.segformer import MLPHeadConfig
from pipeline.model_configs.segnext import LightHamHeadConfig, MSCANConfig
from pipeline.model_configs.sotr import TwinHeadConfig

__all__ = [
    "CCHeadConfig",
    "ConfigError",
    "DECODER_CONFIGS",
    "DecoderConfig",
    "DilatedResNetConfig",
    "EDADecoderConfig",
    "EFTConfig",
    "ENCODER_CONFIGS",
    "EncoderConfig",
    "LightHamHeadConfig",
    "MLPHeadConfig",
    "MSCANConfig",
    "ModelConfig",
    "NUM_STAGES",
    "SCTHeadConfig",
    "SCTNetConfig",
    "TwinHeadConfig",
    "model_config_from_dict",
    "model_config_to_dict",
]
