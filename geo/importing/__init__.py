"""Import freedom-of-information results and claims from a campaigner's spreadsheet.

Two steps, so that nothing changes until a person has read the report:

1. :func:`prepare_import` (``rows``) reads the sheet (``sheets``), checks every
   row, finds each council from its name, geocodes postcodes offline and
   returns an :class:`ImportReport` (``report``): every row accepted or
   rejected (row numbers as a spreadsheet shows them, the header is row 1),
   likely duplicates of existing sites, a diff against the package, and the
   new and changed sites placed by the build's own code, for the preview.
   The candidate package is checked in memory, never written.
2. :func:`apply_import` (``apply``) swaps the whole new package in at once,
   with a backup and a change-log entry, reusing the report's geocodes.

The import runs one way: ``rows`` never imports ``apply``; what both need
about the package is in :mod:`geo.evidence.datapackage`.
"""

from geo.evidence.datapackage import fingerprint
from geo.importing.apply import ApplyError, ApplyResult, apply_import, exchange_directories
from geo.importing.report import Diff, Duplicate, ImportReport, Issue, RowResult
from geo.importing.rows import geocode_in_batches, prepare_import, similarity, slugify, unique_id
from geo.importing.sheets import (
    MAX_BYTES,
    MAX_COLUMNS,
    MAX_ROWS,
    REQUIRED_COLUMNS,
    TEMPLATE_COLUMNS,
    ImportFileError,
    map_columns,
    read_table,
)

__all__ = [
    "MAX_BYTES",
    "MAX_COLUMNS",
    "MAX_ROWS",
    "REQUIRED_COLUMNS",
    "TEMPLATE_COLUMNS",
    "ApplyError",
    "ApplyResult",
    "Diff",
    "Duplicate",
    "ImportFileError",
    "ImportReport",
    "Issue",
    "RowResult",
    "apply_import",
    "exchange_directories",
    "fingerprint",
    "geocode_in_batches",
    "map_columns",
    "prepare_import",
    "read_table",
    "similarity",
    "slugify",
    "unique_id",
]
