"""The layout of the fiches actions workbook, shared by the writer (`warehouse.livrables.fiches`,
`bin/pacte template fiches-actions`) and the reader of filled fiches (`ingestion.readers.fiches_actions`).

One sheet per fiche, named by its piste: the fields (label in column A, value in column B), then the table of the
indicateurs de réalisation (annual targets), then the table of the indicateurs de résultat (T0 and cible 2027).
"""

from __future__ import annotations

ANNEES = [2024, 2025, 2026, 2027]
CATALOGUE = "Catalogue"  # hidden sheet of the indicator codes; with « Lisez-moi », how the registry knows the file
REALISATION = "Indicateurs de réalisation (annuels)"
LIGNES_REALISATION = 4
FICHE = [  # (label, marts.pistes column or None when the comité fills it)
    ("Département", "code_departement"), ("Intitulé", "intitule"), ("Piste (identifiant)", "piste_id"),
    ("Axe du Pacte", "libelle_axe"),
    ("Pilote", None), ("Co-porteurs (acteur associé)", "acteur_associe"), ("Territoire (EPCI)", "epci_concernes"),
    ("Financement : part État (€)", None), ("Financement : cofinancement du département (50 %) (€)", None),
    ("Argumentaire (diagnostic)", "argumentaire"),
]
RESULTAT = ["Indicateur de résultat (identifiant)", "Indicateur", "Unité", "Territoire", "Valeur T0",
            "Millésime T0", "Statut T0", "Source du T0", "Cible 2027"]
