"""Bundles: written weights are tensors only, and the rebuilt model computes exactly what the original did."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from pipeline.model_configs import ConfigError, ModelConfig, model_config_to_dict
from pipeline.models import BUNDLE_FILE, BundleInfo, build_model, load_bundle, read_bundle_info, write_bundle
from pipeline.models._bundle import WEIGHTS_FILE
from tests.models.conftest import TINY_DECODERS, TINY_ENCODERS

NUM_CLASSES = 4


def _info(config: ModelConfig, **changes: object) -> BundleInfo:
    fields = {
        "model_config": json.loads(json.dumps(model_config_to_dict(config))),
        "class_names": tuple(f"class {i}" for i in range(NUM_CLASSES)),
        "palette": ((0, 0, 0), (128, 0, 0), (0, 128, 0), (128, 128, 0)),
        "mean": (123.675, 116.28, 103.53),
        "std": (58.395, 57.12, 57.375),
        "metrics": {"val/miou": 0.5},
        **changes,
    }
    return BundleInfo(**fields)  # type: ignore[arg-type]


def _trained_like(config: ModelConfig) -> torch.nn.Module:
    """A model whose BatchNorm statistics and weights differ from a fresh build's."""
    torch.manual_seed(1)
    model = build_model(config)
    model.train()
    with torch.no_grad():
        for _ in range(2):
            model(torch.randn(2, 3, 64, 64))
    return model.eval()


def test_round_trip_gives_identical_outputs_with_the_isr_setting(tmp_path: Path) -> None:
    config = ModelConfig(TINY_ENCODERS["eft"], TINY_DECODERS["eda_decoder"], NUM_CLASSES)
    model = _trained_like(config)
    model.set_isr(encoder=(2, 2, 1, 1), decoder=(2, 2, 2))
    write_bundle(tmp_path, model, _info(config, isr_encoder=(2, 2, 1, 1), isr_decoder=(2, 2, 2)))

    bundle = load_bundle(tmp_path)
    assert bundle.model.get_isr() == {"encoder": (2, 2, 1, 1), "decoder": (2, 2, 2)}
    assert not bundle.model.training
    images = torch.randn(2, 3, 64, 96)
    with torch.no_grad():
        assert torch.equal(bundle.model(images), model(images))
        fresh = build_model(config).eval()
        fresh.set_isr(encoder=(2, 2, 1, 1), decoder=(2, 2, 2))
        assert not torch.equal(fresh(images), model(images))  # the weights, not the architecture, make it equal
    assert bundle.info == read_bundle_info(tmp_path)
    assert bundle.info.metrics == {"val/miou": 0.5}


def test_weights_load_with_weights_only(tmp_path: Path) -> None:
    config = ModelConfig(TINY_ENCODERS["mscan"], TINY_DECODERS["mlp_head"], NUM_CLASSES)
    write_bundle(tmp_path, build_model(config), _info(config))
    state = torch.load(tmp_path / WEIGHTS_FILE, weights_only=True)
    assert set(state) == set(build_model(config).state_dict())
    assert all(isinstance(v, torch.Tensor) for v in state.values())


def test_info_rejects_class_names_that_do_not_match_the_model() -> None:
    config = ModelConfig(TINY_ENCODERS["mscan"], TINY_DECODERS["mlp_head"], NUM_CLASSES)
    with pytest.raises(ConfigError, match="class_names: expected 4 names"):
        _info(config, class_names=("a", "b"))
    with pytest.raises(ConfigError, match="inference: expected one of"):
        _info(config, inference="tiles")


def test_load_names_the_folder_and_the_problem(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not a model bundle"):
        load_bundle(tmp_path)
    (tmp_path / BUNDLE_FILE).write_text(json.dumps({"format": "segnas-bundle", "version": 99}))
    with pytest.raises(ConfigError, match=r"bundle.json: format/version: expected"):
        load_bundle(tmp_path)
