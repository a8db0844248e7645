"""EDAFormer's released weights (EFT backbone, all-attention head) → segnas keys.

Release naming (hyunwoo137/EDAFormer, mmseg): `patch_embed{1-4}`, `block{1-4}.{j}`, `norm{1-4}`;
attention `attn.sr` is the 1×1 key/value conv, `attn.proj` the output projection, `mlp.dwconv.dwconv`
the FFN's depthwise conv. The head names its blocks by stage and repetition: `attn4`, `attn44`,
`attn444` are blocks 0, 1, 2 on stage 4; `attn3`, `attn33` on stage 3; `attn2` on stage 2;
`attn.norm` is the LayerNorm on the pooled keys/values. `linear_fuse` (conv + BN) and the
classifier `linear_pred` follow; `conv_seg` is registered but never used.

Value fix: the release concatenates the branches deepest first, [c4, c3, c2], before the fuse
conv; segnas concatenates them in stage order, so the fuse weight's input channels are regrouped.
"""

from __future__ import annotations

import re

import torch

from pipeline.model_configs import EDADecoderConfig, ModelConfig
from pipeline.weights._mapping import FamilyMapping, Fix, Rename, prefixed, stage

_WB = r"(?P<p>weight|bias)"
_BN = r"(?P<p>weight|bias|running_mean|running_var|num_batches_tracked)"
_BLOCK_PARTS = {  # release name inside a block → segnas name
    "norm1": "norm1",
    "norm2": "norm2",
    "attn.proj": "attn.proj",
    "attn.sr": "attn.kv_mix",
    "attn.norm": "attn.kv_norm",
    "mlp.fc1": "ffn.fc1",
    "mlp.dwconv.dwconv": "ffn.dwconv",
    "mlp.fc2": "ffn.fc2",
}
_PART = "(?P<part>" + "|".join(re.escape(k) for k in _BLOCK_PARTS) + ")"

ENCODER_RENAMES = (
    Rename(
        rf"patch_embed(?P<s>[1-4])\.(?P<n>proj|norm)\.{_WB}",
        lambda m: f"encoder.stages.{stage(m)}.embed.{m['n']}.{m['p']}",
    ),
    Rename(
        rf"block(?P<s>[1-4])\.(?P<j>\d+)\.{_PART}\.{_WB}",
        lambda m: f"encoder.stages.{stage(m)}.blocks.{m['j']}.{_BLOCK_PARTS[m['part']]}.{m['p']}",
    ),
    Rename(rf"norm(?P<s>[1-4])\.{_WB}", lambda m: f"encoder.stages.{stage(m)}.norm.{m['p']}"),
)


def _decoder_renames(in_stages: tuple[int, ...]) -> tuple[Rename, ...]:
    def block(m: re.Match[str]) -> str:
        branch = in_stages.index(stage(m))
        index = len(m["rep"])  # attn4 → 0, attn44 → 1, attn444 → 2
        return f"decoder.branches.{branch}.blocks.{index}.{_BLOCK_PARTS[m['part']]}.{m['p']}"

    return (
        Rename(rf"attn(?P<s>[2-4])(?P<rep>(?P=s)*)\.{_PART}\.{_WB}", block),
        Rename(r"linear_fuse\.conv\.weight", lambda m: "decoder.fuse.0.weight"),
        Rename(rf"linear_fuse\.bn\.{_BN}", lambda m: f"decoder.fuse.1.{m['p']}"),
        Rename(rf"linear_pred\.{_WB}", lambda m: f"decoder.classifier.{m['p']}"),
    )


def deepest_first_to_stage_order(widths: tuple[int, ...]) -> Fix:
    """Regroup the fuse conv's input channels from [c_last, ..., c_first] to [c_first, ..., c_last]."""

    def regroup(weight: torch.Tensor) -> torch.Tensor:
        groups = weight.split(tuple(reversed(widths)), dim=1)
        return torch.cat(tuple(reversed(groups)), dim=1)

    return Fix(r"decoder\.fuse\.0\.weight", regroup, "fuse conv inputs regrouped from [c4, c3, c2] to [c2, c3, c4]")


IMAGENET_DROPS = (r"head\.(weight|bias)",)  # the ImageNet classifier


def edaformer_mapping(config: ModelConfig, layout: str) -> FamilyMapping:
    if layout == "imagenet":
        return FamilyMapping(ENCODER_RENAMES, drops=IMAGENET_DROPS)
    # The release's head reads stages 2–4; another decoder's head keys are dropped by the converter.
    in_stages = config.decoder.in_stages if isinstance(config.decoder, EDADecoderConfig) else (1, 2, 3)
    widths = tuple(config.encoder.stage_channels()[i] for i in in_stages)
    return FamilyMapping(
        prefixed("backbone.", ENCODER_RENAMES) + prefixed("decode_head.", _decoder_renames(in_stages)),
        drops=(r"auxiliary_head\..*", r"decode_head\.conv_seg\.(weight|bias)"),
        fixes=(deepest_first_to_stage_order(widths),),
    )
