"""Dilated ResNet: parameter counts against known ResNets, strides, dilation, validation."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from pipeline.model_configs import ConfigError, DilatedResNetConfig
from pipeline.models import count_parameters
from pipeline.models.dilated_resnet import build_dilated_resnet

R50, R101 = (3, 4, 6, 3), (3, 4, 23, 3)

# Published torchvision ImageNet ResNet totals (7×7 stem, with the 1000-way fc) minus the fc
# (2048·1000 + 1000 = 2_049_000): ResNet-50 25_557_032 → 23_508_032; ResNet-101 44_549_160 → 42_500_160.
#
# Deep stem of width w (3×3 convs 3→w, w→w, w→2w, each + BN) instead of the 7×7 conv 3→64 + BN,
# and stage 1 then reads 2w channels instead of 64 (its first 1×1 conv and its shortcut grow):
#   w = 64 (CCNet's code): stem 1_728 + 36_864 + 73_728 + BN 512 = 112_832, minus 9_408 + 128,
#          stage 1 +64·64 (1×1 conv) +64·256 (shortcut) = +20_480  → +123_776
#   w = 32 (ResNet-v1c, mmsegmentation): stem 864 + 9_216 + 18_432 + BN 256 = 28_768, minus 9_536 → +19_232
# Dilation adds no parameters, so these hold at every output stride.
BACKBONE_PARAMS = {
    ("r50", 64): 23_508_032 + 123_776,  # 23_631_808
    ("r101", 64): 42_500_160 + 123_776,  # 42_623_936
    ("r50", 32): 23_508_032 + 19_232,  # 23_527_264, ResNet-50-v1c without fc
    ("r101", 32): 42_500_160 + 19_232,  # 42_519_392, ResNet-101-v1c without fc
}

_SMALL = dict(depths=(1, 2, 2, 2), stem_width=4, base_width=4)
# torchvision's convention: exact strides, and a dilated stage is the plain stage on a denser grid.
_TORCHVISION = dict(first_block_dilation="previous", stem_pool_ceil=False)


@pytest.mark.parametrize("name, stem_width", list(BACKBONE_PARAMS))
def test_parameter_count(name: str, stem_width: int) -> None:
    depths = {"r50": R50, "r101": R101}[name]
    model = build_dilated_resnet(DilatedResNetConfig(depths=depths, stem_width=stem_width))
    assert count_parameters(model) == BACKBONE_PARAMS[(name, stem_width)]


@pytest.mark.parametrize(
    "output_stride, strides, dilations",
    [
        (8, (4, 8, 8, 8), (1, 1, 2, 4)),
        (16, (4, 8, 16, 16), (1, 1, 1, 2)),
        (32, (4, 8, 16, 32), (1, 1, 1, 1)),
    ],
)
def test_stage_strides_and_dilations(output_stride: int, strides: tuple, dilations: tuple) -> None:
    config = DilatedResNetConfig(output_stride=output_stride, **_SMALL, **_TORCHVISION)
    model = build_dilated_resnet(config).eval()
    assert tuple(f.stride for f in model.feature_info) == strides == config.stage_strides()
    assert tuple(f.channels for f in model.feature_info) == (16, 32, 64, 128) == config.stage_channels()
    with torch.no_grad():
        features = model(torch.randn(1, 3, 64, 96))
    assert [tuple(f.shape) for f in features] == [(1, c, 64 // s, 96 // s) for c, s in zip((16, 32, 64, 128), strides)]
    # The last block of each stage runs at the stage's dilation (the first keeps the previous one).
    assert tuple(stage[-1].spatial[0].dilation[0] for stage in model.stages) == dilations


@pytest.mark.parametrize("output_stride", [8, 16])
def test_dilated_network_is_the_plain_network_on_a_denser_grid(output_stride: int) -> None:
    torch.manual_seed(0)
    plain = build_dilated_resnet(DilatedResNetConfig(output_stride=32, **_SMALL, **_TORCHVISION))
    for m in plain.modules():  # non-trivial BN statistics, so eval mode is not the identity
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 2.0)
    dilated = build_dilated_resnet(DilatedResNetConfig(output_stride=output_stride, **_SMALL, **_TORCHVISION))
    dilated.load_state_dict(plain.state_dict())
    x = torch.randn(1, 3, 96, 64)
    with torch.no_grad():
        dense, coarse = dilated.eval()(x), plain.eval()(x)
    for dense_info, plain_info, d, c in zip(dilated.feature_info, plain.feature_info, dense, coarse):
        step = plain_info.stride // dense_info.stride
        torch.testing.assert_close(d[..., ::step, ::step], c)


@pytest.mark.parametrize("size", [(64, 64), (50, 70), (33, 17)])
def test_any_input_size_runs(size: tuple[int, int]) -> None:
    model = build_dilated_resnet(DilatedResNetConfig(**_SMALL)).eval()
    with torch.no_grad():
        features = model(torch.randn(1, 3, *size))
    assert len(features) == 4 and features[-1].shape[1] == 128


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"output_stride": 4}, r"DilatedResNetConfig\.output_stride: expected one of \(8, 16, 32\), got 4"),
        ({"output_stride": 64}, r"DilatedResNetConfig\.output_stride: expected one of \(8, 16, 32\), got 64"),
        ({"depths": (3, 4, 6)}, r"DilatedResNetConfig\.depths: expected a tuple of 4 values"),
        ({"depths": (3, 0, 6, 3)}, r"DilatedResNetConfig\.depths: expected integers >= 1"),
        ({"stem_width": 0}, r"DilatedResNetConfig\.stem_width: expected an integer >= 1"),
        ({"base_width": 8.0}, r"DilatedResNetConfig\.base_width: expected an integer >= 1"),
    ],
)
def test_invalid_config_rejected(kwargs: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        DilatedResNetConfig(**kwargs)


def test_defaults_follow_the_released_ccnet_backbone() -> None:
    # The release dilates every block of stages 3 and 4, the first included, and its stem max-pool
    # uses ceil_mode: at 256² the stem gives 65² and the output-stride-8 features are 33².
    model = build_dilated_resnet(DilatedResNetConfig(**_SMALL)).eval()
    dilations = [[block.spatial[0].dilation[0] for block in stage] for stage in model.stages]
    assert dilations == [[1], [1, 1], [2, 2], [4, 4]]
    assert [block.spatial[0].padding[0] for block in model.stages[3]] == [4, 4]
    assert model.stem[3].ceil_mode
    with torch.no_grad():
        stem = model.stem(torch.randn(1, 3, 256, 256))
        features = model(torch.randn(1, 3, 256, 256))
    assert stem.shape[-2:] == (65, 65)
    assert [tuple(f.shape[-2:]) for f in features] == [(65, 65), (33, 33), (33, 33), (33, 33)]
    torchvision_style = build_dilated_resnet(DilatedResNetConfig(**_SMALL, **_TORCHVISION))
    assert [stage[0].spatial[0].dilation[0] for stage in torchvision_style.stages] == [1, 1, 1, 2]
