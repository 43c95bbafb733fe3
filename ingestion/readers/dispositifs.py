"""Filled « tableau synthétique des dispositifs » workbooks (template of `bin/pacte template dispositifs`).

Personal data of individuals is refused, cell by cell (row = Excel row):
- phone numbers (French formats: 0X XX XX XX XX, +33 / 0033, separators space . - /);
- e-mail addresses, except institutional generic mailboxes whose local part starts with a service word
  (contact, accueil, info, secretariat, direction, service, mairie, ccas, cias, social, solidarite(s), rsa, pacte,
  insertion, emploi, pmi, mds, dgs, courrier, standard, communication, no-reply): `contact@…` passes,
  `marie.dupont@…` is refused, and so are `contact.marie.dupont@…` (a first name after the prefix) and any address
  of a consumer mailbox (`accueil-jdurand@orange.fr`);
- person names « Prénom Nom », « Prénom NOM », « NOM Prénom » (a first name of the list below, in any case, also
  as the first part of a compound one: Jean-Baptiste, Marie-Noëlle) and civilities followed by a name (M., Mme,
  Madame, Monsieur).
Every column is checked, the EPCI and other drop-down columns included; the message names the cells (« K4 »),
never their content.
"""

from __future__ import annotations

import re

import pandas as pd

from ingestion.dispositifs_template import AXES, COLONNES, FEUILLE
from ingestion.errors import InvalidFile, Issue
from ingestion.readers.common import ReadResult
from ingestion.readers.workbook import check_cell_lengths, check_sheet_extent, open_workbook
from ingestion.registry import RecognisedFile

# Digits grouped by two after 0X or +33 / 0033, separated by spaces, dots, dashes or slashes (05/45/12/34/56).
TELEPHONE = re.compile(r"(?<!\d)(?:(?:\+|00)33[\s./-]?(?:\(0\))?[\s./-]?|0)[1-9](?:[\s./-]?\d{2}){4}(?!\d)")
EMAIL = re.compile(r"\b([A-Za-z0-9._%+-]+)@([A-Za-z0-9.-]+\.[A-Za-z]{2,})\b")
GENERIQUES = ("contact", "accueil", "info", "secretariat", "direction", "service", "mairie", "ccas", "cias",
              "social", "solidarite", "rsa", "pacte", "insertion", "emploi", "pmi", "mds", "dgs", "courrier",
              "standard", "communication", "no-reply", "noreply")
# Consumer mailboxes: an address there belongs to a person, whatever its prefix (contact-jdupont@orange.fr).
MESSAGERIES_PERSONNELLES = ("gmail.com", "googlemail.com", "yahoo.fr", "yahoo.com", "hotmail.fr", "hotmail.com",
                            "outlook.fr", "outlook.com", "live.fr", "live.com", "msn.com", "orange.fr",
                            "wanadoo.fr", "free.fr", "sfr.fr", "neuf.fr", "laposte.net", "bbox.fr", "icloud.com",
                            "me.com", "aol.com", "aol.fr", "gmx.fr", "gmx.com", "protonmail.com", "proton.me")
PRENOMS = ("Marie Jean Pierre Michel André Philippe Nathalie Isabelle Sylvie Catherine Françoise Anne Christine "
           "Sophie Nicolas Stéphane Christophe Julien Laurent David Thomas Céline Sandrine Valérie Martine Monique "
           "Patrick Alain Éric Eric Frédéric Olivier Sébastien Vincent Antoine Camille Julie Claire Aurélie Émilie "
           "Emilie Caroline Laure Hélène Paul Louis Lucas Léa Manon Chloé Sarah Laura Pauline Mathieu Guillaume "
           "François Bernard Daniel Jacques Thierry Pascal Dominique Brigitte Nadia Karim Mohamed Fatima Sabrina "
           "Jérôme Franck Didier Bruno Gilles Hervé Benoît Delphine Virginie Audrey Élodie Elodie Agnès Corinne "
           "Véronique Florence Cécile Mathilde Charlotte Lucie Inès Hugo Arthur Jules Maxime Alexandre Romain "
           "Kevin Anthony Damien Fabien Cédric Yann Hugues Josiane Chantal Nicole Sylviane").split()
