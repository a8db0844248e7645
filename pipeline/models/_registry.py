"""Flat registries: encoder / decoder name → builder. Filled here, explicitly, and nowhere else.

An encoder builder takes its config and returns a module whose forward maps (B, 3, H, W) to one
feature map per stage and which publishes `feature_info`. A decoder builder also takes the
encoder's per-stage channels and the class count, and returns a module mapping the feature list
to logits (B, num_classes, h, w) at any stride; the model resizes them to the input.
"""

from __future__ import annotations

from collections.abc import Callable

from torch import nn

from pipeline.models.cc_head import build_cc_head
from pipeline.models.dilated_resnet import build_dilated_resnet
from pipeline.models.eda_decoder import build_eda_decoder
from pipeline.models.eft import build_eft
from pipeline.models.light_ham_head import build_light_ham_head
from pipeline.models.mlp_head import build_mlp_head
from pipeline.models.mscan import build_mscan
from pipeline.models.sct_head import build_sct_head
from pipeline.models.sctnet import build_sctnet
from pipeline.models.twin_head import build_twin_head

EncoderBuilder = Callable[..., nn.Module]
DecoderBuilder = Callable[..., nn.Module]

ENCODERS: dict[str, EncoderBuilder] = {
    "mscan": build_mscan,
    "sctnet": build_sctnet,
    "eft": build_eft,
    "dilated_resnet": build_dilated_resnet,
}

DECODERS: dict[str, DecoderBuilder] = {
    "light_ham": build_light_ham_head,
    "sct_head": build_sct_head,
    "eda_decoder": build_eda_decoder,
    "cc_head": build_cc_head,
    "twin_head": build_twin_head,
    "mlp_head": build_mlp_head,
}
