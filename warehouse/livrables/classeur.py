"""`bin/pacte classeur --departement DD [--sortie F]`: the diagnostic as a formatted Excel workbook for the
people who live in Excel — tableau synthétique des dispositifs, indicators per EPCI with département and France
references, gaps, pistes — read from the published file opened read-only.

French headers come from the marts' YAML (`meta.libelle`, the labels the dashboards show); numbers keep their
unit in the number format (decimals of the seed ref_unites); panes frozen under the header, filters on every
table, conditional formatting on coverage, gaps, alerts and scores; a « Lisez-moi » sheet says what each sheet
holds, the version read, the source files with their checksums and the rules (vars of dbt_project.yml).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb
import yaml

from ingestion.errors import PacteError
from warehouse.dbt_runner import DBT_PROJECT
from warehouse.livrables.fiches import unit_decimals
from warehouse.livrables.pistes import served_file
from warehouse.publish import current_publication
from warehouse.workspace import Workspace

LISEZ_MOI = "Lisez-moi"
ENTETE = "1F4E79"
# sheet → (mart, columns, where clause on the département, order, what the sheet holds)
FEUILLES: dict[str, tuple[str, list[str], str, str, str]] = {
    "Dispositifs": (
        "dispositifs",
        ["intitule", "porteur", "co_porteurs", "mode_financement", "public_vise", "libelle_axe", "libelle_thematique",
         "couverture", "territoire", "difficultes", "pistes_developpement", "source"],
        "code_departement = $dep", "axe, intitule",
        "Tableau synthétique des dispositifs existants (porteur, financement, difficultés, couverture, pistes de "
        "développement), tel que saisi par les partenaires sur le modèle « bin/pacte template dispositifs »."),
    "Indicateurs EPCI": (
        "indicateurs_epci",
        ["code_epci", "libelle", "libelle_axe", "theme", "libelle_indicateur", "unite", "millesime_periode", "valeur",
         "valeur_departement", "valeur_france", "statut_libelle", "rang_departement", "percentile_national",
         "alerte", "motif", "source"],
        "code_departement = $dep and est_dernier_millesime", "libelle, axe, indicateur_id",
        "Indicateurs de besoin de chaque EPCI au dernier millésime publié, avec la valeur du département et de la "
        "France en référence, le rang dans le département, le percentile national et l'alerte « situation locale "
        "sensible ». Un secret statistique reste vide (statut « secret »), jamais 0."),
    "Écarts": (
        "ecarts_epci",
        ["libelle", "code_epci", "libelle_axe", "libelle_thematique", "indice_besoin", "indice_offre", "ecart",
         "niveau_couverture", "nb_services", "nb_services_eligibles", "part_population_couverte",
         "distance_moyenne_km", "indicateurs_besoin", "rang"],
        "code_departement = $dep", "axe, rang",
        "Écarts besoins × offre par EPCI, axe et thématique : indice de besoin, indice d'offre, écart et niveau de "
        "couverture (non couvert en rouge, partiellement couvert en orange, couvert en vert)."),
    "Pistes": (
        "pistes",
        ["libelle_axe", "rang", "piste_id", "intitule", "score", "note_besoin", "note_articulation", "levier_texte",
         "faisabilite_texte", "decision", "proposee", "nb_epci_concernes", "epci_concernes", "population_concernee",
         "part_population_concernee", "nb_dispositifs", "nb_structures", "acteur_associe", "argumentaire"],
        "code_departement = $dep", "axe, rang",
        "Étape 3 : pistes de contractualisation candidates par axe (thématiques de l'annexe 1), classées par leur "
        "score sur les quatre critères ; effet levier et faisabilité viennent du classeur du comité "
        "(« bin/pacte template pistes ») et restent « à évaluer » jusque-là."),
    "Fiches actions": (
        "fiches_actions",
        ["libelle_axe", "piste_id", "intitule", "pilote", "co_porteurs", "territoire", "part_etat", "cofinancement",
         "decision", "fichier"],
        "code_departement = $dep", "axe, piste_id",
        "Fiches actions validées par le comité (« bin/pacte template fiches-actions »), une par piste retenue : "
        "pilote, co-porteurs, territoire, financement."),
    "Suivi des indicateurs": (
        "suivi_indicateurs",
        ["piste_id", "type_indicateur", "libelle_indicateur", "unite", "annee", "cible", "valeur_t0", "millesime_t0",
         "source_t0", "valeur_actuelle", "millesime_actuel", "taux_atteinte", "atteinte_texte"],
        "code_departement = $dep", "piste_id, type_indicateur, indicateur, annee",
        "Indicateurs des fiches actions : cibles annuelles de réalisation, indicateurs de résultat avec leur T0 "
        "(photographie nommée), la cible 2027, la dernière valeur publiée et le taux d'atteinte."),
}
# Number formats of columns whose unit does not vary by row (Excel syntax; shown with the user's separators).
FORMATS = {"indice_besoin": "0.00", "indice_offre": "0.00", "ecart": "+0.00;-0.00;0.00",
           "part_population_couverte": '0.0" %"', "distance_moyenne_km": '0.0" km"', "score": '0.00" / 4"',
           "note_besoin": '0.00" / 4"', "note_articulation": '0.00" / 4"', "population_concernee": '#,##0" hab."',
           "part_population_concernee": '0.0" %"', "percentile_national": '0" e"', "nb_services": "0",
           "nb_services_eligibles": "0", "rang": "0", "rang_departement": "0", "part_etat": '#,##0" €"',
           "cofinancement": '#,##0" €"', "taux_atteinte": '0.0" %"', "annee": "0"}
LARGEURS = {"argumentaire": 110, "epci_concernes": 50, "intitule": 50, "libelle": 38, "libelle_indicateur": 45,
            "libelle_axe": 36, "libelle_thematique": 32, "indicateurs_besoin": 50, "difficultes": 40,
            "pistes_developpement": 40, "motif": 40}


def libelles() -> dict[str, dict[str, str]]:
    """mart → column → French label (meta.libelle of the marts' YAML)."""
    out: dict[str, dict[str, str]] = {}
    for path in (DBT_PROJECT / "models" / "marts").glob("*/_*__models.yml"):
        for model in yaml.safe_load(path.read_text(encoding="utf-8"))["models"]:
            out[model["name"]] = {c["name"]: (c.get("meta") or {}).get("libelle", c["name"]) for c in model["columns"]}
    return out


def _format_unite(unite: str) -> str:
    """Excel number format of a unit: its decimals (seed ref_unites) and the unit after the number."""
    d = unit_decimals().get(unite, 1)
    nombre = "#,##0" + ("." + "0" * d if d else "")
    return f'{nombre}" {unite.replace(chr(34), "")}"'


def _fr(value: object) -> str:
    """A parameter as a French reader writes it (decimal comma)."""
    return str(value).replace(".", ",")


def regles() -> list[tuple[str, str]]:
    variables = yaml.safe_load((DBT_PROJECT / "dbt_project.yml").read_text(encoding="utf-8"))["vars"]
    s, c, p = ({k: _fr(v) for k, v in variables[name].items()}
               for name in ("situation_sensible", "couverture", "pistes"))
    return [
        ("Situation locale sensible", f"EPCI parmi les {100 - int(s['percentile_national'])} % les plus défavorisés de "
                                      f"France, ou au moins {s['zscore_departement']} écart-type au-dessus de la "
                                      "moyenne des EPCI du département."),
        ("Couverture d'un besoin", "non couvert : aucun service situé ni éligible ; partiellement couvert : indice de "
                                   f"besoin supérieur d'au moins {c['ecart_partiel']} à l'indice d'offre, ou moins de "
                                   f"{c['part_population_min']} % de la population dans une commune dotée ; couvert "
                                   "sinon."),
        ("Score des pistes", f"moyenne pondérée (poids : besoin {p['poids_besoin']}, articulation "
                             f"{p['poids_articulation']}, effet levier {p['poids_levier']}, faisabilité "
                             f"{p['poids_faisabilite']}) de notes sur 4 ; besoin = 4 × population des EPCI non "
                             f"couverts (poids {p['poids_non_couvert']}) ou partiellement couverts (poids "
                             f"{p['poids_partiellement_couvert']}) / population du département ; articulation = 2 × "
                             f"min(1, dispositifs / {p['seuil_dispositifs']}) + 2 × min(1, structures / "
                             f"{p['seuil_structures']}) ; critère du comité non évalué = {p['note_a_evaluer']}."),
        ("Secret statistique", "une valeur secrète reste vide avec le statut « secret », jamais 0 ; « non "
                               "disponible » quand la source ne la publie pas à ce niveau."),
        ("Données personnelles", "aucune : les tableaux saisis contenant un nom, un téléphone ou un courriel "
                                 "individuel sont refusés à l'entrée."),
    ]


def _entete(ws: Any, headers: Sequence[str]) -> None:
    from openpyxl.styles import Alignment, Font, PatternFill

    for j, header in enumerate(headers, start=1):
        cell = ws.cell(row=1, column=j, value=header)
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor=ENTETE)
        cell.alignment = Alignment(wrap_text=True, vertical="top")


