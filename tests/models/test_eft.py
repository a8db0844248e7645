"""EFT encoder: feature shapes, inference spatial reduction, config errors."""

from __future__ import annotations

import pytest
import torch

from pipeline.model_configs import EDADecoderConfig, EFTConfig, ModelConfig
from pipeline.models import ConfigError, SupportsISR, build_model
from pipeline.models.eft import build_eft

TINY = EFTConfig(widths=(8, 16, 32, 64), depths=(1, 2, 1, 1), heads=(1, 2, 2, 4), mlp_ratios=(2, 2, 2, 2))


@pytest.mark.parametrize("size", [(64, 64), (64, 96), (50, 37)])
def test_features_have_the_configured_widths_and_strides(size: tuple[int, int]) -> None:
    encoder = build_eft(TINY).eval()
    with torch.no_grad():
        features = encoder(torch.randn(1, 3, *size))
    assert [f.shape[1] for f in features] == list(TINY.widths)
    for f, stride in zip(features, TINY.stage_strides()):
        assert f.shape[-2:] == (-(-size[0] // stride), -(-size[1] // stride))


def _kv_lengths(encoder: torch.nn.Module, images: torch.Tensor) -> list[int]:
    """Key/value tokens each stage's first block actually attends to, read off its 1×1 mix conv."""
    lengths: dict[int, int] = {}
    hooks = [
        stage.blocks[0].attn.kv_mix.register_forward_hook(
            lambda _m, _i, out, i=i: lengths.__setitem__(i, out.shape[-2] * out.shape[-1])
        )
        for i, stage in enumerate(encoder.stages)
    ]
    with torch.no_grad():
        encoder(images)
    for hook in hooks:
        hook.remove()
    return [lengths[i] for i in range(len(encoder.stages))]


def test_isr_changes_only_the_key_value_length() -> None:
    torch.manual_seed(0)
    encoder = build_eft(TINY).eval()
    assert isinstance(encoder, SupportsISR) and encoder.isr_stages == 4
    images = torch.randn(1, 3, 128, 128)
    state = {k: v.clone() for k, v in encoder.state_dict().items()}
    with torch.no_grad():
        reference = encoder(images)
    base = _kv_lengths(encoder, images)
    assert base == [4 * 4, 4 * 4, 4 * 4, 4 * 4]  # stage sides 32/16/8/4 pooled by 8/4/2/1

    encoder.set_isr((2, 2, 4, 1))
    assert encoder.get_isr() == (2, 2, 4, 1)
    assert _kv_lengths(encoder, images) == [base[0] // 4, base[1] // 4, base[2] // 16, base[3]]
    with torch.no_grad():
        reduced = encoder(images)
    assert [f.shape for f in reduced] == [f.shape for f in reference]
    assert not torch.equal(reduced[0], reference[0])
    after = encoder.state_dict()
    assert after.keys() == state.keys() and all(torch.equal(after[k], state[k]) for k in state)

    encoder.set_isr((1, 1, 1, 1))
    with torch.no_grad():
        restored = encoder(images)
    assert all(torch.equal(a, b) for a, b in zip(restored, reference))


def test_isr_through_the_model_and_bad_factor_counts() -> None:
    model = build_model(ModelConfig(TINY, EDADecoderConfig(depths=(1, 1, 1), heads=(2, 2, 4), fuse_channels=8), 3))
    assert model.isr_stages() == {"encoder": 4, "decoder": 3}
    model.set_isr(encoder=(2, 2, 1, 1))
    assert model.get_isr() == {"encoder": (2, 2, 1, 1), "decoder": (1, 1, 1)}
    with pytest.raises(ConfigError, match=r"ISR encoder: expected 4 integer factors >= 1, got \(2, 2\)"):
        model.set_isr(encoder=(2, 2))
    with pytest.raises(ConfigError, match=r"EmbeddingFreeTransformer\.set_isr: expected 4 integer factors >= 1"):
        model.encoder.set_isr((2, 2, 1))


def test_drop_path_rises_to_the_configured_rate() -> None:
    encoder = build_eft(TINY)
    rates = [block.drop_path.prob for stage in encoder.stages for block in stage.blocks]
    assert rates[0] == 0.0 and rates[-1] == pytest.approx(TINY.drop_path)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"heads": (1, 3, 2, 4)}, r"EFTConfig\.widths: stage 1 width 16 is not divisible by heads=3"),
        ({"depths": (1, 1, 1)}, r"EFTConfig\.depths: expected a tuple of 4 values"),
        ({"sr_ratios": (8, 4, 0, 1)}, r"EFTConfig\.sr_ratios: expected integers >= 1"),
        ({"mlp_ratios": (0.1, 2, 2, 2)}, r"EFTConfig\.mlp_ratios: expected ratios giving an FFN hidden width"),
        ({"ffn_relu": 1}, r"EFTConfig\.ffn_relu: expected True or False"),
        ({"drop_path": 1.0}, r"EFTConfig\.drop_path: expected a number in \[0\.0, 1\.0\)"),
    ],
)
def test_invalid_config_is_rejected(changes: dict, message: str) -> None:
    fields = {"widths": TINY.widths, "depths": TINY.depths, "heads": TINY.heads, "mlp_ratios": TINY.mlp_ratios}
    with pytest.raises(ConfigError, match=message):
        EFTConfig(**{**fields, **changes})
