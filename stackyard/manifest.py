"""The build manifest: what generate built for one environment, as deploy reads it.

`build/<env>/manifest.json` records every stack of the environment: its CloudFormation name and
region, its template and nested children with their sha256, what it exports and imports, where
its parameters' values come from, the Lambda packages it needs, and the stacks it depends on.
Build writes it with `dumps` (same manifest, same bytes); deploy reads it with `load`, which
refuses a file of another format or shape as bad input, and `Manifest.verify` proves the
templates beside it are the ones it describes, before anything reaches AWS.

Only the standard library is imported here, so reading a build stays fast (no troposphere, no
config models).
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import types
import typing
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stackyard import __version__
from stackyard.errors import BadInputError

MANIFEST_FILE = "manifest.json"
# Bumped whenever the shape changes, so a build made by another version is regenerated, not misread.
MANIFEST_FORMAT = 3
GENERATOR = f"stackyard {__version__}"


@dataclass(frozen=True)
class PolicyFile:
    """A stack policy build wrote beside a template (stackyard/stack_policy.py), which deploy sets on the stack."""

    path: str  # relative to the environment's build folder, '/'-separated
    sha256: str


@dataclass(frozen=True)
class NestedTemplate:
    """A nested stack's child template."""

    template: str  # relative to the environment's build folder, '/'-separated
    sha256: str
    resources: int
    stack_policy: PolicyFile | None = None  # the nested stack's own policy: a parent's does not reach into it


@dataclass(frozen=True)
class ParameterSource:
    """The stack output whose value deploy passes to a parameter."""

    stack: str
    output: str


@dataclass(frozen=True)
class ManagedPrefixList:
    """The AWS-managed prefix list whose id deploy looks up by name (ec2:DescribeManagedPrefixLists) in
    the stack's region and passes to a parameter: the id differs per region, the name does not."""

    name: str  # such as com.amazonaws.global.cloudfront.origin-facing


@dataclass(frozen=True)
class LambdaPackage:
    """A Lambda package deploy builds and uploads; folders are relative to the project folder."""

    folder: str
    include: dict[str, str]  # module name -> its folder, copied into the package beside the handler
    runtime: str  # the function's Lambda runtime (python3.11 ...): dependencies are installed for it
    architecture: str  # x86_64 or arm64: the wheels' platform


@dataclass(frozen=True)
class ContainerImage:
    """An image a stack's service runs: deploy sets the stack parameter naming it to "false" while the
    repository holds no such tag (a new environment's empty repository), "true" once it does."""

    repository: str  # ECR repository name, in the stack's region
    tag: str


@dataclass(frozen=True)
class StackEntry:
    stack_name: str  # the CloudFormation stack's name
    region: str
    template: str  # relative to the environment's build folder
    sha256: str
    resources: int
    nested: dict[str, NestedTemplate]  # the nested stack's logical id -> its child template
    exports: dict[str, str]  # export name -> the output that carries it
    imports: tuple[str, ...]  # export names, sorted
    parameters: dict[str, ParameterSource]  # parameter -> the output that feeds it
    packages: dict[str, LambdaPackage]  # parameter -> the package whose S3 key it takes
    images: dict[str, ContainerImage]  # parameter ("true"/"false") -> the image whose presence it says
    # Certificates whose DNS validation records no zone of the stack writes (the domain's DNS is elsewhere):
    # logical id -> the certificate's domain. CloudFormation waits for someone to create the records, which
    # deploy can read from the certificate while it waits and show.
    manual_validation: dict[str, str]
    prefix_lists: dict[str, ManagedPrefixList]  # parameter -> the managed prefix list whose id it takes
    depends_on: tuple[str, ...]  # stacks of the environment, in deploy order
    # The guards (docs/deploy.md, "Guards"): the stack policy deploy sets (None: the stack holds no stateful
    # resource, or params turn policies off); the stateful resources, nested ones as "Vpc/FlowLogGroup"; the
    # names of the stack's critical alarms, in template order (rollback triggers once they exist); whether
    # the stack creates the CloudFormation service role (so it is never deployed as that role).
    stack_policy: PolicyFile | None = None
    stateful: tuple[str, ...] = ()
    critical_alarms: tuple[str, ...] = ()
    holds_service_role: bool = False

    def template_files(self) -> list[tuple[str, str]]:
        """(relative path, sha256) of the stack's template and each nested child's."""
        return [(self.template, self.sha256), *((child.template, child.sha256) for child in self.nested.values())]

    def policy_files(self) -> list[PolicyFile]:
        """The stack's policy and its nested stacks' (those that hold stateful resources)."""
        children = [child.stack_policy for child in self.nested.values() if child.stack_policy]
        return ([self.stack_policy] if self.stack_policy else []) + children


