"""Benchmark: is the search any good? Real learning curves, tabulated once, and searches replayed on them.

Not a test. Two steps:

    flock /work/timing.lock python bench/search_quality.py tabulate --max-points 16   # repeat until done
    python bench/search_quality.py replay                                              # minutes; GP: an hour

`tabulate` trains every point of `bench/search_quality_space.yaml` (24 architectures x 2 learning
rates) for 10 epochs with the training `Trainer` (one process, one thread, no Ray) on a generated
dataset (16 training and 8 validation 64x64 images, 10 classes; batch 2, so 80 steps in all),
recording the validation mIoU
and the wall time of every epoch, and the point's GMACs (at 64x64) and parameters. It appends to
`bench/results/search_quality_table.parquet` atomically after each point and skips points already
there, so it runs in short chunks; run each under the timing lock, since epoch times are measured.

`replay` runs 20 seeds of every method — NSGA-II, TPE, random, GP x {multi-objective successive
halving, ASHA on mIoU, no early stopping}, and Syne Tune's MO-ASHA on random configurations as an
outside reference (`syne_moasha.py`; `--no-syne` without syne-tune) — against the table on a
simulated clock (`search_replay.py`), two trials at a time, each with a device budget of half the
time it takes to train the whole table, and writes hypervolume vs device-hours (mean and 95 %
interval) as a table (`search_quality.md`, `.json`) and a plot (`search_quality.png`) in
`bench/results/`. GP is the slow one (a GP fit and an acquisition optimisation for every draw,
including the re-draws of known points): `--gp-seconds` caps its time per scheduler, and the
table says how many seeds each method ran. Run it at low priority on a shared machine:

    OMP_NUM_THREADS=1 nice -n 19 python bench/search_quality.py replay --gp-seconds 840
"""

from __future__ import annotations

import argparse
import importlib.metadata
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
from syne_moasha import SYNE_TUNE_VERSION, SyneMOASHA  # noqa: E402

from pipeline import metric_names as m  # noqa: E402
from pipeline._atomic import atomic_write_text  # noqa: E402
from pipeline.data import TransformConfig  # noqa: E402
from pipeline.data.synth import SynthConfig  # noqa: E402
from pipeline.measure import collect_fingerprint, format_fingerprint, model_for_measurement  # noqa: E402
from pipeline.search import check_points, load_search_space, resolve_point  # noqa: E402
from pipeline.search._cost import CostGate  # noqa: E402
from pipeline.search._space import encode_choice  # noqa: E402
from pipeline.specs._search import BudgetSpec, LatencySpec, SchedulerSpec  # noqa: E402
from pipeline.training import DatasetSpec, TrainConfig, Trainer, prepare_dataset  # noqa: E402

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
SPACE = HERE / "search_quality_space.yaml"
TABLE = RESULTS / "search_quality_table.parquet"
EPOCHS = 10
SEEDS = 20
SAMPLERS = ("nsga2", "tpe", "gp", "random")
DEFAULT_METHOD = sr.Method("nsga2", "mo_halving")  # the project's defaults (pipeline/specs/_search.py)
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


def methods_of(samplers: tuple[str, ...], syne: bool) -> list[sr.Method]:
    """Every sampler x every scheduler, Syne Tune's MO-ASHA on random configurations when asked, GP last (slowest)."""
    methods = [sr.Method(a, b) for a, b in itertools.product([x for x in samplers if x != "gp"], SCHEDULERS)]
    methods += [sr.Method("random", sr.SYNE_MOASHA)] if syne else []
    return methods + [sr.Method("gp", b) for b in SCHEDULERS if "gp" in samplers]


class SeedCache:
    """Each replayed seed's curve, kept in a JSON file as it ends, so a long run that is cut resumes."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.entries: dict[str, Any] = json.loads(path.read_text()) if path is not None and path.is_file() else {}

    @staticmethod
    def key(table: sr.Table, method: sr.Method, seed: int, budget_s: float) -> str:
        return f"{method.name} | seed {seed} | budget {budget_s:.6f} s | {len(table.rows)} points"

    def replay(self, table: sr.Table, method: sr.Method, seed: int, budget_s: float,
               grid: np.ndarray) -> tuple[np.ndarray | None, float, str | None]:
        """(the seed's curve on `grid`, the seconds its replay took, None) — or (None, seconds, the
        error) when the sampler or scheduler raised: that seed is left out of the method's figures."""
        key = self.key(table, method, seed, budget_s)
        if key not in self.entries:
            started = time.perf_counter()
            try:
                entry: dict[str, Any] = {"curve": sr.on_grid(sr.replay(table, method, seed, budget_s), grid).tolist()}
            except Exception as error:  # noqa: BLE001 - a library's failure is a measured outcome here
                entry = {"error": f"{type(error).__name__}: {error}"}
            self.entries[key] = entry | {"replay_s": time.perf_counter() - started}
            if self.path is not None:
                atomic_write_text(self.path, json.dumps(self.entries))
        entry = self.entries[key]
        curve = np.array(entry["curve"]) if "curve" in entry else None
        return curve, float(entry["replay_s"]), entry.get("error")


