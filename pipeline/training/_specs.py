"""`DatasetSpec` (which data, which augmentations) and `ScalingSpec` (how many Ray workers).

Training takes these rather than the job spec so the search driver can hand them to Ray as
plain dicts; `pipeline.specs` parses them from YAML.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.data import COCO_VARIANTS, DATASET_LAYOUTS, DatasetConfig, TransformConfig, open_dataset
from pipeline.data.synth import SynthConfig, write_synth_dataset
from pipeline.model_configs import ConfigError
from pipeline.training._config import plain_data

SYNTH_LAYOUT = "synth"  # generated into the experiment directory, then read with the generic reader
SYNTH_DIR = "data"  # where `synth` data goes inside the experiment directory
DATASET_NUM_CLASSES = {"cityscapes": 19, "ade20k": 150, "coco_stuff": 171}


def _fail(owner: str, field: str, expected: str, value: object) -> None:
    raise ConfigError(f"{owner}.{field}: expected {expected}, got {value!r}")


@dataclass(frozen=True)
class DatasetSpec:
    layout: str  # a reader layout (cityscapes, ade20k, coco_stuff, generic) or "synth"
    root: str = ""  # dataset folder; for "synth", empty means <experiment dir>/data
    train_split: str = "train"
    val_split: str = "val"
    ignore_index: int = 255  # every layout's file value for "no class"
    validate: str = "auto"  # how much of each split to check on open (see pipeline.data)
    val_fraction: float = 0.2  # generic layout without splits/: share of stems held out
    coco_variant: str = "auto"
    synth: SynthConfig = dataclasses.field(default_factory=SynthConfig)  # used only when layout is "synth"
    transform: TransformConfig = dataclasses.field(default_factory=TransformConfig)

    def __post_init__(self) -> None:
        layouts = (*DATASET_LAYOUTS, SYNTH_LAYOUT)
        if self.layout not in layouts:
            _fail("DatasetSpec", "layout", f"one of {layouts!r}", self.layout)
        if not isinstance(self.root, str) or (not self.root and self.layout != SYNTH_LAYOUT):
            _fail("DatasetSpec", "root", "a dataset folder path", self.root)
        if self.coco_variant not in COCO_VARIANTS:
            _fail("DatasetSpec", "coco_variant", f"one of {COCO_VARIANTS!r}", self.coco_variant)
        if not isinstance(self.synth, SynthConfig):
            _fail("DatasetSpec", "synth", "a SynthConfig", self.synth)
        if not isinstance(self.transform, TransformConfig):
            _fail("DatasetSpec", "transform", "a TransformConfig", self.transform)
        if self.transform.ignore_index != self.ignore_index:
            _fail("DatasetSpec", "transform.ignore_index", f"the dataset's ignore_index {self.ignore_index}",
                  self.transform.ignore_index)
        self.dataset_config("train")  # validates split names, ignore index, validate mode

    def with_root(self, experiment_dir: str | Path) -> DatasetSpec:
        """Fill in the synth root (<experiment dir>/data) when it was left empty."""
        if self.layout == SYNTH_LAYOUT and not self.root:
            return dataclasses.replace(self, root=str(Path(experiment_dir) / SYNTH_DIR))
        return self

    def dataset_config(self, which: str) -> DatasetConfig:
        """The reader config of the "train" or "val" split."""
        split = self.train_split if which == "train" else self.val_split
        return DatasetConfig(
            layout="generic" if self.layout == SYNTH_LAYOUT else self.layout,
            root=self.root or ".",
            split=split,
            ignore_index=self.ignore_index,
            validate=self.validate,
            val_fraction=self.val_fraction,
            coco_variant=self.coco_variant,
        )


def prepare_dataset(spec: DatasetSpec) -> int:
    """Generate `synth` data if its folder is absent or empty; return the dataset's class count."""
    if spec.layout == SYNTH_LAYOUT:
        if not spec.root:
            raise ConfigError("DatasetSpec.root: a synth dataset needs a root; call with_root(experiment_dir) first")
        root = Path(spec.root)
        if not root.is_dir() or not any(root.iterdir()):
            write_synth_dataset(spec.synth, root)
        return spec.synth.num_classes
    if spec.layout in DATASET_NUM_CLASSES:
        return DATASET_NUM_CLASSES[spec.layout]
    return open_dataset(dataclasses.replace(spec.dataset_config("train"), validate="none")).num_classes


