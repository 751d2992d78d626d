"""Building an environment: every stack's templates rendered to JSON, plus its manifest.

The manifest is derived from the rendered templates themselves, not declared beside them:
a stack's exports are its `Outputs.*.Export.Name`, its imports every `Fn::ImportValue`, its
nested children its `AWS::CloudFormation::Stack` resources. Dependencies and deploy order
follow from those, so they cannot drift from what CloudFormation will see.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from troposphere import Template

import templates
from stackyard.build_guards import StackGuards, stack_guards
from stackyard.cfn import ARTIFACT_BUCKET, NESTED_STACK
from stackyard.config import EnvironmentConfig
from stackyard.errors import BadInputError, StackyardError
from stackyard.graph import deploy_order
from stackyard.manifest import (
    MANIFEST_FILE,
    ContainerImage,
    LambdaPackage,
    ManagedPrefixList,
    Manifest,
    NestedTemplate,
    ParameterSource,
    StackEntry,
    dumps,
)
from stackyard.manifest import Guards as ManifestGuards
from templates.parts.common import ContainerImage as TemplateImage
from templates.parts.common import FromManagedPrefixList, FromOutput, LambdaCode, StackTemplates, standard_tags

# CloudFormation reads templates from S3 up to this size (TemplateBody allows only 51,200 bytes).
CERTIFICATE = "AWS::CertificateManager::Certificate"
TEMPLATE_URL_MAX_BYTES = 1_000_000


class MissingSourceStackError(BadInputError):
    """A listed stack needs a stack the environment does not list: a choice made by params' `stacks`,
    which generate locates there."""

    def __init__(self, environment: str, message: str):
        self.environment = environment
        super().__init__(message)


def render(template: Template) -> bytes:
    """Deterministic JSON: same template, same bytes."""
    return (json.dumps(template.to_dict(), indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()


@dataclass(frozen=True)
class RenderedTemplate:
    path: str  # relative to the environment's build folder, '/'-separated
    body: bytes

    @cached_property
    def document(self) -> dict[str, Any]:
        return json.loads(self.body)

    @cached_property
    def sha256(self) -> str:
        return hashlib.sha256(self.body).hexdigest()

    @property
    def resource_count(self) -> int:
        return len(self.document.get("Resources", {}))


@dataclass(frozen=True)
class RenderedStack:
    name: str
    stack_name: str
    region: str
    template: RenderedTemplate
    nested: dict[str, RenderedTemplate]  # the nested stack's logical id -> its child template
    parameter_sources: dict[str, FromOutput]  # parameter -> the stack output deploy passes to it
    packages: dict[str, LambdaCode]  # parameter -> the Lambda package whose S3 key deploy passes to it
    images: dict[str, TemplateImage]  # parameter -> the container image whose presence deploy passes to it
    prefix_lists: dict[str, FromManagedPrefixList]  # parameter -> the managed prefix list whose id deploy passes

    @property
    def templates(self) -> list[RenderedTemplate]:
        return [self.template, *self.nested.values()]

    @cached_property
    def exports(self) -> dict[str, str]:
        """Export name -> the output that carries it."""
        found = {}
        for rendered in self.templates:
            for output_name, output in rendered.document.get("Outputs", {}).items():
                if "Export" in output:
                    found[_literal(output["Export"]["Name"], self.name, f"Outputs.{output_name}.Export.Name")] = (
                        output_name
                    )
        return found

    @cached_property
    def imports(self) -> list[str]:
        return sorted({name for rendered in self.templates for name in _import_names(rendered.document, self.name)})

    @cached_property
    def manual_validation(self) -> dict[str, str]:
        """Certificates validated by DNS records no Route 53 zone of the template writes: logical id -> domain."""
        found = {}
        for logical_id, resource in self.template.document.get("Resources", {}).items():
            if resource.get("Type") != CERTIFICATE:
                continue
            options = resource["Properties"].get("DomainValidationOptions", [])
            if not any("HostedZoneId" in option for option in options):
                found[logical_id] = resource["Properties"]["DomainName"]
        return found

    @property
    def outputs(self) -> set[str]:
        return set(self.template.document.get("Outputs", {}))


@dataclass(frozen=True)
class EnvironmentBuild:
    config: EnvironmentConfig
    stacks: dict[str, RenderedStack]  # in deploy order
    dependencies: dict[str, list[str]]

    @property
    def environment(self) -> str:
        return self.config.environment

    def manifest(self) -> Manifest:
        return Manifest(
            app=self.config.app,
            environment=self.environment,
            region=self.config.region,
            stack_tags=standard_tags(self.config),
            termination_protection=self.config.termination_protection,
            deploy_order=tuple(self.stacks),
            stacks={name: self._stack_entry(stack) for name, stack in self.stacks.items()},
            guards=ManifestGuards(**self.config.guards.model_dump() | {"role_arn": self.config.guards.role_arn or ""}),
        )

    def files(self) -> dict[str, bytes]:
        """Every file of the environment's build folder, manifest included, by relative path."""
        files = {rendered.path: rendered.body for stack in self.stacks.values() for rendered in stack.templates}
        files |= {path: body for guards in self.guards.values() for path, body in guards.files.items()}
        files[MANIFEST_FILE] = dumps(self.manifest())
        return files

    @cached_property
    def guards(self) -> dict[str, StackGuards]:
        """What each stack's guards need (stackyard/build_guards.py): policies, stateful resources, alarms."""
        return {
            name: stack_guards(
                self.config,
                stack.template.path,
                stack.template.document,
                {logical_id: (child.path, child.document) for logical_id, child in stack.nested.items()},
            )
            for name, stack in self.stacks.items()
        }

    def _stack_entry(self, stack: RenderedStack) -> StackEntry:
        guards = self.guards[stack.name]
        return StackEntry(
            stack_name=stack.stack_name,
            region=stack.region,
            template=stack.template.path,
            sha256=stack.template.sha256,
            resources=stack.template.resource_count,
            nested={
                logical_id: NestedTemplate(
                    child.path, child.sha256, child.resource_count, guards.nested_policies.get(logical_id)
                )
                for logical_id, child in stack.nested.items()
            },
            exports=stack.exports,
            imports=tuple(stack.imports),
            parameters={
                name: ParameterSource(source.stack, source.output)
                for name, source in sorted(stack.parameter_sources.items())
            },
            packages={
                name: LambdaPackage(code.folder, dict(sorted(code.include.items())), code.runtime, code.architecture)
                for name, code in sorted(stack.packages.items())
            },
            images={name: ContainerImage(image.repository, image.tag) for name, image in sorted(stack.images.items())},
            manual_validation=stack.manual_validation,
            prefix_lists={name: ManagedPrefixList(source.name) for name, source in sorted(stack.prefix_lists.items())},
            depends_on=tuple(self.dependencies[stack.name]),
            stack_policy=guards.policy,
            stateful=guards.stateful,
            critical_alarms=guards.critical_alarms,
            holds_service_role=guards.holds_service_role,
        )


