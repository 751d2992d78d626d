"""Pure unit: rule E9016 (lint_rules/container_hardening.py, "Containers run read-only, unprivileged, not as root") on its table of snippets.

Each failing snippet yields exactly E9016, its messages naming the resource and the fix; each passing
snippet yields no project finding (cfn-lint's own findings are left out: snippets are minimal).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers.lint_snippets import APP, ENV, assert_case_holds, case_ids, fails, passes, res, template


def task(**container: Any) -> dict[str, Any]:
    return res(
        "AWS::ECS::TaskDefinition",
        Family=f"{APP}-{ENV}-app",
        RequiresCompatibilities=["FARGATE"],
        NetworkMode="awsvpc",
        Cpu="256",
        Memory="512",
        Volumes=[{"Name": "scratch-1"}],
        ContainerDefinitions=[
            {
                "Name": "app",
                "Image": "public.ecr.aws/docker/library/python:3.12",
                "MountPoints": [{"SourceVolume": "scratch-1", "ContainerPath": "/tmp", "ReadOnly": False}],
                **container,
            }
        ],
    )


CASES = [
    passes(
        "E9016",
        "read-only-with-scratch-as-a-user",
        template({"TaskDefinition": task(ReadonlyRootFilesystem=True, User="1000:1000")}),
    ),
    passes(
        "E9016",
        "read-only-as-the-images-user",
        template({"TaskDefinition": task(ReadonlyRootFilesystem="true")}),
    ),
    fails(
        "E9016",
        "writable-image-by-default",
        "Resource TaskDefinition",
        template({"TaskDefinition": task()}),
    ),
    fails(
        "E9016",
        "root-by-uid-with-a-group",
        "Resource TaskDefinition",
        template({"TaskDefinition": task(ReadonlyRootFilesystem=True, User="0:1000")}),
    ),
    fails(
        "E9016",
        "privileged",
        "Resource TaskDefinition",
        template({"TaskDefinition": task(ReadonlyRootFilesystem=True, Privileged=True)}),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=case_ids(CASES))
def test_rule_on_snippet(lint, case):
    assert_case_holds(lint(case.document), case)
