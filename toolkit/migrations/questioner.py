"""The questions makemigrations can't answer from the models alone, and who answers them.

A field dropped and another of the same type added on one model may be a rename (keep the
column and its values) or two changes (drop the column, add an empty one). Aerich's differ
finds these candidates and asks; `Questioner` answers, once per candidate whatever the
dialect: yes for a rename the user named (`--rename Model.old:new`), else the terminal's
answer when there is one (`ask`, which the CLI supplies), else no. Never a guess: without
a terminal and a `--rename`, the old values are not silently moved into the new column.
Likewise a model dropped and another created alike (`--rename OLD_MODEL:NEW_MODEL`), which
Aerich would drop and create: a yes keeps its table, renamed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from toolkit.errors import UsageError

_SPEC = re.compile(r"^(?:(?P<model>[A-Za-z_][\w.]*)\.)?(?P<old>\w+):(?P<new>\w+)$")
# What a model is, apart from its name and table: a renamed model keeps all of it.
_SHAPE = ("pk_field", "data_fields", "fk_fields", "o2o_fields", "unique_together", "indexes")


@dataclass(frozen=True)
class RenameCandidate:
    """A field the differ may take as renamed: `old` dropped, `new` added, same type."""

    model: str  # Aerich's name for it: "models.User"
    table: str
    old: str
    new: str

    @property
    def spec(self) -> str:
        return f"{self.model.split('.')[-1]}.{self.old}:{self.new}"

    def question(self) -> str:
        return f"Did you rename {self.table}.{self.old} to {self.table}.{self.new}?"


@dataclass(frozen=True)
class ModelRenameCandidate:
    """A model the differ would drop and another it would create, alike but for the name."""

    old: str  # "models.Writer"
    new: str
    old_table: str
    new_table: str

    @property
    def spec(self) -> str:
        return f"{self.old.split('.')[-1]}:{self.new.split('.')[-1]}"

    def question(self) -> str:
        old, new = self.old.split(".")[-1], self.new.split(".")[-1]
        return f"Did you rename model {old} (table {self.old_table}) to {new} (table {self.new_table})?"


@dataclass(frozen=True)
class RenameRequest:
    """One `--rename MODEL.OLD:NEW` (a field; MODEL is the class name or the table) or
    `--rename OLD:NEW` (a model, by class or table name)."""

    text: str
    model: str | None
    old: str
    new: str

    def names(self, candidate: RenameCandidate | ModelRenameCandidate) -> bool:
        if isinstance(candidate, ModelRenameCandidate):
            return self.model is None
        return self.model in (candidate.model, candidate.model.split(".")[-1], candidate.table)

    def is_for(self, candidate: RenameCandidate | ModelRenameCandidate) -> bool:
        if not self.names(candidate):
            return False
        if isinstance(candidate, RenameCandidate):
            return (self.old, self.new) == (candidate.old, candidate.new)
        olds = (candidate.old, candidate.old.split(".")[-1], candidate.old_table)
        return self.old in olds and self.new in (candidate.new, candidate.new.split(".")[-1], candidate.new_table)


def parse_renames(specs: Sequence[str]) -> list[RenameRequest]:
    requests = []
    for text in specs:
        m = _SPEC.match(text.strip())
        if m is None:
            raise UsageError(
                f"--rename {text!r} must read MODEL.OLD_FIELD:NEW_FIELD (e.g. User.nickname:city) or OLD_MODEL:NEW_MODEL"
            )
        requests.append(RenameRequest(text, m["model"], m["old"], m["new"]))
    return requests


@dataclass
class Questioner:
    """Answers the differ's rename questions for one makemigrations run."""

    renames: Sequence[str] = ()
    ask: Callable[[str], bool] | None = None  # a terminal's yes/no; None: no terminal
    _requests: list[RenameRequest] = field(init=False)
    _answers: dict[RenameCandidate | ModelRenameCandidate, bool] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        self._requests = parse_renames(self.renames)

    def rename_field(self, candidate: RenameCandidate | ModelRenameCandidate) -> bool:
        if candidate not in self._answers:
            self._answers[candidate] = self._decide(candidate)
        return self._answers[candidate]

    def _decide(self, candidate: RenameCandidate | ModelRenameCandidate) -> bool:
        mine = [r for r in self._requests if r.names(candidate)]
        if any(r.is_for(candidate) for r in mine):
            return True
        if isinstance(candidate, RenameCandidate) and any(r.old == candidate.old or r.new == candidate.new for r in mine):
            return False  # the user said where this field went, and it's not here
        return self.ask(candidate.question()) if self.ask is not None else False

    @property
    def renamed(self) -> list[RenameCandidate]:
        return [c for c, yes in self._answers.items() if yes and isinstance(c, RenameCandidate)]

    def renamed_models(self, old: dict[str, Any], new: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
        """`old` with each model the user says was renamed under its new name (its table
        still the old one, so the differ renames the table and keeps the rows), and the
        renames ({new model: old model}). Aerich's differ would drop and create them."""
        renames: dict[str, str] = {}
        for candidate in model_rename_candidates(old, new):
            if candidate.old not in renames.values() and candidate.new not in renames and self.rename_field(candidate):
                renames[candidate.new] = candidate.old
        if not renames:
            return old, renames
        text = json.dumps(old)
        for after, before in renames.items():  # a model's name is a whole JSON string
            text = text.replace(json.dumps(before), json.dumps(after))
        return json.loads(text), renames

    def refuse_unmatched(self) -> None:
        """A `--rename` the differ never asked about is a typo or a change the models
        don't make: say so rather than write a migration without it."""
        asked = list(self._answers)
        for r in self._requests:
            if not any(r.is_for(c) for c in asked):
                offer = ", ".join(sorted({c.spec for c in asked})) or "none in these model changes"
                what = (f"no field {r.old} dropped and {r.new} added with the same type on {r.model}" if r.model
                        else f"no model {r.old} dropped and {r.new} created with the same fields")
                raise UsageError(f"--rename {r.text}: {what}; candidates: {offer}")


def _shape(model: dict[str, Any]) -> list[Any]:
    m2m = sorted((f["name"], f["model_name"]) for f in model.get("m2m_fields", []))
    return [model.get(k) for k in _SHAPE] + [m2m]


def model_rename_candidates(old: dict[str, Any], new: dict[str, Any]) -> list[ModelRenameCandidate]:
    """Pairs of a model only the old state has and one only the new has, alike but for
    their names and tables (one table for both is Aerich's own class rename: no SQL)."""
    gone = [k for k in old if k not in new]
    came = [k for k in new if k not in old]
    return [
        ModelRenameCandidate(a, b, str(old[a]["table"]), str(new[b]["table"]))
        for a in gone for b in came
        if old[a]["table"] != new[b]["table"] and _shape(old[a]) == _shape(new[b])
    ]


def candidate_of(tip: str, models: dict[str, Any]) -> RenameCandidate | None:
    """The candidate in the question Aerich 0.10's differ puts to click.prompt:
    "(models.User) Rename nickname to city?"."""
    m = re.match(r"^\s*\((?P<model>[\w.]+)\) Rename (?P<old>\w+) to (?P<new>\w+)\?$", tip)
    if m is None:
        return None
    table = str((models.get(m["model"]) or {}).get("table") or m["model"].split(".")[-1])
    return RenameCandidate(m["model"], table, m["old"], m["new"])
