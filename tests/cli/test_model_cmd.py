"""`segnas model get`, `segnas export` and `segnas predict` on an experiment on disk, as a user types them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnxruntime
import pytest
import torch
from PIL import Image

from pipeline.cli import main
from pipeline.models import load_bundle
from tests.deploy.conftest import ISR_ROW, Experiment, experiment, s3_experiment  # noqa: F401  (fixtures)


def test_get_writes_a_bundle_and_reports_the_row(experiment: Experiment, tmp_path: Path,  # noqa: F811
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["model", "get", str(experiment.directory), ISR_ROW, "-o", str(tmp_path / "b")]) == 0
    out = capsys.readouterr().out
    assert "eft + eda_decoder, 5 classes, ISR 2,2,1,1/2,2,2" in out and '"val/miou": 0.55' in out
    assert load_bundle(tmp_path / "b").info.isr_decoder == (2, 2, 2)


def test_get_of_a_row_without_checkpoint_is_one_line_exit_2(experiment: Experiment, tmp_path: Path,  # noqa: F811
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["model", "get", str(experiment.directory), "t0001", "-o", str(tmp_path / "b")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("segnas model: ") and "'t0001' is stopped" in err and "\n" not in err


@pytest.mark.slow
def test_export_of_a_row_to_onnx_runs_in_onnxruntime(experiment: Experiment, tmp_path: Path,  # noqa: F811
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    out_file = tmp_path / "model.onnx"
    source = f"{experiment.directory}:t0000"
    assert main(["export", source, "--format", "onnx", "--size", "64", "96", "-o", str(out_file)]) == 0
    assert "onnxruntime vs torch at 64x96: max abs error" in capsys.readouterr().out
    session = onnxruntime.InferenceSession(str(out_file), providers=["CPUExecutionProvider"])
    images = torch.randn(1, 3, 64, 96)
    with torch.no_grad():
        expected = experiment.model(images).numpy()
    assert np.abs(session.run(None, {"images": images.numpy()})[0] - expected).max() < 1e-4


def test_export_to_torchscript_from_a_bundle(experiment: Experiment, tmp_path: Path) -> None:  # noqa: F811
    assert main(["model", "get", str(experiment.directory), "t0000", "-o", str(tmp_path / "b")]) == 0
    out_file = tmp_path / "model.ts"
    assert main(["export", str(tmp_path / "b"), "--format", "torchscript", "-o", str(out_file)]) == 0
    images = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        assert torch.allclose(torch.jit.load(str(out_file))(images), experiment.model(images), atol=1e-5)


def test_export_rejects_an_unknown_format(experiment: Experiment, tmp_path: Path,  # noqa: F811
                                          capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["export", f"{experiment.directory}:t0000", "--format", "tflite", "-o", str(tmp_path / "m")])
    assert code == 2 and "format: expected one of ['onnx', 'torchscript']" in capsys.readouterr().err


def test_predict_writes_three_files_per_image(experiment: Experiment, tmp_path: Path) -> None:  # noqa: F811
    image = tmp_path / "street.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8)).save(image)
    assert main(["predict", f"{experiment.directory}:t0000", str(image), "-o", str(tmp_path / "pred")]) == 0
    names = sorted(p.name for p in (tmp_path / "pred").iterdir())
    assert names == ["street.classes.png", "street.mask.png", "street.overlay.png"]


def test_get_and_predict_from_a_row_of_an_s3_experiment(s3_experiment: Experiment, tmp_path: Path,  # noqa: F811
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    uri = str(s3_experiment.directory)
    assert uri.startswith("s3://")
    assert main(["model", "get", uri, "t0000", "-o", str(tmp_path / "b")]) == 0
    assert "eft + eda_decoder, 5 classes" in capsys.readouterr().out
    images = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        assert torch.equal(load_bundle(tmp_path / "b").model(images), s3_experiment.model(images))
    image = tmp_path / "street.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8)).save(image)
    assert main(["predict", f"{uri}:t0000", str(image), "-o", str(tmp_path / "pred")]) == 0
    assert sorted(p.name for p in (tmp_path / "pred").iterdir()) == [
        "street.classes.png", "street.mask.png", "street.overlay.png"]
    capsys.readouterr()
    assert main(["model", "get", f"{uri}/gone", "t0000", "-o", str(tmp_path / "c")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"segnas model: {uri}/gone: no results.parquet")
