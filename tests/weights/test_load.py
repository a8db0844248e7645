"""Loading converted files: parts, strictness, errors that name the keys, weights_only reads."""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

import pytest
import torch

from pipeline.model_configs import LightHamHeadConfig, ModelConfig, MSCANConfig, model_config_to_dict
from pipeline.models import build_model
from pipeline.weights import WeightsError, load_pretrained, validate_pretrained
from pipeline.weights._files import save_converted

TINY = ModelConfig(
    MSCANConfig(widths=(8, 16, 32, 64), depths=(1, 1, 2, 1), mlp_ratios=(2, 2, 2, 2)),
    LightHamHeadConfig(channels=16, align_channels=16, rank=4, norm_groups=4),
    num_classes=5,
)


def _file(tmp_path: Path, config: ModelConfig = TINY) -> tuple[Path, dict[str, torch.Tensor]]:
    torch.manual_seed(0)
    state = build_model(config).state_dict()
    path = tmp_path / "weights.pt"
    save_converted(path, state, model_config_to_dict(config), "test", "mmseg")
    return path, state


def test_part_model_loads_every_tensor(tmp_path: Path) -> None:
    path, state = _file(tmp_path)
    torch.manual_seed(1)
    model = build_model(TINY)
    assert load_pretrained(model, path, "model", strict=True).clean
    assert all(torch.equal(v, state[k]) for k, v in model.state_dict().items())


def test_part_encoder_leaves_the_decoder_fresh(tmp_path: Path) -> None:
    path, state = _file(tmp_path)
    other = dataclasses.replace(TINY, num_classes=3)  # the classifier differs: irrelevant to the encoder
    torch.manual_seed(1)
    model = build_model(other)
    fresh = model.decoder.squeeze[0].weight.clone()
    assert load_pretrained(model, path, "encoder", strict=True).clean
    assert torch.equal(model.encoder.stages[2].blocks[1].attn.proj_in.weight, state["encoder.stages.2.blocks.1.attn.proj_in.weight"])
    assert torch.equal(model.decoder.squeeze[0].weight, fresh)


def test_strict_loading_names_the_leftovers(tmp_path: Path) -> None:
    path, _ = _file(tmp_path)
    deeper = dataclasses.replace(TINY, encoder=dataclasses.replace(TINY.encoder, depths=(1, 1, 3, 1)))
    with pytest.raises(WeightsError, match=r"missing \(\d+\): encoder\.stages\.2\.blocks\.2\.layer_scale1"):
        load_pretrained(build_model(deeper), path, "encoder", strict=True)
    with pytest.raises(WeightsError, match=r"shape mismatch \(2\): decoder\.classifier\.weight: \(5, 16, 1, 1\) vs \(3, 16, 1, 1\)"):
        validate_pretrained(path, dataclasses.replace(TINY, num_classes=3), "model", strict=True)
    shallower = dataclasses.replace(TINY, encoder=dataclasses.replace(TINY.encoder, depths=(1, 1, 1, 1)))
    check = load_pretrained(build_model(shallower), path, "encoder", strict=False)
    assert check.unexpected and all(k.startswith("encoder.stages.2.blocks.1.") for k in check.unexpected)


def test_numpy_metadata_of_released_checkpoints_is_read(tmp_path: Path) -> None:
    import numpy as np

    from pipeline.weights import read_release_checkpoint

    path = tmp_path / "release.pth"
    meta = {"seed": np.int64(3), "PALETTE": np.zeros((2, 3), dtype=np.uint8), "CLASSES": ("a", "b")}
    torch.save({"meta": meta, "state_dict": {"backbone.w": torch.ones(2)}}, path)
    assert read_release_checkpoint(path)["backbone.w"].tolist() == [1.0, 1.0]


def test_files_are_read_as_data_only(tmp_path: Path) -> None:
    path = tmp_path / "code.pt"
    torch.save({"state_dict": {"w": torch.zeros(1)}, "hook": argparse.Namespace(x=1)}, path)  # not plain data
    with pytest.raises(WeightsError, match=r"code\.pt: not a readable torch checkpoint of tensors"):
        validate_pretrained(path, TINY, "model", strict=True)
    plain = tmp_path / "plain.pt"
    torch.save({"encoder.x": torch.zeros(1)}, plain)
    with pytest.raises(WeightsError, match=r"not a converted weight file .* segnas weights convert"):
        validate_pretrained(plain, TINY, "model", strict=True)
    with pytest.raises(WeightsError, match=r"pretrained\.part: expected one of \('encoder', 'model'\)"):
        validate_pretrained(path, TINY, "decoder", strict=True)
