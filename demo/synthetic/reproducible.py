"""Office files (xlsx, docx, odt) are zip archives stamped with the time of writing, in the zip entries and
in their document properties: the same synthetic content would get another SHA-256 at every generation.
`freeze` rewrites such a file with fixed stamps, so a generated demo inbox is byte for byte reproducible."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

FIXED_ZIP_TIME = (2024, 1, 1, 0, 0, 0)
FIXED_ISO = "2024-01-01T00:00:00"
# dcterms:created / dcterms:modified (OOXML core properties), meta:creation-date / dc:date (ODF meta.xml)
_STAMPS = re.compile(rb"(<(dcterms:created|dcterms:modified|meta:creation-date|dc:date)\b[^>]*>)[^<]*(</\2>)")
_PROPERTY_PARTS = {"docProps/core.xml", "meta.xml"}


def freeze(path: Path) -> Path:
    with zipfile.ZipFile(path) as src:
        entries = [(info, src.read(info.filename)) for info in src.infolist()]
    tmp = path.with_suffix(path.suffix + ".tmp")
    with zipfile.ZipFile(tmp, "w") as dst:
        for info, data in entries:
            if info.filename in _PROPERTY_PARTS:
                data = _STAMPS.sub(lambda m: m.group(1) + FIXED_ISO.encode() + b"Z" + m.group(3), data)
            fixed = zipfile.ZipInfo(info.filename, date_time=FIXED_ZIP_TIME)
            fixed.compress_type = info.compress_type  # ODF's `mimetype` stays first and stored
            fixed.external_attr = info.external_attr
            dst.writestr(fixed, data)
    tmp.replace(path)
    return path
