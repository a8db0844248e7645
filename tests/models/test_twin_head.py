"""The twin-attention context head, its config and the `twin_r50` preset."""

from __future__ import annotations

import pytest
import torch

from pipeline.model_configs import ConfigError, TwinHeadConfig
from pipeline.models import build_model, count_parameters
from pipeline.models.twin_head import build_twin_head

# SOTR (ICCV 2021), architectures.md: the twin transformer (dim 256, 12 layers, 8 heads) has
# ≈ 34.6 M parameters; counted exactly in tests/models/test_twin_attention.py: 34,621,488.
SOTR_TRANSFORMER_PARAMS = 34_621_488
# ResNet-50 with the deep stem (three 3×3 convs 3→64→64→128, BN) and no fc: torchvision's
# 25,557,032 − fc 2,049,000 − 7×7 stem (9,408 + 128 BN) + deep stem (112,320 + 512 BN)
# + stage 1 reading 128 instead of 64 channels (first 1×1 conv +4,096, shortcut +16,384).
# Dilation adds no parameters.
DILATED_R50_PARAMS = 23_631_808
# No published figure exists for this combination: the reference total is the two justified parts,
# the backbone above plus the head (1×1 projection + SOTR's transformer + 3×3 fuse + classifier).
TWIN_R50_PARAMS = DILATED_R50_PARAMS + 524_800 + SOTR_TRANSFORMER_PARAMS + 590_336 + 4_883  # 59,373,315


def _head_params(c_in: int, channels: int, depth: int, hidden: int, branches: int, classes: int) -> int:
    proj = c_in * channels + 2 * channels  # 1×1 conv (no bias) + BN
    attention = 2 * (4 * channels * channels + channels + 1)  # column and row paths, each with its gate
    convs = branches * (9 * channels * hidden + hidden + 9 * hidden * channels + channels + 1)
    fuse = 9 * channels * channels + 2 * channels  # 3×3 conv (no bias) + BN
    classifier = channels * classes + classes
    return proj + depth * (attention + convs) + fuse + classifier


def test_twin_r50_parameter_count() -> None:
    model = build_model("twin_r50")
    assert model.config.num_classes == 19
    backbone = count_parameters(model.encoder)
    head = _head_params(2048, 256, 12, 256, 2, 19)
    # 1×1 projection 2048→256 + BN, the transformer, 3×3 fuse + BN, classifier for 19 classes
    assert head == 524_800 + SOTR_TRANSFORMER_PARAMS + 590_336 + 4_883
    assert count_parameters(model.decoder.transformer) == SOTR_TRANSFORMER_PARAMS
    assert abs(backbone - DILATED_R50_PARAMS) / DILATED_R50_PARAMS < 0.01
    total = count_parameters(model)
    assert total == backbone + head
    assert abs(total - TWIN_R50_PARAMS) / TWIN_R50_PARAMS < 0.01


@pytest.mark.parametrize(
    ("channels", "depth", "ffn_ratio", "branches"),
    [(32, 1, 1.0, 2), (48, 2, 0.5, 1), (32, 3, 2.0, 3)],
)
def test_head_parameter_count_follows_the_knobs(channels: int, depth: int, ffn_ratio: float, branches: int) -> None:
    config = TwinHeadConfig(channels=channels, depth=depth, heads=4, ffn_ratio=ffn_ratio, ffn_branches=branches)
    head = build_twin_head(config, (16, 24, 40, 64), 7)
    expected = _head_params(64, channels, depth, round(channels * ffn_ratio), branches, 7)
    assert count_parameters(head) == expected


@pytest.mark.parametrize("strides", [(4, 8, 16, 32), (4, 8, 8, 8)])
@pytest.mark.parametrize("in_stage", [2, 3])
@pytest.mark.parametrize("pos_encoding", ["none", "sine"])
def test_head_output_shape(strides: tuple[int, ...], in_stage: int, pos_encoding: str) -> None:
    channels = (16, 24, 40, 64)
    config = TwinHeadConfig(in_stage=in_stage, channels=32, depth=2, heads=4, pos_encoding=pos_encoding)
    head = build_twin_head(config, channels, 5).eval()
    features = [torch.randn(2, c, 64 // s, 96 // s) for c, s in zip(channels, strides)]
    out = head(features)
    assert out.shape == (2, 5, 64 // strides[in_stage], 96 // strides[in_stage])


def test_head_reads_only_its_stage() -> None:
    torch.manual_seed(0)
    head = build_twin_head(TwinHeadConfig(in_stage=2, channels=16, depth=1, heads=2), (8, 8, 8, 8), 3).eval()
    features = [torch.randn(1, 8, 8, 8) for _ in range(4)]
    other = [torch.randn_like(f) for f in features]
    other[2] = features[2]
    with torch.no_grad():
        torch.testing.assert_close(head(other), head(features))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"channels": 100, "heads": 8}, r"TwinHeadConfig\.channels: expected a multiple of heads=8, got 100"),
        ({"in_stage": 4}, r"TwinHeadConfig\.in_stage: .*stage indices in 0\.\.3"),
        ({"depth": 0}, r"TwinHeadConfig\.depth: expected an integer >= 1"),
        ({"ffn_ratio": 0.0}, r"TwinHeadConfig\.ffn_ratio: expected a positive number"),
        ({"ffn_ratio": 0.001}, r"TwinHeadConfig\.ffn_ratio: expected a ratio giving at least 1 hidden channel"),
        ({"ffn_branches": 0}, r"TwinHeadConfig\.ffn_branches: expected an integer >= 1"),
        ({"pos_encoding": "learned"}, r"TwinHeadConfig\.pos_encoding: expected one of \('none', 'sine'\)"),
        ({"channels": 6, "heads": 2, "pos_encoding": "sine"}, r"TwinHeadConfig\.channels: expected a multiple of 4"),
        ({"dropout": 1.0}, r"TwinHeadConfig\.dropout: expected a number in \[0\.0, 1\.0\)"),
    ],
)
def test_config_rejects(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        TwinHeadConfig(**kwargs)
