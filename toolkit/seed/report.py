"""What a seed run tells its caller: progress while it loads, and the report at the end."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from toolkit.seed.plan import PlannedTable


@dataclass(frozen=True)
class Progress:
    table: str
    done: int
    total: int


@dataclass
class TableReport:
    model: str
    table: str
    rows: int
    run_id: str
    first_index: int
    resumed: bool = False


@dataclass(frozen=True)
class PlanReport:
    """One table of the plan: what a dry run shows and a real run says before loading."""

    model: str
    table: str
    rows: int
    auto: bool
    link: bool
    reasons: tuple[str, ...] = ()
    deferred: tuple[str, ...] = ()

    @classmethod
    def of(cls, p: PlannedTable) -> PlanReport:
        return cls(
            p.model, p.table.name, p.count, p.auto, p.table.link_of is not None,
            p.reasons, p.deferred,
        )


@dataclass
class SeedReport:
    seed: int
    rows: int
    seconds: float
    tables: list[TableReport] = field(default_factory=list)
    shard: tuple[int, int] = (1, 1)
    locale: str = "en_US"
    nothing_to_resume: bool = False
    plan: list[PlanReport] = field(default_factory=list)
    dry_run: bool = False
    # A few rows per model, as they would be written (dry runs only), by model name.
    samples: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    source: str = ""  # where the counts came from: options, or the profile
    # Requested models that get no rows: a link table whose every pair already exists.
    skipped: list[str] = field(default_factory=list)
    # Reference data (seeds/fixtures/) upserted before the fake rows: model -> counts.
    fixtures: list[Any] = field(default_factory=list)
    fixture_files: list[str] = field(default_factory=list)
    # Models of the configured modules whose Meta.app names another app, so they are not
    # seeded: app -> model names. `app` is the app this run seeds.
    other_app_models: dict[str, list[str]] = field(default_factory=dict)
    app: str = "models"

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else float("inf")

    @property
    def auto_seeded(self) -> list[PlanReport]:
        return [p for p in self.plan if p.auto and not p.link]

    @property
    def capped(self) -> list[PlanReport]:
        """Requested tables that get fewer rows than asked (a link table runs out of pairs)."""
        return [p for p in self.plan if not p.auto and any(r.startswith("capped") for r in p.reasons)]

    def record_plan(self, plan: Sequence[PlannedTable], requested: Sequence[str]) -> None:
        """The plan as the report shows it, and the requested models it leaves out."""
        self.plan = [PlanReport.of(p) for p in plan]
        self.skipped = [m for m in requested if m not in {p.model for p in plan}]
