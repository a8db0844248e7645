"""Per-worker data loading: each Ray worker reads its own shard of the split.

Training: a `DistributedSampler` (shuffled by `seed`, reshuffled by `set_epoch`) over a
`SegmentationDataset` whose augmentations are seeded by (seed, epoch, index), so the images a
worker sees depend only on (seed, epoch, rank, world size) and a resumed run sees the same ones.
DataLoader processes get seeds derived from (seed, epoch, rank) for any library RNG they touch.
Evaluation: a plain strided shard without the sampler's padding, so no image is counted twice.
"""

from __future__ import annotations

import random

import numpy as np
import torch
from torch.utils.data import DataLoader, DistributedSampler

from pipeline.data import SegmentationDataset, TrainTransform, open_dataset
from pipeline.training._specs import DatasetSpec


def shard_indices(length: int, rank: int, world_size: int) -> list[int]:
    """Indices rank, rank + world_size, ...: disjoint shards covering every item exactly once."""
    return list(range(rank, length, world_size))


def seed_worker(worker_id: int) -> None:
    """DataLoader worker init: seed python/numpy from torch's per-worker seed (itself from the loader generator)."""
    seed = torch.initial_seed() % 2**32
    random.seed(seed)
    np.random.seed(seed)


class TrainLoader:
    """The training DataLoader of one worker; `epoch_batches(epoch)` reseeds sampler, dataset and workers."""

    def __init__(self, dataset: DatasetSpec, batch_size: int, seed: int, rank: int, world_size: int,
                 loader_workers: int = 0) -> None:
        source = open_dataset(dataset.dataset_config("train"))
        self.num_classes = source.num_classes
        self.dataset = SegmentationDataset(source, TrainTransform(dataset.transform), seed=seed)
        # drop_last: every worker must run the same number of steps (DDP all-reduces every step).
        self.sampler = DistributedSampler(self.dataset, num_replicas=world_size, rank=rank, shuffle=True, seed=seed,
                                          drop_last=True)
        self.batch_size = batch_size
        self.seed, self.rank = seed, rank
        self.loader_workers = loader_workers

    def __len__(self) -> int:
        """Steps per epoch."""
        return max(1, len(self.sampler) // self.batch_size)

    def epoch_batches(self, epoch: int) -> DataLoader:
        self.sampler.set_epoch(epoch)
        self.dataset.set_epoch(epoch)
        generator = torch.Generator().manual_seed(hash((self.seed, epoch, self.rank)) % 2**63)
        return DataLoader(
            self.dataset,
            batch_size=min(self.batch_size, len(self.sampler)),
            sampler=self.sampler,
            num_workers=self.loader_workers,
            worker_init_fn=seed_worker,
            generator=generator,
            drop_last=True,
            persistent_workers=False,
        )
