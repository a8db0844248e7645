"""`segnas train`: a tiny spec end to end on the session's Ray instance, and spec errors as exit code 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from pipeline import metric_names as m
from pipeline.cli import main

SPEC = {
    "name": "cli_demo",
    "dataset": {
        "layout": "synth",
        "synth": {"num_train": 16, "num_val": 4, "size": [64, 64]},
        "transform": {"crop_size": [64, 64], "ratio_range": [1.0, 1.0]},
    },
    "model": {
        "config": {
            "encoder": {"name": "mscan", "widths": [8, 16, 32, 64], "depths": [1, 1, 1, 1]},
            "decoder": {"name": "mlp_head", "channels": 32},
        }
    },
    "train": {"epochs": 2, "batch_size": 2, "lr": 0.005, "warmup_iters": 2, "checkpoint_every": 1},
    "scaling": {"num_workers": 2},
}


@pytest.mark.slow
def test_train_writes_data_checkpoints_and_history(ray_local: None, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    spec_path = tmp_path / "job.yaml"
    spec_path.write_text(yaml.safe_dump({**SPEC, "storage": {"path": str(tmp_path / "runs")}}))
    assert main(["train", str(spec_path)]) == 0
    out = capsys.readouterr().out
    run_dir = tmp_path / "runs" / "cli_demo"
    assert "segnas train: cli_demo: 2 epochs on 2 worker(s) (CPU)" in out
    assert "segnas train: done in" in out and "epoch 2, mIoU" in out
    assert (run_dir / "spec.yaml").read_text() == spec_path.read_text()
    assert (run_dir / "data" / "classes.txt").is_file()  # the synth dataset went into the experiment dir
    assert (run_dir / "checkpoint_epoch_0002" / "model.pt").is_file()
    history = [json.loads(line) for line in (run_dir / "history.jsonl").read_text().splitlines()]
    assert [row[m.EPOCH] for row in history] == [1, 2]


def test_spec_error_exits_2_with_the_key_path(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec_path = tmp_path / "job.yaml"
    spec_path.write_text(yaml.safe_dump({**SPEC, "train": {"lr_mult": 2}}))
    assert main(["train", str(spec_path)]) == 2
    err = capsys.readouterr().err
    assert f"{spec_path}: train.lr_mult: unknown key; did you mean 'head_lr_mult'?" in err
