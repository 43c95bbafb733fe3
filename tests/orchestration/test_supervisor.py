"""warehouse/supervisor.py, shared by `bin/pacte airflow` and `dashboards/manage.py`: real processes, no mocks."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import REPO
from warehouse import supervisor


def test_stop_groups_ends_a_service_and_its_workers(tmp_path: Path) -> None:
    # A "service" in its own session whose worker ignores SIGTERM: only the SIGKILL of the group ends it.
    code = ("import subprocess, sys, time; "
            "subprocess.Popen([sys.executable, '-c', 'import signal, sys, time; signal.signal(signal.SIGTERM, "
            "signal.SIG_IGN); open(sys.argv[1], \"w\").close(); time.sleep(60)', sys.argv[1]]); time.sleep(60)")
    ready = tmp_path / "worker"
    service = subprocess.Popen([sys.executable, "-c", code, str(ready)], start_new_session=True)
    assert supervisor.wait_until(ready.exists, lambda: supervisor.alive(service.pid), timeout=20, poll=0.1)
    [worker] = [int(p) for p in subprocess.run(["pgrep", "-g", str(service.pid)], capture_output=True,
                                                text=True).stdout.split() if int(p) != service.pid]
    assert supervisor.command_line(service.pid)[1:3] == [b"-c", code.encode()]
    t0 = time.monotonic()
    supervisor.stop_groups([service.pid], term_grace=1, kill_grace=5, poll=0.05)
    assert not supervisor.alive(service.pid) and supervisor.command_line(service.pid) is None
    assert time.monotonic() - t0 < 6
    deadline = time.monotonic() + 5
    while supervisor.alive(worker) and time.monotonic() < deadline:  # reaped by init, not by us
        time.sleep(0.05)
    assert not supervisor.alive(worker)


def test_wait_until_stops_when_the_service_dies() -> None:
    t0 = time.monotonic()
    assert not supervisor.wait_until(lambda: False, lambda: False, timeout=30)
    assert time.monotonic() - t0 < 1
    assert not supervisor.wait_until(lambda: False, lambda: True, timeout=0.3, poll=0.1)


def test_superset_manager_uses_the_same_supervisor() -> None:
    """manage.py runs in the Superset environment, with dashboards/ (not the repository) on its path."""
    code = ("import manage, os; print(manage.supervisor.__file__, manage.is_our_server(os.getpid()), "
            "manage.port_in_use(1))")
    proc = subprocess.run([str(REPO / ".venvs" / "superset" / "bin" / "python"), "-c", code],
                          cwd=REPO / "dashboards", capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.split() == [str(REPO / "warehouse" / "supervisor.py"), "False", "False"]
