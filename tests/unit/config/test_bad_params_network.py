"""Pure unit, through the CLI: bad network params (the VPC and its subnets, NAT, security groups and the
paths between them) exit 2 with file:line, key, problem and fix; nothing is written.

Each case replaces params/test.yaml (over the real base.yaml) and runs `generate.py --env test`
(tests/helpers: generate_test_env).
"""

from __future__ import annotations

import pytest

from tests.helpers import base_line, generate_test_env, refusal_of

CASES = {
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
    "a group description EC2 refuses": (
        "network:\n  security_groups:\n    app:\n      description: The app's servers\n",
        [
            'params/test.yaml:4: network.security_groups.app.description: got "The app\'s servers"; expected letters, '
            "digits, spaces and ._-:/()#,@[]+=&;{}!$* (EC2 refuses other characters, such as apostrophes)"
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
    "a VPC in public address space": (
        "network:\n  vpc_cidr: 8.8.0.0/16\n",
        [
            "params/test.yaml:2: network.vpc_cidr: got '8.8.0.0/16', which is not private address space: the VPC "
            "would shadow those public addresses for everything in it. Expected a range inside 10.0.0.0/8, "
            "172.16.0.0/12, 192.168.0.0/16 or 100.64.0.0/10, or allow_public_vpc_cidr: true for addresses your "
            "organisation owns"
        ],
    ),
}


@pytest.mark.parametrize("override, expected", CASES.values(), ids=CASES.keys())
def test_bad_params_exit_2_with_every_problem_and_write_nothing(params_copy, capsys, override, expected):
    assert generate_test_env(params_copy, capsys, override) == refusal_of(expected)
