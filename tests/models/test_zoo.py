"""Every encoder × every decoder builds, runs forward to input-sized logits and back-propagates."""

from __future__ import annotations

import itertools

import pytest
import torch

from pipeline.model_configs import DECODER_CONFIGS, ENCODER_CONFIGS, ModelConfig
from pipeline.models import DECODERS, ENCODERS, build_model
from tests.models.conftest import TINY_DECODERS, TINY_ENCODERS

NUM_CLASSES = 5
PAIRS = list(itertools.product(sorted(TINY_ENCODERS), sorted(TINY_DECODERS)))


def test_tiny_configs_cover_every_registered_part() -> None:
    assert set(TINY_ENCODERS) == set(ENCODERS) == set(ENCODER_CONFIGS)
    assert set(TINY_DECODERS) == set(DECODERS) == set(DECODER_CONFIGS)


@pytest.mark.parametrize(("encoder", "decoder"), PAIRS, ids=[f"{e}-{d}" for e, d in PAIRS])
def test_pair_forward_and_backward(encoder: str, decoder: str) -> None:
    torch.manual_seed(0)
    model = build_model(ModelConfig(TINY_ENCODERS[encoder], TINY_DECODERS[decoder], NUM_CLASSES))
    images = torch.randn(2, 3, 64, 96)

    model.train()
    logits = model(images)
    assert logits.shape == (2, NUM_CLASSES, 64, 96)
    logits.float().logsumexp(dim=1).mean().backward()
    grads = {name: p.grad for name, p in model.named_parameters() if p.requires_grad}
    assert all(g is None or torch.isfinite(g).all() for g in grads.values())
    # The signal must reach the first encoder layer and the classifier.
    first, last = next(iter(grads.values())), list(grads.values())[-1]
    assert first is not None and first.abs().sum() > 0
    assert last is not None and last.abs().sum() > 0

    model.eval()
    with torch.inference_mode():
        out = model(torch.randn(1, 3, 64, 64))
    assert out.shape == (1, NUM_CLASSES, 64, 64)
    assert torch.isfinite(out).all()
