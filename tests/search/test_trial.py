"""ISR settings of a finished trial: each on top of the training setting, evaluated in the training precision."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import torch

from pipeline import metric_names as m
from pipeline.data import TransformConfig
from pipeline.data.synth import SynthConfig
from pipeline.model_configs import EDADecoderConfig, EFTConfig, ModelConfig, model_config_to_dict
from pipeline.models import build_model
from pipeline.search._cost import CostGate
from pipeline.search._trial import TrialContext, _set_isr, evaluate_finished
from pipeline.specs._search import BudgetSpec, LatencySpec
from pipeline.training import DatasetSpec, EvalConfig, ScalingSpec, dataset_spec_to_dict, evaluate, prepare_dataset
from pipeline.training._checkpoint import save_model_file

TINY = ModelConfig(
    EFTConfig(widths=(8, 16, 32, 64), depths=(1, 1, 1, 1), heads=(1, 2, 2, 4), mlp_ratios=(2, 2, 2, 2)),
    EDADecoderConfig(depths=(1, 1, 1), heads=(2, 2, 4), mlp_ratio=1.0, fuse_channels=8),
    num_classes=3,
)


def test_a_setting_that_leaves_a_part_out_restores_that_part() -> None:
    model = build_model(TINY)
    training = {"encoder": (1, 1, 1, 1), "decoder": (1, 1, 1)}
    _set_isr(model, training, {"encoder": (2, 2, 1, 1), "decoder": (2, 2, 2)})
    assert model.get_isr() == {"encoder": (2, 2, 1, 1), "decoder": (2, 2, 2)}
    _set_isr(model, training, {"encoder": (4, 2, 1, 1), "decoder": None})
    assert model.get_isr() == {"encoder": (4, 2, 1, 1), "decoder": (1, 1, 1)}
    _set_isr(model, training, {})
    assert model.get_isr() == training


def test_isr_rows_are_evaluated_in_the_training_precision(tmp_path: Path) -> None:
    """bf16 training: each ISR row's mIoU is what `evaluate` gives that variant in bf16, as its parent's was."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # one thread: the same reduction order in both evaluations
    try:
        _check_isr_precision(tmp_path)
    finally:
        torch.set_num_threads(threads)


def _check_isr_precision(tmp_path: Path) -> None:
    dataset = DatasetSpec("synth", synth=SynthConfig(num_train=2, num_val=4, size=(32, 32), num_classes=8),
                          transform=TransformConfig(crop_size=(32, 32), ratio_range=(1.0, 1.0))).with_root(tmp_path)
    prepare_dataset(dataset)
    config = dataclasses.replace(TINY, num_classes=8)
    torch.manual_seed(0)  # initial weights on which bf16 and fp32 disagree (checked at the end)
    model = build_model(config)
    (tmp_path / "ckpt").mkdir()
    save_model_file(tmp_path / "ckpt", model, model_config_to_dict(config))
    gate = CostGate((32, 32), BudgetSpec(), LatencySpec(warmup=0, repeats=1))
    settings = ("2,2,1,1/2,2,2", "4,2,1,1/")
    context = TrialContext("t", str(tmp_path), None, 8, {}, dataset_spec_to_dict(dataset), ScalingSpec(), gate,
                           settings, 1)
    _, rows = evaluate_finished(str(tmp_path / "ckpt"), context, EvalConfig(), "bf16")
    model.eval()
    expected = []
    for encoder, decoder in (((2, 2, 1, 1), (2, 2, 2)), ((4, 2, 1, 1), None)):
        _set_isr(model, {"encoder": (1, 1, 1, 1), "decoder": (1, 1, 1)}, {"encoder": encoder, "decoder": decoder})
        expected.append(evaluate(model, dataset, EvalConfig(), precision="bf16")[m.VAL_MIOU])
    assert [row[m.VAL_MIOU] for row in rows] == expected
    fp32 = evaluate(model, dataset, EvalConfig())[m.VAL_MIOU]
    assert fp32 != expected[-1]  # the precisions disagree on this model, so the assertion above can fail
