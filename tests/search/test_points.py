"""Decoding sampled points, stable architecture ids, conditional sub-spaces."""

from __future__ import annotations

from pathlib import Path

import optuna

from pipeline.model_configs import MLPHeadConfig, ModelConfig, MSCANConfig, model_config_to_dict
from pipeline.search import SpaceSampler, arch_id, load_search_space, resolve_point

TINY_SPACE = Path(__file__).resolve().parent / "tiny_space.yaml"


def test_arch_id_is_stable_and_ignores_spelling() -> None:
    config = model_config_to_dict(ModelConfig(MSCANConfig(depths=(2, 2, 4, 2)), MLPHeadConfig(), num_classes=10))
    partial = {"encoder": {"name": "mscan", "depths": [2, 2, 4, 2]}, "decoder": {"name": "mlp_head"}, "num_classes": 10}
    assert arch_id(config) == arch_id(partial)  # defaults filled in, lists vs tuples alike
    assert len(arch_id(config)) == 12 and int(arch_id(config), 16) >= 0
    other = dict(partial, encoder={"name": "mscan", "depths": [2, 2, 5, 2]})
    assert arch_id(other) != arch_id(partial)


def test_per_stage_element_lands_in_its_tuple() -> None:
    space = load_search_space(TINY_SPACE)
    point = {"encoder": "eft", "eft.depths": "[1,1,2,1]", "eft.widths[3]": 256, "decoder": "mlp_head", "train.lr": 0.01}
    resolved = resolve_point(space, point, num_classes=10)
    assert resolved.model_config["encoder"]["widths"] == [8, 16, 32, 256]
    assert resolved.model_config["encoder"]["depths"] == [1, 1, 2, 1]
    assert resolved.hparams == {"lr": 0.01}


def test_same_architecture_same_id_different_lr_different_point() -> None:
    space = load_search_space(TINY_SPACE)
    point = {"encoder": "mscan", "mscan.strip_kernels": "[7]", "decoder": "mlp_head", "train.lr": 0.01}
    a = resolve_point(space, point, 10)
    b = resolve_point(space, dict(point, **{"train.lr": 0.003}), 10)
    c = resolve_point(space, dict(point), 10)
    assert a.arch_id == b.arch_id and a.point_key != b.point_key
    assert a == c


def test_sampler_asks_only_the_chosen_parts_dimensions() -> None:
    space = load_search_space(TINY_SPACE)
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    for _ in range(20):
        trial = study.ask()
        SpaceSampler(space)(trial)
        prefix = trial.params["encoder"] + "."
        encoder_dims = {k for k in trial.params if k.startswith(("eft.", "mscan."))}
        assert all(k.startswith(prefix) for k in encoder_dims)
        resolve_point(space, trial.params, 10)  # every sample decodes
        study.tell(trial, 0.0)
