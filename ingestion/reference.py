"""Reference facts of the domain, declared once (standard library only).

Imported by the readers, the GX suites, the run plan, and by Superset's security manager
(`dashboards/pacte_security.py`, which runs in the Superset environment and loads this file by its path):
keep it free of any import beyond the standard library.
"""

from __future__ import annotations

import re

# --- Geographic codes (COG) ---------------------------------------------------------------------------
# A département: 01-95 (Corsica 2A/2B), overseas 971-978, and the collectivités d'outre-mer 984-989 that some
# INSEE files list.
DEPARTEMENT = r"(?:0[1-9]|[1-8]\d|9[0-5]|2[AB]|97[1-8]|98[4-9])"
COMMUNE = r"(?:\d{5}|2[AB]\d{3})"
EPCI = r"\d{9}"
IRIS = COMMUNE + r"\d{4}"
REGION = r"\d{2}"
DEPARTEMENT_CODE = re.compile(rf"^{DEPARTEMENT}$")

# `--departement tous`: every département of the chosen COG, resolved at build time.
TOUS = "tous"

# --- Statistical secrecy and missing values ---------------------------------------------------------------
OK, SECRET, NON_DISPONIBLE, ESTIME, INVALIDE = "ok", "secret", "non_disponible", "estime", "invalide"
STATUTS = (OK, SECRET, NON_DISPONIBLE, ESTIME, INVALIDE)
# Cells that publishers (INSEE, CAF, DARES, DREES) put instead of a number, compared lower-cased once stripped.
# A blank cell is secret: that is how Filosofi 2019 and the CAF IRIS files mask a value.
CODES_SECRET = frozenset({"s", "ns", "n.s.", "secret", "c", ""})
CODES_NON_DISPONIBLE = frozenset({"nd", "n.d.", "so", "-", "///", "...", "na"})
STATUT_OF_CODE = {**{c: SECRET for c in sorted(CODES_SECRET)}, **{c: NON_DISPONIBLE for c in sorted(CODES_NON_DISPONIBLE)}}
# A published number: optional minus, digits, optional decimal part with a dot or a comma, optional exponent;
# spaces and narrow no-break spaces (French thousands separators) are removed before matching.
NOMBRE = r"-?[0-9]+(?:[.,][0-9]+)?(?:[eE][-+]?[0-9]+)?"
THOUSANDS_SEPARATORS = (" ", "\u202f")
# A cell of a needs file as GX accepts it: digits with French thousands separators, or one of the codes above.
CELLULE_PUBLIEE = (r"^(?:-?[0-9 \u202f]+(?:[.,][0-9]+)?|(?i:"
                   + "|".join(re.escape(c) for c in sorted(CODES_SECRET | CODES_NON_DISPONIBLE) if c) + r")|)$")


def departement_error(code: str, examples: str = "16, 2A, 971, 16,40 ou « tous »") -> str | None:
    """The French message for a code that is not a département, None for a valid one."""
    if DEPARTEMENT_CODE.match(code):
        return None
    return f"Code département invalide : « {code} » (exemples : {examples})"


def parse_departements(text: str) -> list[str]:
    """`16`, `16,40` or `tous`; raises ValueError with a French message for anything else."""
    if text.strip().lower() == TOUS:
        return [TOUS]
    codes = [c.strip().upper() for c in text.split(",") if c.strip()]
    for code in codes or [text]:
        if (message := departement_error(code)) is not None:
            raise ValueError(message)
    return codes