def _feuille(wb: Any, con: duckdb.DuckDBPyConnection, nom: str, departement: str,
             labels: dict[str, dict[str, str]]) -> int:
    from openpyxl.formatting.rule import CellIsRule, ColorScaleRule, DataBarRule
    from openpyxl.styles import Alignment, PatternFill
    from openpyxl.utils import get_column_letter

    mart, colonnes, where, order, _ = FEUILLES[nom]
    rows = con.execute(f"select {', '.join(colonnes)} from marts.{mart} where {where} order by {order}",
                       {"dep": departement}).fetchall()
    ws = wb.create_sheet(nom)
    _entete(ws, [labels[mart][c] for c in colonnes])
    unite_col = colonnes.index("unite") if "unite" in colonnes else None
    for i, row in enumerate(rows, start=2):
        for j, (col, value) in enumerate(zip(colonnes, row, strict=True), start=1):
            if isinstance(value, bool):
                value = "oui" if value else "non"
            cell = ws.cell(row=i, column=j, value=value)
            if col in FORMATS:
                cell.number_format = FORMATS[col]
            elif (col.startswith("valeur") or col == "cible") and unite_col is not None:
                cell.number_format = _format_unite(row[unite_col])
            if col in ("argumentaire", "epci_concernes", "intitule", "difficultes", "pistes_developpement"):
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    for j, col in enumerate(colonnes, start=1):
        ws.column_dimensions[get_column_letter(j)].width = LARGEURS.get(col, 16)
    last = max(len(rows) + 1, 2)
    ws.freeze_panes = "C2" if mart in ("indicateurs_epci", "ecarts_epci") else "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(colonnes))}{last}"

    def zone(col: str) -> str:
        letter = get_column_letter(colonnes.index(col) + 1)
        return f"{letter}2:{letter}{last}"

    rouge, orange, vert = (PatternFill("solid", fgColor=c, bgColor=c) for c in ("F8CBAD", "FFE699", "C6EFCE"))
    if mart == "ecarts_epci":
        for valeur, fill in (("non couvert", rouge), ("partiellement couvert", orange), ("couvert", vert)):
            ws.conditional_formatting.add(zone("niveau_couverture"),
                                          CellIsRule(operator="equal", formula=[f'"{valeur}"'], fill=fill))
        ws.conditional_formatting.add(zone("ecart"), ColorScaleRule(start_type="min", start_color="63BE7B",
                                                                    mid_type="num", mid_value=0, mid_color="FFFFFF",
                                                                    end_type="max", end_color="F8696B"))
    elif mart == "indicateurs_epci":
        ws.conditional_formatting.add(zone("alerte"), CellIsRule(operator="equal", formula=['"oui"'], fill=rouge))
    elif mart == "pistes":
        ws.conditional_formatting.add(zone("score"), DataBarRule(start_type="num", start_value=0, end_type="num",
                                                                 end_value=4, color="5B9BD5"))
        ws.conditional_formatting.add(zone("decision"), CellIsRule(operator="equal", formula=['"retenue"'], fill=vert))
        ws.conditional_formatting.add(zone("decision"), CellIsRule(operator="equal", formula=['"écartée"'],
                                                                   fill=rouge))
    return len(rows)


