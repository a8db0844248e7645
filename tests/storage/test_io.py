"""Atomic writes and reads on local disk and on a real S3-compatible server (tests/s3_server.py)."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from pathlib import Path

import pyarrow as pa
import pytest

from pipeline.storage import (
    Location,
    copy_file,
    local_copy,
    read_bytes,
    read_table,
    resolve_location,
    staged,
    write_bytes_atomic,
    write_table_atomic,
)
from tests.s3_server import S3Server


def _prefix(server: S3Server) -> Location:
    return resolve_location(f"s3://{server.bucket}/io-{uuid.uuid4().hex[:8]}")


def test_local_atomic_write_leaves_no_temporary_file(tmp_path: Path) -> None:
    target = resolve_location(tmp_path / "a" / "file.bin")
    write_bytes_atomic(target, b"one")
    write_bytes_atomic(target, b"two")
    assert read_bytes(target) == b"two"
    assert [p.name for p in (tmp_path / "a").iterdir()] == ["file.bin"]


def test_parquet_read_after_write_sees_every_version(s3_env: S3Server) -> None:
    # Each version is read back at once, whole: a stale or partial object would fail here.
    target = _prefix(s3_env).join("results.parquet")
    for version in range(1, 16):
        write_table_atomic(target, pa.table({"row": list(range(version * 50)), "text": ["x" * version] * (version * 50)}))
        back = read_table(target)
        assert back.num_rows == version * 50 and back.column("text")[0].as_py() == "x" * version


def test_listing_and_existence_on_s3(s3_env: S3Server) -> None:
    root = _prefix(s3_env)
    assert not root.exists() and root.children() == []
    write_bytes_atomic(root.join("tune", "run-000", "state.json"), b"{}")
    write_bytes_atomic(root.join("tune", "run-001", "state.json"), b"{}")
    assert root.join("tune").children() == ["run-000", "run-001"]
    assert root.join("tune", "run-000", "state.json").is_file()


_KILLED_WRITER = """
import os, sys
from pipeline.storage import resolve_location, write_bytes_atomic
target = resolve_location(sys.argv[1])
print("writing", flush=True)
write_bytes_atomic(target, b"new" * (40 * 2**20 // 3))
"""


def test_killed_upload_leaves_the_previous_object(s3_env: S3Server) -> None:
    target = _prefix(s3_env).join("report.html")
    write_bytes_atomic(target, b"old")
    writer = subprocess.Popen([sys.executable, "-c", _KILLED_WRITER, target.uri], stdout=subprocess.PIPE)
    assert writer.stdout is not None and writer.stdout.readline().strip() == b"writing"
    time.sleep(0.3)
    writer.kill()
    writer.wait(timeout=30)
    content = read_bytes(target)
    # Killed mid-upload the old object stays; only a finished upload may replace it, whole.
    assert content == b"old" or content == b"new" * (40 * 2**20 // 3)


def test_staged_and_local_copy_round_trip(s3_env: S3Server, tmp_path: Path) -> None:
    exp = _prefix(s3_env).join("experiment")
    source = tmp_path / "spec.yaml"
    source.write_text("name: x\n")
    copy_file(source, exp.join("spec.yaml"))
    with staged(exp, inputs=["spec.yaml", "absent.parquet"], outputs=["report.html"]) as local:
        assert local.name == "experiment" and (local / "spec.yaml").read_text() == "name: x\n"
        assert not (local / "absent.parquet").exists()
        (local / "report.html").write_text("<html></html>")
    assert read_bytes(exp.join("report.html")) == b"<html></html>"
    with local_copy(exp) as copy:
        assert sorted(p.name for p in copy.iterdir()) == ["report.html", "spec.yaml"]
    with pytest.raises(FileNotFoundError, match="no such directory"), local_copy(exp.join("missing")):
        pass


def test_wrong_credentials_are_refused(s3_server: S3Server, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "wrong")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wrong")
    target = resolve_location(f"s3://{s3_server.bucket}/denied/file", endpoint=s3_server.endpoint)
    with pytest.raises(OSError, match="INVALID_ACCESS_KEY_ID|ACCESS_DENIED"):
        write_bytes_atomic(target, b"x")
