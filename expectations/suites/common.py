"""Code formats shared by every suite (COG conventions)."""

CODE_COMMUNE = r"^(?:\d{5}|2[AB]\d{3})$"
CODE_EPCI = r"^\d{9}$"
CODE_EPCI_OU_ZZ = r"^(?:\d{9}|ZZZZZZZZZ)$"
CODE_IRIS = r"^(?:\d{5}|2[AB]\d{3})\d{4}$"
CODE_DEPARTEMENT = r"^(?:\d{2}|2[AB]|97\d|98\d)$"  # 98x: collectivités d'outre-mer
CODE_REGION = r"^\d{2}$"
CODE_PAR_NIVEAU = {"commune": CODE_COMMUNE, "epci": CODE_EPCI, "departement": CODE_DEPARTEMENT,
                   "region": CODE_REGION, "iris": CODE_IRIS, "france": r".+"}
