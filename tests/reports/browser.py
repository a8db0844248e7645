"""A tiny Chrome DevTools Protocol client over `--remote-debugging-pipe`, standard library only.

Chromium reads protocol messages from fd 3 and writes to fd 4, each a JSON object ended by NUL.
The client opens a page in a fresh target, records every console message, uncaught exception,
log entry and network request the page makes, waits until the report's script says it is done,
and evaluates an expression in the page. That is what lets the test observe errors and requests
instead of only reading the final DOM.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-default-apps", "--disable-extensions", "--mute-audio",
    "--remote-debugging-pipe",
)


def find_chromium() -> str | None:
    """SEGNAS_CHROMIUM (a path) overrides the search; pointing it at nothing shows what a missing browser does."""
    override = os.environ.get("SEGNAS_CHROMIUM")
    if override is not None:
        return override if Path(override).is_file() else None
    for candidate in ("/usr/bin/chromium", shutil.which("chromium"), shutil.which("chromium-browser")):
        if candidate and Path(candidate).is_file():
            return candidate
    return None


@dataclass
class PageLog:
    errors: list[str] = field(default_factory=list)  # console.error/assert, uncaught exceptions, error log entries
    requests: list[str] = field(default_factory=list)  # every URL the page asked for, the page itself included
    result: Any = None  # value of the probe expression


class Browser:
    def __init__(self, executable: str, timeout_s: float = 30.0) -> None:
        self._profile = tempfile.mkdtemp(prefix="segnas-chromium-")
        to_child_r, self._to_child = os.pipe()
        self._from_child, from_child_w = os.pipe()

        def wire_fds() -> None:  # runs in the child before exec: protocol on fds 3 and 4
            read_end, write_end = os.dup(to_child_r), os.dup(from_child_w)
            os.dup2(read_end, 3)
            os.dup2(write_end, 4)

        self._process = subprocess.Popen(
            [executable, *CHROMIUM_FLAGS, f"--user-data-dir={self._profile}", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            pass_fds=(3, 4), preexec_fn=wire_fds,  # the fd wiring has to happen in the child
        )
        os.close(to_child_r)
        os.close(from_child_w)
        self._timeout_s = timeout_s
        self._next_id = 0
        self._buffer = b""
        self._events: list[dict[str, Any]] = []

    def _send(self, method: str, params: dict[str, Any] | None = None, session: str | None = None) -> dict[str, Any]:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._to_child, json.dumps(message).encode() + b"\0")
        while True:
            reply = self._read()
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self._events.append(reply)

    def _read(self) -> dict[str, Any]:
        deadline = time.monotonic() + self._timeout_s
        while b"\0" not in self._buffer:
            if time.monotonic() > deadline:
                raise TimeoutError("no message from Chromium")
            chunk = os.read(self._from_child, 65536)
            if not chunk:
                raise RuntimeError("Chromium closed the protocol pipe")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def open(self, path: Path, probe: str, wait_for: str = "document.body && document.body.dataset.rendered") -> PageLog:
        """Load `path`, wait until `wait_for` is truthy (or the timeout), return its log and `probe`'s value."""
        target = self._send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self._send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Runtime", "Log", "Network", "Page"):
            self._send(f"{domain}.enable", session=session)
        self._events.clear()
        self._send("Page.navigate", {"url": path.resolve().as_uri()}, session=session)
        deadline = time.monotonic() + self._timeout_s
        while time.monotonic() < deadline:
            done = self._evaluate(session, f"Boolean({wait_for})")
            if done:
                break
            time.sleep(0.05)
        time.sleep(0.2)  # let late requests (an image the page added) reach the log
        log = PageLog(result=self._evaluate(session, probe))
        for event in self._events:
            if event.get("sessionId") != session:
                continue
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                log.errors.append("console: " + " ".join(str(a.get("value", a.get("description"))) for a in params["args"]))
            elif method == "Runtime.exceptionThrown":
                details = params["exceptionDetails"]
                log.errors.append("exception: " + details.get("exception", {}).get("description", details.get("text", "")))
            elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
                log.errors.append("log: " + params["entry"]["text"])
            elif method == "Network.requestWillBeSent":
                log.requests.append(params["request"]["url"])
        self._send("Target.closeTarget", {"targetId": target})
        return log

    def _evaluate(self, session: str, expression: str) -> Any:
        # awaitPromise: a probe may be async (wait for a hover box or a hashchange)
        reply = self._send("Runtime.evaluate", {"expression": expression, "returnByValue": True, "awaitPromise": True},
                           session=session)
        if "exceptionDetails" in reply:
            raise RuntimeError(f"probe failed: {reply['exceptionDetails']}")
        return reply["result"].get("value")

    def close(self) -> None:
        try:
            self._send("Browser.close")
        except (RuntimeError, TimeoutError, OSError):
            pass
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        os.close(self._to_child)
        os.close(self._from_child)
        shutil.rmtree(self._profile, ignore_errors=True)
