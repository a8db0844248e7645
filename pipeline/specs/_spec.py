"""`ExperimentSpec` and `load_spec`: one YAML file describing an experiment, validated on load.

    name: demo_train
    dataset: {layout: synth, synth: {size: [64, 64]}, transform: {crop_size: [64, 64]}}
    model: {preset: segnext_t}            # or config: {...}; optional when a `search` section is given
    train: {epochs: 5, lr: 0.005, ...}    # TrainConfig
    scaling: {num_workers: 2}             # ScalingSpec
    storage: {path: runs}                 # experiment dir = runs/demo_train; or s3://bucket/prefix (+ endpoint)
    ray: {address: null}

Every error starts with the file and the key path, e.g.
"jobs/x.yaml: train.lr_mult: unknown key; did you mean 'head_lr_mult'?".
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from pipeline.model_configs import ConfigError
from pipeline.specs._parse import SpecError, check_keys
from pipeline.specs._search import check_rungs_evaluated
from pipeline.specs._sections import REQUIRED_SECTIONS, SECTION_PARSERS, ModelSpec, RaySpec, StorageSpec
from pipeline.training import DatasetSpec, ScalingSpec, TrainConfig


@dataclass(frozen=True)
class ExperimentSpec:
    name: str
    dataset: DatasetSpec
    model: ModelSpec | None = None  # the model to train; a search samples its own and may omit it
    train: TrainConfig = dataclasses.field(default_factory=TrainConfig)
    scaling: ScalingSpec = dataclasses.field(default_factory=ScalingSpec)
    storage: StorageSpec = dataclasses.field(default_factory=StorageSpec)
    ray: RaySpec = dataclasses.field(default_factory=RaySpec)
    search: Any = None  # SearchSpec (pipeline/specs/_search.py) for `segnas search`; None for training only
    source: str = ""  # the file this spec was loaded from

    @property
    def experiment_dir(self) -> Path:
        """<storage.path>/<name>, absolute (relative storage paths start at the working directory); local only."""
        return self.experiment_location().local_path

    def experiment_location(self, override: str | Path | None = None) -> Any:
        """Where the experiment lives (`pipeline.storage.Location`): <storage.path>/<name>, or `override`."""
        return self.storage.location(self.name, None if override is None else str(override))

    def resolved_dataset(self) -> DatasetSpec:
        """The dataset with a `synth` root filled in (<experiment dir>/data; a local cache for remote storage)."""
        return self.dataset.with_root(self.experiment_location().scratch_dir())


def parse_spec(data: object, spec_path: str | Path) -> ExperimentSpec:
    """Validate a spec mapping (as read from YAML); errors name `spec_path` and the key path."""
    spec_path = Path(spec_path)
    try:
        if not isinstance(data, dict):
            raise SpecError(f"expected a mapping of sections ({', '.join(SECTION_PARSERS)}), got {data!r}")
        check_keys(data, SECTION_PARSERS, "")
        for section in REQUIRED_SECTIONS:
            if section not in data:
                raise SpecError(f"{section}: missing required section")
        if "model" not in data and "search" not in data:
            raise SpecError("model: missing required section (a spec without `search` trains one model)")
        if "search" in data and isinstance(data.get("model"), dict) and "pretrained" in data["model"]:
            raise SpecError("model.pretrained: a search samples its own models; name checkpoints in search.pretrained")
        parsed = {section: SECTION_PARSERS[section](value, spec_path) for section, value in data.items()}
        if parsed.get("search") is not None:
            train = parsed.get("train", TrainConfig())
            check_rungs_evaluated(parsed["search"], train.epochs, train.eval.every)
    except ConfigError as error:
        message = str(error)
        prefix = str(spec_path)
        raise SpecError(message if message.startswith(prefix) else f"{prefix}: {message}") from None
    return ExperimentSpec(**parsed, source=str(spec_path))


def load_spec(path: str | Path) -> ExperimentSpec:
    """Read and validate a YAML experiment spec."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text())
    except FileNotFoundError:
        raise SpecError(f"{path}: no such file") from None
    except yaml.YAMLError as error:
        raise SpecError(f"{path}: not valid YAML: {error}") from None
    return parse_spec(data, path)
