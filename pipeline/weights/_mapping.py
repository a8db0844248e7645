"""The pieces a family's conversion table is made of, and the engine that applies one.

A released checkpoint is converted in four explicit steps, each listed by its family:
1. `folds`: conv biases that sit right before a BatchNorm are folded into that BatchNorm's running
   mean (BN(Wx + b) = BN'(Wx) with μ' = μ − b, exact in training and evaluation), since segnas
   convs before a BN carry no bias;
2. `drops`: keys the inference graph has no place for (classifiers of ImageNet backbones,
   auxiliary heads, unused layers) are set aside by name;
3. `renames`: every other key is renamed by the first rule whose pattern matches it in full;
   a key no rule matches is reported as unexpected;
4. `fixes`: value corrections on the renamed tensors (channel reorders, InPlace-ABN scales).
A norm given with running statistics but no `num_batches_tracked` (InPlace-ABN, checkpoints older
than that counter) gets a zero counter, as a fresh BatchNorm has. Nothing is guessed: a key
either matches a rule of its family or is reported by name.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import torch

Renamer = Callable[[re.Match[str]], str]
ValueFix = Callable[[torch.Tensor], torch.Tensor]


@dataclass(frozen=True)
class Rename:
    pattern: str  # a regular expression matched against the whole source key
    target: Renamer  # the segnas key, from the match

    def apply(self, key: str) -> str | None:
        match = re.fullmatch(self.pattern, key)
        return self.target(match) if match else None


@dataclass(frozen=True)
class Fold:
    bias: str  # pattern of a conv bias key, with one group: the conv's prefix
    norm: Callable[[re.Match[str]], str]  # prefix of the BatchNorm that follows it


@dataclass(frozen=True)
class Fix:
    pattern: str  # pattern of a segnas key
    apply: ValueFix
    reason: str  # shown in the conversion report


@dataclass(frozen=True)
class FamilyMapping:
    """The full table of one family for one target config and one checkpoint layout."""

    renames: tuple[Rename, ...]
    drops: tuple[str, ...] = ()  # patterns of source keys with no place in the inference graph
    folds: tuple[Fold, ...] = ()
    fixes: tuple[Fix, ...] = ()


@dataclass
class ConversionReport:
    layout: str
    mapped: int = 0
    dropped: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)  # source keys no rule places
    folded: list[str] = field(default_factory=list)  # conv biases folded into BN running means
    fixed: dict[str, list[str]] = field(default_factory=dict)  # reason → segnas keys

    def lines(self) -> list[str]:
        out = [f"layout: {self.layout}", f"mapped tensors: {self.mapped}"]
        if self.folded:
            out.append(f"conv biases folded into the next BatchNorm's running mean: {len(self.folded)}")
        for reason, keys in self.fixed.items():
            out.append(f"{reason} ({len(keys)}): {summary(keys)}")
        if self.dropped:
            out.append(f"dropped, no place in the inference graph ({len(self.dropped)}): {summary(self.dropped)}")
        if self.unexpected:
            out.append(f"unexpected, no rule places them ({len(self.unexpected)}): {summary(self.unexpected, 20)}")
        return out


def summary(keys: list[str], limit: int = 6) -> str:
    """The first `limit` names, and how many more there are."""
    shown = ", ".join(keys[:limit])
    return f"{shown} (+{len(keys) - limit} more)" if len(keys) > limit else shown


def apply_mapping(
    source: dict[str, torch.Tensor], mapping: FamilyMapping, layout: str
) -> tuple[dict[str, torch.Tensor], ConversionReport]:
    """The renamed, fixed tensors (segnas keys) and what happened to every source key."""
    report = ConversionReport(layout)
    tensors = dict(source)
    for fold in mapping.folds:
        for key in list(tensors):
            match = re.fullmatch(fold.bias, key)
            if match is None:
                continue
            mean_key = f"{fold.norm(match)}.running_mean"
            if mean_key not in tensors:
                report.unexpected.append(key)  # a bias without its BatchNorm cannot be folded
                continue
            tensors[mean_key] = tensors[mean_key] - tensors.pop(key)
            report.folded.append(key)
    converted: dict[str, torch.Tensor] = {}
    for key, tensor in tensors.items():
        if key in report.unexpected:
            continue
        if any(re.fullmatch(p, key) for p in mapping.drops):
            report.dropped.append(key)
            continue
        target = next((t for t in (r.apply(key) for r in mapping.renames) if t is not None), None)
        if target is None:
            report.unexpected.append(key)
            continue
        if target in converted:
            raise ValueError(f"conversion table error: two source keys map to {target} (the second is {key})")
        converted[target] = tensor
    for fix in mapping.fixes:
        for key in converted:
            if re.fullmatch(fix.pattern, key):
                converted[key] = fix.apply(converted[key])
                report.fixed.setdefault(fix.reason, []).append(key)
    for key in [k for k in converted if k.endswith(".running_mean")]:
        counter = key.removesuffix("running_mean") + "num_batches_tracked"
        converted.setdefault(counter, torch.tensor(0, dtype=torch.long))
    report.mapped = len(converted)
    return converted, report


def stage(match: re.Match[str], group: str = "s") -> int:
    """A release's 1-based stage number (`block3`, `norm3`) as segnas's 0-based stage index."""
    return int(match[group]) - 1


def prefixed(prefix: str, renames: tuple[Rename, ...]) -> tuple[Rename, ...]:
    """The same rules for keys under an mmseg module prefix (`backbone.`, `decode_head.`)."""
    escaped = re.escape(prefix)
    return tuple(Rename(escaped + r.pattern, r.target) for r in renames)
