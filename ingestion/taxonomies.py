"""data·inclusion taxonomies (référentiels): v1 from the installed PyPI package, v0 from an older wheel.

The package `data-inclusion-schema` dropped v0 after 1.0.6 ("chore: abandon v0"), so the v0 enums are read
from the 1.0.6 wheel, fetched once from PyPI with `pip download` into `.cache/registry/` and parsed with `ast`
(never imported: it would shadow the installed v1 package).
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
import zipfile
from functools import cache
from pathlib import Path

import pandas as pd

from ingestion.errors import PacteError

REPO_ROOT = Path(__file__).resolve().parents[1]
CACHE = REPO_ROOT / ".cache" / "registry"
V0_VERSION = "1.0.6"  # last release shipping data_inclusion/schema/v0
V0_WHEEL = f"data_inclusion_schema-{V0_VERSION}-py3-none-any.whl"
# taxonomy name → (module file in the v0 wheel, enum class)
V0_ENUMS = {
    "thematiques": ("thematiques.py", "Thematique"),
    "profils": ("profils.py", "Profil"),
    "typologies_de_structures": ("typologies_de_structures.py", "TypologieStructure"),
    "typologies_de_services": ("typologies_de_services.py", "TypologieService"),
    "frais": ("frais.py", "Frais"),
    "modes_accueil": ("modes_accueil.py", "ModeAccueil"),
    "zones_de_diffusion_types": ("zones_de_diffusion.py", "ZoneDiffusionType"),
    "labels_nationaux": ("labels_nationaux.py", "LabelNational"),
}


def _pip_commands() -> list[list[str]]:
    commands = [[sys.executable, "-m", "pip"]]
    for name in ("pip3", "pip"):
        found = shutil.which(name)
        if found:
            commands.append([found])
    uv = shutil.which("uv")
    if uv:
        commands.append([uv, "pip"])
    return commands


def v0_wheel(cache_dir: Path = CACHE) -> Path:
    """Return the cached v0 wheel, downloading it from PyPI (`pip download`) the first time."""
    target = cache_dir / V0_WHEEL
    if target.exists():
        return target
    cache_dir.mkdir(parents=True, exist_ok=True)
    errors: list[str] = []
    for cmd in _pip_commands():
        proc = subprocess.run([*cmd, "download", "--no-deps", "--only-binary=:all:", "-q", "-d", str(cache_dir),
                               f"data-inclusion-schema=={V0_VERSION}"], capture_output=True, text=True, timeout=300)
        if proc.returncode == 0 and target.exists():
            return target
        errors.append(proc.stderr.strip()[-300:])
    raise PacteError("Impossible de récupérer le référentiel data·inclusion v0 (paquet PyPI "
                      f"data-inclusion-schema=={V0_VERSION}) : " + " | ".join(errors))


def _enum_entries(source: str, class_name: str) -> list[tuple[str, str]]:
    """(value, label) of an EnhancedEnum class, read from its source without importing it."""
    tree = ast.parse(source)
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == class_name:
            return [tuple(ast.literal_eval(stmt.value)[:2]) for stmt in node.body  # type: ignore[misc]
                    if isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Tuple)]
    raise ValueError(f"enum {class_name} not found")


@cache
def taxonomie_v0(cache_dir: Path = CACHE) -> pd.DataFrame:
    rows: list[dict[str, str]] = []
    with zipfile.ZipFile(v0_wheel(cache_dir)) as wheel:
        for name, (module, class_name) in V0_ENUMS.items():
            source = wheel.read(f"data_inclusion/schema/v0/{module}").decode("utf-8")
            rows += [{"version": "v0", "taxonomie": name, "valeur": v, "libelle": label}
                     for v, label in _enum_entries(source, class_name)]
    return _with_categorie(pd.DataFrame(rows))


@cache
def taxonomie_v1() -> pd.DataFrame:
    from data_inclusion.schema import v1

    enums = {"thematiques": v1.Thematique, "categories": v1.Categorie, "publics": v1.Public,
             "frais": v1.Frais, "modes_accueil": v1.ModeAccueil, "reseaux_porteurs": v1.ReseauPorteur,
             "types_de_services": v1.TypeService, "modes_mobilisation": v1.ModeMobilisation}
    rows = [{"version": "v1", "taxonomie": name, "valeur": item.value, "libelle": item.label}
            for name, enum in enums.items() for item in enum]
    return _with_categorie(pd.DataFrame(rows))


def _with_categorie(frame: pd.DataFrame) -> pd.DataFrame:
    frame["categorie"] = frame["valeur"].str.split("--").str[0].where(frame["taxonomie"] == "thematiques")
    return frame


def taxonomies() -> pd.DataFrame:
    """Every taxonomy value of both schema versions: version, taxonomie, valeur, libelle, categorie."""
    return pd.concat([taxonomie_v1(), taxonomie_v0()], ignore_index=True)


def valeurs(version: str, taxonomie: str) -> set[str]:
    table = taxonomie_v1() if version == "v1" else taxonomie_v0()
    return set(table.loc[table["taxonomie"] == taxonomie, "valeur"])
