"""How many rows a table's columns can hold, and the refusal of a run that needs more.

A run is refused before it loads anything: a unique column that ran out of distinct values
half-way would leave a partly loaded run that no `--resume` could finish.
"""

from __future__ import annotations

from toolkit.errors import UsageError
from toolkit.seed.inference import TEXTUAL, infer
from toolkit.seed.ledger import Run
from toolkit.seed.name_generators import code, distinct_country_codes, iso_codes
from toolkit.seed.plan import INT_MAX, PlannedTable
from toolkit.seed.table import Column
from toolkit.seed.type_generators import integer, unique_floor


def unique_capacity(column: Column, model: str = "") -> int | None:
    """How many distinct values the inferred generator can give a unique column, if bounded."""
    if not column.unique or column.primary_key and column.db_generated:
        return None
    gen = infer(column)
    if gen is distinct_country_codes or (
        gen is code and "country" in model.lower() and column.max_length == 2
    ):
        return len(iso_codes())
    if column.kind in TEXTUAL and column.max_length is not None and column.max_length < 12:
        return int(36**column.max_length)
    if column.kind in INT_MAX and gen is integer and column.maximum is not None:
        # Values count up from the floor: MaxValueValidator(100) holds 100 of them.
        return max(int(column.maximum) - unique_floor(column) + 1, 0)
    return None


def check_capacity(p: PlannedTable, run: Run, overridden: set[str]) -> None:
    """Refuse a run that its columns can't hold: keys or unique integers past their type's
    range, or more rows than a narrow unique column has distinct values."""
    for col in p.table.columns:
        if col.attr in overridden or col.name in overridden:
            continue
        cap = unique_capacity(col, p.model)
        if cap is not None and run.stop > cap:
            raise UsageError(
                f"{p.model}.{col.attr} is unique and can hold {cap:,} distinct generated "
                f"values, but this run needs {run.stop:,}; seed fewer rows or override "
                f"{col.attr} in seeds/"
            )
        if col.kind not in INT_MAX or not (col.unique or col.primary_key):
            continue
        need = run.stop + (run.id_offset if col.db_generated else 0)
        if need > INT_MAX[col.kind]:
            raise UsageError(
                f"{p.model}.{col.attr} is a {col.kind} column: it holds values up to "
                f"{INT_MAX[col.kind]:,}, and this run would need {need:,}; seed fewer rows"
            )
