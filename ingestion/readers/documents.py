"""Schémas départementaux and other documents (PDF, DOCX, ODT): register entry + text by page.

Pages: PDF = physical pages (pypdf). DOCX and ODT have no stored pagination: text is cut at explicit page
breaks (`w:br w:type="page"`, `pageBreakBefore`; ODT paragraph styles with `fo:break-before="page"`), and
a « page » without any break is a block of 40 paragraphs, so citations stay short. Type of schéma: first match
of the list of the Essonne / Haute-Loire calls for tender (annexe 2) in the title, then in the first page.
Period: first `AAAA-AAAA` (or `AAAA/AAAA`) in the title or first page, 19xx or 20xx; a period before 2000 is
flagged as old (`ReadResult.info["periode_ancienne"]`, dbt: `stg_documents__registre.periode_ancienne`).
"""

from __future__ import annotations

import hashlib
import re
import zipfile
from pathlib import Path

import pandas as pd

from ingestion.errors import InvalidFile
from ingestion.readers.common import ReadResult
from ingestion.registry import RecognisedFile

BLOC_PARAGRAPHES = 40
TYPES_SCHEMA = [  # (label, regex on lowercase text without accents) — annexe 2 of the calls for tender 002/003
    ("Plan départemental d'insertion", r"(?:plan|programme) departemental d.insertion|\bpdi\b|pacte territorial d.insertion"),
    ("Schéma départemental enfance-famille", r"enfance.famille|protection de l.enfance"),
    ("Schéma départemental des services aux familles", r"services aux familles|\bsdsf\b"),
    ("Schéma départemental d'amélioration de l'accessibilité des services aux publics",
     r"accessibilite des services|\bsdaasp\b"),
    ("Schéma départemental de l'animation de la vie sociale", r"animation de la vie sociale"),
    ("Diagnostic de préfiguration d'un SLIME", r"\bslime\b"),
    ("Plan d'action commun en faveur de la mobilité solidaire", r"mobilite solidaire"),
    ("Schéma de la domiciliation", r"domiciliation"),
    ("Schéma régional de santé", r"regional de sante|projet regional de sante"),
    ("PDALHPD", r"pdalhpd|logement et l.hebergement des personnes defavorisees"),
    ("Schéma de cohérence territoriale", r"coherence territoriale|\bscot\b"),
    ("Contrat de relance et de transition écologique", r"relance et de transition ecologique|\bcrte\b"),
    ("Schéma départemental d'alimentation en eau potable", r"eau potable"),
    ("Schéma départemental d'accueil des gens du voyage", r"gens du voyage"),
    ("Schéma départemental de l'amélioration de l'habitat et de lutte contre la précarité énergétique",
     r"amelioration de l.habitat|precarite energetique"),
    ("Document de stratégie IAE", r"insertion par l.activite economique|strategie iae"),
    ("Contrat de ville", r"contrat de ville"),
    ("Schéma départemental des solidarités", r"schema departemental des solidarites"),
    ("Schéma départemental de l'autonomie", r"autonomie|personnes agees"),
]
PERIODE = re.compile(r"\b((?:19|20)\d{2})\s*[-–/à]+\s*((?:19|20)\d{2})\b")
# A schéma whose period begins before this year is an old one: read and kept in the register, flagged
# (stg_documents__registre.periode_ancienne) and left out of the passages published as current.
DEBUT_PERIODE_COURANTE = 2000


def sans_accents(text: str) -> str:
    import unicodedata

    return "".join(c for c in unicodedata.normalize("NFD", text.lower()) if unicodedata.category(c) != "Mn")


# A page's content stream of a real schéma inflates to a few hundred kB; a decompression bomb (a few hundred kB
# that inflate to hundreds of MB) is refused at these bounds instead of filling memory (pypdf's own bound per
# stream is 75 MB).
MAX_FLUX_PDF = 16 << 20  # bytes of one decompressed stream
MAX_TEXTE_PDF = 64 << 20  # bytes of content streams over the whole document


def _pdf(path: Path) -> tuple[list[str], str | None, str | None]:
    from pypdf import PdfReader, apply_configuration
    from pypdf.errors import LimitReachedError, PdfReadError, PyPdfError

    bornes = {"zlib_maximum_output_length": MAX_FLUX_PDF, "lzw_maximum_output_length": MAX_FLUX_PDF,
              "run_length_maximum_output_length": MAX_FLUX_PDF, "maximum_declared_stream_length": MAX_FLUX_PDF,
              "array_based_stream_maximum_output_length": MAX_FLUX_PDF}
    trop = (f"PDF refusé (bombe de décompression ?) : {{}} une fois décompressé (au plus {MAX_FLUX_PDF >> 20} Mo "
            f"par flux et {MAX_TEXTE_PDF >> 20} Mo pour le contenu de toutes les pages)")
    try:
        with apply_configuration(**bornes):
            reader = PdfReader(path)
            total = 0
            for page in reader.pages:  # sizes first: no text is extracted from an oversized document
                contents = page.get_contents()
                total += len(contents.get_data()) if contents is not None else 0
                if total > MAX_TEXTE_PDF:
                    raise InvalidFile(path.name, trop.format(
                        f"le contenu des pages dépasse {MAX_TEXTE_PDF >> 20} Mo"))
            pages = [page.extract_text() or "" for page in reader.pages]
            meta = reader.metadata or {}
    except LimitReachedError:
        raise InvalidFile(path.name, trop.format(f"un flux dépasse {MAX_FLUX_PDF >> 20} Mo")) from None
    except (PdfReadError, PyPdfError, ValueError, KeyError, OSError) as exc:
        raise InvalidFile(path.name, f"PDF illisible ou tronqué ({exc.__class__.__name__} : {exc})") from None
    return pages, (meta.get("/Title") or None), (meta.get("/Author") or None)