@dataclass(frozen=True)
class Guards:
    """params `guards`, as deploy reads them (stackyard/config/guards.py says what each does)."""

    stack_policy: str = "off"  # protect | allow | off
    rollback_triggers: bool = False
    rollback_monitoring_minutes: int = 0
    drift_check: bool = False
    role_arn: str = ""  # "": no CloudFormation service role
    allow_no_rollback: bool = False


@dataclass(frozen=True)
class Manifest:
    app: str
    environment: str
    region: str  # the environment's home region; a stack may name another (e.g. us-east-1 for CloudFront)
    stack_tags: dict[str, str]
    termination_protection: bool
    deploy_order: tuple[str, ...]  # every stack, each after those it depends on
    stacks: dict[str, StackEntry]
    guards: Guards = Guards()
    generator: str = GENERATOR

    def entry(self, stack: str) -> StackEntry:
        return self.stacks[stack]

    def stack_region(self, stack: str, override: str | None = None) -> str:
        """Where the stack deploys; `override` (--region) moves only the stacks of the home region."""
        region = self.stacks[stack].region
        return override if override and region == self.region else region

    def regions(self, stacks: Iterable[str], override: str | None = None) -> list[str]:
        return sorted({self.stack_region(stack, override) for stack in stacks})

    def in_deploy_order(self, stacks: Iterable[str]) -> list[str]:
        chosen = set(stacks)
        return [stack for stack in self.deploy_order if stack in chosen]

    def dependencies(self, stacks: Iterable[str]) -> dict[str, list[str]]:
        """Each chosen stack, in deploy order -> the chosen stacks it needs deployed first."""
        order = self.in_deploy_order(stacks)
        return {stack: [need for need in self.stacks[stack].depends_on if need in order] for stack in order}

    def dependants(self, stacks: Iterable[str]) -> dict[str, list[str]]:
        """Each chosen stack, in reverse deploy order -> the chosen stacks to delete before it."""
        order = self.in_deploy_order(stacks)[::-1]
        return {stack: [other for other in order if stack in self.stacks[other].depends_on] for stack in order}

    def verify(self, env_dir: Path) -> None:
        """Every template and nested child is present with the sha256 recorded (a stale or edited
        build stops here, before any AWS call)."""
        for entry in self.stacks.values():
            for relative, sha256 in entry.template_files():
                read_verified(env_dir, relative, sha256)
            for policy in entry.policy_files():
                read_verified(env_dir, policy.path, policy.sha256)


def dumps(manifest: Manifest) -> bytes:
    """The manifest as deterministic JSON: same manifest, same bytes."""
    document = {"format": MANIFEST_FORMAT, **dataclasses.asdict(manifest)}
    return (json.dumps(document, indent=2, sort_keys=True) + "\n").encode()


def load(path: Path) -> Manifest:
    """The manifest at `path` (build/<env>/manifest.json), its format and shape checked."""
    fix = f"Fix: run python generate.py --env {path.parent.name}"
    try:
        document = json.loads(path.read_bytes())
    except FileNotFoundError:
        raise MissingManifestError(f"{path}: no build of environment {path.parent.name}. {fix}") from None
    except (OSError, ValueError) as problem:
        raise BadInputError(f"{path}: not a readable manifest ({problem}). {fix}") from None
    if not isinstance(document, dict):
        raise BadInputError(f"{path}: not a manifest (expected a JSON object). {fix}")
    found = document.pop("format", None)
    if found != MANIFEST_FORMAT:
        made_by = document.get("generator", "an unknown generator")
        raise BadInputError(
            f"{path}: manifest format {found} (written by {made_by}); this stackyard reads format "
            f"{MANIFEST_FORMAT}. {fix}"
        )
    try:
        manifest = _read(Manifest, document, "")
        _check_references(manifest)
    except _ShapeError as problem:
        raise BadInputError(f"{path}: {problem}. {fix}") from None
    return manifest


