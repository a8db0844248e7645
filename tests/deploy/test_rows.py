"""Bundles from result rows: the row's checkpoint, its ISR setting and its metrics."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from pipeline import metric_names as m
from pipeline.deploy import bundle_from_row, checkpoint_uri, local_checkpoint
from pipeline.model_configs import ConfigError
from pipeline.models import load_bundle
from tests.deploy.conftest import ISR_ROW, Experiment


@pytest.mark.parametrize(("row_id", "isr"), [("t0000", None), (ISR_ROW, ((2, 2, 1, 1), (2, 2, 2)))])
def test_bundle_of_a_row_computes_what_the_checkpoint_computes(
    experiment: Experiment, tmp_path: Path, row_id: str, isr: tuple | None
) -> None:
    bundle = load_bundle(bundle_from_row(experiment.directory, row_id, tmp_path / "bundle"))
    if isr is not None:
        experiment.model.set_isr(encoder=isr[0], decoder=isr[1])
    images = torch.randn(1, 3, 64, 96)
    with torch.no_grad():
        assert torch.equal(bundle.model(images), experiment.model(images))
    assert (bundle.info.isr_encoder, bundle.info.isr_decoder) == (isr or (None, None))
    assert bundle.info.metrics[m.VAL_MIOU] == pytest.approx(0.61 if isr is None else 0.55)
    assert bundle.info.class_names == ("c0", "c1", "c2", "c3", "c4") and bundle.info.input_size == (64, 64)
    assert bundle.info.source["row_id"] == row_id


def test_rows_without_a_checkpoint_or_unknown_rows_are_refused(experiment: Experiment, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="row 't0001' is stopped and names no checkpoint"):
        bundle_from_row(experiment.directory, "t0001", tmp_path / "b")
    with pytest.raises(ConfigError, match="no row 't0099'; rows include t0000"):
        bundle_from_row(experiment.directory, "t0099", tmp_path / "b")
    with pytest.raises(ConfigError, match="no results.parquet"):
        bundle_from_row(tmp_path, "t0000", tmp_path / "b")


def test_checkpoint_uris_are_file_uris_locally(tmp_path: Path) -> None:
    uri = checkpoint_uri(str(tmp_path))
    assert uri == tmp_path.resolve().as_uri()
    assert checkpoint_uri("s3://bucket/run/checkpoint_0001") == "s3://bucket/run/checkpoint_0001"
    with local_checkpoint(uri) as directory:
        assert directory == tmp_path.resolve()
    with pytest.raises(ConfigError, match="no such checkpoint directory"):
        with local_checkpoint((tmp_path / "gone").as_uri()):
            pass


def test_bundle_of_a_row_of_an_s3_experiment(s3_experiment: Experiment, tmp_path: Path) -> None:
    uri = str(s3_experiment.directory)
    bundle = load_bundle(bundle_from_row(uri, ISR_ROW, tmp_path / "bundle"))
    s3_experiment.model.set_isr(encoder=(2, 2, 1, 1), decoder=(2, 2, 2))
    images = torch.randn(1, 3, 64, 96)
    with torch.no_grad():
        assert torch.equal(bundle.model(images), s3_experiment.model(images))
    assert bundle.info.source["experiment_dir"] == uri
    assert bundle.info.source["checkpoint_uri"] == f"{uri}/runs/point-abc/checkpoint_epoch_0002"
    assert bundle.info.class_names == ("c0", "c1", "c2", "c3", "c4")
    with pytest.raises(ConfigError, match=r"^s3://.*/results.parquet: no row 't0099'; rows include t0000"):
        bundle_from_row(uri, "t0099", tmp_path / "b")
    with pytest.raises(ConfigError, match=r"^s3://.*/gone: no results.parquet"):
        bundle_from_row(f"{uri}/gone", "t0000", tmp_path / "b")
    with pytest.raises(ConfigError, match="no such checkpoint directory"):
        with local_checkpoint(f"{uri}/runs/point-gone"):
            pass
