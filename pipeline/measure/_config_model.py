"""Models built from plain config dicts, for callers that measure cost but handle only dicts.

The search's cost gate counts and times sampled architectures before any training; it reaches the
model zoo only through here, so search code never imports model code.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from torch import nn

from pipeline.model_configs import model_config_from_dict
from pipeline.models import build_model, count_parameters


def model_for_measurement(model_config: Mapping[str, Any]) -> nn.Module:
    """The model of a config dict in eval mode, with seed-0 weights.

    Counts never depend on the weights; a fixed seed makes repeated timings of one config time the
    same arithmetic (NMF, for one, iterates on values). The caller's RNG state is left untouched.
    """
    with torch.random.fork_rng():
        torch.manual_seed(0)
        return build_model(model_config_from_dict(dict(model_config))).eval()


def parameter_count(model: nn.Module) -> int:
    """Parameters of the inference graph, shared weights once."""
    return count_parameters(model)
