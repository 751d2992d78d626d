"""Helpers every template module shares: outputs and exports, parameters, nested stacks, tags, retention.

Template modules are pure: `build(config) -> StackTemplates`, no AWS calls, no files.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from troposphere import AWSObject, Export, GetAtt, ImportValue, Output, Parameter, Ref, Split, Tags, Template
from troposphere.awslambda import Code
from troposphere.cloudformation import Stack
from troposphere.logs import LogGroup

from stackyard.cfn import ARTIFACT_BUCKET, MANAGED_BY, TEMPLATE_VERSION
from stackyard.config import EnvironmentConfig

# Where resource types keep their tags: a key/value list or map under `Tags`, a map under `UserPoolTags`.
TAG_PROPERTIES = ("Tags", "UserPoolTags")
ANYWHERE = "0.0.0.0/0"  # every IPv4 address
# What a function without its own settings runs on (the schema migrator's runtime); Lambda's default architecture.
DEFAULT_LAMBDA_RUNTIME = "python3.12"
DEFAULT_LAMBDA_ARCHITECTURE = "x86_64"


@dataclass(frozen=True)
class FromOutput:
    """A stack parameter whose value deploy takes from another stack's output.

    This is how values cross regions, where exports cannot reach, and how values travel that
    change when their resource is replaced (an export in use cannot change).
    """

    stack: str
    output: str


@dataclass(frozen=True)
class FromManagedPrefixList:
    """A stack parameter whose value deploy looks up: the id of the AWS-managed prefix list `name` in the
    stack's region. A managed prefix list keeps its name everywhere, but its id differs per region."""

    name: str


@dataclass(frozen=True)
class LambdaCode:
    """A Lambda package deploy builds from local folders, uploads under its hash and passes to
    the stack as a parameter holding its S3 key. Folders are relative to the project. Its
    dependencies are installed for the function's runtime and architecture (compiled wheels differ)."""

    folder: str
    include: dict[str, str] = field(default_factory=dict)  # name in the package -> folder
    runtime: str = DEFAULT_LAMBDA_RUNTIME
    architecture: str = DEFAULT_LAMBDA_ARCHITECTURE


@dataclass(frozen=True)
class ContainerImage:
    """The image a stack's service runs, and so whether the service can start.

    The stack's parameter of this image (SERVICE_ENABLED, "true" by default) creates the service;
    deploy passes "false" while `repository` holds no `tag`, as on a new environment's first deploy,
    when the repository itself is created by the stack: then everything but the service deploys, and
    the next deploy after the first push creates it (docs/stacks.md#containers)."""

    repository: str  # the ECR repository's name
    tag: str


@dataclass(frozen=True)
class StackTemplates:
    """One deployable stack: its template, plus the child templates its nested stacks point at.

    A child named `vpc` of stack `network` is written to `network/vpc.json` beside
    `network.json`, and the parent's TemplateURL is that relative path; deploy uploads it
    and rewrites the URL, as `aws cloudformation package` does. `region` pins the stack to
    a region other than the environment's (None: the environment's).
    """

    name: str
    template: Template
    children: dict[str, Template] = field(default_factory=dict)
    region: str | None = None
    parameters: dict[str, FromOutput] = field(default_factory=dict)
    packages: dict[str, LambdaCode] = field(default_factory=dict)  # parameter -> the package whose key it takes
    images: dict[str, ContainerImage] = field(default_factory=dict)  # parameter -> the image it waits for
    prefix_lists: dict[str, FromManagedPrefixList] = field(default_factory=dict)  # parameter -> the list's id


def lambda_code(template: Template, parameter: str, description: str) -> Code:
    """The Code of a function whose package deploy uploads: the artifact bucket and the key, both parameters."""
    if ARTIFACT_BUCKET not in template.parameters:
        template.add_parameter(
            Parameter(
                ARTIFACT_BUCKET, Type="String", Description="The artifact bucket deploy uploads Lambda packages to"
            )
        )
    template.add_parameter(Parameter(parameter, Type="String", Description=f"S3 key of the package: {description}"))
    return Code(S3Bucket=Ref(ARTIFACT_BUCKET), S3Key=Ref(parameter))


def output_parameter(template: Template, name: str, stack: str, description: str) -> tuple[str, FromOutput]:
    """Declare parameter `name`, fed from the output of the same name of `stack`."""
    template.add_parameter(Parameter(name, Type="String", Description=description))
    return name, FromOutput(stack, name)


