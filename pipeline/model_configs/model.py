"""The whole-model config: one encoder config, one decoder config, the class count.

Configs cross process boundaries (Ray workers, Parquet rows, YAML specs) as plain dicts made by
`model_config_to_dict`; `model_config_from_dict` is the one way back and validates everything.
"""

from __future__ import annotations

import dataclasses
import difflib
from dataclasses import dataclass
from typing import Any

from pipeline.model_configs._checks import ConfigError, check_int_at_least
from pipeline.model_configs.ccnet import CCHeadConfig, DilatedResNetConfig
from pipeline.model_configs.edaformer import EDADecoderConfig, EFTConfig
from pipeline.model_configs.sctnet import SCTHeadConfig, SCTNetConfig
from pipeline.model_configs.segformer import MLPHeadConfig
from pipeline.model_configs.segnext import LightHamHeadConfig, MSCANConfig
from pipeline.model_configs.sotr import TwinHeadConfig

EncoderConfig = MSCANConfig | SCTNetConfig | EFTConfig | DilatedResNetConfig
DecoderConfig = (
    LightHamHeadConfig | SCTHeadConfig | EDADecoderConfig | CCHeadConfig | TwinHeadConfig | MLPHeadConfig
)

ENCODER_CONFIGS: dict[str, type] = {
    MSCANConfig.name: MSCANConfig,
    SCTNetConfig.name: SCTNetConfig,
    EFTConfig.name: EFTConfig,
    DilatedResNetConfig.name: DilatedResNetConfig,
}
DECODER_CONFIGS: dict[str, type] = {
    LightHamHeadConfig.name: LightHamHeadConfig,
    SCTHeadConfig.name: SCTHeadConfig,
    EDADecoderConfig.name: EDADecoderConfig,
    CCHeadConfig.name: CCHeadConfig,
    TwinHeadConfig.name: TwinHeadConfig,
    MLPHeadConfig.name: MLPHeadConfig,
}


@dataclass(frozen=True)
class ModelConfig:
    encoder: EncoderConfig
    decoder: DecoderConfig
    num_classes: int = 150  # ADE20K, the benchmark every source paper reports

    def __post_init__(self) -> None:
        if type(self.encoder) not in ENCODER_CONFIGS.values():
            raise ConfigError(
                f"ModelConfig.encoder: expected one of {_class_names(ENCODER_CONFIGS)}, "
                f"got {type(self.encoder).__name__}"
            )
        if type(self.decoder) not in DECODER_CONFIGS.values():
            raise ConfigError(
                f"ModelConfig.decoder: expected one of {_class_names(DECODER_CONFIGS)}, "
                f"got {type(self.decoder).__name__}"
            )
        check_int_at_least("ModelConfig", "num_classes", self.num_classes, 1)
        self.decoder.check_encoder(self.encoder.stage_channels())

    @property
    def encoder_name(self) -> str:
        return self.encoder.name

    @property
    def decoder_name(self) -> str:
        return self.decoder.name

    def with_num_classes(self, num_classes: int) -> ModelConfig:
        return dataclasses.replace(self, num_classes=num_classes)


def _class_names(table: dict[str, type]) -> str:
    return ", ".join(cls.__name__ for cls in table.values())


def model_config_to_dict(config: ModelConfig) -> dict[str, Any]:
    """Plain nested dict (JSON/YAML safe) that `model_config_from_dict` turns back into `config`."""
    return {
        "encoder": {"name": config.encoder.name, **dataclasses.asdict(config.encoder)},
        "decoder": {"name": config.decoder.name, **dataclasses.asdict(config.decoder)},
        "num_classes": config.num_classes,
    }


def model_config_from_dict(data: dict[str, Any]) -> ModelConfig:
    """Validate and build a ModelConfig from `{"encoder": {"name": ..., ...}, "decoder": {...}, "num_classes": K}`.

    Omitted part fields take the part's defaults; lists become tuples.
    """
    if not isinstance(data, dict):
        raise ConfigError(f"model config: expected a mapping with encoder, decoder and num_classes, got {data!r}")
    unknown = set(data) - {"encoder", "decoder", "num_classes"}
    if unknown:
        raise ConfigError(f"model config: unknown keys {sorted(unknown)}; expected encoder, decoder, num_classes")
    for part in ("encoder", "decoder"):
        if part not in data:
            raise ConfigError(f"model config: missing '{part}'")
    kwargs: dict[str, Any] = {
        "encoder": _part_from_dict("encoder", data["encoder"], ENCODER_CONFIGS),
        "decoder": _part_from_dict("decoder", data["decoder"], DECODER_CONFIGS),
    }
    if "num_classes" in data:
        kwargs["num_classes"] = data["num_classes"]
    return ModelConfig(**kwargs)


def _part_from_dict(part: str, data: object, table: dict[str, type]) -> Any:
    if not isinstance(data, dict) or "name" not in data:
        raise ConfigError(f"model config: '{part}' must be a mapping with a 'name' (one of {sorted(table)}), got {data!r}")
    fields = dict(data)
    name = fields.pop("name")
    if name not in table:
        raise ConfigError(f"model config: unknown {part} name {name!r}; known {part}s: {sorted(table)}")
    cls = table[name]
    known = {f.name for f in dataclasses.fields(cls)}
    for key in fields:
        if key not in known:
            hint = difflib.get_close_matches(key, sorted(known), n=1)
            did_you_mean = f" (did you mean {hint[0]!r}?)" if hint else ""
            raise ConfigError(
                f"{cls.__name__}: unknown field {key!r}{did_you_mean}; known fields: {sorted(known)}"
            )
    return cls(**{k: _as_tuple(v) for k, v in fields.items()})


def _as_tuple(value: object) -> object:
    return tuple(value) if isinstance(value, list) else value
