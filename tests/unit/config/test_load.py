"""Pure unit: what loading reads from the project besides params, so building templates reads no files.

The schema migration resource carries a digest of the `database.migrations` folder's .sql files
(new or changed files make it an Update); it is computed while loading the config.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from stackyard.build import build_environment
from stackyard.config import load_config
from stackyard.digests import folder_digest
from stackyard.errors import ParamsError
from tests.helpers import template


def test_loading_digests_the_migrations_and_follows_every_change(params_copy):
    before = load_config(params_copy, "test").migrations_sha256
    assert before == folder_digest(Path("sql"), "*.sql")
    (Path("sql") / "999_more.sql").write_text("SELECT 1;\n")
    assert load_config(params_copy, "test").migrations_sha256 not in (None, before)


def test_the_database_template_is_built_without_reading_the_migrations(params_copy):
    config = load_config(params_copy, "test")
    shutil.rmtree("sql")
    database = template({"test": build_environment(config)}, "test", "database.json")
    assert database["Resources"]["SchemaMigration"]["Properties"]["SqlSha256"] == config.migrations_sha256


def test_without_migrations_there_is_no_digest(params_copy):
    (params_copy / "test.yaml").write_text("database:\n  migrations: null\n")
    assert load_config(params_copy, "test").migrations_sha256 is None


def test_the_digest_is_never_a_params_key(params_copy):
    (params_copy / "test.yaml").write_text("migrations_sha256: abc\n")
    with pytest.raises(ParamsError) as raised:
        load_config(params_copy, "test")
    assert [str(problem) for problem in raised.value.problems] == [
        "params/test.yaml:1: migrations_sha256: the digest of database.migrations is computed from its .sql "
        "files; remove this key"
    ]
