"""What the model assembly needs from encoders and decoders."""

from __future__ import annotations

from typing import NamedTuple, Protocol, runtime_checkable


class FeatureInfo(NamedTuple):
    """One encoder stage's output: its channel count and its stride relative to the input."""

    channels: int
    stride: int


@runtime_checkable
class SupportsISR(Protocol):
    """A module whose attention pools keys/values and can pool them harder after training.

    `isr_stages` is how many factors `set_isr` takes (one per attention stage, in order);
    factor 1 everywhere is the training configuration. Pooling has no weights, so changing the
    factors never touches the state_dict.
    """

    isr_stages: int

    def set_isr(self, factors: tuple[int, ...]) -> None: ...

    def get_isr(self) -> tuple[int, ...]: ...
