"""The SegFormer all-MLP head and its config."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from pipeline.model_configs import ConfigError, MLPHeadConfig
from pipeline.models import count_parameters
from pipeline.models.mlp_head import build_mlp_head

MIT_B0_WIDTHS = (32, 64, 160, 256)
# SegFormer-B0's head on ADE20K (embedding 256, 150 classes), from the released decoder's layers:
# linear embeddings (32+64+160+256)·256 + 4·256 bias = 132,096; fuse 1×1 conv 1024·256 (no bias)
# + BN 512 = 262,656; classifier 256·150 + 150 = 38,550.
SEGFORMER_B0_HEAD_PARAMS = 433_302


def test_segformer_b0_head_parameter_count() -> None:
    head = build_mlp_head(MLPHeadConfig(channels=256), MIT_B0_WIDTHS, 150)
    assert count_parameters(head) == SEGFORMER_B0_HEAD_PARAMS


@pytest.mark.parametrize("strides", [(4, 8, 16, 32), (4, 8, 8, 8)])
@pytest.mark.parametrize("in_stages", [(0, 1, 2, 3), (1, 2, 3), (3, 1), (2,)])
def test_output_at_the_finest_selected_stage(strides: tuple[int, ...], in_stages: tuple[int, ...]) -> None:
    head = build_mlp_head(MLPHeadConfig(in_stages=in_stages, channels=16), MIT_B0_WIDTHS, 5).eval()
    features = [torch.randn(2, c, 64 // s, 96 // s) for c, s in zip(MIT_B0_WIDTHS, strides)]
    finest = strides[min(in_stages)]
    assert head(features).shape == (2, 5, 64 // finest, 96 // finest)


def test_unselected_stages_are_ignored() -> None:
    head = build_mlp_head(MLPHeadConfig(in_stages=(1, 3), channels=8), MIT_B0_WIDTHS, 3).eval()
    features = [torch.randn(1, c, 32 // s, 32 // s) for c, s in zip(MIT_B0_WIDTHS, (4, 8, 16, 32))]
    other = [torch.randn_like(f) for f in features]
    other[1], other[3] = features[1], features[3]
    with torch.no_grad():
        torch.testing.assert_close(head(other), head(features))


def test_matches_resize_then_embed_reference() -> None:
    # Bilinear resizing is linear, so resizing before the 1×1 embedding must give the same map.
    torch.manual_seed(0)
    head = build_mlp_head(MLPHeadConfig(in_stages=(0, 2), channels=8), MIT_B0_WIDTHS, 4).double().eval()
    with torch.no_grad():
        for p in head.fuse[1].parameters():
            p.uniform_(0.5, 1.5)
        head.fuse[1].running_mean.uniform_(-0.2, 0.2)
        head.fuse[1].running_var.uniform_(0.5, 2.0)
    features = [torch.randn(1, c, 64 // s, 48 // s, dtype=torch.float64) for c, s in zip(MIT_B0_WIDTHS, (4, 8, 16, 32))]
    size = features[0].shape[-2:]
    parts = []
    for stage, embed in zip((0, 2), head.embeds):
        up = F.interpolate(features[stage], size=size, mode="bilinear", align_corners=False)
        parts.append(torch.einsum("oc,bchw->bohw", embed.weight[:, :, 0, 0], up) + embed.bias[:, None, None])
    conv, bn = head.fuse[0], head.fuse[1]
    fused = torch.einsum("oc,bchw->bohw", conv.weight[:, :, 0, 0], torch.cat(parts, dim=1))
    fused = (fused - bn.running_mean[:, None, None]) / torch.sqrt(bn.running_var[:, None, None] + bn.eps)
    fused = torch.relu(fused * bn.weight[:, None, None] + bn.bias[:, None, None])
    expected = torch.einsum("kc,bchw->bkhw", head.classifier.weight[:, :, 0, 0], fused)
    expected = expected + head.classifier.bias[:, None, None]
    with torch.no_grad():
        torch.testing.assert_close(head(features), expected, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"in_stages": ()}, r"MLPHeadConfig\.in_stages: expected a non-empty tuple of distinct stage indices"),
        ({"in_stages": (0, 0)}, r"MLPHeadConfig\.in_stages: expected a non-empty tuple of distinct stage indices"),
        ({"in_stages": (1, 4)}, r"MLPHeadConfig\.in_stages: .*in 0\.\.3"),
        ({"in_stages": [0, 1]}, r"MLPHeadConfig\.in_stages: expected a non-empty tuple"),
        ({"channels": 0}, r"MLPHeadConfig\.channels: expected an integer >= 1"),
        ({"dropout": -0.1}, r"MLPHeadConfig\.dropout: expected a number in \[0\.0, 1\.0\)"),
    ],
)
def test_config_rejects(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        MLPHeadConfig(**kwargs)
