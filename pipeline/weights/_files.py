"""Reading released checkpoints and reading/writing converted weight files.

Every read uses `torch.load(..., weights_only=True)`: a checkpoint is data, never code. A
converted file is `{"format": FORMAT, "model_config": dict, "state_dict": {segnas key: tensor},
"source": str, "layout": str}`, the same shape as a training run's `model.pt` plus provenance.
"""

from __future__ import annotations

import os
import pickle
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import torch

try:  # numpy >= 2
    from numpy._core import multiarray
except ImportError:  # numpy 1.26
    from numpy.core import multiarray  # type: ignore[no-redef]

from pipeline.model_configs import ConfigError

FORMAT = "segnas-weights/1"
_CONTAINERS = ("state_dict", "model")  # mmseg and mmcv save under state_dict; CCNet's loader accepts model
_WRAPPER = "module."  # DataParallel / DistributedDataParallel
# Released checkpoints keep training metadata next to the weights, sometimes with numpy scalars or
# arrays (seeds, palettes); rebuilding those is data, so these constructors join torch's allow-list.
_NUMPY_DATA = [
    multiarray.scalar,
    multiarray._reconstruct,
    np.ndarray,
    np.dtype,
    *(type(np.dtype(t)) for t in ("bool", "int32", "int64", "float32", "float64", "uint8")),
]


class WeightsError(ConfigError):
    """A weight file that cannot be converted or loaded; the message names the file and the keys."""


def _load(path: Path, mmap: bool = False) -> Any:
    if not path.is_file():
        raise WeightsError(f"{path}: no such file")
    try:
        with torch.serialization.safe_globals(_NUMPY_DATA):
            return torch.load(path, map_location="cpu", weights_only=True, mmap=mmap)
    except (pickle.UnpicklingError, RuntimeError, EOFError, OSError) as error:
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise WeightsError(f"{path}: not a readable torch checkpoint of tensors ({first_line})") from None


def read_release_checkpoint(path: str | Path) -> dict[str, torch.Tensor]:
    """The flat state_dict of a released checkpoint: unwrapped from `state_dict`/`model`, without a
    `module.` prefix that every key carries."""
    path = Path(path)
    data = _load(path)
    for container in _CONTAINERS:
        if isinstance(data, dict) and isinstance(data.get(container), dict):
            data = data[container]
            break
    if not isinstance(data, dict) or not data:
        raise WeightsError(f"{path}: expected a state_dict (a mapping of names to tensors), got {type(data).__name__}")
    bad = [k for k, v in data.items() if not isinstance(k, str) or not isinstance(v, torch.Tensor)]
    if bad:
        raise WeightsError(f"{path}: entries that are not named tensors: {', '.join(map(str, bad[:5]))}")
    if all(k.startswith(_WRAPPER) for k in data):
        data = {k.removeprefix(_WRAPPER): v for k, v in data.items()}
    return data


def save_converted(
    path: str | Path, state_dict: dict[str, torch.Tensor], model_config: dict[str, Any], source: str, layout: str
) -> None:
    """Write atomically: a half-written file never replaces a good one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {"format": FORMAT, "model_config": model_config, "state_dict": state_dict,
               "source": source, "layout": layout}
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        torch.save(payload, tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def read_converted(path: str | Path) -> dict[str, Any]:
    """A file written by `save_converted` (`segnas weights convert`) or a training run's `model.pt`.

    Memory-mapped: checking a spec against a large file reads only the tensors it touches.
    """
    path = Path(path)
    data = _load(path, mmap=True)
    known = isinstance(data, dict) and (data.get("format") == FORMAT or "model_config" in data)
    if not known or not isinstance(data.get("state_dict"), dict):
        raise WeightsError(
            f"{path}: not a converted weight file (expected format {FORMAT!r}); "
            f"convert a released checkpoint first: segnas weights convert {path} --preset NAME -o OUT.pt"
        )
    return data
