"""Export a segmentation model to ONNX or TorchScript, and check the file against PyTorch.

ONNX goes through `torch.onnx.export(dynamo=True)`: the model is captured by `torch.export`, so
shape arithmetic is recorded symbolically and `dynamic=True` yields one graph for any height and
width. TorchScript is `torch.jit.trace`: a trace records one run, so every `TracerWarning` (a
tensor turned into a Python value, which freezes the traced input's answer into the graph) fails
the export, except the size checks inside `torch.nn.functional`'s normalisation functions,
which raise on a degenerate input and never steer the computation, and the clipping of EFA's
pooling window to a side shorter than it (`EmbeddingFreeAttention._floor_window`), which leaves
the window at the pooling ratio on every side at least that long. `dynamic=True` for
TorchScript re-runs the trace on a second input size and fails unless it matches eager.

Input: (B, 3, H, W) float32, the bundle's normalisation applied; output: logits (B, K, H, W).
"""

from __future__ import annotations

import contextlib
import inspect
import io
import logging
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from pipeline.model_configs import ConfigError
from pipeline.models.efa import EmbeddingFreeAttention

EXPORT_FORMATS = ("onnx", "torchscript")
DEFAULT_OPSET = 18  # the lowest opset the torch.export-based ONNX exporter emits directly
MAX_OPSET = 23
MIN_SIDE = 32  # every zoo model downsamples by 32 at most
INPUT_NAME, OUTPUT_NAME = "images", "logits"
DYNAMIC_MAX_SIDE = 8192


class ExportError(RuntimeError):
    """The exported graph would not compute what the model computes."""


