"""`bin/pacte airflow`: scheduler + API server + dag-processor on 127.0.0.1, then `--arreter`."""

from __future__ import annotations

import json
import socket
import urllib.request
from pathlib import Path

import pytest

from warehouse.airflow_local import SERVICES_FILE
from warehouse.cli import main
from warehouse.supervisor import alive as _alive

pytestmark = pytest.mark.airflow


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str) -> dict:
    # Generous timeout: on a loaded 2-core machine the freshly started API server can be slow to answer.
    with urllib.request.urlopen(url, timeout=30) as resp:
        return json.loads(resp.read())


def test_start_answer_on_localhost_then_stop(tmp_path: Path, monkeypatch, capsys) -> None:
    home = tmp_path / "airflow_home"
    monkeypatch.setenv("PACTE_AIRFLOW_HOME", str(home))
    port = _free_port()
    try:
        assert main(["airflow", "--port", str(port), "--workspace", str(tmp_path / "ws")]) == 0
        out = capsys.readouterr().out
        assert f"Airflow est prêt : http://127.0.0.1:{port}" in out and "bin/pacte airflow --arreter" in out
        assert "identifiant : admin — mot de passe : " in out
        pids = json.loads((home / SERVICES_FILE).read_text())["pids"]
        assert set(pids) == {"api-server", "scheduler", "dag-processor"}
        base = f"http://127.0.0.1:{port}"
        assert _get(f"{base}/api/v2/version")["version"] == "3.3.2"
        health = _get(f"{base}/api/v2/monitor/health")
        assert health["metadatabase"]["status"] == "healthy"
        assert health["scheduler"]["status"] == "healthy"
        # Bound to the loopback only: the machine's other addresses do not answer.
        host_ip = socket.gethostbyname(socket.gethostname())
        if not host_ip.startswith("127."):
            with socket.socket() as sock:
                assert sock.connect_ex((host_ip, port)) != 0
        # A second start is refused in French while the first one runs.
        assert main(["airflow", "--port", str(_free_port())]) == 1
        assert "Airflow tourne déjà" in capsys.readouterr().err
    finally:
        assert main(["airflow", "--arreter"]) == 0
    assert "Airflow arrêté" in capsys.readouterr().out
    assert not any(_alive(pid) for pid in pids.values())
    assert not (home / SERVICES_FILE).exists()
    with socket.socket() as sock:
        assert sock.connect_ex(("127.0.0.1", port)) != 0
