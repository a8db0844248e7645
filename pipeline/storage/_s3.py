"""An `S3FileSystem` from the spec's storage settings and the standard AWS configuration.

Credentials, in order: the named profile (`storage.profile`, read from the shared credentials
file), `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` (+ `AWS_SESSION_TOKEN`), else the AWS SDK's
own chain (`AWS_PROFILE`, instance metadata). Keys found here are passed to the filesystem
explicitly, so they travel with it when Ray ships it to workers on other nodes, whose
environment may lack them. The endpoint (S3-compatible servers) comes from `storage.endpoint`
or `AWS_ENDPOINT_URL_S3` / `AWS_ENDPOINT_URL`.
"""

from __future__ import annotations

import configparser
import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import pyarrow.fs as pafs

from pipeline.storage._errors import StorageError

CONNECT_TIMEOUT_S = 10.0  # an unreachable endpoint fails in seconds, not minutes
REQUEST_TIMEOUT_S = 120.0  # per request; a checkpoint part upload on a slow link stays well inside
DEFAULT_REGION = "us-east-1"  # S3-compatible servers accept any region; signing needs one


@dataclass(frozen=True)
class S3Options:
    endpoint: str | None = None  # http(s)://host:port of an S3-compatible server; None: AWS
    region: str | None = None
    profile: str | None = None  # a profile of the shared credentials file


def _credentials_file() -> Path:
    return Path(os.environ.get("AWS_SHARED_CREDENTIALS_FILE") or Path.home() / ".aws" / "credentials")


def _profile_keys(profile: str) -> dict[str, str]:
    path = _credentials_file()
    parser = configparser.ConfigParser()
    parser.read(path)
    if not parser.has_section(profile):
        raise StorageError(f"storage.profile: {profile!r} is not a profile of {path}")
    section = parser[profile]
    if "aws_access_key_id" not in section or "aws_secret_access_key" not in section:
        raise StorageError(f"{path}: profile {profile!r} lacks aws_access_key_id / aws_secret_access_key")
    keys = {"access_key": section["aws_access_key_id"], "secret_key": section["aws_secret_access_key"]}
    if "aws_session_token" in section:
        keys["session_token"] = section["aws_session_token"]
    return keys


def _environment_keys() -> dict[str, str]:
    access, secret = os.environ.get("AWS_ACCESS_KEY_ID"), os.environ.get("AWS_SECRET_ACCESS_KEY")
    if not access or not secret:
        return {}
    keys = {"access_key": access, "secret_key": secret}
    if os.environ.get("AWS_SESSION_TOKEN"):
        keys["session_token"] = os.environ["AWS_SESSION_TOKEN"]
    return keys


def _endpoint(options: S3Options) -> tuple[str, str] | None:
    """(host:port, scheme) of the endpoint, or None for AWS itself."""
    url = options.endpoint or os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
    if not url:
        return None
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise StorageError(f"storage.endpoint: expected http(s)://host:port, got {url!r}")
    return parsed.netloc, parsed.scheme


def build_s3_filesystem(options: S3Options) -> pafs.S3FileSystem:
    keys = _profile_keys(options.profile) if options.profile else _environment_keys()
    endpoint = _endpoint(options)
    region = options.region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    kwargs: dict[str, object] = {
        **keys,
        "connect_timeout": CONNECT_TIMEOUT_S,
        "request_timeout": REQUEST_TIMEOUT_S,
    }
    if endpoint is not None:
        kwargs.update(endpoint_override=endpoint[0], scheme=endpoint[1], region=region or DEFAULT_REGION)
    elif region:
        kwargs["region"] = region
    return pafs.S3FileSystem(**kwargs)
