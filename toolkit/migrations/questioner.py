"""The questions makemigrations can't answer from the models alone, and who answers them.

A field dropped and another of the same type added on one model may be a rename (keep the
column and its values) or two changes (drop the column, add an empty one). Aerich's differ
finds these candidates and asks; `Questioner` answers, once per candidate whatever the
dialect: yes for a rename the user named (`--rename Model.old:new`), else the terminal's
answer when there is one (`ask`, which the CLI supplies), else no. Never a guess: without
a terminal and a `--rename`, the old values are not silently moved into the new column.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from toolkit.errors import UsageError

_SPEC = re.compile(r"^(?P<model>[A-Za-z_][\w.]*)\.(?P<old>\w+):(?P<new>\w+)$")


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
class RenameRequest:
    """One `--rename MODEL.OLD:NEW`; MODEL is the model's class name or its table."""

    text: str
    model: str
    old: str
    new: str

    def names(self, candidate: RenameCandidate) -> bool:
        return self.model in (candidate.model, candidate.model.split(".")[-1], candidate.table)


def parse_renames(specs: Sequence[str]) -> list[RenameRequest]:
    requests = []
    for text in specs:
        m = _SPEC.match(text.strip())
        if m is None:
            raise UsageError(f"--rename {text!r} must read MODEL.OLD_FIELD:NEW_FIELD (e.g. User.nickname:city)")
        requests.append(RenameRequest(text, m["model"], m["old"], m["new"]))
    return requests


@dataclass
class Questioner:
    """Answers the differ's rename questions for one makemigrations run."""

    renames: Sequence[str] = ()
    ask: Callable[[str], bool] | None = None  # a terminal's yes/no; None: no terminal
    _requests: list[RenameRequest] = field(init=False)
    _answers: dict[RenameCandidate, bool] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        self._requests = parse_renames(self.renames)

    def rename_field(self, candidate: RenameCandidate) -> bool:
        if candidate not in self._answers:
            self._answers[candidate] = self._decide(candidate)
        return self._answers[candidate]

    def _decide(self, candidate: RenameCandidate) -> bool:
        mine = [r for r in self._requests if r.names(candidate)]
        if any((r.old, r.new) == (candidate.old, candidate.new) for r in mine):
            return True
        if any(r.old == candidate.old or r.new == candidate.new for r in mine):
            return False  # the user said where this field went, and it's not here
        return self.ask(candidate.question()) if self.ask is not None else False

    @property
    def renamed(self) -> list[RenameCandidate]:
        return [c for c, yes in self._answers.items() if yes]

    def refuse_unmatched(self) -> None:
        """A `--rename` the differ never asked about is a typo or a change the models
        don't make: say so rather than write a migration without it."""
        asked = list(self._answers)
        for r in self._requests:
            if not any(r.names(c) and (r.old, r.new) == (c.old, c.new) for c in asked):
                offer = ", ".join(sorted({c.spec for c in asked})) or "none in these model changes"
                raise UsageError(
                    f"--rename {r.text}: no field {r.old} dropped and {r.new} added with the same "
                    f"type on {r.model}; candidates: {offer}"
                )


def candidate_of(tip: str, models: dict[str, Any]) -> RenameCandidate | None:
    """The candidate in the question Aerich 0.10's differ puts to click.prompt:
    "(models.User) Rename nickname to city?"."""
    m = re.match(r"^\s*\((?P<model>[\w.]+)\) Rename (?P<old>\w+) to (?P<new>\w+)\?$", tip)
    if m is None:
        return None
    table = str((models.get(m["model"]) or {}).get("table") or m["model"].split(".")[-1])
    return RenameCandidate(m["model"], table, m["old"], m["new"])
