"""`Location`: where an experiment lives — a `pyarrow.fs` filesystem and a path inside it.

A storage path is a local directory (relative paths start at the working directory; a shared
mount is a local directory too) or an object-store URI `s3://bucket/prefix`. Everything that
writes experiment files (results, report, spec copy, study journal, Ray Train and Tune storage)
takes a `Location`, so the same code serves a laptop and a cluster whose nodes share a bucket.

A `Location` pickles with its filesystem (credentials included when they were resolved from the
environment or a profile), so Ray workers on other nodes reach the same storage.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import urlparse

import pyarrow.fs as pafs

from pipeline.storage._errors import StorageError
from pipeline.storage._s3 import S3Options, build_s3_filesystem

SCHEMES = ("s3",)  # object stores accepted besides local paths (and file://)
CACHE_ENV = "SEGNAS_CACHE_DIR"  # local scratch of remote experiments (study journal, synth data, staging)


@dataclass(frozen=True)
class Location:
    filesystem: pafs.FileSystem
    path: str  # path inside `filesystem`: an absolute local path, or "bucket/prefix/..." on S3
    uri: str  # the same place as a person writes it: /abs/dir or s3://bucket/prefix

    @property
    def is_local(self) -> bool:
        return isinstance(self.filesystem, pafs.LocalFileSystem)

    @property
    def local_path(self) -> Path:
        """The directory on this machine; only for local locations."""
        if not self.is_local:
            raise StorageError(f"{self.uri}: not a local path")
        return Path(self.path)

    @property
    def name(self) -> str:
        return PurePosixPath(self.path).name

    def join(self, *parts: str) -> Location:
        path = str(PurePosixPath(self.path, *parts))
        uri = self.uri.rstrip("/") + "/" + "/".join(parts) if parts else self.uri
        return Location(self.filesystem, path, uri)

    def exists(self) -> bool:
        return self.filesystem.get_file_info(self.path).type != pafs.FileType.NotFound

    def is_file(self) -> bool:
        return self.filesystem.get_file_info(self.path).type == pafs.FileType.File

    def children(self) -> list[str]:
        """Names directly under this directory (empty when it does not exist)."""
        selector = pafs.FileSelector(self.path, allow_not_found=True, recursive=False)
        return sorted(PurePosixPath(info.path).name for info in self.filesystem.get_file_info(selector))

    def makedirs(self) -> None:
        self.filesystem.create_dir(self.path, recursive=True)

    def scratch_dir(self) -> Path:
        """A local directory for this location: the directory itself when local, else a cache folder."""
        if self.is_local:
            return self.local_path
        root = Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "segnas") / "experiments"
        digest = hashlib.sha1(self.uri.encode()).hexdigest()[:12]
        return root / f"{self.name}-{digest}"


def is_uri(path: str | Path) -> bool:
    """True for `scheme://...` (s3, file, or an unsupported one); false for plain local paths."""
    return "://" in str(path)


def resolve_location(path: str | Path, endpoint: str | None = None, region: str | None = None,
                     profile: str | None = None, field: str = "storage.path") -> Location:
    """A storage path or URI → its `Location`. Local paths become absolute; `field` names the setting in errors."""
    text = str(path)
    if not text:
        raise StorageError(f"{field}: expected a directory path or s3://bucket/prefix, got an empty string")
    if not is_uri(text):
        if endpoint is not None:
            raise StorageError(f"{field}: storage.endpoint is set but {text!r} is a local path; use s3://bucket/prefix")
        local = Path(text).expanduser().resolve()
        return Location(pafs.LocalFileSystem(), str(local), str(local))
    parsed = urlparse(text)
    if parsed.scheme == "file":
        local = Path(parsed.path).resolve()
        return Location(pafs.LocalFileSystem(), str(local), str(local))
    if parsed.scheme not in SCHEMES:
        raise StorageError(f"{field}: unsupported scheme {parsed.scheme!r} in {text!r}; expected a local path or "
                           f"{', '.join(s + '://bucket/prefix' for s in SCHEMES)}")
    if not parsed.netloc:
        raise StorageError(f"{field}: {text!r} names no bucket; expected s3://bucket/prefix")
    if parsed.query or parsed.params or parsed.fragment:
        raise StorageError(f"{field}: {text!r}: options go in storage.endpoint / region / profile, not the URI")
    prefix = parsed.path.strip("/")
    filesystem = build_s3_filesystem(S3Options(endpoint=endpoint, region=region, profile=profile))
    fs_path = parsed.netloc + (f"/{prefix}" if prefix else "")
    return Location(filesystem, fs_path, f"s3://{fs_path}")
