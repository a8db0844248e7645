"""CCNet head and the CCNet presets: parameter counts, weight sharing across recurrences, validation."""

from __future__ import annotations

import pytest
import torch

from pipeline.model_configs import CCHeadConfig, ConfigError
from pipeline.models import build_model, count_parameters
from pipeline.models.cc_head import build_cc_head

RESNET_CHANNELS = (256, 512, 1024, 2048)

# Head on ResNet's 2048 channels, C = 512, 19 classes (shapes of CCNet's RCCA module; BN = 2 per channel):
#   reduce   3×3 2048 → 512 + BN  9_437_184 + 1_024
#   attention (criss-cross, C = 512)   328_321
#   post     3×3 512 → 512 + BN   2_359_296 + 1_024
#   fuse     3×3 2560 → 512 + BN 11_796_480 + 1_024
#   classifier 1×1 512 → 19 + bias    9_747
CC_HEAD_PARAMS = 23_934_100

# Whole CCNet (inference graph: the training-only auxiliary FCN head on stage 3 is excluded), 19 classes:
# deep-stem dilated backbone of CCNet's code (derived in test_dilated_resnet.py) + the head above.
#   CCNet R-50:  23_631_808 + 23_934_100 = 47_565_908
#   CCNet R-101: 42_623_936 + 23_934_100 = 66_558_036
# mmsegmentation's CCNet R-50/101-D8 differ only by the ResNet-v1c stem (widths 32/32/64):
# 47_461_364 and 66_453_492, i.e. 0.2 % lower, inside the same tolerance.
PRESET_PARAMS = {"ccnet_r50": 47_565_908, "ccnet_r101": 66_558_036}
MMSEG_PARAMS = {"ccnet_r50": 47_461_364, "ccnet_r101": 66_453_492}


def _features(
    strides: tuple[int, ...], channels: tuple[int, ...] = RESNET_CHANNELS, size: int = 64
) -> list[torch.Tensor]:
    return [torch.randn(1, c, size // s, size // s) for c, s in zip(channels, strides)]


@pytest.mark.parametrize("name", list(PRESET_PARAMS))
def test_preset_parameter_count(name: str) -> None:
    model = build_model(name)
    assert model.config.num_classes == 19
    params = count_parameters(model)
    assert params == pytest.approx(PRESET_PARAMS[name], rel=0.01)
    assert params == pytest.approx(MMSEG_PARAMS[name], rel=0.01)


def test_head_parameter_count() -> None:
    head = build_cc_head(CCHeadConfig(), RESNET_CHANNELS, num_classes=19)
    assert count_parameters(head) == CC_HEAD_PARAMS


def test_recurrences_share_weights() -> None:
    torch.manual_seed(0)
    heads = {
        r: build_cc_head(CCHeadConfig(channels=16, fuse_channels=8, recurrence=r), RESNET_CHANNELS, 5)
        for r in (1, 2, 3)
    }
    assert len({count_parameters(h) for h in heads.values()}) == 1
    state = heads[1].state_dict()
    state["attention.gamma"].fill_(1.0)
    features = _features((4, 8, 8, 8))
    outputs = {}
    for r, head in heads.items():
        head.load_state_dict(state)  # same keys and shapes whatever R is
        with torch.no_grad():
            outputs[r] = head.eval()(features)
    # With the gate open each extra pass changes the result: the module really is applied R times.
    assert not torch.allclose(outputs[1], outputs[2])
    assert not torch.allclose(outputs[2], outputs[3])


@pytest.mark.parametrize(
    "strides, in_stage",
    [((4, 8, 8, 8), 3), ((4, 8, 16, 32), 3), ((4, 8, 16, 32), 2), ((4, 8, 16, 32), 0)],
)
def test_forward_on_any_encoder_layout(strides: tuple[int, ...], in_stage: int) -> None:
    channels = (32, 64, 160, 256)
    head = build_cc_head(CCHeadConfig(in_stage=in_stage, channels=16, fuse_channels=8), channels, num_classes=7).eval()
    with torch.no_grad():
        logits = head(_features(strides, channels))
    side = 64 // strides[in_stage]
    assert logits.shape == (1, 7, side, side)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"in_stage": 4}, r"CCHeadConfig\.in_stage: expected a non-empty tuple of distinct stage indices in 0\.\.3"),
        ({"recurrence": 0}, r"CCHeadConfig\.recurrence: expected an integer >= 1, got 0"),
        ({"channels": 0}, r"CCHeadConfig\.channels: expected an integer >= 1"),
        ({"channels": 64, "qk_reduction": 128}, r"CCHeadConfig\.qk_reduction: expected at most channels=64, got 128"),
        ({"fuse_channels": 0}, r"CCHeadConfig\.fuse_channels: expected an integer >= 1"),
        ({"dropout": 1.0}, r"CCHeadConfig\.dropout: expected a number in \[0\.0, 1\.0\)"),
    ],
)
def test_invalid_config_rejected(kwargs: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        CCHeadConfig(**kwargs)


@pytest.mark.parametrize(("activation", "kind", "slope"), [("leaky_relu", torch.nn.LeakyReLU, 0.01), ("relu", torch.nn.ReLU, 0.0)])
def test_head_activations_follow_the_release_by_default(activation: str, kind: type, slope: float) -> None:
    # The release's InPlace-ABN after conva, convb and the bottleneck defaults to LeakyReLU(0.01).
    assert CCHeadConfig().activation == "leaky_relu"
    head = build_cc_head(CCHeadConfig(channels=8, fuse_channels=8, activation=activation), RESNET_CHANNELS, 3)
    x = torch.linspace(-2.0, 2.0, 9)
    for layer in (head.reduce, head.post, head.fuse):
        assert isinstance(layer[2], kind)
        torch.testing.assert_close(layer[2](x), torch.where(x > 0, x, slope * x))
