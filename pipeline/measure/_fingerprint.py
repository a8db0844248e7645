"""The machine and software a timing was taken on, so two timings can be compared or not.

Timings are only comparable between identical fingerprints. On CPU, glibc's malloc thresholds
matter as much as the hardware: with the defaults, large activations are mmap'ed and unmapped on
every forward and latency swings by up to 50% between runs, so the variables that pin them are
recorded too.
"""

from __future__ import annotations

import os
import platform
import sys
from dataclasses import asdict, dataclass
from typing import Any

import torch

# Environment variables that change CPU timings without changing the code.
TIMING_ENV_VARS: tuple[str, ...] = (
    "MALLOC_MMAP_THRESHOLD_",
    "MALLOC_TRIM_THRESHOLD_",
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "LD_PRELOAD",  # jemalloc / tcmalloc replace glibc malloc entirely
)


@dataclass(frozen=True)
class Fingerprint:
    device: str  # "cpu" or the CUDA device name
    cpu_model: str
    cpu_count: int  # logical CPUs of the machine
    torch_threads: int  # intra-op threads torch uses
    torch_version: str
    cuda_version: str | None
    cudnn_version: int | None
    python_version: str
    platform: str
    env: dict[str, str | None]  # TIMING_ENV_VARS, None when unset

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _cpu_model() -> str:
    """The CPU's marketing name: /proc/cpuinfo on Linux, `platform.processor()` elsewhere."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def collect_fingerprint(device: str = "cpu") -> Fingerprint:
    """Fingerprint of this process for timings on `device` ("cpu", "cuda" or "cuda:N")."""
    on_cuda = device.startswith("cuda") and torch.cuda.is_available()
    cudnn = torch.backends.cudnn.version() if torch.backends.cudnn.is_available() else None
    return Fingerprint(
        device=torch.cuda.get_device_name(torch.device(device)) if on_cuda else "cpu",
        cpu_model=_cpu_model(),
        cpu_count=os.cpu_count() or 0,
        torch_threads=torch.get_num_threads(),
        torch_version=torch.__version__,
        cuda_version=torch.version.cuda,
        cudnn_version=cudnn,
        python_version=sys.version.split()[0],
        platform=platform.platform(),
        env={name: os.environ.get(name) for name in TIMING_ENV_VARS},
    )
