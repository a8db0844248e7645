"""`segnas data synth` writes the generated dataset; `segnas data check` opens one; errors exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.cli import main


def test_synth_then_check(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "synth"
    argv = [
        "data",
        "synth",
        "--out",
        str(out),
        "--seed",
        "5",
        "--num-train",
        "3",
        "--num-val",
        "2",
        "--size",
        "48",
        "64",
    ]
    assert main(argv) == 0
    assert "wrote 3 train + 2 val scenes, 10 classes" in capsys.readouterr().out
    assert len(list((out / "images").iterdir())) == 5
    assert main(["data", "check", "--layout", "generic", "--root", str(out), "--split", "val"]) == 0
    assert "2 pairs, 10 classes, checked (full)" in capsys.readouterr().out


def test_errors_are_clean_messages(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["data", "synth", "--out", str(tmp_path / "s"), "--classes", "4"]) == 2
    assert "segnas data synth: SynthConfig.num_classes: expected an integer in [8, 32]" in capsys.readouterr().err
    assert main(["data", "check", "--layout", "voc", "--root", str(tmp_path)]) == 2
    assert "DatasetConfig.layout: expected one of" in capsys.readouterr().err
    assert main(["data", "check", "--layout", "generic", "--root", str(tmp_path / "absent")]) == 2
    assert "missing folder" in capsys.readouterr().err