_MAJ = "A-ZÀÂÄÇÉÈÊËÎÏÔÖÙÛÜŸ"
_MIN = "a-zà-ÿœ"
# A first name of the list, in any case, possibly the first part of a compound one (Jean-Baptiste, MARIE-NOËLLE).
# Not after a dash, an apostrophe or « Saint »: Saint-Louis Agglomération, Saint François Longchamp are places.
_PRENOMS_RE = "|".join(sorted({p for n in PRENOMS for p in (n, n.upper())}, key=len, reverse=True))
_PRENOM = (r"(?<![\w'’-])(?<!Saint )(?<!Sainte )(?<!SAINT )(?<!SAINTE )(?:" + _PRENOMS_RE
           + rf")(?:-[{_MAJ}][{_MIN}{_MAJ}]+)*")
_NOM = rf"[{_MAJ}][{_MIN}{_MAJ}'-]+"  # Durand, DURAND, LE GALL's first word, Martin-Leroy
_NOM_CAPITALES = rf"\b[{_MAJ}][{_MAJ}'-]+"  # DUPONT (two letters at least)
NOM_PERSONNE = re.compile(
    rf"{_PRENOM}\s+{_NOM}"  # Prénom Nom, Prénom NOM, Jean-Baptiste Durand
    rf"|{_NOM_CAPITALES}\s+{_PRENOM}(?![{_MIN}{_MAJ}])"  # NOM Prénom (DUPONT Marie)
    rf"|\b(?:M\.|Mme|Mlle|Madame|Monsieur)\s+{_NOM}")
# Every column of the template is checked: free text, and the drop-down ones, which a user can overwrite (a name
# typed into the EPCI column).
COLONNES_CONTROLEES = tuple(col for _, col, _ in COLONNES)


def _sans_accents(text: str) -> str:
    import unicodedata

    return "".join(c for c in unicodedata.normalize("NFD", text.lower()) if unicodedata.category(c) != "Mn")


_PRENOMS_MIN = {_sans_accents(p) for p in PRENOMS}


def _courriel_personnel(local: str, domaine: str) -> bool:
    """A mailbox of a person: a consumer mail domain, a local part that does not start with a service word, or
    one holding a first name after its generic prefix (contact.marie.dupont@…)."""
    if domaine.lower() in MESSAGERIES_PERSONNELLES:
        return True
    local = _sans_accents(local)
    if not local.startswith(GENERIQUES):
        return True
    return any(part in _PRENOMS_MIN for part in re.split(r"[._+-]", local))


def donnees_personnelles(text: str) -> list[str]:
    """Kinds of personal data found in a cell (empty list when none)."""
    found = []
    if TELEPHONE.search(text):
        found.append("numéro de téléphone")
    if any(_courriel_personnel(m.group(1), m.group(2)) for m in EMAIL.finditer(text)):
        found.append("adresse électronique personnelle")
    if NOM_PERSONNE.search(text):
        found.append("nom de personne")
    return found


def _cellules(cells: list[tuple[int, str]]) -> str:
    noms = [c for _, c in cells]
    return ("cellule " if len(noms) == 1 else "cellules ") + ", ".join(noms[:10]) + (" …" if len(noms) > 10 else "")


def read_dispositifs(fichier: RecognisedFile) -> ReadResult:
    from openpyxl.utils import get_column_letter

    path = fichier.path
    wb = open_workbook(path)
    if FEUILLE not in wb.sheetnames:
        raise InvalidFile(path.name, f"feuille « {FEUILLE} » absente (feuilles : {', '.join(wb.sheetnames)})")
    check_sheet_extent(path, [FEUILLE])
    sheet = wb[FEUILLE]
    sheet.reset_dimensions()  # rows as stored, not padded to a declared <dimension> (which may say XFD1048576)
    rows = list(sheet.iter_rows(values_only=True))
    wb.close()
    check_cell_lengths(path, FEUILLE, rows)
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
    anomalies: dict[tuple[str, str], list[tuple[int, str]]] = {}
    header_of = {col: h for h, col, _ in COLONNES}
    for n, rec in frame.iterrows():
        for col in COLONNES_CONTROLEES:
            for kind in donnees_personnelles(rec[col] if isinstance(rec[col], str) else ""):
                cellule = f"{get_column_letter(pos[header_of[col]] + 1)}{n}"
                anomalies.setdefault((kind, header_of[col]), []).append((int(n), cellule))
    if anomalies:  # the cells are named, their content never repeated (the message is logged and kept in quarantine)
        raise InvalidFile(path.name, [Issue(
            regle=(f"donnée personnelle interdite ({kind}) en {_cellules(cells)} : "
                   "indiquez une fonction ou une adresse générique"),
            colonne=col, lignes=[n for n, _ in cells]) for (kind, col), cells in anomalies.items()])
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
