"""`segnas models` lists every preset with its parameter count."""

from __future__ import annotations

import json

import pytest

from pipeline.cli import main
from pipeline.models import PRESETS, build_model, count_parameters


def test_models_json_lists_every_preset(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models", "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["preset"] for r in rows] == list(PRESETS)
    first = rows[0]
    assert first["params"] == count_parameters(build_model(first["preset"]))
    assert first["encoder"] == PRESETS[first["preset"]].encoder_name


def test_models_table_has_a_row_per_preset(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models"]) == 0
    out = capsys.readouterr().out
    assert all(name in out for name in PRESETS)
