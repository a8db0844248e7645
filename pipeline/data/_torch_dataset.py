"""`SegmentationDataset`: a torch `Dataset` over a `SegmentationSource` and a transform chain.

Each item draws from its own generator seeded by (seed, epoch, index), so an item is the same
whichever DataLoader worker or Ray worker loads it and in whatever order: runs are repeatable
without sharing RNG state between processes. Call `set_epoch` to get fresh augmentations.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
import torch
from torch.utils.data import Dataset

from pipeline.data._source import SegmentationSource


class PairTransform(Protocol):
    def __call__(
        self, image: np.ndarray, label: np.ndarray, rng: np.random.Generator
    ) -> tuple[torch.Tensor, torch.Tensor]: ...


class SegmentationDataset(Dataset[tuple[torch.Tensor, torch.Tensor]]):
    """`dataset[i]` is (image float32 (3, H, W), label int64 (H, W)) after `transform`."""

    def __init__(self, source: SegmentationSource, transform: PairTransform, seed: int = 0) -> None:
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise ValueError(f"seed must be an integer >= 0, got {seed!r}")
        self.source = source
        self.transform = transform
        self.seed = seed
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        """Switch to the augmentations of `epoch` (each epoch sees different crops and flips)."""
        if isinstance(epoch, bool) or not isinstance(epoch, int) or epoch < 0:
            raise ValueError(f"epoch must be an integer >= 0, got {epoch!r}")
        self.epoch = epoch

    def __len__(self) -> int:
        return len(self.source)

    def generator(self, index: int) -> np.random.Generator:
        """The generator item `index` uses in the current epoch."""
        return np.random.default_rng((self.seed, self.epoch, index))

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        if not 0 <= index < len(self):
            raise IndexError(f"index {index} out of range for {len(self)} items")
        image, label = self.source.load(index)
        return self.transform(image, label, self.generator(index))
