"""From a result row to a model bundle: `bundle_from_row(experiment dir, row id, out dir)`.

A finished trial's row names its final checkpoint (`checkpoint_uri`); an ISR row names its
parent's checkpoint and carries its ISR factors. What the row does not say — class names,
palette, normalisation, how validation ran — the search writes once per experiment into
`<experiment dir>/deployment.json` (`write_experiment_info`), so a bundle needs neither the
spec nor the dataset. The experiment may be a local directory or an `s3://` prefix: rows, the
experiment's info and the checkpoint are all read through `pipeline.storage`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from pipeline import metric_names as m
from pipeline.data import IMAGENET_MEAN, IMAGENET_STD, open_dataset, palette_for
from pipeline.deploy._predict import GALLERY_IMAGES
from pipeline.model_configs import ConfigError
from pipeline.models import BundleInfo, write_bundle
from pipeline.results_schema import KIND_ISR, RESULTS_FILE, STATUS_FINISHED
from pipeline.storage import Location, local_copy, read_table, read_text, resolve_location, write_text_atomic
from pipeline.training import SYNTH_LAYOUT, DatasetSpec, EvalConfig, load_checkpoint_model

EXPERIMENT_INFO_FILE = "deployment.json"
ROW_METRICS = (m.VAL_MIOU, m.VAL_PIXEL_ACC, *m.COST_METRICS)


def _val_source(dataset: DatasetSpec) -> Any:
    return open_dataset(dataclasses.replace(dataset.dataset_config("val"), validate="none"))


def dataset_palette(dataset: DatasetSpec, num_classes: int) -> tuple[tuple[int, int, int], ...]:
    return palette_for("generic" if dataset.layout == SYNTH_LAYOUT else dataset.layout, num_classes)


def gallery_samples(dataset: DatasetSpec, count: int = GALLERY_IMAGES) -> list[tuple[Any, Any]]:
    """`count` validation pairs spread evenly over the split: the same images for every row."""
    source = _val_source(dataset)
    return [source.load(i) for i in source.validation_indices("sample", count)]


def experiment_info(dataset: DatasetSpec, eval_config: EvalConfig, input_size: tuple[int, int]) -> dict[str, Any]:
    """What every bundle of one experiment shares: classes, palette, normalisation, inference."""
    source = _val_source(dataset)
    return {
        "class_names": list(source.class_names),
        "palette": [list(c) for c in dataset_palette(dataset, source.num_classes)],
        "mean": list(IMAGENET_MEAN),
        "std": list(IMAGENET_STD),
        "inference": eval_config.mode,
        "window": list(eval_config.window),
        "stride": list(eval_config.stride),
        "input_size": list(input_size),
    }


def write_experiment_info(experiment_dir: str | Path | Location, info: dict[str, Any]) -> Location:
    location = resolve_location(experiment_dir) if not isinstance(experiment_dir, Location) else experiment_dir
    location = location.join(EXPERIMENT_INFO_FILE)
    write_text_atomic(location, json.dumps(info, indent=2, sort_keys=True) + "\n")
    return location


def _experiment_location(experiment_dir: str | Path | Location) -> Location:
    """An experiment directory or `s3://` prefix; the endpoint and keys of an S3 one come from the
    standard AWS variables (`AWS_ENDPOINT_URL`, `AWS_ACCESS_KEY_ID`, ...)."""
    if isinstance(experiment_dir, Location):
        return experiment_dir
    return resolve_location(experiment_dir, field="EXPERIMENT_DIR")


def read_experiment_info(experiment_dir: str | Path | Location) -> dict[str, Any]:
    location = _experiment_location(experiment_dir).join(EXPERIMENT_INFO_FILE)
    if not location.is_file():
        raise ConfigError(f"{location.uri}: missing (the search writes it when it starts; run `segnas search` on "
                          "the spec again)")
    return json.loads(read_text(location))


def find_row(experiment_dir: str | Path | Location, row_id: str) -> dict[str, Any]:
    experiment = _experiment_location(experiment_dir)
    location = experiment.join(RESULTS_FILE)
    if not location.is_file():
        raise ConfigError(f"{experiment.uri}: no {RESULTS_FILE} (expected an experiment directory of `segnas search`)")
    rows = read_table(location).to_pandas()
    match = rows[rows["row_id"] == row_id]
    if match.empty:
        known = ", ".join(rows["row_id"].head(8))
        raise ConfigError(f"{location.uri}: no row {row_id!r}; rows include {known}{', ...' if len(rows) > 8 else ''}")
    return match.iloc[0].to_dict()


def checkpoint_uri(path: str) -> str:
    """A checkpoint location as a URI: local paths become file:// URIs, other URIs stay as they are."""
    return path if urlparse(path).scheme not in ("", "file") else Path(path).resolve().as_uri()


@contextlib.contextmanager
def local_checkpoint(uri: str) -> Iterator[Path]:
    """A local directory holding the checkpoint at `uri` (copied down through `pipeline.storage` when remote)."""
    parsed = urlparse(uri)
    if parsed.scheme in ("", "file"):
        path = Path(unquote(parsed.path) if parsed.scheme else uri)
        if not path.is_dir():
            raise ConfigError(f"checkpoint_uri {uri}: no such checkpoint directory")
        yield path
        return
    location = resolve_location(uri, field="checkpoint_uri")
    if not location.exists():
        raise ConfigError(f"checkpoint_uri {uri}: no such checkpoint directory")
    with local_copy(location) as directory:
        yield directory


def _factors(text: str) -> tuple[int, ...] | None:
    return tuple(int(f) for f in text.split(",")) if text else None


def bundle_from_row(experiment_dir: str | Path | Location, row_id: str, out_dir: str | Path) -> Path:
    """Write the bundle of one results row of an experiment (a directory or `s3://` prefix); returns
    the bundle directory, which is always local."""
    experiment = _experiment_location(experiment_dir)
    row = find_row(experiment, row_id)
    uri = str(row.get("checkpoint_uri") or "")
    if row["status"] != STATUS_FINISHED or not uri:
        raise ConfigError(
            f"{experiment.join(RESULTS_FILE).uri}: row {row_id!r} is {row['status']} and names no checkpoint "
            "(only finished trials and their ISR rows keep their final weights)"
        )
    shared = read_experiment_info(experiment)
    with local_checkpoint(uri) as directory:
        model, config = load_checkpoint_model(directory)
    metrics = {name: float(row[name]) for name in ROW_METRICS if name in row and not math.isnan(float(row[name]))}
    metrics["epochs"] = float(row["epochs"])
    info = BundleInfo(
        model_config=config,
        class_names=tuple(shared["class_names"]),
        palette=tuple(tuple(c) for c in shared["palette"]),
        mean=tuple(shared["mean"]),
        std=tuple(shared["std"]),
        isr_encoder=_factors(str(row["isr_encoder"])) if row["kind"] == KIND_ISR else None,
        isr_decoder=_factors(str(row["isr_decoder"])) if row["kind"] == KIND_ISR else None,
        inference=shared["inference"],
        window=tuple(shared["window"]),
        stride=tuple(shared["stride"]),
        input_size=tuple(shared["input_size"]),
        metrics=metrics,
        source={
            "experiment": str(row["experiment"]),
            "experiment_dir": experiment.uri,
            "row_id": row_id,
            "arch_id": str(row["arch_id"]),
            "checkpoint_uri": uri,
            "device": str(row["device"]),
            "code_version": str(row["code_version"]),
        },
    )
    model.set_isr(encoder=info.isr_encoder, decoder=info.isr_decoder)
    return write_bundle(out_dir, model, info)
