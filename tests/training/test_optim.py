"""Parameter groups (no decay on norms and biases, head multiplier) and the poly/warm-up schedule."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from pipeline.training import TrainConfig, build_optimizer, build_scheduler, lr_factor, param_groups


def _parts() -> tuple[nn.Module, nn.Module]:
    backbone = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.Conv2d(4, 4, 1, bias=True))
    head = nn.Sequential(nn.Conv2d(4, 4, 1, bias=False), nn.GroupNorm(2, 4), nn.LayerNorm(4), nn.Conv2d(4, 2, 1))
    return backbone, head


def test_groups_exempt_norms_and_biases_and_scale_the_head() -> None:
    backbone, head = _parts()
    config = TrainConfig(lr=0.1, weight_decay=0.05, head_lr_mult=10.0)
    groups = {g.name: g for g in param_groups(backbone, [head], config)}
    ids = {name: {id(p) for p in g.params} for name, g in groups.items()}
    assert ids["backbone"] == {id(backbone[0].weight), id(backbone[2].weight)}
    assert ids["backbone_no_decay"] == {id(backbone[0].bias), id(backbone[1].weight), id(backbone[1].bias),
                                        id(backbone[2].bias)}
    assert ids["head"] == {id(head[0].weight), id(head[3].weight)}
    assert ids["head_no_decay"] == {id(head[1].weight), id(head[1].bias), id(head[2].weight), id(head[2].bias),
                                    id(head[3].bias)}
    optimizer = build_optimizer(list(groups.values()), config)
    by_name = {g["name"]: g for g in optimizer.param_groups}
    assert by_name["backbone"]["lr"] == pytest.approx(0.1) and by_name["backbone"]["weight_decay"] == 0.05
    assert by_name["backbone_no_decay"]["weight_decay"] == 0.0
    assert by_name["head"]["lr"] == pytest.approx(1.0) and by_name["head"]["weight_decay"] == 0.05
    assert by_name["head_no_decay"]["lr"] == pytest.approx(1.0) and by_name["head_no_decay"]["weight_decay"] == 0.0
    assert isinstance(optimizer, torch.optim.AdamW)
    assert isinstance(build_optimizer(list(groups.values()), TrainConfig(optimizer="sgd")), torch.optim.SGD)


def test_a_shared_parameter_is_counted_once() -> None:
    backbone, head = _parts()
    groups = param_groups(backbone, [head, backbone], TrainConfig())
    assert sum(len(g.params) for g in groups) == len(list(backbone.parameters())) + len(list(head.parameters()))


def test_poly_schedule_with_linear_warmup_values() -> None:
    config = TrainConfig(warmup_iters=10, warmup_ratio=0.1, poly_power=0.9, min_lr_ratio=0.0)
    assert lr_factor(0, 100, config) == pytest.approx(0.1)  # warm-up start: ratio x poly(0) = 0.1
    assert lr_factor(5, 100, config) == pytest.approx((0.1 + 0.9 * 0.5) * 0.95**0.9)
    assert lr_factor(10, 100, config) == pytest.approx(0.9**0.9)  # warm-up over: pure poly
    assert lr_factor(50, 100, config) == pytest.approx(0.5**0.9)
    assert lr_factor(100, 100, config) == pytest.approx(0.0)
    floor = TrainConfig(warmup_iters=0, poly_power=1.0, min_lr_ratio=0.01)
    assert lr_factor(100, 100, floor) == pytest.approx(0.01)
    assert lr_factor(50, 100, floor) == pytest.approx(0.01 + 0.99 * 0.5)


def test_scheduler_steps_every_group_per_iteration_keeping_the_head_multiplier() -> None:
    backbone, head = _parts()
    config = TrainConfig(lr=1.0, head_lr_mult=10.0, warmup_iters=2, warmup_ratio=0.5, poly_power=1.0)
    optimizer = build_optimizer(param_groups(backbone, [head], config), config)
    scheduler = build_scheduler(optimizer, 4, config)
    seen = []
    for _ in range(4):
        seen.append({g["name"]: g["lr"] for g in optimizer.param_groups})
        optimizer.step()
        scheduler.step()
    assert [s["backbone"] for s in seen] == pytest.approx([0.5, 0.75 * 0.75, 0.5, 0.25])
    assert [s["head"] for s in seen] == pytest.approx([5.0, 10 * 0.75 * 0.75, 5.0, 2.5])
