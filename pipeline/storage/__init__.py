"""Experiment storage: local directories, shared mounts and `s3://` URIs behind one `pyarrow.fs` API.

`resolve_location` turns a spec's `storage.path` (plus endpoint / region / profile) into a
`Location`; the helpers write atomically on every filesystem. Imports neither torch nor Ray, so
the reporting stage can read experiments on object storage too.
"""

from pipeline.storage._errors import StorageError
from pipeline.storage._io import (
    copy_file,
    download_dir,
    local_copy,
    read_bytes,
    read_table,
    read_text,
    staged,
    write_bytes_atomic,
    write_table_atomic,
    write_text_atomic,
)
from pipeline.storage._location import CACHE_ENV, SCHEMES, Location, is_uri, resolve_location
from pipeline.storage._s3 import S3Options, build_s3_filesystem

__all__ = [
    "CACHE_ENV",
    "SCHEMES",
    "Location",
    "S3Options",
    "StorageError",
    "build_s3_filesystem",
    "copy_file",
    "download_dir",
    "is_uri",
    "local_copy",
    "read_bytes",
    "read_table",
    "read_text",
    "resolve_location",
    "staged",
    "write_bytes_atomic",
    "write_table_atomic",
    "write_text_atomic",
]
