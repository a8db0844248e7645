"""SCTNet's released weights (backbone with its DAPPM, SCTHead) → segnas keys.

Release naming (xzz777/SCTNet, mmseg): stem `conv1.{0,3}` (conv) / `conv1.{1,4}` (BN); basic
blocks `layer{1-3}.{j}` with `conv1/bn1/conv2/bn2/downsample.{0,1}`; CFBlocks `layer3_2` (closing
stage 3), `layer4`, `layer5` (stage 4) with `attn_l.kv` (k×1 kernels), `attn_l.kv3` (1×k),
`attn_l.norm`, `mlp_l.norm/conv1/conv2`; `convdown4.{0,1}` between stages 3 and 4. The DAPPM sits
in the release's backbone as `spp` (`scale0`, `scale1-3` pooled, `scale4` global, `process1-4`,
`compression`, `shortcut`); in segnas it belongs to the head. The head has `bn1`, `conv1`, `bn2`
and the classifier `conv_seg`.

Value fix: the stem, residual and down-sampling convs carry a bias right before a BatchNorm;
segnas's convs there have none, so each bias is folded into the BatchNorm's running mean.
Positions inside segnas's stage Sequentials follow from the config's block counts (see
`pipeline.models.sctnet.build_sctnet`: ReLUs sit between the blocks).
"""

from __future__ import annotations

import re

from pipeline.model_configs import ModelConfig, SCTNetConfig
from pipeline.weights._mapping import FamilyMapping, Fold, Rename, prefixed

_WB = r"(?P<p>weight|bias)"
_W = r"(?P<p>weight)"
_BN = r"(?P<p>weight|bias|running_mean|running_var|num_batches_tracked)"
_CF_PARTS = {
    "attn_l.kv": "attn.vertical",
    "attn_l.kv3": "attn.horizontal",
}
_CF_MODULES = {"attn_l.norm": "attn.norm", "mlp_l.norm": "ffn.norm", "mlp_l.conv1": "ffn.fc1", "mlp_l.conv2": "ffn.fc2"}
_BASIC = {"conv1": "conv1.0", "bn1": "conv1.1", "conv2": "conv2.0", "bn2": "conv2.1",
          "downsample.0": "shortcut.0", "downsample.1": "shortcut.1"}


def _cf_positions(config: SCTNetConfig) -> dict[str, str]:
    """Release CFBlock name → its segnas module path. The release has one CFBlock closing stage 3
    (`layer3_2`) and two forming stage 4 (`layer4`, `layer5`)."""
    d3 = config.residual_depths[2]
    out = {"layer3_2": f"encoder.stages.2.{d3 + 2}"}  # after stage 3's ReLU, blocks and the CFBlock's ReLU
    stage4 = ("layer4", "layer5")[: config.cf_depths[1]]
    out.update({name: f"encoder.stages.3.{1 + 2 * k}" for k, name in enumerate(stage4)})  # ReLUs between
    return out


