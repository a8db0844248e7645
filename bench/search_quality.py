"""Benchmark: is the search any good? Real learning curves, tabulated once, and searches replayed on them.

Not a test. Two steps:

    flock /work/timing.lock python bench/search_quality.py tabulate --max-points 16   # repeat until done
    python bench/search_quality.py replay                                              # seconds to minutes

`tabulate` trains every point of `bench/search_quality_space.yaml` (24 architectures x 2 learning
rates) for 10 epochs with the training `Trainer` (one process, one thread, no Ray) on a generated
dataset (16 training and 8 validation 64x64 images, 10 classes; batch 2, so 80 steps in all),
recording the validation mIoU
and the wall time of every epoch, and the point's GMACs (at 64x64) and parameters. It appends to
`bench/results/search_quality_table.parquet` atomically after each point and skips points already
there, so it runs in short chunks; run each under the timing lock, since epoch times are measured.

`replay` runs 20 seeds of every method — NSGA-II, TPE, random (GP with `--samplers`) x
{multi-objective successive halving, ASHA on mIoU, no early stopping} — against the table on a simulated clock
(`search_replay.py`), two trials at a time, each with a device budget of half the time it takes
to train the whole table, and writes hypervolume vs device-hours (mean and 95 % interval) as a
table (`search_quality.md`, `.json`) and a plot (`search_quality.png`) in `bench/results/`.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import search_replay as sr  # noqa: E402

from pipeline import metric_names as m  # noqa: E402
from pipeline.data import TransformConfig  # noqa: E402
from pipeline.data.synth import SynthConfig  # noqa: E402
from pipeline.measure import collect_fingerprint, format_fingerprint, model_for_measurement  # noqa: E402
from pipeline.search import check_points, load_search_space, resolve_point  # noqa: E402
from pipeline.search._cost import CostGate  # noqa: E402
from pipeline.search._space import encode_choice  # noqa: E402
from pipeline.specs._search import BudgetSpec, LatencySpec  # noqa: E402
from pipeline.training import DatasetSpec, TrainConfig, Trainer, prepare_dataset  # noqa: E402

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
SPACE = HERE / "search_quality_space.yaml"
TABLE = RESULTS / "search_quality_table.parquet"
EPOCHS = 10
SEEDS = 20
SAMPLERS = ("nsga2", "tpe", "gp", "random")
# GP is left out by default: one GP replay of a 96-point table took 480 s here (a GP fit per ask),
# and on this conditional space GPSampler draws the encoder-specific dimensions at random anyway
# ("dynamic search space is not supported by GPSampler"). `--samplers gp ...` runs it.
DEFAULT_SAMPLERS = ("nsga2", "tpe", "random")
SCHEDULERS = ("mo_halving", "asha", "none")
GRID_POINTS = 101


def all_points(space_path: Path) -> list[dict[str, Any]]:
    """Every point of the space: each architecture of the build check's full product x each training value."""
    space = load_search_space(space_path)
    train = [[(d.name, encode_choice(v)) for v in d.values_for_check()] for d in space.train]
    return [arch | dict(values) for arch in check_points(space) for values in itertools.product(*train)]


def _dataset(root: Path) -> DatasetSpec:
    spec = DatasetSpec("synth", root=str(root),
                       synth=SynthConfig(seed=0, num_train=16, num_val=8, size=(64, 64), num_classes=sr.NUM_CLASSES),
                       transform=TransformConfig(crop_size=(64, 64), ratio_range=(1.0, 1.0)))
    prepare_dataset(spec)
    return spec


def _train_point(point: dict[str, Any], dataset: DatasetSpec, gate: CostGate) -> dict[str, Any]:
    space = load_search_space(SPACE)
    resolved = resolve_point(space, point, sr.NUM_CLASSES)
    train = TrainConfig(epochs=EPOCHS, batch_size=2, lr=float(resolved.hparams["lr"]), head_lr_mult=1.0,
                        warmup_iters=8, seed=0)
    costs = gate.count(model_for_measurement(resolved.model_config))
    trainer = Trainer(resolved.model_config, train, dataset, "cpu")
    miou, seconds = [], []
    for epoch in range(EPOCHS):
        started = time.perf_counter()
        trainer.train_epoch(epoch)
        miou.append(trainer.evaluate()[m.VAL_MIOU])
        seconds.append(time.perf_counter() - started)
    return {"point_key": resolved.point_key, "arch_id": resolved.arch_id, "params_json": json.dumps(point),
            "encoder": resolved.model_config["encoder"]["name"], "decoder": resolved.model_config["decoder"]["name"],
            "lr": float(resolved.hparams["lr"]), "gmacs": costs[m.COST_GMACS], "params": costs[m.COST_PARAMS],
            "miou": miou, "epoch_s": seconds, "device": format_fingerprint(collect_fingerprint("cpu")),
            "measured_at": time.time()}


