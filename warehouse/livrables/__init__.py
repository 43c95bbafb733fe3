"""Deliverables for the comité written from the published warehouse (opened read-only): workbooks."""