def run_replays(table: sr.Table, methods: list[sr.Method], seeds: dict[str, int], budget_s: float,
                gp_seconds: float = math.inf, cache: SeedCache | None = None) -> dict[str, Any]:
    """Hypervolume curves of each method on one grid; `seeds` is the seed count per sampler.

    A GP method starts no further seed once its seeds so far took `gp_seconds` (it runs at least
    two, for an interval).
    """
    cache = cache or SeedCache(None)
    grid = np.linspace(0.0, budget_s, GRID_POINTS)
    out: dict[str, Any] = {"grid_device_hours": (grid / 3600).tolist(), "seeds": seeds,
                           "samplers": sorted({x.sampler for x in methods}, key=SAMPLERS.index), "methods": {}}
    for method in methods:
        curves, seconds, failed = [], 0.0, {}
        for seed in range(seeds[method.sampler]):
            if method.sampler == "gp" and len(curves) >= 2 and seconds > gp_seconds:
                break
            curve, took, error = cache.replay(table, method, seed, budget_s, grid)
            seconds += took
            if curve is None:
                failed[seed] = error
                print(f"{method.name}: seed {seed} failed: {error}", flush=True)
            else:
                curves.append(curve)
        mean, low, high = sr.summarise(curves)
        out["methods"][method.name] = {"mean": mean.tolist(), "low": low.tolist(), "high": high.tolist(),
                                       "seeds": len(curves), "failed_seeds": failed, "replay_s": seconds}
        print(f"{method.name:<22} final HV {mean[-1]:.4f} [{low[-1]:.4f}, {high[-1]:.4f}]  {len(curves)} seeds "
              f"({seconds:.1f} s)", flush=True)
    return out


