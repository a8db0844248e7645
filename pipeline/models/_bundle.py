"""Model bundles: a trained model in a folder that says everything needed to run it.

    bundle.json   format and version, the model config (`pipeline.model_configs` dict form), the
                  ISR setting, class names and palette, input normalisation, the inference mode
                  (whole image or sliding window), the input size costs were measured at, the
                  metrics of the result row it came from, and where it came from
    weights.pt    the state_dict: tensors only, so `torch.load(weights_only=True)` reads it

`load_bundle` rebuilds the model with `build_model` and `load_state_dict(strict=True)`, then sets
the ISR factors, so the rebuilt model computes what the trained one computed. Nothing here reads
data or training code: the writer hands over class names and normalisation as plain values.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch

from pipeline.model_configs import ConfigError, model_config_from_dict
from pipeline.models._build import build_model
from pipeline.models._model import SegmentationModel

BUNDLE_FILE = "bundle.json"
WEIGHTS_FILE = "weights.pt"
BUNDLE_FORMAT = "segnas-bundle"
BUNDLE_VERSION = 1
INFERENCE_MODES = ("whole", "slide")


def _fail(source: str, field_name: str, expected: str, value: object) -> None:
    raise ConfigError(f"{source}: {field_name}: expected {expected}, got {value!r}")


def _pair(value: object) -> bool:
    return isinstance(value, (list, tuple)) and len(value) == 2 and all(isinstance(v, int) and v >= 1 for v in value)


@dataclass(frozen=True)
class BundleInfo:
    """Everything in bundle.json except the format marker; plain values only."""

    model_config: dict[str, Any]
    class_names: tuple[str, ...]
    palette: tuple[tuple[int, int, int], ...]  # one RGB colour per class
    mean: tuple[float, float, float]  # per-channel mean of RGB pixels in 0..255, subtracted first
    std: tuple[float, float, float]  # per-channel std in the same units, divided by after
    isr_encoder: tuple[int, ...] | None = None  # ISR factors in effect; None = the training setting
    isr_decoder: tuple[int, ...] | None = None
    inference: str = "whole"  # "whole" image or "slide" windows
    window: tuple[int, int] = (512, 512)  # (H, W) of a sliding window; used with "slide"
    stride: tuple[int, int] = (384, 384)
    input_size: tuple[int, int] = (512, 512)  # (H, W) the row's costs were measured at; export's default
    metrics: dict[str, float] = field(default_factory=dict)  # the result row's metrics (val/*, cost/*)
    source: dict[str, str] = field(default_factory=dict)  # experiment, row id, checkpoint URI, ...

    def __post_init__(self) -> None:
        where = "BundleInfo"
        num_classes = self.model_config.get("num_classes") if isinstance(self.model_config, dict) else None
        if not isinstance(num_classes, int):
            _fail(where, "model_config", "a model config dict with num_classes", self.model_config)
        if len(self.class_names) != num_classes or not all(isinstance(n, str) for n in self.class_names):
            _fail(where, "class_names", f"{num_classes} names (the model's class count)", self.class_names)
        if len(self.palette) != num_classes or not all(len(c) == 3 for c in self.palette):
            _fail(where, "palette", f"{num_classes} RGB triples", self.palette)
        for name in ("mean", "std"):
            value = getattr(self, name)
            if len(value) != 3 or not all(isinstance(v, (int, float)) for v in value):
                _fail(where, name, "three numbers (R, G, B)", value)
        if any(v <= 0 for v in self.std):
            _fail(where, "std", "positive numbers", self.std)
        if self.inference not in INFERENCE_MODES:
            _fail(where, "inference", f"one of {INFERENCE_MODES}", self.inference)
        for name in ("window", "stride", "input_size"):
            if not _pair(getattr(self, name)):
                _fail(where, name, "[height, width], integers >= 1", getattr(self, name))

    @property
    def num_classes(self) -> int:
        return int(self.model_config["num_classes"])

    def to_json(self) -> dict[str, Any]:
        return {"format": BUNDLE_FORMAT, "version": BUNDLE_VERSION, **asdict(self)}

    @classmethod
    def from_json(cls, data: dict[str, Any], source: str) -> BundleInfo:
        if data.get("format") != BUNDLE_FORMAT or data.get("version") != BUNDLE_VERSION:
            got = (data.get("format"), data.get("version"))
            _fail(source, "format/version", f"({BUNDLE_FORMAT!r}, {BUNDLE_VERSION})", got)
        fields = {k: v for k, v in data.items() if k not in ("format", "version")}
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(fields) - known)
        if unknown:
            _fail(source, "keys", f"only {sorted(known)}", unknown)
        for name in ("class_names", "mean", "std", "window", "stride", "input_size"):
            if isinstance(fields.get(name), list):
                fields[name] = tuple(fields[name])
        if isinstance(fields.get("palette"), list):
            fields["palette"] = tuple(tuple(int(v) for v in c) for c in fields["palette"])
        for name in ("isr_encoder", "isr_decoder"):
            if isinstance(fields.get(name), list):
                fields[name] = tuple(fields[name])
        try:
            return cls(**fields)
        except TypeError as error:
            raise ConfigError(f"{source}: {error}") from None


@dataclass(frozen=True)
class Bundle:
    model: SegmentationModel  # eval mode, ISR factors set
    info: BundleInfo


def write_bundle(directory: str | Path, model: SegmentationModel, info: BundleInfo) -> Path:
    """Write weights and bundle.json into `directory` (created); each file appears whole or not at all."""
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    state = {name: tensor.detach().cpu().clone() for name, tensor in model.state_dict().items()}
    _atomic(out / WEIGHTS_FILE, lambda path: torch.save(state, path))
    text = json.dumps(info.to_json(), indent=2, sort_keys=True) + "\n"
    _atomic(out / BUNDLE_FILE, lambda path: Path(path).write_text(text, encoding="utf-8"))
    return out


def _atomic(target: Path, write: Any) -> None:
    handle, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(handle)
    try:
        write(tmp)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_bundle_info(directory: str | Path) -> BundleInfo:
    path = Path(directory) / BUNDLE_FILE
    if not path.is_file():
        raise ConfigError(f"{directory}: not a model bundle (no {BUNDLE_FILE}; `segnas model get` writes one)")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ConfigError(f"{path}: unreadable bundle description ({error})") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a JSON object, got {type(data).__name__}")
    return BundleInfo.from_json(data, str(path))


def load_bundle(directory: str | Path, map_location: str = "cpu") -> Bundle:
    """The bundle's model (eval mode, its ISR setting applied) and its description."""
    info = read_bundle_info(directory)
    weights = Path(directory) / WEIGHTS_FILE
    if not weights.is_file():
        raise ConfigError(f"{directory}: bundle without {WEIGHTS_FILE}")
    model = build_model(model_config_from_dict(info.model_config))
    model.load_state_dict(torch.load(weights, map_location=map_location, weights_only=True))
    model.set_isr(encoder=info.isr_encoder, decoder=info.isr_decoder)
    return Bundle(model.eval(), info)