def read_verified(env_dir: Path, relative: str, sha256: str) -> bytes:
    """A build file's bytes, refused unless they are the ones the manifest recorded."""
    path = env_dir / relative
    try:
        body = path.read_bytes()
    except FileNotFoundError:
        raise BadInputError(
            f"{path}: missing from the build its manifest describes. Fix: run python generate.py --env {env_dir.name}"
        ) from None
    if hashlib.sha256(body).hexdigest() != sha256:
        raise BadInputError(
            f"{path}: does not match {env_dir / MANIFEST_FILE} (changed after generate). Fix: run "
            f"python generate.py --env {env_dir.name}"
        )
    return body


class MissingManifestError(BadInputError):
    """No manifest at all: the environment was never generated into that build folder."""


class _ShapeError(Exception):
    def __init__(self, where: str, problem: str):
        super().__init__(f"{where or 'the top level'}: {problem}")


def _read(kind: Any, value: Any, where: str) -> Any:
    """`value` (parsed JSON) as `kind` (a type of this module's dataclasses), or _ShapeError naming where."""
    if dataclasses.is_dataclass(kind):
        return _read_object(kind, value, where)
    origin, arguments = typing.get_origin(kind), typing.get_args(kind)
    if origin in (typing.Union, types.UnionType):  # X | None
        if value is None and type(None) in arguments:
            return None
        chosen = [argument for argument in arguments if argument is not type(None)]
        return _read(chosen[0], value, where)
    if origin is dict:
        if not isinstance(value, dict):
            raise _ShapeError(where, f"expected an object, found {_json_type(value)}")
        return {key: _read(arguments[1], item, f"{where}.{key}") for key, item in value.items()}
    if origin is tuple:
        if not isinstance(value, list):
            raise _ShapeError(where, f"expected a list, found {_json_type(value)}")
        return tuple(_read(arguments[0], item, f"{where}[{index}]") for index, item in enumerate(value))
    # bool is a subclass of int in Python, not in JSON
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise _ShapeError(where, f"expected {_JSON_NAMES[kind]}, found {_json_type(value)}")
    return value


def _read_object(kind: Any, value: Any, where: str) -> Any:
    if not isinstance(value, dict):
        raise _ShapeError(where, f"expected an object, found {_json_type(value)}")
    hints = _field_types(kind)
    missing = [name for name in hints if name not in value]
    unknown = sorted(set(value) - set(hints))
    prefix = f"{where}." if where else ""
    if missing:
        raise _ShapeError(where, f"missing {', '.join(prefix + name for name in missing)}")
    if unknown:
        raise _ShapeError(where, f"unknown {', '.join(prefix + name for name in unknown)}")
    return kind(**{name: _read(hint, value[name], prefix + name) for name, hint in hints.items()})


@functools.cache
def _field_types(kind: type) -> dict[str, Any]:
    return typing.get_type_hints(kind)


def _check_references(manifest: Manifest) -> None:
    if sorted(manifest.deploy_order) != sorted(manifest.stacks):
        raise _ShapeError(
            "deploy_order", f"lists {list(manifest.deploy_order)}, but stacks has {list(manifest.stacks)}"
        )
    for name, entry in manifest.stacks.items():
        earlier = manifest.deploy_order[: manifest.deploy_order.index(name)]
        for need in entry.depends_on:
            if need not in earlier:
                raise _ShapeError(f"stacks.{name}.depends_on", f"{need} is not a stack deployed before {name}")
        for parameter, source in entry.parameters.items():
            if source.stack not in manifest.stacks:
                raise _ShapeError(f"stacks.{name}.parameters.{parameter}.stack", f"{source.stack} is not a stack")


_JSON_NAMES = {str: "a string", int: "an integer", bool: "true or false"}


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true or false"
    names = {dict: "an object", list: "a list", str: "a string", int: "an integer", float: "a number"}
    return names.get(type(value), type(value).__name__)
