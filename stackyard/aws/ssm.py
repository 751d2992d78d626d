"""Systems Manager Parameter Store calls: the public image parameters a stack takes.

A template parameter of type AWS::SSM::Parameter::Value<...> holds a parameter's name; CloudFormation
resolves it to the parameter's latest value on every create, update and change set, also when
UsePreviousValue is passed (CloudFormation User Guide, "Systems Manager parameter types"). A name
with a version selector, `name:version`, resolves to that version (Systems Manager User Guide,
"Working with parameter versions"), which is how a deploy keeps a stack on the image it runs.
"""

from __future__ import annotations

from typing import Any

from stackyard.aws.errors import AwsError, translated

# What a role without ssm:GetParameterHistory, or a name no longer in the history, answers.
NOT_READABLE = {"AccessDenied", "AccessDeniedException", "ParameterNotFound", "ParameterVersionNotFound"}


class Ssm:
    def __init__(self, client: Any):
        self.client = client

    def version_holding(self, name: str, value: str) -> int | None:
        """The newest version of parameter `name` whose value is `value`; None when none is (Parameter
        Store keeps a parameter's last 100 versions) or the history cannot be read."""
        try:
            with translated(f"reading the history of parameter {name}"):
                pages = self.client.get_paginator("get_parameter_history").paginate(Name=name)
                versions = [item["Version"] for page in pages for item in page["Parameters"] if item["Value"] == value]
        except AwsError as error:
            if error.code in NOT_READABLE:
                return None
            raise
        return max(versions, default=None)

    def value(self, name: str) -> str | None:
        """The parameter's current value; None when there is no such parameter."""
        with translated(f"reading parameter {name}"):
            found = self.client.get_parameters(Names=[name])
        return str(found["Parameters"][0]["Value"]) if found.get("Parameters") else None