def _append(table: Path, row: dict[str, Any]) -> None:
    frame = pd.read_parquet(table) if table.is_file() else pd.DataFrame()
    frame = pd.concat([frame, pd.DataFrame([row])], ignore_index=True)
    tmp = table.with_name(f".{table.name}.{os.getpid()}.tmp")
    frame.to_parquet(tmp, index=False)
    os.replace(tmp, table)


def tabulate(table: Path, max_points: int, data_root: Path) -> int:
    """Train up to `max_points` points not yet in the table; returns how many remain."""
    torch.set_num_threads(1)
    table.parent.mkdir(parents=True, exist_ok=True)
    done = set(pd.read_parquet(table)["point_key"]) if table.is_file() else set()
    space = load_search_space(SPACE)
    todo = [p for p in all_points(SPACE) if resolve_point(space, p, sr.NUM_CLASSES).point_key not in done]
    dataset = _dataset(data_root)
    gate = CostGate((64, 64), BudgetSpec(), LatencySpec())
    for point in todo[:max_points]:
        row = _train_point(point, dataset, gate)
        _append(table, row)
        print(f"{row['point_key']}  {row['encoder']}/{row['decoder']} lr {row['lr']:g}  "
              f"mIoU {row['miou'][-1]:.3f}  {sum(row['epoch_s']):.1f} s", flush=True)
    return max(0, len(todo) - max_points)


def run_replays(table: sr.Table, seeds: int, budget_s: float, samplers: tuple[str, ...]) -> dict[str, Any]:
    grid = np.linspace(0.0, budget_s, GRID_POINTS)
    out: dict[str, Any] = {"grid_device_hours": (grid / 3600).tolist(), "seeds": seeds, "samplers": list(samplers),
                           "methods": {}}
    for sampler, scheduler in itertools.product(samplers, SCHEDULERS):
        method = sr.Method(sampler, scheduler)
        started = time.perf_counter()
        curves = [sr.on_grid(sr.replay(table, method, seed, budget_s), grid) for seed in range(seeds)]
        mean, low, high = sr.summarise(curves)
        out["methods"][method.name] = {"mean": mean.tolist(), "low": low.tolist(), "high": high.tolist(),
                                       "replay_s": time.perf_counter() - started}
        print(f"{method.name:<22} final HV {mean[-1]:.4f} [{low[-1]:.4f}, {high[-1]:.4f}]  "
              f"({time.perf_counter() - started:.1f} s)", flush=True)
    return out


def findings(out: dict[str, Any]) -> dict[str, Any]:
    """The two targets of the benchmark, measured."""
    grid = np.array(out["grid_device_hours"])
    methods = out["methods"]
    target = methods["random + none"]["mean"][-1]
    result: dict[str, Any] = {"random_none_final_hv": target, "device_hours_budget": float(grid[-1])}
    for sampler in out["samplers"]:
        hours = sr.time_to_reach(grid, np.array(methods[f"{sampler} + mo_halving"]["mean"]), target)
        result[f"{sampler}_mo_halving_hours_to_random_none_final"] = hours
        result[f"{sampler}_mo_halving_fraction_of_budget"] = hours / grid[-1] if not math.isnan(hours) else math.nan
    for scheduler in SCHEDULERS:
        default, rand = methods[f"nsga2 + {scheduler}"], methods[f"random + {scheduler}"]
        result[f"nsga2_minus_random_final_hv_{scheduler}"] = default["mean"][-1] - rand["mean"][-1]
        result[f"nsga2_beats_random_{scheduler}"] = default["low"][-1] > rand["high"][-1]
    return result


