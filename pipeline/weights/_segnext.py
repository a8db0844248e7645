"""SegNeXt's released weights (MSCAN backbone, LightHamHead) → segnas keys.

Release naming (Visual-AI/SegNeXt, mmseg): `patch_embed{1-4}`, `block{1-4}.{j}`, `norm{1-4}` in
the backbone; `squeeze`, `hamburger.ham_in/ham_out`, `align` (ConvModules with `.conv`/`.gn`) and
the classifier `conv_seg` in the head. The MSCA strip branches are `conv{b}_1` (1×k) and
`conv{b}_2` (k×1) for b = 0, 1, 2. Only renames: the values carry over as they are.
"""

from __future__ import annotations

from pipeline.model_configs import ModelConfig
from pipeline.weights._mapping import FamilyMapping, Rename, prefixed, stage

_BN = r"(?P<p>weight|bias|running_mean|running_var|num_batches_tracked)"
_WB = r"(?P<p>weight|bias)"
_PROJ = {"1": "proj_in", "2": "proj_out"}

ENCODER_RENAMES = (
    # Stem: conv, BN, GELU, conv, BN: the Sequential indices are the same on both sides.
    Rename(rf"patch_embed1\.proj\.(?P<i>[0134])\.{_BN}", lambda m: f"encoder.stages.0.embed.{m['i']}.{m['p']}"),
    Rename(rf"patch_embed(?P<s>[234])\.proj\.{_WB}", lambda m: f"encoder.stages.{stage(m)}.embed.0.{m['p']}"),
    Rename(rf"patch_embed(?P<s>[234])\.norm\.{_BN}", lambda m: f"encoder.stages.{stage(m)}.embed.1.{m['p']}"),
    Rename(
        r"block(?P<s>\d)\.(?P<j>\d+)\.layer_scale_(?P<n>[12])",
        lambda m: f"encoder.stages.{stage(m)}.blocks.{m['j']}.layer_scale{m['n']}",
    ),
    Rename(
        rf"block(?P<s>\d)\.(?P<j>\d+)\.(?P<n>norm[12])\.{_BN}",
        lambda m: f"encoder.stages.{stage(m)}.blocks.{m['j']}.{m['n']}.{m['p']}",
    ),
    Rename(
        rf"block(?P<s>\d)\.(?P<j>\d+)\.attn\.proj_(?P<n>[12])\.{_WB}",
        lambda m: f"encoder.stages.{stage(m)}.blocks.{m['j']}.attn.{_PROJ[m['n']]}.{m['p']}",
    ),
    Rename(
        rf"block(?P<s>\d)\.(?P<j>\d+)\.attn\.spatial_gating_unit\.conv0\.{_WB}",
        lambda m: f"encoder.stages.{stage(m)}.blocks.{m['j']}.attn.msca.square.{m['p']}",
    ),
    Rename(
        rf"block(?P<s>\d)\.(?P<j>\d+)\.attn\.spatial_gating_unit\.conv(?P<b>[012])_(?P<o>[12])\.{_WB}",
        lambda m: f"encoder.stages.{stage(m)}.blocks.{m['j']}.attn.msca.strips.{m['b']}.{int(m['o']) - 1}.{m['p']}",
    ),
    Rename(
        rf"block(?P<s>\d)\.(?P<j>\d+)\.attn\.spatial_gating_unit\.conv3\.{_WB}",
        lambda m: f"encoder.stages.{stage(m)}.blocks.{m['j']}.attn.msca.mix.{m['p']}",
    ),
    Rename(
        rf"block(?P<s>\d)\.(?P<j>\d+)\.mlp\.(?P<n>fc1|fc2)\.{_WB}",
        lambda m: f"encoder.stages.{stage(m)}.blocks.{m['j']}.mlp.{m['n']}.{m['p']}",
    ),
    Rename(
        rf"block(?P<s>\d)\.(?P<j>\d+)\.mlp\.dwconv\.dwconv\.{_WB}",
        lambda m: f"encoder.stages.{stage(m)}.blocks.{m['j']}.mlp.dwconv.{m['p']}",
    ),
    Rename(rf"norm(?P<s>\d)\.{_WB}", lambda m: f"encoder.stages.{stage(m)}.norm.{m['p']}"),
)

DECODER_RENAMES = (
    Rename(r"squeeze\.conv\.weight", lambda m: "decoder.squeeze.0.weight"),
    Rename(rf"squeeze\.gn\.{_WB}", lambda m: f"decoder.squeeze.1.{m['p']}"),
    Rename(rf"hamburger\.ham_in\.conv\.{_WB}", lambda m: f"decoder.hamburger.ham_in.{m['p']}"),
    Rename(r"hamburger\.ham_out\.conv\.weight", lambda m: "decoder.hamburger.ham_out.0.weight"),
    Rename(rf"hamburger\.ham_out\.gn\.{_WB}", lambda m: f"decoder.hamburger.ham_out.1.{m['p']}"),
    Rename(r"align\.conv\.weight", lambda m: "decoder.align.0.weight"),
    Rename(rf"align\.gn\.{_WB}", lambda m: f"decoder.align.1.{m['p']}"),
    Rename(rf"conv_seg\.{_WB}", lambda m: f"decoder.classifier.{m['p']}"),
)

IMAGENET_DROPS = (r"head\.(weight|bias)",)  # the ImageNet classifier


def segnext_mapping(config: ModelConfig, layout: str) -> FamilyMapping:
    if layout == "imagenet":
        return FamilyMapping(ENCODER_RENAMES, drops=IMAGENET_DROPS)
    return FamilyMapping(
        prefixed("backbone.", ENCODER_RENAMES) + prefixed("decode_head.", DECODER_RENAMES),
        drops=(r"auxiliary_head\..*",),
    )

