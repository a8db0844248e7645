"""Training on Ray Train: configs, loading, losses, schedule, metrics, evaluation and `fit_model`.

Pure-torch parts (`Trainer`, losses, metrics, `evaluate`) run without Ray; `fit_model` wraps them
in a `TorchTrainer`, `fit_in_process` runs them in the calling process (single-worker trials). Imports models and data; nothing here imports search or the CLI.
"""

from pipeline.training._checkpoint import load_checkpoint_model
from pipeline.training._config import (
    EVAL_MODES,
    OPTIMIZERS,
    PRECISIONS,
    AuxConfig,
    DistillConfig,
    EvalConfig,
    OHEMConfig,
    TrainConfig,
    train_config_from_dict,
    train_config_to_dict,
)
from pipeline.training._evaluate import evaluate, slide_inference
from pipeline.training._heads import FCNHead, TrainingModule
from pipeline.training._in_process import fit_in_process, latest_checkpoint
from pipeline.training._loading import TrainLoader, shard_indices
from pipeline.training._loop import Trainer
from pipeline.training._losses import channel_wise_divergence, ohem_mask, segmentation_loss
from pipeline.training._metrics import (
    CLASS_IOU_PREFIX,
    all_reduce_confusion,
    metrics_from_confusion,
    update_confusion,
)
from pipeline.training._optim import build_optimizer, build_scheduler, lr_factor, param_groups
from pipeline.training._ray import HISTORY_FILE, TrainResult, fit_model, progress_line, replace_train
from pipeline.training._specs import (
    SYNTH_LAYOUT,
    DatasetSpec,
    ScalingSpec,
    dataset_spec_from_dict,
    dataset_spec_to_dict,
    prepare_dataset,
)

__all__ = [
    "AuxConfig",
    "CLASS_IOU_PREFIX",
    "DatasetSpec",
    "DistillConfig",
    "EVAL_MODES",
    "EvalConfig",
    "FCNHead",
    "HISTORY_FILE",
    "OHEMConfig",
    "OPTIMIZERS",
    "PRECISIONS",
    "SYNTH_LAYOUT",
    "ScalingSpec",
    "TrainConfig",
    "TrainLoader",
    "TrainResult",
    "Trainer",
    "TrainingModule",
    "all_reduce_confusion",
    "build_optimizer",
    "build_scheduler",
    "channel_wise_divergence",
    "dataset_spec_from_dict",
    "dataset_spec_to_dict",
    "evaluate",
    "fit_in_process",
    "fit_model",
    "latest_checkpoint",
    "load_checkpoint_model",
    "lr_factor",
    "metrics_from_confusion",
    "ohem_mask",
    "param_groups",
    "prepare_dataset",
    "progress_line",
    "replace_train",
    "segmentation_loss",
    "shard_indices",
    "slide_inference",
    "train_config_from_dict",
    "train_config_to_dict",
    "update_confusion",
]
