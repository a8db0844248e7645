"""Weight inheritance: initialise a smaller searched variant from a pretrained checkpoint.

As in Once-for-All's sub-network extraction, a variant takes from the checkpoint of the same
family: the first k blocks of each stage, the leading channels of every tensor and the centre of
every kernel. Layers are matched by position among their own kind, not by index: a module at
`stages.2.4` that is the stage's first CFBlock matches the checkpoint's first CFBlock of that stage
wherever it sits (segnas interleaves parameter-free ReLUs, so indices shift with block counts).
A tensor the checkpoint has no counterpart for (a block beyond its depth) starts fresh; one the
variant is wider, deeper in channels or larger in kernel than the checkpoint cannot be inherited
and is an error naming the tensor and the dimension.

Only the encoder is inherited: decoders concatenate stages, so their leading input channels would
not be the checkpoint's channels of the same stage.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn

from pipeline.model_configs import ModelConfig, model_config_from_dict
from pipeline.weights._files import WeightsError, read_converted
from pipeline.weights._meta import meta_model

_DIM_NAMES = {
    4: ("output channels", "input channels", "kernel height", "kernel width"),
    2: ("output features", "input features"),
    1: ("channels",),
}
COPIED, CROPPED, FRESH = "copied", "cropped", "fresh"


def canonical_names(model: nn.Module, prefix: str) -> dict[str, str]:
    """Key → its name with every list index replaced by `<Kind>#<ordinal among siblings of that kind>`."""
    out: dict[str, str] = {}
    for key in model.state_dict():
        if not key.startswith(prefix):
            continue
        module, parts = model, []
        *path, leaf = key.split(".")
        for name in path:
            child = module._modules[name]
            if name.isdigit():
                ordinal = 0
                for sibling_name, sibling in module._modules.items():
                    if sibling_name == name:
                        break
                    ordinal += type(sibling) is type(child)
                parts.append(f"{type(child).__name__}#{ordinal}")
            else:
                parts.append(name)
            module = child  # type: ignore[assignment]
        out[key] = ".".join(parts + [leaf])
    return out


@dataclass
class Inheritance:
    """What each tensor of the variant's encoder gets from the checkpoint."""

    checkpoint: str
    sources: dict[str, tuple[str, tuple[slice, ...]]] = field(default_factory=dict)  # key → (source key, crop)
    outcome: dict[str, str] = field(default_factory=dict)  # key → copied | cropped | fresh

    def families(self) -> dict[str, dict[str, int]]:
        """Counts per tensor family: the key with its indices as `*`, e.g. `encoder.stages.*.blocks.*.mlp.fc1.weight`."""
        out: dict[str, dict[str, int]] = {}
        for key, outcome in self.outcome.items():
            counts = out.setdefault(re.sub(r"\.\d+(?=\.)", ".*", key), {COPIED: 0, CROPPED: 0, FRESH: 0})
            counts[outcome] += 1
        return out

    def to_json(self) -> str:
        totals = {o: sum(1 for v in self.outcome.values() if v == o) for o in (COPIED, CROPPED, FRESH)}
        return json.dumps({"checkpoint": self.checkpoint, "part": "encoder", "tensors": totals,
                           "families": self.families()}, sort_keys=True)


def _crop(key: str, source_key: str, source: tuple[int, ...], target: tuple[int, ...]) -> tuple[slice, ...]:
    if len(source) != len(target):
        raise WeightsError(
            f"cannot inherit {key}: the checkpoint's {source_key} has shape {source}, the variant {target}"
        )
    names = _DIM_NAMES.get(len(target), tuple(f"dim {i}" for i in range(len(target))))
    crop = []
    for i, (s, t) in enumerate(zip(source, target)):
        if t > s:
            raise WeightsError(
                f"cannot inherit {key}: {names[i]} (dim {i}) is {t} in the variant but {s} in the checkpoint; "
                f"a variant may only be narrower, shallower or smaller in kernel than its checkpoint"
            )
        start = (s - t) // 2 if len(target) == 4 and i >= 2 else 0  # kernels: the centre; channels: the first
        crop.append(slice(start, start + t))
    return tuple(crop)


def plan_inheritance(target: nn.Module, checkpoint: str | Path) -> tuple[Inheritance, dict[str, torch.Tensor]]:
    """Match every encoder tensor of `target` (any device, meta included) to the checkpoint's."""
    payload = read_converted(checkpoint)
    state = payload["state_dict"]
    source_model = meta_model(model_config_from_dict(payload["model_config"]))
    by_canonical = {c: k for k, c in canonical_names(source_model, "encoder.").items()}
    plan = Inheritance(str(checkpoint))
    target_state = target.state_dict()
    for key, name in canonical_names(target, "encoder.").items():
        source_key = by_canonical.get(name)
        if source_key is None or source_key not in state:
            plan.outcome[key] = FRESH
            continue
        crop = _crop(key, source_key, tuple(state[source_key].shape), tuple(target_state[key].shape))
        plan.sources[key] = (source_key, crop)
        plan.outcome[key] = COPIED if tuple(state[source_key].shape) == tuple(target_state[key].shape) else CROPPED
    return plan, state


def inheritance_for(config: ModelConfig, checkpoint: str | Path) -> Inheritance:
    """The plan for a config without building its weights (meta device): cheap enough for every trial."""
    return plan_inheritance(meta_model(config), checkpoint)[0]


def inherit_weights(model: nn.Module, checkpoint: str | Path) -> Inheritance:
    """Copy the checkpoint's first blocks, leading channels and kernel centres into `model`'s encoder."""
    plan, state = plan_inheritance(model, checkpoint)
    target_state = model.state_dict()
    with torch.no_grad():
        for key, (source_key, crop) in plan.sources.items():
            target_state[key].copy_(state[source_key][crop])
    return plan
