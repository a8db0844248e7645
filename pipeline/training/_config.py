"""Training configs: `TrainConfig` (schedule, losses, precision, checkpoints) and its nested parts.

Frozen dataclasses of primitives and tuples, validated where they are made (a job spec, a search
trial, a Ray worker rebuilding one from `asdict`), so a bad value fails before any worker starts.
Defaults follow the ADE20K recipe of SegNeXt / EDAFormer (AdamW 6e-5, head lr x10, poly after a
linear warm-up); the Cityscapes/SGD recipes live in `jobs/*.yaml`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from pipeline.model_configs import ConfigError

OPTIMIZERS = ("adamw", "sgd")
PRECISIONS = ("fp32", "bf16", "fp16")
EVAL_MODES = ("whole", "slide")


def _fail(owner: str, field: str, expected: str, value: object) -> None:
    raise ConfigError(f"{owner}.{field}: expected {expected}, got {value!r}")


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _int_at_least(owner: str, field: str, value: object, low: int) -> None:
    if not _is_int(value) or value < low:  # type: ignore[operator]
        _fail(owner, field, f"an integer >= {low}", value)


def _number_in(owner: str, field: str, value: object, low: float, high: float, low_open: bool = False) -> None:
    ok = _is_number(value) and (low < value if low_open else low <= value) and value <= high  # type: ignore[operator]
    if not ok:
        _fail(owner, field, f"a number in {'(' if low_open else '['}{low}, {high}]", value)


@dataclass(frozen=True)
class OHEMConfig:
    """Online hard example mining: train only on pixels whose true-class probability is low."""

    thresh: float = 0.7  # keep pixels predicted below this probability (the usual Cityscapes value)
    min_kept: int = 100_000  # ...but at least this many per batch (hardest first); 100k per 8 images in mmseg

    def __post_init__(self) -> None:
        _number_in("OHEMConfig", "thresh", self.thresh, 0.0, 1.0, low_open=True)
        _int_at_least("OHEMConfig", "min_kept", self.min_kept, 1)


@dataclass(frozen=True)
class AuxConfig:
    """A training-only FCN head on one encoder stage (CCNet: stage 3, SCTNet: stage 2)."""

    stage: int = 3  # encoder stage counted from 1, as the papers count them
    weight: float = 0.4  # loss weight of both papers
    channels: int = 256  # width of the head's 3x3 conv (mmseg FCNHead uses 256 for CCNet, SCTNet)

    def __post_init__(self) -> None:
        _int_at_least("AuxConfig", "stage", self.stage, 1)
        _number_in("AuxConfig", "weight", self.weight, 0.0, 100.0, low_open=True)
        _int_at_least("AuxConfig", "channels", self.channels, 1)


@dataclass(frozen=True)
class DistillConfig:
    """Channel-wise distillation (CWD) from a frozen teacher loaded from an earlier run's checkpoint."""

    teacher_checkpoint: str  # a checkpoint directory written by `fit_model` (any zoo model)
    tau: float = 4.0  # softmax temperature over spatial positions (CWD paper, SCTNet)
    feature_weight: float = 3.0  # weight of the backbone-feature term (SCTNet's alignment weight)
    logit_weight: float = 3.0  # weight of the logit term
    stages: tuple[int, ...] = (4,)  # student and teacher stages aligned, counted from 1 (last stage: semantics)

    def __post_init__(self) -> None:
        if not isinstance(self.teacher_checkpoint, str) or not self.teacher_checkpoint:
            _fail("DistillConfig", "teacher_checkpoint", "a checkpoint directory path", self.teacher_checkpoint)
        _number_in("DistillConfig", "tau", self.tau, 0.0, 100.0, low_open=True)
        _number_in("DistillConfig", "feature_weight", self.feature_weight, 0.0, 1000.0)
        _number_in("DistillConfig", "logit_weight", self.logit_weight, 0.0, 1000.0)
        if not isinstance(self.stages, tuple) or not all(_is_int(s) and s >= 1 for s in self.stages):
            _fail("DistillConfig", "stages", "a tuple of stage numbers >= 1 (possibly empty)", self.stages)


PRETRAINED_PARTS = ("encoder", "model")


