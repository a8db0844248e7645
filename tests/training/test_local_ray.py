"""The local Ray head: loopback-only sockets, explicit address in every worker, stopped by its PID,
unaffected by a second Ray instance on the host."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pipeline.training import start_local_ray, stop_local_ray


def _descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        parent = todo.pop()
        for task in Path(f"/proc/{parent}/task").glob("*"):
            children = (task / "children").read_text().split() if (task / "children").is_file() else []
            found.extend(int(c) for c in children)
            todo.extend(int(c) for c in children)
    return found


def _listening_addresses(pids: list[int]) -> list[str]:
    """Local addresses of the TCP sockets in LISTEN state that these processes hold (from /proc)."""
    inodes = set()
    for pid in pids:
        for fd in Path(f"/proc/{pid}/fd").glob("*"):
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    addresses = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and fields[9] in inodes:  # 0A: LISTEN
                addresses.append(_decode_address(fields[1]))
    return addresses


def _decode_address(hex_address: str) -> str:
    host, port = hex_address.split(":")
    raw = bytes.fromhex(host)
    if len(raw) == 4:
        return f"{'.'.join(str(b) for b in raw[::-1])}:{int(port, 16)}"
    words = [raw[i:i + 4][::-1] for i in range(0, 16, 4)]  # /proc writes IPv6 as four host-order words
    flat = b"".join(words)
    if flat[:12] == b"\x00" * 10 + b"\xff\xff":
        return f"{'.'.join(str(b) for b in flat[12:])}:{int(port, 16)}"
    return f"[{flat.hex()}]:{int(port, 16)}"


@pytest.mark.slow
def test_local_head_listens_on_loopback_only_and_stops_by_pid(tmp_path: Path) -> None:
    head = start_local_ray(1, tmp_path)
    try:
        pids = [head.pid, *_descendants(head.pid)]
        addresses = _listening_addresses(pids)
        assert len(addresses) >= 4  # GCS, raylet, dashboard, agents
        assert all(a.startswith("127.0.0.1:") for a in addresses), addresses
        assert head.env["RAY_ADDRESS"] == head.gcs_address and head.gcs_address.startswith("127.0.0.1:")
        started = {pid: _cmdline(pid) for pid in pids}
    finally:
        stop_local_ray(head)
    assert [cmd[:80] for pid, cmd in started.items() if cmd and _cmdline(pid) == cmd] == []


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_text(errors="replace")
    except OSError:
        return ""


@pytest.mark.slow
def test_driver_and_workers_of_the_session_instance_listen_on_loopback_only(ray_local: object) -> None:
    import ray

    @ray.remote
    def worker_pid() -> int:
        return os.getpid()

    pid = ray.get(worker_pid.remote())
    head_pid = getattr(ray_local, "pid", None)
    pids = [os.getpid(), pid] + ([head_pid, *_descendants(head_pid)] if head_pid else [])
    addresses = _listening_addresses(pids)
    assert addresses and all(a.startswith("127.0.0.1:") for a in addresses), addresses
