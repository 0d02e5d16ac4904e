"""Models whose Meta.app names another app than the configured one are not seeded: a seed
says so, and a model of another app named on the command line is refused in one line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import Project, model_project

MODELS = """
from tortoise import fields
from tortoise.models import Model


class Author(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=40)

    class Meta:
        table = "o_authors"


class Invoice(Model):
    id = fields.IntField(primary_key=True)
    total = fields.IntField()

    class Meta:
        app = "billing"
        table = "o_invoices"


class Payment(Model):
    id = fields.IntField(primary_key=True)

    class Meta:
        app = "billing"
        table = "o_payments"


class Base(Model):
    id = fields.IntField(primary_key=True)

    class Meta:
        abstract = True
        app = "billing"
"""


@pytest.fixture
def mixed(tmp_path: Path) -> Project:
    project = model_project(tmp_path / "apps", MODELS)
    assert project.run("migrate").returncode == 0
    return project


def test_a_seed_names_the_models_of_other_apps_it_leaves_out(mixed: Project) -> None:
    for args in (["--all", "--count", "5"], ["--model", "Author=5"], ["--all", "--count", "5", "--dry-run"]):
        result = mixed.run("seed", *args)
        assert result.returncode == 0, result.stderr
        assert (
            'Not seeding 2 models of app "billing" (toolkit seeds app "models"): Invoice, Payment'
            in result.stdout
        ), result.stdout
    result = mixed.run("seed", "--all", "--count", "5", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["other_app_models"] == {"billing": ["Invoice", "Payment"]}


def test_a_model_of_another_app_named_to_seed_is_refused(mixed: Project) -> None:
    for args in (["--model", "Invoice=5"], ["--all", "--count", "5", "--model", "Payment"]):
        result = mixed.run("seed", *args)
        assert result.returncode == 2, result.stderr
        err = result.stderr.strip()
        assert len(err.splitlines()) == 1 and "Traceback" not in err, err
        assert 'belongs to app "billing" (its Meta.app), and toolkit seeds app "models"' in err, err
        assert 'set [toolkit] app = "billing"' in err, err


def test_a_project_with_one_app_says_nothing_of_other_apps(tmp_path: Path) -> None:
    project = model_project(tmp_path / "one", MODELS.split("class Invoice")[0])
    assert project.run("migrate").returncode == 0
    result = project.run("seed", "--all", "--count", "3")
    assert result.returncode == 0, result.stderr
    assert "Not seeding" not in result.stdout and "app" not in result.stdout, result.stdout
