"""The fault matrix's Systems Manager Parameter Store: the public image parameters a template takes.

Answers as Parameter Store does (Systems Manager User Guide, "Working with parameter versions"): each
new value is a new version; `name:version` selects a version; GetParameterHistory lists a
parameter's versions, at most 50 a page. One region's store serves every region here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tests.faults.answers import aws_error

if TYPE_CHECKING:
    from tests.faults.fake_aws import FakeCloud

AL2023 = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
PAGE = 50


class FakeSsm:
    def __init__(self, cloud: FakeCloud):
        self.cloud = cloud
        self.parameters: dict[str, list[str]] = {AL2023: ["ami-0a1"]}

    def publish(self, name: str, value: str) -> None:
        """A new version of the parameter (Amazon publishing a new image)."""
        self.parameters.setdefault(name, []).append(value)

    def resolve(self, selector: str) -> str | None:
        """The value `name` or `name:version` selects; None when there is none."""
        name, _, version = selector.rpartition(":")
        if not (name and version.isdigit()):
            name, version = selector, ""
        values = self.parameters.get(name)
        if not values:
            return None
        if not version:
            return values[-1]
        return values[int(version) - 1] if 1 <= int(version) <= len(values) else None

    def get_parameters(self, Names: list[str], **_: Any) -> dict[str, Any]:
        found = [(name, self.resolve(name)) for name in Names]
        return {
            "Parameters": [{"Name": name, "Value": value, "Type": "String"} for name, value in found if value],
            "InvalidParameters": [name for name, value in found if value is None],
        }

    def get_parameter_history(self, Name: str, NextToken: str = "0", **_: Any) -> dict[str, Any]:
        if self.cloud.faults.history_denied:
            raise aws_error(
                "GetParameterHistory",
                "AccessDeniedException",
                f"User is not authorized to perform: ssm:GetParameterHistory on resource: {Name}",
            )
        if Name not in self.parameters:
            raise aws_error("GetParameterHistory", "ParameterNotFound", "", 400)
        start = int(NextToken)
        versions = list(enumerate(self.parameters[Name], start=1))[start : start + PAGE]
        answer: dict[str, Any] = {
            "Parameters": [
                {"Name": Name, "Value": value, "Version": version, "Type": "String"} for version, value in versions
            ]
        }
        if start + PAGE < len(self.parameters[Name]):
            answer["NextToken"] = str(start + PAGE)
        return answer
