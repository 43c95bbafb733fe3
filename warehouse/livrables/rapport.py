"""`bin/pacte rapport --departement DD --format pdf|docx|html [--sortie F]`: the diagnostic report for a comité,
read from the published file (read-only).

Sections: synthèse; étape 1 (poverty per EPCI with the département and France references, situations locales
sensibles, a choropleth map of the EPCI); étape 2 (offer per axe, a map of the service points over the EPCI, the
tableau synthétique des dispositifs); the gaps ranked; étape 3 (pistes with scores and argumentaire); the fiches
actions and their indicators; annexes (rules, sources with millésimes and SHA-256, synthetic data if any).

HTML is the one layout: WeasyPrint turns it into the PDF (French hyphenation, repeated table headers, page
numbers); python-docx writes the same content as an editable DOCX (real headings, tables, images). Maps are drawn
offline with matplotlib from the warehouse's contours (marts.geo_epci) and points (marts.services_points).
"""

from __future__ import annotations

import base64
import io
import json
import math
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any

import duckdb

from ingestion.errors import PacteError
from warehouse.livrables.classeur import regles
from warehouse.livrables.pistes import served_file
from warehouse.publish import current_publication
from warehouse.workspace import Workspace

FORMATS = ("pdf", "docx", "html")
AXE_COULEURS = {"1": "#2563eb", "2": "#16a34a", "3": "#dc2626", "4": "#ca8a04"}


@dataclass
class Section:
    titre: str
    paragraphes: list[str] = field(default_factory=list)
    tableaux: list[tuple[str, list[str], list[list[str]]]] = field(default_factory=list)  # (légende, en-têtes, lignes)
    images: list[tuple[str, bytes]] = field(default_factory=list)  # (légende, PNG)


def _fr(value: Any, decimales: int = 1) -> str:
    if value is None:
        return "—"
    if isinstance(value, int | float) and not isinstance(value, bool):
        text = f"{value:,.{decimales}f}".replace(",", "\u202f").replace(".", ",")
        return text
    return str(value)


def _carte(contours: list[tuple[str, Any]], points: list[tuple[float, float, str]] | None = None) -> bytes | None:
    """PNG of the EPCI (filled by value classes) and optional service points coloured by axe; None without
    contours."""
    if not contours:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch, Polygon

    anneaux = []
    for geojson, valeur in contours:
        geom = json.loads(geojson)
        polys = geom["coordinates"] if geom["type"] == "MultiPolygon" else [geom["coordinates"]]
        anneaux += [(poly[0], valeur) for poly in polys]
    valeurs = sorted(float(v) for _, v in anneaux if v is not None)
    bornes = sorted({valeurs[round(i * (len(valeurs) - 1) / 4)] for i in range(5)}) if valeurs else []
    couleurs = plt.get_cmap("OrRd")
    fig, ax = plt.subplots(figsize=(7, 6))
    for ring, valeur in anneaux:
        if valeur is None or len(bornes) < 2:
            face = "#f3f4f6" if valeur is None else couleurs(0.5)
        else:
            k = max([i for i in range(len(bornes) - 1) if valeur >= bornes[i]] or [0])
            face = couleurs(0.15 + 0.8 * k / max(1, len(bornes) - 2))
        ax.add_patch(Polygon(ring, closed=True, facecolor=face, edgecolor="#374151", linewidth=0.4))
    if points:
        for axe, couleur in AXE_COULEURS.items():
            xs = [p[0] for p in points if p[2] == axe]
            ax.scatter(xs, [p[1] for p in points if p[2] == axe], s=9, color=couleur, edgecolors="white",
                       linewidths=0.3, zorder=3, label=f"axe {axe}")
    lats = [lat for ring, _ in anneaux for _, lat in ring]
    ax.autoscale_view()
    ax.set_aspect(1 / math.cos(math.radians(sum(lats) / len(lats))))
    ax.axis("off")
    handles = [Patch(facecolor=couleurs(0.15 + 0.8 * k / max(1, len(bornes) - 2)), edgecolor="#374151",
                     label=f"{_fr(bornes[k])} à {_fr(bornes[k + 1])}") for k in range(len(bornes) - 1)]
    if points:
        handles += [Patch(facecolor=c, label=f"services axe {a}") for a, c in AXE_COULEURS.items()]
    if handles:
        ax.legend(handles=handles, loc="lower left", fontsize=7)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def _rows(con: duckdb.DuckDBPyConnection, sql: str, dep: str) -> list[tuple[Any, ...]]:
    return con.execute(sql, {"dep": dep}).fetchall()


