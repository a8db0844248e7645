"""The sections of an experiment spec and their parsers: a flat table, section name → parser.

A parser takes the section's YAML value and the spec file's path (for paths relative to it) and
returns the parsed section; its errors name the key path, and `load_spec` puts the file in front.
Adding a section is one entry in `SECTION_PARSERS` (plus a field of `ExperimentSpec`).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.model_configs import ConfigError, model_config_from_dict, model_config_to_dict
from pipeline.specs._parse import SpecError, build_dataclass, check_keys, require_mapping
from pipeline.specs._search import parse_search_section
from pipeline.training import DatasetSpec, PretrainedConfig, ScalingSpec, TrainConfig

NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")  # a directory name on any filesystem


@dataclass(frozen=True)
class ModelSpec:
    preset: str | None = None  # a name of pipeline.models.PRESETS ...
    config: dict[str, Any] | None = None  # ... or a model config dict (pipeline.model_configs dict form)
    num_classes: int | None = None  # None: the dataset's class count
    pretrained: PretrainedConfig | None = None  # initial weights from a converted file

    def model_config_dict(self, num_classes: int) -> dict[str, Any]:
        """The resolved model config as a plain dict, with the spec's or the dataset's class count."""
        from pipeline.models import resolve_config

        source = self.preset if self.preset is not None else model_config_from_dict(self.config or {})
        return model_config_to_dict(resolve_config(source, self.num_classes or num_classes))

    def train_with_weights(self, train: TrainConfig, model_config: dict[str, Any]) -> TrainConfig:
        """`train` carrying this model's initial weights, checked against the resolved model (classifier
        included) before anything starts; unchanged without `pretrained`."""
        if self.pretrained is None:
            return train
        from pipeline.weights import validate_pretrained

        p = self.pretrained
        try:
            validate_pretrained(p.path, model_config_from_dict(model_config), p.part, p.strict)
        except ConfigError as error:
            raise SpecError(f"model.pretrained.path: {error}") from None
        return dataclasses.replace(train, pretrained=p)


@dataclass(frozen=True)
class StorageSpec:
    path: str = "runs"  # experiments go to <path>/<name>: a directory (relative: from the working dir) or s3://bucket/prefix
    endpoint: str | None = None  # http(s)://host:port of an S3-compatible server; None: AWS (or $AWS_ENDPOINT_URL)
    region: str | None = None  # S3 region; None: $AWS_REGION, else the SDK's lookup
    profile: str | None = None  # a profile of the AWS shared credentials file; None: $AWS_ACCESS_KEY_ID/... or the SDK chain
    study: str | None = None  # an Optuna RDB URL (postgresql://...); None: the study lives in the experiment dir

    def root(self) -> Any:
        """The `pipeline.storage.Location` of `path`, the directory holding every experiment."""
        from pipeline.storage import resolve_location

        return resolve_location(self.path, self.endpoint, self.region, self.profile)

    def location(self, name: str, path: str | None = None) -> Any:
        """The `Location` of experiment `name` (`path`: the whole experiment directory or URI instead)."""
        from pipeline.storage import resolve_location

        if path is not None:
            return resolve_location(path, self.endpoint, self.region, self.profile, field="experiment dir")
        return self.root().join(name)


@dataclass(frozen=True)
class RaySpec:
    address: str | None = None  # a Ray cluster ("auto", "ray://host:10001"); None starts a local instance


def parse_name(value: object, spec_path: Path) -> str:
    path = "name"
    if not isinstance(value, str) or not NAME_PATTERN.match(value):
        raise SpecError(f"{path}: expected a name of letters, digits, '_', '.', '-' (a directory name), got {value!r}")
    return value


def parse_dataset(value: object, spec_path: Path) -> DatasetSpec:
    path = "dataset"
    return build_dataclass(DatasetSpec, value, path)


def parse_model(value: object, spec_path: Path) -> ModelSpec:
    path = "model"
    data = require_mapping(value, path)
    check_keys(data, ("preset", "config", "num_classes", "pretrained"), path)
    if ("preset" in data) == ("config" in data):
        raise SpecError(f"{path}: expected exactly one of 'preset' (a preset name) or 'config' (a model config)")
    spec = build_dataclass(ModelSpec, {k: v for k, v in data.items() if k != "config"}, path)
    if spec.preset is not None:
        from pipeline.models import PRESETS

        if spec.preset not in PRESETS:
            raise SpecError(f"{path}.preset: unknown preset {spec.preset!r}; known presets: {', '.join(sorted(PRESETS))}")
    num_classes = data.get("num_classes")
    if num_classes is not None and (isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 1):
        raise SpecError(f"{path}.num_classes: expected an integer >= 1 or null, got {num_classes!r}")
    if "config" in data:
        try:
            model_config_from_dict(data["config"])
        except ConfigError as error:
            raise SpecError(f"{path}.config: {error}") from None
        spec = ModelSpec(config=data["config"], num_classes=num_classes, pretrained=spec.pretrained)
    if spec.pretrained is not None:
        _check_pretrained(spec, f"{path}.pretrained")
    return spec


def _check_pretrained(spec: ModelSpec, path: str) -> None:
    """The file must be a converted weight file; its encoder must fit the model's (the classifier's
    class count is only known once the dataset is read, so the whole model is checked at training start)."""
    from pipeline.models import resolve_config
    from pipeline.weights import validate_pretrained

    source = spec.preset if spec.preset is not None else model_config_from_dict(spec.config or {})
    try:
        validate_pretrained(spec.pretrained.path, resolve_config(source), "encoder", spec.pretrained.strict)
    except ConfigError as error:
        raise SpecError(f"{path}.path: {error}") from None


def parse_train(value: object, spec_path: Path) -> TrainConfig:
    path = "train"
    if isinstance(value, dict) and "pretrained" in value:
        raise SpecError(f"{path}.pretrained: initial weights belong to the model: set model.pretrained")
    return build_dataclass(TrainConfig, value, path)


def parse_scaling(value: object, spec_path: Path) -> ScalingSpec:
    path = "scaling"
    return build_dataclass(ScalingSpec, value, path)


def parse_storage(value: object, spec_path: Path) -> StorageSpec:
    path = "storage"
    spec = build_dataclass(StorageSpec, value, path)
    if not isinstance(spec.path, str) or not spec.path:
        raise SpecError(f"{path}.path: expected a directory path or s3://bucket/prefix, got {spec.path!r}")
    for key in ("endpoint", "region", "profile", "study"):
        if getattr(spec, key) is not None and not isinstance(getattr(spec, key), str):
            raise SpecError(f"{path}.{key}: expected a string or null, got {getattr(spec, key)!r}")
    if spec.study is not None and "://" not in spec.study:
        raise SpecError(f"{path}.study: expected an Optuna RDB URL such as postgresql://user@host/db, got {spec.study!r}")
    spec.root()  # scheme, bucket, endpoint and profile errors now, not when the run starts
    return spec


def parse_ray(value: object, spec_path: Path) -> RaySpec:
    path = "ray"
    spec = build_dataclass(RaySpec, value, path)
    if spec.address is not None and not isinstance(spec.address, str):
        raise SpecError(f"{path}.address: expected an address string or null, got {spec.address!r}")
    return spec


SectionParser = Callable[[object, Path], object]

# Section name → parser. Sections absent from a spec take their defaults (ExperimentSpec's fields).
SECTION_PARSERS: dict[str, SectionParser] = {
    "name": parse_name,
    "dataset": parse_dataset,
    "model": parse_model,
    "train": parse_train,
    "scaling": parse_scaling,
    "storage": parse_storage,
    "ray": parse_ray,
    "search": parse_search_section,
}
REQUIRED_SECTIONS = ("name", "dataset")  # and `model` unless the spec has a `search` section
