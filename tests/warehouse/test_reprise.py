"""A build takes the served version's national tables whose inputs did not change back instead of rebuilding
them (warehouse.reprise): an additional département, then one new file, give exactly what a full build of the
same landed files gives."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb

from tests.conftest import run_cli
from warehouse.build import build
from warehouse.publish import current_publication
from warehouse.workspace import Workspace

SCHEMAS_DBT = ("staging", "intermediate", "marts", "ref")


def _differences(publie: Path, complet: Path) -> dict[str, int]:
    """Rows of each dbt table found in one file and not the other (build ids left out, doubles to 1e-6)."""
    con = duckdb.connect()
    con.execute(f"ATTACH '{publie}' AS a (READ_ONLY)")
    con.execute(f"ATTACH '{complet}' AS b (READ_ONLY)")
    tables = con.execute(
        "SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = 'a' AND schema_name IN "
        f"{SCHEMAS_DBT} ORDER BY 1, 2").fetchall()
    assert len(tables) > 50
    differences = {}
    for schema, table in tables:
        cols = con.execute(
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_catalog = 'a' "
            "AND table_schema = ? AND table_name = ? AND column_name <> 'build_id' ORDER BY ordinal_position",
            [schema, table]).fetchall()
        liste = ", ".join(f'round("{c}", 6)' if t == "DOUBLE" else f'"{c}"' for c, t in cols
                          if t != "GEOMETRY" and not t.startswith("BLOB"))
        n = con.execute(f"""SELECT (SELECT count(*) FROM (SELECT {liste} FROM a.{schema}.{table}
                                                          EXCEPT ALL SELECT {liste} FROM b.{schema}.{table}))
                                 + (SELECT count(*) FROM (SELECT {liste} FROM b.{schema}.{table}
                                                          EXCEPT ALL SELECT {liste} FROM a.{schema}.{table}))""").fetchone()[0]
        if n:
            differences[f"{schema}.{table}"] = n
    return differences


def test_national_tables_are_taken_back_and_equal_a_full_build(demo_ws: Path, tmp_path: Path) -> None:
    ws_path = tmp_path / "ws"
    shutil.copytree(demo_ws, ws_path, ignore=shutil.ignore_patterns("build"))
    ws = Workspace.at(ws_path)
    demo_version = current_publication(ws)["version"]

    # An additional département, nothing new landed: every national table comes from the served version.
    vide = tmp_path / "vide"
    vide.mkdir()
    proc = run_cli("run", "--departement", "40", "--inbox", str(vide), "--workspace", str(ws_path))
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "table(s) nationale(s) reprise(s) de la version précédente" in proc.stdout
    pub = current_publication(ws)
    assert pub["departements"] == ["16", "40"]
    repris = set(pub["modeles_repris"])
    assert {"stg_insee_filosofi__valeurs", "stg_caf__valeurs", "int_besoins__indicateurs_commune_sources",
            "int_geo__communes_epci", "axes"} <= repris
    # Whatever reads the départements, the T0 snapshots or the build id is rebuilt.
    assert not repris & {"int_besoins__indicateurs_territoires", "indicateurs_epci", "int_geo__epci_diagnostic",
                         "int_controle__provenance", "indicateurs_t0", "comparaison_t0", "int_geo__contours_epci"}
    with duckdb.connect(str(ws.served_db), read_only=True) as con:
        assert con.execute("SELECT DISTINCT version_source FROM construction.modeles_repris").fetchall() == [
            (demo_version,)]
        assert con.execute("SELECT count(DISTINCT code_departement) FROM marts.indicateurs_epci").fetchone()[0] == 2

    # One new Filosofi file (a median corrected): what reads Filosofi is rebuilt, the rest is taken back.
    nouveau = tmp_path / "nouveau"
    nouveau.mkdir()
    filosofi = next((demo_ws / "inbox").glob("cc_filosofi_2021_COM*"))
    lignes = filosofi.read_text(encoding="utf-8").splitlines(keepends=True)
    colonnes = lignes[0].rstrip("\n").split(";")
    cellules = lignes[1].rstrip("\n").split(";")
    commune, mediane = cellules[0], float(cellules[colonnes.index("MED21")]) + 1234
    cellules[colonnes.index("MED21")] = f"{mediane:g}"
    (nouveau / filosofi.name).write_text("".join([lignes[0], ";".join(cellules) + "\n", *lignes[2:]]),
                                         encoding="utf-8")
    proc = run_cli("run", "--departement", "40", "--inbox", str(nouveau), "--workspace", str(ws_path))
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    pub = current_publication(ws)
    repris = set(pub["modeles_repris"])
    assert {"stg_caf__valeurs", "stg_insee_recensement__valeurs", "int_geo__communes_epci"} <= repris
    assert not repris & {"stg_insee_filosofi__valeurs", "int_besoins__indicateurs_commune_sources",
                         "int_geo__population_communes"}
    with duckdb.connect(str(ws.served_db), read_only=True) as con:
        assert con.execute("SELECT valeur FROM intermediate.int_besoins__indicateurs_commune_sources WHERE "
                           "code_commune = ? AND indicateur_id = 'niveau_vie_median' AND millesime = 2021",
                           [commune]).fetchone() == (mediane,)

    # The same landed files built in full, without taking anything back: the same tables, row for row.
    with ws.writer_lock():
        complet = build(ws, "complet", pub["departements"], pub["geo_millesime"])  # no fingerprint: no reuse
    assert complet.repris == []
    assert _differences(ws.served_db, complet.path) == {}
    assert json.loads((ws_path / "serving" / "publication.json").read_text(encoding="utf-8"))["version"] == pub[
        "version"]
