"""The validation stages that type and check canonical columns.

Each stage is a small function ``stage(batch) -> batch`` (see
:mod:`coordkit.ingest.validate` for the list and :mod:`coordkit.ingest.batch`
for the :class:`Batch` they share). A stage adds typed columns, row
rejections, warnings, or stops the file with a located :class:`RejectedFile`
when a whole-column question (number locale, date order) has no answer.
The stages of one concept live together (:mod:`~coordkit.ingest.checks_numbers`,
:mod:`~coordkit.ingest.checks_dates`, :mod:`~coordkit.ingest.checks_text`);
this module holds the row-level checks and names every stage in one place.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from coordkit.ingest.batch import Batch, RejectedFile
from coordkit.ingest.checks_dates import decide_date_orders, type_dates, warn_far_future
from coordkit.ingest.checks_numbers import WHOLE_COUNTS, decide_number_locales, type_numbers
from coordkit.ingest.checks_text import CHANNEL_SYNONYMS, normalise_channel, type_other_columns
from coordkit.ingest.readers import CELL_FORMULA, CELL_NUL

__all__ = [
    "CHANNEL_SYNONYMS",
    "WHOLE_COUNTS",
    "Batch",
    "RejectedFile",
    "check_broken_cells",
    "check_one_of",
    "check_required_values",
    "decide_date_orders",
    "decide_number_locales",
    "normalise_channel",
    "type_dates",
    "type_numbers",
    "type_other_columns",
    "warn_far_future",
]


# --- cells that cannot be values ------------------------------------------------


def check_broken_cells(batch: Batch) -> Batch:
    """A NUL byte, or an Excel formula saved without its value, rejects its row (not the file)."""
    frame = batch.raw.frame
    if not batch.raw.may_hold_markers:
        return batch
    for column in frame.columns:
        cells = frame[column].astype(str)
        nul = cells.str.contains(CELL_NUL, regex=False).to_numpy()
        if nul.any():
            batch.problems.add_many(
                nul, column, cells.str.replace(CELL_NUL, "\\x00", regex=False),
                lambda v: f"{v!r} contains a NUL byte (\\x00), which is not text; fix or re-export the file",
                "a cell contains a NUL byte",
            )
        formula = cells.str.startswith(CELL_FORMULA).to_numpy()
        if formula.any():
            batch.problems.add_many(
                formula, column, cells.str.replace(CELL_FORMULA, "", regex=False),
                lambda v: f"the formula {v} has no saved value (the workbook was written without calculating it); "
                "open it in Excel, let it calculate, save, and import again",
                "formula without a saved value",
            )
    return batch


# --- required values ---------------------------------------------------------------------


def check_required_values(batch: Batch) -> Batch:
    """Every required canonical column has a value on every row."""
    for column in batch.spec.required:
        if column not in batch.text:
            continue
        why = batch.preset.empty_hints.get(column, "fill it in the export, or remove the row if it is not real")
        batch.problems.add_many(
            batch.text[column].isna(), batch.label(column), batch.text[column],
            lambda v, c=column, w=why: f"{c} is empty, but every {batch.spec.name[:-1]} needs it; {w}",
            f"{column} is empty",
        )
    return batch


def check_one_of(batch: Batch) -> Batch:
    """Rows must fill at least one column of each one-of group (contact_id or account_id)."""
    size = len(batch.raw.frame)
    for group in batch.spec.one_of:
        present = np.logical_or.reduce([pd.Series(batch.typed[c]).notna().to_numpy() if c in batch.typed else np.zeros(size, bool)
                                        for c in group])
        batch.problems.add_many(~present, "", pd.Series([""] * size),
                                lambda v, g=group: f"{' and '.join(g)} are all empty; fill at least one so the row can be linked",
                                f"{' and '.join(group)} are all empty")
    return batch
