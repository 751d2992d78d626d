"""Pure unit, through the CLI: bad access params (roles' statements, trust and pass_roles; grants of roles
and functions) exit 2 with file:line, key, problem and fix; nothing is written.

Each case replaces params/test.yaml (over the real base.yaml) and runs `generate.py --env test`
(tests/helpers: generate_test_env).
"""

from __future__ import annotations

import pytest

from tests.helpers import generate_test_env, refusal_of

CASES = {
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
    "a function granted a bucket nobody defines": (
        "stacks: [storage, functions]\nfunctions:\n  resize:\n    purpose: Resize images\n    source: sql\n"
        "    handler: handler.main\n    runtime: python3.12\n    timeout_seconds: 3\n    memory_mb: 128\n"
        "    log_retention_days: 7\n    grants: [{bucket: images, access: read}]\n",
        [
            "params/test.yaml:11: functions.resize.grants[0].bucket: no bucket 'images'; expected one of: attachments, "
            "audit-logs, exports, processed-zone, raw-landing"
        ],
    ),
}


@pytest.mark.parametrize("override, expected", CASES.values(), ids=CASES.keys())
def test_bad_params_exit_2_with_every_problem_and_write_nothing(params_copy, capsys, override, expected):
    assert generate_test_env(params_copy, capsys, override) == refusal_of(expected)