def contenu(served: Path, departement: str, publication: dict[str, Any] | None,
            t0: dict[str, Any] | None = None) -> tuple[str, list[Section]]:
    """The report's sections; `t0`: the manifest of the snapshot the fiches' T0 values refer to (`--t0`)."""
    with duckdb.connect(str(served), read_only=True) as con:
        if departement not in {r[0] for r in con.execute("select code_departement from construction.departements")
                               .fetchall()}:
            raise PacteError(f"Le département {departement} n'est pas dans l'entrepôt publié.")
        build_id = con.execute("select build_id from construction.parametres").fetchone()[0]
        pauvrete = _rows(con, """
            select i.libelle, i.valeur_texte, i.valeur_departement_texte, i.valeur_france_texte, i.millesime_periode,
                   i.valeur, i.code_epci
            from marts.indicateurs_epci as i
            where i.code_departement = $dep and i.indicateur_id = 'taux_pauvrete_60' and i.est_dernier_millesime
            order by i.valeur desc nulls last, i.libelle""", departement)
        epci = _rows(con, "select distinct code_epci, libelle from marts.ecarts_epci where code_departement = $dep "
                          "order by libelle", departement)
        sensibles = _rows(con, """
            select libelle, theme, indicateurs_sensibles from marts.besoins_epci
            where code_departement = $dep and situation_sensible order by libelle, theme""", departement)
        offre = _rows(con, """
            select libelle_axe, count(distinct thematique), sum(nb_services), sum(nb_structures)
            from marts.offre_epci where code_departement = $dep group by libelle_axe order by libelle_axe""",
                      departement)
        dispositifs = _rows(con, """
            select intitule, porteur, mode_financement, libelle_axe, couverture, difficultes
            from marts.dispositifs where code_departement = $dep order by axe, intitule""", departement)
        ecarts = _rows(con, """
            select libelle, libelle_axe, libelle_thematique, indice_besoin_texte, ecart, niveau_couverture
            from marts.ecarts_epci where code_departement = $dep and niveau_couverture <> 'couvert'
            order by ecart desc nulls last, libelle limit 25""", departement)
        pistes = _rows(con, """
            select libelle_axe, rang, intitule, score, levier_texte, faisabilite_texte, decision, acteur_associe,
                   argumentaire
            from marts.pistes where code_departement = $dep and (proposee or decision in ('retenue', 'amendée'))
            order by axe, rang""", departement)
        fiches = _rows(con, """
            select f.piste_id, f.intitule, f.pilote, f.part_etat, s.libelle_indicateur, s.valeur_t0, s.millesime_t0,
                   s.cible
            from marts.fiches_actions as f
            left join marts.suivi_indicateurs as s
                on s.code_departement = f.code_departement and s.piste_id = f.piste_id
               and s.type_indicateur = 'resultat'
            where f.code_departement = $dep order by f.piste_id, s.indicateur""", departement)
        sources = _rows(con, """
            select fichier, source_id, millesimes, sha256, nature_donnees from marts.provenance
            where code_departement = $dep order by source_id, fichier""", departement)
        valeur_de = {r[6]: r[5] for r in pauvrete}
        contours = [(g, valeur_de.get(c)) for c, g in _rows(
            con, "select code_epci, geojson from marts.geo_epci where code_departement = $dep", departement)]
        points = [(lon, lat, axe) for lon, lat, axe in _rows(
            con, "select longitude, latitude, axe from marts.services_points where code_departement = $dep "
                 "and latitude is not null", departement)]
    titre = f"Diagnostic territorial du Pacte local des solidarités — département {departement}"
    version = (f"version publiée {build_id}"
               + (f" du {str(publication.get('publie_le', ''))[:10]}" if publication else ""))
    synthetiques = any("synth" in str(s[4]) for s in sources)
    non_couverts = sum(1 for e in ecarts if e[5] == "non couvert")
    synthese = Section("Synthèse", [
        f"Ce rapport est produit par l'entrepôt du diagnostic ({version}). Il couvre les {len(epci)} EPCI du "
        f"département : {', '.join(e[1] for e in epci)}.",
        (f"Taux de pauvreté (seuil 60 %, {pauvrete[0][4]}) : de {pauvrete[-1][1]} % ({pauvrete[-1][0]}) à "
         f"{pauvrete[0][1]} % ({pauvrete[0][0]}) ; département {pauvrete[0][2]} %, France {pauvrete[0][3]} %."
         if pauvrete else "Taux de pauvreté : non disponible dans les fichiers chargés."),
        f"{len(sensibles)} situation(s) locale(s) sensible(s) ; parmi les 25 écarts les plus forts, {non_couverts} "
        f"besoin(s) non couvert(s). {len(pistes)} piste(s) proposée(s) ou retenue(s), {len({f[0] for f in fiches})} "
        "fiche(s) action(s).",
    ] + (["Attention : l'entrepôt contient des données SYNTHÉTIQUES de démonstration ; ne pas utiliser ce rapport "
          "pour un diagnostic réel."] if synthetiques else []))
    etape1 = Section("Étape 1 — Besoins", ["Taux de pauvreté monétaire par EPCI au dernier millésime publié, avec les "
                                          "références du département et de la France (INSEE Filosofi)."])
    etape1.tableaux.append(("Taux de pauvreté par EPCI (%)", ["EPCI", "Taux", "Département", "France", "Millésime"],
                            [[str(c) for c in r[:5]] for r in pauvrete]))
    carte_besoins = _carte(contours)
    if carte_besoins:
        etape1.images.append(("Carte : taux de pauvreté par EPCI", carte_besoins))
    else:
        etape1.paragraphes.append("Carte des EPCI non disponible : aucun contour communal chargé.")
    etape1.tableaux.append(("Situations locales sensibles", ["EPCI", "Thème", "Indicateurs"],
                            [[str(c or "") for c in r] for r in sensibles]))
    etape2 = Section("Étape 2 — Offre", ["Offre de services par axe du Pacte (data·inclusion, Soliguide) et tableau "
                                         "synthétique des dispositifs saisi par les partenaires."])
    etape2.tableaux.append(("Offre par axe", ["Axe", "Thématiques", "Services", "Structures"],
                            [[str(r[0]), _fr(r[1], 0), _fr(r[2], 0), _fr(r[3], 0)] for r in offre]))
    carte_offre = _carte([(g, None) for g, _ in contours], points) if points else None
    if carte_offre:
        etape2.images.append(("Carte : points de service par axe", carte_offre))
    etape2.tableaux.append(("Tableau synthétique des dispositifs", ["Dispositif", "Porteur", "Financement", "Axe",
                                                                    "Couverture", "Difficultés"],
                            [[str(c or "") for c in r] for r in dispositifs]))
    section_ecarts = Section("Écarts besoins / offre", ["Les 25 besoins les moins couverts (marts.ecarts_epci)."])
    section_ecarts.tableaux.append(("Besoins peu ou non couverts", ["EPCI", "Axe", "Thématique", "Indice de besoin",
                                                                    "Écart", "Couverture"],
                                    [[str(r[0]), str(r[1]), str(r[2]), str(r[3]), _fr(r[4], 2), str(r[5])]
                                     for r in ecarts]))
    etape3 = Section("Étape 3 — Pistes de contractualisation",
                     ["Pistes proposées (les premières de chaque axe) ou retenues par le comité, notées sur les "
                      "quatre critères des appels d'offres."])
    etape3.tableaux.append(("Pistes", ["Axe", "Rang", "Piste", "Score", "Levier", "Faisabilité", "Décision",
                                       "Acteur associé"],
                            [[str(r[0]), str(r[1]), str(r[2]), _fr(r[3], 2), *[str(c) for c in r[4:8]]]
                             for r in pistes]))
    etape3.paragraphes += [f"{r[2]} — {r[8]}" for r in pistes]
    section_fiches = Section("Fiches actions")
    section_fiches.tableaux.append(("Fiches actions et indicateurs de résultat",
                                    ["Piste", "Action", "Pilote", "Part État", "Indicateur", "T0", "Millésime T0",
                                     "Cible 2027"],
                                    [[str(r[0]), str(r[1]), str(r[2]), _fr(r[3], 0), str(r[4] or "—"), _fr(r[5]),
                                      str(r[6] or "—"), _fr(r[7])] for r in fiches]))
    if not fiches:
        section_fiches.paragraphes.append("Aucune fiche action publiée (bin/pacte template fiches-actions).")
    annexes = Section("Annexes — méthode et sources", [f"{r}. {t}" for r, t in regles()])
    if t0:
        annexes.paragraphes.insert(0, (
            f"Photographie T0 de référence : {t0['label']} (figée le {t0.get('cree_le', '—')}, version "
            f"{t0.get('build_id', '—')}, COG {t0.get('geo_millesime', '—')}, empreinte de contenu "
            f"{t0.get('empreinte_indicateurs', '—')}). Les valeurs T0 des fiches actions viennent de la photographie "
            "que chaque fiche nomme (colonne « Source du T0 »)."))
    annexes.tableaux.append(("Fichiers d'origine", ["Fichier", "Source", "Millésime(s)", "SHA-256", "Nature"],
                             [[str(c) for c in r] for r in sources]))
    return titre, [synthese, etape1, etape2, section_ecarts, etape3, section_fiches, annexes]


