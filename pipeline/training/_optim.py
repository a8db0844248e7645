"""Optimizer and learning-rate schedule: parameter groups, AdamW/SGD, poly decay after linear warm-up.

Groups: the encoder learns at `lr`, everything else that trains (decoder, auxiliary head,
distillation projections) at `lr x head_lr_mult`; biases and the weights of normalisation layers
never get weight decay (decaying a norm's scale towards zero only fights the normalisation).
The schedule is stepped per iteration, as in every recipe the papers use.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import nn

from pipeline.training._config import TrainConfig

# Normalisation layers whose affine parameters are exempt from weight decay.
NORM_TYPES: tuple[type[nn.Module], ...] = (
    nn.modules.batchnorm._BatchNorm,
    nn.GroupNorm,
    nn.LayerNorm,
    nn.modules.instancenorm._InstanceNorm,
    nn.LocalResponseNorm,
)


class ParamGroupSpec(NamedTuple):
    name: str  # "backbone", "backbone_no_decay", "head", "head_no_decay"
    params: list[nn.Parameter]
    lr_mult: float
    weight_decay: float


def _no_decay_ids(module: nn.Module) -> set[int]:
    ids: set[int] = set()
    for sub in module.modules():
        is_norm = isinstance(sub, NORM_TYPES) or "Norm" in type(sub).__name__
        for name, param in sub.named_parameters(recurse=False):
            if is_norm or name == "bias" or name.endswith("bias"):
                ids.add(id(param))
    return ids


def param_groups(backbone: nn.Module, heads: list[nn.Module], config: TrainConfig) -> list[ParamGroupSpec]:
    """Split trainable parameters into backbone/head x decay/no-decay groups (empty groups dropped)."""
    groups: list[ParamGroupSpec] = []
    seen: set[int] = set()
    for name, modules, mult in (("backbone", [backbone], 1.0), ("head", heads, config.head_lr_mult)):
        decay: list[nn.Parameter] = []
        no_decay: list[nn.Parameter] = []
        for module in modules:
            exempt = _no_decay_ids(module)
            for param in module.parameters():
                if not param.requires_grad or id(param) in seen:
                    continue
                seen.add(id(param))
                (no_decay if id(param) in exempt else decay).append(param)
        if decay:
            groups.append(ParamGroupSpec(name, decay, mult, config.weight_decay))
        if no_decay:
            groups.append(ParamGroupSpec(f"{name}_no_decay", no_decay, mult, 0.0))
    return groups


def build_optimizer(groups: list[ParamGroupSpec], config: TrainConfig) -> torch.optim.Optimizer:
    torch_groups = [
        {"params": g.params, "lr": config.lr * g.lr_mult, "weight_decay": g.weight_decay, "name": g.name}
        for g in groups
    ]
    if config.optimizer == "sgd":
        return torch.optim.SGD(torch_groups, lr=config.lr, momentum=config.momentum)
    return torch.optim.AdamW(torch_groups, lr=config.lr, betas=config.betas)


def lr_factor(iteration: int, max_iters: int, config: TrainConfig) -> float:
    """Multiplier of every group's base lr at `iteration` (0-based): poly decay x linear warm-up.

    poly = (1 - it / max_iters) ** power, rescaled to end at `min_lr_ratio`; during the first
    `warmup_iters` iterations it is further scaled from `warmup_ratio` up to 1 (mmseg's "linear"
    warm-up applied on top of the regular schedule).
    """
    progress = min(iteration, max_iters) / max(1, max_iters)
    poly = (1.0 - progress) ** config.poly_power
    factor = config.min_lr_ratio + (1.0 - config.min_lr_ratio) * poly
    if iteration < config.warmup_iters:
        factor *= config.warmup_ratio + (1.0 - config.warmup_ratio) * iteration / config.warmup_iters
    return factor


def build_scheduler(
    optimizer: torch.optim.Optimizer, max_iters: int, config: TrainConfig
) -> torch.optim.lr_scheduler.LambdaLR:
    """Per-iteration scheduler; call `step()` after every optimizer step."""
    return torch.optim.lr_scheduler.LambdaLR(optimizer, lambda it: lr_factor(it, max_iters, config))
