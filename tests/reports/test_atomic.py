"""Atomic writes: the file gets the umask's usual mode, and a failed write leaves the old file alone."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pandas as pd
import pytest

from reports._atomic import write_parquet_atomic, write_text_atomic


@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o027, 0o640), (0o077, 0o600)])
def test_mode_follows_the_umask(tmp_path: Path, umask: int, mode: int) -> None:
    previous = os.umask(umask)
    try:
        write_text_atomic("hello", tmp_path / "a.html")
        write_parquet_atomic(pd.DataFrame({"x": [1, 2]}), tmp_path / "a.parquet")
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "a.html").stat().st_mode) == mode
    assert stat.S_IMODE((tmp_path / "a.parquet").stat().st_mode) == mode
    assert os.umask(previous) == previous  # reading the umask left it as it was


def test_failed_write_keeps_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "p.parquet"
    write_parquet_atomic(pd.DataFrame({"x": [1]}), target)
    with pytest.raises(ValueError):
        write_parquet_atomic(pd.DataFrame({"x": [object()]}), target)  # pyarrow cannot convert it
    assert pd.read_parquet(target)["x"].tolist() == [1]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.parquet"]
