"""Pure unit, through the CLI: the containers params seed 001's system refuses (file:line, key, fix), and
the Fargate CPU/memory table (stackyard/config/containers.py) held to cfn-lint's own rule.

Each case replaces params/dev.yaml of examples/infrastructure-package in a tmp folder and runs
`generate.py --env dev`; nothing is written.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from cfnlint.api import lint as cfn_lint

import generate
from stackyard.config import FARGATE_MEMORY
from stackyard.errors import EXIT_BAD_INPUT
from tests.helpers.seed001 import SYSTEM

FARGATE_CPU_MEMORY_RULE = "E3047"  # cfn-lint's check of a Fargate task's Cpu and Memory


# --- Fargate's CPU and memory --------------------------------------------------------------------


def test_every_cpu_and_memory_pair_accepted_is_one_cfn_lint_accepts_and_neighbours_are_refused():
    """The table in stackyard/config/containers.py against cfn-lint's own Fargate rule (E3047): every pair
    the table lets through passes it, and a memory size just outside each cpu's range fails both."""
    accepted = [(cpu, memory) for cpu, sizes in FARGATE_MEMORY.items() for memory in sizes]
    refused = [(cpu, sizes[0] - 512) for cpu, sizes in FARGATE_MEMORY.items()] + [
        (cpu, sizes[-1] + sizes[1] - sizes[0]) for cpu, sizes in FARGATE_MEMORY.items()
    ]

    def task(cpu, memory):
        return {
            "Type": "AWS::ECS::TaskDefinition",
            "Properties": {
                "RequiresCompatibilities": ["FARGATE"],
                "NetworkMode": "awsvpc",
                "Cpu": str(cpu),
                "Memory": str(memory),
                "ContainerDefinitions": [{"Name": "app", "Image": "app:1"}],
            },
        }

    def findings(pairs):
        resources_ = {f"Task{cpu}x{memory}": task(cpu, memory) for cpu, memory in pairs}
        document = {"AWSTemplateFormatVersion": "2010-09-09", "Resources": resources_}
        return {
            match.path[1]
            for match in cfn_lint(json.dumps(document), regions=["us-east-1"])
            if match.rule.id == FARGATE_CPU_MEMORY_RULE
        }

    assert len(accepted) > 60 and findings(accepted) == set()
    assert findings(refused) == {f"Task{cpu}x{memory}" for cpu, memory in refused}


# --- params it refuses ------------------------------------------------------------------------------

