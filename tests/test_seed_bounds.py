"""Counts beyond what the columns hold are refused up front; nothing grows with --count."""

from __future__ import annotations

from tests.conftest import Project
from toolkit.seed.ledger import owned_ranges


def test_an_unsharded_run_owns_one_range_however_many_rows() -> None:
    assert list(owned_ranges(5, 10**12 + 5, 1, 1)) == [(5, 10**12 + 5)]
    assert list(owned_ranges(5, 5, 1, 1)) == []


def test_a_count_past_the_key_column_is_refused_in_one_line(project: Project) -> None:
    assert project.run("migrate").returncode == 0
    for extra in ([], ["--dry-run"]):
        result = project.run("seed", "--count", str(10**19), *extra)
        assert result.returncode == 2, result.stderr
        err = result.stderr.strip()
        assert len(err.splitlines()) == 1 and "Traceback" not in err, err
        assert "User.id is a bigint column: it holds values up to 9,223,372,036,854,775,807" in err
    # Nothing was written: the ledger holds no run.
    again = project.run("seed", "--resume")
    assert again.returncode == 0 and "Nothing to resume" in again.stdout
