"""`make dbt-build`: dbt's own command line builds the project alone on a workspace's landed files."""

from __future__ import annotations

from pathlib import Path

import duckdb

from warehouse import dev_build

MART = "marts.indicateurs_epci"


def test_an_empty_workspace_is_refused_in_french(tmp_path: Path, capsys) -> None:
    assert dev_build.main(["--workspace", str(tmp_path / "vide"), "--fichier", str(tmp_path / "dev.duckdb")]) == 2
    err = capsys.readouterr().err
    assert "Aucun fichier chargé dans l'espace" in err and "bin/pacte run" in err
    assert not (tmp_path / "dev.duckdb").exists()


def test_dbt_alone_rebuilds_the_published_mart(small_ws: Path, tmp_path: Path) -> None:
    dev = tmp_path / "dev.duckdb"
    code = dev_build.main(["--workspace", str(small_ws), "--fichier", str(dev), "--", "-s", "+indicateurs_epci",
                           "--exclude", "resource_type:test"])
    assert code == 0
    query = f"SELECT * FROM {MART} ORDER BY ALL"
    with duckdb.connect(str(dev), read_only=True) as con:
        rebuilt = con.execute(query).fetchall()
        assert con.execute("SELECT list(code_departement) FROM construction.departements").fetchone()[0] == ["16"]
    with duckdb.connect(str(small_ws / "serving" / "pacte.duckdb"), read_only=True) as con:
        published = con.execute(query).fetchall()
    assert rebuilt and rebuilt == published