def build_environment(config: EnvironmentConfig) -> EnvironmentBuild:
    """Every stack of the environment rendered, with dependencies derived and ordered."""
    modules = [module for module in templates.STACK_MODULES if module.NAME in config.stacks]
    stacks = [_render_stack(config, module.build(config)) for module in modules]
    dependencies = _dependencies(config, stacks)
    by_name = {stack.name: stack for stack in stacks}
    return EnvironmentBuild(config, {name: by_name[name] for name in deploy_order(dependencies)}, dependencies)


def _render_stack(config: EnvironmentConfig, built: StackTemplates) -> RenderedStack:
    parent = RenderedTemplate(f"{built.name}.json", render(built.template))
    children = {
        f"{built.name}/{child}.json": RenderedTemplate(f"{built.name}/{child}.json", render(template))
        for child, template in built.children.items()
    }
    nested = {}
    for logical_id, resource in parent.document.get("Resources", {}).items():
        if resource.get("Type") != NESTED_STACK:
            continue
        url = resource["Properties"]["TemplateURL"]
        if url not in children:
            raise StackyardError(
                f"stack {built.name}: nested stack {logical_id} points at {url}, which the "
                f"template module did not build; known children: {', '.join(children) or 'none'}"
            )
        nested[logical_id] = children[url]
    unused = set(children) - {child.path for child in nested.values()}
    if unused:
        raise StackyardError(
            f"stack {built.name}: child templates {', '.join(sorted(unused))} are built but no "
            f"nested stack points at them"
        )
    for rendered in [parent, *children.values()]:
        if len(rendered.body) > TEMPLATE_URL_MAX_BYTES:
            raise StackyardError(
                f"{rendered.path}: {len(rendered.body):,} bytes, over CloudFormation's "
                f"{TEMPLATE_URL_MAX_BYTES:,}; split the stack into nested stacks"
            )
    _check_parameters_are_fed(built, parent)
    return RenderedStack(
        built.name,
        config.stack_name(built.name),
        built.region or config.region,
        parent,
        nested,
        dict(built.parameters),
        dict(built.packages),
        dict(built.images),
        dict(built.prefix_lists),
    )


