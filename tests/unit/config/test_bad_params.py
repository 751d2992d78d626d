"""Pure unit, through the CLI: bad params exit 2 with file:line, key, problem and fix; nothing is written.

Each case replaces params/test.yaml (over the real base.yaml) and runs `generate.py --env test`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import generate
from stackyard.config import STACK_NAMES
from stackyard.errors import EXIT_BAD_INPUT
from tests.helpers import base_line, run_generate

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
    "bad CIDR": (
        "network:\n  vpc_cidr: 10.0.0.0/33\n",
        [
            "params/test.yaml:2: network.vpc_cidr: got '10.0.0.0/33', which is not an IPv4 CIDR; "
            "expected a.b.c.d/n, e.g. 10.0.0.0/16"
        ],
    ),
    "CIDR with host bits": (
        "network:\n  vpc_cidr: 10.0.0.1/16\n",
        [
            "params/test.yaml:2: network.vpc_cidr: got '10.0.0.1/16', which has host bits set; "
            "expected the network address 10.0.0.0/16"
        ],
    ),
    "VPC bigger than EC2 allows": (
        "network:\n  vpc_cidr: 10.0.0.0/8\n",
        [
            "params/test.yaml:2: network.vpc_cidr: got '10.0.0.0/8'; a VPC's prefix length must be from /16 to /28, "
            "e.g. 10.0.0.0/16"
        ],
    ),
    "SSH open to the world": (
        "network:\n  security_groups:\n    pipeline:\n      ingress:\n"
        "        - {port: 22, cidr: 0.0.0.0/0, description: SSH}\n",
        [
            "params/test.yaml:5: network.security_groups.pipeline.ingress[0]: got '0.0.0.0/0', which opens SSH to "
            "4,294,967,296 addresses; expected the admin network with a prefix length of 16 or more, e.g. "
            "203.0.113.10/32"
        ],
    ),
    "a rule with neither a cidr nor a group": (
        "network:\n  security_groups:\n    pipeline:\n      ingress:\n        - {port: 22, description: SSH}\n",
        [
            "params/test.yaml:5: network.security_groups.pipeline.ingress[0]: expected exactly one of cidr (a.b.c.d/n, "
            "or vpc) or group (a security group key)"
        ],
    ),
    "a rule naming a group nobody defines": (
        "network:\n  security_groups:\n    pipeline:\n      ingress:\n"
        "        - {port: 22, group: bastion, description: SSH from the bastion}\n",
        [
            "params/test.yaml:5: network.security_groups.pipeline.ingress[0].group: no security group 'bastion'; "
            "expected one of: alb, app, database, pipeline"
        ],
    ),
    "groups sending to each other by egress": (
        "network:\n  security_groups:\n    database:\n      egress:\n"
        "        - {port: 443, group: alb, description: Back to the load balancer}\n",
        [
            "params/base.yaml:40: network.security_groups.alb.egress: egress rules form a cycle (alb -> app -> "
            "database -> alb); egress to a group is part of the group itself, so CloudFormation could create "
            "neither first. Expected the return direction as ingress on the other group"
        ],
    ),
    "a stack's security group missing": (
        "network:\n  security_groups:\n    database: null\n",
        [
            "params/test.yaml:3: network.security_groups.database: got an empty value; expected a valid dictionary "
            "or instance of SecurityGroup"
        ],
    ),
    "a lifecycle prefix with a wildcard": (
        "storage:\n  buckets:\n    exports:\n      lifecycle_rules:\n        archive:\n"
        "          prefix: jobs/*/outputs/\n          transitions: [{storage_class: GLACIER_IR, after_days: 3}]\n",
        [
            "params/test.yaml:6: storage.buckets.exports.lifecycle_rules.archive.prefix: got 'jobs/*/outputs/'; expected "
            "a literal key prefix such as jobs/ (S3 lifecycle prefixes have no wildcards)"
        ],
    ),
    "infrequent access before S3 allows it": (
        "storage:\n  buckets:\n    exports:\n      lifecycle_rules:\n        archive:\n"
        "          transitions: [{storage_class: STANDARD_IA, after_days: 3}]\n",
        [
            "params/test.yaml:6: storage.buckets.exports.lifecycle_rules.archive.transitions[0]: STANDARD_IA needs "
            "objects at least 30 days old; got 3. Expected after_days >= 30, or GLACIER_IR"
        ],
    ),
    "lifecycle transitions back to a warmer class": (
        "storage:\n  buckets:\n    exports:\n      lifecycle_rules:\n        archive:\n"
        "          transitions: [{storage_class: GLACIER, after_days: 30}, {storage_class: STANDARD_IA, after_days: 60}]\n",
        [
            "params/test.yaml:6: storage.buckets.exports.lifecycle_rules.archive.transitions: GLACIER after 30 days, then "
            "STANDARD_IA after 60; S3 moves objects only to colder classes, later: expected the order STANDARD_IA, "
            "INTELLIGENT_TIERING, ONEZONE_IA, GLACIER_IR, GLACIER, DEEP_ARCHIVE with rising days"
        ],
    ),
    "lifecycle expiry before a transition": (
        "storage:\n  buckets:\n    exports:\n      lifecycle_rules:\n        archive:\n"
        "          transitions: [{storage_class: GLACIER_IR, after_days: 30}]\n          expire_after_days: 10\n",
        [
            "params/test.yaml:7: storage.buckets.exports.lifecycle_rules.archive.expire_after_days: got 10, not after "
            "the last transition (30 days); expected more days, or fewer transitions"
        ],
    ),
    "a role allowed a whole service on everything": (
        "stacks: [network, storage, roles]\nroles:\n  worker:\n    purpose: Workers\n"
        "    trusted_service: ecs-tasks.amazonaws.com\n"
        '    statements:\n      - {actions: ["dynamodb:*"], resources: ["*"]}\n',
        [
            "params/test.yaml:7: roles.worker.statements[0].resources: dynamodb:* on every resource ('*') is more than "
            "any role needs (wildcards and actions that reach other roles' permissions); expected the actions it "
            "calls, or the ARNs they act on"
        ],
    ),
    "a role allowed a whole service on a named table without a reason": (
        "stacks: [network, storage, roles]\nroles:\n  worker:\n    purpose: Workers\n"
        "    trusted_service: ecs-tasks.amazonaws.com\n"
        '    statements:\n      - {actions: ["dynamodb:*"], resources: ["arn:${AWS::Partition}:dynamodb:*:*:table/x"]}\n',
        [
            "params/test.yaml:7: roles.worker.statements[0]: dynamodb:* allows every action of the service, "
            "configuration and deletion included; expected the actions the role calls, or a reason: saying why it "
            "needs them all"
        ],
    ),
    "a role passing a role that is not there": (
        "stacks: [network, storage, roles]\nroles:\n  worker:\n    purpose: Workers\n"
        "    trusted_service: lambda.amazonaws.com\n    pass_roles: [builder]\n",
        ["params/test.yaml:6: roles.worker.pass_roles[0]: no role 'builder'; expected one of: worker"],
    ),
    "a bucket notifying a function with no alerts stack to page": (
        "stacks: [network, storage, functions]\n"
        "functions:\n  importer:\n    purpose: Imports\n    source: sql\n    handler: handler.main\n"
        "    runtime: python3.12\n    timeout_seconds: 60\n    memory_mb: 256\n    log_retention_days: 7\n"
        "storage:\n  buckets:\n    exports:\n      notifications: [{function: importer}]\n",
        [
            "params/test.yaml:14: storage.buckets.exports.notifications[0].function: bucket exports invokes function "
            "importer asynchronously, whose failed events and errors are alarmed through the alerts stack's topics, "
            "which is not listed; expected alerts in stacks (and a monitoring section)"
        ],
    ),
    "a role for EC2 instances": (
        "stacks: [network, storage, roles]\nroles:\n  worker:\n    purpose: Workers\n"
        '    trusted_service: ec2.amazonaws.com\n    statements:\n      - {actions: ["s3:ListAllMyBuckets"], '
        'resources: ["*"]}\n',
        [
            "params/test.yaml:5: roles.worker.trusted_service: EC2 instances take a role through an instance profile, "
            "which the roles stack does not make; expected a service that assumes the role itself, such as "
            "ecs-tasks.amazonaws.com or lambda.amazonaws.com"
        ],
    ),
    "a role that may pass any role": (
        "stacks: [network, storage, roles]\nroles:\n  worker:\n    purpose: Workers\n"
        "    trusted_service: ecs-tasks.amazonaws.com\n"
        '    statements:\n      - {actions: ["ecs:RunTask", "iam:PassRole"], resources: ["*"]}\n',
        [
            "params/test.yaml:7: roles.worker.statements[0].resources: iam:PassRole on every resource ('*') is more than "
            "any role needs (wildcards and actions that reach other roles' permissions); expected the actions it "
            "calls, or the ARNs they act on"
        ],
    ),
    "a grant of another service's actions on a bucket": (
        "stacks: [network, storage, roles]\nroles:\n  worker:\n    purpose: Workers\n"
        "    trusted_service: ecs-tasks.amazonaws.com\n"
        '    grants:\n      - {bucket: exports, actions: ["dynamodb:GetItem"]}\n',
        [
            "params/test.yaml:7: roles.worker.grants[0]: dynamodb:GetItem cannot act on a bucket; expected s3: actions, "
            "or a statement for the others"
        ],
    ),
    "a group description EC2 refuses": (
        "network:\n  security_groups:\n    app:\n      description: The app's servers\n",
        [
            'params/test.yaml:4: network.security_groups.app.description: got "The app\'s servers"; expected letters, '
            "digits, spaces and ._-:/()#,@[]+=&;{}!$* (EC2 refuses other characters, such as apostrophes)"
        ],
    ),
    "a word YAML reads as a boolean": (
        "auth:\n  mfa: ON\n",
        [
            "params/test.yaml:2: auth.mfa: got True; expected 'OFF', 'OPTIONAL' or 'ON'; quote the word (for example "
            "'ON') so YAML keeps it as text"
        ],
    ),
    "an app that cannot reach out on 443": (
        "network:\n  security_groups:\n    app:\n      egress:\n"
        "        - {port: 5432, group: database, description: PostgreSQL}\n",
        [
            "params/test.yaml:4: network.security_groups.app.egress: the app reaches AWS APIs and its registries on "
            "port 443, and no egress rule of group app sends it to the internet; expected {port: 443, cidr: 0.0.0.0/0, "
            "description: ...}"
        ],
    ),
    "a database the app cannot reach": (
        "network:\n  security_groups:\n    database:\n      ingress: []\n",
        [
            "params/test.yaml:4: network.security_groups.database.ingress: the app reaches the database on port 5432, "
            "and no ingress rule of group database admits it from group app; expected {port: 5432, group: app, "
            "description: ...}"
        ],
    ),
    "subnets outside the VPC": (
        "network:\n  public_subnets: [10.0.1.0/24, 10.1.2.0/24]\n",
        [
            "params/test.yaml:2: network.public_subnets: 10.1.2.0/24 is not inside the VPC 10.0.0.0/16; expected "
            "subnets of it"
        ],
    ),
    "listed subnets that overlap": (
        "network:\n  public_subnets: [10.0.1.0/24, 10.0.1.0/25]\n",
        [
            "params/test.yaml:2: network.public_subnets: subnets 10.0.1.0/24 and 10.0.1.0/25 overlap; expected "
            "separate ranges"
        ],
    ),
    "no private subnets for stacks that run in them": (
        "stacks: [network, storage, alerts, compute]\nnetwork:\n  private_subnets: []\n  nat: none\n",
        [
            "params/test.yaml:3: network.private_subnets: stack compute runs in the private subnets, and there are "
            "none; expected a private subnet per availability zone"
        ],
    ),
    "subnets that do not fit": (
        "network:\n  subnet_prefix_length: 17\n",
        [
            "params/test.yaml:2: network.subnet_prefix_length: /17 subnets do not fit: 2 public and 2 private "
            "subnets need each half of 10.0.0.0/16 to hold 2; expected a prefix length from 18 to 28"
        ],
    ),
    "value outside a choice": (
        "network:\n  nat: maybe\n",
        ["params/test.yaml:2: network.nat: got 'maybe'; expected 'none', 'single' or 'per_az'"],
    ),
    "log retention CloudWatch refuses": (
        "database:\n  log_retention_days: 10\n",
        [
            "params/test.yaml:2: database.log_retention_days: got 10; expected 1, 3, 5, 7, 14, 30, 60, 90, 120, "
            "150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653"
        ],
    ),
    "missing key of a new bucket": (
        "storage:\n  buckets:\n    reports:\n      versioned: true\n",
        [
            "params/test.yaml:3: storage.buckets.reports.purpose: required key is missing; add it to this "
            "environment's file, or to base.yaml for every environment"
        ],
    ),
    "Object Lock without versioning": (
        "storage:\n  buckets:\n    exports:\n      object_lock: {mode: GOVERNANCE, days: 1}\n",
        [
            "params/test.yaml:4: storage.buckets.exports.object_lock: Object Lock needs versioning; "
            "expected versioned: true on this bucket"
        ],
    ),
    "environment written as a key": (
        "environment: prod\n",
        ["params/test.yaml:1: environment: the environment's name comes from its file name; remove this key"],
    ),
    "no NAT for what needs one": (
        "network:\n  nat: none\n",
        [
            f"params/base.yaml:{base_line('secret_rotation_days:')}: database.secret_rotation_days: secret rotation "
            "runs in the private subnets and must reach Secrets Manager; expected network.nat: single or per_az, or "
            "network.vpc_endpoints: true, or secret_rotation_days: null",
            f"params/base.yaml:{base_line('migrations:')}: database.migrations: the schema migrator runs in the "
            "private subnets and must reach Secrets Manager and CloudFormation's response URL (S3); expected "
            "network.nat: single or per_az, or network.vpc_endpoints: true, or migrations: null",
            "params/test.yaml:2: network.nat: the app server in the private subnets installs Docker and pulls images "
            "through a NAT; expected single or per_az",
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
    "bucket name too long": (
        "app: a-rather-long-app-nm\n",
        [
            f"params/base.yaml:{base_line('processed-zone:')}: storage.buckets.processed-zone: bucket name "
            "a-rather-long-app-nm-test-processed-zone-<account id>-ap-southeast-1 would be 68 characters; "
            "S3 allows 63. Expected a shorter app name or bucket key"
        ],
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
    "a VPC in public address space": (
        "network:\n  vpc_cidr: 8.8.0.0/16\n",
        [
            "params/test.yaml:2: network.vpc_cidr: got '8.8.0.0/16', which is not private address space: the VPC "
            "would shadow those public addresses for everything in it. Expected a range inside 10.0.0.0/8, "
            "172.16.0.0/12, 192.168.0.0/16 or 100.64.0.0/10, or allow_public_vpc_cidr: true for addresses your "
            "organisation owns"
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
    "a bucket every environment already has": (
        "storage:\n  buckets:\n    frontend:\n      purpose: SPA\n      versioned: true\n",
        [
            "params/test.yaml:3: storage.buckets.frontend: 'frontend' is a bucket every environment gets already "
            "(access-logs, frontend, cdn-logs); expected another key for this bucket"
        ],
    ),
    "a stack nobody builds": (
        "stacks: [network, storage, lambda]\n",
        [f"params/test.yaml:1: stacks: got unknown stack 'lambda'; expected some of: {', '.join(STACK_NAMES)}"],
    ),
    "a stack twice": (
        "stacks: [network, storage, network]\n",
        ["params/test.yaml:1: stacks: got 'network' more than once; expected each stack once"],
    ),
    "a migrations folder without migrations": (
        "database:\n  migrations: schema\n",
        [
            "params/test.yaml:2: database.migrations: {project}/schema holds no .sql files; expected the folder of "
            "migrations, or null for none"
        ],
    ),
    "a stack without its section": (
        "stacks: [network, storage, tables]\n",
        [
            "params/test.yaml:1: stacks: stack tables needs a tables section, which these params do not have; "
            "expected one (params/base.yaml of the default system shows its keys), or tables left out of stacks"
        ],
    ),
    "a notification for a function nobody defines": (
        "storage:\n  buckets:\n    exports:\n      notifications: [{function: resizer}]\n",
        [
            "params/test.yaml:4: storage.buckets.exports.notifications[0].function: no function 'resizer'; "
            "expected one of: none"
        ],
    ),
    "a function granted a bucket nobody defines": (
        "stacks: [storage, functions]\nfunctions:\n  resize:\n    purpose: Resize images\n    source: sql\n"
        "    handler: handler.main\n    runtime: python3.12\n    timeout_seconds: 3\n    memory_mb: 128\n"
        "    log_retention_days: 7\n    grants: [{bucket: images, access: read}]\n",
        [
            "params/test.yaml:11: functions.resize.grants[0].bucket: no bucket 'images'; expected one of: attachments, "
            "audit-logs, exports, processed-zone, raw-landing"
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
    (params_copy / "test.yaml").write_text(override)
    code, errors = run_generate(capsys, "--env", "test")
    assert code == EXIT_BAD_INPUT
    problems = len(expected)
    expected = [line.replace("{project}", str(Path.cwd())) for line in expected]
    assert errors == [f"error: {line}" for line in expected] + [
        f"{problems} problem{'s' if problems > 1 else ''} in the params; nothing was written"
    ]
    assert not Path("build").exists()


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
