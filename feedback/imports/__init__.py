"""Importing completed responses collected elsewhere (paper forms, an older system) from CSV or XLSX.

``flask import-responses FILE --instrument ID --version N --wave NAME [--by EMAIL]`` and the page
``/staff/imports`` (researchers for their granted sites, admins for every site) take the same file:

- CSV saved as UTF-8 (a byte-order mark is fine) or XLSX (the first sheet). Row 1 holds the
  headings; each row below is one completed form.
- ``site`` (site code), ``case_ref``, ``member_ref`` (whose answers; empty for an instrument the
  key worker answers for the whole family, such as ``practitioner-assessment``, whose file may
  leave the column out), ``completed_on`` (YYYY-MM-DD), optionally ``role`` (the role of a
  member new to the app; ``other`` when empty), then one column per item id holding codes, or
  numbers, ISO dates and text; several codes of a multiple-choice item are separated by ``;``.
- Families (site + case_ref) and members (family + member_ref) the app does not know are created.
- At most 20,000 rows of answers and 200 columns, 32 MB (the page: the app's MAX_CONTENT_LENGTH),
  and for a workbook 64 MB unpacked; a file is refused as soon as reading passes a limit, saying
  to split it (``reading``, ``workbook``).

Modules: ``reading`` (file → text cells numbered as the spreadsheet shows them), ``workbook`` (an
XLSX's sizes checked before openpyxl opens it, then its first sheet's rows), ``cells`` (one
cell → the stored answer, by the web form's rules), ``validation`` (every row against the
instrument version, pure), ``service`` (store it all or nothing, once per file), ``choices``,
``cli``, ``views``, ``forms``, ``models`` (``ImportBatch``).
"""
