"""Pure unit: rule E9004 (lint_rules/secret_encryption.py, "Secrets are encrypted with a customer managed KMS key") on its table of snippets.

Each failing snippet yields exactly E9004, its messages naming the resource and the fix; each passing
snippet yields no project finding (cfn-lint's own findings are left out: snippets are minimal).
"""

from __future__ import annotations

import pytest

from tests.helpers.lint_snippets import (
    assert_case_holds,
    case_ids,
    fails,
    getatt,
    instance_alarms,
    passes,
    rds_instance,
    ref,
    res,
    template,
)

CASES = [
    passes(
        "E9004",
        "secrets-with-customer-keys",
        template(
            {
                "Key": res("AWS::KMS::Key", KeyPolicy={"Version": "2012-10-17", "Statement": []}),
                "Secret": res("AWS::SecretsManager::Secret", KmsKeyId=ref("Key"), GenerateSecretString={}),
                "Database": rds_instance(
                    ManageMasterUserPassword=True, MasterUserSecret={"KmsKeyId": getatt("Key", "Arn")}
                ),
                **instance_alarms(),
            }
        ),
    ),
    fails(
        "E9004",
        "secret-without-key",
        "Resource Secret",
        template(
            {
                "Secret": res("AWS::SecretsManager::Secret", GenerateSecretString={}),
            }
        ),
    ),
    fails(
        "E9004",
        "secret-with-aws-managed-key",
        "Resource Secret",
        template(
            {
                "Secret": res(
                    "AWS::SecretsManager::Secret", KmsKeyId="alias/aws/secretsmanager", GenerateSecretString={}
                ),
            }
        ),
    ),
    fails(
        "E9004",
        "managed-master-password-without-key",
        "Resource Database",
        template(
            {
                "Database": rds_instance(ManageMasterUserPassword=True),
                **instance_alarms(),
            }
        ),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=case_ids(CASES))
def test_rule_on_snippet(lint, case):
    assert_case_holds(lint(case.document), case)