CSS = """
@page { size: A4; margin: 1.6cm 1.4cm; @bottom-right { content: "page " counter(page) " / " counter(pages);
  font-size: 8pt; } }
body { font-family: "DejaVu Sans", sans-serif; font-size: 9pt; hyphens: auto; }
h1 { font-size: 16pt; color: #1F4E79; } h2 { font-size: 13pt; color: #1F4E79; page-break-before: always; }
h2.premier { page-break-before: avoid; }
table { border-collapse: collapse; width: 100%; margin: 6px 0 12px; font-size: 7.5pt; }
thead { display: table-header-group; } th { background: #1F4E79; color: white; text-align: left; }
td, th { border: 1px solid #ccc; padding: 2px 4px; vertical-align: top; overflow-wrap: anywhere; }
img { max-width: 100%; max-height: 17cm; } caption { font-weight: bold; text-align: left; margin-bottom: 2px; }
"""


def html(titre: str, sections: list[Section]) -> str:
    parts = [f"<!doctype html><html lang=fr><meta charset=utf-8><title>{escape(titre)}</title><style>{CSS}</style>",
             f"<h1>{escape(titre)}</h1>"]
    for i, s in enumerate(sections):
        parts.append(f"<h2{' class=premier' if i == 0 else ''}>{escape(s.titre)}</h2>")
        parts += [f"<p>{escape(p)}</p>" for p in s.paragraphes]
        for legende, png in s.images:
            parts.append(f"<figure><img alt='{escape(legende)}' src='data:image/png;base64,"
                         f"{base64.b64encode(png).decode()}'><figcaption>{escape(legende)}</figcaption></figure>")
        for legende, entetes, lignes in s.tableaux:
            parts.append(f"<table><caption>{escape(legende)}</caption><thead><tr>"
                         + "".join(f"<th>{escape(h)}</th>" for h in entetes) + "</tr></thead><tbody>"
                         + "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in ligne) + "</tr>"
                                   for ligne in lignes)
                         + ("" if lignes else f"<tr><td colspan={len(entetes)}>aucune ligne</td></tr>")
                         + "</tbody></table>")
    return "\n".join(parts) + "</html>"


