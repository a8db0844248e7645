"""The papers' architectures by name: name → ModelConfig.

Numbers come from the papers and their official configurations. Class counts are those of the
benchmark the official parameter counts were reported on; `build_model(name, num_classes=K)`
changes only the classifier.
"""

from __future__ import annotations

from pipeline.model_configs import (
    CCHeadConfig,
    DilatedResNetConfig,
    EDADecoderConfig,
    EFTConfig,
    LightHamHeadConfig,
    ModelConfig,
    MSCANConfig,
    SCTHeadConfig,
    SCTNetConfig,
    TwinHeadConfig,
)

ADE20K_CLASSES = 150
CITYSCAPES_CLASSES = 19

_SEGNEXT_WIDE = (64, 128, 320, 512)

PRESETS: dict[str, ModelConfig] = {
    # SegNeXt (NeurIPS 2022): MSCAN + LightHamHead.
    "segnext_t": ModelConfig(
        MSCANConfig(widths=(32, 64, 160, 256), depths=(3, 3, 5, 2)),
        LightHamHeadConfig(channels=256, align_channels=256, rank=16),
        ADE20K_CLASSES,
    ),
    "segnext_s": ModelConfig(
        MSCANConfig(widths=_SEGNEXT_WIDE, depths=(2, 2, 4, 2)),
        LightHamHeadConfig(channels=256, align_channels=256, rank=16),
        ADE20K_CLASSES,
    ),
    "segnext_b": ModelConfig(
        MSCANConfig(widths=_SEGNEXT_WIDE, depths=(3, 3, 12, 3)),
        LightHamHeadConfig(channels=512, align_channels=512, rank=64),
        ADE20K_CLASSES,
    ),
    "segnext_l": ModelConfig(
        MSCANConfig(widths=_SEGNEXT_WIDE, depths=(3, 5, 27, 3), drop_path=0.3),
        LightHamHeadConfig(channels=1024, align_channels=1024, rank=64),
        ADE20K_CLASSES,
    ),
    # SCTNet (AAAI 2024): CFBlock backbone + DAPPM head.
    "sctnet_s": ModelConfig(
        SCTNetConfig(base_width=32),
        SCTHeadConfig(dappm_channels=64, dappm_out_channels=64, head_channels=128),
        CITYSCAPES_CLASSES,
    ),
    "sctnet_b": ModelConfig(
        SCTNetConfig(base_width=64),
        SCTHeadConfig(dappm_channels=128, dappm_out_channels=128, head_channels=256),
        CITYSCAPES_CLASSES,
    ),
    # EDAFormer (ECCV 2024): embedding-free encoder + all-attention decoder.
    "edaformer_t": ModelConfig(EFTConfig(), EDADecoderConfig(), ADE20K_CLASSES),
    "edaformer_b": ModelConfig(
        EFTConfig(
            widths=(64, 128, 256, 512),
            depths=(3, 3, 22, 3),
            mlp_ratios=(4, 4, 4, 4),
        ),
        EDADecoderConfig(mlp_ratio=1.0, fuse_channels=768),
        ADE20K_CLASSES,
    ),
    # CCNet (ICCV 2019): dilated ResNet (output stride 8) + recurrent criss-cross attention.
    "ccnet_r50": ModelConfig(DilatedResNetConfig(depths=(3, 4, 6, 3)), CCHeadConfig(), CITYSCAPES_CLASSES),
    "ccnet_r101": ModelConfig(DilatedResNetConfig(depths=(3, 4, 23, 3)), CCHeadConfig(), CITYSCAPES_CLASSES),
    # SOTR's twin transformer (ICCV 2021) as a context head on a dilated ResNet-50.
    "twin_r50": ModelConfig(DilatedResNetConfig(depths=(3, 4, 6, 3)), TwinHeadConfig(), CITYSCAPES_CLASSES),
}