PLACEMENT_STRATEGIES = ("PACK", "SPREAD", "STRICT_PACK", "STRICT_SPREAD")  # Ray placement group strategies
ACCELERATOR_PREFIX = "accelerator_type:"  # Ray's node resource naming a node's accelerator model
# What a worker takes of a node's accelerator resource (Ray Train's own figure): the resource marks
# nodes of that model, so any number of workers may hold a share of it at once.
ACCELERATOR_SHARE = 0.001
ACCELERATOR_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


@dataclass(frozen=True)
class ScalingSpec:
    num_workers: int = 2  # Ray Train workers (one process each; DDP over gloo on CPU, NCCL on GPU)
    use_gpu: bool = False  # train on GPUs (gpus_per_worker each) when true
    cpus_per_worker: int = 1  # also the torch thread count of each worker
    gpus_per_worker: float = 1.0  # used only with use_gpu; fractions (0.5) let several trials share a GPU
    accelerator_type: str | None = None  # e.g. "H100", "A100": only nodes with that GPU model (use_gpu only)
    placement_strategy: str = "PACK"  # how a run's workers spread over nodes (Ray placement group strategy)

    def __post_init__(self) -> None:
        for field in ("num_workers", "cpus_per_worker"):
            value = getattr(self, field)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                _fail("ScalingSpec", field, "an integer >= 1", value)
        if not isinstance(self.use_gpu, bool):
            _fail("ScalingSpec", "use_gpu", "true or false", self.use_gpu)
        g = self.gpus_per_worker
        if isinstance(g, bool) or not isinstance(g, (int, float)) or not 0 < g <= 8:
            _fail("ScalingSpec", "gpus_per_worker", "a number in (0, 8]", g)
        if g > 1 and g != int(g):
            _fail("ScalingSpec", "gpus_per_worker", "a fraction of one GPU or a whole number of GPUs", g)
        t = self.accelerator_type
        if t is not None and (not isinstance(t, str) or not ACCELERATOR_PATTERN.match(t)):
            _fail("ScalingSpec", "accelerator_type", "an accelerator model such as 'H100' or 'A100', or null", t)
        if t is not None and not self.use_gpu:
            _fail("ScalingSpec", "accelerator_type", "null unless use_gpu is true", t)
        if self.placement_strategy not in PLACEMENT_STRATEGIES:
            _fail("ScalingSpec", "placement_strategy", f"one of {PLACEMENT_STRATEGIES!r}", self.placement_strategy)

    def resources_per_worker(self) -> dict[str, float]:
        """One worker's Ray resources (the bundle of its placement group), accelerator share included."""
        resources: dict[str, float] = {"CPU": float(self.cpus_per_worker)}
        if self.use_gpu:
            resources["GPU"] = float(self.gpus_per_worker)
        if self.accelerator_type is not None:
            resources[accelerator_resource(self.accelerator_type)] = ACCELERATOR_SHARE
        return resources


def accelerator_resource(accelerator_type: str) -> str:
    """The node resource Ray gives every node with GPUs of this model (`accelerator_type:H100`)."""
    return f"{ACCELERATOR_PREFIX}{accelerator_type}"


def dataset_spec_to_dict(spec: DatasetSpec) -> dict[str, Any]:
    return plain_data(dataclasses.asdict(spec))


def dataset_spec_from_dict(data: dict[str, Any]) -> DatasetSpec:
    data = dict(data)
    if isinstance(data.get("synth"), dict):
        data["synth"] = SynthConfig(**{k: _tuple(v) for k, v in data["synth"].items()})
    if isinstance(data.get("transform"), dict):
        data["transform"] = TransformConfig(**{k: _tuple(v) for k, v in data["transform"].items()})
    return DatasetSpec(**data)


def _tuple(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value
