"""The Ray instance a command runs on: a cluster at an explicit address, or a local one started here.

Ray's own helpers find "the" instance by scanning the host's processes when they are given no
address (the State API that Ray Train's placement-group cleaner calls from inside a detached actor
does). With a second Ray instance on the host that scan fails, the cleaner never frees a stopped
trial's placement group, and the search waits for CPUs forever. So the local instance is started
as a head process of its own (`ray start --head --block`), and its address is put in the
environment of the driver and of the head (hence of the raylet and of every worker and actor it
starts): nothing ever needs to discover it.

Every service of that head binds to 127.0.0.1: Ray binds its gRPC servers to the node IP, and the
node IP is the loopback address once `RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0` (Ray's switch for
local-only nodes). Token authentication is on, with a token made for this instance and kept in
memory, so a token file another instance wrote under ~/.ray changes nothing. The head is stopped
by its process id (its own process group), never by `ray stop`, which would stop every instance.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from pipeline.model_configs import ConfigError

LOCALHOST = "127.0.0.1"
HEAD_LOG = "ray-head.log"
START_TIMEOUT_S = 120.0  # a loaded 2-core host takes 20-40 s to bring a head up
STOP_TIMEOUT_S = 10.0  # the head would drain up to 30 s; with the driver gone there is nothing to drain
PR_SET_PDEATHSIG = 1  # Linux prctl option: signal this process when its parent exits


class RayStartError(ConfigError):
    """The local Ray head could not be started or reached."""


@dataclass(frozen=True)
class LocalRay:
    """A head started by `start_local_ray`; `env` is what a process needs to address it."""

    pid: int
    gcs_address: str
    dashboard_url: str
    log_file: Path
    env: dict[str, str]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((LOCALHOST, 0))
        return int(sock.getsockname()[1])


def _ray_executable() -> str:
    beside = Path(sys.executable).with_name("ray")  # the `ray` of this interpreter's environment
    return str(beside) if beside.is_file() else shutil.which("ray") or "ray"


def _wait_until_listening(process: subprocess.Popen, port: int, log_file: Path, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RayStartError(f"{log_file}: the local Ray head exited with code {process.returncode} at start-up")
        text = log_file.read_text(errors="replace") if log_file.is_file() else ""
        if "Ray runtime started" in text:
            with contextlib.suppress(OSError), socket.create_connection((LOCALHOST, port), timeout=1.0):
                return
        time.sleep(0.5)
    raise RayStartError(f"{log_file}: the local Ray head did not come up within {timeout_s:.0f} s")


def _head_preexec() -> Callable[[], None]:
    """What the head's process runs before exec: a session of its own (a terminal's Ctrl-C reaches
    only the command, which stops the search cleanly), and SIGTERM when the command dies, even by
    SIGKILL, so no head outlives the command that started it. libc is loaded here, in the parent:
    the forked child only calls into it."""
    try:
        prctl = ctypes.CDLL("libc.so.6", use_errno=True).prctl
    except (OSError, AttributeError):  # not glibc Linux: a session of its own only
        prctl = None

    def preexec() -> None:
        os.setsid()
        if prctl is not None:
            prctl(PR_SET_PDEATHSIG, signal.SIGTERM)

    return preexec


def start_local_ray(num_cpus: int, log_dir: Path, num_gpus: int | None = None,
                    resources: dict[str, float] | None = None) -> LocalRay:
    """Start a loopback-only Ray head with `num_cpus` CPUs (GPUs: Ray's detection unless given) and
    any custom `resources` (`{"accelerator_type:H100": 1}`); its output goes to `<log_dir>/ray-head.log`."""
    log_dir.mkdir(parents=True, exist_ok=True)
    gcs_port, dashboard_port = free_port(), free_port()
    gcs_address = f"{LOCALHOST}:{gcs_port}"
    dashboard_url = f"http://{LOCALHOST}:{dashboard_port}"
    env = {
        "RAY_ADDRESS": gcs_address,
        "RAY_API_SERVER_ADDRESS": dashboard_url,
        "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0",
        "RAY_AUTH_MODE": "token",
        "RAY_AUTH_TOKEN": secrets.token_hex(32),
    }
    command = [
        _ray_executable(), "start", "--head", "--block", "--disable-usage-stats",
        "--node-ip-address", LOCALHOST, "--port", str(gcs_port),
        "--dashboard-host", LOCALHOST, "--dashboard-port", str(dashboard_port), "--include-dashboard", "true",
        "--dashboard-agent-listen-port", str(free_port()), "--ray-client-server-port", str(free_port()),
        "--num-cpus", str(num_cpus), *(["--num-gpus", str(num_gpus)] if num_gpus is not None else []),
        *(["--resources", json.dumps(resources)] if resources else []),
    ]
    log_file = log_dir / HEAD_LOG
    with open(log_file, "w") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   env={**os.environ, **env}, preexec_fn=_head_preexec())
    head = LocalRay(process.pid, gcs_address, dashboard_url, log_file, env)
    try:
        _wait_until_listening(process, gcs_port, log_file, START_TIMEOUT_S)
    except BaseException:
        stop_local_ray(head)
        raise
    return head


def stop_local_ray(head: LocalRay, timeout_s: float = STOP_TIMEOUT_S) -> None:
    """SIGTERM to the head (it stops what it started), SIGKILL to its process group if it lingers."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(head.pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with contextlib.suppress(ChildProcessError):
            if os.waitpid(head.pid, os.WNOHANG)[0] == head.pid:
                break
        if not Path(f"/proc/{head.pid}").exists():
            break
        time.sleep(0.3)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(head.pid, signal.SIGKILL)  # the head's own group (its own session): its leftovers only
    with contextlib.suppress(ChildProcessError):
        os.waitpid(head.pid, 0)
    deadline = time.monotonic() + 10.0
    while time.monotonic() < deadline:  # SIGKILL is delivered asynchronously: wait until the group is gone
        try:
            os.killpg(head.pid, 0)
        except (ProcessLookupError, PermissionError):
            break
        time.sleep(0.2)


def _address_this_process(env: dict[str, str]) -> dict[str, str | None]:
    """Put the head's environment into this process; returns what to restore."""
    previous = {key: os.environ.get(key) for key in env}
    os.environ.update(env)
    _reread_ray_settings(local_only=True)
    return previous


def _reread_ray_settings(local_only: bool) -> None:
    """Ray reads these settings once, at import; when it was imported before they were set, make it
    read them again (else the driver resolves 127.0.0.1 to the host's external address and sends
    no token, and cannot reach the head)."""
    if "ray._private.ray_constants" in sys.modules:
        sys.modules["ray._private.ray_constants"].ENABLE_RAY_CLUSTER = not local_only
    if "ray._raylet" in sys.modules:
        raylet = sys.modules["ray._raylet"]
        raylet.Config.initialize("")
        raylet.AuthenticationTokenLoader.instance().reset_cache()


def _restore_environment(previous: dict[str, str | None]) -> None:
    for key, value in previous.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    _reread_ray_settings(local_only=False)


@contextlib.contextmanager
def ray_connection(address: str | None, log_dir: Path, num_cpus: int | None = None,
                   log_to_driver: bool = False, resources: dict[str, float] | None = None) -> Iterator[LocalRay | None]:
    """Connect this process to Ray for the duration of the block.

    A Ray already initialized in this process is used as it is (tests share one); an `address`
    — or else `$RAY_ADDRESS`, which a Ray job's driver is given by its cluster — is joined;
    otherwise a local head with `num_cpus` (default: every CPU) and the custom `resources` (a
    cluster declares its own) is started and stopped.
    Yields the local head, or None when none was started here.
    """
    if "ray" in sys.modules and sys.modules["ray"].is_initialized():
        yield None
        return
    address = address or os.environ.get("RAY_ADDRESS") or None
    if address:
        import ray

        ray.init(address=address, log_to_driver=log_to_driver)
        try:
            yield None
        finally:
            ray.shutdown()
        return
    head = start_local_ray(num_cpus or os.cpu_count() or 1, log_dir, resources=resources)
    previous = _address_this_process(head.env)
    import ray  # after the environment is set: Ray reads some of it at import

    try:
        ray.init(address=head.gcs_address, log_to_driver=log_to_driver)
        yield head
    finally:
        with contextlib.suppress(Exception):
            ray.shutdown()
        stop_local_ray(head)
        _restore_environment(previous)
