"""The latency protocol: warm up, time many forwards, report the median and the p10–p90 spread.

One forward of one batch is one sample. The median, not the mean, is the headline: CPU timings on
a shared machine have a long right tail (allocator, other processes), and a mean would chase it.
On CUDA each sample is bracketed by CUDA events, so it is the GPU's time, not the launch time.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from pipeline.measure._macs import eval_mode, example_images
from pipeline.measure._settings import LatencySettings, SettingsError


@dataclass(frozen=True)
class LatencyStats:
    """Timed forwards of one batch, in milliseconds."""

    median_ms: float
    p10_ms: float
    p90_ms: float
    mean_ms: float
    min_ms: float
    max_ms: float
    first_call_ms: float | None  # the first warm-up call: compilation and lazy initialisation show here
    batch: int
    samples_ms: tuple[float, ...]

    @property
    def repeats(self) -> int:
        return len(self.samples_ms)

    @property
    def fps(self) -> float:
        """Images per second at the median latency."""
        return self.batch * 1000.0 / self.median_ms

    @property
    def spread_pct(self) -> float:
        """(p90 − p10) / median × 100: how far apart two honest runs may land."""
        return (self.p90_ms - self.p10_ms) / self.median_ms * 100.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "median": self.median_ms,
            "p10": self.p10_ms,
            "p90": self.p90_ms,
            "mean": self.mean_ms,
            "min": self.min_ms,
            "max": self.max_ms,
            "first_call": self.first_call_ms,
            "repeats": self.repeats,
            "spread_pct": self.spread_pct,
        }


def summarize_samples(samples_ms: list[float], batch: int, first_call_ms: float | None = None) -> LatencyStats:
    """Order statistics of the samples (linear interpolation, so p10 <= median <= p90 always)."""
    if not samples_ms:
        raise ValueError("summarize_samples: expected at least one sample")
    values = np.asarray(samples_ms, dtype=np.float64)
    p10, median, p90 = (float(v) for v in np.percentile(values, [10, 50, 90]))
    return LatencyStats(
        median_ms=median,
        p10_ms=p10,
        p90_ms=p90,
        mean_ms=float(values.mean()),
        min_ms=float(values.min()),
        max_ms=float(values.max()),
        first_call_ms=first_call_ms,
        batch=batch,
        samples_ms=tuple(float(v) for v in values),
    )


@contextlib.contextmanager
def _prepared(model: nn.Module, settings: LatencySettings) -> Iterator[nn.Module]:
    """The model on the measured device and memory format; both restored afterwards."""
    first = next(model.parameters(), None)
    home = first.device if first is not None else torch.device("cpu")
    model.to(settings.device)
    if settings.channels_last:
        model.to(memory_format=torch.channels_last)
    try:
        with eval_mode(model):
            yield model
    finally:
        if settings.channels_last:
            model.to(memory_format=torch.contiguous_format)
        model.to(home)


def _timer(device: torch.device) -> Callable[[Callable[[], object]], float]:
    """A function that runs one call and returns its milliseconds on `device`."""
    if device.type == "cuda":

        def cuda_time(call: Callable[[], object]) -> float:
            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            start.record()
            call()
            end.record()
            end.synchronize()
            return float(start.elapsed_time(end))

        return cuda_time

    def cpu_time(call: Callable[[], object]) -> float:
        start = time.perf_counter_ns()
        call()
        return (time.perf_counter_ns() - start) / 1e6

    return cpu_time


def _inputs(settings: LatencySettings) -> tuple[torch.device, torch.Tensor, contextlib.AbstractContextManager[Any]]:
    """The device, the example batch in the requested memory format, and the autocast context."""
    settings.check_available()
    device = torch.device(settings.device)
    images = example_images(settings.batch, settings.height, settings.width, device)
    if settings.channels_last:
        images = images.contiguous(memory_format=torch.channels_last)
    dtype = settings.autocast_dtype
    autocast = torch.autocast(device.type, dtype=dtype) if dtype is not None else contextlib.nullcontext()
    return device, images, autocast


def measure_latency(model: nn.Module, settings: LatencySettings) -> LatencyStats:
    """Time `model` under `settings` (eval mode, inference mode, autocast for fp16/bf16)."""
    device, images, autocast = _inputs(settings)
    timer = _timer(device)
    with _prepared(model, settings), torch.inference_mode(), autocast:
        if settings.compile:
            # Compiled graphs of earlier models would count against dynamo's recompile limit.
            torch._dynamo.reset()
            runner: Callable[[torch.Tensor], object] = torch.compile(model)
        else:
            runner = model
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        first_call_ms = timer(lambda: runner(images)) if settings.warmup > 0 else None
        for _ in range(settings.warmup - 1):
            runner(images)
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        samples = [timer(lambda: runner(images)) for _ in range(settings.repeats)]
    return summarize_samples(samples, settings.batch, first_call_ms)


def measure_latency_variants(
    model: nn.Module, settings: LatencySettings, variants: Sequence[Callable[[nn.Module], None]]
) -> list[LatencyStats]:
    """Time several variants of one model interleaved; one LatencyStats per variant, in order.

    Each variant is a function that reconfigures the model in place (for example switches its ISR
    factors). Every round times each variant once, so a change in the machine's load during the
    measurement hits all variants alike and their comparison stays fair. Not for `compile`:
    switching variants would recompile the graph inside the timed calls.
    """
    if settings.compile:
        raise SettingsError("measure_latency_variants: compile=True is not supported (variants would recompile)")
    if not variants:
        raise SettingsError("measure_latency_variants: expected at least one variant")
    device, images, autocast = _inputs(settings)
    timer = _timer(device)
    samples: list[list[float]] = [[] for _ in variants]
    first_calls: list[float | None] = [None for _ in variants]
    with _prepared(model, settings), torch.inference_mode(), autocast:
        for i, configure in enumerate(variants):
            configure(model)
            first_calls[i] = timer(lambda: model(images)) if settings.warmup > 0 else None
            for _ in range(settings.warmup - 1):
                model(images)
        for _ in range(settings.repeats):
            for i, configure in enumerate(variants):
                configure(model)
                samples[i].append(timer(lambda: model(images)))
    return [summarize_samples(s, settings.batch, f) for s, f in zip(samples, first_calls)]