@dataclass(frozen=True)
class ExportSettings:
    format: str  # "onnx" or "torchscript"
    height: int  # example input the graph is captured with (and fixed to, unless dynamic)
    width: int
    dynamic: bool = False  # any height and width (ONNX: symbolic dims; TorchScript: checked at a 2nd size)
    opset: int = DEFAULT_OPSET  # ONNX only

    def __post_init__(self) -> None:
        if self.format not in EXPORT_FORMATS:
            raise ConfigError(f"format: expected one of {list(EXPORT_FORMATS)}, got {self.format!r}")
        for name in ("height", "width"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < MIN_SIDE:
                raise ConfigError(f"size: expected integers >= {MIN_SIDE}, got {name} {value!r}")
        if not isinstance(self.dynamic, bool):
            raise ConfigError(f"dynamic: expected true or false, got {self.dynamic!r}")
        opset = self.opset
        if isinstance(opset, bool) or not isinstance(opset, int) or not DEFAULT_OPSET <= opset <= MAX_OPSET:
            raise ConfigError(f"opset: expected an integer in [{DEFAULT_OPSET}, {MAX_OPSET}], got {opset!r}")


def example_input(height: int, width: int, batch: int = 1, seed: int = 0) -> torch.Tensor:
    """A fixed normalised-image-like batch (B, 3, H, W)."""
    return torch.randn(batch, 3, height, width, generator=torch.Generator().manual_seed(seed))


def second_size(height: int, width: int) -> tuple[int, int]:
    """A different size with the same divisibility by 32, for checking dynamic graphs."""
    return height + 32, width + 64


def export_model(model: nn.Module, path: str | Path, settings: ExportSettings) -> Path:
    """Write `model` (eval mode, CPU) to `path` in the settings' format; returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    model = model.eval().cpu()
    images = example_input(settings.height, settings.width)
    if settings.format == "onnx":
        path.write_bytes(onnx_bytes(model, images, settings.dynamic, settings.opset))
    else:
        traced = trace_model(model, images)
        if settings.dynamic:
            check_traced(model, traced, example_input(*second_size(settings.height, settings.width), seed=1))
        traced.save(str(path))
    return path


def onnx_bytes(model: nn.Module, images: torch.Tensor, dynamic: bool, opset: int = DEFAULT_OPSET) -> bytes:
    """The serialised ONNX model of `model` captured on `images`."""
    dynamic_shapes = None
    if dynamic:
        height = torch.export.Dim("height", min=MIN_SIDE, max=DYNAMIC_MAX_SIDE)
        width = torch.export.Dim("width", min=MIN_SIDE, max=DYNAMIC_MAX_SIDE)
        dynamic_shapes = ({2: height, 3: width},)
    with _quiet_exporter(), torch.no_grad():
        program = torch.onnx.export(
            model,
            (images,),
            dynamo=True,
            opset_version=opset,
            input_names=[INPUT_NAME],
            output_names=[OUTPUT_NAME],
            dynamic_shapes=dynamic_shapes,
            # ONNX Runtime (and other engines) fold and fuse the graph when they load it; the
            # exporter's own pass over it took two thirds of the export time of segnext_t here.
            optimize=False,
            verbose=False,
        )
    if program is None:
        raise ExportError("torch.onnx.export returned no program")
    buffer = io.BytesIO()
    program.save(buffer, external_data=False)
    return buffer.getvalue()


@contextlib.contextmanager
def _quiet_exporter() -> Iterator[None]:
    """The exporter logs one line per torchvision op it cannot register; torchvision is never used here."""
    logger = logging.getLogger("torch.onnx._internal.exporter._registration")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            # torch.export's own pytree code warns about its own deprecated API.
            warnings.filterwarnings("ignore", category=FutureWarning, message=".*LeafSpec")
            yield
    finally:
        logger.setLevel(level)


def _size_check_lines() -> list[tuple[Path, int, int]]:
    """Files and line ranges of the size checks a trace may warn in (see the module doc)."""
    ranges = []
    for check in (F._verify_batch_size, F._verify_spatial_size, EmbeddingFreeAttention._floor_window):
        lines, first = inspect.getsourcelines(check)
        ranges.append((Path(inspect.getsourcefile(check)).resolve(), first, first + len(lines)))
    return ranges


def _is_size_check(warning: warnings.WarningMessage) -> bool:
    path = Path(warning.filename).resolve()
    return any(path == file and first <= warning.lineno < end for file, first, end in _size_check_lines())


def trace_model(model: nn.Module, images: torch.Tensor) -> torch.jit.ScriptModule:
    """`torch.jit.trace` that fails on any TracerWarning except the size checks; checked against eager."""
    with warnings.catch_warnings(record=True) as caught, torch.no_grad():
        warnings.simplefilter("always")
        traced = torch.jit.trace(model, (images,), check_trace=False)
    tracer = [w for w in caught if issubclass(w.category, torch.jit.TracerWarning) and not _is_size_check(w)]
    if tracer:
        shown = "; ".join(f"{Path(w.filename).name}:{w.lineno}: {str(w.message).splitlines()[0]}" for w in tracer[:3])
        raise ExportError(f"tracing {type(model).__name__} froze input-dependent values into the graph: {shown}")
    check_traced(model, traced, images)
    return traced


def check_traced(model: nn.Module, traced: torch.jit.ScriptModule, images: torch.Tensor) -> None:
    """Eager and traced outputs on `images`; both draw their random numbers from one seed."""
    with torch.no_grad():
        torch.manual_seed(0)
        expected = model(images)
        torch.manual_seed(0)
        actual = traced(images)
    error = max_abs_error(expected, actual)
    if actual.shape != expected.shape or error > tolerance(expected):
        raise ExportError(
            f"traced model differs from eager at input {tuple(images.shape)}: output {tuple(actual.shape)} vs "
            f"{tuple(expected.shape)}, max abs error {error:.3g} (tolerance {tolerance(expected):.3g})"
        )


def has_random_init(model: nn.Module) -> bool:
    """Whether the forward draws random numbers (SegNeXt's NMF starts from random bases, as released)."""
    from pipeline.models.hamburger import NMF

    return any(isinstance(module, NMF) for module in model.modules())


@contextlib.contextmanager
def fixed_random_init(model: nn.Module, images: torch.Tensor, seed: int = 0) -> Iterator[None]:
    """NMF bases drawn once per shape from `seed` instead of at every call.

    An exported graph keeps the random draw (ONNX RandomUniform), and no two runtimes draw the
    same numbers, so a comparison of runtimes exports and runs the model inside this context:
    the bases become one constant both sides use, and every other op is compared exactly. One
    eager forward on `images` draws them before anything traces the model, so a tracer sees a
    constant, not a random op.
    """
    from pipeline.models import hamburger

    original = hamburger.initial_bases
    drawn: dict[tuple[int, int, int], torch.Tensor] = {}

    def fixed(batch: int, channels: int, rank: int, device: torch.device) -> torch.Tensor:
        key = (batch, channels, rank)
        if key not in drawn:
            generator = torch.Generator().manual_seed(seed + len(drawn))
            drawn[key] = torch.rand(batch, channels, rank, generator=generator)
        return drawn[key].to(device)

    hamburger.initial_bases = fixed
    try:
        with torch.no_grad():
            model.eval()(images)
        yield
    finally:
        hamburger.initial_bases = original


def max_abs_error(expected: torch.Tensor, actual: torch.Tensor) -> float:
    if expected.shape != actual.shape:
        return float("inf")
    return float((expected.float() - actual.float()).abs().max())


def tolerance(expected: torch.Tensor) -> float:
    """Allowed max abs difference between an exported graph and eager: 1e-4 of the logits' scale.

    Kernels of another runtime sum in another order; over a deep float32 network that moves logits
    by about 1e-6 relative (measured over every preset), so 1e-4 leaves room and still catches a
    wrong op, which moves them by far more.
    """
    return 1e-4 * max(1.0, float(expected.abs().max()))
