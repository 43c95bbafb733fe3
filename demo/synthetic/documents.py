"""SYNTHETIC schémas for the demo, written as real PDF, DOCX and ODT files (fictitious content).

PDF: a minimal PDF 1.4 writer (Helvetica, WinAnsi encoding, one content stream per page) — no PDF library
is installed in the pipeline environment; pypdf reads it back like any text PDF.
"""

from __future__ import annotations

from pathlib import Path

from demo.synthetic.context import DemoContext
from demo.synthetic.reproducible import freeze

PAGES_ENFANCE = [
    ["Schéma départemental enfance-famille 2023-2027", "Département — document de démonstration (fictif)"],
    ["Axe 1 : prévention précoce", "Renforcer la protection maternelle et infantile (PMI) et le soutien à la parentalité.",
     "Développer les modes de garde pour les familles monoparentales."],
    ["Axe 2 : jeunes majeurs", "Accompagner les sortants de l'aide sociale à l'enfance vers le logement et l'emploi.",
     "Prévenir le décrochage scolaire avec les missions locales."],
]
TEXTE_PDI = [
    ("Programme départemental d'insertion 2024-2028", False),
    ("Le département pilote l'insertion des bénéficiaires du RSA.", False),
    ("Accompagnement vers l'emploi et levée des freins périphériques : mobilité, garde d'enfants.", True),
    ("Les garages solidaires et le permis de conduire facilitent le retour à l'emploi.", False),
    ("Accès aux droits : lutter contre le non-recours et développer l'aller-vers.", True),
]
TEXTE_PDALHPD = [
    ("Plan départemental d'action pour le logement et l'hébergement des personnes défavorisées 2022-2027", False),
    ("Prévention des expulsions locatives et maintien dans le logement.", False),
    ("Lutte contre la précarité énergétique : rénovation et accompagnement des ménages.", True),
    ("Hébergement d'urgence et domiciliation des personnes sans domicile.", False),
]


def write_pdf(path: Path, pages: list[list[str]], title: str) -> None:
    def esc(s: str) -> bytes:
        return s.encode("cp1252").replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")

    objects: list[bytes] = []
    n_pages = len(pages)
    # 1 catalog, 2 pages, 3 font, 4 info, then (page, content) pairs
    kids = " ".join(f"{5 + 2 * i} 0 R" for i in range(n_pages))
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {n_pages} >>".encode())
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    objects.append(b"<< /Title (" + esc(title) + b") /Author (" + esc("Conseil départemental (démonstration)")
                   + b") /Producer (pacte synthetique) >>")
    for i, lines in enumerate(pages):
        stream = b"BT /F1 12 Tf 14 TL 56 780 Td " + b" ".join(b"(" + esc(line) + b") Tj T*" for line in lines) + b" ET"
        objects.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> "
                       f"/Contents {6 + 2 * i} 0 R >>".encode())
        objects.append(f"<< /Length {len(stream)} >>\nstream\n".encode() + stream + b"\nendstream")
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for k, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{k} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R /Info 4 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    path.write_bytes(bytes(out))


def write_docx(path: Path, paragraphs: list[tuple[str, bool]], title: str) -> None:
    import docx
    from docx.enum.text import WD_BREAK

    document = docx.Document()
    document.core_properties.title = title
    document.core_properties.author = "Conseil départemental (démonstration)"
    for text, page_break_before in paragraphs:
        if page_break_before:
            document.paragraphs[-1].runs[-1].add_break(WD_BREAK.PAGE)
        document.add_paragraph(text)
    document.save(str(path))
    freeze(path)


def write_odt(path: Path, paragraphs: list[tuple[str, bool]], title: str) -> None:
    from odf import dc
    from odf.opendocument import OpenDocumentText
    from odf.style import ParagraphProperties, Style
    from odf.text import P

    doc = OpenDocumentText()
    saut = Style(name="SautDePage", family="paragraph")
    saut.addElement(ParagraphProperties(breakbefore="page"))
    doc.automaticstyles.addElement(saut)
    doc.meta.addElement(dc.Title(text=title))
    for text, page_break_before in paragraphs:
        doc.text.addElement(P(stylename=saut, text=text) if page_break_before else P(text=text))
    doc.save(str(path))
    freeze(path)


def demo_documents(ctx: DemoContext) -> list[str]:
    names = ["schema_enfance_famille_demo.pdf", "programme_departemental_insertion_demo.docx", "pdalhpd_demo.odt"]
    write_pdf(ctx.inbox / names[0], PAGES_ENFANCE, PAGES_ENFANCE[0][0])
    write_docx(ctx.inbox / names[1], TEXTE_PDI, TEXTE_PDI[0][0])
    write_odt(ctx.inbox / names[2], TEXTE_PDALHPD, TEXTE_PDALHPD[0][0])
    return names
