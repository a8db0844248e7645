"""Benchmark: data-loader and training throughput (images/s) and Ray Train start-up, on CPU.

Not a test. Measures, on the generated dataset:
  - loader: one epoch of one worker's `TrainLoader` (read PNG → augment → batch), per image size
    and DataLoader process count;
  - train step: one epoch of `Trainer.train_epoch` (forward, backward, AdamW) of the demo model,
    one process, no Ray;
  - ray (with --ray): a 2-worker `fit_model` of 2 epochs; start-up = wall time minus the epochs'
    training and evaluation, i.e. what Ray costs before the first step.

    python bench/train_throughput.py                 # loader + train step
    python bench/train_throughput.py --ray --quick   # fewer repeats, plus one Ray run

Timings on a shared CPU swing by tens of percent; the machine is recorded with the numbers.
Writes bench/results/train_cpu.json and .md, and prints the Markdown.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, NamedTuple

import torch

from pipeline.data import TransformConfig
from pipeline.data.synth import SynthConfig
from pipeline.measure import collect_fingerprint
from pipeline.model_configs import MLPHeadConfig, ModelConfig, MSCANConfig, model_config_to_dict
from pipeline.training import DatasetSpec, ScalingSpec, TrainConfig, Trainer, TrainLoader, fit_model, prepare_dataset

RESULTS = Path(__file__).resolve().parent / "results"


class Row(NamedTuple):
    stage: str  # "loader", "train step" or "ray fit"
    setting: str  # what varies: image size, loader processes, workers
    images_per_s: float  # median over repeats
    spread: str  # min..max over repeats
    seconds: float  # median wall time of one repeat
    note: str


def demo_model_config() -> dict[str, Any]:
    encoder = MSCANConfig(widths=(16, 32, 64, 128), depths=(1, 1, 2, 1), drop_path=0.0)
    return model_config_to_dict(ModelConfig(encoder, MLPHeadConfig(channels=64), num_classes=10))


def dataset_at(root: Path, size: int, num_train: int) -> DatasetSpec:
    spec = DatasetSpec(
        "synth",
        root=str(root / f"synth_{size}"),
        synth=SynthConfig(num_train=num_train, num_val=8, size=(size, size)),
        transform=TransformConfig(crop_size=(size, size), ratio_range=(0.5, 2.0)),
    )
    prepare_dataset(spec)
    return spec


def _timed(fn: Any, repeats: int) -> list[float]:
    out = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def _row(stage: str, setting: str, images: int, seconds: list[float], note: str = "") -> Row:
    rates = [images / s for s in seconds]
    return Row(stage, setting, statistics.median(rates), f"{min(rates):.0f}..{max(rates):.0f}",
               statistics.median(seconds), note)


def _one_loader_epoch(loader: TrainLoader, epoch: int) -> float:
    start = time.perf_counter()
    for _ in loader.epoch_batches(epoch):
        pass
    return time.perf_counter() - start


def measure_loader(root: Path, sizes: list[int], processes: list[int], repeats: int) -> list[Row]:
    rows = []
    for size in sizes:
        spec = dataset_at(root, size, num_train=64)
        for workers in processes:
            loader = TrainLoader(spec, batch_size=8, seed=0, rank=0, world_size=1, loader_workers=workers)
            seconds = [_one_loader_epoch(loader, e) for e in range(repeats)]
            rows.append(_row("loader", f"{size}x{size}, {workers} loader proc.", len(loader) * 8, seconds,
                             "resize 0.5-2 + crop + flip + jitter"))
    return rows


def measure_train_step(root: Path, repeats: int) -> list[Row]:
    spec = dataset_at(root, 64, num_train=64)
    train = TrainConfig(epochs=repeats, batch_size=8, lr=5e-3, warmup_iters=2)
    trainer = Trainer(demo_model_config(), train, spec)
    epoch = iter(range(repeats))
    seconds = _timed(lambda: trainer.train_epoch(next(epoch)), repeats)
    return [_row("train step", "64x64, batch 8, 1 process", 64, seconds, "demo model, fp32, loader in-process")]


def measure_ray(root: Path) -> list[Row]:
    import ray

    spec = dataset_at(root, 64, num_train=64)
    ray.init(num_cpus=2)
    try:
        train = TrainConfig(epochs=2, batch_size=2, lr=5e-3, warmup_iters=2)
        result = fit_model(demo_model_config(), train, spec, ScalingSpec(num_workers=2), "bench", str(root / "ray"))
    finally:
        ray.shutdown()
    rates = [row["train/images_per_s"] for row in result.history]
    train_s = sum(64 / r for r in rates)
    return [
        Row("ray fit", "64x64, 2 workers x batch 2, gloo", statistics.median(rates),
            f"{min(rates):.0f}..{max(rates):.0f}", result.wall_time_s,
            f"fit wall {result.wall_time_s:.1f} s for 2 epochs; start-up + eval ≈ {result.wall_time_s - train_s:.1f} s"),
    ]


def format_markdown(rows: list[Row], machine: dict[str, Any], note: str) -> str:
    lines = [
        "# Training throughput (CPU)",
        "",
        f"Machine: {machine.get('cpu_model', '?')}, {machine.get('torch_threads', '?')} torch threads; torch "
        f"{machine.get('torch_version', '?')}; {machine.get('cpu_count', '?')} logical CPUs. {note}",
        "",
        "| stage | setting | images/s (median) | range | s per repeat | note |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(f"| {r.stage} | {r.setting} | {r.images_per_s:.1f} | {r.spread} | {r.seconds:.2f} | {r.note} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ray", action="store_true", help="also time one 2-worker Ray Train run")
    parser.add_argument("--quick", action="store_true", help="2 repeats, sizes 64 and 128 only")
    parser.add_argument("--note", default="", help="free text recorded with the results (e.g. 'shared machine')")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    repeats = 2 if args.quick else 5
    sizes = [64, 128] if args.quick else [64, 128, 256]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        rows = measure_loader(root, sizes, [0, 1], repeats) + measure_train_step(root, repeats)
        if args.ray:
            rows += measure_ray(root)
    machine = collect_fingerprint("cpu").to_dict()
    args.out.mkdir(parents=True, exist_ok=True)
    payload = {"machine": machine, "note": args.note, "rows": [r._asdict() for r in rows]}
    (args.out / "train_cpu.json").write_text(json.dumps(payload, indent=2) + "\n")
    markdown = format_markdown(rows, machine, args.note)
    (args.out / "train_cpu.md").write_text(markdown)
    sys.stdout.write(markdown)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
