"""CCNet's released weights (deep-stem dilated ResNet, RCCA head) and deep-stem ImageNet ResNets
→ segnas keys.

Release naming (speedinghzl/CCNet `networks/ccnet.py`): stem `conv1-3`/`bn1-3`; bottlenecks
`layer{1-4}.{j}` with `conv1-3`/`bn1-3`/`downsample.{0,1}`; head `head.conva.{0,1}`,
`head.cca.{query,key,value}_conv`, `head.cca.gamma`, `head.convb.{0,1}`, `head.bottleneck.{0,1}`
(conv, norm) and `head.bottleneck.3` (the classifier); `dsn` is the training-only auxiliary head.
The ImageNet ResNets the release starts from (deep stem, e.g. `resnet101-imagenet.pth`) use the
same backbone names plus an `fc` classifier.

Value fix (layout "ccnet" only): the release's norms are InPlace-ABN layers, which scale by
|weight| + eps instead of weight (and keep no batch counter). An ImageNet ResNet was trained
with plain BatchNorm and is taken as it is.
"""

from __future__ import annotations

import torch

from pipeline.model_configs import ModelConfig
from pipeline.weights._mapping import FamilyMapping, Fix, Rename, stage

INPLACE_ABN_EPS = 1e-5  # InPlace-ABN's default eps, also its scale offset

_W = r"(?P<p>weight)"
_WB = r"(?P<p>weight|bias)"
_BN = r"(?P<p>weight|bias|running_mean|running_var|num_batches_tracked)"
_BOTTLENECK = {"conv1": "reduce.0", "bn1": "reduce.1", "conv2": "spatial.0", "bn2": "spatial.1",
               "conv3": "expand.0", "bn3": "expand.1", "downsample.0": "shortcut.0", "downsample.1": "shortcut.1"}
_PART = "(?P<part>" + "|".join(k.replace(".", r"\.") for k in _BOTTLENECK) + ")"

BACKBONE_RENAMES = (
    Rename(rf"conv(?P<i>[123])\.{_W}", lambda m: f"encoder.stem.{int(m['i']) - 1}.0.{m['p']}"),
    Rename(rf"bn(?P<i>[123])\.{_BN}", lambda m: f"encoder.stem.{int(m['i']) - 1}.1.{m['p']}"),
    Rename(
        rf"layer(?P<s>[1-4])\.(?P<j>\d+)\.{_PART}\.{_BN}",
        lambda m: f"encoder.stages.{stage(m)}.{m['j']}.{_BOTTLENECK[m['part']]}.{m['p']}",
    ),
)

HEAD_RENAMES = (
    Rename(rf"head\.conva\.0\.{_W}", lambda m: "decoder.reduce.0.weight"),
    Rename(rf"head\.conva\.1\.{_BN}", lambda m: f"decoder.reduce.1.{m['p']}"),
    Rename(rf"head\.cca\.(?P<n>query|key|value)_conv\.{_WB}", lambda m: f"decoder.attention.{m['n']}.{m['p']}"),
    Rename(r"head\.cca\.gamma", lambda m: "decoder.attention.gamma"),
    Rename(rf"head\.convb\.0\.{_W}", lambda m: "decoder.post.0.weight"),
    Rename(rf"head\.convb\.1\.{_BN}", lambda m: f"decoder.post.1.{m['p']}"),
    Rename(rf"head\.bottleneck\.0\.{_W}", lambda m: "decoder.fuse.0.weight"),
    Rename(rf"head\.bottleneck\.1\.{_BN}", lambda m: f"decoder.fuse.1.{m['p']}"),
    Rename(rf"head\.bottleneck\.3\.{_WB}", lambda m: f"decoder.classifier.{m['p']}"),
)

# Every norm's scale, in segnas names: stem, bottlenecks, and the head's three conv + norm layers.
_NORM_WEIGHTS = (
    r"encoder\.stem\.\d\.1\.weight"
    r"|encoder\.stages\.\d\.\d+\.(reduce|spatial|expand|shortcut)\.1\.weight"
    r"|decoder\.(reduce|post|fuse)\.1\.weight"
)


def inplace_abn_scale(weight: torch.Tensor) -> torch.Tensor:
    return weight.abs() + INPLACE_ABN_EPS


def ccnet_mapping(config: ModelConfig, layout: str) -> FamilyMapping:
    if layout == "imagenet":
        return FamilyMapping(BACKBONE_RENAMES, drops=(r"fc\.(weight|bias)",))
    return FamilyMapping(
        BACKBONE_RENAMES + HEAD_RENAMES,
        drops=(r"dsn\..*",),  # the auxiliary FCN head on stage 3 (training only)
        fixes=(Fix(_NORM_WEIGHTS, inplace_abn_scale, "InPlace-ABN scale |weight| + eps"),),
    )