def new_template(config: EnvironmentConfig, description: str, region: str | None = None) -> Template:
    """An empty template that says which app and environment it belongs to (the project's lint rules
    check names against it) and lints for the environment's own region, plain cfn-lint included."""
    template = Template(Description=f"{config.app} {config.environment}: {description}")
    template.set_version(TEMPLATE_VERSION)
    template.set_metadata(
        {
            "cfn-lint": {"config": {"regions": [region or config.region]}},
            "Stackyard": {"Application": config.app, "Environment": config.environment},
        }
    )
    return template


def tag_resources(template: Template, config: EnvironmentConfig) -> Template:
    """Put the standard tags on every taggable resource; a template module's last step.

    Stack tags do not reach every resource type, so each resource carries them itself.
    """
    standard = standard_tags(config)
    for resource in template.resources.values():
        for prop in TAG_PROPERTIES:
            expected = resource.props.get(prop, (None,))[0]
            if expected is dict:
                setattr(resource, prop, {**standard, **resource.properties.get(prop, {})})
            elif expected is not None:
                setattr(resource, prop, Tags(**standard) + resource.properties.get(prop, Tags()))
    return template


def standard_tags(config: EnvironmentConfig) -> dict[str, str]:
    """The tags of seed 001 task 8, applied to every stack and taggable resource."""
    return {
        "Application": config.app,
        "Environment": config.environment,
        "CostCenter": config.tags.cost_center,
        "Owner": config.tags.owner,
        "ManagedBy": MANAGED_BY,
    }


def export(template: Template, config: EnvironmentConfig, name: str, value, description: str) -> Output:
    """An output exported as `<app>-<env>-<name>` for other stacks to import."""
    return template.add_output(
        Output(
            name,
            Description=description,
            Value=value,
            Export=Export(config.export_name(name)),
        )
    )


def import_value(config: EnvironmentConfig, name: str) -> ImportValue:
    """Another stack's export. The name is a literal, so the manifest can see the dependency."""
    return ImportValue(config.export_name(name))


def import_list(config: EnvironmentConfig, name: str) -> Split:
    """An exported comma-separated list (subnet ids, ...) as a list."""
    return Split(",", import_value(config, name))


def nested_stack(title: str, parent: str, child: str, parameters: dict | None = None) -> Stack:
    """A nested stack whose TemplateURL is the child's path relative to the parent's file."""
    return Stack(
        title,
        TemplateURL=f"{parent}/{child}.json",
        Parameters=parameters or {},
        # W3002 warns that a local TemplateURL needs packaging; deploy packages it.
        Metadata={"cfn-lint": {"config": {"ignore_checks": ["W3002"]}}},
    )


def reexport_children_outputs(parent: Template, config: EnvironmentConfig, children: dict[str, Template]) -> None:
    """Export every output of each nested child from the parent, under the child's output name.

    `children` maps the nested stack's logical id to its template.
    """
    for logical_id, child in children.items():
        for name, output in sorted(child.outputs.items()):
            export(parent, config, name, GetAtt(logical_id, f"Outputs.{name}"), output.Description)


def keep_on_delete(resource: AWSObject, config: EnvironmentConfig, snapshot: bool = False) -> AWSObject:
    """DeletionPolicy and UpdateReplacePolicy for a stateful resource, as the environment says.

    Environments with `retain_data` keep the data (Snapshot where the type supports it,
    otherwise Retain); others delete it with the stack.
    """
    policy = ("Snapshot" if snapshot else "Retain") if config.retain_data else "Delete"
    resource.DeletionPolicy = policy
    resource.UpdateReplacePolicy = policy
    return resource


def kept_log_group(
    template: Template, config: EnvironmentConfig, logical_id: str, name: str, retention_days: int
) -> LogGroup:
    """A log group created by the stack (so its retention applies before anything writes to it), kept
    on delete as the environment's `retain_data` says."""
    return template.add_resource(
        keep_on_delete(LogGroup(logical_id, LogGroupName=name, RetentionInDays=retention_days), config)
    )


def always_retain(resource: AWSObject) -> AWSObject:
    resource.DeletionPolicy = "Retain"
    resource.UpdateReplacePolicy = "Retain"
    return resource