def docx(titre: str, sections: list[Section], sortie: Path) -> None:
    from docx import Document
    from docx.shared import Cm, Pt

    doc = Document()
    doc.styles["Normal"].font.size = Pt(9)
    doc.add_heading(titre, level=0)
    for s in sections:
        doc.add_heading(s.titre, level=1)
        for p in s.paragraphes:
            doc.add_paragraph(p)
        for legende, png in s.images:
            doc.add_picture(io.BytesIO(png), width=Cm(15))
            doc.add_paragraph(legende, style="Caption")
        for legende, entetes, lignes in s.tableaux:
            doc.add_paragraph(legende, style="Caption")
            table = doc.add_table(rows=1, cols=len(entetes))
            table.style = "Table Grid"
            for cell, h in zip(table.rows[0].cells, entetes, strict=True):
                cell.text = h
            for ligne in lignes:
                for cell, value in zip(table.add_row().cells, ligne, strict=True):
                    cell.text = value
    doc.save(str(sortie))


def generer(served: Path, departement: str, fmt: str, sortie: Path, publication: dict[str, Any] | None,
            t0: dict[str, Any] | None = None) -> Path:
    titre, sections = contenu(served, departement, publication, t0)
    sortie.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "html":
        sortie.write_text(html(titre, sections), encoding="utf-8")
    elif fmt == "pdf":
        from weasyprint import HTML

        HTML(string=html(titre, sections)).write_pdf(str(sortie))
    else:
        docx(titre, sections, sortie)
    return sortie


def command(args: Any, console: Any) -> int:
    """`bin/pacte rapport --departement DD --format pdf|docx|html [--t0 LABEL] [--sortie F] [--workspace W]`."""
    ws = Workspace.at(args.workspace)
    sortie = args.sortie or Path(f"rapport_diagnostic_{args.departement}.{args.format}")
    manifest = None
    if args.t0:
        from warehouse.t0.manifest import load

        _, manifest = load(ws.root, args.t0)
    generer(served_file(ws), args.departement, args.format, sortie, current_publication(ws), manifest)
    console.print(f"[green]Rapport écrit[/] : {sortie}")
    return 0
