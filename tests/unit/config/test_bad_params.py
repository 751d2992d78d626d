"""Pure unit, through the CLI: bad params exit 2 with file:line, key, problem and fix; nothing is written.

The problems any section can have (types, unknown and duplicate keys, YAML, choices, stacks, tags,
addresses, thresholds), and how several problems, environments and an earlier build are handled. The
problems of one section are in test_bad_params_<section>.py (network, database, storage, access).

Each case replaces params/test.yaml (over the real base.yaml) and runs `generate.py --env test`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import generate
from stackyard.config import STACK_NAMES
from stackyard.errors import EXIT_BAD_INPUT
from tests.helpers import generate_test_env, refusal_of, run_generate

ALLOWED_DATABASE_KEYS = (
    "audit_log, backup_retention_days, deletion_protection, engine, engine_version, instance, log_min_duration_ms, "
    "log_retention_days, master_username, max_acu, migrations, min_acu, name, performance_insights, "
    "reader_instances, secret_rotation_days"
)

CASES = {
    "a default environment set by one environment": (
        "default_environment: test\n",
        ["params/test.yaml:1: default_environment: the default environment is the system's; expected it in base.yaml"],
    ),
    "wrong type": (
        "database:\n  backup_retention_days: seven\n",
        ["params/test.yaml:2: database.backup_retention_days: got 'seven'; expected a valid integer"],
    ),
    "quoted number": (
        "database:\n  max_acu: '2'\n",
        ["params/test.yaml:2: database.max_acu: got '2'; expected a valid number"],
    ),
    "unknown key": (
        "database:\n  max_acus: 3\n",
        [
            f"params/test.yaml:2: database.max_acus: unknown key (did you mean 'max_acu'?); "
            f"allowed keys here: {ALLOWED_DATABASE_KEYS}"
        ],
    ),
    "a word YAML reads as a boolean": (
        "auth:\n  mfa: ON\n",
        [
            "params/test.yaml:2: auth.mfa: got True; expected 'OFF', 'OPTIONAL' or 'ON'; quote the word (for example "
            "'ON') so YAML keeps it as text"
        ],
    ),
    "value outside a choice": (
        "network:\n  nat: maybe\n",
        ["params/test.yaml:2: network.nat: got 'maybe'; expected 'none', 'single' or 'per_az'"],
    ),
    "environment written as a key": (
        "environment: prod\n",
        ["params/test.yaml:1: environment: the environment's name comes from its file name; remove this key"],
    ),
    "hosted zone without its domain": (
        "edge:\n  hosted_zone_id: Z0123456789ABC\n",
        [
            "params/test.yaml:2: edge.hosted_zone_id: a hosted zone holds a domain's records, and edge.domain is "
            "null; expected edge.domain (the zone's domain), or hosted_zone_id: null"
        ],
    ),
    "dead letters expiring before their source": (
        "messaging:\n  dead_letter_retention_days: 4\n",
        [
            "params/test.yaml:2: messaging.dead_letter_retention_days: got 4, not longer than retention_days (4); "
            "expected more days, or a message moved to the dead-letter queue could expire before anyone sees it"
        ],
    ),
    "alarm email that is not one": (
        "monitoring:\n  warning_emails: [platform-team]\n",
        [
            "params/test.yaml:2: monitoring.warning_emails[0]: got 'platform-team'; expected an email address such "
            "as oncall@example.com (An email address must have an @-sign.)"
        ],
    ),
    "alarm email with a shell command after it": (
        "monitoring:\n  critical_emails: ['a@b.c;rm']\n",
        [
            "params/test.yaml:2: monitoring.critical_emails[0]: got 'a@b.c;rm'; expected an email address such as "
            "oncall@example.com (The part after the @-sign contains invalid characters: ';'.)"
        ],
    ),
    "alarm email twice": (
        "monitoring:\n  warning_emails: [ops@example.com, Ops@example.com]\n",
        [
            "params/test.yaml:2: monitoring.warning_emails: got 'Ops@example.com' twice; expected each address once "
            "(SNS subscribes it once)"
        ],
    ),
    "a tag value AWS refuses": (
        "tags:\n  owner: 'platform team #1'\n",
        [
            "params/test.yaml:2: tags.owner: got 'platform team #1', which has '#'; expected letters, digits, "
            "spaces and _.:/=+-@ only (what AWS takes in a tag)"
        ],
    ),
    "a tag value with AWS's own prefix": (
        "tags:\n  cost_center: 'AWS:billing'\n",
        [
            "params/test.yaml:2: tags.cost_center: got 'AWS:billing'; AWS reserves the aws: prefix for its own "
            "tags. Expected another value"
        ],
    ),
    "a domain label ending in a hyphen": (
        "edge:\n  domain: shop-.example.com\n  hosted_zone_id: Z0123456789ABC\n",
        [
            "params/test.yaml:2: edge.domain: got 'shop-.example.com': label 'shop-' is not lowercase letters, "
            "digits and '-' with a letter or digit first and last; expected a DNS name such as app.example.com"
        ],
    ),
    "an infinite threshold": (
        "monitoring:\n  thresholds:\n    alb_p95_latency_seconds: .inf\n",
        ["params/test.yaml:3: monitoring.thresholds.alb_p95_latency_seconds: got inf; expected a finite number"],
    ),
    "a stack nobody builds": (
        "stacks: [network, storage, lambda]\n",
        [f"params/test.yaml:1: stacks: got unknown stack 'lambda'; expected some of: {', '.join(STACK_NAMES)}"],
    ),
    "a stack twice": (
        "stacks: [network, storage, network]\n",
        ["params/test.yaml:1: stacks: got 'network' more than once; expected each stack once"],
    ),
    "a stack without its section": (
        "stacks: [network, storage, tables]\n",
        [
            "params/test.yaml:1: stacks: stack tables needs a tables section, which these params do not have; "
            "expected one (params/base.yaml of the default system shows its keys), or tables left out of stacks"
        ],
    ),
    "YAML syntax error": (
        "network:\n  nat: [single\n",
        ["params/test.yaml:3: YAML syntax error: did not find expected ',' or ']'. Fix the YAML at this line"],
    ),
    "duplicate key": (
        "database:\n  max_acu: 2\n  max_acu: 3\n",
        [
            "params/test.yaml:3: database.max_acu: duplicate key (first written at line 2); YAML would "
            "silently keep only the last one. Fix: remove one of them"
        ],
    ),
    "every problem at once": (
        "network:\n  nat: maybe\ndatabase:\n  min_acu: high\nstorage:\n  access_logs_expire_after_days: 0\n",
        [
            "params/test.yaml:2: network.nat: got 'maybe'; expected 'none', 'single' or 'per_az'",
            "params/test.yaml:4: database.min_acu: got 'high'; expected a valid number",
            "params/test.yaml:6: storage.access_logs_expire_after_days: got 0; expected greater than or equal to 1",
        ],
    ),
}


@pytest.mark.parametrize("override, expected", CASES.values(), ids=CASES.keys())
def test_bad_params_exit_2_with_every_problem_and_write_nothing(params_copy, capsys, override, expected):
    assert generate_test_env(params_copy, capsys, override) == refusal_of(expected)


@pytest.mark.parametrize("name", ["/etc/passwd", "../other/prod", "Prod"])
def test_an_environment_that_is_no_name_suggests_no_file_to_create(params_copy, capsys, name):
    code, errors = run_generate(capsys, "--env", name)
    assert code == EXIT_BAD_INPUT
    assert errors[0] == (
        f"error: environment name {name!r} must be 1-10 lowercase letters or digits, starting with a letter (it goes "
        "into stack, bucket and export names); known environments: dev, local, prod, test. Fix: pick one of those"
    )


def test_unknown_environment_names_the_known_ones(params_copy, capsys):
    code, errors = run_generate(capsys, "--env", "staging")
    assert code == EXIT_BAD_INPUT
    assert errors[0] == (
        "error: params/staging.yaml: unknown environment 'staging'; known environments: dev, local, "
        "prod, test. Fix: pick one of those, or create params/staging.yaml"
    )
    assert not Path("build").exists()


def test_a_missing_params_folder_says_how_to_point_at_one(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    code, errors = run_generate(capsys)
    assert code == EXIT_BAD_INPUT
    assert errors == [
        "error: params/base.yaml: not found; a params folder needs base.yaml (the defaults) and one "
        "<env>.yaml per environment; pass --params DIR to use another folder"
    ]


def test_one_bad_environment_leaves_every_earlier_build_untouched(params_copy, capsys):
    assert generate.main(["--params", "params", "--build-dir", "build", "--skip-lint"]) == 0
    before = {path: path.read_bytes() for path in Path("build").rglob("*") if path.is_file()}
    (params_copy / "prod.yaml").write_text("network:\n  nat: maybe\n")
    (params_copy / "dev.yaml").write_text("database:\n  max_acu: 64\n")  # valid: would change dev's files

    code, errors = run_generate(capsys)

    assert code == EXIT_BAD_INPUT
    assert errors[0] == "error: params/prod.yaml:2: network.nat: got 'maybe'; expected 'none', 'single' or 'per_az'"
    assert {path: path.read_bytes() for path in Path("build").rglob("*") if path.is_file()} == before


def test_problems_of_several_environments_come_together(params_copy, capsys):
    (params_copy / "dev.yaml").write_text("network:\n  nat: maybe\n")
    (params_copy / "prod.yaml").write_text("database:\n  max_acu: 0.5\n")
    code, errors = run_generate(capsys)
    assert code == EXIT_BAD_INPUT
    assert errors == [
        "error: params/dev.yaml:2: network.nat: got 'maybe'; expected 'none', 'single' or 'per_az'",
        "error: params/prod.yaml:2: database.max_acu: got 0.5; expected greater than or equal to 1",
        "2 problems in the params; nothing was written",
    ]


def test_a_stack_without_the_stacks_it_imports_from_names_what_to_enable(params_copy, capsys):
    (params_copy / "test.yaml").write_text("stacks: [network, storage, messaging]\n")
    code, errors = run_generate(capsys, "--env", "test")
    assert code == EXIT_BAD_INPUT
    assert errors == [
        "error: params/test.yaml:1: stacks: stack messaging imports one-system-test-CriticalTopicArn, which no "
        "stack of environment test exports. Fix: add the stack that exports it to stacks, or leave stack "
        "messaging out",
        "1 problem in the params; nothing was written",
    ]
    assert not Path("build").exists()


def test_endpoints_instead_of_a_nat_satisfy_the_migrator_and_rotation(params_copy, capsys):
    (params_copy / "test.yaml").write_text(
        "stacks: [network, storage, alerts, database]\nnetwork:\n  nat: none\n  vpc_endpoints: true\n"
    )
    code, errors = run_generate(capsys, "--env", "test", "--skip-lint")
    assert (code, errors) == (0, [])


def test_a_default_environment_must_name_an_environment_of_the_folder(params_copy, capsys):
    base = params_copy / "base.yaml"
    base.write_text("default_environment: staging\n" + base.read_text())
    code, errors = run_generate(capsys, "--env", "test")
    assert code == EXIT_BAD_INPUT
    assert errors == [
        "error: params/base.yaml:1: default_environment: got 'staging', which is no environment here; expected one "
        "of: dev, local, prod, test",
        "1 problem in the params; nothing was written",
    ]
