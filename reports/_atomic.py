"""Atomic writes of the report's outputs, through `pipeline._atomic` (temporary file beside the
target, renamed complete). The temporary file is created by an ordinary open, so the result has the
umask's usual mode (0644 under 022), readable by the group like any output — not the 0600 of a
`tempfile.mkstemp` file.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from pipeline._atomic import atomic_write


def _write(path: Path, write: Callable[[Path], None]) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, write)


def write_parquet_atomic(table: pd.DataFrame, path: Path) -> None:
    """A reader never sees a half-written file; the file gets the umask's usual mode (0644 under 022)."""
    _write(path, lambda tmp: pq.write_table(pa.Table.from_pandas(table, preserve_index=False), tmp))


def write_text_atomic(text: str, path: Path) -> None:
    def write(tmp: str) -> None:
        with open(tmp, "w", encoding="utf-8") as file:
            file.write(text)

    _write(path, write)
