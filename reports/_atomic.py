"""Atomic writes for the report's outputs: a temporary file next to the target, then `os.replace`.

`tempfile.mkstemp` creates its file with mode 0600 whatever the umask; renamed over the target, that
mode would make `pareto.parquet` and `report.html` unreadable to the group. Each temporary file is
therefore given the mode an ordinary `open(..., "w")` would have produced (0666 less the umask)
before it is renamed.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq


def _current_umask() -> int:
    mask = os.umask(0)  # the only portable way to read it is to set it; restored at once
    os.umask(mask)
    return mask


def _write_atomic(path: Path, write: Callable[[str], None]) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(handle)
    try:
        write(tmp)
        os.chmod(tmp, 0o666 & ~_current_umask())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_parquet_atomic(table: pd.DataFrame, path: Path) -> None:
    """A reader never sees a half-written file; the file gets the umask's usual mode (0644 under 022)."""
    _write_atomic(path, lambda tmp: pq.write_table(pa.Table.from_pandas(table, preserve_index=False), tmp))


def write_text_atomic(text: str, path: Path) -> None:
    def write(tmp: str) -> None:
        with open(tmp, "w", encoding="utf-8") as file:
            file.write(text)

    _write_atomic(path, write)
