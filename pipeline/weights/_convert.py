"""`convert_checkpoint`: a released checkpoint → a segnas weight file for one target model.

The target's key names and shapes come from the model built on the meta device (no memory, no
initialisation), so converting for the largest preset costs next to nothing beyond reading the file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import torch

from pipeline.model_configs import ModelConfig, model_config_to_dict
from pipeline.models import resolve_config
from pipeline.weights._families import family_of
from pipeline.weights._files import read_release_checkpoint, save_converted
from pipeline.weights._mapping import ConversionReport, apply_mapping, summary
from pipeline.weights._meta import meta_model

PARTS = ("encoder", "model")  # what a pretrained file initialises: the encoder only, or everything


def target_shapes(config: ModelConfig) -> dict[str, tuple[int, ...]]:
    model = meta_model(config)
    return {k: tuple(v.shape) for k, v in model.state_dict().items()}


@dataclass
class KeyCheck:
    """A state_dict against a model's, restricted to one part."""

    missing: list[str] = field(default_factory=list)  # in the model, not in the file
    unexpected: list[str] = field(default_factory=list)  # in the file, not in the model
    mismatched: list[str] = field(default_factory=list)  # "key: file shape vs model shape"

    @property
    def clean(self) -> bool:
        return not (self.missing or self.unexpected or self.mismatched)

    def lines(self) -> list[str]:
        out = []
        labelled = (("missing", self.missing), ("unexpected", self.unexpected), ("shape mismatch", self.mismatched))
        for label, keys in labelled:
            if keys:
                out.append(f"{label} ({len(keys)}): {summary(keys, 10)}")
        return out


def check_keys(
    state_dict: dict[str, torch.Tensor], shapes: dict[str, tuple[int, ...]], part: str
) -> KeyCheck:
    prefix = "encoder." if part == "encoder" else ""
    wanted = {k: s for k, s in shapes.items() if k.startswith(prefix)}
    given = {k: v for k, v in state_dict.items() if k.startswith(prefix)}
    check = KeyCheck()
    check.missing = [k for k in wanted if k not in given]
    check.unexpected = [k for k in given if k not in wanted]
    check.mismatched = [
        f"{k}: {tuple(v.shape)} vs {wanted[k]}" for k, v in given.items() if k in wanted and tuple(v.shape) != wanted[k]
    ]
    return check


@dataclass
class Converted:
    state_dict: dict[str, torch.Tensor]
    config: ModelConfig
    report: ConversionReport
    encoder: KeyCheck  # the encoder part against the target
    model: KeyCheck  # everything against the target

    @property
    def parts(self) -> tuple[str, ...]:
        """The parts this file can initialise with strict loading."""
        return tuple(p for p, c in (("encoder", self.encoder), ("model", self.model)) if c.clean)


def convert_checkpoint(
    path: str | Path, preset_or_config: str | ModelConfig, num_classes: int | None = None
) -> Converted:
    config = resolve_config(preset_or_config, num_classes)
    family = family_of(config)
    source = read_release_checkpoint(path)
    layout = family.layout(source)
    state_dict, report = apply_mapping(source, family.mapping(config, layout), layout)
    if config.decoder_name != family.decoder:
        # A released head only fits the family's own decoder; the encoder still converts.
        for key in [k for k in state_dict if k.startswith("decoder.")]:
            report.dropped.append(f"{key} (target decoder is {config.decoder_name}, not {family.decoder})")
            del state_dict[key]
    shapes = target_shapes(config)
    return Converted(state_dict, config, report, check_keys(state_dict, shapes, "encoder"),
                     check_keys(state_dict, shapes, "model"))


def write_converted(converted: Converted, out: str | Path, source: str | Path) -> None:
    config = model_config_to_dict(converted.config)
    save_converted(out, converted.state_dict, config, str(source), converted.report.layout)
