"""The value fixes: each converted layer computes what the released layer computes."""

from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F

from pipeline.models import build_model
from pipeline.weights import convert_checkpoint
from pipeline.weights._ccnet import INPLACE_ABN_EPS
from tests.weights.conftest import official_keys, synthetic_state_dict


def _convert(tmp_path: Path, name: str, preset: str, source: dict[str, torch.Tensor], wrap: bool = True):
    path = tmp_path / f"{name}.pth"
    torch.save({"state_dict": source} if wrap else source, path)
    return convert_checkpoint(path, preset)


def test_edaformer_fuse_conv_sees_the_branches_in_the_releases_order(tmp_path: Path) -> None:
    # The release fuses cat([c4, c3, c2]); segnas fuses cat([c2, c3, c4]): same output after the fix.
    torch.manual_seed(0)
    source = synthetic_state_dict(official_keys("edaformer_t"), random=True)
    converted = _convert(tmp_path, "edaformer_t", "edaformer_t", source)
    c2, c3, c4 = (torch.randn(1, c, 4, 4, dtype=torch.float64) for c in (64, 128, 256))
    release_weight = source["decode_head.linear_fuse.conv.weight"].double()
    released = F.conv2d(torch.cat([c4, c3, c2], dim=1), release_weight)
    ours = F.conv2d(torch.cat([c2, c3, c4], dim=1), converted.state_dict["decoder.fuse.0.weight"].double())
    torch.testing.assert_close(ours, released)
    renamed_only = F.conv2d(torch.cat([c2, c3, c4], dim=1), release_weight)
    assert not torch.allclose(renamed_only, released, atol=1e-3)


def test_sctnet_conv_bias_before_batchnorm_is_folded_exactly(tmp_path: Path) -> None:
    torch.manual_seed(1)
    source = synthetic_state_dict(official_keys("sctnet_s"), random=True)
    for key in [k for k in source if k.endswith("running_var")]:
        source[key] = source[key].abs() + 0.5
    converted = _convert(tmp_path, "sctnet_s", "sctnet_s", source)
    assert "backbone.layer2.0.conv1.bias" in converted.report.folded
    model = build_model("sctnet_s").eval()
    model.load_state_dict(converted.state_dict, strict=True)
    x = torch.randn(1, 32, 8, 8)
    # The release's layer2.0 first conv: conv with bias → BN (eval statistics) → ReLU.
    conv = F.conv2d(x, source["backbone.layer2.0.conv1.weight"], source["backbone.layer2.0.conv1.bias"], stride=2, padding=1)
    released = F.relu(F.batch_norm(
        conv, source["backbone.layer2.0.bn1.running_mean"], source["backbone.layer2.0.bn1.running_var"],
        source["backbone.layer2.0.bn1.weight"], source["backbone.layer2.0.bn1.bias"], training=False))
    with torch.no_grad():
        ours = model.encoder.stages[1][1].conv1(x)  # ConvBNAct without a conv bias
    torch.testing.assert_close(ours, released, atol=1e-5, rtol=1e-5)


def test_inplace_abn_scale_is_the_absolute_weight_plus_eps(tmp_path: Path) -> None:
    torch.manual_seed(2)
    keys = official_keys("ccnet_r101")
    source = synthetic_state_dict(keys)
    weight = torch.randn(512)  # negative entries included: InPlace-ABN uses |weight|
    source["head.conva.1.weight"] = weight
    source["head.conva.1.running_var"] = torch.rand(512) + 0.5
    converted = _convert(tmp_path, "ccnet_r101", "ccnet_r101", source, wrap=False)
    assert "dsn.0.weight" in converted.report.dropped and converted.model.clean
    x = torch.randn(1, 512, 3, 3)
    mean, var, bias = source["head.conva.1.running_mean"], source["head.conva.1.running_var"], source["head.conva.1.bias"]
    released = (x - mean[:, None, None]) / torch.sqrt(var[:, None, None] + INPLACE_ABN_EPS) * (
        weight.abs() + INPLACE_ABN_EPS
    )[:, None, None] + bias[:, None, None]
    bn = torch.nn.BatchNorm2d(512, eps=INPLACE_ABN_EPS).eval()
    bn.load_state_dict({k.removeprefix("decoder.reduce.1."): v for k, v in converted.state_dict.items()
                        if k.startswith("decoder.reduce.1.")})
    with torch.no_grad():
        torch.testing.assert_close(bn(x), released)


def test_wrapped_and_prefixed_checkpoints_unwrap(tmp_path: Path) -> None:
    source = synthetic_state_dict(official_keys("cca512"))
    path = tmp_path / "cca.pth"
    prefixed = {f"module.head.cca.{k}": v for k, v in source.items()}
    torch.save({"model": prefixed}, path)
    converted = convert_checkpoint(path, "ccnet_r50")
    assert converted.report.unexpected == []
    assert set(k for k in converted.state_dict) == {f"decoder.attention.{n}" for n in
        ("gamma", "query.weight", "query.bias", "key.weight", "key.bias", "value.weight", "value.bias")}
