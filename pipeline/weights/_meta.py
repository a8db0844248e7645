"""Models with shapes and names but no storage, for checking keys and planning inheritance.

On the meta device every `nn.init` call still runs, through Python decompositions that cost tens
of milliseconds each (seconds for a preset), although a meta tensor holds no values to set. While
a shape-only model is built, the init functions of `torch.nn.init` return their tensor untouched.
Not thread-safe: nothing else in the process may initialise weights while one is built.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch
from torch import nn

from pipeline.model_configs import ModelConfig
from pipeline.models import SegmentationModel, build_model

_INIT_FUNCTIONS = (
    "uniform_", "normal_", "trunc_normal_", "constant_", "ones_", "zeros_",
    "kaiming_uniform_", "kaiming_normal_", "xavier_uniform_", "xavier_normal_",
)


@contextlib.contextmanager
def _values_skipped() -> Iterator[None]:
    saved = {name: getattr(nn.init, name) for name in _INIT_FUNCTIONS}
    for name in _INIT_FUNCTIONS:
        setattr(nn.init, name, lambda tensor, *args, **kwargs: tensor)
    try:
        yield
    finally:
        for name, function in saved.items():
            setattr(nn.init, name, function)


def meta_model(config: ModelConfig) -> SegmentationModel:
    with _values_skipped(), torch.device("meta"):
        return build_model(config)
