"""ISR settings of a finished trial: each on top of the training setting, evaluated in the training precision."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
import torch

from pipeline import metric_names as m
from pipeline.data import TransformConfig
from pipeline.data.synth import SynthConfig
from pipeline.model_configs import (
    ConfigError,
    EDADecoderConfig,
    EFTConfig,
    ModelConfig,
    model_config_from_dict,
    model_config_to_dict,
)
from pipeline.models import build_model
from pipeline.results_schema import STATUS_FINISHED
from pipeline.search import load_search_space, resolve_point
from pipeline.search._cost import CostGate
from pipeline.search._results import RowContext
from pipeline.search._searcher import TRIAL_NUMBER_KEY
from pipeline.search._trial import PRETRAINED_KEY, TrialContext, _set_isr, evaluate_finished, with_inheritance
from pipeline.specs._search import BudgetSpec, LatencySpec
from pipeline.storage import resolve_location
from pipeline.training import (
    DatasetSpec,
    EvalConfig,
    ScalingSpec,
    TrainConfig,
    dataset_spec_to_dict,
    evaluate,
    prepare_dataset,
)
from pipeline.training._checkpoint import save_model_file

SPACE = load_search_space(Path(__file__).parent / "tiny_space.yaml")
POINT = {"encoder": "eft", "eft.depths": "[1,1,1,1]", "eft.widths[3]": 64, "decoder": "mlp_head", "train.lr": 0.01}

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


def _eft_checkpoint(tmp_path: Path) -> Path:
    from pipeline.weights._files import save_converted

    config = resolve_point(SPACE, {**POINT, "eft.depths": "[1,1,2,1]"}, 10).model_config
    model = build_model(model_config_from_dict(config))
    path = tmp_path / "eft.pt"
    save_converted(path, model.state_dict(), config, "test", "mmseg")
    return path


def test_a_variant_inherits_from_the_spec_checkpoint_of_its_encoder(tmp_path: Path) -> None:
    path = _eft_checkpoint(tmp_path)
    point = resolve_point(SPACE, POINT, 10)
    train, record = with_inheritance(TrainConfig(), point.model_config, (("eft", str(path)),))
    assert train.pretrained is not None and train.pretrained.inherit and train.pretrained.part == "encoder"
    inherited = json.loads(record)
    assert inherited["checkpoint"] == str(path) and inherited["tensors"]["fresh"] == 0
    assert inherited["families"]["encoder.stages.*.blocks.*.ffn.fc1.weight"]["copied"] == 4
    # Another encoder, or no checkpoint: trained from scratch, empty record.
    assert with_inheritance(TrainConfig(), point.model_config, (("mscan", str(path)),)) == (TrainConfig(), "")
    wide = resolve_point(SPACE, {**POINT, "eft.widths[3]": 256}, 10)
    with pytest.raises(ConfigError, match=r"output channels \(dim 0\) is 256 in the variant but 64 in the checkpoint"):
        with_inheritance(TrainConfig(), wide.model_config, (("eft", str(path)),))


def test_the_trial_row_records_what_was_inherited(tmp_path: Path) -> None:
    rows = RowContext("x", SPACE, 10, 2, 0, 1, "dev", {})
    result = {m.EPOCH: 2, m.VAL_MIOU: 0.5, PRETRAINED_KEY: '{"tensors": {}}'}
    (row,) = rows.trial_rows({**POINT, TRIAL_NUMBER_KEY: 0}, result, STATUS_FINISHED, [0.5])
    assert row["pretrained"] == '{"tensors": {}}'
    (scratch,) = rows.trial_rows({**POINT, TRIAL_NUMBER_KEY: 1}, {m.EPOCH: 2}, STATUS_FINISHED, [0.5])
    assert scratch["pretrained"] == ""


def test_search_spec_names_a_checkpoint_per_encoder(tmp_path: Path) -> None:
    from pipeline.specs import SpecError
    from pipeline.specs._search import _parse_pretrained

    path = _eft_checkpoint(tmp_path)
    assert _parse_pretrained({"eft": str(path)}) == (("eft", str(path)),)
    with pytest.raises(SpecError, match=r"search.pretrained.mscan: expected a checkpoint of a mscan encoder"):
        _parse_pretrained({"mscan": str(path)})
    with pytest.raises(SpecError, match=r"search.pretrained: expected encoder names of"):
        _parse_pretrained({"resnet": str(path)})
    with pytest.raises(SpecError, match=r"search.pretrained.eft: .*nope.pt: no such file"):
        _parse_pretrained({"eft": str(tmp_path / "nope.pt")})


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
    context = TrialContext("t", resolve_location(tmp_path), None, 8, {}, dataset_spec_to_dict(dataset), ScalingSpec(), gate,
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
