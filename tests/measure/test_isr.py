"""ISR lowers an EFA model's MACs by exactly what the pooling ratios predict."""

from __future__ import annotations

import pytest
import torch

from pipeline.measure import audit_coverage, count_macs, example_images
from pipeline.models import PRESETS, build_model

SIZE = 128  # every stage side divides by every effective pooling ratio below: no partial windows


def efa_block_macs(side: int, width: int, ratio: int) -> int:
    """MACs of one EFA layer that depend on the pooling ratio, for a side×side token grid.

    Keys/values: M = (side/ratio)² pooled tokens mixed by a 1×1 conv (M·C²); attention: q kᵀ and
    attn·kv, N·M·C each over all heads (N = side² queries). The output linear does not depend on
    the ratio, so it cancels in a difference.
    """
    assert side % ratio == 0
    queries, pooled = side * side, (side // ratio) ** 2
    return pooled * width * width + 2 * queries * pooled * width


def expected_reduction(encoder_isr: tuple[int, ...], decoder_isr: tuple[int, ...]) -> int:
    config = PRESETS["edaformer_t"]
    enc, dec = config.encoder, config.decoder
    sides = [SIZE // s for s in enc.stage_strides()]
    total = 0
    for side, width, depth, ratio, factor in zip(sides, enc.widths, enc.depths, enc.sr_ratios, encoder_isr):
        total += depth * (efa_block_macs(side, width, ratio) - efa_block_macs(side, width, ratio * factor))
    for stage, depth, ratio, factor in zip(dec.in_stages, dec.depths, dec.pool_ratios, decoder_isr):
        side, width = sides[stage], enc.widths[stage]
        total += depth * (efa_block_macs(side, width, ratio) - efa_block_macs(side, width, ratio * factor))
    return total


@pytest.fixture(scope="module")
def edaformer() -> torch.nn.Module:
    return build_model("edaformer_t")


def test_isr_reduction_matches_pooling_ratios(edaformer: torch.nn.Module) -> None:
    images = example_images(1, SIZE, SIZE)
    edaformer.set_isr(encoder=(1, 1, 1, 1), decoder=(1, 1, 1))
    base = count_macs(edaformer, images)
    edaformer.set_isr(encoder=(2, 2, 1, 1), decoder=(2, 2, 2))
    try:
        reduced = count_macs(edaformer, images)
    finally:
        edaformer.set_isr(encoder=(1, 1, 1, 1), decoder=(1, 1, 1))
    expected = expected_reduction((2, 2, 1, 1), (2, 2, 2))
    assert expected > 0
    assert base.macs - reduced.macs == expected
    # Only the pooled keys/values shrink: the 1×1 mixing conv and the attention itself.
    changed = {op for op in base.by_operator if base.by_operator[op] != reduced.by_operator.get(op, 0)}
    assert changed == {"aten::_convolution", "aten::scaled_dot_product_attention"}
    assert reduced.unsupported == base.unsupported == {}


def test_audit_runs_under_isr_at_another_size(edaformer: torch.nn.Module) -> None:
    edaformer.set_isr(encoder=(2, 2, 1, 1), decoder=(2, 2, 2))
    try:
        audit = audit_coverage(edaformer, example_images(1, 96, 160), with_reference=False)
    finally:
        edaformer.set_isr(encoder=(1, 1, 1, 1), decoder=(1, 1, 1))
    assert audit.macs.input_shape == (1, 3, 96, 160)
    assert audit.macs.macs > 0
    assert audit.unsupported == ()
