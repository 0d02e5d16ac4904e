"""Render the CLI reference: `python -m toolkit.clidocs > docs/cli.md`.

The name docs/cli.md and tests/test_docs.py use; the code is in `toolkit.cli.docs`.
"""

from __future__ import annotations

from toolkit.cli.docs import FOOTER, HEADER, main, render

__all__ = ["FOOTER", "HEADER", "main", "render"]

if __name__ == "__main__":
    main()
