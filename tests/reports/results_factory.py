"""Small results.parquet files for the report tests, built with pandas in the schema's dtypes."""

from __future__ import annotations

import base64
import io
import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd
from PIL import Image

from pipeline import metric_names as m
from pipeline.results_schema import COLUMNS, RESULTS_FILE

_DEFAULTS: dict[str, Any] = {
    "experiment": "exp",
    "parent_trial_id": "",
    "isr_encoder": "",
    "isr_decoder": "",
    "epochs": 4,
    "max_epochs": 4,
    m.VAL_PIXEL_ACC: 0.8,
    m.COST_PARAMS: 1_000_000,
    m.COST_LATENCY_MS: math.nan,
    m.COST_LATENCY_P10_MS: math.nan,
    m.COST_LATENCY_P90_MS: math.nan,
    m.COST_FPS: math.nan,
    "model_config": "{}",
    "hparams": json.dumps({"lr": 0.001}),
    "seed": 0,
    "wall_time_s": 60.0,
    "device_hours": 2 * 60.0 / 3600,
    "device": "cpu-test",
    "code_version": "test",
    "library_versions": json.dumps({"torch": "x", "ray": "y", "optuna": "z"}),
    "error": "",
}


def trial(trial_id: str, status: str, miou: float, gmacs: float, fps: float = math.nan, *,
          curve: Sequence[float] | None = None, finished_at: float = 0.0, **extra: Any) -> dict[str, Any]:
    """A trial row; `extra` overrides any column (including `config/<name>`)."""
    row = dict(_DEFAULTS)
    row.update(
        row_id=trial_id, trial_id=trial_id, arch_id=f"arch-{trial_id}", kind="trial", status=status,
        learning_curve=list(curve) if curve is not None else ([] if math.isnan(miou) else [miou / 2, miou]),
        finished_at=finished_at, **{m.VAL_MIOU: miou, m.COST_GMACS: gmacs, m.COST_FPS: fps},
    )
    if not math.isnan(fps):
        row[m.COST_LATENCY_MS] = row[m.COST_LATENCY_P10_MS] = row[m.COST_LATENCY_P90_MS] = 1000.0 / fps
    if status in ("infeasible", "failed"):
        row["epochs"] = 0
    if status == "stopped":
        row["epochs"] = 1
    row.update(extra)
    return row


def isr(parent: dict[str, Any], encoder: str, decoder: str, miou: float, gmacs: float, fps: float = math.nan,
        *, status: str = "finished", finished_at: float = 0.0) -> dict[str, Any]:
    row = trial(parent["trial_id"], status, miou, gmacs, fps, finished_at=finished_at, curve=[])
    row.update(
        row_id=f"{parent['trial_id']}/isr={encoder}/{decoder}", arch_id=parent["arch_id"], kind="isr",
        parent_trial_id=parent["trial_id"], isr_encoder=encoder, isr_decoder=decoder, epochs=parent["epochs"],
    )
    return row


def frame(rows: Sequence[dict[str, Any]]) -> pd.DataFrame:
    names = [c.name for c in COLUMNS]
    extra = sorted({k for r in rows for k in r} - set(names))
    df = pd.DataFrame([{k: r.get(k) for k in [*names, *extra]} for r in rows], columns=[*names, *extra])
    for column in COLUMNS:
        if column.dtype in ("int64", "float64", "bool"):
            df[column.name] = df[column.name].astype(column.dtype)
    return df


def write_results(directory: Path, rows: Sequence[dict[str, Any]]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / RESULTS_FILE
    frame(rows).to_parquet(path, index=False)
    return directory


def demo_rows(experiment: str = "exp", shift: float = 0.0) -> list[dict[str, Any]]:
    """Finished, stopped, infeasible and failed trials, ISR rows and config columns; latency on some rows."""
    a = trial("t1", "finished", 0.60 + shift, 10.0, 50.0, finished_at=100, **{"config/encoder": "eft", "config/depth": 2})
    b = trial("t2", "finished", 0.50 + shift, 5.0, 80.0, finished_at=200, **{"config/encoder": "mscan", "config/depth": 1})
    c = trial("t3", "finished", 0.40, 8.0, 40.0, finished_at=300, **{"config/encoder": "mscan", "config/depth": 3})
    d = trial("t4", "stopped", 0.70, 2.0, 200.0, finished_at=150, **{"config/encoder": "eft", "config/depth": 1})
    e = trial("t5", "infeasible", math.nan, 90.0, finished_at=50, error="over the GMACs budget")
    f = trial("t6", "failed", math.nan, 3.0, finished_at=60, error="RuntimeError: boom </script><b>x</b>")
    i1 = isr(a, "2,2,1,1", "2,2,2", 0.58 + shift, 6.0, 70.0, finished_at=400)
    i2 = isr(a, "4,4,1,1", "", 0.45, 4.0, finished_at=410)  # no latency measured for this one
    rows = [a, b, c, d, e, f, i1, i2]
    for row in rows:
        row["experiment"] = experiment
    return rows


def png_base64(size: tuple[int, int], color: tuple[int, int, int]) -> str:
    """A small solid-colour PNG with a diagonal of another colour, base64-encoded."""
    image = Image.new("RGB", size, color)
    for i in range(min(size)):
        image.putpixel((i, i), (255 - color[0], 255 - color[1], 255 - color[2]))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def predictions(samples: int, size: tuple[int, int] = (16, 12)) -> str:
    """A `predictions` value as the search writes it: a JSON list of {image, truth, pred} base64 PNGs."""
    return json.dumps([
        {"image": png_base64(size, (40 * i, 90, 160)), "truth": png_base64(size, (200, 30 * i, 20)),
         "pred": png_base64(size, (200, 30 * i, 90))}
        for i in range(samples)
    ])
