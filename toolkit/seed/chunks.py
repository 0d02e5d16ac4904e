"""The chunk: the run of consecutive row indices whose values are made together.

A constant of its own, so the ledger (which `migrate` and `status` import) needs neither
numpy nor the generators to know it.
"""

CHUNK_ROWS = 4096
