"""Errors raised on bad input. Messages are in French: civil servants read them."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Issue:
    """One rule broken by a file: which sheet (workbooks) and column, which rule, which rows."""

    regle: str
    colonne: str | None = None
    lignes: list[int] = field(default_factory=list)
    exemples: list[str] = field(default_factory=list)
    nb: int | None = None
    feuille: str | None = None

    def decrire(self) -> str:
        parts = [self.regle]
        where = [f"feuille « {self.feuille} »"] if self.feuille else []
        where += [f"colonne « {self.colonne} »"] if self.colonne else []
        if where:
            parts.insert(0, ", ".join(where))
        if self.nb is not None:
            parts.append(f"{self.nb} ligne(s) concernée(s)")
        if self.lignes:
            parts.append("lignes " + ", ".join(str(n) for n in self.lignes[:10]))
        if self.exemples:
            parts.append("valeurs : " + ", ".join(repr(v) for v in self.exemples[:5]))
        return " — ".join(parts)


class InvalidFile(Exception):
    """A file that cannot be landed. Carries what a user needs to fix it."""

    def __init__(self, fichier: str, anomalies: list[Issue] | str, rapport: str | None = None):
        if isinstance(anomalies, str):
            anomalies = [Issue(regle=anomalies)]
        self.fichier = fichier
        self.anomalies = anomalies
        self.rapport = rapport
        super().__init__(self.message())

    def __reduce__(self) -> tuple[type, tuple[str, list[Issue], str | None]]:
        # Raised in validation worker processes: pickle the fields, not the rendered message.
        return (type(self), (self.fichier, self.anomalies, self.rapport))

    def message(self) -> str:
        lignes = [f"Fichier refusé : {self.fichier}"]
        lignes += [f"  • {a.decrire()}" for a in self.anomalies]
        if self.rapport:
            lignes.append(f"  Rapport complet : {self.rapport}")
        return "\n".join(lignes)


class PacteError(Exception):
    """Any other user-facing failure (bad option, missing geography, locked workspace)."""
