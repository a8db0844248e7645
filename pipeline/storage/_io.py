"""Atomic reads and writes on a `Location`, and copying directories between it and local disk.

Atomic means a reader never sees half a file. On a local filesystem the bytes go to a temporary
file in the same directory, which is then renamed over the target (`os.replace`). Object stores
have no rename, but an object becomes visible only when its upload completes, so the whole file
is serialised in memory first and sent as one object: an interrupted upload leaves the previous
object in place. (A stream opened on S3 and closed after an error would publish what was written
so far, which is why nothing is streamed.)
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from pipeline._atomic import atomic_write
from pipeline.storage._location import Location


def write_bytes_atomic(location: Location, data: bytes) -> None:
    if location.is_local:
        target = location.local_path
        target.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(target, lambda tmp: _write_synced(tmp, data))
        return
    with location.filesystem.open_output_stream(location.path) as stream:
        stream.write(data)


def _write_synced(path: Path, data: bytes) -> None:
    with open(path, "wb") as file:
        file.write(data)
        file.flush()
        os.fsync(file.fileno())


def write_text_atomic(location: Location, text: str) -> None:
    write_bytes_atomic(location, text.encode("utf-8"))


def read_bytes(location: Location) -> bytes:
    with location.filesystem.open_input_stream(location.path) as stream:
        return stream.read()


def read_text(location: Location) -> str:
    return read_bytes(location).decode("utf-8")


def write_table_atomic(location: Location, table: pa.Table) -> None:
    """A Parquet file written in one piece (see the module docstring)."""
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink)
    write_bytes_atomic(location, sink.getvalue().to_pybytes())


def read_table(location: Location) -> pa.Table:
    """The whole Parquet file, read as one object (a read right after a write sees the new file)."""
    return pq.read_table(pa.BufferReader(read_bytes(location)))


def download_dir(location: Location, local: Path) -> bool:
    """Copy a directory tree to `local` (replacing files there); False when it does not exist."""
    if not location.exists():
        return False
    local.mkdir(parents=True, exist_ok=True)
    pafs.copy_files(location.path, str(local), source_filesystem=location.filesystem,
                    destination_filesystem=pafs.LocalFileSystem())
    return True


@contextlib.contextmanager
def staged(location: Location, inputs: Sequence[str], outputs: Sequence[str]) -> Iterator[Path]:
    """A local directory holding `inputs` of `location`; `outputs` written there are stored back on exit.

    For code that works on local files only (the report). A local location is used in place.
    """
    if location.is_local:
        yield location.local_path
        return
    with tempfile.TemporaryDirectory(prefix="segnas-stage-") as tmp:
        # The directory keeps the location's name: the report labels an experiment by it.
        local = Path(tmp) / (location.name or "experiment")
        local.mkdir()
        for name in inputs:
            source = location.join(name)
            if source.is_file():
                (local / name).write_bytes(read_bytes(source))
        yield local
        for name in outputs:
            if (local / name).is_file():
                copy_file(local / name, location.join(name))


@contextlib.contextmanager
def local_copy(location: Location) -> Iterator[Path]:
    """A directory tree of `location` on local disk for the duration (a local one is used in place)."""
    if location.is_local:
        yield location.local_path
        return
    with tempfile.TemporaryDirectory(prefix="segnas-copy-") as tmp:
        local = Path(tmp) / (location.name or "copy")
        if not download_dir(location, local):
            raise FileNotFoundError(f"{location.uri}: no such directory")
        yield local


def copy_file(source: Path, location: Location) -> None:
    """A local file to `location`, atomically (nothing to do when it is that file already)."""
    if location.is_local and Path(source).resolve() == location.local_path:
        return
    write_bytes_atomic(location, Path(source).read_bytes())
