"""How a latency measurement is taken, validated where it enters.

Every error names the argument and the allowed values, so a typo on the command line or in a
benchmark script fails before a model is built.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar

import torch

from pipeline.measure._isr_text import SettingsError, format_isr, parse_isr  # noqa: F401  (re-exported)

PRECISIONS: tuple[str, ...] = ("fp32", "fp16", "bf16")
DEVICES: tuple[str, ...] = ("cpu", "cuda")

# Reduced precisions run under autocast: weights stay fp32, autocast picks the per-op dtype, as
# mixed-precision inference does in practice.
AUTOCAST_DTYPES: dict[str, torch.dtype] = {"fp16": torch.float16, "bf16": torch.bfloat16}

_DEVICE_PATTERN = re.compile(r"^(cpu|cuda)(:\d+)?$")


def _check_int(name: str, value: object, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise SettingsError(f"{name}: expected an integer >= {minimum}, got {value!r}")


@dataclass(frozen=True)
class LatencySettings:
    """One latency protocol: where, on what input, in which numeric mode, how many repeats."""

    height: int
    width: int
    batch: int = 1
    device: str = "cpu"  # "cpu", "cuda" or "cuda:N"
    precision: str = "fp32"  # fp32, or fp16 / bf16 under autocast
    channels_last: bool = False  # NHWC memory format for model and input
    compile: bool = False  # torch.compile (default mode); compilation happens in the warm-up
    warmup: int = 10  # untimed calls: allocator, oneDNN/cuDNN algorithm choice, compile
    repeats: int = 50  # timed calls; enough for stable p10/p90 on a quiet machine

    allowed: ClassVar[str] = f"devices {DEVICES}, precisions {PRECISIONS}"

    def __post_init__(self) -> None:
        _check_int("height", self.height, 1)
        _check_int("width", self.width, 1)
        _check_int("batch", self.batch, 1)
        _check_int("warmup", self.warmup, 0)
        _check_int("repeats", self.repeats, 1)
        if not isinstance(self.device, str) or not _DEVICE_PATTERN.match(self.device):
            raise SettingsError(f"device: expected one of {list(DEVICES)} (or 'cuda:N'), got {self.device!r}")
        if self.precision not in PRECISIONS:
            raise SettingsError(f"precision: expected one of {list(PRECISIONS)}, got {self.precision!r}")
        if self.device_type == "cpu" and self.precision == "fp16":
            raise SettingsError(
                "precision: fp16 is not supported on device 'cpu'; use 'fp32' or 'bf16' on cpu, "
                "or device 'cuda' for fp16"
            )
        for flag in ("channels_last", "compile"):
            if not isinstance(getattr(self, flag), bool):
                raise SettingsError(f"{flag}: expected True or False, got {getattr(self, flag)!r}")
        if self.compile and self.warmup < 1:
            raise SettingsError(
                f"warmup: torch.compile compiles on the first call, so expected warmup >= 1 with compile=True, "
                f"got {self.warmup!r}"
            )

    @property
    def device_type(self) -> str:
        return self.device.split(":")[0]

    @property
    def autocast_dtype(self) -> torch.dtype | None:
        return AUTOCAST_DTYPES.get(self.precision)

    @property
    def mode(self) -> str:
        """Short label of the execution mode: eager, channels-last, compiled, compiled+channels-last."""
        parts = (["compiled"] if self.compile else []) + (["channels-last"] if self.channels_last else [])
        return "+".join(parts) or "eager"

    def check_available(self) -> None:
        """Fail clearly when the requested device is not on this machine."""
        if self.device_type == "cuda" and not torch.cuda.is_available():
            raise SettingsError(f"device: {self.device!r} requested but CUDA is not available here; use 'cpu'")
        if self.device_type == "cuda" and self.precision == "bf16" and not torch.cuda.is_bf16_supported():
            raise SettingsError(f"precision: bf16 is not supported by {torch.cuda.get_device_name()}; use fp16 or fp32")