def markdown(out: dict[str, Any], table: sr.Table, found: dict[str, Any], machine: str) -> str:
    grid = out["grid_device_hours"]
    marks = [GRID_POINTS // 4, GRID_POINTS // 2, GRID_POINTS - 1]
    lines = [
        "# Search quality on tabulated learning curves",
        "",
        f"Table: {len(table.rows)} points of `{table.space_path.name}`, {table.epochs} epochs each, "
        f"trained on {machine} (shared with other developers while measured; epoch times are as measured).",
        f"Whole table: {table.full_cost_s / 3600:.3f} device-hours; best possible normalised hypervolume "
        f"{table.best_hypervolume():.4f}. Replays: {out['seeds']} seeds per method, 2 trials at a time, budget "
        f"{grid[-1]:.3f} device-hours (half the table). Hypervolume of finished trials, (mIoU, GMACs), "
        f"reference (0, {table.reference_gmacs:.4f}), normalised.",
        "",
        "| method | " + " | ".join(f"HV at {grid[i]:.3f} h" for i in marks) + " |",
        "|---|" + "---|" * len(marks),
    ]
    for name, curve in out["methods"].items():
        cells = [f"{curve['mean'][i]:.4f} [{curve['low'][i]:.4f}, {curve['high'][i]:.4f}]" for i in marks]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines += ["", "Mean [95 % interval] over seeds.", "", "## Targets", ""]
    for sampler in out["samplers"]:
        hours = found[f"{sampler}_mo_halving_hours_to_random_none_final"]
        share = found[f"{sampler}_mo_halving_fraction_of_budget"]
        reached = f"{hours:.3f} h ({100 * share:.0f}% of random's)" if not math.isnan(hours) else "not within the budget"
        lines.append(f"- {sampler} + mo_halving reaches random + none's final hypervolume "
                     f"({found['random_none_final_hv']:.4f}) at {reached}; target <= 33%.")
    for scheduler in SCHEDULERS:
        diff = found[f"nsga2_minus_random_final_hv_{scheduler}"]
        verdict = "beats" if found[f"nsga2_beats_random_{scheduler}"] else "does not beat (intervals overlap or below)"
        lines.append(f"- nsga2 (default) vs random with {scheduler}: final HV difference {diff:+.4f}; nsga2 {verdict} random.")
    return "\n".join(lines) + "\n"


def plot(out: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    grid = out["grid_device_hours"]
    figure, axes = plt.subplots(1, len(SCHEDULERS), figsize=(15, 4.5), sharey=True)
    for axis, scheduler in zip(axes, SCHEDULERS):
        for sampler in out["samplers"]:
            curve = out["methods"][f"{sampler} + {scheduler}"]
            axis.plot(grid, curve["mean"], label=sampler)
            axis.fill_between(grid, curve["low"], curve["high"], alpha=0.2)
        axis.set_title(f"scheduler: {scheduler}")
        axis.set_xlabel("device-hours")
        axis.grid(alpha=0.3)
    axes[0].set_ylabel("normalised hypervolume (mIoU, GMACs)")
    axes[0].legend()
    figure.tight_layout()
    figure.savefig(path, dpi=110)


def replay_main(table_path: Path, seeds: int, out_dir: Path, space: Path = SPACE,
                samplers: tuple[str, ...] = DEFAULT_SAMPLERS) -> dict[str, Any]:
    sr.quiet_optuna()
    table = sr.load_table(table_path, space)
    out = run_replays(table, seeds, table.full_cost_s / 2, samplers)
    found = findings(out)
    frame = pd.read_parquet(table_path)
    machine = str(frame["device"].iloc[0]) if "device" in frame else "unknown"
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "search_quality.json").write_text(json.dumps({"findings": found, **out}, indent=1) + "\n")
    text = markdown(out, table, found, machine)
    (out_dir / "search_quality.md").write_text(text)
    plot(out, out_dir / "search_quality.png")
    print(text)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    tab = commands.add_parser("tabulate", help="train points missing from the table (resumable)")
    tab.add_argument("--max-points", type=int, default=16)
    tab.add_argument("--table", type=Path, default=TABLE)
    tab.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "segnas_search_quality_data")
    rep = commands.add_parser("replay", help="replay every method against the table")
    rep.add_argument("--table", type=Path, default=TABLE)
    rep.add_argument("--seeds", type=int, default=SEEDS)
    rep.add_argument("--out", type=Path, default=RESULTS)
    rep.add_argument("--samplers", nargs="+", choices=SAMPLERS, default=list(DEFAULT_SAMPLERS))
    args = parser.parse_args()
    if args.command == "tabulate":
        print(f"{tabulate(args.table, args.max_points, args.data)} points left to tabulate")
    else:
        replay_main(args.table, args.seeds, args.out, samplers=tuple(args.samplers))


if __name__ == "__main__":
    main()
