"""build_model: presets by name, class-count override, feature info, clear errors."""

from __future__ import annotations

import pytest
import torch

from pipeline.model_configs import model_config_from_dict, model_config_to_dict
from pipeline.models import PRESETS, ConfigError, build_model, count_parameters
from tests.models.conftest import TINY_DECODERS, TINY_ENCODERS


def test_unknown_preset_lists_the_known_ones() -> None:
    with pytest.raises(ConfigError, match=r"unknown preset 'segnext_xl'; known presets: \[.*'segnext_t'.*\]"):
        build_model("segnext_xl")


def test_num_classes_changes_only_the_classifier() -> None:
    base = build_model("segnext_t")
    other = build_model("segnext_t", num_classes=19)
    assert other.config.num_classes == 19
    a, b = base.state_dict(), other.state_dict()
    changed = [k for k in a if a[k].shape != b[k].shape]
    assert changed and all(a[k].shape[0] == 150 and b[k].shape[0] == 19 for k in changed)


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_every_preset_survives_a_dict_round_trip(name: str) -> None:
    assert model_config_from_dict(model_config_to_dict(PRESETS[name])) == PRESETS[name]


@pytest.mark.parametrize("encoder", sorted(TINY_ENCODERS))
def test_feature_info_matches_the_features(encoder: str) -> None:
    from pipeline.model_configs import ModelConfig

    model = build_model(ModelConfig(TINY_ENCODERS[encoder], TINY_DECODERS["mlp_head"], 3))
    features = model.encoder(torch.randn(1, 3, 64, 64))
    assert [f.shape[1] for f in features] == [i.channels for i in model.feature_info]
    # The dilated ResNet's ceil-mode stem pool (as released) adds one border row/column: 64 → 17 at 1/4.
    for f, info in zip(features, model.feature_info):
        assert f.shape[-1] in (64 // info.stride, 64 // info.stride + 1)


def test_count_parameters_counts_shared_weights_once() -> None:
    layer = torch.nn.Linear(4, 4)
    assert count_parameters(torch.nn.Sequential(layer, layer)) == 20
