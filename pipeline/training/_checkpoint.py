"""Checkpoint files and RNG state.

A checkpoint directory holds:
    model.pt          {"model_config": dict, "state_dict": ...}: the inference model only (rank 0)
    training.pt       optimizer, scheduler, grad scaler, training-only heads, epoch, sampler epoch,
                      metrics history, train config (rank 0)
    rng_rank<r>.pt    python / numpy / torch (and CUDA) RNG states of rank r (every rank)
Ray Train merges the directories the ranks report into one.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import numpy as np
import torch

from pipeline.model_configs import model_config_from_dict
from pipeline.models import SegmentationModel, build_model

MODEL_FILE = "model.pt"
TRAINING_FILE = "training.pt"


def rng_file(rank: int) -> str:
    return f"rng_rank{rank}.pt"


def rng_state() -> dict[str, Any]:
    state: dict[str, Any] = {"python": random.getstate(), "numpy": np.random.get_state(), "torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    random.setstate(state["python"])
    np.random.set_state(state["numpy"])
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def save_model_file(directory: Path, model: SegmentationModel, model_config: dict[str, Any]) -> None:
    torch.save({"model_config": model_config, "state_dict": model.state_dict()}, directory / MODEL_FILE)


def load_checkpoint_model(checkpoint_path: str | Path, map_location: str = "cpu") -> tuple[SegmentationModel, dict]:
    """The trained model of a checkpoint directory (eval mode) and its model config dict."""
    path = Path(checkpoint_path)
    file = path / MODEL_FILE if path.is_dir() else path
    if not file.is_file():
        raise FileNotFoundError(f"{checkpoint_path}: no {MODEL_FILE} (expected a checkpoint directory of fit_model)")
    payload = torch.load(file, map_location=map_location, weights_only=False)
    config = payload["model_config"]
    model = build_model(model_config_from_dict(config))
    model.load_state_dict(payload["state_dict"])
    return model.eval(), config
