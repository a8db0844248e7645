"""Benchmark: the fixed cost of a search trial on the demo, for 1 worker (trained inside the Tune
trial) and 2 workers (a Ray Train `TorchTrainer` per trial).

Not a test. Runs `run_search` on the demo's dataset and training schedule (`jobs/demo.yaml`: 64
generated 64x64 images, 10 epochs) with `--trials` fixed points of the demo space, one trial at a
time and no early stopping, and splits each trial's wall time into
  - train + val: the epochs themselves (`train/epoch_s` of every epoch: training and validation);
  - gate + evaluation: the search's own measurements — the cost gate before training (parameter
    and MAC counts, latency) and the latency and ISR evaluation of the finished model;
  - fixed cost: everything else — Tune's trial start, building the trainer and its data, checkpoint
    writes, Ray Train's start-up for multi-worker trials, result handling.
A trial's wall time is the time from the end of the previous trial's row to the end of its own
(one trial at a time), so the first trial, which also pays Ray's and the dataset's start-up, is
left out.

    flock /work/timing.lock python bench/trial_overhead.py            # 4 trials per worker count

Timings on a shared CPU swing by tens of percent; the machine is recorded with the numbers.
Writes bench/results/trial_overhead_cpu.json and .md, and prints the Markdown.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any, NamedTuple

import optuna
import pandas as pd
import yaml

from pipeline import metric_names as m
from pipeline.measure import collect_fingerprint, format_fingerprint
from pipeline.search import point_key_of, run_search
from pipeline.search._trial import EVALUATION_KEY, GATE_KEY, RUNS_DIR, run_name
from pipeline.specs import load_spec
from pipeline.training import HISTORY_FILE

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).resolve().parent / "results"

# Demo-space points (an EFT/EDA one, so the ISR evaluation is part of the trial, and MSCAN ones).
POINTS = [
    {"encoder": "mscan", "mscan.depths": "[1,1,2,1]", "mscan.widths[3]": 128, "mscan.strip_kernels": "[7,11]",
     "decoder": "mlp_head", "mlp_head.channels": 64, "train.lr": 0.005},
    {"encoder": "eft", "eft.depths": "[1,1,1,1]", "eft.widths[3]": 128, "eft.sr_ratios": "[8,4,2,1]",
     "decoder": "eda_decoder", "eda_decoder.pool_ratios": "[4,2,1]", "train.lr": 0.005},
    {"encoder": "mscan", "mscan.depths": "[1,1,1,1]", "mscan.widths[3]": 64, "mscan.strip_kernels": "[7]",
     "decoder": "mlp_head", "mlp_head.channels": 32, "train.lr": 0.004},
    {"encoder": "eft", "eft.depths": "[1,1,2,1]", "eft.widths[3]": 64, "eft.sr_ratios": "[4,2,1,1]",
     "decoder": "mlp_head", "mlp_head.channels": 64, "train.lr": 0.004},
]


class Row(NamedTuple):
    workers: int
    path: str  # how a trial trains
    trials: int  # trials measured (the first one of each search is left out)
    wall_s: float  # median wall time of a trial
    wall_range: str  # min..max
    train_val_s: float  # median of the epochs' training + validation
    measure_s: float  # median of the cost gate + post-training latency and ISR evaluation
    fixed_s: float  # median of wall - train+val - measurements
    fixed_share: float  # median of fixed / wall
    not_training_share: float  # median of (wall - train+val) / wall: fixed cost and measurements together
    in_trial_s: float  # median fixed cost inside the trial function (gate, trainer and data set-up, Ray Train start)
    tune_s: float  # median fixed cost outside it (Tune's trial start and bookkeeping, result writing)


def _spec_file(folder: Path, workers: int, trials: int) -> Path:
    data = yaml.safe_load((ROOT / "jobs" / "demo.yaml").read_text())
    data["name"] = f"overhead_w{workers}"
    data["storage"] = {"path": str(folder)}
    data["scaling"] = {"num_workers": workers, "use_gpu": False, "cpus_per_worker": 1}
    data["search"].update(space=str(ROOT / "search_spaces" / "demo.yaml"), num_samples=trials, max_concurrent=1,
                          scheduler={"type": "none"}, sampler="random")
    path = folder / f"overhead_w{workers}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def _trial_times(exp_dir: Path) -> list[dict[str, float]]:
    rows = pd.read_parquet(exp_dir / "results.parquet")
    trials = rows[rows["kind"] == "trial"].sort_values("finished_at")
    out = []
    previous = None
    for row in trials.to_dict("records"):
        if previous is not None:
            hparams = json.loads(row["hparams"])
            run_dir = exp_dir / RUNS_DIR / run_name(point_key_of(row["arch_id"], hparams))
            history = [json.loads(line) for line in (run_dir / HISTORY_FILE).read_text().splitlines()]
            final = (exp_dir / "tune" / "run-000" / row["trial_id"] / "result.json").read_text().splitlines()[-1]
            wall = row["finished_at"] - previous
            train_val = sum(h[m.TRAIN_EPOCH_S] for h in history)
            last = json.loads(final)
            measured = float(last[EVALUATION_KEY]) + float(last[GATE_KEY])  # the search's own measurements
            inside = float(row["wall_time_s"])  # the trial function, from its start to its last report
            out.append({"wall_s": wall, "train_val_s": train_val, "measure_s": measured,
                        "fixed_s": wall - train_val - measured, "in_trial_s": inside - train_val - measured,
                        "tune_s": wall - inside})
        previous = row["finished_at"]
    return out


def measure(workers: int, trials: int, folder: Path) -> Row:
    spec_path = _spec_file(folder, workers, trials)
    spec = load_spec(spec_path)
    exp_dir = spec.experiment_dir
    exp_dir.mkdir(parents=True)
    study = optuna.create_study(storage=f"sqlite:///{exp_dir / 'study.db'}", study_name=spec.name,
                                directions=["maximize", "minimize"])
    for point in POINTS[:trials]:
        study.enqueue_trial(point)
    run_search(spec, spec_path)
    times = _trial_times(exp_dir)
    med = {k: statistics.median(t[k] for t in times) for k in times[0]}
    walls = [t["wall_s"] for t in times]
    path = "in the Tune trial" if workers == 1 else "TorchTrainer per trial"
    return Row(workers, path, len(times), med["wall_s"], f"{min(walls):.1f}..{max(walls):.1f}", med["train_val_s"],
               med["measure_s"], med["fixed_s"], statistics.median(t["fixed_s"] / t["wall_s"] for t in times),
               statistics.median(1 - t["train_val_s"] / t["wall_s"] for t in times),
               med["in_trial_s"], med["tune_s"])


def markdown(rows: list[Row], machine: str) -> str:
    lines = [
        "# Fixed cost per search trial (demo, CPU)",
        "",
        f"Machine: {machine}. Shared with other developers' tests and Ray runs while measured: treat as rough.",
        "Demo schedule: 64 generated 64x64 images, batch 2, 10 epochs, validation every epoch; one trial at a time;",
        "the first trial of each search (which also pays Ray's start-up) is left out.",
        "",
        "| workers | trial trains | trials | wall s (median) | range | train+val s | gate + evaluation s | fixed s "
        "| fixed share | not training | fixed in trial fn s | fixed in Tune s |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(f"| {r.workers} | {r.path} | {r.trials} | {r.wall_s:.1f} | {r.wall_range} | {r.train_val_s:.1f} "
                     f"| {r.measure_s:.1f} | {r.fixed_s:.1f} | {100 * r.fixed_share:.1f}% | {100 * r.not_training_share:.1f}% "
                     f"| {r.in_trial_s:.1f} "
                     f"| {r.tune_s:.1f} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=4, help="trials per worker count (the first is not measured)")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    import ray

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    ray.init(address="local", num_cpus=2, configure_logging=False)
    machine = format_fingerprint(collect_fingerprint("cpu"))
    started = time.time()
    with tempfile.TemporaryDirectory() as tmp:
        rows = [measure(workers, args.trials, Path(tmp)) for workers in args.workers]
    ray.shutdown()
    text = markdown(rows, machine)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "trial_overhead_cpu.md").write_text(text)
    payload: dict[str, Any] = {"machine": machine, "wall_s": time.time() - started, "rows": [r._asdict() for r in rows]}
    (RESULTS / "trial_overhead_cpu.json").write_text(json.dumps(payload, indent=2) + "\n")
    print(text)


if __name__ == "__main__":
    main()
