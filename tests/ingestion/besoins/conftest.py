"""Fixtures for the needs sources: small files in each published layout and one published workspace."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from demo.synthetic import caf as caf_synth
from demo.synthetic import drees as drees_synth
from demo.synthetic import filosofi as filo_synth
from demo.synthetic import france_travail as ft_synth
from demo.synthetic import insee_populations_legales as pl_synth
from demo.synthetic import insee_recensement as rp_synth
from tests.conftest import EPCI_2024, REAL, need_real, run_cli

CAF_2020 = REAL / "caf_iris" / "data_CAF_2020_IRIS.csv"
FILO_EPCI_2019 = REAL / "insee_filosofi" / "FILO2019_DISP_EPCI.csv"
ENSEMBLE = REAL / "insee_populations_legales" / "ensemble.xlsx"
EPCI_TEST = {"16": "200071827", "17": "200041689"}


def communes_test() -> pd.DataFrame:
    """30 fictitious communes in two départements, some large enough to be split into IRIS."""
    rows = []
    for i in range(1, 31):
        dep = "16" if i <= 20 else "17"
        rows.append({"code": f"{dep}{i:03d}", "nom": f"Commune {i}", "departement": dep,
                     "region": "75", "population": 12000 if i in (1, 21) else 300 + 97 * i})
    return pd.DataFrame(rows)


def epci_of_test() -> dict[str, str]:
    return {c: EPCI_TEST[c[:2]] for c in communes_test()["code"]}


def write_good(kind: str, folder: Path) -> Path:
    """One good small file per format, in the published layout."""
    folder.mkdir(parents=True, exist_ok=True)
    communes = communes_test()
    if kind == "filosofi_long":
        frame = filo_synth.synthetic_filosofi_long(communes, epci_of_test(), 2023, seed=1)
        path = folder / "DS_FILOSOFI_CC_2023_data.csv"
        frame.to_csv(path, sep=";", index=False, lineterminator="\n")
    elif kind == "recensement":
        frame = rp_synth.synthetic_rp(communes)
        cols = rp_synth.BASES["emploi-pop-active"]
        path = folder / "base-cc-emploi-pop-active-2021.csv"
        frame[["CODGEO", *cols]].rename(columns={c: rp_synth._published(c, "21") for c in cols}).to_csv(
            path, sep=";", index=False, lineterminator="\n")
    elif kind == "recensement_xlsx":
        frame = rp_synth.synthetic_rp(communes).assign(REG="75", DEP=communes["departement"])
        path = folder / "base-cc-logement-2021.xlsx"
        rp_synth.write_xlsx(frame, rp_synth.BASES["logement"], path, "21")
    elif kind == "caf_iris":
        path = folder / "data_CAF_2020_IRIS.csv"
        caf_synth.synthetic_iris(communes, seed=3).to_csv(path, sep=";", index=False, lineterminator="\r\n")
    elif kind == "caf_communes":
        com, _ = caf_synth.synthetic_territoires(communes, epci_of_test(), seed=4)
        path = folder / "caf_com_allocataires_2022.csv"
        com.to_csv(path, sep=";", index=False, lineterminator="\n")
    elif kind == "caf_epci":
        _, epci = caf_synth.synthetic_territoires(communes, epci_of_test(), seed=4)
        path = folder / "caf_epci_allocataires_2022.csv"
        epci.to_csv(path, sep=";", index=False, lineterminator="\n")
    elif kind == "defm":
        import numpy as np

        path = folder / "defm_epci.csv"
        ft_synth.synthetic_defm(["200071827", "200041689"], ["CA du Grand Angoulême", "CA de Saintes"],
                                np.array([140000.0, 60000.0]), "EPCI", ft_synth.TRIMESTRES, seed=5).to_csv(
            path, sep=";", index=False, lineterminator="\n")
    elif kind == "drees":
        path = folder / "drees_isd_2023.xlsx"
        drees_synth.write_isd(communes, path)
    elif kind == "populations":
        path = folder / "ensemble.xlsx"
        pl_synth.write_ensemble(communes, path)
    else:
        raise ValueError(kind)
    return path


@pytest.fixture(scope="session")
def besoins_ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One `bin/pacte run` on real files (CAF IRIS 2020, Filosofi 2019 EPCI, populations légales, EPCI 2024)
    and a small synthetic file per other format."""
    need_real(EPCI_2024, CAF_2020, FILO_EPCI_2019, ENSEMBLE)
    root = tmp_path_factory.mktemp("besoins")
    inbox = root / "inbox"
    inbox.mkdir()
    for f in (EPCI_2024, CAF_2020, FILO_EPCI_2019, ENSEMBLE):
        shutil.copy2(f, inbox / f.name)
    # filosofi_long is checked in-process (test_lecture): its 30 fictitious communes would feed the marts.
    for kind in ("recensement", "recensement_xlsx", "caf_communes", "caf_epci", "defm", "drees"):
        write_good(kind, inbox)
    proc = run_cli("run", "--departement", "16", "--inbox", str(inbox), "--workspace", str(root / "ws"),
                   timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return root / "ws"
