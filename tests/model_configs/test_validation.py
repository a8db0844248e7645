"""Invalid configs fail where they are made, with a message naming the field and what is allowed."""

from __future__ import annotations

import pytest

from pipeline.model_configs import (
    CCHeadConfig,
    ConfigError,
    DilatedResNetConfig,
    EDADecoderConfig,
    EFTConfig,
    LightHamHeadConfig,
    ModelConfig,
    MSCANConfig,
    SCTNetConfig,
    TwinHeadConfig,
    model_config_from_dict,
)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: MSCANConfig(strip_kernels=(7, 10, 21)), r"MSCANConfig\.strip_kernels: expected odd kernel sizes"),
        (lambda: MSCANConfig(square_kernel=4), r"MSCANConfig\.square_kernel: expected odd kernel sizes"),
        (lambda: SCTNetConfig(kernel_size=6), r"SCTNetConfig\.kernel_size: expected odd kernel sizes"),
        (lambda: MSCANConfig(depths=(3, 0, 5, 2)), r"MSCANConfig\.depths: expected integers >= 1"),
        (lambda: EFTConfig(depths=(2, 2, -1, 2)), r"EFTConfig\.depths: expected integers >= 1"),
        (lambda: TwinHeadConfig(depth=0), r"TwinHeadConfig\.depth: expected an integer >= 1"),
        (lambda: TwinHeadConfig(duplicate_width=1), r"TwinHeadConfig\.duplicate_width: expected True or False"),
        (lambda: EFTConfig(kv_pool_ceil="yes"), r"EFTConfig\.kv_pool_ceil: expected True or False"),
        (lambda: EDADecoderConfig(kv_pool_ceil=None), r"EDADecoderConfig\.kv_pool_ceil: expected True or False"),
        (lambda: CCHeadConfig(activation="gelu"), r"CCHeadConfig\.activation: expected one of \('leaky_relu', 'relu'\)"),
        (
            lambda: DilatedResNetConfig(first_block_dilation="first"),
            r"DilatedResNetConfig\.first_block_dilation: expected one of \('stage', 'previous'\)",
        ),
        (lambda: DilatedResNetConfig(stem_pool_ceil=0), r"DilatedResNetConfig\.stem_pool_ceil: expected True or False"),
        (lambda: EFTConfig(widths=(32, 64, 130, 256)), r"EFTConfig\.widths: stage 2 width 130 is not divisible by heads=4"),
        (lambda: TwinHeadConfig(channels=100, heads=8), r"TwinHeadConfig\.channels: expected a multiple of heads=8"),
        (lambda: MSCANConfig(widths=(32, 64, 160)), r"MSCANConfig\.widths: expected a tuple of 4 values"),
        (lambda: EFTConfig(sr_ratios=(8, 4, 2, 1, 1)), r"EFTConfig\.sr_ratios: expected a tuple of 4 values"),
        (lambda: EDADecoderConfig(depths=(1, 2)), r"EDADecoderConfig\.depths: expected a tuple of 3 values, as many as in_stages"),
        (lambda: LightHamHeadConfig(in_stages=(1, 2, 4)), r"LightHamHeadConfig\.in_stages: expected a non-empty tuple of distinct stage indices"),
        (lambda: CCHeadConfig(qk_reduction=1024), r"CCHeadConfig\.qk_reduction: expected at most channels=512"),
        (lambda: MSCANConfig(drop_path=1.5), r"MSCANConfig\.drop_path: expected a number in \[0.0, 1.0\)"),
    ],
)
def test_invalid_field_is_rejected_with_its_name(make, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        make()


def test_unknown_encoder_name_lists_the_known_ones() -> None:
    with pytest.raises(ConfigError, match=r"unknown encoder name 'msca'; known encoders: \['dilated_resnet', 'eft', 'mscan', 'sctnet'\]"):
        model_config_from_dict({"encoder": {"name": "msca"}, "decoder": {"name": "mlp_head"}})


def test_unknown_decoder_name_lists_the_known_ones() -> None:
    with pytest.raises(ConfigError, match=r"unknown decoder name 'ham'; known decoders: \[.*'light_ham'.*\]"):
        model_config_from_dict({"encoder": {"name": "mscan"}, "decoder": {"name": "ham"}})


def test_unknown_field_suggests_the_nearest() -> None:
    with pytest.raises(ConfigError, match=r"MSCANConfig: unknown field 'width' \(did you mean 'widths'\?\)"):
        model_config_from_dict({"encoder": {"name": "mscan", "width": [8, 16, 32, 64]}, "decoder": {"name": "mlp_head"}})


def test_wrong_config_type_in_a_model_slot_is_rejected() -> None:
    with pytest.raises(ConfigError, match=r"ModelConfig\.encoder: expected one of MSCANConfig"):
        ModelConfig(encoder=LightHamHeadConfig(), decoder=LightHamHeadConfig())  # type: ignore[arg-type]


def test_decoder_heads_must_divide_the_encoder_widths() -> None:
    with pytest.raises(ConfigError, match=r"EDADecoderConfig\.heads: expected head counts that divide the encoder widths"):
        ModelConfig(encoder=MSCANConfig(widths=(32, 64, 160, 250)), decoder=EDADecoderConfig(heads=(2, 4, 4)))
