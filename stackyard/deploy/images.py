"""Image parameters: a deployed stack stays on the machine image it runs unless the user asks for the
newest (docs/deploy.md, "Machine images stay as deployed").

A template takes its image as a parameter of type AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>
whose value is a public parameter's name (the app server's Amazon Linux 2023). CloudFormation
resolves that name to its latest value on every update, and UsePreviousValue keeps the name, not
the image (CloudFormation User Guide, "Systems Manager parameter types"): so the day Amazon
publishes a new image, any update of the stack would replace the instance. A deploy therefore pins
the name to the version that holds the deployed image (`name:version`, Systems Manager User Guide,
"Working with parameter versions"), found in the parameter's history, and keeps passing that pin.
`--refresh-images` passes the bare name again, so the change set takes the newest image; replacing
an instance is downtime, which --allow-replace must allow (stackyard/deploy/risk.py).

When the version cannot be found (the role may not read the history, or the image left the last
100 versions Parameter Store keeps) the name goes unpinned with a warning, and the downtime guard
still refuses a change set that would replace the instance.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from stackyard.aws import DeployedStack, Ssm
from stackyard.deploy.stack_plan import Desired
from stackyard.deploy.unchanged import effective_parameters

IMAGE_TYPE = "AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>"
REFRESH_OPTION = "--refresh-images"


def image_parameters(template: dict[str, Any]) -> list[str]:
    return sorted(
        name
        for name, spec in template.get("Parameters", {}).items()
        if isinstance(spec, dict) and spec.get("Type") == IMAGE_TYPE
    )


def split_version(value: str) -> tuple[str, int | None]:
    """`/aws/service/...:42` -> (`/aws/service/...`, 42); a name without a version -> (name, None)."""
    name, _, version = value.rpartition(":")
    return (name, int(version)) if name and version.isdigit() else (value, None)


def keep_pins(desired: Desired, deployed: DeployedStack | None) -> Desired:
    """The desired parameters with each image parameter kept at the version the deployed stack is
    pinned to, when it still names the same parameter (pure)."""
    if deployed is None:
        return desired
    wanted = effective_parameters(desired.template, desired.parameters)
    pins = {}
    for name in image_parameters(desired.template):
        path, version = split_version(deployed.parameters.get(name, ""))
        if version is not None and path == wanted.get(name):
            pins[name] = deployed.parameters[name]
    return dataclasses.replace(desired, parameters=desired.parameters | pins) if pins else desired


def unpinned(desired: Desired, deployed: DeployedStack | None) -> dict[str, tuple[str, str]]:
    """Image parameters the deployed stack resolved from the same name, unpinned: parameter -> (name, image)."""
    if deployed is None:
        return {}
    wanted = effective_parameters(desired.template, desired.parameters)
    return {
        parameter: (wanted[parameter], deployed.resolved[parameter])
        for parameter in image_parameters(desired.template)
        if deployed.parameters.get(parameter) == wanted.get(parameter) and parameter in deployed.resolved
    }


def pin(desired: Desired, deployed: DeployedStack | None, ssm: Ssm, say: Callable[[str], None]) -> Desired:
    """Pin each unpinned image parameter to the version holding the deployed image (read from AWS)."""
    pins = {}
    for parameter, (name, image) in unpinned(desired, deployed).items():
        version = ssm.version_holding(name, image)
        if version is None:
            say(
                f"parameter {parameter}: cannot pin {name} to the deployed image {image} (its history is not "
                f"readable, or no longer holds it); if a newer image was published, the change set replaces "
                f"what runs it, which --allow-replace must allow"
            )
            continue
        pins[parameter] = f"{name}:{version}"
        say(
            f"parameter {parameter}: kept on the deployed image {image} ({name}:{version}); {REFRESH_OPTION} takes the newest"
        )
    return dataclasses.replace(desired, parameters=desired.parameters | pins) if pins else desired


def newer_images(desired: Desired, deployed: DeployedStack | None, ssm: Ssm) -> list[str]:
    """With --refresh-images: why the stack needs an update although its parameters match (the image
    its parameter names has moved on)."""
    found = []
    for parameter, (name, image) in unpinned(desired, deployed).items():
        newest = ssm.value(name)
        if newest is not None and newest != image:
            found.append(f"parameter {parameter}: {name} now holds {newest} (deployed: {image}); {REFRESH_OPTION}")
    return found