def _beats(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """a's final 95 % interval lies wholly above b's."""
    return a["low"][-1] > b["high"][-1]


def findings(out: dict[str, Any]) -> dict[str, Any]:
    """The two targets of the benchmark, measured, and how every method ends against the default."""
    grid = np.array(out["grid_device_hours"])
    methods = out["methods"]
    target = methods["random + none"]["mean"][-1]
    result: dict[str, Any] = {"random_none_final_hv": target, "device_hours_budget": float(grid[-1])}
    early = [name for name in methods if name.endswith((" + mo_halving", f" + {sr.SYNE_MOASHA}"))]
    for name in early:
        hours = sr.time_to_reach(grid, np.array(methods[name]["mean"]), target)
        slug = name.replace(" + ", "_")
        result[f"{slug}_hours_to_random_none_final"] = hours
        result[f"{slug}_fraction_of_budget"] = hours / grid[-1] if not math.isnan(hours) else math.nan
    for scheduler in SCHEDULERS:
        default, rand = methods[f"{DEFAULT_METHOD.sampler} + {scheduler}"], methods[f"random + {scheduler}"]
        result[f"nsga2_minus_random_final_hv_{scheduler}"] = default["mean"][-1] - rand["mean"][-1]
        result[f"nsga2_beats_random_{scheduler}"] = _beats(default, rand)
    default = methods[DEFAULT_METHOD.name]
    result["beat_default"] = [name for name, curve in methods.items() if _beats(curve, default)]
    result["beaten_by_default"] = [name for name, curve in methods.items() if _beats(default, curve)]
    result["best_final"] = max(methods, key=lambda name: methods[name]["mean"][-1])
    syne = methods.get(f"random + {sr.SYNE_MOASHA}")
    if syne is not None:
        ours = methods["random + mo_halving"]
        result["syne_moasha_minus_random_mo_halving_final_hv"] = syne["mean"][-1] - ours["mean"][-1]
        result["syne_moasha_vs_random_mo_halving"] = ("above" if _beats(syne, ours) else
                                                      "below" if _beats(ours, syne) else "overlapping")
    return result


def _reached(found: dict[str, Any], slug: str) -> str:
    hours = found[f"{slug}_hours_to_random_none_final"]
    if math.isnan(hours):
        return "does not reach it within the budget"
    return f"reaches it at {hours:.4f} h ({100 * found[f'{slug}_fraction_of_budget']:.0f}% of random's)"


def markdown(out: dict[str, Any], table: sr.Table, found: dict[str, Any], machine: str, replay_machine: str,
             notes: list[str]) -> str:
    grid = out["grid_device_hours"]
    marks = [GRID_POINTS // 4, GRID_POINTS // 2, GRID_POINTS - 1]
    lines = [
        "# Search quality on tabulated learning curves",
        "",
        f"Table: {len(table.rows)} points of `{table.space_path.name}`, {table.epochs} epochs each, "
        f"trained on {machine} (shared with other developers while measured; epoch times are as measured).",
        f"Whole table: {table.full_cost_s / 3600:.3f} device-hours; best possible normalised hypervolume "
        f"{table.best_hypervolume():.4f}. Replays: 2 trials at a time, budget "
        f"{grid[-1]:.3f} device-hours (half the table). Hypervolume of finished trials, (mIoU, GMACs), "
        f"reference (0, {table.reference_gmacs:.4f}), normalised. Every method re-measured in this run, on "
        f"{replay_machine} (one process, one torch thread).",
        "",
        "| method | seeds | " + " | ".join(f"HV at {grid[i]:.4f} h" for i in marks)
        + " | interval width at budget | replay wall s |",
        "|---|---|" + "---|" * (len(marks) + 2),
    ]
    for name, curve in out["methods"].items():
        cells = [f"{curve['mean'][i]:.4f} [{curve['low'][i]:.4f}, {curve['high'][i]:.4f}]" for i in marks]
        width = curve["high"][-1] - curve["low"][-1]
        lines.append(f"| {name} | {curve['seeds']} | " + " | ".join(cells) + f" | {width:.4f} | {curve['replay_s']:.0f} |")
    lines += ["", "Mean [95 % interval, Student t] over seeds.", "", "## Targets", ""]
    for name in out["methods"]:
        slug = name.replace(" + ", "_")
        if f"{slug}_hours_to_random_none_final" in found:
            lines.append(f"- random + none's final hypervolume ({found['random_none_final_hv']:.4f}): {name} "
                         f"{_reached(found, slug)}; target <= 33%.")
    for scheduler in SCHEDULERS:
        diff = found[f"nsga2_minus_random_final_hv_{scheduler}"]
        verdict = "beats" if found[f"nsga2_beats_random_{scheduler}"] else "does not beat (intervals overlap or below)"
        lines.append(f"- nsga2 (default) vs random with {scheduler}: final HV difference {diff:+.4f}; nsga2 {verdict} random.")
    lines += ["", "## Against the default", "",
              f"- Default ({DEFAULT_METHOD.name}); highest final mean: {found['best_final']}.",
              f"- Final interval wholly above the default's: {', '.join(found['beat_default']) or 'none'}.",
              f"- Final interval wholly below the default's: {', '.join(found['beaten_by_default']) or 'none'}."]
    if "syne_moasha_vs_random_mo_halving" in found:
        lines.append(f"- Syne Tune MO-ASHA vs the project's successive halving, both on random configurations: final HV "
                     f"difference {found['syne_moasha_minus_random_mo_halving_final_hv']:+.4f} "
                     f"({found['syne_moasha_vs_random_mo_halving']}).")
    for name, curve in out["methods"].items():
        for seed, error in curve["failed_seeds"].items():
            notes = [*notes, f"{name}, seed {seed}: the replay raised `{error}`; that seed is left out of its figures."]
    lines += ["", "## Notes", ""] + [f"- {note}" for note in notes]
    return "\n".join(lines) + "\n"


def plot(out: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    grid = out["grid_device_hours"]
    figure, axes = plt.subplots(1, len(SCHEDULERS), figsize=(15, 4.5), sharey=True)
    for axis, scheduler in zip(axes, SCHEDULERS):
        curves = [(sampler, out["methods"][f"{sampler} + {scheduler}"], "-") for sampler in out["samplers"]
                  if f"{sampler} + {scheduler}" in out["methods"]]
        syne = out["methods"].get(f"random + {sr.SYNE_MOASHA}")
        if scheduler == "mo_halving" and syne is not None:
            curves.append(("random + Syne Tune MO-ASHA", syne, "--"))
        for label, curve, style in curves:
            line, = axis.plot(grid, curve["mean"], style, label=f"{label} ({curve['seeds']} seeds)")
            axis.fill_between(grid, curve["low"], curve["high"], alpha=0.15, color=line.get_color())
        axis.set_title(f"scheduler: {scheduler}")
        axis.set_xlabel("device-hours")
        axis.grid(alpha=0.3)
        axis.legend(fontsize=8)
    axes[0].set_ylabel("normalised hypervolume (mIoU, GMACs)")
    figure.tight_layout()
    figure.savefig(path, dpi=110)


def replay_main(table_path: Path, seeds: int, out_dir: Path, space: Path = SPACE,
                samplers: tuple[str, ...] = SAMPLERS, gp_seeds: int | None = None, gp_seconds: float = math.inf,
                syne: bool = False, notes: tuple[str, ...] = (), cache: Path | None = None) -> dict[str, Any]:
    sr.quiet_optuna()
    torch.set_num_threads(1)  # GPSampler's fits run in torch: one thread, like the trials it stands beside
    table = sr.load_table(table_path, space)
    per_sampler = {s: (gp_seeds if s == "gp" and gp_seeds is not None else seeds) for s in samplers}
    out = run_replays(table, methods_of(samplers, syne), per_sampler, table.full_cost_s / 2, gp_seconds,
                      SeedCache(cache))
    found = findings(out)
    if syne:
        default = SchedulerSpec()
        notes += (f"random + {sr.SYNE_MOASHA}: Syne Tune {importlib.metadata.version('syne-tune')}'s MOASHA as the "
                  f"scheduler (non-dominated sort on (-mIoU, GMACs), rungs {SyneMOASHA(table.epochs, default.grace_epochs, default.reduction_factor, 0).rungs}, "
                  f"grace {default.grace_epochs}, factor {default.reduction_factor:g}, one bracket), driven on this replay's simulated clock; configurations from the "
                  "project's random sampler, the same draws per seed as random + mo_halving.",)
    frame = pd.read_parquet(table_path)
    machine = str(frame["device"].iloc[0]) if "device" in frame else "unknown"
    replay_machine = f"{format_fingerprint(collect_fingerprint('cpu'))}; nice {os.nice(0)}"
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "search_quality.json").write_text(json.dumps({"findings": found, "notes": list(notes),
                                                             "replay_machine": replay_machine, **out}, indent=1) + "\n")
    text = markdown(out, table, found, machine, replay_machine, list(notes))
    (out_dir / "search_quality.md").write_text(text)
    plot(out, out_dir / "search_quality.png")
    print(text)
    return found


def _syne_tune_installed() -> bool:
    try:
        import syne_tune  # noqa: F401
    except ImportError:
        return False
    return True


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
    rep.add_argument("--samplers", nargs="+", choices=SAMPLERS, default=list(SAMPLERS))
    rep.add_argument("--gp-seeds", type=int, default=None, help="seeds for GP (default: --seeds); it is the slow one")
    rep.add_argument("--gp-seconds", type=float, default=math.inf,
                     help="per GP method, start no further seed after this many seconds (at least 2 seeds run)")
    rep.add_argument("--syne", action=argparse.BooleanOptionalAction, default=True,
                     help="also replay Syne Tune's MO-ASHA (needs syne-tune; see the bench-syne extra)")
    rep.add_argument("--cache", type=Path, default=None,
                     help="JSON file of finished seeds: a cut run started again with it resumes")
    rep.add_argument("--note", action="append", default=[], help="a line for the table's notes (conditions)")
    args = parser.parse_args()
    if args.command == "tabulate":
        print(f"{tabulate(args.table, args.max_points, args.data)} points left to tabulate")
        return
    if args.syne and not _syne_tune_installed():
        print(f"search_quality.py replay: --syne needs syne-tune {SYNE_TUNE_VERSION} "
              f'(pip install --no-deps "syne-tune=={SYNE_TUNE_VERSION}"), or pass --no-syne', file=sys.stderr)
        sys.exit(2)
    replay_main(args.table, args.seeds, args.out, samplers=tuple(args.samplers), gp_seeds=args.gp_seeds,
                gp_seconds=args.gp_seconds, syne=args.syne, notes=tuple(args.note), cache=args.cache)


if __name__ == "__main__":
    main()
