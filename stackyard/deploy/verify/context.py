"""What verify's checks read of the deployed environment: each stack as deployed (its outputs), and the
resources of a type across every stack, nested stacks included, with the region they are in."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field

from stackyard.aws import Aws, DeployedStack, StackResource
from stackyard.cfn import NESTED_STACK
from stackyard.config.verify import OUTPUT_REFERENCE
from stackyard.deploy.environment import DeployOptions, Environment
from stackyard.deploy.verify.probes import Probes


class Unresolved(Exception):
    """A check's target names something not deployed; the message says what, as evidence."""


@dataclass(frozen=True)
class Located:
    """A resource of the environment: the stack of the manifest it is in (nested stacks count as their
    parent's), its region, type, physical id and CloudFormation status."""

    stack: str
    region: str
    resource_type: str
    physical_id: str
    status: str


@dataclass
class VerifyContext:
    aws: Aws
    environment: Environment
    options: DeployOptions
    probes: Probes
    timeout: float
    deployed: dict[str, DeployedStack | None] = field(default_factory=dict)  # every stack of the environment
    # What ListStackResources answered, by stack id: read once per stack (tests may say what a stack holds).
    listed: dict[str, list[StackResource]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def read_stacks(self) -> None:
        for stack, entry in self.environment.manifest.stacks.items():
            self.deployed[stack] = self.aws.stack_reader(self.region(stack)).describe(entry.stack_name)

    def region(self, stack: str) -> str:
        return self.environment.region(stack, self.options)

    def resolve(self, target: str) -> str:
        """`target` with each ${stack.Output} replaced by the deployed stack's output."""

        def output(match: re.Match[str]) -> str:
            stack, name = match.group(1), match.group(2)
            found = self.deployed.get(stack)
            if found is None:
                raise Unresolved(f"stack {stack} is not deployed")
            if name not in found.outputs:
                raise Unresolved(f"stack {found.name} has no output {name}")
            return found.outputs[name]

        return OUTPUT_REFERENCE.sub(output, target)

    def resources(self, resource_type: str = "") -> list[Located]:
        """Every resource of `resource_type` ("" for all) in the deployed stacks, nested stacks included, in
        deploy order."""
        found = []
        for stack in self.environment.manifest.deploy_order:
            deployed = self.deployed.get(stack)
            if deployed is not None:
                found += [
                    each
                    for each in self._of(deployed.stack_id, stack)
                    if each.resource_type == resource_type or not resource_type
                ]
        return [each for each in found if each.physical_id or not resource_type]

    def _of(self, stack_id: str, stack: str) -> list[Located]:
        """The stack's resources and, inside each nested stack, its own."""
        with self._lock:
            listed = self.listed.get(stack_id)
        if listed is None:
            listed = self.aws.stack_reader(self.region(stack)).resources(stack_id)
            with self._lock:
                self.listed[stack_id] = listed
        found = []
        for item in listed:
            found.append(Located(stack, self.region(stack), item.resource_type, item.physical_id, item.status))
            if item.resource_type == NESTED_STACK and item.physical_id.startswith("arn:"):
                found += self._of(item.physical_id, stack)
        return found
