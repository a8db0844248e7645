"""Every preset's inference-graph parameter count against its official figure (within 1%)."""

from __future__ import annotations

import pytest

from pipeline.models import PRESETS, build_model, count_parameters

# preset → (expected parameters, class count the figure was given for, source).
OFFICIAL_PARAMS: dict[str, tuple[float, int, str]] = {
    "segnext_t": (4.3e6, 150, "SegNeXt paper, ADE20K table"),
    "segnext_s": (13.9e6, 150, "SegNeXt paper, ADE20K table"),
    "segnext_b": (27.6e6, 150, "SegNeXt paper, ADE20K table"),
    "segnext_l": (48.9e6, 150, "SegNeXt paper, ADE20K table"),
    # The paper prints 4.6 M: the released S model has 4,654,643, truncated (see test_sctnet.py).
    "sctnet_s": (4_654_643, 19, "SCTNet released code; paper 4.6 M truncated"),
    "sctnet_b": (17.4e6, 19, "SCTNet paper, Cityscapes table"),
    "edaformer_t": (4.9e6, 150, "EDAFormer paper, ADE20K table"),
    "edaformer_b": (29.4e6, 150, "EDAFormer paper, ADE20K table"),
    # No published total: sums of the released code's layer shapes (derivations in test_cc_head.py).
    "ccnet_r50": (47_565_908, 19, "CCNet released code, layer-shape arithmetic"),
    "ccnet_r101": (66_558_036, 19, "CCNet released code, layer-shape arithmetic"),
    # Dilated ResNet-50 + SOTR's 34.6 M twin transformer as a head (derivation in test_twin_head.py).
    "twin_r50": (59_373_315, 19, "backbone + SOTR transformer + projection/fuse/classifier"),
}


def test_every_preset_has_an_official_figure() -> None:
    assert set(OFFICIAL_PARAMS) == set(PRESETS)


@pytest.mark.parametrize("name", sorted(OFFICIAL_PARAMS))
def test_preset_parameter_count(name: str) -> None:
    expected, classes, source = OFFICIAL_PARAMS[name]
    model = build_model(name)
    assert model.config.num_classes == classes
    assert count_parameters(model) == pytest.approx(expected, rel=0.01), source