def _check_parameters_are_fed(built: StackTemplates, parent: RenderedTemplate) -> None:
    """Deploy can only pass values to parameters that name their source; the rest need defaults."""
    declared = parent.document.get("Parameters", {})
    fed = set(built.parameters) | set(built.packages) | set(built.prefix_lists)
    fed |= {ARTIFACT_BUCKET} if built.packages else set()
    for name in fed:
        if name not in declared:
            raise StackyardError(
                f"stack {built.name}: a source is given for parameter {name}, which the template does not declare"
            )
    for name, parameter in declared.items():
        if name not in fed and "Default" not in parameter:
            raise StackyardError(
                f"stack {built.name}: parameter {name} has neither a default nor a source stack "
                f"output, so deploy could not give it a value"
            )


def _dependencies(config: EnvironmentConfig, stacks: list[RenderedStack]) -> dict[str, list[str]]:
    """Stack -> the stacks whose exports it imports or whose outputs feed its parameters, in listing order."""
    owners: dict[str, str] = {}
    for stack in stacks:
        for name in stack.exports:
            if name in owners:
                raise BadInputError(
                    f"export {name} is declared by both stack {owners[name]} and stack {stack.name}; "
                    f"export names must be unique in a region. Fix: rename one of the outputs"
                )
            owners[name] = stack.name
    dependencies = {}
    for stack in stacks:
        needs: set[str] = set()
        for name in stack.imports:
            owner = owners.get(name)
            if owner is None:
                raise MissingSourceStackError(
                    config.environment,
                    f"stack {stack.name} imports {name}, which no stack of environment "
                    f"{config.environment} exports. Fix: add the stack that exports it to stacks, "
                    f"or leave stack {stack.name} out",
                )
            if owner == stack.name:
                raise BadInputError(
                    f"stack {stack.name} imports its own export {name}; CloudFormation cannot "
                    f"resolve that. Fix: use Ref or GetAtt inside the stack"
                )
            needs.add(owner)
        needs |= _parameter_sources(config, stack, {other.name: other for other in stacks})
        dependencies[stack.name] = [other.name for other in stacks if other.name in needs]
    return dependencies


def _parameter_sources(config: EnvironmentConfig, stack: RenderedStack, by_name: dict[str, RenderedStack]) -> set[str]:
    for parameter, source in stack.parameter_sources.items():
        producer = by_name.get(source.stack)
        if producer is None or producer is stack:
            raise MissingSourceStackError(
                config.environment,
                f"stack {stack.name}: parameter {parameter} takes its value from stack "
                f"{source.stack}, which this environment does not have. Fix: add stack {source.stack} "
                f"to stacks, or leave stack {stack.name} out",
            )
        if source.output not in producer.outputs:
            raise StackyardError(
                f"stack {stack.name}: parameter {parameter} takes output {source.output} of stack "
                f"{source.stack}, which has no such output; it has: {', '.join(sorted(producer.outputs))}"
            )
    return {source.stack for source in stack.parameter_sources.values()}


def _import_names(node: Any, stack: str) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "Fn::ImportValue":
                yield _literal(value, stack, "Fn::ImportValue")
            else:
                yield from _import_names(value, stack)
    elif isinstance(node, list):
        for item in node:
            yield from _import_names(item, stack)


def _literal(value: Any, stack: str, where: str) -> str:
    if not isinstance(value, str):
        raise StackyardError(
            f"stack {stack}: {where} is computed ({json.dumps(value)}); export and import names "
            f"must be literal strings so stack dependencies can be derived before deploying"
        )
    return value
