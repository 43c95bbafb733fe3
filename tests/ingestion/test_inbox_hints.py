"""An unrecognised file whose content says what it is gets the naming rule it breaks, in French."""

from __future__ import annotations

import shutil
from pathlib import Path

from ingestion.registry import recognise, unknown_hint
from tests.conftest import REAL, need_real, run_cli

EPCI_JSON = REAL / "etalab_decoupage_administratif" / "v6.0.0_cog2026" / "epci.json"


def test_etalab_folder_without_cog_vintage_states_the_naming_rule(tmp_path: Path) -> None:
    need_real(EPCI_JSON)
    folder = tmp_path / "inbox" / "decoupage"
    folder.mkdir(parents=True)
    shutil.copy2(EPCI_JSON, folder / "epci.json")
    assert recognise(folder / "epci.json") is None
    hint = unknown_hint(folder / "epci.json")
    assert hint is not None and "« cogAAAA »" in hint and "v6.0.0_cog2026/epci.json" in hint
    proc = run_cli("run", "--departement", "16", "--inbox", str(tmp_path / "inbox"), "--workspace",
                   str(tmp_path / "ws"))
    out = " ".join(proc.stdout.split())
    assert "epci.json : fichier non reconnu (ignoré) — contenu reconnu (epci.json" in out, out
    assert "le nom du dossier ou du fichier doit contenir « cogAAAA »" in out
    # Following the rule is enough: the folder named as the hint says is recognised, with its vintage.
    renamed = folder.rename(tmp_path / "inbox" / "decoupage_cog2026")
    found = recognise(renamed / "epci.json")
    assert found is not None and found.geo_millesime == 2026
    # Files whose content is not a known one get no hint.
    (tmp_path / "notes.json").write_text('[{"a": 1}]', encoding="utf-8")
    assert unknown_hint(tmp_path / "notes.json") is None
