"""Tiny configs of every encoder and decoder, small enough to run the full cross product on a CPU."""

from __future__ import annotations

from pipeline.model_configs import (
    CCHeadConfig,
    DilatedResNetConfig,
    EDADecoderConfig,
    EFTConfig,
    LightHamHeadConfig,
    MLPHeadConfig,
    MSCANConfig,
    SCTHeadConfig,
    SCTNetConfig,
    TwinHeadConfig,
)

TINY_ENCODERS = {
    "mscan": MSCANConfig(widths=(8, 16, 32, 64), depths=(1, 1, 1, 1), mlp_ratios=(2, 2, 2, 2)),
    "sctnet": SCTNetConfig(base_width=8, residual_depths=(1, 1, 1), cf_depths=(1, 1), num_kernels=8, norm_groups=4),
    "eft": EFTConfig(widths=(8, 16, 32, 64), depths=(1, 1, 1, 1), heads=(1, 2, 2, 4), mlp_ratios=(2, 2, 2, 2)),
    "dilated_resnet": DilatedResNetConfig(depths=(1, 1, 1, 1), stem_width=8, base_width=4),
}

TINY_DECODERS = {
    "light_ham": LightHamHeadConfig(channels=16, align_channels=16, rank=4, norm_groups=4),
    "sct_head": SCTHeadConfig(dappm_channels=8, dappm_out_channels=16, head_channels=16),
    "eda_decoder": EDADecoderConfig(depths=(1, 1, 1), heads=(2, 2, 2), mlp_ratio=1.0, fuse_channels=16),
    "cc_head": CCHeadConfig(channels=16, qk_reduction=4, fuse_channels=16),
    "twin_head": TwinHeadConfig(channels=16, depth=1, heads=2),
    "mlp_head": MLPHeadConfig(channels=16),
}
