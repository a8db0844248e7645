"""The bench's modules on the path, and a 6-point table of learning curves to replay searches on."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import search_replay as sr  # noqa: E402

from pipeline.search import load_search_space, resolve_point  # noqa: E402

SPACE = """
name: fixture
encoders:
  mscan:
    fixed: {widths: [8, 16, 32, 64], mlp_ratios: [2, 2, 2, 2], drop_path: 0.0}
    dimensions:
      depths: {type: categorical, choices: [[1, 1, 1, 1], [1, 1, 2, 1], [2, 2, 2, 2]]}
decoders:
  mlp_head: {fixed: {channels: 16}}
train:
  lr: {type: categorical, choices: [0.002, 0.006]}
"""
EPOCHS = 4


@pytest.fixture()
def table(tmp_path: Path) -> tuple[Path, Path]:
    """Six points: deeper models cost more and learn more; the low learning rate learns slowly."""
    space_path = tmp_path / "space.yaml"
    space_path.write_text(SPACE)
    space = load_search_space(space_path)
    rows = []
    for depth, depths in enumerate(("[1,1,1,1]", "[1,1,2,1]", "[2,2,2,2]")):
        for lr in (0.002, 0.006):
            point = {"mscan.depths": depths, "train.lr": lr}
            final = 0.3 + 0.1 * depth + (0.1 if lr == 0.006 else 0.0)
            rows.append({"point_key": resolve_point(space, point, sr.NUM_CLASSES).point_key,
                         "miou": [final * (k + 1) / EPOCHS for k in range(EPOCHS)],
                         "epoch_s": [10.0 * (depth + 1)] * EPOCHS, "gmacs": 0.01 * (depth + 1),
                         "params": 1000.0 * (depth + 1), "device": "fixture"})
    path = tmp_path / "table.parquet"
    pd.DataFrame(rows).to_parquet(path)
    return path, space_path
