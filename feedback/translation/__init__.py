"""Translation workflow: checking the interface catalogues and moving instrument wording in and
out of files a translator works in (XLSX, PO)."""