@dataclass(frozen=True)
class PretrainedConfig:
    """Initial weights from a converted file (`segnas weights convert`); a spec sets it as `model.pretrained`."""

    path: str  # the converted file (or a training run's model.pt)
    part: str = "model"  # "encoder": only the encoder's tensors (the decoder starts fresh); "model": all
    strict: bool = True  # every tensor of the part must be in the file, with its shape; nothing extra
    inherit: bool = False  # a smaller variant takes the first blocks, leading channels, centred kernels

    def __post_init__(self) -> None:
        if not isinstance(self.path, str) or not self.path:
            _fail("PretrainedConfig", "path", "the path of a converted weight file", self.path)
        if self.part not in PRETRAINED_PARTS:
            _fail("PretrainedConfig", "part", f"one of {PRETRAINED_PARTS!r}", self.part)
        for field in ("strict", "inherit"):
            if not isinstance(getattr(self, field), bool):
                _fail("PretrainedConfig", field, "true or false", getattr(self, field))
        if self.inherit and (self.strict or self.part != "encoder"):
            expected = "part 'encoder' and strict false with inherit: true (encoders only; shapes differ by design)"
            _fail("PretrainedConfig", "inherit", expected, self.inherit)


@dataclass(frozen=True)
class EvalConfig:
    """How validation images are run through the model."""

    mode: str = "whole"  # "whole" image, or "slide" windows (Cityscapes recipe for large models)
    window: tuple[int, int] = (512, 512)  # (H, W) of a sliding window; ignored for "whole"
    stride: tuple[int, int] = (384, 384)  # step between windows; overlapping logits are averaged
    batch_size: int = 1  # whole-image batches need equal sizes; 1 accepts any dataset
    every: int = 1  # evaluate every N epochs (and always after the last one)

    def __post_init__(self) -> None:
        if self.mode not in EVAL_MODES:
            _fail("EvalConfig", "mode", f"one of {EVAL_MODES!r}", self.mode)
        for field in ("window", "stride"):
            value = getattr(self, field)
            if not (isinstance(value, tuple) and len(value) == 2 and all(_is_int(v) and v >= 1 for v in value)):
                _fail("EvalConfig", field, "a (height, width) tuple of integers >= 1", value)
        if any(s > w for s, w in zip(self.stride, self.window)):
            _fail("EvalConfig", "stride", f"steps no larger than the window {self.window} (no gaps)", self.stride)
        _int_at_least("EvalConfig", "batch_size", self.batch_size, 1)
        _int_at_least("EvalConfig", "every", self.every, 1)


