"""The coverage audit names what the counter cannot see and cross-checks the total."""

from __future__ import annotations

import torch
from torch import nn

from pipeline.measure import audit_coverage, count_macs


class PairwiseDistanceHead(nn.Module):
    """A conv, then `torch.cdist`: a contraction the MAC rule has no handle for."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 8, kernel_size=3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        tokens = self.conv(x).flatten(2).transpose(1, 2)  # (B, N, 8)
        return torch.cdist(tokens, tokens).softmax(dim=-1)  # (B, N, N)


def test_audit_lists_the_op_the_counter_cannot_see() -> None:
    audit = audit_coverage(PairwiseDistanceHead(), torch.randn(1, 3, 12, 12))
    unsupported = {op.op: op for op in audit.unsupported}
    assert set(unsupported) == {"aten::cdist"}
    assert unsupported["aten::cdist"].calls == 1
    assert 0.0 <= audit.unsupported_time_share <= 1.0
    # The conv is counted; softmax is a known zero, not a blind spot.
    categories = {op.op: op.category for op in audit.ops}
    assert categories["aten::_convolution"] == "MACs"
    assert categories["aten::softmax"] == "softmax"
    assert audit.macs.macs == 8 * 3 * 9 * 144
    shares = audit.time_share_by_category()
    assert "unsupported" in shares and "outside aten ops" in shares
    assert all(share >= 0.0 for share in shares.values())


def test_reference_counter_agrees_on_convs_and_matmuls() -> None:
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.Flatten(1), nn.Linear(4 * 6 * 6, 5))
    images = torch.randn(2, 3, 8, 8)
    audit = audit_coverage(model, images, macs=count_macs(model, images))
    assert audit.reference is not None
    assert audit.reference.macs == audit.macs.macs == 2 * (4 * 3 * 9 * 36 + 144 * 5)
    assert audit.difference_pct == 0.0
    assert audit.to_dict()["reference"]["difference_pct"] == 0.0
