"""All-attention decoder: structure, any encoder's strides, inference spatial reduction, config errors."""

from __future__ import annotations

import pytest
import torch

from pipeline.model_configs import EDADecoderConfig, EFTConfig, ModelConfig
from pipeline.models import ConfigError, SupportsISR, build_model
from pipeline.models.eda_decoder import build_eda_decoder

WIDTHS = (8, 16, 32, 64)
TINY = EDADecoderConfig(depths=(1, 2, 3), heads=(2, 4, 8), mlp_ratio=1.0, fuse_channels=8)


def _features(strides: tuple[int, ...], size: int = 64, widths: tuple[int, ...] = WIDTHS) -> list[torch.Tensor]:
    return [torch.randn(2, c, size // s, size // s) for c, s in zip(widths, strides)]


def test_branches_run_at_the_encoder_widths_with_the_configured_depths() -> None:
    decoder = build_eda_decoder(TINY, WIDTHS, 5)
    assert [len(b.blocks) for b in decoder.branches] == [1, 2, 3]
    assert [b.blocks[0].norm1.normalized_shape[0] for b in decoder.branches] == [16, 32, 64]
    assert [b.blocks[0].attn.pool_ratio for b in decoder.branches] == [4, 2, 1]
    assert [b.blocks[0].attn.heads for b in decoder.branches] == [2, 4, 8]
    assert decoder.fuse[0].in_channels == 16 + 32 + 64


@pytest.mark.parametrize(
    ("strides", "in_stages", "expected"),
    [
        ((4, 8, 16, 32), (1, 2, 3), 8),
        ((4, 8, 8, 8), (1, 2, 3), 8),  # dilated ResNet at output stride 8
        ((4, 8, 16, 32), (0, 3), 4),
    ],
)
def test_logits_come_at_the_first_input_stage_resolution(
    strides: tuple[int, ...], in_stages: tuple[int, ...], expected: int
) -> None:
    n = len(in_stages)
    config = EDADecoderConfig(
        in_stages=in_stages, depths=(1,) * n, pool_ratios=(2,) * n, heads=(2,) * n, fuse_channels=8
    )
    decoder = build_eda_decoder(config, WIDTHS, 5).eval()
    with torch.no_grad():
        logits = decoder(_features(strides))
    assert logits.shape == (2, 5, 64 // expected, 64 // expected)


def test_isr_changes_only_the_key_value_length() -> None:
    torch.manual_seed(0)
    decoder = build_eda_decoder(TINY, WIDTHS, 5).eval()
    assert isinstance(decoder, SupportsISR) and decoder.isr_stages == 3
    features = _features((4, 8, 16, 32), size=128)  # branch inputs 16×16, 8×8, 4×4
    state = {k: v.clone() for k, v in decoder.state_dict().items()}
    with torch.no_grad():
        reference = decoder(features)
    kv = [b.blocks[0].attn.kv_tokens(16 // 2**i, 16 // 2**i) for i, b in enumerate(decoder.branches)]
    assert kv == [16, 16, 16]

    decoder.set_isr((2, 2, 4))
    assert decoder.get_isr() == (2, 2, 4)
    reduced_kv = [b.blocks[-1].attn.kv_tokens(16 // 2**i, 16 // 2**i) for i, b in enumerate(decoder.branches)]
    assert reduced_kv == [16 // 4, 16 // 4, 16 // 16]
    with torch.no_grad():
        reduced = decoder(features)
    assert reduced.shape == reference.shape and not torch.equal(reduced, reference)
    after = decoder.state_dict()
    assert after.keys() == state.keys() and all(torch.equal(after[k], state[k]) for k in state)

    decoder.set_isr((1, 1, 1))
    with torch.no_grad():
        assert torch.equal(decoder(features), reference)
    with pytest.raises(ConfigError, match=r"AllAttentionDecoder\.set_isr: expected 3 integer factors >= 1"):
        decoder.set_isr((2, 2, 2, 2))


def test_model_isr_with_both_parts_restores_the_training_output() -> None:
    torch.manual_seed(0)
    encoder = EFTConfig(widths=WIDTHS, depths=(1, 1, 1, 1), heads=(1, 2, 4, 8), mlp_ratios=(2, 2, 2, 2))
    model = build_model(ModelConfig(encoder, TINY, 3)).eval()
    images = torch.randn(1, 3, 128, 128)
    with torch.no_grad():
        reference = model(images)
        model.set_isr(encoder=(2, 2, 1, 1), decoder=(2, 2, 2))
        assert model(images).shape == reference.shape
        model.set_isr(encoder=(1, 1, 1, 1), decoder=(1, 1, 1))
        assert torch.equal(model(images), reference)
    with pytest.raises(ConfigError, match=r"ISR decoder: expected 3 integer factors >= 1, got \(2, 2\)"):
        model.set_isr(decoder=(2, 2))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"in_stages": (2, 1, 3)}, r"EDADecoderConfig\.in_stages: expected ascending stage indices"),
        ({"in_stages": (1, 4, 3)}, r"EDADecoderConfig\.in_stages: expected a non-empty tuple of distinct stage"),
        ({"depths": (1, 2)}, r"EDADecoderConfig\.depths: expected a tuple of 3 values, as many as in_stages"),
        ({"pool_ratios": (4, 0, 1)}, r"EDADecoderConfig\.pool_ratios: expected integers >= 1"),
        ({"fuse_channels": 0}, r"EDADecoderConfig\.fuse_channels: expected an integer >= 1"),
        ({"dropout": -0.1}, r"EDADecoderConfig\.dropout: expected a number in \[0\.0, 1\.0\)"),
    ],
)
def test_invalid_config_is_rejected(changes: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        EDADecoderConfig(**changes)


def test_heads_that_do_not_divide_the_encoder_widths_are_rejected() -> None:
    encoder = EFTConfig(widths=(8, 16, 18, 64), depths=(1, 1, 1, 1), heads=(1, 2, 2, 4))
    message = r"EDADecoderConfig\.heads: expected head counts that divide the encoder widths \(16, 18, 64\)"
    with pytest.raises(ConfigError, match=message):
        ModelConfig(encoder, TINY, 3)
    with pytest.raises(ConfigError, match=r"EDADecoderConfig\.heads"):
        build_eda_decoder(TINY, (8, 16, 18, 64), 3)


def test_too_small_mlp_ratio_for_the_encoder_widths_is_rejected() -> None:
    message = r"EDADecoderConfig\.mlp_ratio: expected a ratio giving an FFN hidden width >= 1"
    with pytest.raises(ConfigError, match=message):
        ModelConfig(EFTConfig(), EDADecoderConfig(mlp_ratio=0.01), 3)