@dataclass(frozen=True)
class TrainConfig:
    epochs: int = 10  # full passes over the training split
    batch_size: int = 8  # images per worker per step (the recipes' 16 = 2 workers x 8)
    optimizer: str = "adamw"  # "adamw" (SegNeXt, EDAFormer, SCTNet) or "sgd" (CCNet)
    lr: float = 6e-5  # base learning rate of the encoder (SegNeXt/EDAFormer ADE20K recipe)
    weight_decay: float = 0.01  # AdamW recipe; never applied to norms and biases
    momentum: float = 0.9  # SGD only
    betas: tuple[float, float] = (0.9, 0.999)  # AdamW only
    head_lr_mult: float = 10.0  # decoder (and training-only heads) learn this much faster
    warmup_iters: int = 1500  # linear warm-up length in iterations (recipes: 1500)
    warmup_ratio: float = 1e-6  # warm-up starts at lr x this
    poly_power: float = 1.0  # poly decay exponent (SegNeXt 1.0, CCNet 0.9)
    min_lr_ratio: float = 0.0  # poly decays to lr x this
    ohem: OHEMConfig | None = None  # hard pixel mining; off by default, as in the ADE20K recipes
    aux: AuxConfig | None = None  # training-only FCN head; CCNet and SCTNet recipes turn it on
    distill: DistillConfig | None = None  # SCTNet-style alignment to a frozen teacher
    pretrained: PretrainedConfig | None = None  # initial weights; specs set it as model.pretrained
    precision: str = "fp32"  # "bf16" / "fp16" autocast; fp16 needs CUDA and uses a GradScaler
    channels_last: bool = True  # memory format on CUDA (faster convs); ignored on CPU
    grad_clip: float | None = None  # max global gradient norm; None = no clipping
    loss_limit: float | None = 1e4  # a step loss above this has diverged: the run fails (None: only NaN/inf do)
    sync_bn: bool = True  # SyncBatchNorm across workers where torch supports it (CUDA); see fit_model
    eval: EvalConfig = dataclasses.field(default_factory=EvalConfig)
    loader_workers: int = 0  # DataLoader processes per Ray worker; 0 loads in the training process
    seed: int = 0  # decides initial weights, shuffling, augmentations, dropout
    checkpoint_every: int = 1  # checkpoint every N epochs (and always after the last one)
    keep_checkpoints: int = 2  # newest checkpoints kept on storage
    max_failures: int = 2  # worker failures tolerated; the run resumes from the latest checkpoint
    fail_after_epoch: int | None = None  # fault injection for tests: the last worker raises after this epoch in an attempt that started without a checkpoint

    def __post_init__(self) -> None:
        owner = "TrainConfig"
        _int_at_least(owner, "epochs", self.epochs, 1)
        _int_at_least(owner, "batch_size", self.batch_size, 1)
        if self.optimizer not in OPTIMIZERS:
            _fail(owner, "optimizer", f"one of {OPTIMIZERS!r}", self.optimizer)
        _number_in(owner, "lr", self.lr, 0.0, 10.0, low_open=True)
        _number_in(owner, "weight_decay", self.weight_decay, 0.0, 1.0)
        _number_in(owner, "momentum", self.momentum, 0.0, 1.0)
        b = self.betas
        if not (isinstance(b, tuple) and len(b) == 2 and all(_is_number(v) and 0.0 <= v < 1.0 for v in b)):
            _fail(owner, "betas", "a (beta1, beta2) tuple of numbers in [0, 1)", b)
        _number_in(owner, "head_lr_mult", self.head_lr_mult, 0.0, 1000.0, low_open=True)
        _int_at_least(owner, "warmup_iters", self.warmup_iters, 0)
        _number_in(owner, "warmup_ratio", self.warmup_ratio, 0.0, 1.0)
        _number_in(owner, "poly_power", self.poly_power, 0.0, 10.0)
        _number_in(owner, "min_lr_ratio", self.min_lr_ratio, 0.0, 1.0)
        nested = (("ohem", OHEMConfig), ("aux", AuxConfig), ("distill", DistillConfig), ("pretrained", PretrainedConfig))
        for field, kind in nested:
            value = getattr(self, field)
            if value is not None and not isinstance(value, kind):
                _fail(owner, field, f"None or a {kind.__name__}", value)
        if not isinstance(self.eval, EvalConfig):
            _fail(owner, "eval", "an EvalConfig", self.eval)
        if self.precision not in PRECISIONS:
            _fail(owner, "precision", f"one of {PRECISIONS!r}", self.precision)
        for field in ("channels_last", "sync_bn"):
            if not isinstance(getattr(self, field), bool):
                _fail(owner, field, "true or false", getattr(self, field))
        if self.grad_clip is not None:
            _number_in(owner, "grad_clip", self.grad_clip, 0.0, 1e6, low_open=True)
        if self.loss_limit is not None:
            _number_in(owner, "loss_limit", self.loss_limit, 0.0, 1e30, low_open=True)
        _int_at_least(owner, "loader_workers", self.loader_workers, 0)
        _int_at_least(owner, "seed", self.seed, 0)
        _int_at_least(owner, "checkpoint_every", self.checkpoint_every, 1)
        _int_at_least(owner, "keep_checkpoints", self.keep_checkpoints, 1)
        _int_at_least(owner, "max_failures", self.max_failures, 0)
        if self.fail_after_epoch is not None:
            _int_at_least(owner, "fail_after_epoch", self.fail_after_epoch, 1)


def train_config_to_dict(config: TrainConfig) -> dict[str, Any]:
    """Plain nested dict (JSON/YAML safe; tuples become lists) that `train_config_from_dict` reverses."""
    return plain_data(dataclasses.asdict(config))


def plain_data(value: Any) -> Any:
    """Dicts and lists all the way down (tuples become lists): what YAML, JSON and Ray carry alike."""
    if isinstance(value, dict):
        return {k: plain_data(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain_data(v) for v in value]
    return value


def train_config_from_dict(data: dict[str, Any]) -> TrainConfig:
    """Rebuild a `TrainConfig` from `train_config_to_dict` output (on a Ray worker, from a trial)."""
    data = dict(data)
    nested = {"ohem": OHEMConfig, "aux": AuxConfig, "distill": DistillConfig, "eval": EvalConfig,
              "pretrained": PretrainedConfig}
    for key, kind in nested.items():
        if isinstance(data.get(key), dict):
            data[key] = kind(**{k: _tuple(v) for k, v in data[key].items()})
    return TrainConfig(**{k: _tuple(v) for k, v in data.items()})


def _tuple(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value
