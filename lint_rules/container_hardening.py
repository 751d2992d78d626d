"""E9016: containers run from a read-only image, unprivileged, and never as root by name."""

from __future__ import annotations

import re

from cfnlint.rules import CloudFormationLintRule, RuleMatch
from cfnlint.template import Template

from lint_rules import _template_facts as facts

# root by name or uid, alone or with a group: Docker's --user forms that run as uid 0
ROOT_USER = re.compile(r"^(root|0+)(:.*)?$")


class ContainerHardening(CloudFormationLintRule):
    id = "E9016"
    shortdesc = "Containers run read-only, unprivileged, not as root"
    description = (
        "Issue 13 section 5: every container of an AWS::ECS::TaskDefinition has ReadonlyRootFilesystem true, "
        "is not Privileged, and a User it names is not root (root, 0, or either with a group)."
    )
    source_url = "docs/rules.md#e9016"
    tags = ["stackyard", "security", "ecs", "containers"]

    def match(self, cfn: Template) -> list[RuleMatch]:
        matches = []
        for name, definition in cfn.get_resources("AWS::ECS::TaskDefinition").items():
            containers = facts.properties(definition).get("ContainerDefinitions")
            for index, container in enumerate(containers if isinstance(containers, list) else []):
                if not isinstance(container, dict):
                    continue
                path = ["Resources", name, "Properties", "ContainerDefinitions", index]
                label = f"Resource {name}: container {facts.describe(container.get('Name'))}"
                matches += _findings(label, path, container)
        return matches


def _findings(label: str, path: list[str | int], container: dict) -> list[RuleMatch]:
    found = []
    readonly = container.get("ReadonlyRootFilesystem")
    if not (facts.is_true(readonly) or isinstance(readonly, dict)):  # an intrinsic function cannot be read
        found.append(
            RuleMatch(
                path,
                f"{label} can rewrite its own image's files, so whoever gets in can change the app. Fix: "
                f"ReadonlyRootFilesystem true, with a volume mounted where the app writes (containers.scratch_paths).",
            )
        )
    if facts.is_true(container.get("Privileged")):
        found.append(RuleMatch([*path, "Privileged"], f"{label} is privileged. Fix: drop Privileged."))
    user = container.get("User")
    if isinstance(user, str) and ROOT_USER.match(user):
        found.append(
            RuleMatch(
                [*path, "User"],
                f"{label} runs as {user}, which is root. Fix: a user of the image other than root, such as "
                f"1000:1000 (containers.user).",
            )
        )
    return found
