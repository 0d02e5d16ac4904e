"""Where the row generation used to live, kept so that existing imports still work.

New code imports from the modules that hold each name: `rows` (RowMaker, ColumnPlan),
`chunks` (CHUNK_ROWS), `inference` (default_plans, infer), `generators` (Ctx, Gen).
"""

from __future__ import annotations

from toolkit.seed.chunks import CHUNK_ROWS
from toolkit.seed.generators import Ctx, Gen
from toolkit.seed.inference import default_plans, infer
from toolkit.seed.rows import ColumnPlan, RowMaker

__all__ = ["CHUNK_ROWS", "ColumnPlan", "Ctx", "Gen", "RowMaker", "default_plans", "infer"]
