"""Checkpoint files and RNG state; every file is read with `weights_only=True`.

A checkpoint directory holds:
    model.pt          {"model_config": dict, "state_dict": ...}: the inference model only (rank 0)
    training.pt       optimizer, scheduler, grad scaler, training-only heads, epoch, sampler epoch,
                      metrics history (rank 0)
    rng_rank<r>.pt    python / numpy / torch (and CUDA) RNG states of rank r (every rank)
Ray Train merges the directories the ranks report into one.

Only tensors and plain containers of primitives are stored, so loading never unpickles an
arbitrary object: a crafted file (a "checkpoint" that runs code when unpickled) is refused with
a `CheckpointError` naming it. The NumPy and Python RNG states, which are not plain data, are
stored as a tensor and tuples of ints. Files are written under a temporary name and renamed
complete.
"""

from __future__ import annotations

import pickle
import random
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import torch

from pipeline._atomic import atomic_write
from pipeline.model_configs import ConfigError, model_config_from_dict
from pipeline.models import SegmentationModel, build_model

MODEL_FILE = "model.pt"
TRAINING_FILE = "training.pt"


class CheckpointError(ConfigError):
    """A checkpoint file that cannot be read safely (truncated, not a checkpoint, or not plain data)."""


def rng_file(rank: int) -> str:
    return f"rng_rank{rank}.pt"


def save_file(payload: Any, path: Path) -> None:
    atomic_write(Path(path), lambda tmp: torch.save(payload, tmp))


def load_file(path: Path, map_location: str | torch.device = "cpu") -> Any:
    """`torch.load(weights_only=True)`; a file that is unreadable or not plain data raises CheckpointError."""
    path = Path(path)
    try:
        return torch.load(path, map_location=map_location, weights_only=True)
    except FileNotFoundError:
        raise CheckpointError(f"{path}: no such file") from None
    except pickle.UnpicklingError as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else "refused"
        raise CheckpointError(f"{path}: not a plain-data checkpoint, refused without running it ({first})") from None
    except (RuntimeError, EOFError, zipfile.BadZipFile, OSError, ValueError) as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise CheckpointError(f"{path}: unreadable checkpoint file ({first})") from None


def rng_state() -> dict[str, Any]:
    kind, keys, pos, has_gauss, cached = np.random.get_state()
    version, internal, gauss = random.getstate()
    state: dict[str, Any] = {
        "python": (version, tuple(internal), gauss),
        "numpy": {"kind": str(kind), "keys": torch.from_numpy(np.asarray(keys, dtype=np.int64)), "pos": int(pos),
                  "has_gauss": int(has_gauss), "cached_gaussian": float(cached)},
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    version, internal, gauss = state["python"]
    random.setstate((version, tuple(internal), gauss))
    n = state["numpy"]
    np.random.set_state((n["kind"], n["keys"].numpy().astype(np.uint32), n["pos"], n["has_gauss"],
                         n["cached_gaussian"]))
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def save_model_file(directory: Path, model: SegmentationModel, model_config: dict[str, Any]) -> None:
    save_file({"model_config": model_config, "state_dict": model.state_dict()}, directory / MODEL_FILE)


def load_checkpoint_model(checkpoint_path: str | Path, map_location: str = "cpu") -> tuple[SegmentationModel, dict]:
    """The trained model of a checkpoint directory (eval mode) and its model config dict."""
    path = Path(checkpoint_path)
    file = path / MODEL_FILE if path.is_dir() else path
    if not file.is_file():
        raise CheckpointError(f"{checkpoint_path}: no {MODEL_FILE} (expected a checkpoint directory of fit_model)")
    payload = load_file(file, map_location)
    if not isinstance(payload, dict) or "model_config" not in payload or "state_dict" not in payload:
        raise CheckpointError(f"{file}: not a segnas model file (expected model_config and state_dict)")
    config = payload["model_config"]
    model = build_model(model_config_from_dict(config))
    model.load_state_dict(payload["state_dict"])
    return model.eval(), config


def checkpoint_dirs(run_dir: Path) -> list[Path]:
    """The run's checkpoint directories, newest first (Ray Train names them checkpoint_epoch_NNNN)."""
    return sorted((p for p in Path(run_dir).glob("checkpoint_epoch_*") if p.is_dir()), reverse=True)


def is_readable(directory: Path) -> bool:
    """Whether a checkpoint directory's rank-0 files load (safely)."""
    try:
        load_file(directory / MODEL_FILE)
        load_file(directory / TRAINING_FILE)
    except CheckpointError:
        return False
    return True
