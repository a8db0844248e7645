"""ISR settings of a finished trial: each is applied on top of the training setting, never on the previous one."""

from __future__ import annotations

from pipeline.model_configs import EDADecoderConfig, EFTConfig, ModelConfig
from pipeline.models import build_model
from pipeline.search._trial import _set_isr

TINY = ModelConfig(
    EFTConfig(widths=(8, 16, 32, 64), depths=(1, 1, 1, 1), heads=(1, 2, 2, 4), mlp_ratios=(2, 2, 2, 2)),
    EDADecoderConfig(depths=(1, 1, 1), heads=(2, 2, 4), mlp_ratio=1.0, fuse_channels=8),
    num_classes=3,
)


def test_a_setting_that_leaves_a_part_out_restores_that_part() -> None:
    model = build_model(TINY)
    training = {"encoder": (1, 1, 1, 1), "decoder": (1, 1, 1)}
    _set_isr(model, training, {"encoder": (2, 2, 1, 1), "decoder": (2, 2, 2)})
    assert model.get_isr() == {"encoder": (2, 2, 1, 1), "decoder": (2, 2, 2)}
    _set_isr(model, training, {"encoder": (4, 2, 1, 1), "decoder": None})
    assert model.get_isr() == {"encoder": (4, 2, 1, 1), "decoder": (1, 1, 1)}
    _set_isr(model, training, {})
    assert model.get_isr() == training
