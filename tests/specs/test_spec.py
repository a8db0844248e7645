"""Experiment specs: every job in jobs/ loads; unknown keys suggest the nearest key; bad values name the field."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from pipeline.specs import SECTION_PARSERS, ExperimentSpec, SpecError, load_spec, parse_spec
from pipeline.training import SYNTH_LAYOUT, AuxConfig, OHEMConfig, TrainConfig

JOBS = Path(__file__).resolve().parents[2] / "jobs"
MINIMAL = {"name": "t", "dataset": {"layout": "synth"}, "model": {"preset": "segnext_t"}}


def _with(path: str, value: object) -> dict:
    data = yaml.safe_load(yaml.safe_dump(MINIMAL))
    *parents, last = path.split(".")
    node = data
    for key in parents:
        node = node.setdefault(key, {})
    node[last] = value
    return data


@pytest.mark.parametrize("path", sorted(JOBS.glob("*.yaml")), ids=lambda p: p.name)
def test_every_job_spec_loads(path: Path) -> None:
    spec = load_spec(path)
    assert isinstance(spec, ExperimentSpec) and spec.source == str(path)
    assert spec.experiment_dir.name == spec.name
    assert spec.model is not None or spec.search is not None
    if spec.model is not None:
        assert spec.model.model_config_dict(10)["encoder"]["name"]


def test_recipes_of_the_papers() -> None:
    cityscapes = load_spec(JOBS / "cityscapes_train.yaml").train
    assert (cityscapes.optimizer, cityscapes.lr, cityscapes.poly_power) == ("sgd", 0.01, 0.9)
    assert cityscapes.aux == AuxConfig(stage=3, weight=0.4, channels=256)
    assert cityscapes.ohem == OHEMConfig(thresh=0.7, min_kept=100000)
    assert cityscapes.eval.mode == "slide" and cityscapes.eval.stride == (768, 768)
    ade = load_spec(JOBS / "ade20k_train.yaml").train
    assert (ade.optimizer, ade.lr, ade.head_lr_mult, ade.warmup_iters) == ("adamw", 6e-5, 10.0, 1500)


def test_defaults_and_synth_root() -> None:
    spec = parse_spec(MINIMAL, "jobs/x.yaml")
    assert spec.train == TrainConfig() and spec.search is None
    assert spec.dataset.layout == SYNTH_LAYOUT
    assert spec.resolved_dataset().root == str(spec.experiment_dir / "data")


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ("train.lr_mult", 3, "jobs/x.yaml: train.lr_mult: unknown key; did you mean 'head_lr_mult'?"),
        ("train.ohem.min_keep", 3, "jobs/x.yaml: train.ohem.min_keep: unknown key; did you mean 'min_kept'?"),
        ("scaling.num_worker", 3, "jobs/x.yaml: scaling.num_worker: unknown key; did you mean 'num_workers'?"),
        ("trian", {}, "jobs/x.yaml: trian: unknown key; did you mean 'train'?"),
    ],
)
def test_unknown_key_names_file_path_and_nearest_key(path: str, value: object, message: str) -> None:
    with pytest.raises(SpecError) as info:
        parse_spec(_with(path, value), "jobs/x.yaml")
    assert str(info.value) == message


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        ("train.lr", -1, "TrainConfig.lr"),
        ("train.optimizer", "adam", "TrainConfig.optimizer"),
        ("train.precision", "fp8", "TrainConfig.precision"),
        ("train.aux.weight", 0, "AuxConfig.weight"),
        ("train.eval.stride", [600, 600], "EvalConfig.stride"),
        ("scaling.num_workers", 0, "ScalingSpec.num_workers"),
        ("dataset.layout", "kitti", "DatasetSpec.layout"),
        ("dataset.transform.crop_size", [0, 4], "TransformConfig.crop_size"),
        ("model.preset", "segnext_xl", "model.preset: unknown preset"),
        ("name", "a b", "name: expected a name"),
    ],
)
def test_bad_value_names_the_field(path: str, value: object, field: str) -> None:
    data = _with(path, value)
    if path == "train.eval.stride":
        data["train"]["eval"]["window"] = [512, 512]
    with pytest.raises(SpecError, match="^jobs/x.yaml: ") as info:
        parse_spec(data, "jobs/x.yaml")
    assert field in str(info.value)


def test_model_needs_exactly_one_of_preset_or_config() -> None:
    with pytest.raises(SpecError, match="model: expected exactly one of 'preset'"):
        parse_spec({**MINIMAL, "model": {}}, "jobs/x.yaml")
    bad_config = {"config": {"encoder": {"name": "mscan", "depth": [1, 1, 1, 1]}, "decoder": {"name": "mlp_head"}}}
    with pytest.raises(SpecError, match="model.config: MSCANConfig: unknown field 'depth'"):
        parse_spec({**MINIMAL, "model": bad_config}, "jobs/x.yaml")


def test_missing_section_and_missing_file() -> None:
    with pytest.raises(SpecError, match="jobs/x.yaml: model: missing required section"):
        parse_spec({"name": "t", "dataset": {"layout": "synth"}}, "jobs/x.yaml")
    with pytest.raises(SpecError, match="no such file"):
        load_spec("jobs/does_not_exist.yaml")


def test_section_table_is_flat() -> None:
    assert {"name", "dataset", "model", "train", "scaling", "storage", "ray"} <= set(SECTION_PARSERS)
    assert all(callable(parser) for parser in SECTION_PARSERS.values())


def _weights_file(tmp_path: Path, preset: str = "segnext_t") -> Path:
    import torch

    from pipeline.model_configs import model_config_to_dict
    from pipeline.models import resolve_config
    from pipeline.weights._files import save_converted
    from pipeline.weights._meta import meta_model

    model = meta_model(resolve_config(preset))
    state = {k: torch.zeros(v.shape, dtype=v.dtype) for k, v in model.state_dict().items()}
    path = tmp_path / f"{preset}.pt"
    save_converted(path, state, model_config_to_dict(model.config), "test", "mmseg")
    return path


def test_model_pretrained_is_validated_when_the_spec_loads(tmp_path: Path) -> None:
    good = _weights_file(tmp_path)
    spec = parse_spec(_with("model.pretrained", {"path": str(good), "part": "encoder"}), "jobs/x.yaml")
    assert spec.model.pretrained.part == "encoder" and spec.model.pretrained.strict
    with pytest.raises(SpecError, match=r"jobs/x.yaml: model.pretrained.path: .*nope.pt: no such file"):
        parse_spec(_with("model.pretrained", {"path": str(tmp_path / "nope.pt")}), "jobs/x.yaml")
    with pytest.raises(SpecError, match=r"model.pretrained: PretrainedConfig.part: expected one of \('encoder', 'model'\)"):
        parse_spec(_with("model.pretrained", {"path": str(good), "part": "head"}), "jobs/x.yaml")
    with pytest.raises(SpecError, match=r"model.pretrained.path: .*does not fit the model's encoder.*shape mismatch"):
        parse_spec({**MINIMAL, "model": {"preset": "segnext_b", "pretrained": {"path": str(good)}}}, "jobs/x.yaml")
    with pytest.raises(SpecError, match=r"model.pretrained: a search samples its own models; .*search.pretrained"):
        parse_spec({**_with("model.pretrained", {"path": str(good)}), "search": {}}, "jobs/x.yaml")
    with pytest.raises(SpecError, match=r"train.pretrained: initial weights belong to the model"):
        parse_spec({**MINIMAL, "train": {"pretrained": {"path": str(good)}}}, "jobs/x.yaml")
    # The classifier is checked once the dataset's class count is known.
    with pytest.raises(SpecError, match=r"decoder\.classifier\.weight: \(150, 256, 1, 1\) vs \(10, 256, 1, 1\)"):
        full = parse_spec(_with("model.pretrained", {"path": str(good)}), "jobs/x.yaml").model
        full.train_with_weights(TrainConfig(), full.model_config_dict(10))
    assert full.train_with_weights(TrainConfig(), full.model_config_dict(150)).pretrained == full.pretrained
def test_storage_on_s3_names_its_experiment_by_uri(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SEGNAS_CACHE_DIR", str(tmp_path))
    data = _with("storage", {"path": "s3://bucket/team/runs", "endpoint": "http://127.0.0.1:8333"})
    spec = parse_spec(data, "jobs/x.yaml")
    assert spec.experiment_location().uri == "s3://bucket/team/runs/t"
    assert spec.resolved_dataset().root.startswith(str(tmp_path))  # generated data stays on local disk
    assert spec.experiment_location("s3://other/exp").uri == "s3://other/exp"


@pytest.mark.parametrize(
    ("storage", "message"),
    [
        ({"path": "gs://bucket/runs"}, "jobs/x.yaml: storage.path: unsupported scheme 'gs'"),
        ({"path": "s3://bucket/runs", "endpoint": "localhost:8333"}, "jobs/x.yaml: storage.endpoint: expected http"),
        ({"path": "runs", "study": "study.db"}, "jobs/x.yaml: storage.study: expected an Optuna RDB URL"),
        ({"path": "runs", "region": 3}, "jobs/x.yaml: storage.region: expected a string or null, got 3"),
    ],
)
def test_bad_storage_settings_name_file_and_field(storage: dict, message: str) -> None:
    with pytest.raises(SpecError) as error:
        parse_spec(_with("storage", storage), "jobs/x.yaml")
    assert str(error.value).startswith(message), str(error.value)
