"""A tiny search with ONNX Runtime latency as its cost objective, on the shared local Ray.

The benchmark actor must hold the benchmark resource (the session's Ray declares it, as a local
instance of `segnas search` does), every finished row must carry the ONNX Runtime columns and the
record of where they were timed, and Optuna must have been told those values.
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

import optuna
import pandas as pd
import pytest

from pipeline import metric_names as m
from pipeline.results_schema import COLUMN_NAMES, RESULTS_FILE
from pipeline.search import run_search
from pipeline.specs import load_spec

TINY_SPACE = Path(__file__).resolve().parent / "tiny_space.yaml"

SPEC = """
name: ort_test
dataset:
  layout: synth
  synth: {seed: 0, num_train: 4, num_val: 2, size: [32, 32], num_classes: 8}
  transform: {crop_size: [32, 32], ratio_range: [1.0, 1.0]}
model: {config: {encoder: {name: eft}, decoder: {name: mlp_head}}}
train: {epochs: 1, batch_size: 2, lr: 0.01, head_lr_mult: 1.0, warmup_iters: 0, checkpoint_every: 1, keep_checkpoints: 1}
scaling: {num_workers: 1, cpus_per_worker: 1}
storage: {path: STORAGE}
search:
  space: SPACE
  num_samples: 2
  objectives: {val/miou: max, cost/ort_latency_ms: min}
  sampler: random
  input_size: [64, 64]  # the ISR variant's EFA window (pool ratio x ISR factor) must fit the exported stage
  scheduler: {type: none}
  isr: ["2,2,1,1/2,2,2"]
  latency: {repeats: 3, warmup: 1}
  benchmark: {threads: 1, cpus: 1}
  max_concurrent: 1
"""

POINTS = [  # an ISR-capable point (one ISR row) and one without ISR stages in its decoder
    {"encoder": "eft", "eft.depths": "[1,1,1,1]", "eft.widths[3]": 64, "decoder": "eda_decoder",
     "eda_decoder.pool_ratios": "[4,2,1]", "train.lr": 0.01},
    {"encoder": "mscan", "mscan.strip_kernels": "[7]", "decoder": "mlp_head", "train.lr": 0.01},
]


def _benchmark_nodes() -> list[str]:
    import ray

    return [n["NodeID"] for n in ray.nodes() if n["Alive"] and n["Resources"].get("segnas_benchmark", 0) >= 1]


@pytest.mark.slow
def test_search_times_ort_latency_on_the_benchmark_resource(tmp_path: Path, ray_local: None) -> None:
    import ray

    spec_path = tmp_path / "spec.yaml"
    spec_path.write_text(SPEC.replace("STORAGE", str(tmp_path / "runs")).replace("SPACE", str(TINY_SPACE)))
    spec = load_spec(spec_path)
    exp_dir = spec.experiment_dir
    exp_dir.mkdir(parents=True)
    storage = f"sqlite:///{exp_dir / 'study.db'}"
    study = optuna.create_study(storage=storage, study_name=spec.name, directions=["maximize", "minimize"])
    for point in POINTS:
        study.enqueue_trial(point)

    outcome = run_search(spec, spec_path)
    assert outcome.complete and outcome.failed == 0
    rows = pd.read_parquet(exp_dir / RESULTS_FILE)
    assert list(rows.columns[: len(COLUMN_NAMES)]) == list(COLUMN_NAMES)
    assert set(rows["status"]) == {"finished"} and sorted(rows["kind"]) == ["isr", "trial", "trial"]
    (bench_node,) = _benchmark_nodes()
    for _, row in rows.iterrows():
        ort = [row[c] for c in (m.COST_ORT_LATENCY_P10_MS, m.COST_ORT_LATENCY_MS, m.COST_ORT_LATENCY_P90_MS)]
        assert all(math.isfinite(v) and v > 0 for v in ort) and ort == sorted(ort), row["row_id"]
        record = json.loads(row["benchmark"])
        # Timed by the actor holding the benchmark resource (and its reserved CPU), on that resource's node.
        assert record["assigned_resources"] == {"segnas_benchmark": 1.0, "CPU": 1.0}
        assert record["node_id"] == bench_node and record["resource"] == "segnas_benchmark"
        assert record["runtime"] == "onnxruntime" and record["threads"] == 1 and record["weights"] == "trained"
        assert record["repeats"] == 3 and record["input"] == [1, 3, 64, 64]
        assert record["same_node_as_trial"] is True  # one host: the row says the trial trained beside it
        assert record["fingerprint"]["cpu_model"] and record["hostname"]
    isr = rows[rows["kind"] == "isr"].iloc[0]
    assert isr["parent_trial_id"] == "t0000" and isr[m.COST_GMACS] < rows.set_index("row_id").loc["t0000", m.COST_GMACS]

    # Optuna was told the ONNX Runtime latency as its second objective.
    study = optuna.load_study(study_name=spec.name, storage=storage)
    assert [d.name for d in study.directions] == ["MAXIMIZE", "MINIMIZE"]
    trials = rows[rows["kind"] == "trial"].set_index("trial_id")
    told = {f"t{t.number:04d}": t.values for t in study.trials}
    assert {name: values[1] for name, values in told.items()} == pytest.approx(
        trials[m.COST_ORT_LATENCY_MS].to_dict())

    deadline = time.monotonic() + 60  # the actor is gone: its resource and CPU are free for the next search
    while ray.available_resources().get("segnas_benchmark", 0.0) < 1.0:
        assert time.monotonic() < deadline, ray.available_resources()
        time.sleep(1.0)


@pytest.mark.slow
def test_undeclared_benchmark_resource_stops_the_search_before_any_trial(
        tmp_path: Path, ray_local: None, capsys: pytest.CaptureFixture[str]) -> None:
    from pipeline.cli import main

    spec_path = tmp_path / "spec.yaml"
    text = SPEC.replace("STORAGE", str(tmp_path / "runs")).replace("SPACE", str(TINY_SPACE))
    spec_path.write_text(text.replace("benchmark: {threads: 1, cpus: 1}", "benchmark: {resource: bench_gpu_node}"))
    assert main(["search", str(spec_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("segnas search: search.benchmark.resource: the Ray cluster has no node with the resource "
                          "'bench_gpu_node', which search.objectives.cost/ort_latency_ms needs") and "\n" not in err
    assert "--resources '{\"bench_gpu_node\": 1}'" in err
    assert not (tmp_path / "runs" / "ort_test" / RESULTS_FILE).exists()  # no trial ran
