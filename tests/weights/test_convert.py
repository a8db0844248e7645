"""Every official key converts, and the converted file loads into the preset with strict=True."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from pipeline.models import resolve_config
from pipeline.weights import convert_checkpoint, read_converted, validate_pretrained, write_converted
from pipeline.weights._meta import meta_model
from tests.weights.conftest import backbone_only, official_keys, synthetic_state_dict

# official key list → preset it targets
FULL = {
    "segnext_t": "segnext_t",
    "segnext_b": "segnext_b",
    "edaformer_t": "edaformer_t",
    "sctnet_s": "sctnet_s",
    "sctnet_b": "sctnet_b",
    "ccnet_r101": "ccnet_r101",
}
# ImageNet backbones: the official backbone keys plus each family's classifier
IMAGENET = {
    "segnext_t": ("segnext_t", {"head.weight": torch.zeros(1000, 256), "head.bias": torch.zeros(1000)}),
    "edaformer_t": ("edaformer_t", {"head.weight": torch.zeros(1000, 256), "head.bias": torch.zeros(1000)}),
    "sctnet_s": ("sctnet_s", {"head.weight": torch.zeros(1000, 256), "head.bias": torch.zeros(1000)}),
}


def _save(tmp_path: Path, name: str, state_dict: dict[str, torch.Tensor], wrap: bool) -> Path:
    path = tmp_path / f"{name}.pth"
    torch.save({"meta": {"epoch": 1}, "state_dict": state_dict} if wrap else state_dict, path)
    return path


@pytest.mark.parametrize("name", list(FULL))
def test_full_checkpoint_converts_completely_and_loads_strictly(name: str, tmp_path: Path) -> None:
    keys = official_keys(name)
    source = synthetic_state_dict(keys)
    mmseg = name != "ccnet_r101"  # CCNet's own code saves a bare state_dict
    converted = convert_checkpoint(_save(tmp_path, name, source, wrap=mmseg), FULL[name])
    report = converted.report
    assert report.unexpected == []
    assert converted.model.clean, converted.model.lines()
    assert report.mapped + len(report.dropped) + len(report.folded) >= len(keys)
    out = tmp_path / "converted.pt"
    write_converted(converted, out, name)
    model = meta_model(resolve_config(FULL[name]))  # the preset's module tree, no 66 M weights to initialise
    model.load_state_dict(read_converted(out)["state_dict"], strict=True, assign=True)
    assert not any(p.is_meta for p in model.parameters())


@pytest.mark.parametrize("name", list(IMAGENET))
def test_imagenet_backbone_converts_into_the_encoder(name: str, tmp_path: Path) -> None:
    preset, classifier = IMAGENET[name]
    source = backbone_only(synthetic_state_dict(official_keys(name)), classifier)
    converted = convert_checkpoint(_save(tmp_path, name, source, wrap=False), preset)
    assert converted.report.layout == "imagenet"
    assert converted.report.unexpected == []
    assert set(classifier) <= set(converted.report.dropped)
    assert converted.parts[0] == "encoder" and converted.encoder.clean
    out = tmp_path / "encoder.pt"
    write_converted(converted, out, name)
    assert validate_pretrained(out, converted.config, "encoder", strict=True).clean


def _resnet_keys(stage3_blocks: int) -> list[tuple[str, tuple[int, ...]]]:
    """The deep-stem ResNet's keys of CCNet's code: ResNet-101 has 23 blocks in stage 3, ResNet-50 6."""
    keys = [(k, s) for k, s in official_keys("ccnet_r101") if not k.startswith(("head.", "dsn."))]
    return [(k, s) for k, s in keys if not (k.startswith("layer3.") and int(k.split(".")[1]) >= stage3_blocks)]


@pytest.mark.parametrize(("preset", "stage3_blocks"), [("ccnet_r101", 23), ("ccnet_r50", 6)])
def test_deep_stem_imagenet_resnet_converts_into_the_dilated_resnet(
    preset: str, stage3_blocks: int, tmp_path: Path
) -> None:
    source = {**synthetic_state_dict(_resnet_keys(stage3_blocks)), "fc.weight": torch.zeros(1000, 2048),
              "fc.bias": torch.zeros(1000)}
    converted = convert_checkpoint(_save(tmp_path, "resnet", source, wrap=False), preset)
    assert converted.report.layout == "imagenet" and converted.report.unexpected == []
    assert converted.parts == ("encoder",)
    assert all(k.startswith("decoder.") for k in converted.model.missing)
    # Plain BatchNorm: the values are taken as they are, and the absent counters start at zero.
    assert converted.state_dict["encoder.stem.0.1.weight"].equal(source["bn1.weight"])
    assert converted.state_dict["encoder.stem.0.1.num_batches_tracked"].item() == 0


def test_a_checkpoint_of_another_variant_is_reported_by_name(tmp_path: Path) -> None:
    source = synthetic_state_dict(official_keys("segnext_t"))
    converted = convert_checkpoint(_save(tmp_path, "segnext_t", source, wrap=True), "segnext_b")
    assert converted.report.unexpected == []
    assert any(m.startswith("encoder.stages.0.embed.0.weight: (16, 3, 3, 3) vs (32, 3, 3, 3)") for m in converted.model.mismatched)
    assert "encoder.stages.2.blocks.5.norm1.weight" in converted.model.missing  # stage 3: B has 12 blocks, T 5
