"""Training on Ray Train: configs, loading, losses, schedule, metrics, evaluation and `fit_model`.

Pure-torch parts (`Trainer`, losses, metrics, `evaluate`) run without Ray; `fit_model` wraps them
in a `TorchTrainer`, `fit_in_process` runs them in the calling process (single-worker trials).
Imports models and data; nothing here imports search or the CLI.
"""

from __future__ import annotations

import importlib
from typing import Any

from pipeline.training._config import (
    EVAL_MODES,
    OPTIMIZERS,
    PRECISIONS,
    PRETRAINED_PARTS,
    AuxConfig,
    DistillConfig,
    EvalConfig,
    OHEMConfig,
    PretrainedConfig,
    TrainConfig,
    train_config_from_dict,
    train_config_to_dict,
)
from pipeline.training._resources import (
    ResourceError,
    accelerator_types,
    alive_node_resources,
    check_resources,
    trial_gpus,
    usable_gpus,
)
from pipeline.training._specs import (
    ACCELERATOR_SHARE,
    PLACEMENT_STRATEGIES,
    SYNTH_LAYOUT,
    DatasetSpec,
    ScalingSpec,
    accelerator_resource,
    dataset_spec_from_dict,
    dataset_spec_to_dict,
    prepare_dataset,
)

# Names that need torch or Ray, imported on first use: a spec (configs above) loads without them.

_LAZY = {
    "load_checkpoint_model": ("pipeline.training._checkpoint", "load_checkpoint_model"),
    "evaluate": ("pipeline.training._evaluate", "evaluate"),
    "slide_inference": ("pipeline.training._evaluate", "slide_inference"),
    "FCNHead": ("pipeline.training._heads", "FCNHead"),
    "fit_in_process": ("pipeline.training._in_process", "fit_in_process"),
    "latest_checkpoint": ("pipeline.training._in_process", "latest_checkpoint"),
    "ray_node_id": ("pipeline.training._in_process", "ray_node_id"),
    "TrainingModule": ("pipeline.training._heads", "TrainingModule"),
    "TrainLoader": ("pipeline.training._loading", "TrainLoader"),
    "shard_indices": ("pipeline.training._loading", "shard_indices"),
    "LocalRay": ("pipeline.training._local_ray", "LocalRay"),
    "RayStartError": ("pipeline.training._local_ray", "RayStartError"),
    "free_port": ("pipeline.training._local_ray", "free_port"),
    "ray_connection": ("pipeline.training._local_ray", "ray_connection"),
    "start_local_ray": ("pipeline.training._local_ray", "start_local_ray"),
    "stop_local_ray": ("pipeline.training._local_ray", "stop_local_ray"),
    "NonFiniteError": ("pipeline.training._loop", "NonFiniteError"),
    "Trainer": ("pipeline.training._loop", "Trainer"),
    "channel_wise_divergence": ("pipeline.training._losses", "channel_wise_divergence"),
    "ohem_mask": ("pipeline.training._losses", "ohem_mask"),
    "segmentation_loss": ("pipeline.training._losses", "segmentation_loss"),
    "CLASS_IOU_PREFIX": ("pipeline.training._metrics", "CLASS_IOU_PREFIX"),
    "all_reduce_confusion": ("pipeline.training._metrics", "all_reduce_confusion"),
    "metrics_from_confusion": ("pipeline.training._metrics", "metrics_from_confusion"),
    "update_confusion": ("pipeline.training._metrics", "update_confusion"),
    "check_dataset": ("pipeline.training._preflight", "check_dataset"),
    "build_optimizer": ("pipeline.training._optim", "build_optimizer"),
    "build_scheduler": ("pipeline.training._optim", "build_scheduler"),
    "lr_factor": ("pipeline.training._optim", "lr_factor"),
    "param_groups": ("pipeline.training._optim", "param_groups"),
    "HISTORY_FILE": ("pipeline.training._ray", "HISTORY_FILE"),
    "TrainResult": ("pipeline.training._ray", "TrainResult"),
    "fit_model": ("pipeline.training._ray", "fit_model"),
    "progress_line": ("pipeline.training._ray", "progress_line"),
    "replace_train": ("pipeline.training._ray", "replace_train"),
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        module, attr = _LAZY[name]
        return getattr(importlib.import_module(module), attr)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "ACCELERATOR_SHARE",
    "AuxConfig",
    "CLASS_IOU_PREFIX",
    "DatasetSpec",
    "DistillConfig",
    "EVAL_MODES",
    "EvalConfig",
    "FCNHead",
    "HISTORY_FILE",
    "LocalRay",
    "NonFiniteError",
    "OHEMConfig",
    "OPTIMIZERS",
    "PLACEMENT_STRATEGIES",
    "RayStartError",
    "ResourceError",
    "PRECISIONS",
    "PRETRAINED_PARTS",
    "PretrainedConfig",
    "SYNTH_LAYOUT",
    "ScalingSpec",
    "TrainConfig",
    "TrainLoader",
    "TrainResult",
    "Trainer",
    "TrainingModule",
    "accelerator_resource",
    "accelerator_types",
    "alive_node_resources",
    "all_reduce_confusion",
    "build_optimizer",
    "build_scheduler",
    "channel_wise_divergence",
    "check_dataset",
    "check_resources",
    "dataset_spec_from_dict",
    "dataset_spec_to_dict",
    "evaluate",
    "fit_in_process",
    "fit_model",
    "free_port",
    "latest_checkpoint",
    "load_checkpoint_model",
    "lr_factor",
    "metrics_from_confusion",
    "ohem_mask",
    "param_groups",
    "prepare_dataset",
    "progress_line",
    "ray_connection",
    "ray_node_id",
    "replace_train",
    "segmentation_loss",
    "shard_indices",
    "start_local_ray",
    "stop_local_ray",
    "slide_inference",
    "train_config_from_dict",
    "train_config_to_dict",
    "trial_gpus",
    "update_confusion",
    "usable_gpus",
]
