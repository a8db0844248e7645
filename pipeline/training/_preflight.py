"""Dataset pre-flight: check both splits in the driver before any Ray worker starts.

A bad pair (unreadable file, image and mask of different sizes, a label outside the classes and
the ignore index) or an empty split otherwise surfaces inside every worker as a long Ray
traceback, retried. Here it is one `DatasetError` naming the file. Every pair is decoded (the
spec's `validate: sample` checks an evenly spread subset instead, `none` only that the splits
are non-empty), with a progress line on large
splits; a passed check is remembered in the experiment directory under a key made of every
file's path, size and modification time, so a rerun on unchanged data is instant.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import sys
import time
from pathlib import Path
from typing import TextIO

from pipeline._atomic import atomic_write_text
from pipeline.data import DatasetError, open_dataset
from pipeline.training._specs import DatasetSpec

CACHE_FILE = ".data_check.json"
PROGRESS_FROM = 200  # pairs: smaller splits are checked in well under a second, without a progress line
PROGRESS_EVERY_S = 2.0


def _fingerprint(source: object, spec: DatasetSpec) -> str:
    digest = hashlib.sha256(json.dumps(dataclasses.asdict(spec), sort_keys=True, default=str).encode())
    for sample in source.samples:  # type: ignore[attr-defined]
        for path in (sample.image_path, sample.mask_path):
            stat = os.stat(path)
            digest.update(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def _read_cache(cache_dir: Path) -> dict[str, bool]:
    try:
        return dict(json.loads((cache_dir / CACHE_FILE).read_text()))
    except (OSError, ValueError, TypeError):
        return {}


def _write_cache(cache_dir: Path, cache: dict[str, bool]) -> None:
    try:
        atomic_write_text(cache_dir / CACHE_FILE, json.dumps(cache))
    except OSError:
        pass  # only a speed-up for the next run; the check itself passed


def check_dataset(spec: DatasetSpec, cache_dir: Path, out: TextIO | None = None) -> int:
    """Check the train and val splits of `spec` (root resolved); returns the pairs checked (0: cached)."""
    out = out or sys.stderr
    cache = _read_cache(cache_dir)
    checked = 0
    for which in ("train", "val"):
        config = spec.dataset_config(which)
        try:
            source = open_dataset(dataclasses.replace(config, validate="none"))
        except OSError as error:
            raise DatasetError(f"{error.filename or config.root}: {error.strerror or error}") from None
        key = f"{which}:{_fingerprint(source, spec)}"
        if cache.get(key):
            continue
        mode = spec.validate if spec.validate != "auto" else "full"  # before a long run, every pair
        indices = [] if mode == "none" else source.validation_indices(mode, config.sample_size)
        last = time.monotonic()
        for done, index in enumerate(indices, 1):
            try:
                source.load(index)
            except OSError as error:
                raise DatasetError(f"{source.samples[index].image_path}: {error}") from None
            if len(indices) >= PROGRESS_FROM and (time.monotonic() - last > PROGRESS_EVERY_S or done == len(indices)):
                out.write(f"checking {which} split: {done}/{len(indices)} pairs\n")
                out.flush()
                last = time.monotonic()
        checked += len(indices)
        cache[key] = True
    _write_cache(cache_dir, cache)
    return checked
