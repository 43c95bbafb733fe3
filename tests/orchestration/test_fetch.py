"""ingestion.fetch against a local HTTP server (127.0.0.1, thread). Transport tests serve a generated file
(no real data needed); the re-landing test serves the real INSEE EPCI file of ../shared."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import duckdb
import pytest

from ingestion.fetch import ORIGINS_FILE, TelechargementEchoue, fetch, read_origins
from tests.conftest import EPCI_2024, REAL, need_real, sha256
from warehouse import ingest, plan
from warehouse.workspace import Workspace

# A served file made here, in the published layout: the transport tests only need its bytes.
EPCI_FILO = Path("insee_filosofi") / "FILO2019_DISP_EPCI.csv"


class Publisher(BaseHTTPRequestHandler):
    """Serves <root>/<path>; `/lent/…` answers late, `/tronque/…` cuts its first answer (or all, `/coupe/…`)."""

    root: Path = REAL
    requests_seen: list[tuple[str, str | None]] = []
    delay = 0.0
    truncated_once: set[str] = set()

    def log_message(self, *args: object) -> None:  # keep pytest output clean
        pass

    def do_GET(self) -> None:  # noqa: N802 - http.server API
        Publisher.requests_seen.append((self.path, self.headers.get("Range")))
        mode, _, rel = self.path.lstrip("/").partition("/")
        path = Publisher.root / rel
        if mode == "lent":
            time.sleep(Publisher.delay)
        if not path.is_file():
            self.send_error(404, "Not Found")
            return
        data = path.read_bytes()
        start = 0
        if (rng := self.headers.get("Range")) and mode != "sans_range":
            start = int(rng.removeprefix("bytes=").rstrip("-"))
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        else:
            self.send_response(200)
        body = data[start:]
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        cut = mode == "coupe" or (mode == "tronque" and rel not in Publisher.truncated_once)
        if cut:  # announce the full length, send half, close: a truncated body
            Publisher.truncated_once.add(rel)
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(body)


class QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        pass  # clients that gave up (timeouts) make the slow handler's write fail: expected here


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("publisher")
    served = root / EPCI_FILO
    served.parent.mkdir(parents=True)
    served.write_text("CODGEO;LIBGEO;NBMEN19;TP6019\n" + "".join(
        f"2000{i:05d};EPCI {i};{1000 + 37 * i};{(i % 300) / 10:.1f}\n".replace(".", ",") for i in range(6000)),
        encoding="utf-8")
    if EPCI_2024.exists():
        (root / "insee_cog").mkdir()
        (root / "insee_cog" / EPCI_2024.name).symlink_to(EPCI_2024)
    Publisher.root = root
    httpd = QuietServer(("127.0.0.1", 0), Publisher)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(autouse=True)
def _reset() -> None:
    Publisher.requests_seen = []
    Publisher.delay = 0.0
    Publisher.truncated_once = set()


def test_download_is_atomic_and_records_url_and_date(server: str, tmp_path: Path) -> None:
    url = f"{server}/ok/insee_filosofi/{EPCI_FILO.name}"
    got = fetch(url, tmp_path, "insee_filosofi")
    assert got.chemin == tmp_path / "insee_filosofi" / EPCI_FILO.name
    assert got.sha256 == sha256(Publisher.root / EPCI_FILO) and sha256(got.chemin) == sha256(Publisher.root / EPCI_FILO)
    assert not got.deja_charge and not got.reprise
    assert [p.name for p in got.chemin.parent.iterdir()] == [EPCI_FILO.name]  # no .part left behind
    assert read_origins(tmp_path)[got.sha256] == {"url": url, "recupere_le": got.recupere_le}
    assert got.recupere_le.endswith("+00:00")


def test_404_fails_at_once_in_french_without_file(server: str, tmp_path: Path) -> None:
    sleeps: list[float] = []
    with pytest.raises(TelechargementEchoue) as exc:
        fetch(f"{server}/ok/insee_filosofi/absent.csv", tmp_path, "insee_filosofi", sleep=sleeps.append)
    assert "réponse HTTP 404" in str(exc.value) and "après 1 tentative(s)" in str(exc.value)
    assert len(Publisher.requests_seen) == 1 and sleeps == []  # a 404 is not retried now
    assert not any((tmp_path / "insee_filosofi").iterdir())
    assert not (tmp_path / ORIGINS_FILE).exists()


def test_timeout_is_retried_with_exponential_backoff(server: str, tmp_path: Path) -> None:
    Publisher.delay = 1.5
    sleeps: list[float] = []
    t0 = time.monotonic()
    with pytest.raises(TelechargementEchoue) as exc:
        fetch(f"{server}/lent/insee_filosofi/{EPCI_FILO.name}", tmp_path, "insee_filosofi", timeout=0.3,
              tentatives=3, attente=1.0, sleep=sleeps.append)
    assert "délai d'attente dépassé" in str(exc.value) and "après 3 tentative(s)" in str(exc.value)
    assert sleeps == [1.0, 2.0]  # back-off doubles between attempts
    assert len(Publisher.requests_seen) == 3
    assert time.monotonic() - t0 < 5  # each attempt gave up after the timeout, not after the slow answer
    assert not (tmp_path / "insee_filosofi" / EPCI_FILO.name).exists()


def test_truncated_body_is_resumed_with_range(server: str, tmp_path: Path) -> None:
    size = (Publisher.root / EPCI_FILO).stat().st_size
    got = fetch(f"{server}/tronque/insee_filosofi/{EPCI_FILO.name}", tmp_path, "insee_filosofi",
                sleep=lambda _s: None)
    assert got.reprise
    assert sha256(got.chemin) == sha256(Publisher.root / EPCI_FILO)
    (first, no_range), (second, rng) = Publisher.requests_seen
    assert first == second == f"/tronque/insee_filosofi/{EPCI_FILO.name}" and no_range is None
    resumed_at = int(rng.removeprefix("bytes=").rstrip("-"))
    assert 0 < resumed_at <= size // 2  # the second request only asked for what was missing


def test_truncated_every_time_fails_and_keeps_only_the_partial_file(server: str, tmp_path: Path) -> None:
    with pytest.raises(TelechargementEchoue) as exc:
        fetch(f"{server}/coupe/insee_filosofi/{EPCI_FILO.name}", tmp_path, "insee_filosofi", tentatives=2,
              sleep=lambda _s: None)
    assert "Téléchargement impossible" in str(exc.value)
    names = sorted(p.name for p in (tmp_path / "insee_filosofi").iterdir())
    assert names == [f".{EPCI_FILO.name}.part"]  # hidden: never recognised, resumed by the next attempt


def test_server_without_range_restarts_from_zero(server: str, tmp_path: Path) -> None:
    part = tmp_path / "insee_filosofi" / f".{EPCI_FILO.name}.part"
    part.parent.mkdir(parents=True)
    part.write_bytes(b"garbage from an older attempt")
    got = fetch(f"{server}/sans_range/insee_filosofi/{EPCI_FILO.name}", tmp_path, "insee_filosofi")
    assert not got.reprise and sha256(got.chemin) == sha256(Publisher.root / EPCI_FILO)


def test_unchanged_file_is_not_relanded_and_lineage_has_url(server: str, tmp_path: Path) -> None:
    need_real(EPCI_2024)
    ws = Workspace.at(tmp_path / "ws")
    inbox = tmp_path / "inbox"
    url = f"{server}/ok/insee_cog/{EPCI_2024.name}"
    first = fetch(url, inbox, "cog_insee", manifest=ws.landing.manifest())
    assert not first.deja_charge
    run_plan = plan.for_source("cog_insee", inbox)
    assert [f.path for f in run_plan.recognised] == [first.chemin]
    ingest.land(ws, run_plan.run_id, ingest.validate_and_stage(ws, run_plan))
    entry = ws.landing.manifest()[first.sha256]
    assert (entry["url"], entry["recupere_le"]) == (url, first.recupere_le)
    parquet = ws.landing.files_for("geo_epci")
    row = duckdb.sql(f"select distinct _url, _recupere_le::varchar from read_parquet('{parquet[0]}')").fetchall()
    assert row == [(url, first.recupere_le.replace("T", " ").removesuffix("+00:00"))]
    # Published again, same bytes: downloaded, recognised as already landed, not kept, not re-landed.
    first.chemin.unlink()
    again = fetch(url, inbox, "cog_insee", manifest=ws.landing.manifest())
    assert again.deja_charge and again.sha256 == first.sha256
    assert not any((inbox / "cog_insee").iterdir())
    assert len(ws.landing.manifest()) == 1
