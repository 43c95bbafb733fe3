"""Download published files into the inbox, for the real world: timeouts, retries with back-off, resumed or
atomic writes, checksum dedup against the landing manifest, and the URL + retrieval date kept for lineage.

A download lands in `<inbox>/<source_id>/<fichier>` only once complete (`.part` + `os.replace`), so a half
file is never recognised; `<inbox>/.recuperations.json` maps each file's SHA-256 to its URL and retrieval
date, which `Landing.stage` copies into `_url` / `_recupere_le`.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import yaml

from ingestion.errors import PacteError
from ingestion.landing import sha256_of
from ingestion.registry import REGISTRY_DIR

ORIGINS_FILE = ".recuperations.json"
CHUNK = 1 << 16


class TelechargementEchoue(PacteError):
    """The publisher's file could not be fetched (after retries): the fetch task may be retried later."""


@dataclass(frozen=True)
class Recuperation:
    url: str
    chemin: Path
    sha256: str
    recupere_le: str
    deja_charge: bool  # same checksum already in the landing manifest: nothing new to land
    reprise: bool  # the download resumed a partial file (HTTP Range)


def downloads_of(source_id: str, directory: Path = REGISTRY_DIR) -> list[dict[str, str]]:
    """Direct download URLs of a source: `telechargements: [{url, fichier}]` in its registry fragment.

    The fragment's `url` is the publisher's landing page (documentation); files need explicit URLs.
    """
    spec = yaml.safe_load((directory / f"{source_id}.yml").read_text(encoding="utf-8"))
    items = list(spec.get("telechargements") or [])
    for fmt in spec.get("formats", []):
        items += list(fmt.get("telechargements") or [])
    return [{"url": i["url"], "fichier": i.get("fichier") or _name_from_url(i["url"])} for i in items]


def _name_from_url(url: str) -> str:
    name = Path(unquote(urlparse(url).path)).name
    if not name:
        raise PacteError(f"Impossible de déduire un nom de fichier de l'adresse {url} : précisez « fichier ».")
    return name


def read_origins(inbox: Path) -> dict[str, dict[str, Any]]:
    path = inbox / ORIGINS_FILE
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def record_origin(inbox: Path, sha: str, **fields: object) -> None:
    """Add lineage facts about a file of the inbox (by checksum), landed with its rows: `url` and
    `recupere_le` for a download, `synthetique` for a file made up for a demonstration."""
    origins = read_origins(inbox)
    origins[sha] = {**origins.get(sha, {}), **fields}
    tmp = inbox / f"{ORIGINS_FILE}.tmp"
    tmp.write_text(json.dumps(origins, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(tmp, inbox / ORIGINS_FILE)


def _download_once(url: str, part: Path, timeout: float) -> bool:
    """One HTTP attempt appending to `part` (Range when it exists). Returns True when it resumed."""
    import requests

    offset = part.stat().st_size if part.exists() else 0
    headers = {"Range": f"bytes={offset}-"} if offset else {}
    with requests.get(url, headers=headers, stream=True, timeout=timeout, allow_redirects=True) as resp:
        if resp.status_code == 416 and offset:  # partial file already complete or stale: start over
            part.unlink()
            return _download_once(url, part, timeout)
        if resp.status_code not in (200, 206):
            raise TelechargementEchoue(f"{url} : réponse HTTP {resp.status_code} ({resp.reason}).")
        resumed = resp.status_code == 206
        if not resumed:
            offset = 0  # the server ignored Range: rewrite from the start
        expected = resp.headers.get("Content-Length")
        received = 0
        with part.open("ab" if resumed else "wb") as fh:
            for chunk in resp.iter_content(CHUNK):
                fh.write(chunk)
                received += len(chunk)
        if expected is not None and received < int(expected):
            raise TelechargementEchoue(f"{url} : contenu tronqué ({received} octets reçus sur {expected} "
                                       f"annoncés).")
        return resumed


def fetch(url: str, inbox: Path, source_id: str, fichier: str | None = None, *,
          manifest: dict[str, Any] | None = None, timeout: float = 30.0, tentatives: int = 4,
          attente: float = 2.0, sleep: Callable[[float], None] = time.sleep) -> Recuperation:
    """Fetch `url` into `<inbox>/<source_id>/<fichier>`, retrying with exponential back-off.

    Interrupted transfers resume from the `.part` file (HTTP Range) on the next attempt. A file whose
    checksum is already in the landing `manifest` is reported `deja_charge` and not left in the inbox.
    """
    import requests

    name = fichier or _name_from_url(url)
    target_dir = inbox / source_id
    target_dir.mkdir(parents=True, exist_ok=True)
    part = target_dir / f".{name}.part"
    resumed = False
    last: Exception | None = None
    for attempt in range(1, tentatives + 1):
        try:
            resumed = _download_once(url, part, timeout) or resumed
            last = None
            break
        except (requests.RequestException, TelechargementEchoue) as exc:
            last = exc
            if isinstance(exc, TelechargementEchoue) and " HTTP 4" in str(exc):
                break  # 404, 403…: retrying now will not help (the Airflow task retries later)
            if attempt < tentatives:
                sleep(attente * 2 ** (attempt - 1))
    if last is not None:  # the .part file stays: the next attempt (Airflow retry) resumes it
        raise TelechargementEchoue(f"Téléchargement impossible de {url} après {attempt} tentative(s) : "
                                   f"{_describe(last)}") from last
    sha = sha256_of(part)
    recupere_le = datetime.now(UTC).isoformat(timespec="seconds")
    if manifest is not None and sha in manifest:
        part.unlink()
        return Recuperation(url, target_dir / name, sha, recupere_le, deja_charge=True, reprise=resumed)
    target = target_dir / name
    os.replace(part, target)
    record_origin(inbox, sha, url=url, recupere_le=recupere_le)
    return Recuperation(url, target, sha, recupere_le, deja_charge=False, reprise=resumed)


def _describe(exc: Exception) -> str:
    import requests

    if isinstance(exc, requests.Timeout):
        return "délai d'attente dépassé (le serveur ne répond pas)"
    if isinstance(exc, requests.ConnectionError):
        return f"connexion impossible ({exc.__class__.__name__})"
    return str(exc)