def _blocks(paragraphs: list[tuple[str, bool]]) -> list[str]:
    """Paragraphs (text, starts_new_page) → pages, cut at page breaks or every BLOC_PARAGRAPHES paragraphs."""
    pages: list[list[str]] = [[]]
    for text, new_page in paragraphs:
        if (new_page and pages[-1]) or len(pages[-1]) >= BLOC_PARAGRAPHES:
            pages.append([])
        if text.strip():
            pages[-1].append(text.strip())
    return ["\n".join(p) for p in pages if p]


def _docx(path: Path) -> tuple[list[str], str | None, str | None]:
    import docx
    from docx.oxml.ns import qn

    try:
        document = docx.Document(str(path))
    except Exception as exc:  # noqa: BLE001 - python-docx raises several types for broken files
        raise InvalidFile(path.name, f"DOCX illisible ou tronqué ({exc.__class__.__name__})") from None
    paragraphs = []
    pending_break = False
    for p in document.paragraphs:
        breaks = [br for br in p._p.iter(qn("w:br")) if br.get(qn("w:type")) == "page"]
        before = p.paragraph_format.page_break_before
        paragraphs.append((p.text, pending_break or bool(before)))
        pending_break = bool(breaks)
    props = document.core_properties
    return _blocks(paragraphs), props.title or None, props.author or None


def _odt(path: Path) -> tuple[list[str], str | None, str | None]:
    from odf import teletype, text
    from odf.namespaces import FONS, STYLENS
    from odf.opendocument import load

    try:
        doc = load(str(path))
    except Exception as exc:  # noqa: BLE001 - odfpy raises several types for broken files
        raise InvalidFile(path.name, f"ODT illisible ou tronqué ({exc.__class__.__name__})") from None
    breaking = set()
    for style in doc.automaticstyles.childNodes + doc.styles.childNodes:
        for child in getattr(style, "childNodes", []):
            if child.attributes.get((FONS, "break-before")) == "page":
                breaking.add(style.attributes.get((STYLENS, "name")))
    paragraphs = []
    for node in doc.text.getElementsByType(text.P) + doc.text.getElementsByType(text.H):
        style = node.attributes.get((text.P().qname[0], "style-name"))
        paragraphs.append((teletype.extractText(node), style in breaking))
    meta_title = None
    meta_author = None
    from odf import dc, meta

    for el in doc.meta.getElementsByType(dc.Title):
        meta_title = teletype.extractText(el) or None
    for el in doc.meta.getElementsByType(meta.InitialCreator) + doc.meta.getElementsByType(dc.Creator):
        meta_author = meta_author or teletype.extractText(el) or None
    return _blocks(paragraphs), meta_title, meta_author


def type_schema(titre: str, premiere_page: str) -> str:
    for haystack in (sans_accents(titre), sans_accents(premiere_page)):
        for label, pattern in TYPES_SCHEMA:
            if re.search(pattern, haystack):
                return label
    return "Autre document"


def read_document(fichier: RecognisedFile) -> ReadResult:
    path = fichier.path
    data = path.read_bytes()
    if not data.strip():
        raise InvalidFile(path.name, "le fichier est vide")
    suffix = path.suffix.lower()
    if suffix in {".docx", ".odt"} and not zipfile.is_zipfile(path):
        raise InvalidFile(path.name, f"fichier {suffix} invalide (archive ZIP attendue) : tronqué ou mal nommé")
    reader = {".pdf": _pdf, ".docx": _docx, ".odt": _odt}[suffix]
    pages, titre, auteur = reader(path)
    if not any(p.strip() for p in pages):
        raise InvalidFile(path.name, "aucun texte extractible (document scanné sans reconnaissance de texte ?)")
    premiere = next(p for p in pages if p.strip())
    titre = (titre or premiere.strip().splitlines()[0])[:300].strip()
    periode = PERIODE.search(titre) or PERIODE.search(premiere)
    sha = hashlib.sha256(data).hexdigest()
    document_id = sha[:16]
    registre = pd.DataFrame([{
        "document_id": document_id, "titre": titre, "type_schema": type_schema(titre, premiere),
        "periode_debut": int(periode.group(1)) if periode else None,
        "periode_fin": int(periode.group(2)) if periode else None,
        "auteur": auteur, "format": suffix[1:], "nb_pages": len(pages), "sha256": sha, "fichier": path.name,
    }], index=[1])
    registre.index.name = "ligne"
    textes = pd.DataFrame({"document_id": document_id, "page": range(1, len(pages) + 1), "texte": pages},
                          index=range(1, len(pages) + 1))
    textes.index.name = "ligne"
    controle = registre[["document_id", "titre", "periode_debut", "periode_fin", "nb_pages"]].astype(object)
    return ReadResult(checks={"registre": controle, "pages": textes[["page", "texte"]]},
                   tables={"documents": registre.astype({"periode_debut": "Int64", "periode_fin": "Int64"}),
                           "documents_pages": textes},
                   millesime=int(periode.group(1)) if periode else None,
                   info={"periode_ancienne": bool(periode) and int(periode.group(1)) < DEBUT_PERIODE_COURANTE})
