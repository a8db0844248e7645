"""resolve_location: local paths, file:// and s3:// URIs, credentials from the environment or a profile."""

from __future__ import annotations

import pickle
from pathlib import Path

import pyarrow.fs as pafs
import pytest

from pipeline.storage import StorageError, resolve_location


def test_relative_local_path_becomes_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    location = resolve_location("runs")
    assert location.is_local and location.local_path == tmp_path / "runs"
    assert location.join("exp", "results.parquet").local_path == tmp_path / "runs" / "exp" / "results.parquet"
    assert location.scratch_dir() == tmp_path / "runs"


def test_file_uri_is_local(tmp_path: Path) -> None:
    assert resolve_location(f"file://{tmp_path}").local_path == tmp_path


def test_s3_uri_splits_bucket_and_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "key")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    location = resolve_location("s3://bucket/some/prefix/", endpoint="http://127.0.0.1:9000")
    assert isinstance(location.filesystem, pafs.S3FileSystem)
    assert (location.path, location.uri) == ("bucket/some/prefix", "s3://bucket/some/prefix")
    assert location.join("exp").uri == "s3://bucket/some/prefix/exp"
    assert not location.is_local and location.scratch_dir().name.startswith("prefix-")


def test_credentials_travel_with_the_pickled_filesystem(monkeypatch: pytest.MonkeyPatch) -> None:
    # Workers on other nodes may lack the driver's environment: the keys must be in the pickle.
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "key-from-env")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret-from-env")
    location = resolve_location("s3://bucket/p", endpoint="http://127.0.0.1:9000")
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    options = pickle.loads(pickle.dumps(location)).filesystem.__reduce__()[1][0]
    assert (options["access_key"], options["secret_key"]) == ("key-from-env", "secret-from-env")
    assert (options["endpoint_override"], options["scheme"]) == ("127.0.0.1:9000", "http")


def test_named_profile_is_read_from_the_credentials_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    credentials = tmp_path / "credentials"
    credentials.write_text("[lab]\naws_access_key_id = lab-key\naws_secret_access_key = lab-secret\n")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "env-key")  # the named profile wins over the environment
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "env-secret")
    location = resolve_location("s3://bucket/p", endpoint="https://s3.example.org", profile="lab")
    options = location.filesystem.__reduce__()[1][0]
    assert (options["access_key"], options["scheme"]) == ("lab-key", "https")
    with pytest.raises(StorageError, match=r"storage.profile: 'nope' is not a profile of .*credentials"):
        resolve_location("s3://bucket/p", profile="nope")


@pytest.mark.parametrize(
    ("path", "endpoint", "message"),
    [
        ("gs://bucket/x", None, r"storage.path: unsupported scheme 'gs'.*expected a local path or s3://bucket/prefix"),
        ("s3:///x", None, r"storage.path: 's3:///x' names no bucket"),
        ("s3://b/x?endpoint_override=h", None, r"options go in storage.endpoint"),
        ("s3://b/x", "127.0.0.1:9000", r"storage.endpoint: expected http\(s\)://host:port"),
        ("runs", "http://127.0.0.1:9000", r"storage.endpoint is set but 'runs' is a local path"),
        ("", None, r"storage.path: expected a directory path or s3://bucket/prefix"),
    ],
)
def test_bad_storage_settings_name_the_field(path: str, endpoint: str | None, message: str) -> None:
    with pytest.raises(StorageError, match=message):
        resolve_location(path, endpoint=endpoint)
