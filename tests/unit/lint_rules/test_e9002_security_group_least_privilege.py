"""Pure unit: rule E9002 (lint_rules/security_group_least_privilege.py, "Security group ingress is least privilege") on its table of snippets.

Each failing snippet yields exactly E9002, its messages naming the resource and the fix; each passing
snippet yields no project finding (cfn-lint's own findings are left out: snippets are minimal).
"""

from __future__ import annotations

import pytest

from tests.helpers.lint_snippets import (
    APP,
    ENV,
    assert_case_holds,
    case_ids,
    fails,
    group,
    imported,
    passes,
    ref,
    res,
    tcp,
    template,
)

CASES = [
    passes(
        "E9002",
        "web-from-anywhere-app-from-group-ssh-from-one-address",
        template(
            {
                "AlbSecurityGroup": group(
                    SecurityGroupIngress=[tcp(443, CidrIp="0.0.0.0/0"), tcp(80, CidrIpv6="::/0")]
                ),
                "AppSecurityGroup": group(
                    SecurityGroupIngress=[tcp(8000, SourceSecurityGroupId=ref("AlbSecurityGroup"))]
                ),
                "SshFromAdmin": res(
                    "AWS::EC2::SecurityGroupIngress",
                    GroupId=ref("AppSecurityGroup"),
                    **tcp(22, CidrIp="203.0.113.10/32"),
                ),
            }
        ),
    ),
    fails(
        "E9002",
        "ssh-from-anywhere",
        "Resource AppSecurityGroup",
        template(
            {
                "AppSecurityGroup": group(SecurityGroupIngress=[tcp(22, CidrIp="0.0.0.0/0")]),
            }
        ),
    ),
    fails(
        "E9002",
        "app-port-from-anywhere-over-ipv6",
        "Resource AppFromInternet (ingress to import shop-test-AppSg)",
        template(
            {
                "AppFromInternet": res(
                    "AWS::EC2::SecurityGroupIngress",
                    GroupId=imported(f"{APP}-{ENV}-AppSg"),
                    **tcp(8000, CidrIpv6="::/0"),
                ),
            }
        ),
    ),
    fails(
        "E9002",
        "every-protocol-from-a-group",
        "Resource AllFromAlb (ingress to AppSecurityGroup)",
        template(
            {
                "AppSecurityGroup": group(),
                "AllFromAlb": res(
                    "AWS::EC2::SecurityGroupIngress",
                    GroupId=ref("AppSecurityGroup"),
                    IpProtocol="-1",
                    SourceSecurityGroupId=imported(f"{APP}-{ENV}-AlbSg"),
                ),
            }
        ),
    ),
    fails(
        "E9002",
        "port-range",
        "Resource AppSecurityGroup",
        template(
            {
                "AppSecurityGroup": group(
                    SecurityGroupIngress=[
                        {
                            "IpProtocol": "tcp",
                            "FromPort": 8000,
                            "ToPort": 8100,
                            "SourceSecurityGroupId": "sg-0123456789abcdef0",
                        }
                    ]
                ),
            }
        ),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=case_ids(CASES))
def test_rule_on_snippet(lint, case):
    assert_case_holds(lint(case.document), case)
