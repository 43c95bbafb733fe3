"""Code formats shared by every suite (COG conventions, declared in ingestion.reference)."""

from ingestion import positions, reference

CODE_COMMUNE = rf"^{reference.COMMUNE}$"
CODE_EPCI = rf"^{reference.EPCI}$"
CODE_EPCI_OU_ZZ = rf"^(?:{reference.EPCI}|ZZZZZZZZZ)$"
CODE_IRIS = rf"^{reference.IRIS}$"
CODE_DEPARTEMENT = rf"^{reference.DEPARTEMENT}$"
CODE_REGION = rf"^{reference.REGION}$"
CODE_PAR_NIVEAU = {"commune": CODE_COMMUNE, "epci": CODE_EPCI, "departement": CODE_DEPARTEMENT,
                   "region": CODE_REGION, "iris": CODE_IRIS, "france": r".+"}
# Plausibility of a service point (ingestion.positions): the control column and the rule, in French.
POSITION = positions.COLONNE
# A place with no position and no commune code is landed and reported at the end of the run
# (warehouse.build.unplaced_places), not refused: one such record must not stop a national export.
POSITION_FR = ("position invraisemblable (latitude et longitude inversées, point hors de France ou hors du "
               "département de son code commune ou postal)")