CASES = {
    "a cpu Fargate does not run": (
        "containers:\n  cpu: 300\n",
        ["params/dev.yaml:2: containers.cpu: got 300; expected 256, 512, 1024, 2048, 4096, 8192 or 16384"],
    ),
    "memory outside the cpu's few sizes": (
        "containers:\n  cpu: 256\n  memory_mb: 4096\n",
        [
            "params/dev.yaml:3: containers.memory_mb: got 4096 with cpu 256; Fargate runs cpu 256 with memory_mb 512, "
            "1024 or 2048; expected one of those, or another cpu"
        ],
    ),
    "memory off the cpu's steps": (
        "containers:\n  cpu: 1024\n  memory_mb: 2500\n",
        [
            "params/dev.yaml:3: containers.memory_mb: got 2500 with cpu 1024; Fargate runs cpu 1024 with memory_mb 2048 "
            "to 8192 in steps of 1024; expected one of those, or another cpu"
        ],
    ),
    "more tasks at least than at most": (
        "containers:\n  min_tasks: 3\n  max_tasks: 2\n",
        ["params/dev.yaml:3: containers.max_tasks: got 2, below min_tasks (3); expected max_tasks >= min_tasks"],
    ),
    "no task at all": (
        "containers:\n  min_tasks: 0\n",
        ["params/dev.yaml:2: containers.min_tasks: got 0; expected greater than or equal to 1"],
    ),
    "latest in an immutable repository": (
        "containers:\n  repository:\n    tag_mutability: IMMUTABLE\n",
        [
            "params/dev.yaml:2: containers.repository: an IMMUTABLE repository takes 'latest' once, so image_tag: "
            "latest could never move to a new image; expected tag_mutability: MUTABLE, or image_tag: a release tag"
        ],
    ),
    "a secret from two places": (
        "containers:\n  secrets:\n    API_KEY: {secret: app/api, parameter: /app/api}\n",
        [
            "params/dev.yaml:3: containers.secrets.API_KEY: got secret, parameter; expected exactly one of secret, "
            "parameter, database_secret, auth_client_secret or auth_parameter"
        ],
    ),
    "a JSON key of a parameter": (
        "containers:\n  secrets:\n    API_KEY: {parameter: /app/api, key: value}\n",
        [
            "params/dev.yaml:3: containers.secrets.API_KEY: key picks a JSON key of a secret; an SSM parameter is "
            "one value. Expected no key here"
        ],
    ),
    "a variable both plain and secret": (
        "containers:\n  environment:\n    DATABASE_CREDENTIALS: none\n",
        [
            "params/base.yaml:{line DATABASE_CREDENTIALS}: containers.secrets.DATABASE_CREDENTIALS: "
            "DATABASE_CREDENTIALS is also in containers.environment; expected each variable in one of environment or "
            "secrets"
        ],
    ),
    "the database secret's variable taken": (
        "containers:\n  environment:\n    DATABASE_SECRET_ARN: arn:aws:secretsmanager:ap-southeast-1:123456789012:secret:mine\n",
        [
            "params/dev.yaml:3: containers.environment.DATABASE_SECRET_ARN: the container gets DATABASE_SECRET_ARN "
            "from reads_database_secret; expected another name here"
        ],
    ),
    "a value that is not text": (
        "containers:\n  environment:\n    COOKIE_SECURE: true\n",
        [
            "params/dev.yaml:3: containers.environment.COOKIE_SECURE: got True; expected text (quoted, since YAML reads "
            "true, 1 and the like as other types), or {bucket: key} or {table: key}"
        ],
    ),
    "a grant on a bucket nobody defines": (
        "containers:\n  grants: [{bucket: files, access: read}]\n",
        ["params/dev.yaml:2: containers.grants[0].bucket: no bucket 'files'; expected one of: none"],
    ),
    "a statement granting everything": (
        "containers:\n  statements: [{actions: ['s3:*'], resources: ['*']}]\n",
        [
            "params/dev.yaml:2: containers.statements[0].resources: s3:* on every resource ('*') is more than any "
            "role needs (wildcards and actions that reach other roles' permissions); expected the actions it calls, "
            "or the ARNs they act on"
        ],
    ),
    "a misspelt key": (
        "containers:\n  min_task: 1\n",
        [
            "params/dev.yaml:2: containers.min_task: unknown key (did you mean 'min_tasks'?); allowed keys here: "
            "architecture, cpu, environment, grants, health_check, health_check_grace_seconds, image_tag, "
            "log_retention_days, max_tasks, memory_mb, min_tasks, port, read_only_root_filesystem, "
            "reads_database_secret, repository, scaling, scratch_paths, secrets, statements, user"
        ],
    ),
    "root as the container's user": (
        'containers:\n  user: "0:0"\n',
        [
            "params/dev.yaml:2: containers.user: got '0:0'; expected a user other than root such as 1000, 1000:1000 or app"
        ],
    ),
    "a scratch path that is not absolute": (
        "containers:\n  scratch_paths: [tmp]\n",
        [
            "params/dev.yaml:2: containers.scratch_paths[0]: got 'tmp'; expected an absolute path in the container "
            "such as /tmp"
        ],
    ),
    "containers and the EC2 app server both": (
        "stacks: [network, storage, alerts, messaging, database, compute, containers, edge-global, edge]\n"
        "compute:\n  instance_type: t3.small\n  image_parameter: /aws/service/ami-amazon-linux-latest/al2023-ami-kernel-"
        "default-x86_64\n  root_volume_gb: 30\n  app_port: 8000\n  log_level: INFO\n  log_retention_days: 30\n"
        "  docker_compose_version: v2.29.7\n"
        "messaging:\n  max_receive_count: 3\n  retention_days: 4\n  dead_letter_retention_days: 14\n"
        "  queues: {jobs: {purpose: Jobs, visibility_timeout_seconds: 60}}\n",
        [
            "params/dev.yaml:1: stacks: compute (an EC2 app server) and containers (ECS Fargate) both run the app "
            "behind the load balancer; expected one of them in stacks"
        ],
    ),
    "containers without the load balancer": (
        "stacks: [network, storage, alerts, database, containers]\n",
        [
            "params/dev.yaml:1: stacks: containers registers its tasks with the load balancer of the edge stack; "
            "expected edge in stacks"
        ],
    ),
    "the database secret without a database": (
        "stacks: [network, storage, alerts, containers, edge-global, edge]\n",
        [
            "params/base.yaml:{line DATABASE_CREDENTIALS}: containers.secrets.DATABASE_CREDENTIALS.database_secret: "
            "this environment has no database stack, whose secret this names; expected database in stacks, or "
            "another secret",
            "params/base.yaml:{line reads_database_secret}: containers.reads_database_secret: this environment has no "
            "database stack, whose secret this reads; expected database in stacks, or false",
        ],
    ),
    "private subnets without a NAT": (
        "network:\n  nat: none\n  vpc_endpoints: true\n",
        [
            "params/dev.yaml:2: network.nat: the app's tasks run in the private subnets and pull their image from ECR "
            "and send their logs through a NAT; expected single or per_az"
        ],
    ),
    "a port the security groups do not open": (
        "network:\n  security_groups:\n    alb:\n      egress: [{port: 8000, group: app, description: API}]\n"
        "    app:\n      ingress: [{port: 8000, group: alb, description: API}]\ncontainers:\n  port: 9000\n",
        [
            "params/dev.yaml:4: network.security_groups.alb.egress: the load balancer reaches the app on port 9000, and "
            "no egress rule of group alb sends it to group app; expected {port: 9000, group: app, description: ...}",
            "params/dev.yaml:6: network.security_groups.app.ingress: the load balancer reaches the app on port 9000, and "
            "no ingress rule of group app admits it from group alb; expected {port: 9000, group: alb, description: ...}",
        ],
    ),
}


def base_line(text: str) -> int:
    lines = (SYSTEM / "params" / "base.yaml").read_text().splitlines()
    return next(number for number, line in enumerate(lines, 1) if line.lstrip().startswith(text))


@pytest.mark.parametrize("override, expected", CASES.values(), ids=CASES.keys())
def test_bad_params_exit_2_with_file_line_key_and_fix(tmp_path, monkeypatch, capsys, override, expected):
    shutil.copytree(SYSTEM / "params", tmp_path / "params")
    (tmp_path / "params" / "dev.yaml").write_text(override)
    monkeypatch.chdir(tmp_path)
    code = generate.main(["--params", "params", "--build-dir", "build", "--env", "dev"])
    errors = capsys.readouterr().err.splitlines()
    expected = [
        line.replace("{line DATABASE_CREDENTIALS}", str(base_line("DATABASE_CREDENTIALS:"))).replace(
            "{line reads_database_secret}", str(base_line("reads_database_secret:"))
        )
        for line in expected
    ]
    assert code == EXIT_BAD_INPUT
    assert errors[:-1] == [f"error: {line}" for line in expected]
    assert not Path("build").exists()
