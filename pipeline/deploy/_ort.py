"""ONNX Runtime: sessions, the ONNX check against PyTorch, and latency under the project's protocol.

The latency protocol is `pipeline.measure`'s (warm-up calls, then timed calls; median and
p10–p90 of the samples), applied to an ONNX Runtime CPU session of the model exported at the
measured size. Threads: ONNX Runtime's intra-op pool gets torch's thread count, so a comparison
with eager PyTorch in the same process uses the same cores; `time_graphs` (the search's benchmark)
is given its count explicitly.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from pipeline.deploy._export import (
    INPUT_NAME,
    ExportError,
    ExportSettings,
    example_input,
    fixed_random_init,
    max_abs_error,
    onnx_bytes,
    tolerance,
)
from pipeline.measure import LatencySettings, LatencyStats, SettingsError, summarize_samples

RUNTIMES = ("torch", "onnxruntime")


def ort_session(model_bytes: bytes, threads: int | None = None) -> object:
    """A CPU InferenceSession with full graph optimisation."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads if threads is not None else torch.get_num_threads()
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3  # warnings about unfoldable constants are not the user's to act on
    # Idle pool threads would otherwise spin after each run and take the cores from whatever runs
    # next (a torch model timed in the same rounds, another trial on the node).
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(model_bytes, options, providers=["CPUExecutionProvider"])


def run_session(session: object, images: torch.Tensor) -> torch.Tensor:
    outputs = session.run(None, {INPUT_NAME: images.detach().cpu().numpy().astype(np.float32)})  # type: ignore[attr-defined]
    return torch.from_numpy(outputs[0])


@dataclass(frozen=True)
class OnnxCheck:
    height: int
    width: int
    max_abs_error: float
    tolerance: float

    @property
    def passed(self) -> bool:
        return self.max_abs_error <= self.tolerance


def check_onnx(model: nn.Module, model_bytes: bytes, sizes: list[tuple[int, int]]) -> list[OnnxCheck]:
    """`onnx.checker` on the file, then ONNX Runtime against eager PyTorch at each size.

    A model with a random draw in its forward must be exported and checked inside
    `fixed_random_init` (see there); `verify_onnx` does both.
    """
    import onnx

    try:
        onnx.checker.check_model(onnx.load_from_string(model_bytes), full_check=True)
    except onnx.checker.ValidationError as error:
        raise ExportError(f"onnx.checker rejects the exported graph: {str(error).splitlines()[0]}") from None
    session = ort_session(model_bytes)
    checks = []
    for seed, (height, width) in enumerate(sizes):
        images = example_input(height, width, seed=seed)
        with torch.no_grad():
            expected = model.eval()(images)
        actual = run_session(session, images)
        checks.append(OnnxCheck(height, width, max_abs_error(expected, actual), tolerance(expected)))
    return checks


def verify_onnx(model: nn.Module, settings: ExportSettings, sizes: list[tuple[int, int]]) -> list[OnnxCheck]:
    """Export as `settings` say and check the graph at `sizes`; random draws fixed for the check."""
    images = example_input(settings.height, settings.width)
    with fixed_random_init(model, images):
        return check_onnx(model, onnx_bytes(model, images, settings.dynamic, settings.opset), sizes)


def measure_ort_latency(model: nn.Module, settings: LatencySettings) -> LatencyStats:
    """Latency of `model` exported at the settings' size and run by ONNX Runtime on the CPU."""
    return time_sessions([ort_session(latency_graph(model, settings))], settings)[0]


def latency_graph(model: nn.Module, settings: LatencySettings) -> bytes:
    """`model` (eval mode, CPU) exported to ONNX with the fixed input shape the settings time."""
    check_ort_settings(settings)
    return onnx_bytes(model.eval().cpu(), example_input(settings.height, settings.width, settings.batch), dynamic=False)


def check_ort_settings(settings: LatencySettings) -> None:
    """ONNX Runtime latency is measured on the CPU in fp32; torch-only modes are refused."""
    if settings.device_type != "cpu" or settings.precision != "fp32" or settings.compile or settings.channels_last:
        raise SettingsError(
            "runtime onnxruntime: expected device cpu, precision fp32, no compile and no channels-last "
            f"(the ONNX Runtime CPU session has its own kernels and layouts), got {settings.mode} "
            f"{settings.precision} on {settings.device}"
        )


def time_graphs(graphs: list[bytes], settings: LatencySettings, threads: int) -> list[LatencyStats]:
    """Latency of several ONNX graphs in sessions of `threads` intra-op threads (see `time_sessions`)."""
    check_ort_settings(settings)
    return time_sessions([ort_session(graph, threads) for graph in graphs], settings)


def time_sessions(sessions: list[object], settings: LatencySettings) -> list[LatencyStats]:
    """Warm-up calls, then timed calls of every session, interleaved round by round (as
    `measure_latency_variants` times ISR variants), so a change of load hits all sessions alike."""
    if not sessions:
        raise SettingsError("time_sessions: expected at least one session")
    images = {INPUT_NAME: example_input(settings.height, settings.width, settings.batch).numpy()}
    first_calls: list[float | None] = []
    for session in sessions:
        first_calls.append(_timed(session, images) if settings.warmup > 0 else None)
        for _ in range(settings.warmup - 1):
            session.run(None, images)  # type: ignore[attr-defined]
    samples: list[list[float]] = [[] for _ in sessions]
    for _ in range(settings.repeats):
        for session, timings in zip(sessions, samples):
            timings.append(_timed(session, images))
    return [summarize_samples(s, settings.batch, f) for s, f in zip(samples, first_calls)]


def _timed(session: object, images: dict[str, np.ndarray]) -> float:
    start = time.perf_counter_ns()
    session.run(None, images)  # type: ignore[attr-defined]
    return (time.perf_counter_ns() - start) / 1e6
