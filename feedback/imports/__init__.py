"""Importing completed responses collected elsewhere (paper forms, an older system) from CSV or XLSX."""
