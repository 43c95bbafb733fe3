"""Local services started detached (their own session): liveness, health polling, stopping process groups.

Standard library only: `bin/pacte airflow` (warehouse/airflow_local.py) and `dashboards/manage.py start|stop`,
which runs in the Superset environment with the repository root appended to its path, share it.
"""

from __future__ import annotations

import os
import signal
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from pathlib import Path


def alive(pid: int) -> bool:
    """Whether `pid` runs; a child of ours that exited is reaped first (a zombie still answers kill 0)."""
    try:
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return False
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def command_line(pid: int) -> list[bytes] | None:
    """The arguments of a running process: None when it is gone (or a zombie), [] when they cannot be read
    (just forked, exec not visible yet; or no /proc on this system)."""
    if not alive(pid):
        return None
    if not Path("/proc/self").exists():
        return []
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (FileNotFoundError, ProcessLookupError, PermissionError, IndexError):
        return None
    if state == "Z":
        return None
    return raw.split(b"\0") if raw else []


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(1)
        return sock.connect_ex((host, port)) == 0


def http_get(url: str, timeout: float = 3.0) -> bytes | None:
    """The body of a 200 answer, None for anything else (refused, timeout, other status)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return resp.read() if resp.status == 200 else None
    except (urllib.error.URLError, OSError, TimeoutError, ValueError):
        return None


def wait_until(ready: Callable[[], bool], running: Callable[[], bool], timeout: float, poll: float = 1.0) -> bool:
    """Poll `ready` until it holds (True), the service stops `running` or `timeout` seconds pass (False)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ready():
            return True
        if not running():
            return False
        time.sleep(poll)
    return False


def group_alive(pgid: int) -> bool:
    """Whether any process of the group remains (its leader may be gone, its workers not)."""
    try:
        os.killpg(pgid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def stop_groups(pids: Sequence[int], term_grace: float, kill_grace: float, poll: float = 0.3,
                running: Callable[[int], bool] = alive) -> None:
    """Stop services started in their own session (pid = process group): SIGTERM the groups of the services
    still `running`, wait at most `term_grace` seconds for the groups to be gone, then SIGKILL what is left of
    them and wait at most `kill_grace` (SIGKILL is asynchronous too)."""
    groups = [pid for pid in pids if running(pid)]
    for sig, grace in ((signal.SIGTERM, term_grace), (signal.SIGKILL, kill_grace)):
        for pgid in groups:
            try:
                os.killpg(pgid, sig)
            except (ProcessLookupError, PermissionError):
                pass
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:
            for pgid in groups:
                alive(pgid)  # reap a leader that is our child, so that its group can end
            if not any(map(group_alive, groups)):
                return
            time.sleep(poll)
