"""ModelConfig ↔ plain dict, and the package's promise to import no torch."""

from __future__ import annotations

import json
import subprocess
import sys

from pipeline.model_configs import (
    DECODER_CONFIGS,
    ENCODER_CONFIGS,
    ModelConfig,
    model_config_from_dict,
    model_config_to_dict,
)


def test_every_encoder_decoder_default_pair_survives_a_json_round_trip() -> None:
    for encoder_cls in ENCODER_CONFIGS.values():
        for decoder_cls in DECODER_CONFIGS.values():
            config = ModelConfig(encoder_cls(), decoder_cls(), num_classes=7)
            back = model_config_from_dict(json.loads(json.dumps(model_config_to_dict(config))))
            assert back == config


def test_omitted_fields_take_the_defaults() -> None:
    config = model_config_from_dict({"encoder": {"name": "eft", "depths": [1, 1, 1, 1]}, "decoder": {"name": "cc_head"}})
    assert config.encoder.depths == (1, 1, 1, 1)
    assert config.encoder.widths == ENCODER_CONFIGS["eft"]().widths
    assert config.num_classes == 150


def test_registry_names_match_the_config_names() -> None:
    assert all(cls.name == name for name, cls in ENCODER_CONFIGS.items())
    assert all(cls.name == name for name, cls in DECODER_CONFIGS.items())


def test_configs_import_without_torch() -> None:
    code = "import sys, pipeline.model_configs; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
