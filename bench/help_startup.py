"""How long `toolkit --help` takes to start, against `python -c "import click"`.

Usage: python bench/help_startup.py [--runs N]

Both run as fresh interpreters (the way a user meets them), several times each; the
median wall time is compared. A ratio near 1 means `--help` costs little beyond Click.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

TOOLKIT = Path(sys.executable).with_name("toolkit")
# The console script when installed (what users run), else the same entry point by hand.
HELP = (
    [str(TOOLKIT), "--help"]
    if TOOLKIT.exists()
    else [sys.executable, "-c", "from toolkit.cli import main; main()", "--help"]
)
CLICK = [sys.executable, "-c", "import click"]


def median_seconds(cmd: list[str], runs: int) -> float:
    """Median wall time of `runs` runs of `cmd`, after one warm-up run (disk cache)."""
    subprocess.run(cmd, check=True, capture_output=True)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="runs per command (default 15)")
    args = parser.parse_args()
    click_s = median_seconds(CLICK, args.runs)
    help_s = median_seconds(HELP, args.runs)
    print(f"python -c 'import click': {click_s * 1000:7.1f} ms (median of {args.runs})")
    print(f"toolkit --help:           {help_s * 1000:7.1f} ms (median of {args.runs})")
    print(f"ratio:                    {help_s / click_s:7.2f}x")


if __name__ == "__main__":
    main()
