"""Real PostgreSQL: with the parameter settings the generator writes, the password rotation's statement
never reaches the server log, while DDL is audited (issue 13 §2, docs/security.md#database).

Every environment of every system whose database password rotates through SQL is built; the
settings of its cluster or instance parameter group (less RDS's own `rds.*` ones) start a throwaway
server. The master user then changes its own password as the hosted single-user rotation Lambda
does: `ALTER USER <name> WITH PASSWORD '<literal>'`, the literal in the statement's text (its
PyGreSQL client interpolates it). pgaudit comes from Debian's postgresql-15-pgaudit, which
scripts/install-postgres installs; without it the tests skip, saying so.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import pg8000.native
import pytest

from stackyard.config import load_configs
from templates import database
from tests.helpers.golden import SYSTEMS
from tests.helpers.postgres import PASSWORD, SUPERUSER, PostgresServer, server_bin, tls

pytestmark = pytest.mark.postgres
MASTER = "app_admin"
PARAMETER_GROUPS = ("AWS::RDS::DBClusterParameterGroup", "AWS::RDS::DBParameterGroup")
ROTATION = "AWS::SecretsManager::RotationSchedule"


def generated_settings() -> dict[str, dict[str, str]]:
    """The distinct parameter group settings of databases whose password rotates, by the environments
    (comma-separated) that use them."""
    found: dict[tuple[tuple[str, str], ...], list[str]] = {}
    for system, (folder, _) in SYSTEMS.items():
        if not (folder / "params").is_dir():
            continue
        for env, config in load_configs(folder / "params").items():
            if "database" not in config.stacks or config.database is None:
                continue
            document = database.build(config).template.to_dict()
            resources = document["Resources"].values()
            rotates = any(resource["Type"] == ROTATION for resource in resources) or any(
                resource["Properties"].get("ManageMasterUserPassword") for resource in resources
            )
            for resource in resources:
                if rotates and resource["Type"] in PARAMETER_GROUPS:
                    settings = {
                        name: str(value)
                        for name, value in resource["Properties"]["Parameters"].items()
                        if not name.startswith("rds.")  # RDS's own, unknown to PostgreSQL
                    }
                    found.setdefault(tuple(sorted(settings.items())), []).append(f"{system}/{env}")
    return {", ".join(envs): dict(settings) for settings, envs in found.items()}


SETTINGS = generated_settings()


def pgaudit_installed() -> bool:
    return (server_bin().parent / "lib" / "pgaudit.so").is_file()


def rotate_and_alter(server: PostgresServer) -> tuple[str, str]:
    """The rotation's statement and a DDL statement, run as the master user; the new password and the log."""
    admin = pg8000.native.Connection(
        SUPERUSER, host=server.host, port=server.port, password=PASSWORD, ssl_context=tls()
    )
    old_password = "first-" + secrets.token_hex(8)
    admin.execute_simple(f"CREATE ROLE {MASTER} LOGIN CREATEDB PASSWORD '{old_password}'")
    admin.execute_simple(f"GRANT CREATE ON SCHEMA public TO {MASTER}")
    admin.close()
    new_password = "rotated-" + secrets.token_hex(16)
    master = pg8000.native.Connection(
        MASTER, host=server.host, port=server.port, password=old_password, database="postgres", ssl_context=tls()
    )
    rotation = f"ALTER USER {pg8000.native.identifier(MASTER)} WITH PASSWORD {pg8000.native.literal(new_password)}"
    master.execute_simple(rotation)
    master.execute_simple("CREATE TABLE audited_by_pgaudit (id int)")
    master.close()
    # the rotation took: the new password logs in
    pg8000.native.Connection(
        MASTER, host=server.host, port=server.port, password=new_password, database="postgres", ssl_context=tls()
    ).close()
    return new_password, Path(server.log).read_text()


def test_every_rotating_database_has_settings_to_prove():
    assert len(SETTINGS) >= 2, SETTINGS  # Aurora's cluster groups; tap's RDS instance keeps the default group
    for settings in SETTINGS.values():
        assert settings.get("log_statement", "none") == "none"
        assert settings["shared_preload_libraries"] == "pg_stat_statements,pgaudit"


@pytest.mark.skipif(
    not pgaudit_installed(),
    reason="Debian's postgresql-15-pgaudit is not installed (scripts/install-postgres installs it): "
    "the generated settings load pgaudit",
)
@pytest.mark.parametrize("environments", list(SETTINGS), ids=[envs.split(",")[0] + "..." for envs in SETTINGS])
def test_the_rotated_password_is_not_in_the_server_log_and_ddl_is(environments):
    with PostgresServer(SETTINGS[environments]) as server:
        password, log = rotate_and_alter(server)
    assert password not in log
    assert "AUDIT: SESSION" in log and "CREATE TABLE audited_by_pgaudit (id int)" in log
    assert "ALTER USER" not in log


def test_the_statement_logging_it_replaces_did_write_the_password():
    # what main generated before (log_statement: ddl): the same run leaks the password, so the test above can fail
    with PostgresServer({"log_statement": "ddl"}) as server:
        password, log = rotate_and_alter(server)
    assert f"WITH PASSWORD '{password}'" in log
