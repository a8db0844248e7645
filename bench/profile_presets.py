"""Benchmark: parameters, GMACs and latency of every preset, eager vs channels-last vs compiled.

Not a test. MAC counts are deterministic and cheap next to timing; latencies need a quiet machine
(on a shared CPU they swing by tens of percent), so the script records the fingerprint with the
numbers and takes options to run a subset:

    python bench/profile_presets.py                                   # everything, CPU (+ CUDA if present)
    python bench/profile_presets.py --presets segnext_t --sizes 512x512 --modes eager --repeats 5
    python bench/profile_presets.py --no-latency                      # GMACs of every preset at both sizes

For steadier CPU timings pin glibc's malloc thresholds first (they are recorded in the fingerprint):

    MALLOC_MMAP_THRESHOLD_=17179869184 MALLOC_TRIM_THRESHOLD_=17179869184 python bench/profile_presets.py

Writes bench/results/profile_<device>.json and .md, and prints the Markdown.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from pipeline.measure import (
    LatencySettings,
    MacCount,
    collect_fingerprint,
    count_macs,
    example_images,
    format_fingerprint,
    format_table,
    measure_latency,
    reference_count,
)
from pipeline.models import PRESETS, build_model, count_parameters

MODES: dict[str, dict[str, bool]] = {
    "eager": {},
    "channels-last": {"channels_last": True},
    "compiled": {"compile": True},
}


@dataclass(frozen=True)
class Published:
    gmacs: float
    counts: str  # "all": every MAC; "hook-visible": module hooks only (misses functional convs, matmuls)
    note: str


# Published GMACs (per image; the papers say FLOPs but count multiply-accumulates).
PUBLISHED: dict[tuple[str, int, int], Published] = {
    ("segnext_t", 512, 512): Published(7.0, "all", "SegNeXt, ADE20K 150 classes"),
    ("segnext_s", 512, 512): Published(16.0, "all", "SegNeXt, ADE20K 150 classes"),
    ("segnext_b", 512, 512): Published(35.0, "all", "SegNeXt, ADE20K 150 classes"),
    ("segnext_l", 512, 512): Published(70.0, "all", "SegNeXt, ADE20K 150 classes"),
    ("edaformer_t", 512, 512): Published(5.6, "all", "EDAFormer, ADE20K 150 classes"),
    ("sctnet_b", 1024, 2048): Published(112.3, "hook-visible", "SCTNet, counted with module hooks"),
    ("sctnet_b", 512, 1024): Published(28.1, "hook-visible", "SCTNet, counted with module hooks"),
    ("sctnet_s", 512, 1024): Published(7.1, "hook-visible", "SCTNet, counted with module hooks"),
}

LARGE_PIXELS = 512 * 1024  # inputs above this get the "large" repeat counts


def parse_size(text: str) -> tuple[int, int]:
    try:
        height, width = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"size: expected HxW such as 512x512, got {text!r}") from None
    if height < 1 or width < 1:
        raise argparse.ArgumentTypeError(f"size: expected positive HxW, got {text!r}")
    return height, width


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--presets", nargs="+", default=list(PRESETS), choices=list(PRESETS), metavar="PRESET")
    parser.add_argument("--sizes", nargs="+", type=parse_size, default=[(512, 512), (1024, 2048)], metavar="HxW")
    parser.add_argument("--modes", nargs="+", default=list(MODES), choices=list(MODES))
    parser.add_argument("--devices", nargs="+", default=None, choices=["cpu", "cuda"],
                        help="default: cpu, plus cuda when available")
    parser.add_argument("--precision", default="fp32", help="fp32, or fp16/bf16 under autocast")
    parser.add_argument("--repeats", type=int, default=20, help="timed forwards for inputs up to 512×1024")
    parser.add_argument("--repeats-large", type=int, default=3, help="timed forwards for larger inputs")
    parser.add_argument("--warmup", type=int, default=3, help="untimed forwards (>= 1: compile happens here)")
    parser.add_argument("--warmup-large", type=int, default=1)
    parser.add_argument("--no-latency", action="store_true", help="count parameters and GMACs only")
    parser.add_argument("--no-reference", action="store_true", help="skip the FlopCounterMode cross-check")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    return parser


def count_row(preset: str, size: tuple[int, int], device: str, with_reference: bool) -> tuple[dict[str, Any], Any]:
    """Parameters and MACs of one preset at one size, with the published figure when there is one."""
    model = build_model(preset).to(device)
    images = example_images(1, *size, device)
    macs: MacCount = count_macs(model, images)
    reference = reference_count(model, images) if with_reference else None
    published = PUBLISHED.get((preset, *size))
    comparable = None
    if published is not None:
        comparable = macs.gmacs if published.counts == "all" else macs.hook_visible_gmacs
    row = {
        "preset": preset,
        "height": size[0],
        "width": size[1],
        "num_classes": model.config.num_classes,
        "params": count_parameters(model),
        "gmacs": macs.gmacs,
        "gmacs_hook_visible": macs.hook_visible_gmacs,
        "gmacs_by_operator": {op: n / 1e9 for op, n in macs.by_operator.items()},
        "unsupported_ops": macs.unsupported,
        "flop_counter_gmacs": None if reference is None else reference.macs / 1e9,
        "flop_counter_device": None if reference is None else reference.device,
        "published_gmacs": None if published is None else published.gmacs,
        "published_counts": None if published is None else published.counts,
        "published_note": None if published is None else published.note,
        "diff_vs_published_pct": None if comparable is None else (comparable / published.gmacs - 1) * 100,
    }
    return row, model


def latency_row(model: Any, preset: str, size: tuple[int, int], mode: str, device: str, args: Any) -> dict[str, Any]:
    large = size[0] * size[1] > LARGE_PIXELS
    settings = LatencySettings(
        height=size[0],
        width=size[1],
        device=device,
        precision=args.precision,
        warmup=args.warmup_large if large else args.warmup,
        repeats=args.repeats_large if large else args.repeats,
        **MODES[mode],
    )
    try:
        stats = measure_latency(model, settings)
    except Exception as error:  # one mode failing (e.g. compile without a compiler) must not end the run
        return {"preset": preset, "height": size[0], "width": size[1], "mode": mode, "error": repr(error)[:300]}
    return {
        "preset": preset,
        "height": size[0],
        "width": size[1],
        "mode": settings.mode,
        "precision": settings.precision,
        "latency_ms": stats.to_dict(),
        "fps": stats.fps,
    }


def _fmt(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def markdown(device: str, counts: list[dict[str, Any]], latencies: list[dict[str, Any]], fingerprint: str) -> str:
    count_cols = ["preset", "input", "params (M)", "GMACs", "GMACs hook-visible", "FlopCounterMode GMACs",
                  "published GMACs", "Δ vs published", "unsupported ops"]
    count_cells = [
        {
            "preset": r["preset"],
            "input": f"{r['height']}×{r['width']}",
            "params (M)": f"{r['params'] / 1e6:.2f}",
            "GMACs": _fmt(r["gmacs"]),
            "GMACs hook-visible": _fmt(r["gmacs_hook_visible"]),
            "FlopCounterMode GMACs": _fmt(r["flop_counter_gmacs"]),
            "published GMACs": "-" if r["published_gmacs"] is None
            else f"{r['published_gmacs']} ({r['published_counts']})",
            "Δ vs published": "-" if r["diff_vs_published_pct"] is None else f"{r['diff_vs_published_pct']:+.1f}%",
            "unsupported ops": ", ".join(f"{k}×{v}" for k, v in r["unsupported_ops"].items()) or "none",
        }
        for r in counts
    ]
    lat_cols = ["preset", "input", "mode", "precision", "median ms", "p10–p90 ms", "spread", "FPS"]
    lat_cells = []
    for r in latencies:
        cell = {"preset": r["preset"], "input": f"{r['height']}×{r['width']}", "mode": r["mode"]}
        if "error" in r:
            cell["median ms"] = "error: " + r["error"][:80]
        else:
            lat = r["latency_ms"]
            cell |= {
                "precision": r["precision"],
                "median ms": _fmt(lat["median"]),
                "p10–p90 ms": f"{lat['p10']:.2f}–{lat['p90']:.2f}",
                "spread": f"{lat['spread_pct']:.0f}%",
                "FPS": _fmt(r["fps"]),
            }
        lat_cells.append(cell)
    parts = [
        f"# Preset profile on {device}",
        "",
        "GMACs are multiply-accumulates per image (batch 1). \"hook-visible\" is what a module-hook "
        "counter sees (nn.Conv*/nn.Linear only): it misses functional convs and attention matmuls, "
        "which is how SCTNet's published figure was counted.",
        "",
        format_table(count_cells, count_cols, markdown=True),
    ]
    if lat_cells:
        parts += ["", "## Latency (batch 1; median of the timed repeats, p10–p90 spread)", "",
                  format_table(lat_cells, lat_cols, markdown=True)]
    parts += ["", f"Fingerprint: {fingerprint}", ""]
    return "\n".join(parts)


def write_results(device: str, args: Any, counts: list[dict[str, Any]], latencies: list[dict[str, Any]]) -> str:
    """Write JSON and Markdown atomically, so an interrupted run keeps every preset finished so far."""
    fingerprint = collect_fingerprint(device)
    args.out.mkdir(parents=True, exist_ok=True)
    payload = {"device": device, "counts": counts, "latency": latencies, "fingerprint": fingerprint.to_dict()}
    text = markdown(device, counts, latencies, format_fingerprint(fingerprint))
    for suffix, content in ((".json", json.dumps(payload, indent=1)), (".md", text)):
        target = args.out / f"profile_{device}{suffix}"
        partial = target.with_suffix(suffix + ".tmp")
        partial.write_text(content, encoding="utf-8")
        partial.replace(target)
    return text


def run_device(device: str, args: Any) -> None:
    counts: list[dict[str, Any]] = []
    latencies: list[dict[str, Any]] = []
    text = ""
    for preset in args.presets:
        for size in args.sizes:
            start = time.perf_counter()
            row, model = count_row(preset, size, device, not args.no_reference)
            counts.append(row)
            print(f"[{device}] {preset} {size[0]}x{size[1]}: {row['gmacs']:.2f} GMACs "
                  f"({time.perf_counter() - start:.0f} s)", file=sys.stderr)
            if not args.no_latency:
                for mode in args.modes:
                    latencies.append(latency_row(model, preset, size, mode, device, args))
                    print(f"[{device}]   {mode}: {latencies[-1].get('latency_ms', latencies[-1].get('error'))}",
                          file=sys.stderr)
            del model
        text = write_results(device, args, counts, latencies)
    print(text)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    devices = args.devices or (["cpu", "cuda"] if torch.cuda.is_available() else ["cpu"])
    for device in devices:
        run_device(device, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
