"""`segnas profile` on a small model config file: JSON fields, ISR, tables and argument errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from pipeline.cli import main

SMALL_EDAFORMER = {
    "encoder": {"name": "eft", "widths": [8, 16, 32, 64], "depths": [1, 1, 1, 1], "heads": [1, 2, 2, 4],
                "mlp_ratios": [2, 2, 2, 2]},
    "decoder": {"name": "eda_decoder", "depths": [1, 1, 1], "heads": [2, 2, 2], "mlp_ratio": 1.0, "fuse_channels": 16},
    "num_classes": 5,
}
FAST = ["--size", "64", "64", "--repeats", "3", "--warmup", "1"]


@pytest.fixture()
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "small_eda.yaml"
    path.write_text(yaml.safe_dump(SMALL_EDAFORMER), encoding="utf-8")
    return path


def profile_json(args: list[str], capsys: pytest.CaptureFixture[str]) -> dict:
    assert main(["profile", *args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_json_carries_cost_coverage_and_fingerprint(config_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    row = profile_json([str(config_file), *FAST], capsys)
    assert row["model"] == "small_eda"
    assert row["num_classes"] == 5
    assert row["params"] > 0 and row["gmacs"] > 0
    latency = row["latency_ms"]
    assert 0 < latency["p10"] <= latency["median"] <= latency["p90"]
    assert latency["repeats"] == 3
    assert row["fps"] == pytest.approx(1000.0 / latency["median"])
    assert row["coverage"]["unsupported"] == {}
    assert row["coverage"]["reference"]["difference_pct"] == pytest.approx(0.0, abs=1e-9)
    assert "MALLOC_MMAP_THRESHOLD_" in row["fingerprint"]["env"]
    assert row["metrics"]["cost/gmacs"] == row["gmacs"]


def test_isr_lowers_gmacs_and_is_recorded(config_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = profile_json([str(config_file), *FAST, "--no-latency", "--no-audit"], capsys)
    isr = profile_json([str(config_file), *FAST, "--no-latency", "--no-audit", "--isr", "2,2,1,1/2,2,2"], capsys)
    assert isr["isr"] == {"encoder": [2, 2, 1, 1], "decoder": [2, 2, 2]}
    assert isr["gmacs"] < base["gmacs"]
    assert isr["latency_ms"] is None


def test_table_output(config_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["profile", str(config_file), *FAST, "--num-classes", "3"]) == 0
    out = capsys.readouterr().out
    assert "small_eda" in out and "GMACs" in out and "FlopCounterMode" in out and "fingerprint" in out


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--precision", "fp8"], "precision: expected one of"),
        (["--precision", "fp16"], "fp16 is not supported on device 'cpu'"),
        (["--batch", "0"], "batch: expected an integer >= 1"),
        (["--isr", "2,2"], "isr: expected 'ENC/DEC'"),
    ],
)
def test_bad_arguments_exit_2_with_a_clear_message(
    extra: list[str], message: str, config_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["profile", str(config_file), *FAST, *extra]) == 2
    assert message in capsys.readouterr().err


def test_unknown_model_names_the_presets(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["profile", "no_such_model", *FAST]) == 2
    assert "segnext_t" in capsys.readouterr().err


def test_onnxruntime_latency_under_the_same_protocol(config_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    row = profile_json([str(config_file), *FAST, "--runtime", "onnxruntime", "--no-audit"], capsys)
    assert row["runtime"]["name"] == "onnxruntime" and row["runtime"]["provider"] == "CPUExecutionProvider"
    assert row["latency_ms"]["repeats"] == 3
    assert 0 < row["latency_ms"]["p10"] <= row["latency_ms"]["median"] <= row["latency_ms"]["p90"]


def test_onnxruntime_refuses_torch_only_modes(config_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["profile", str(config_file), *FAST, "--runtime", "onnxruntime", "--compile"]) == 2
    assert "runtime onnxruntime: expected device cpu" in capsys.readouterr().err