def generer(served: Path, departement: str, sortie: Path, publication: dict[str, Any] | None) -> dict[str, int]:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    labels = libelles()
    wb = Workbook()
    lisez = wb.active
    lisez.title = LISEZ_MOI
    with duckdb.connect(str(served), read_only=True) as con:
        if departement not in {r[0] for r in con.execute("select code_departement from construction.departements")
                               .fetchall()}:
            raise PacteError(f"Le département {departement} n'est pas dans l'entrepôt publié.")
        tailles = {nom: _feuille(wb, con, nom, departement, labels) for nom in FEUILLES}
        fichiers = con.execute("select fichier, source_id, nature_donnees, millesimes, sha256 from marts.provenance "
                               "where code_departement = $dep order by source_id, fichier",
                               {"dep": departement}).fetchall()
        build_id = con.execute("select build_id from construction.parametres").fetchone()[0]
        synthetique = con.execute("select bool_or(donnees_synthetiques) from marts.provenance").fetchone()[0]
    lignes: list[tuple[Any, ...]] = [
        (f"Diagnostic territorial du Pacte local des solidarités — département {departement}",),
        (),
        ("Version publiée lue", build_id),
        ("Publiée le", (publication or {}).get("publie_le", "—")),
        ("COG (géographie)", (publication or {}).get("geo_millesime", "—")),
    ]
    if synthetique:
        lignes.append(("Attention", "l'entrepôt contient des données SYNTHÉTIQUES de démonstration : ne pas les "
                                    "utiliser pour un diagnostic réel."))
    lignes += [(), ("Feuille", "Contenu", "Lignes")]
    lignes += [(nom, FEUILLES[nom][4], tailles[nom]) for nom in FEUILLES]
    lignes += [(), ("Règles",)] + list(regles())
    lignes += [(), ("Sources (fichiers d'origine)", "Source", "Nature", "Millésime(s)", "SHA-256")]
    lignes += [tuple(f) for f in fichiers]
    for row in lignes:
        lisez.append(list(row))
    lisez["A1"].font = Font(bold=True, size=14)
    for row in lisez.iter_rows():
        if row and row[0].value in ("Feuille", "Règles", "Sources (fichiers d'origine)"):
            for cell in row:
                cell.font = Font(bold=True)
        for cell in row[1:2]:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    lisez.column_dimensions["A"].width = 32
    lisez.column_dimensions["B"].width = 100
    for letter in "CDE":
        lisez.column_dimensions[letter].width = 18
    sortie.parent.mkdir(parents=True, exist_ok=True)
    wb.save(sortie)
    return tailles


def command(args: Any, console: Any) -> int:
    """`bin/pacte classeur --departement DD [--sortie F] [--workspace W]`."""
    ws = Workspace.at(args.workspace)
    sortie = args.sortie or Path(f"diagnostic_{args.departement}.xlsx")
    tailles = generer(served_file(ws), args.departement, sortie, current_publication(ws))
    console.print(f"[green]Classeur écrit[/] : {sortie} — "
                  + ", ".join(f"{nom} ({n} lignes)" for nom, n in tailles.items()))
    return 0
