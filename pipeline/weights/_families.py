"""Which conversion table serves which encoder, and how a checkpoint's layout is recognised.

A family is chosen by the target model's encoder (the part every released checkpoint carries);
its head rules apply only when the target's decoder is the family's own. The layout is read off
fixed marker prefixes, listed here, never guessed key by key.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

from pipeline.model_configs import ModelConfig
from pipeline.weights._ccnet import ccnet_mapping
from pipeline.weights._edaformer import edaformer_mapping
from pipeline.weights._files import WeightsError
from pipeline.weights._mapping import FamilyMapping
from pipeline.weights._sctnet import sctnet_mapping
from pipeline.weights._segnext import segnext_mapping


@dataclass(frozen=True)
class Family:
    name: str
    decoder: str  # the family's own decoder: its head rules apply only to it
    mapping: Callable[[ModelConfig, str], FamilyMapping]
    marker: str  # a key prefix that only full segmentation checkpoints have
    full_layout: str  # the layout name when the marker is present; "imagenet" otherwise

    def layout(self, source: dict[str, torch.Tensor]) -> str:
        return self.full_layout if any(k.startswith(self.marker) for k in source) else "imagenet"


FAMILIES: dict[str, Family] = {  # encoder name → family
    "mscan": Family("segnext", "light_ham", segnext_mapping, "backbone.", "mmseg"),
    "eft": Family("edaformer", "eda_decoder", edaformer_mapping, "backbone.", "mmseg"),
    "sctnet": Family("sctnet", "sct_head", sctnet_mapping, "backbone.", "mmseg"),
    "dilated_resnet": Family("ccnet", "cc_head", ccnet_mapping, "head.", "ccnet"),
}


def family_of(config: ModelConfig) -> Family:
    if config.encoder_name not in FAMILIES:
        raise WeightsError(f"no conversion table for encoder {config.encoder_name!r}; known: {sorted(FAMILIES)}")
    return FAMILIES[config.encoder_name]
