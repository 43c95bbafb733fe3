"""Filled « tableau synthétique des dispositifs » workbooks (template of `bin/pacte template dispositifs`).

Personal data of individuals is refused, cell by cell (row = Excel row):
- phone numbers (French formats: 0X XX XX XX XX, +33 / 0033, separators space . -);
- e-mail addresses, except institutional generic mailboxes whose local part starts with a service word
  (contact, accueil, info, secretariat, direction, service, mairie, ccas, cias, social, solidarite(s), rsa, pacte,
  insertion, emploi, pmi, mds, dgs, courrier, standard, communication, no-reply): `contact@…` passes,
  `marie.dupont@…` is refused;
- person names « Prénom Nom » (a first name of the list below followed by a capitalised word) and civilities
  followed by a name (M., Mme, Madame, Monsieur).
"""

from __future__ import annotations

import re

import pandas as pd

from ingestion.dispositifs_template import AXES, COLONNES, FEUILLE
from ingestion.errors import InvalidFile, Issue
from ingestion.readers.common import ReadResult
from ingestion.readers.workbook import check_sheet_extent
from ingestion.registry import RecognisedFile

TELEPHONE = re.compile(r"(?<!\d)(?:(?:\+|00)33[\s.-]?(?:\(0\))?[\s.-]?|0)[1-9](?:[\s.-]?\d{2}){4}(?!\d)")
EMAIL = re.compile(r"\b([A-Za-z0-9._%+-]+)@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b")
GENERIQUES = ("contact", "accueil", "info", "secretariat", "direction", "service", "mairie", "ccas", "cias",
              "social", "solidarite", "rsa", "pacte", "insertion", "emploi", "pmi", "mds", "dgs", "courrier",
              "standard", "communication", "no-reply", "noreply")
PRENOMS = ("Marie Jean Pierre Michel André Philippe Nathalie Isabelle Sylvie Catherine Françoise Anne Christine "
           "Sophie Nicolas Stéphane Christophe Julien Laurent David Thomas Céline Sandrine Valérie Martine Monique "
           "Patrick Alain Éric Eric Frédéric Olivier Sébastien Vincent Antoine Camille Julie Claire Aurélie Émilie "
           "Emilie Caroline Laure Hélène Paul Louis Lucas Léa Manon Chloé Sarah Laura Pauline Mathieu Guillaume "
           "François Bernard Daniel Jacques Thierry Pascal Dominique Brigitte Nadia Karim Mohamed Fatima Sabrina "
           "Jérôme Franck Didier Bruno Gilles Hervé Benoît Delphine Virginie Audrey Élodie Elodie Agnès Corinne "
           "Véronique Florence Cécile Mathilde Charlotte Lucie Inès Hugo Arthur Jules Maxime Alexandre Romain "
           "Kevin Anthony Damien Fabien Cédric Yann Hugues Josiane Chantal Nicole Sylviane").split()
NOM_PERSONNE = re.compile(r"\b(?:" + "|".join(PRENOMS) + r")\s+[A-ZÉÈ][a-zà-ÿ'-]+|"
                          r"\b(?:M\.|Mme|Mlle|Madame|Monsieur)\s+[A-ZÉÈ][A-Za-zà-ÿ'-]+")
TEXTE_LIBRE = ("intitule", "co_porteurs", "public_vise", "territoire", "difficultes", "pistes", "source_info",
               "porteur")


def donnees_personnelles(text: str) -> list[str]:
    """Kinds of personal data found in a cell (empty list when none)."""
    found = []
    if TELEPHONE.search(text):
        found.append("numéro de téléphone")
    if any(not m.group(1).lower().startswith(GENERIQUES) for m in EMAIL.finditer(text)):
        found.append("adresse électronique personnelle")
    if NOM_PERSONNE.search(text):
        found.append("nom de personne")
    return found


def read_dispositifs(fichier: RecognisedFile) -> ReadResult:
    import openpyxl

    path = fichier.path
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - any unreadable workbook is refused with its reason
        raise InvalidFile(path.name, f"classeur Excel illisible ({exc.__class__.__name__})") from None
    if FEUILLE not in wb.sheetnames:
        raise InvalidFile(path.name, f"feuille « {FEUILLE} » absente (feuilles : {', '.join(wb.sheetnames)})")
    check_sheet_extent(path, [FEUILLE])
    sheet = wb[FEUILLE]
    sheet.reset_dimensions()  # rows as stored, not padded to a declared <dimension> (which may say XFD1048576)
    rows = list(sheet.iter_rows(values_only=True))
    wb.close()
    attendus = [h for h, _, _ in COLONNES]
    entete = [str(c).strip() if c is not None else "" for c in (rows[0] if rows else [])]
    manquantes = [h for h in attendus if h not in entete]
    if manquantes:
        raise InvalidFile(path.name, [Issue(
            regle="colonne(s) du modèle absente(s) ou renommée(s) en ligne 1 (régénérez le modèle avec "
                  "« bin/pacte template dispositifs »)", colonne=", ".join(manquantes))])
    pos = {h: entete.index(h) for h in attendus}
    records, index = [], []
    for n, row in enumerate(rows[1:], start=2):
        values = {col: (str(row[pos[h]]).strip() if pos[h] < len(row) and row[pos[h]] is not None else None)
                  for h, col, _ in COLONNES}
        if any(values.values()):
            records.append(values)
            index.append(n)
    if not records:
        raise InvalidFile(path.name, "le tableau ne contient aucun dispositif (lignes 2 et suivantes vides)")
    frame = pd.DataFrame(records, index=index)
    frame.index.name = "ligne"
    anomalies: dict[tuple[str, str], list[int]] = {}
    header_of = {col: h for h, col, _ in COLONNES}
    for n, rec in frame.iterrows():
        for col in TEXTE_LIBRE:
            for kind in donnees_personnelles(rec[col] if isinstance(rec[col], str) else ""):
                anomalies.setdefault((kind, header_of[col]), []).append(int(n))
    if anomalies:
        raise InvalidFile(path.name, [Issue(
            regle=f"donnée personnelle interdite ({kind}) : indiquez une fonction ou une adresse générique",
            colonne=col, lignes=lignes) for (kind, col), lignes in anomalies.items()])
    codes = frame["territoire"].fillna("").map(lambda t: [c.strip() for c in re.split(r"[,;\s]+", t) if c.strip()])
    epci = frame["epci"].fillna("").str.extract(r"^(\d{9})")[0]
    codes = [c + ([e] if isinstance(e, str) and e not in c else []) for c, e in zip(codes, epci, strict=True)]
    controle = frame.copy()
    controle["axe_code"] = frame["axe"].str[:1]
    codes_frame = pd.DataFrame({"code": [c for cs in codes for c in cs]},
                               index=[i for i, cs in zip(frame.index, codes, strict=True) for _ in cs])
    codes_frame.index.name = "ligne"
    table = frame.assign(axe=frame["axe"].str[:1], code_epci=epci, codes_territoire=[",".join(c) for c in codes],
                         ligne=frame.index.astype("int64"))
    return ReadResult(checks={"dispositifs": controle, "codes": codes_frame}, tables={"dispositifs": table},
                   info={"axes": AXES})
