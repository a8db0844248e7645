"""Weight inheritance into smaller variants: first blocks, leading channels, centred kernels."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
import torch

from pipeline.model_configs import (
    EFTConfig,
    MLPHeadConfig,
    ModelConfig,
    MSCANConfig,
    SCTNetConfig,
    model_config_to_dict,
)
from pipeline.models import build_model
from pipeline.weights import WeightsError, inherit_weights, inheritance_for
from pipeline.weights._files import save_converted

MSCAN = ModelConfig(
    MSCANConfig(widths=(16, 32, 48, 64), depths=(2, 2, 3, 2), mlp_ratios=(2, 2, 2, 2), strip_kernels=(7, 11)),
    MLPHeadConfig(channels=16),
    num_classes=4,
)
SCTNET = ModelConfig(
    SCTNetConfig(base_width=16, residual_depths=(2, 2, 2), cf_depths=(1, 2), num_kernels=16, norm_groups=4),
    MLPHeadConfig(channels=16),
    num_classes=4,
)


def _checkpoint(tmp_path: Path, config: ModelConfig) -> tuple[Path, dict[str, torch.Tensor]]:
    torch.manual_seed(0)
    state = build_model(config).state_dict()
    path = tmp_path / "ckpt.pt"
    save_converted(path, state, model_config_to_dict(config), "test", "mmseg")
    return path, state


def _variant(config: ModelConfig, **encoder: object) -> ModelConfig:
    return dataclasses.replace(config, encoder=dataclasses.replace(config.encoder, **encoder))


def test_surviving_blocks_are_the_checkpoints_tensors(tmp_path: Path) -> None:
    path, state = _checkpoint(tmp_path, MSCAN)
    model = build_model(_variant(MSCAN, depths=(1, 2, 1, 1)))
    plan = inherit_weights(model, path)
    assert set(plan.outcome.values()) == {"copied"}  # same widths: every surviving tensor whole
    for key, value in model.encoder.state_dict(prefix="encoder.").items():
        assert torch.equal(value, state[key]), key
    assert "encoder.stages.2.blocks.1.norm1.weight" not in model.state_dict()


def test_narrower_variant_takes_leading_channels_and_kernel_centres(tmp_path: Path) -> None:
    path, state = _checkpoint(tmp_path, MSCAN)
    variant = _variant(MSCAN, widths=(8, 16, 32, 32), depths=(1, 1, 2, 1), square_kernel=3, strip_kernels=(5,))
    model = build_model(variant)
    plan = inherit_weights(model, path)
    block = "encoder.stages.2.blocks.1"
    square = model.state_dict()[f"{block}.attn.msca.square.weight"]  # (32, 1, 3, 3) from (48, 1, 5, 5)
    assert torch.equal(square, state[f"{block}.attn.msca.square.weight"][:32, :, 1:4, 1:4])
    strip = model.state_dict()[f"{block}.attn.msca.strips.0.1.weight"]  # (32, 1, 5, 1) from (48, 1, 7, 1)
    assert torch.equal(strip, state[f"{block}.attn.msca.strips.0.1.weight"][:32, :, 1:6, :])
    fc1 = model.state_dict()[f"{block}.mlp.fc1.weight"]  # (64, 32, 1, 1) from (96, 48, 1, 1)
    assert torch.equal(fc1, state[f"{block}.mlp.fc1.weight"][:64, :32])
    families = json.loads(plan.to_json())["families"]
    assert families["encoder.stages.*.blocks.*.attn.msca.square.weight"] == {"copied": 0, "cropped": 5, "fresh": 0}


def test_blocks_are_matched_by_kind_where_indices_shift(tmp_path: Path) -> None:
    # One residual block less in stage 3 moves its CFBlock from index 4 to index 3 of the Sequential.
    path, state = _checkpoint(tmp_path, SCTNET)
    model = build_model(_variant(SCTNET, residual_depths=(2, 2, 1), kernel_size=5))
    inherit_weights(model, path)
    inherited = model.state_dict()["encoder.stages.2.3.attn.vertical"]  # (16, 64, 5, 1) from (16, 64, 7, 1)
    assert torch.equal(inherited, state["encoder.stages.2.4.attn.vertical"][:, :, 1:6, :])


def test_fewer_heads_change_no_tensor(tmp_path: Path) -> None:
    eft = ModelConfig(EFTConfig(widths=(8, 16, 32, 64), depths=(1, 1, 1, 1), heads=(2, 4, 4, 8), mlp_ratios=(2, 2, 2, 2)),
                      MLPHeadConfig(channels=16), num_classes=4)
    path, state = _checkpoint(tmp_path, eft)
    model = build_model(_variant(eft, heads=(1, 2, 2, 4)))
    assert set(inherit_weights(model, path).outcome.values()) == {"copied"}
    assert all(torch.equal(v, state[k]) for k, v in model.encoder.state_dict(prefix="encoder.").items())


def test_deeper_variant_starts_its_extra_blocks_fresh(tmp_path: Path) -> None:
    path, _ = _checkpoint(tmp_path, MSCAN)
    plan = inheritance_for(_variant(MSCAN, depths=(2, 2, 4, 2)), path)
    assert plan.outcome["encoder.stages.2.blocks.3.mlp.fc1.weight"] == "fresh"
    assert plan.outcome["encoder.stages.2.blocks.2.mlp.fc1.weight"] == "copied"


def test_wider_variant_cannot_inherit_and_says_which_dimension(tmp_path: Path) -> None:
    path, _ = _checkpoint(tmp_path, MSCAN)
    with pytest.raises(WeightsError, match=r"cannot inherit encoder\.stages\.0\.embed\.0\.weight: output channels \(dim 0\) is 16 in the variant but 8"):
        inheritance_for(_variant(MSCAN, widths=(32, 32, 48, 64)), path)
    with pytest.raises(WeightsError, match=r"strips\.0\.0\.weight: kernel width \(dim 3\) is 9 in the variant but 7 in the checkpoint"):
        inheritance_for(_variant(MSCAN, strip_kernels=(9, 11)), path)
