"""Atomic file writes: write under a temporary name beside the target, then rename it complete.

A reader (or a run resumed after a kill) sees the old file or the new one, never half of one. A
failed write removes its temporary file; `remove_stale_temporaries` clears those a killed process
left behind. Every write of results, checkpoints and caches goes through here.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from pathlib import Path

TMP_SUFFIX = ".tmp"


def temporary_name(path: Path) -> Path:
    return path.with_name(f".{path.name}.{os.getpid()}{TMP_SUFFIX}")


def atomic_write(path: Path, write: Callable[[Path], None]) -> Path:
    """Call `write(tmp)` to fill a temporary file, then rename it to `path`."""
    path = Path(path)
    tmp = temporary_name(path)
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    return path


def atomic_write_text(path: Path, text: str) -> Path:
    return atomic_write(path, lambda tmp: tmp.write_text(text))


def remove_stale_temporaries(directory: Path, name: str) -> int:
    """Delete temporaries of `name` that earlier (killed) processes left in `directory`."""
    removed = 0
    for tmp in Path(directory).glob(f".{name}.*{TMP_SUFFIX}"):
        with contextlib.suppress(OSError):
            tmp.unlink()
            removed += 1
    return removed