def _encoder_renames(config: SCTNetConfig) -> tuple[Rename, ...]:
    cf = _cf_positions(config)
    cf_names = "(?P<cf>" + "|".join(re.escape(k) for k in cf) + ")"
    first_block = {"1": 2, "2": 1, "3": 1}  # stage 1 starts after the two stem convs, stages 2/3 after a ReLU
    basic = "(?P<part>" + "|".join(re.escape(k) for k in _BASIC) + ")"
    stem = {"0": "0.0", "1": "0.1", "3": "1.0", "4": "1.1"}
    return (
        Rename(rf"conv1\.(?P<i>[03])\.{_W}", lambda m: f"encoder.stages.0.{stem[m['i']]}.{m['p']}"),
        Rename(rf"conv1\.(?P<i>[14])\.{_BN}", lambda m: f"encoder.stages.0.{stem[m['i']]}.{m['p']}"),
        Rename(
            rf"layer(?P<s>[123])\.(?P<j>\d+)\.{basic}\.{_BN}",
            lambda m: (
                f"encoder.stages.{int(m['s']) - 1}.{first_block[m['s']] + int(m['j'])}.{_BASIC[m['part']]}.{m['p']}"
            ),
        ),
        Rename(rf"convdown4\.0\.{_W}", lambda m: f"encoder.stages.3.0.0.{m['p']}"),
        Rename(rf"convdown4\.1\.{_BN}", lambda m: f"encoder.stages.3.0.1.{m['p']}"),
        Rename(
            rf"{cf_names}\.(?P<part>attn_l\.kv3?)",
            lambda m: f"{cf[m['cf']]}.{_CF_PARTS[m['part']]}",
        ),
        Rename(
            rf"{cf_names}\.(?P<part>attn_l\.norm|mlp_l\.norm|mlp_l\.conv1|mlp_l\.conv2)\.{_BN}",
            lambda m: f"{cf[m['cf']]}.{_CF_MODULES[m['part']]}.{m['p']}",
        ),
        # The DAPPM: segnas keeps the branch Sequentials' BN/ReLU/conv order, only the indices shift.
        Rename(
            rf"spp\.(?P<n>scale0|compression|shortcut)\.(?P<i>[02])\.{_BN}",
            lambda m: f"decoder.dappm.{m['n']}.{m['i']}.{m['p']}",
        ),
        Rename(
            rf"spp\.scale(?P<k>[1-9])\.(?P<i>[13])\.{_BN}",
            lambda m: f"decoder.dappm.scales.{int(m['k']) - 1}.1.{int(m['i']) - 1}.{m['p']}",
        ),
        Rename(
            rf"spp\.process(?P<k>[1-9])\.(?P<i>[02])\.{_BN}",
            lambda m: f"decoder.dappm.process.{int(m['k']) - 1}.{m['i']}.{m['p']}",
        ),
    )


DECODER_RENAMES = (
    Rename(rf"bn1\.{_BN}", lambda m: f"decoder.fuse.0.{m['p']}"),
    Rename(rf"conv1\.{_WB}", lambda m: f"decoder.fuse.2.{m['p']}"),
    Rename(rf"bn2\.{_BN}", lambda m: f"decoder.fuse.3.{m['p']}"),
    Rename(rf"conv_seg\.{_WB}", lambda m: f"decoder.classifier.{m['p']}"),
)

def _folds(prefix: str) -> tuple[Fold, ...]:
    """Conv biases followed by a BatchNorm, and the BatchNorm each folds into (release names)."""
    p = re.escape(prefix)
    return (
        Fold(rf"{p}conv1\.(?P<i>[03])\.bias", lambda m: f"{prefix}conv1.{int(m['i']) + 1}"),
        Fold(rf"{p}(?P<c>layer[123]\.\d+)\.conv(?P<n>[12])\.bias", lambda m: f"{prefix}{m['c']}.bn{m['n']}"),
        Fold(rf"{p}(?P<c>layer[123]\.\d+\.downsample)\.0\.bias", lambda m: f"{prefix}{m['c']}.1"),
        Fold(rf"{p}convdown4\.0\.bias", lambda m: f"{prefix}convdown4.1"),
    )

IMAGENET_DROPS = (r"head\..*", r"fc\..*")  # an ImageNet classifier, whichever name it has


def sctnet_mapping(config: ModelConfig, layout: str) -> FamilyMapping:
    encoder = config.encoder
    if not isinstance(encoder, SCTNetConfig):
        raise TypeError(f"sctnet_mapping: expected an SCTNet encoder, got {type(encoder).__name__}")
    renames = _encoder_renames(encoder)
    if layout == "imagenet":
        return FamilyMapping(renames, drops=IMAGENET_DROPS, folds=_folds(""))
    return FamilyMapping(
        prefixed("backbone.", renames) + prefixed("decode_head.", DECODER_RENAMES),
        drops=(r"auxiliary_head\..*",),
        folds=_folds("backbone."),
    )
