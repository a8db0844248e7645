"""Benchmark: latency of every preset in four runtimes — eager, channels-last, torch.compile and
ONNX Runtime — interleaved in one process.

Not a test. Per preset, the four runners are built first (the compile and the ONNX export happen
before timing; the compile's first call is in the warm-up), then every round times each runner
once, in an order that rotates from round to round, so a change of machine load while a preset
is timed hits all four alike. Medians and p10–p90 of the rounds; the load average before and
after each preset is recorded beside the numbers, because this CPU is shared.

    flock /work/timing.lock python bench/runtimes.py --presets segnext_t sctnet_s
    python bench/runtimes.py --table      # rebuild the Markdown table from the JSON only

Results of runs over different preset subsets merge into bench/results/runtimes_<device>.json
(one entry per preset, the latest run wins) and runtimes_<device>.md.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from pipeline.deploy import example_input, onnx_bytes, ort_session
from pipeline.measure import collect_fingerprint, format_fingerprint, summarize_samples
from pipeline.models import PRESETS, build_model

RUNTIMES = ("eager", "channels-last", "compiled", "onnxruntime")
RESULTS = Path(__file__).parent / "results"


def build_runners(preset: str, height: int, width: int) -> dict[str, Callable[[], object]]:
    """One zero-argument call per runtime, each on its own copy of the model and input."""
    torch.manual_seed(0)
    model = build_model(preset).eval()
    images = example_input(height, width)
    channels_last = copy.deepcopy(model).to(memory_format=torch.channels_last)
    images_cl = images.contiguous(memory_format=torch.channels_last)
    torch._dynamo.reset()
    compiled = torch.compile(copy.deepcopy(model))
    session = ort_session(onnx_bytes(model, images, dynamic=False))
    feed = {"images": images.numpy()}

    def eager() -> object:
        return model(images)

    def last() -> object:
        return channels_last(images_cl)

    def compiled_call() -> object:
        return compiled(images)

    def ort_call() -> object:
        return session.run(None, feed)

    return {"eager": eager, "channels-last": last, "compiled": compiled_call, "onnxruntime": ort_call}


def time_preset(preset: str, height: int, width: int, warmup: int, repeats: int) -> dict[str, Any]:
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    runners = build_runners(preset, height, width)
    first: dict[str, float] = {}
    samples: dict[str, list[float]] = {name: [] for name in runners}
    with torch.inference_mode():
        for name, call in runners.items():
            for i in range(warmup):
                start = time.perf_counter_ns()
                call()
                if i == 0:
                    first[name] = (time.perf_counter_ns() - start) / 1e6
        names = list(runners)
        for round_index in range(repeats):
            shift = round_index % len(names)
            for name in names[shift:] + names[:shift]:
                start = time.perf_counter_ns()
                runners[name]()
                samples[name].append((time.perf_counter_ns() - start) / 1e6)
    stats = {name: summarize_samples(values, 1, first.get(name)).to_dict() for name, values in samples.items()}
    return {
        "preset": preset,
        "input": [1, 3, height, width],
        "warmup": warmup,
        "repeats": repeats,
        "latency_ms": stats,
        "load_average_1min": [load_before, os.getloadavg()[0]],
        "wall_s": time.perf_counter() - started,
    }


def markdown(results: dict[str, Any]) -> str:
    lines = [
        f"# Latency by runtime, batch 1, {results['size']} — {results['device_label']}",
        "",
        f"Fingerprint: {results['fingerprint']}",
        "",
        "Interleaved in one process per preset (bench/runtimes.py): median ms (p10–p90), "
        f"{results['threads']} thread(s) for torch and ONNX Runtime alike. The load average (1 min) before/after "
        "each preset is shown: this CPU is shared with other jobs, so read ratios within a row, not across rows.",
        "",
        "| preset | " + " | ".join(RUNTIMES) + " | ORT vs eager | load before/after |",
        "|---|" + "---|" * (len(RUNTIMES) + 2),
    ]
    for preset in PRESETS:
        entry = results["presets"].get(preset)
        if entry is None:
            continue
        stats = entry["latency_ms"]
        cells = [f"{stats[r]['median']:.0f} ({stats[r]['p10']:.0f}–{stats[r]['p90']:.0f})" for r in RUNTIMES]
        speedup = stats["eager"]["median"] / stats["onnxruntime"]["median"]
        load = "/".join(f"{v:.1f}" for v in entry["load_average_1min"])
        lines.append(f"| {preset} | " + " | ".join(cells) + f" | {speedup:.2f}× | {load} |")
    missing = [p for p in PRESETS if p not in results["presets"]]
    if missing:
        lines += ["", "Not measured yet: " + ", ".join(missing)]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presets", nargs="+", default=list(PRESETS), choices=list(PRESETS))
    parser.add_argument("--size", nargs=2, type=int, default=(512, 512), metavar=("H", "W"))
    parser.add_argument("--warmup", type=int, default=3, help="untimed calls per runtime (compile happens here)")
    parser.add_argument("--repeats", type=int, default=10, help="interleaved rounds")
    parser.add_argument("--threads", type=int, default=1,
                        help="threads of torch and of ONNX Runtime (default 1: on a CPU shared with other jobs, OpenMP "
                             "teams of several threads stall on each other and swamp the comparison)")
    parser.add_argument("--table", action="store_true", help="only rewrite the Markdown from the JSON")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    fingerprint = collect_fingerprint("cpu")
    stem = RESULTS / "runtimes_cpu"
    path = stem.with_suffix(".json")
    results = json.loads(path.read_text()) if path.is_file() else {"presets": {}}
    size = f"{args.size[0]}×{args.size[1]}"
    if not args.table:
        for preset in args.presets:
            entry = time_preset(preset, args.size[0], args.size[1], args.warmup, args.repeats)
            results["presets"][preset] = entry
            results.update(size=size, threads=args.threads, fingerprint=format_fingerprint(fingerprint),
                           device_label=f"{fingerprint.cpu_model}, {fingerprint.cpu_count} cores (CPU only, shared)")
            RESULTS.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
            medians = {r: round(s["median"], 1) for r, s in entry["latency_ms"].items()}
            print(f"{preset}: {medians} ms, load {entry['load_average_1min']}, {entry['wall_s']:.0f}s", flush=True)
    table = markdown(results)
    stem.with_suffix(".md").write_text(table)
    print(table)


if __name__ == "__main__":
    main()
