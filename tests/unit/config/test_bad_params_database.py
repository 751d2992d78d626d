"""Pure unit, through the CLI: bad database params (capacity, logging that would hold the rotated password,
auditing, zones, migrations) exit 2 with file:line, key, problem and fix; nothing is written.

Each case replaces params/test.yaml (over the real base.yaml) and runs `generate.py --env test`
(tests/helpers: generate_test_env).
"""

from __future__ import annotations

import pytest

from tests.helpers import base_line, generate_test_env, refusal_of

CASES = {
    "min above max": (
        "database:\n  min_acu: 4\n  max_acu: 2\n",
        ["params/test.yaml:3: database.max_acu: got 2, below min_acu (4); expected max_acu >= min_acu"],
    ),
    "the statement logging that logs the rotated password": (
        "database:\n  log_statement: ddl\n",
        [
            "params/test.yaml:1: database: log_statement is no longer a key: with ddl, mod or all PostgreSQL logs the "
            "rotation's ALTER USER ... WITH PASSWORD, password included. Fix: remove database.log_statement (the "
            "database keeps PostgreSQL's none) and list what to audit in database.audit_log, e.g. [ddl] (pgaudit, "
            "which leaves role statements out)"
        ],
    ),
    "auditing role statements": (
        "database:\n  audit_log: [ddl, role]\n",
        [
            "params/test.yaml:2: database.audit_log: got 'role': role statements carry the rotated password (ALTER "
            "USER ... WITH PASSWORD); expected some of ddl, read, write, function, misc"
        ],
    ),
    "every statement's text while the password rotates": (
        "database:\n  log_min_duration_ms: 0\n",
        [
            "params/test.yaml:2: database.log_min_duration_ms: got 0, which logs every statement's text, the "
            "rotation's ALTER USER ... WITH PASSWORD included, and the master password rotates through SQL; expected "
            "-1 (off) or a threshold in milliseconds such as 100 (use audit_log: [ddl, read, write] to see statements)"
        ],
    ),
    "ACU off the half steps": (
        "database:\n  min_acu: 0.7\n",
        ["params/test.yaml:2: database.min_acu: got 0.7; expected a multiple of 0.5"],
    ),
    "log retention CloudWatch refuses": (
        "database:\n  log_retention_days: 10\n",
        [
            "params/test.yaml:2: database.log_retention_days: got 10; expected 1, 3, 5, 7, 14, 30, 60, 90, 120, "
            "150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653"
        ],
    ),
    "a production-grade environment whose database has one zone": (
        "production_grade: true\n",
        [
            f"params/base.yaml:{base_line('reader_instances:')}: database.reader_instances: got 0 in an environment "
            "with production_grade: true, so the database would go down with its writer's Availability Zone; "
            "expected 1 or more (the reader runs in a second zone), or production_grade: false"
        ],
    ),
    "a migrations folder without migrations": (
        "database:\n  migrations: schema\n",
        [
            "params/test.yaml:2: database.migrations: {project}/schema holds no .sql files; expected the folder of "
            "migrations, or null for none"
        ],
    ),
}


@pytest.mark.parametrize("override, expected", CASES.values(), ids=CASES.keys())
def test_bad_params_exit_2_with_every_problem_and_write_nothing(params_copy, capsys, override, expected):
    assert generate_test_env(params_copy, capsys, override) == refusal_of(expected)
