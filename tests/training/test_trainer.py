"""The pure-torch training loop without Ray: heads, distillation, precision checks, resume, inference."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from pipeline import metric_names as m
from pipeline.model_configs import ConfigError
from pipeline.models import count_parameters
from pipeline.training import (
    AuxConfig,
    DistillConfig,
    EvalConfig,
    TrainConfig,
    Trainer,
    load_checkpoint_model,
    prepare_dataset,
    slide_inference,
)
from tests.training.tiny import NUM_CLASSES, tiny_dataset, tiny_model_config

FAST = TrainConfig(epochs=2, batch_size=4, lr=5e-3, head_lr_mult=1.0, warmup_iters=2, seed=1)


@pytest.fixture(scope="module")
def data_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("exp")


def _dataset(root: Path):  # type: ignore[no-untyped-def]
    spec = tiny_dataset(num_train=8, num_val=4).with_root(root)
    assert prepare_dataset(spec) == NUM_CLASSES
    return spec


def test_aux_head_is_training_only_and_outside_the_model(data_root: Path) -> None:
    train = TrainConfig(**{**FAST.__dict__, "aux": AuxConfig(stage=2, channels=16)})
    trainer = Trainer(tiny_model_config(), train, _dataset(data_root))
    inference_params = count_parameters(trainer.model)
    assert trainer.module.aux_head is not None
    assert count_parameters(trainer.module) > inference_params
    assert not any(k.startswith("aux") for k in trainer.model.state_dict())
    logits, aux_logits, _ = trainer.module(torch.zeros(2, 3, 64, 64))
    assert aux_logits is not None and aux_logits.shape == logits.shape == (2, NUM_CLASSES, 64, 64)
    stats = trainer.train_epoch(0)
    assert stats.images == 8 and stats.loss > 0


def test_aux_stage_outside_the_encoder_is_a_config_error(data_root: Path) -> None:
    train = TrainConfig(**{**FAST.__dict__, "aux": AuxConfig(stage=5)})
    with pytest.raises(ConfigError, match="aux.stage"):
        Trainer(tiny_model_config(), train, _dataset(data_root))


def test_fp16_on_cpu_is_a_config_error(data_root: Path) -> None:
    with pytest.raises(ConfigError, match="fp16 needs a CUDA device"):
        Trainer(tiny_model_config(), TrainConfig(precision="fp16"), _dataset(data_root))


def test_save_load_continues_exactly(data_root: Path, tmp_path: Path) -> None:
    dataset = _dataset(data_root)
    straight = Trainer(tiny_model_config(), FAST, dataset)
    straight.train_epoch(0)
    straight.save(tmp_path, 0, [{m.EPOCH: 1}])
    straight.train_epoch(1)
    resumed = Trainer(tiny_model_config(), FAST, dataset)
    epoch, history = resumed.load(tmp_path)
    assert (epoch, history) == (1, [{m.EPOCH: 1}])
    resumed.train_epoch(1)
    for (name, a), (_, b) in zip(straight.model.state_dict().items(), resumed.model.state_dict().items()):
        assert torch.equal(a, b), name
    assert resumed.scheduler.last_epoch == straight.scheduler.last_epoch == 4


def test_distillation_from_a_checkpointed_teacher(data_root: Path, tmp_path: Path) -> None:
    dataset = _dataset(data_root)
    teacher = Trainer(tiny_model_config(), FAST, dataset)
    teacher.save(tmp_path, 0, [])
    loaded, config = load_checkpoint_model(tmp_path)
    assert config == tiny_model_config()
    distill = DistillConfig(teacher_checkpoint=str(tmp_path), stages=(3, 4), tau=2.0)
    student = Trainer(tiny_model_config(), TrainConfig(**{**FAST.__dict__, "distill": distill}), dataset)
    assert set(student.module.projections) == {"3", "4"}
    before = [p.clone() for p in student.teacher.model.parameters()]  # type: ignore[union-attr]
    stats = student.train_epoch(0)
    assert stats.loss > 0
    after = list(student.teacher.model.parameters())  # type: ignore[union-attr]
    assert all(torch.equal(a, b) for a, b in zip(before, after))  # the teacher stays frozen


class _Identity(torch.nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x


def test_slide_inference_averages_windows_back_to_the_input() -> None:
    images = torch.randn(2, 3, 10, 13)
    out = slide_inference(_Identity(), images, 3, window=(4, 6), stride=(3, 4))
    assert torch.allclose(out, images)
    small = torch.randn(1, 3, 3, 3)  # smaller than the window: padded, then cropped back
    assert torch.allclose(slide_inference(_Identity(), small, 3, window=(4, 6), stride=(2, 2)), small)


def test_slide_evaluation_with_one_window_covering_the_image_equals_whole_image(data_root: Path) -> None:
    trainer = Trainer(tiny_model_config(), FAST, _dataset(data_root))
    whole = trainer.evaluate()
    assert 0.0 <= whole[m.VAL_MIOU] <= 1.0 and f"val/iou/{NUM_CLASSES - 1}" in whole
    trainer.config = TrainConfig(**{**FAST.__dict__, "eval": EvalConfig(mode="slide", window=(64, 64), stride=(32, 32))})
    assert trainer.evaluate() == pytest.approx(whole, nan_ok=True)  # one window = the whole 64x64 image


def test_pretrained_weights_initialise_the_model(data_root: Path, tmp_path: Path) -> None:
    from pipeline.training import PretrainedConfig
    from pipeline.weights._files import save_converted

    donor = Trainer(tiny_model_config(), TrainConfig(**{**FAST.__dict__, "seed": 5}), _dataset(data_root)).model
    path = tmp_path / "weights.pt"
    save_converted(path, donor.state_dict(), tiny_model_config(), "test", "mmseg")
    train = TrainConfig(**{**FAST.__dict__, "pretrained": PretrainedConfig(str(path), part="encoder")})
    model = Trainer(tiny_model_config(), train, _dataset(data_root)).model
    assert all(torch.equal(v, donor.state_dict()[k]) for k, v in model.encoder.state_dict(prefix="encoder.").items())
    assert not torch.equal(model.decoder.classifier.weight, donor.decoder.classifier.weight)
